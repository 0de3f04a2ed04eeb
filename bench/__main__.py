"""The benchmark suite: ``python -m bench`` (``make bench``).

1. End to end ``intentseg run --events DIR`` on embedded DuckDB at each size (100k, 1M, 10M users; ~17
   events per user, Parquet written by ``intentseg.generate``), against the floor of the same run
   (``bench/floor.py``: bare per-source DuckDB aggregates + a bare KMeans fit on a matrix of the shape the
   segmenter fits). Each measurement is its own process under ``/usr/bin/time``: wall seconds and peak RSS.
2. The same runs on Spark local mode (``--engines duckdb,spark``), when ``intentseg.warehouse.spark`` exists.
3. MariaDB: ``build_features`` (per-source aggregation in the warehouse) against the row-multiplying join
   pattern at 10k users and 10, 30, 50 events per source per user (``bench.bench_features.bench_mysql``; the
   join is stopped at ``--timeout`` seconds).

4. ``python -m bench quality``: the quality suite (k chosen vs planted, ARI, tiers, predictive checks on
   MovieLens; ``bench/quality/``) → bench/results/quality.{json,md}.
5. ``python -m bench kauto``: the default run (k = auto) against k given and the floor at 300k and 1M users
   → bench/results/kauto.{json,md}.
6. ``python -m bench serve``: the HTTP API with 1M users in memory under wrk (lookups, scoring, memory, overload)
   → bench/results/serve.{json,md}.
7. ``python -m bench incremental``: one new day on 30 days of events, incremental features against a full
   rebuild at 1M users → bench/results/incremental.{json,md}.
8. ``python -m bench stream``: intentseg stream from NATS (events/s, publish-to-visible delay, kill -9)
   → bench/results/stream.{json,md}.
9. ``python -m bench deliver``: one deliver pass of outbox events to a webhook, RabbitMQ, Redis and NATS
   → bench/results/deliver.{json,md}.
10. ``python -m bench alternatives``: other partitioners than K-Means (Gaussian mixtures, other scalings, merged
   cells) at the true k of each quality dataset → bench/results/alternatives.{json,md}.

    .venv/bin/python -m bench                      # everything (the 10M case takes several minutes)
    .venv/bin/python -m bench --quick              # a small version: 20k users, MariaDB at 1k users
    .venv/bin/python -m bench --sizes 100k,1m --skip-mysql

Writes bench/results/scale.json (and mysql.json) and the tables of bench/README.md. Data: bench/data/.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DATA = HERE / "data"
K = 5  # the planted personas; given, so both sides fit one k (k="auto" adds the k scan)
N_INIT = 10  # the default segment.n_init
MYSQL_URL = "mysql+pymysql://root@127.0.0.1:3306/test"


def parse_size(text: str) -> int:
    text = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * mult)


def label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1_000}k" if n % 1_000 == 0 else str(n)


def generate(n_users: int) -> tuple[Path, dict[str, int]]:
    """Parquet events of ``n_users`` users under bench/data (reused when already there)."""
    from intentseg.generate import write_events

    out = DATA / f"events-{n_users}"
    marker = out / "generated.json"
    if not marker.exists():
        written = write_events(out, n_users, fmt="parquet")
        marker.write_text(json.dumps({"rows": written.rows, "seconds": written.seconds}))
    rows = json.loads(marker.read_text())["rows"]
    return out, {k: v for k, v in rows.items() if k != "ground_truth"}


def timed(cmd: list[str], timeout_s: float | None = None) -> dict:
    """Run ``cmd`` in its own process under /usr/bin/time: wall seconds, peak RSS, its stdout."""
    stats = DATA / "time.txt"
    started = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", str(stats), *cmd], capture_output=True, text=True,
                          timeout=timeout_s)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    _, peak_kb = stats.read_text().split()[-2:]
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(int(peak_kb) / 1024), "stdout": proc.stdout}


def run_ours(events: Path, url: str) -> dict:
    out = timed([sys.executable, "-m", "intentseg", "run", "--warehouse", url, "--events", str(events),
                 "--k", str(K), "--fresh", "--json"])
    result = json.loads(out.pop("stdout"))
    return {**out, "n_users": result["n_users"], "scored_in": result["scored_in"], "steps_s": result["seconds"],
            "fit_rows": result["metrics"].get("profiles_from_sample") or result["n_users"]}


def run_floor(events: Path, n_fit: int, memory_limit: str | None) -> dict:
    cmd = [sys.executable, "-m", "bench.floor", str(events), "--k", str(K), "--n-fit", str(n_fit),
           "--n-init", str(N_INIT)]
    out = timed(cmd + (["--memory-limit", memory_limit] if memory_limit else []))
    return {**out, **json.loads(out.pop("stdout"))}


def bench_size(n_users: int, engines: list[str], memory_limit: str | None, spark_max_users: int) -> dict:
    t0 = time.perf_counter()
    events, rows = generate(n_users)
    row: dict = {"users": n_users, "events": rows, "events_total": sum(rows.values()),
                 "generate_s": round(time.perf_counter() - t0, 1)}
    db = DATA / f"run-{n_users}.duckdb"
    db.unlink(missing_ok=True)
    url = f"duckdb:///{db}" + (f"?memory_limit={memory_limit}" if memory_limit else "")
    ours = run_ours(events, url)
    floor = run_floor(events, ours["fit_rows"], memory_limit)
    db.unlink(missing_ok=True)
    row["duckdb"] = {
        "ours": ours, "floor": floor,
        "ratio_to_floor": round(ours["wall_s"] / floor["wall_s"], 2),
        "events_per_s": round(row["events_total"] / ours["wall_s"]),
    }
    print(json.dumps({label(n_users): row["duckdb"]}), flush=True)
    if "spark" in engines and n_users > spark_max_users:
        row["spark"] = {"skipped": f"above --spark-max-users ({spark_max_users:,})"}
    elif "spark" in engines:
        row["spark"] = bench_spark(events, row["events_total"], floor)
    return row


def bench_spark(events: Path, events_total: int, floor: dict) -> dict:
    if importlib.util.find_spec("intentseg.warehouse.spark") is None:
        return {"skipped": "intentseg.warehouse.spark is not there yet"}
    # the driver is the only executor in local mode: give it room (set before its JVM starts)
    os.environ.setdefault("PYSPARK_SUBMIT_ARGS", "--driver-memory 6g pyspark-shell")
    try:
        ours = run_ours(events, "spark://local[2]")
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        return {"failed": str(exc).splitlines()[0][:300], "detail": str(exc)[-1500:]}
    out = {"ours": ours, "ratio_to_floor": round(ours["wall_s"] / floor["wall_s"], 2),
           "events_per_s": round(events_total / ours["wall_s"])}
    print(json.dumps({"spark": out}), flush=True)
    return out


def bench_mysql(url: str, n_users: int, per_user: list[int], timeout_s: int) -> list[dict]:
    from bench.bench_features import bench_mysql as one

    rows = []
    for e in per_user:
        r = one(url, n_users, n_users * e, timeout_s)
        r["events_per_source_per_user"] = e
        rows.append(r)
        print(json.dumps(r), flush=True)
    return rows


def machine() -> dict:
    def sh(cmd: str) -> str:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()

    import duckdb
    import sklearn

    return {"nproc": sh("nproc"), "free_g": sh("free -g"), "lscpu": sh("lscpu | head -16"),
            "python": sys.version.split()[0], "duckdb": duckdb.__version__, "scikit_learn": sklearn.__version__,
            "platform": platform.platform()}


def markdown(result: dict) -> str:
    m = result["machine"]
    lines = [
        "# Benchmarks", "",
        "Run with `make bench` (`python -m bench`; `--quick` for a small version, `--sizes 100k,1m,10m`,",
        "`--engines duckdb,spark`, `--skip-mysql`). Results: `bench/results/scale.json`, `bench/results/mysql.json`;",
        "generated data goes to `bench/data/` (not committed). The machine is shared and noisy: compare the",
        "ratios measured in one run, not absolute times across runs.", "",
        f"Last run: {result['when']}. Machine: {m['nproc']} cores, Python {m['python']}, DuckDB {m['duckdb']}, "
        f"scikit-learn {m['scikit_learn']}, {m['platform']}.", "",
        "```", m["free_g"], m["lscpu"], "```", "",
        "## End to end on embedded DuckDB", "",
        f"`intentseg run --events DIR --k {K} --fresh --json` in its own process (features from the Parquet files in",
        "place, fit, scoring, write-back with history), against the floor in its own process: bare DuckDB",
        "per-source aggregates over the same files, fetched, plus a bare `KMeans(k=5, n_init=10)` on a",
        "16-column matrix with as many rows as our fit used (all users up to 2M; the 500k sample above).",
        f"DuckDB memory limit on both sides: {result.get('memory_limit') or 'default'}. Peak = max RSS of the process.",
        "",
        "| users | events | path | ours s | floor s | ratio ours/floor | events/s | peak ours | peak floor | our steps (s) |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in result["sizes"]:
        d = r["duckdb"]
        o, f = d["ours"], d["floor"]
        steps = ", ".join(f"{k} {v:.1f}" for k, v in o["steps_s"].items())
        lines.append(
            f"| {r['users']:,} | {r['events_total']:,} | {o['scored_in']} | {o['wall_s']:.1f} | {f['wall_s']:.1f} | "
            f"**{d['ratio_to_floor']}x** | {d['events_per_s']:,} | {o['peak_rss_mb']:,} MB | {f['peak_rss_mb']:,} MB | {steps} |")
    lines += ["", "Floor split (seconds): " + "; ".join(
        f"{label(r['users'])}: aggregates {r['duckdb']['floor']['aggregates_s']:.1f}, KMeans {r['duckdb']['floor']['kmeans_s']:.1f}"
        f" on {r['duckdb']['floor']['fit_rows']:,} rows" for r in result["sizes"]), ""]
    lines += [
        "What the ratio holds against us: each run is cold (a new DuckDB file, so every distinct search query",
        "is classified in Python and the feature table is written to disk), includes Python start-up, and",
        "the segmenter's silhouette on a 10k-user sample (reported as a metric, so computed even with k given). Above",
        "`segment.in_warehouse_above` (2M users) the fit uses a seeded 500k sample and every user is scored in",
        "SQL; the floor then fits KMeans on 500k rows too.", "",
    ]
    spark = [(r["users"], r["spark"]) for r in result["sizes"] if "spark" in r]
    if spark:
        lines += ["## Spark local mode (`spark://local[2]`)", "", "| users | result |", "|---:|---|"]
        for n, s in spark:
            text = (f"{s['ours']['wall_s']:.1f} s, {s['ratio_to_floor']}x the DuckDB floor, {s['events_per_s']:,} events/s, "
                    f"peak {s['ours']['peak_rss_mb']:,} MB (driver process; the JVM is a child)" if "ours" in s
                    else s.get("skipped") or f"failed: {s['failed']}")
            lines.append(f"| {n:,} | {text} |")
        lines.append("")
    my = result.get("mysql")
    if my:
        lines += [
            "## MariaDB: per-source aggregation vs the row-multiplying join", "",
            "`build_features` (each source aggregated to one row per user inside MariaDB, then combined) against",
            "the pattern it replaces (raw sources LEFT JOINed on user_id, then GROUP BY), stopped by",
            "`max_statement_time`.", "",
            "| users | events per source per user | rows per source | join rows before GROUP BY | ours s (warm) "
            "| join, no index s | speed-up | join, user_id indexed s | speed-up |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in my:
            cells = []
            for variant in ("no_index", "user_id_indexed"):
                j = r["join_pattern"].get(variant)
                if j is None:
                    cells += ["–", "–"]
                    continue
                cells.append(f"{j['seconds']:.1f}" + ("" if j["finished"] else " (stopped)"))
                cells.append(f"{j['speedup']}x" if j["finished"] else f"≥ {j['speedup_at_least']}x")
            lines.append(
                f"| {r['users']:,} | {r['events_per_source_per_user']} | {r['rows_per_source']['clickstream']:,} | "
                f"{r['join_pattern_rows_before_group_by']:,} | {r['build_features_warm_s']:.2f} | {' | '.join(cells)} |")
        lines.append(f"Join pattern time limit: {my[0]['timeout_s']} s per query.")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in SUBCOMMANDS:
        return SUBCOMMANDS[argv[0]](argv[1:])
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0],
                                epilog="Also: python -m bench quality (the k and naming quality suite), "
                                       "python -m bench kauto (k = auto against k given and the floor).")
    p.add_argument("--quick", action="store_true", help="small version: 20k users, MariaDB at 1k users, 10 events")
    p.add_argument("--sizes", default="100k,1m,10m", help="users per end-to-end case, e.g. 100k,1m,10m")
    p.add_argument("--engines", default="duckdb", help="duckdb, or duckdb,spark")
    p.add_argument("--spark-max-users", type=int, default=1_000_000, help="Spark rows only up to this many users")
    p.add_argument("--memory-limit", default="4GB", help="DuckDB memory_limit for both sides ('' for the default)")
    p.add_argument("--skip-mysql", action="store_true")
    p.add_argument("--mysql-url", default=MYSQL_URL)
    p.add_argument("--mysql-users", type=int, default=10_000)
    p.add_argument("--mysql-events", default="10,30,50", help="events per source per user")
    p.add_argument("--timeout", type=int, default=120, help="time limit for the MariaDB join pattern, seconds")
    p.add_argument("--out", default="scale", help="results file stem under bench/results/")
    args = p.parse_args(argv)
    if args.quick:
        args.sizes, args.mysql_users, args.mysql_events, args.timeout = "20k", 1_000, "10", 30
    if not shutil.which("/usr/bin/time"):
        sys.exit("bench needs /usr/bin/time (apt-get install time) to measure each process's peak memory")
    DATA.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    engines = [e.strip() for e in args.engines.split(",")]
    result: dict = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
                    "memory_limit": args.memory_limit or None, "k": K, "n_init": N_INIT, "sizes": []}
    for size in args.sizes.split(","):
        result["sizes"].append(bench_size(parse_size(size), engines, args.memory_limit or None, args.spark_max_users))
        (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=2) + "\n")
    if not args.skip_mysql:
        per_user = [int(e) for e in args.mysql_events.split(",")]
        result["mysql"] = bench_mysql(args.mysql_url, args.mysql_users, per_user, args.timeout)
        (RESULTS / f"{args.out}-mysql.json").write_text(json.dumps(result["mysql"], indent=2) + "\n")
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=2) + "\n")
    text = markdown(result)
    if not args.quick:
        (HERE / "README.md").write_text(text)
    print(text)


def quality(argv: list[str]) -> None:
    """``python -m bench quality``: every dataset of bench/quality through the real pipeline."""
    from bench.quality.suite import main as run_quality

    p = argparse.ArgumentParser(prog="python -m bench quality", description=quality.__doc__)
    p.add_argument("--quick", action="store_true", help="3,000 users per synthetic dataset")
    p.add_argument("--users", type=int, default=8_000, help="users per synthetic dataset")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--only", default="", help="comma-separated dataset names")
    p.add_argument("--out", default="quality", help="results file stem under bench/results/")
    p.add_argument("--rule-frozen", default="", help="when and at which commit the k rule was frozen")
    p.add_argument("--note", action="append", default=[], help="a line for the Notes section (repeatable)")
    args = p.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or None
    result = run_quality(names, 3_000 if args.quick else args.users, args.seed, args.out, args.rule_frozen, args.note)
    print((RESULTS / f"{args.out}.md").read_text())
    print(json.dumps(result["summary"], indent=2))


def serve(argv: list[str]) -> None:
    """``python -m bench serve``: intentseg serve under wrk (bench/bench_serve.py)."""
    from bench.bench_serve import main as run_serve

    run_serve(argv)


def kauto(argv: list[str]) -> None:
    """``python -m bench kauto``: the default run (k = auto) against k given and the floor."""
    from bench.bench_kauto import main as run_kauto

    run_kauto(argv)


def incremental(argv: list[str]) -> None:
    """``python -m bench incremental``: one new day of events, incremental features against a full rebuild."""
    from bench.bench_incremental import main as run_incremental

    run_incremental(argv)


def stream(argv: list[str]) -> None:
    """``python -m bench stream``: intentseg stream from NATS: events/s, publish-to-visible delay, kill -9."""
    from bench.bench_stream import main as run_stream

    run_stream(argv)


def deliver(argv: list[str]) -> None:
    """``python -m bench deliver``: one deliver pass of outbox events to each destination (bench/bench_deliver.py)."""
    from bench.bench_deliver import main as run_deliver

    run_deliver(argv)


def alternatives(argv: list[str]) -> None:
    """``python -m bench alternatives``: other partitioners than K-Means at the true k (bench/quality/alternatives.py)."""
    from bench.quality.alternatives import main as run_alternatives

    p = argparse.ArgumentParser(prog="python -m bench alternatives", description=alternatives.__doc__)
    p.add_argument("--users", type=int, default=8_000, help="users per synthetic dataset")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--only", default="", help="comma-separated dataset names")
    p.add_argument("--out", default="alternatives", help="results file stem under bench/results/")
    args = p.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or None
    run_alternatives(names, args.users, args.seed, args.out)
    print((RESULTS / f"{args.out}.md").read_text())


SUBCOMMANDS = {"quality": quality, "alternatives": alternatives, "kauto": kauto, "serve": serve, "incremental": incremental, "stream": stream,
               "deliver": deliver}


if __name__ == "__main__":
    main()
