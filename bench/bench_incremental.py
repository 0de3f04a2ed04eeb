"""Incremental features: the cost of adding one day to 30 days of events, against a full rebuild (issue 15).

    .venv/bin/python -m bench incremental                  # 1M users
    .venv/bin/python -m bench incremental --users 100k     # a quick look

Events: ``intentseg.generate`` for --users users over 31 days (Parquet under ``bench/data/``), loaded into a
DuckDB file in time order, as a log is appended: days 1..30 first. Then, each in its own process under
/usr/bin/time (wall seconds, peak RSS), alternating, --repeats times:

1. ``full``: ``write_features`` on days 1..31, the feature step of ``intentseg run`` without a state;
   both sides with ``interests.enabled = false`` (the state does not cover content-interest columns);
2. ``incremental``: day 31 appended to a copy of the database holding the state of days 1..30 (and the feature
   table written from it), then ``write_incremental_features``: of days 29 and 30 (24 h of lateness before the
   watermark in day 30, floored to midnight) neither has new events, so it re-opens day 31 only, merges the users
   with events in it again and replaces their rows of the feature table, whose recency it measures again;
3. ``state``: ``write_incremental_features(full=True)``: building the state from scratch (``--full``; once).

Target (issue 15): incremental / full <= 15% at 1M users. The machine is shared: the 1-minute load average
is recorded; quote the ratio of medians from one run. Results: ``bench/results/incremental.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

from bench.__main__ import DATA, RESULTS, label, parse_size, timed

DAYS = 31
END = "2026-10-01"
DUCKDB_OPTIONS = "?memory_limit=4GB&threads=2"
SOURCES = ("clickstream", "search_queries", "article_views")
#: both sides build the columns the state covers: every default column, no content interests (docs/incremental.md)
SETTINGS = {"interests": {"enabled": False}}


def events(n_users: int) -> Path:
    """Parquet events of ``n_users`` users over 31 days (reused when already there)."""
    from intentseg.generate import write_events

    out = DATA / f"incremental-{n_users}"
    marker = out / "generated.json"
    if not marker.exists():
        written = write_events(out, n_users, fmt="parquet", days=DAYS, end=END)
        marker.write_text(json.dumps({"rows": written.rows, "seconds": written.seconds}))
    return out


def load(folder: Path, base: Path, day31: Path) -> dict:
    """``base``: days 1..30 in time order; ``day31``: day 31's events as Parquet files, appended later."""
    import duckdb

    base.unlink(missing_ok=True)
    cut = f"TIMESTAMP '{END}' - INTERVAL 1 DAY"
    rows: dict = {}
    with duckdb.connect(str(base)) as con:
        for name in SOURCES:
            path = str(folder / f"{name}.parquet")
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet(?) WHERE timestamp < {cut} "
                        "ORDER BY timestamp", [path])
            con.execute(f"COPY (SELECT * FROM read_parquet(?) WHERE timestamp >= {cut} ORDER BY timestamp) "
                        f"TO '{day31 / (name + '.parquet')}' (FORMAT parquet)", [path])
            rows[name] = {"days_1_30": con.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0],
                          "day_31": con.execute(f"SELECT COUNT(*) FROM '{day31 / (name + '.parquet')}'").fetchone()[0]}
    return rows


def append_day(db: Path, day31: Path) -> None:
    import duckdb

    with duckdb.connect(str(db)) as con:
        for name in SOURCES:
            con.execute(f"INSERT INTO {name} SELECT * FROM read_parquet(?)", [str(day31 / f"{name}.parquet")])


def worker(mode: str, db: str) -> None:
    """One measured step in this process; prints its summary as JSON."""
    from intentseg.config import Settings
    from intentseg.features import write_features
    from intentseg.features.incremental import write_incremental_features

    url = f"duckdb:///{db}{DUCKDB_OPTIONS}"
    settings = Settings.model_validate(SETTINGS)
    started = time.perf_counter()
    if mode == "full":
        run = write_features(url, settings)
    else:
        run = write_incremental_features(url, settings, full=mode == "state")
    print(json.dumps({"seconds": time.perf_counter() - started, "run": run.to_dict()}, default=str))


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(mode: str, db: Path) -> dict:
    cpu = _cpu_s()
    out = timed([sys.executable, "-m", "bench.bench_incremental", "--worker", mode, str(db)])
    out["cpu_s"] = round(_cpu_s() - cpu, 2)  # user + system seconds of the process and its threads
    inner = json.loads(out.pop("stdout"))
    return {**out, "step_s": round(inner["seconds"], 2), "users": inner["run"]["users"],
            "mode": inner["run"].get("mode", "full build"), "reopened_from": inner["run"].get("reopened_from"),
            "in_place": inner["run"].get("in_place")}


