"""The HTTP API under load: ``python -m bench serve`` (issue 14, item 3).

    .venv/bin/python -m bench serve                    # 1M users, 10 s per wrk run
    .venv/bin/python -m bench serve --users 100k --seconds 5
    .venv/bin/python -m bench serve --extra-path DIR   # the same with packages from DIR on the server's path
                                                       # (e.g. httptools + uvloop: what "uvicorn[standard]" adds)

1. A real run on 2,000 generated users gives a model and a ``segment_runs`` row; ``user_segments`` and the open
   intervals of ``user_segment_history`` are then replaced by N synthetic users of that run (SQL in DuckDB, fast),
   whose answers follow a formula (segment = user_id mod k, distance = (user_id mod 1000) / 1000), so every
   answer can be checked.
2. ``intentseg serve`` in its own process (one uvicorn worker); load time and RSS (VmRSS) with N users and with
   the 2,000 users of the run alone → memory per million users.
3. wrk on 127.0.0.1: lookups of random users (throughput, p50/p99), ``POST /v1/score`` with batches of 1 and
   100 users' features.
4. Overload: the key's rate set to a third of the measured lookup throughput and ``max_inflight`` to 32, then wrk with
   4x the connections (so the offered load is at least twice what is allowed): only 200/429/503 may come back;
   meanwhile a checker with its own key verifies every 200 it gets; afterwards a normal run (all 200) and the
   RSS compared (no leak), and the process still up.

Targets (this 2-core machine, shared): >= 3,000 lookups/s with p99 <= 20 ms. The 1-minute load average is
recorded around each measurement: other engineers' tests run on the same cores. Results:
``bench/results/serve.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from bench.__main__ import DATA, RESULTS, label, parse_size

SEED_USERS = 2_000
K = 5
LUA_COUNT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local parts = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do parts[k] = (parts[k] or 0) + v end
  end
  local s = {}
  for k, v in pairs(parts) do table.insert(s, string.format('"%d": %d', k, v)) end
  io.write(string.format('RESULT {"requests": %d, "duration_s": %.3f, "p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, '
    .. '"max_ms": %.3f, "socket_errors": %d, "statuses": {%s}}\\n', summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, table.concat(s, ", ")))
end
"""
LUA_LOOKUP = """
local n = tonumber(os.getenv("BENCH_USERS"))
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
function request() return wrk.format("GET", "/v1/users/" .. math.random(1, n) .. "/segment") end
"""
LUA_SCORE = """
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
wrk.headers["Content-Type"] = "application/json"
local f = io.open(os.getenv("BENCH_BODY"), "rb"); wrk.body = f:read("*a"); f:close()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load1() -> float:
    return round(os.getloadavg()[0], 2)


def build_warehouse(n_users: int) -> tuple[str, str, list[str], dict]:
    """A DuckDB file with one real run, then ``n_users`` synthetic members of it; (url, run id, names, features)."""
    from intentseg.generate import write_events
    from intentseg.warehouse import connect

    folder = DATA / "serve"
    events = folder / "events"
    if not (events / "clickstream.parquet").exists():
        write_events(events, SEED_USERS, fmt="parquet")
    db = folder / f"serve-{n_users}.duckdb"
    db.unlink(missing_ok=True)
    url = f"duckdb:///{db}"
    subprocess.run([sys.executable, "-m", "intentseg", "run", "--warehouse", url, "--events", str(events), "--k", str(K)],
                   check=True, capture_output=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    with connect(url) as wh:
        run_id, model = wh.query("SELECT run_id, model FROM segment_runs").iloc[0]
        names = json.loads(model)["segment_names"] if "segment_names" in json.loads(model) else None
        features = wh.query("SELECT * FROM user_features LIMIT 100")
        if names is None:
            names = [str(n) for n in wh.query("SELECT DISTINCT segment_id, segment_name FROM user_segments "
                                              "ORDER BY segment_id")["segment_name"]]
        cases = " ".join(f"WHEN {i} THEN '{n}'" for i, n in enumerate(names))
        seg = f"CAST(range % {K} AS BIGINT)"
        wh.execute("CREATE OR REPLACE TABLE user_segments AS SELECT CAST(range AS BIGINT) AS user_id, "
                   f"{seg} AS segment_id, CASE {seg} {cases} END AS segment_name, (range % 1000) / 1000.0 AS distance, "
                   f"'{run_id}' AS run_id, TIMESTAMP '2026-10-01 06:00:00' AS scored_at FROM range(1, {n_users + 1})")
        wh.execute("CREATE OR REPLACE TABLE user_segment_history AS SELECT user_id, segment_id, segment_name, "
                   "scored_at - INTERVAL (user_id % 30) DAY AS valid_from, CAST(NULL AS TIMESTAMP) AS valid_to, run_id "
                   "FROM user_segments")
    return url, str(run_id), names, features.to_dict("records")


def expected(user: int, names: list[str]) -> tuple[int, str, float]:
    return user % K, names[user % K], (user % 1000) / 1000.0


class ServerProcess:
    def __init__(self, url: str, folder: Path, key: str, extra_path: str | None, **serve: object) -> None:
        from intentseg.serve.auth import hash_key

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        lines = ["[serve]"] + [f"{k} = {json.dumps(v)}" for k, v in serve.items()]
        lines += ["[[serve.api_keys]]", 'name = "bench"', f'sha256 = "{hash_key(key)}"', 'scopes = ["read", "score"]',
                  "[[serve.api_keys]]", 'name = "checker"', f'sha256 = "{hash_key(key + "-checker")}"',
                  'scopes = ["read"]', "rate_per_s = 100000.0", "burst = 100000"]
        config = folder / f"serve-{self.port}.toml"
        config.write_text("\n".join(lines) + "\n")
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        if extra_path:
            env["PYTHONPATH"] = extra_path + os.pathsep + env.get("PYTHONPATH", "")
        self.log = (folder / f"serve-{self.port}.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "intentseg", "serve", "--warehouse", url, "--port", str(self.port), "--config", str(config)],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def wait_ready(self, timeout_s: float = 600) -> float:
        started = time.perf_counter()
        while time.perf_counter() - started < timeout_s:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited {self.process.returncode}: {Path(self.log.name).read_text()[-2000:]}")
            try:
                if httpx.get(self.base + "/readyz", timeout=5).status_code == 200:
                    return round(time.perf_counter() - started, 2)
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server not ready")

    def rss_mb(self) -> float:
        text = Path(f"/proc/{self.process.pid}/status").read_text()
        return round(int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1)) / 1024, 1)  # type: ignore[union-attr]

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the server process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def wrk(base: str, path: str, script: str, seconds: int, connections: int, env: dict[str, str],
        server: ServerProcess | None = None) -> dict:
    """One wrk run; with ``server``, also the server's CPU time per request (less sensitive to the machine's load
    than throughput: on an idle core, 1 / that is the most one worker answers a second)."""
    lua = DATA / "serve" / f"wrk-{abs(hash(script))}.lua"
    lua.write_text(script + LUA_COUNT)
    before = load1()
    cpu_before = server.cpu_s() if server else 0.0
    done = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(lua), base + path],
                          capture_output=True, text=True, env={**os.environ, **env}, timeout=seconds + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(done.stdout + done.stderr)
    out = json.loads(line[len("RESULT "):])
    out["per_s"] = round(out["requests"] / out["duration_s"])
    if server is not None and out["requests"]:
        out["server_cpu_us_per_request"] = round((server.cpu_s() - cpu_before) * 1e6 / out["requests"])
        out["capacity_per_idle_core_per_s"] = round(1e6 / max(1, out["server_cpu_us_per_request"]))
    out["connections"] = connections
    out["load_avg_1m"] = {"before": before, "after": load1()}
    return out


def score_body(features: list[dict], n: int, names: list[str]) -> Path:
    cols = [c for c, v in features[0].items() if c != "user_id" and isinstance(v, (int, float))]
    users = [{"user_id": int(f["user_id"]), "features": {c: float(f[c]) for c in cols}} for f in features[:n]]
    path = DATA / "serve" / f"score-{n}.json"
    path.write_text(json.dumps({"users": users}))
    return path


def checker(base: str, key: str, n_users: int, names: list[str], stop: threading.Event, tally: dict) -> None:
    """Lookups of random users with the unlimited key, every 200 compared with the formula."""
    import random

    rng = random.Random(0)
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=10) as c:
        while not stop.is_set():
            user = rng.randint(1, n_users)
            try:
                r = c.get(f"/v1/users/{user}/segment")
            except httpx.TransportError:
                tally["transport_errors"] = tally.get("transport_errors", 0) + 1
                continue
            tally[str(r.status_code)] = tally.get(str(r.status_code), 0) + 1
            if r.status_code == 200:
                b = r.json()
                if (b["segment_id"], b["segment_name"], b["distance"]) != expected(user, names) or b["user_id"] != user:
                    tally["wrong"] = tally.get("wrong", 0) + 1
            time.sleep(0.01)


def check_all(base: str, key: str, n_users: int, names: list[str], n: int = 2000) -> dict:
    import random

    tally: dict[str, int] = {}
    rng = random.Random(1)
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=10) as c:
        for _ in range(n):
            user = rng.randint(1, n_users)
            b = c.get(f"/v1/users/{user}/segment").json()
            ok = (b.get("segment_id"), b.get("segment_name"), b.get("distance")) == expected(user, names)
            tally["right" if ok else "wrong"] = tally.get("right" if ok else "wrong", 0) + 1
    return tally



def _http_stack(extra_path: str | None) -> str:
    """What uvicorn's ``auto`` picks in the server process: httptools and uvloop when importable (uvicorn[standard])."""
    import importlib.util

    have = all(importlib.util.find_spec(m) is not None for m in ("httptools", "uvloop"))
    if extra_path:
        return "httptools + uvloop (from --extra-path)"
    return "httptools + uvloop (uvicorn[standard])" if have else "h11 + asyncio (uvicorn without extras)"