def bench(n_users: int, repeats: int) -> dict:
    t0 = time.perf_counter()
    folder = events(n_users)
    work = DATA / f"incremental-{n_users}-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    base, day31 = work / "days-1-30.duckdb", work / "day-31"
    day31.mkdir()
    rows = load(folder, base, day31)
    result: dict = {"users": n_users, "rows": rows, "prepare_s": round(time.perf_counter() - t0, 1),
                    "load_before": os.getloadavg()[0]}
    # the state of days 1..30 (the cost of --full on 30 days), then day 31 appended: the starting point of each try
    result["state_days_1_30"] = measure("state", base)
    append_day(base, day31)
    full_db = work / "days-1-31.duckdb"
    shutil.copy(base, full_db)
    result["full"], result["incremental"] = [], []
    for _ in range(repeats):
        result["full"].append(measure("full", full_db))
        try_db = work / "incremental.duckdb"
        shutil.copy(base, try_db)
        result["incremental"].append(measure("incremental", try_db))
    result["state_days_1_31"] = measure("state", full_db)
    full = statistics.median(r["wall_s"] for r in result["full"])
    inc = statistics.median(r["wall_s"] for r in result["incremental"])
    full_cpu = statistics.median(r["cpu_s"] for r in result["full"])
    inc_cpu = statistics.median(r["cpu_s"] for r in result["incremental"])
    full_step = statistics.median(r["step_s"] for r in result["full"])
    inc_step = statistics.median(r["step_s"] for r in result["incremental"])
    result.update(full_wall_s=full, incremental_wall_s=inc, ratio_wall=round(inc / full, 3),
                  full_step_s=full_step, incremental_step_s=inc_step, ratio_step=round(inc_step / full_step, 3),
                  full_cpu_s=full_cpu, incremental_cpu_s=inc_cpu, ratio_cpu=round(inc_cpu / full_cpu, 3),
                  load_after=os.getloadavg()[0])
    shutil.rmtree(work, ignore_errors=True)
    return result


def bench_server(engine: str, n_users: int) -> dict:
    """The same steps on MariaDB or PostgreSQL (a fresh database / schema on this machine's server), once each, in
    this process: the work runs in the server, so wall seconds of the feature call are what is compared. The
    source tables get an index on the timestamp, as docs/incremental.md advises. Order:
    the state of days 1..30 (``--full``), day 31 appended, the incremental update, then a full rebuild over the
    same 31 days, then a second incremental update with nothing new."""
    import tempfile

    import pandas as pd

    from intentseg.config import Settings
    from intentseg.features import write_features
    from intentseg.features.incremental import write_incremental_features
    from intentseg.warehouse import connect
    from tests.conftest import isolated_url

    folder = events(n_users)
    cut = pd.Timestamp(END) - pd.Timedelta(days=1)
    settings = Settings.model_validate(SETTINGS)
    result: dict = {"engine": engine, "users": n_users, "load_before": os.getloadavg()[0], "rows": {}}

    def step(call) -> dict:
        started = time.perf_counter()
        run = call()
        return {"seconds": round(time.perf_counter() - started, 2), "mode": getattr(run, "mode", "full build"),
                "reopened_from": getattr(run, "reopened_from", None)}

    with tempfile.TemporaryDirectory() as tmp, isolated_url(engine, Path(tmp)) as url:
        frames = {name: pd.read_parquet(folder / f"{name}.parquet") for name in SOURCES}
        started = time.perf_counter()
        with connect(url) as wh:
            for name, df in frames.items():
                wh.write_table(name, df[df["timestamp"] < cut].sort_values("timestamp"), mode="create")
                result["rows"][name] = {"days_1_30": int((df["timestamp"] < cut).sum()),
                                        "day_31": int((df["timestamp"] >= cut).sum())}
                wh.create_index(name, ["timestamp"])  # as docs/incremental.md advises: the window's rows found by it
        result["load_s"] = round(time.perf_counter() - started, 1)
        result["state_days_1_30"] = step(lambda: write_incremental_features(url, settings, full=True))
        with connect(url) as wh:
            for name, df in frames.items():
                wh.write_table(name, df[df["timestamp"] >= cut].sort_values("timestamp"), mode="append")
        result["incremental"] = step(lambda: write_incremental_features(url, settings))
        result["full"] = step(lambda: write_features(url, settings))
        result["incremental_nothing_new"] = step(lambda: write_incremental_features(url, settings))
    result["ratio"] = round(result["incremental"]["seconds"] / result["full"]["seconds"], 3)
    result["load_after"] = os.getloadavg()[0]
    return result


def markdown_server(result: dict) -> str:
    lines = [f"# Incremental features on {result['engine']}: one new day against a full rebuild", "",
             f"`python -m bench incremental --engine {result['engine']} --users {label(result['users'])}` "
             "(bench/bench_incremental.py, `bench_server`): the", "events of the DuckDB bench, loaded into a fresh "
             "database / schema of this machine's server, an index on each source's timestamp; each step once, wall "
             "seconds of", "the feature call (the work runs in the server). The machine is shared: quote the ratio "
             "from one run.", "",
             f"Last run: {result['when']}.", "",
             "| users | events days 1..30 | events day 31 | state of days 1..30 s | incremental s (re-opened from) "
             "| full rebuild s | ratio | incremental, nothing new s |",
             "|---:|---:|---:|---:|---|---:|---:|---:|"]
    before = sum(v["days_1_30"] for v in result["rows"].values())
    day = sum(v["day_31"] for v in result["rows"].values())
    inc = result["incremental"]
    lines.append(f"| {result['users']:,} | {before:,} | {day:,} | {result['state_days_1_30']['seconds']} | "
                 f"{inc['seconds']} ({', '.join(sorted(set((inc['reopened_from'] or {}).values())))}) | "
                 f"{result['full']['seconds']} | **{result['ratio']:.0%}** | "
                 f"{result['incremental_nothing_new']['seconds']} |")
    lines += ["", f"Load average (1 min) before / after: {result['load_before']:.1f} / {result['load_after']:.1f}", ""]
    return "\n".join(lines)


def markdown(result: dict) -> str:
    lines = [
        "# Incremental features: one new day against a full rebuild", "",
        "`python -m bench incremental` (bench/bench_incremental.py). Generated events over 31 days, loaded into",
        f"DuckDB ({DUCKDB_OPTIONS[1:]}) in time order; days 1..30 first, then day 31 appended. Each step in its own",
        "process; wall = process time (Python start-up and imports included), step = the feature call alone.",
        "Both sides build the default columns (`interests.enabled = false`: the state does not cover interest columns).",
        "The machine is shared (2 cores, up to 6 engineers): quote ratios from one run.", "",
        f"Last run: {result['when']}.", "",
        "CPU = user + system seconds of the process (all its threads): the cost that does not depend on how busy",
        "the shared machine is; wall times moved by 2x between repeats here.", "",
        "| users | events days 1..30 | events day 31 | full rebuild: CPU s, wall s | incremental: CPU s, wall s "
        "| ratio CPU | ratio wall | state from scratch, 31 days: CPU s | peak RSS full / incr. |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["sizes"]:
        before = sum(v["days_1_30"] for v in r["rows"].values())
        day = sum(v["day_31"] for v in r["rows"].values())
        full_rss = max(x["peak_rss_mb"] for x in r["full"])
        inc_rss = max(x["peak_rss_mb"] for x in r["incremental"])
        lines.append(
            f"| {r['users']:,} | {before:,} | {day:,} | {r['full_cpu_s']:.1f}, {r['full_wall_s']:.1f} | "
            f"{r['incremental_cpu_s']:.1f}, {r['incremental_wall_s']:.1f} | **{r['ratio_cpu']:.0%}** | "
            f"{r['ratio_wall']:.0%} | {r['state_days_1_31']['cpu_s']:.1f} | {full_rss:,} / {inc_rss:,} MB |")
    lines += [
        "", "Medians of the repeats (each repeat in the json). The incremental run looks for changed days from day 29",
        "on (the watermark in day 30 minus 24 h of lateness, floored to midnight); days 29 and 30 have no late events,",
        "so it re-opens day 31 only, merges again the users with events in it, replaces their rows of the feature",
        "table in place and measures every user's recency again. Building the state from scratch (`--full`, or the",
        "first incremental run) costs about a full build: it writes the state tables too.", "",
        "Load average (1 min) before / after: " + "; ".join(
            f"{label(r['users'])}: {r['load_before']:.1f} / {r['load_after']:.1f}" for r in result["sizes"]), "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--worker":
        return worker(argv[1], argv[2])
    p = argparse.ArgumentParser(prog="python -m bench incremental", description=__doc__.split("\n\n")[0])
    p.add_argument("--users", default="1m", help="users, e.g. 100k or 1m (comma-separated for several)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out", default="incremental", help="results file stem under bench/results/")
    p.add_argument("--engine", default="duckdb", choices=("duckdb", "postgres", "mysql"),
                   help="postgres / mysql: this machine's server, each step once (bench_server)")
    args = p.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    if args.engine != "duckdb":
        server = bench_server(args.engine, parse_size(args.users))
        server["when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        out = args.out if args.out != "incremental" else f"incremental-{args.engine}"
        (RESULTS / f"{out}.json").write_text(json.dumps(server, indent=2, default=str) + "\n")
        (RESULTS / f"{out}.md").write_text(markdown_server(server))
        print(markdown_server(server))
        return None
    result: dict = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "sizes": []}
    for size in args.users.split(","):
        result["sizes"].append(bench(parse_size(size), args.repeats))
        (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=2) + "\n")
    text = markdown(result)
    (RESULTS / f"{args.out}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