def bench(n_users: int, seconds: int, connections: int, extra_path: str | None) -> dict:
    from intentseg.serve.auth import new_key

    folder = DATA / "serve"
    folder.mkdir(parents=True, exist_ok=True)
    key = new_key()
    env = {"BENCH_KEY": key, "BENCH_USERS": str(n_users)}
    out: dict = {"users": n_users, "seconds_per_wrk_run": seconds, "connections": connections,
                 "http": _http_stack(extra_path)}
    # memory of the run's own 2,000 users: the baseline of the process (Python, FastAPI, scikit-learn, the model)
    small_url, *_ = build_warehouse(SEED_USERS)
    small = ServerProcess(small_url, folder, key, extra_path)
    try:
        small.wait_ready()
        out["rss_mb_2000_users"] = small.rss_mb()
    finally:
        small.stop()
    url, run_id, names, features = build_warehouse(n_users)
    server = ServerProcess(url, folder, key, extra_path, rate_per_s=1e9, burst=1_000_000_000, max_batch=1000)
    try:
        out["load_s"] = server.wait_ready()
        out["rss_mb"] = server.rss_mb()
        out["rss_mb_per_million_users"] = round((out["rss_mb"] - out["rss_mb_2000_users"]) * 1e6 / (n_users - SEED_USERS), 1)
        out["lookup"] = wrk(server.base, "/v1/users/1/segment", LUA_LOOKUP, seconds, connections, env, server)
        print(json.dumps({"lookup": out["lookup"]}), flush=True)
        for n in (1, 100):
            body = score_body(features, n, names)
            r = wrk(server.base, "/v1/score", LUA_SCORE, seconds, min(connections, 4), {**env, "BENCH_BODY": str(body)},
                    server)
            r["users_per_s"] = r["per_s"] * n
            out[f"score_batch_{n}"] = r
            print(json.dumps({f"score_batch_{n}": r}), flush=True)
        out["check_after_load"] = check_all(server.base, key + "-checker", n_users, names)
    finally:
        server.stop()
    out["overload"] = overload(url, folder, key, extra_path, out["lookup"]["per_s"], seconds, connections, n_users, names)
    return out


def overload(url: str, folder: Path, key: str, extra_path: str | None, sustainable: int, seconds: int,
             connections: int, n_users: int, names: list[str]) -> dict:
    """At least twice the allowed rate and more connections than max_inflight: only 200/429/503, right answers,
    recovery. wrk is a closed loop: it cannot offer more than the server answers, so the allowed rate is a third
    of the measured throughput (the storm's own throughput varies with the machine's load)."""
    allowed = max(1, sustainable // 3)
    env = {"BENCH_KEY": key, "BENCH_USERS": str(n_users)}
    server = ServerProcess(url, folder, key, extra_path, rate_per_s=float(allowed), burst=allowed, max_inflight=32)
    out: dict = {"rate_per_s": allowed, "max_inflight": 32, "connections": connections * 4}
    try:
        server.wait_ready()
        rss_before = server.rss_mb()
        stop, tally = threading.Event(), {}
        thread = threading.Thread(target=checker, args=(server.base, key + "-checker", n_users, names, stop, tally))
        thread.start()
        rss_after_storms = []
        try:
            out["storm"] = wrk(server.base, "/", LUA_LOOKUP, seconds, connections * 4, env, server)
            rss_after_storms.append(server.rss_mb())
            for _ in range(2):  # the same storm twice more: memory that keeps growing would be a leak
                more = wrk(server.base, "/", LUA_LOOKUP, seconds, connections * 4, env, server)
                out.setdefault("more_storms_statuses", []).append(more["statuses"])
                rss_after_storms.append(server.rss_mb())
        finally:
            stop.set()
            thread.join()
        out["rss_mb_after_each_storm"] = rss_after_storms
        out["checker_during_storm"] = tally
        time.sleep(2)  # the bucket refills
        out["after"] = wrk(server.base, "/", LUA_LOOKUP, 3, 2, env)
        out["check_after"] = check_all(server.base, key + "-checker", n_users, names)
        out["rss_mb"] = {"before": rss_before, "after": server.rss_mb()}
        out["still_running"] = server.process.poll() is None
    finally:
        server.stop()
    statuses = set(out["storm"]["statuses"]).union(*[set(x) for x in out.get("more_storms_statuses", [])])
    out["only_200_429_503"] = statuses <= {"200", "429", "503"} and out["storm"]["socket_errors"] == 0
    out["offered_over_allowed"] = round(out["storm"]["per_s"] / allowed, 2)
    return out


def markdown(r: dict) -> str:
    lk, s1, s100, ov = r["lookup"], r["score_batch_1"], r["score_batch_100"], r["overload"]
    storm = ov["storm"]
    lines = [
        "# intentseg serve under load", "",
        f"Run {r['when']} with `python -m bench serve` ({r['machine']}); HTTP stack: {r['http']}. One uvicorn worker;",
        f"wrk (1 thread) on 127.0.0.1, {r['seconds_per_wrk_run']} s per run. The 2 cores are shared with other engineers'",
        "tests: the 1-minute load average is shown before/after each run; read the figures with it.", "",
        "| measurement | result | load avg (before/after) |", "|---|---|---|",
        f"| users in memory | {r['users']:,} (loaded in {r['load_s']} s, DuckDB file) | |",
        f"| memory (VmRSS) | {r['rss_mb']:,} MB; {r['rss_mb_2000_users']:,} MB with 2,000 users → **{r['rss_mb_per_million_users']} MB per million users** | |",
        f"| lookups, {lk['connections']} connections | **{lk['per_s']:,}/s**, p50 {lk['p50_ms']:.1f} ms, **p99 {lk['p99_ms']:.1f} ms**, statuses {lk['statuses']} | {lk['load_avg_1m']['before']}/{lk['load_avg_1m']['after']} |",
        f"| server CPU per lookup | {lk['server_cpu_us_per_request']} µs → at most ~{lk['capacity_per_idle_core_per_s']:,} lookups/s on one idle core (the one worker's limit) | |",
        f"| score, batch of 1 ({s1['connections']} conn.) | {s1['per_s']:,} requests/s = {s1['users_per_s']:,} users/s, p99 {s1['p99_ms']:.1f} ms | {s1['load_avg_1m']['before']}/{s1['load_avg_1m']['after']} |",
        f"| score, batch of 100 ({s100['connections']} conn.) | {s100['per_s']:,} requests/s = {s100['users_per_s']:,} users/s, p99 {s100['p99_ms']:.1f} ms | {s100['load_avg_1m']['before']}/{s100['load_avg_1m']['after']} |",
        f"| 2,000 random lookups checked after the load | {r['check_after_load']} | |",
        "", "## Overload", "",
        f"The key's rate set to a third of the lookup throughput above ({ov['rate_per_s']:,}/s), `max_inflight` {ov['max_inflight']}, "
        f"wrk with {ov['connections']} connections: offered {storm['per_s']:,} requests/s = **{ov['offered_over_allowed']}x the allowed rate**.",
        "",
        f"- statuses during the storm: {storm['statuses']}; socket errors {storm['socket_errors']} → only 200/429/503 "
        f"in all three storms: **{ov['only_200_429_503']}**",
        f"- a checker with its own key during the storm (every 200 compared with the expected answer): {ov['checker_during_storm']}",
        f"- afterwards (2 connections, 3 s): {ov['after']['per_s']:,}/s, statuses {ov['after']['statuses']}, p99 {ov['after']['p99_ms']:.1f} ms; 2,000 lookups checked: {ov['check_after']}",
        f"- two more storms like it: statuses {ov.get('more_storms_statuses')}",
        f"- VmRSS before the storms {ov['rss_mb']['before']} MB, after each of the three {ov['rss_mb_after_each_storm']} MB, "
        f"at the end {ov['rss_mb']['after']} MB; process still running: {ov['still_running']}",
        "", "Targets (issue 14): >= 3,000 lookups/s with p99 <= 20 ms on this 2-core machine.", "",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="python -m bench serve", description=__doc__.split("\n\n")[0])
    p.add_argument("--users", default="1m", help="users in memory, e.g. 1m or 100k")
    p.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    p.add_argument("--connections", type=int, default=16, help="wrk connections for lookups")
    p.add_argument("--extra-path", default=None, help="a folder put first on the server's PYTHONPATH (httptools, uvloop)")
    p.add_argument("--out", default="serve", help="results file stem under bench/results/")
    args = p.parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("bench serve needs wrk (apt-get install wrk)")
    n_users = parse_size(args.users)
    result = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": f"{os.cpu_count()} cores",
              **bench(n_users, args.seconds, args.connections, args.extra_path)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{args.out}.md").write_text(markdown(result))
    print(markdown(result))
    print(f"users: {label(n_users)}")
