"""Benchmark of ``build_features`` (run on demand; not a test).

1. DuckDB: generated events for --users users (Parquet, from ``intentseg.generate.write_events``) loaded into
   a DuckDB file. Times ``build_features`` against the floor: the same per-source aggregates written by hand
   as bare DuckDB GROUP BYs (no mapping, no combine, no intent table), fetched as DataFrames. Each side runs
   in its own fresh process (so peak RSS is its own), alternating, --repeats times; the ratio is of medians
   from this one run.
2. MariaDB: --mysql-users users and --mysql-events rows per source. Times ``build_features`` against the
   row-multiplying pattern (raw sources LEFT JOINed on user_id, then GROUP BY), stopped at --timeout seconds
   by MariaDB's max_statement_time. Also counts the rows that join would produce.

    .venv/bin/python bench/bench_features.py                 # full: 1M users, then MariaDB
    .venv/bin/python bench/bench_features.py --users 100000 --skip-mysql

Writes bench/results/features.json and bench/results/features.md. Data goes to --data-dir (not committed).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
MYSQL_URL = "mysql+pymysql://root@127.0.0.1:3306/test"

# The floor: the same per-source aggregates, by hand, as plain DuckDB GROUP BYs.
FLOOR_SQL = {
    "clickstream": """
        WITH c AS (
            SELECT user_id, "timestamp" AS ts, url, lower(trim(device)) AS device, least(time_spent, 1800) AS t,
                   CASE WHEN referrer IS NULL OR trim(referrer) = '' THEN 'direct'
                        WHEN regexp_matches(lower(referrer), '^(https?://)?([^/]*[.])?(google|bing|duckduckgo|yahoo)[.]') THEN 'search'
                        WHEN regexp_matches(lower(referrer), '^(https?://)?([^/]*[.])?(facebook|linkedin|instagram|youtube|reddit|t)[.]') THEN 'social'
                        ELSE 'other' END AS ref,
                   CASE WHEN "timestamp" > lag("timestamp") OVER (PARTITION BY user_id ORDER BY "timestamp")
                        + INTERVAL 30 MINUTE THEN 1 ELSE 0 END AS brk
            FROM clickstream)
        SELECT user_id, count(*), count(DISTINCT url), 1 + sum(brk), sum(t), avg(t), count(DISTINCT ts::DATE),
               avg((device = 'desktop')::INT), avg((device = 'mobile')::INT), avg((device = 'tablet')::INT),
               avg((ref = 'search')::INT), avg((ref = 'social')::INT), avg((ref = 'direct')::INT), min(ts), max(ts)
        FROM c GROUP BY user_id""",
    "search_queries": """
        SELECT user_id, count(*), count(DISTINCT lower(trim(query))), min("timestamp"), max("timestamp")
        FROM search_queries GROUP BY user_id""",
    "article_views": """
        SELECT user_id, count(*), count(DISTINCT article_id), sum(least(time_spent, 1800)),
               avg(least(time_spent, 1800)), min("timestamp"), max("timestamp")
        FROM article_views GROUP BY user_id""",
}

# The pattern this project replaces: join raw sources on user_id, then aggregate (rows multiply per user).
JOIN_SQL = """
SELECT c.user_id, COUNT(*) AS joined_rows, COUNT(DISTINCT c.url) AS distinct_pages,
       COUNT(DISTINCT s.query) AS distinct_queries, COUNT(DISTINCT a.article_id) AS distinct_articles,
       AVG(c.time_spent) AS click_time_avg_s, AVG(a.time_spent) AS article_time_avg_s
FROM clickstream c
LEFT JOIN search_queries s ON c.user_id = s.user_id
LEFT JOIN article_views a ON c.user_id = a.user_id
GROUP BY c.user_id
"""


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def _run_ours(db: str, queue: mp.Queue) -> None:
    from intentseg import features
    from intentseg.warehouse import connect

    with connect(f"duckdb:///{db}") as wh:
        started = time.perf_counter()
        df = features.build_features(wh)
        queue.put({"seconds": time.perf_counter() - started, "rows": len(df), "peak_rss_mb": _peak_rss_mb(),
                   "queries_classified": df.attrs["run"]["queries_classified"]})


def _run_floor(db: str, queue: mp.Queue) -> None:
    con = duckdb.connect(db, read_only=True)
    started = time.perf_counter()
    rows = {name: len(con.execute(sql).df()) for name, sql in FLOOR_SQL.items()}
    queue.put({"seconds": time.perf_counter() - started, "rows": rows, "peak_rss_mb": _peak_rss_mb()})
    con.close()


def _in_fresh_process(target, db: str) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(db, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def _generate(out: Path, n_users: int) -> dict[str, int]:
    from intentseg.generate import write_events

    marker = out / f"generated-{n_users}.json"
    if marker.exists():
        return json.loads(marker.read_text())
    written = write_events(out, n_users, fmt="parquet")
    marker.write_text(json.dumps(written.rows))
    return written.rows


def bench_duckdb(n_users: int, data_dir: Path, repeats: int) -> dict:
    parquet = data_dir / f"parquet-{n_users}"
    t0 = time.perf_counter()
    rows = _generate(parquet, n_users)
    generated_s = time.perf_counter() - t0
    db = data_dir / f"events-{n_users}.duckdb"
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    for name in ("clickstream", "search_queries", "article_views"):
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{parquet / (name + '.parquet')}')")
    con.close()
    cold = _in_fresh_process(_run_ours, str(db))  # first run also classifies every distinct query
    ours, floor = [], []
    for _ in range(repeats):
        ours.append(_in_fresh_process(_run_ours, str(db)))
        floor.append(_in_fresh_process(_run_floor, str(db)))
    ours_s = statistics.median(r["seconds"] for r in ours)
    floor_s = statistics.median(r["seconds"] for r in floor)
    return {
        "users": n_users, "events": {k: v for k, v in rows.items() if k != "ground_truth"},
        "events_total": sum(v for k, v in rows.items() if k != "ground_truth"), "generate_s": round(generated_s, 1),
        "feature_rows": ours[0]["rows"],
        "build_features_cold_s": round(cold["seconds"], 3), "queries_classified_cold": cold["queries_classified"],
        "build_features_s": [round(r["seconds"], 3) for r in ours],
        "floor_s": [round(r["seconds"], 3) for r in floor],
        "ratio_ours_to_floor": round(ours_s / floor_s, 2),
        # fastest against fastest: less sensitive to other processes on a shared machine
        "ratio_best_to_best": round(min(r["seconds"] for r in ours) / min(r["seconds"] for r in floor), 2),
        "peak_rss_mb_ours": round(max(r["peak_rss_mb"] for r in ours + [cold])),
        "peak_rss_mb_floor": round(max(r["peak_rss_mb"] for r in floor)),
    }


def _mysql_events(n_users: int, per_source: int) -> dict[str, pd.DataFrame]:
    """``per_source`` rows per source over ``n_users`` users (generated for more users, ids folded)."""
    from intentseg.generate import generate_events

    frames = {}
    factor = 1
    while True:
        events = generate_events(n_users * factor)
        tables = {k: getattr(events, k) for k in ("clickstream", "search_queries", "article_views")}
        if all(len(t) >= per_source for t in tables.values()):
            break
        factor *= 2
    for name, df in tables.items():
        df = df.head(per_source).copy()
        df["user_id"] = (df["user_id"] - 1) % n_users + 1
        frames[name] = df
    return frames


def bench_mysql(url: str, n_users: int, per_source: int, timeout_s: int) -> dict:
    import sqlalchemy as sa

    from intentseg import features
    from intentseg.warehouse import connect

    db = "intentseg_bench_features"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{db}`")
        conn.exec_driver_sql(f"CREATE DATABASE `{db}` CHARACTER SET utf8mb4")
    admin.dispose()
    bench_url = url.rsplit("/", 1)[0] + "/" + db
    frames = _mysql_events(n_users, per_source)
    try:
        with connect(bench_url) as wh:
            for name, df in frames.items():
                wh.write_table(name, df)
            per_user = pd.concat({n: df.groupby("user_id").size() for n, df in frames.items()}, axis=1).fillna(0)
            clicking = per_user[per_user["clickstream"] > 0]
            join_rows = int((clicking["clickstream"] * clicking["search_queries"].clip(lower=1)
                             * clicking["article_views"].clip(lower=1)).sum())
            started = time.perf_counter()
            df = features.build_features(wh)
            ours_s = time.perf_counter() - started
            started = time.perf_counter()
            df2 = features.build_features(wh)
            ours_warm_s = time.perf_counter() - started
            joins = {}
            for label in ("no_index", "user_id_indexed"):
                if label == "user_id_indexed":  # the join pattern needs these most; ours does not use them
                    for name in frames:
                        wh.create_index(name, ["user_id"])
                started = time.perf_counter()
                try:
                    wh.query(f"SET STATEMENT max_statement_time={timeout_s} FOR {JOIN_SQL}")
                    joins[label] = {"seconds": round(time.perf_counter() - started, 1), "finished": True}
                except Exception as exc:  # noqa: BLE001 - the time limit surfaces as a query error
                    if "max_statement_time" not in str(exc) and "interrupted" not in str(exc).lower():
                        raise
                    joins[label] = {"seconds": round(time.perf_counter() - started, 1), "finished": False}
                joins[label]["speedup" if joins[label]["finished"] else "speedup_at_least"] = round(
                    joins[label]["seconds"] / ours_warm_s, 1)
        assert len(df) == len(df2)
        return {
            "users": int(len(df)), "rows_per_source": {k: len(v) for k, v in frames.items()},
            "join_pattern_rows_before_group_by": join_rows,
            "build_features_s": round(ours_s, 3), "build_features_warm_s": round(ours_warm_s, 3),
            "join_pattern": joins, "timeout_s": timeout_s,
        }
    finally:
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{db}`")
        admin.dispose()


def _markdown(result: dict) -> str:
    lines = ["# build_features benchmark", "",
             f"Run {result['when']} on {result['machine']}; load average at start "
             f"{result['load_average_at_start']} (the machine was shared, so timings are noisy).", ""]
    d = result.get("duckdb")
    if d:
        lines += [
            f"## DuckDB: {d['users']:,} users, {d['events_total']:,} events (Parquet → DuckDB tables)", "",
            "| what | seconds (median of runs) | runs | peak RSS |", "|---|---:|---|---:|",
            f"| `build_features` (mapping, intents join, combine, fetch) | {statistics.median(d['build_features_s']):.2f}"
            f" | {', '.join(map(str, d['build_features_s']))} | {d['peak_rss_mb_ours']:,} MB |",
            f"| floor: bare per-source GROUP BYs by hand, fetched | {statistics.median(d['floor_s']):.2f}"
            f" | {', '.join(map(str, d['floor_s']))} | {d['peak_rss_mb_floor']:,} MB |",
            "", f"**Ratio ours / floor: {d['ratio_ours_to_floor']}x of medians, {d['ratio_best_to_best']}x fastest "
            f"to fastest** (target ≤ 1.5x). "
            f"First run (classifies {d['queries_classified_cold']:,} distinct queries): {d['build_features_cold_s']:.2f} s.",
            "",
        ]
    m = result.get("mysql")
    if m:
        lines += [
            f"## MariaDB: {m['users']:,} users, {', '.join(f'{v:,} {k}' for k, v in m['rows_per_source'].items())}", "",
            "| what | seconds | ours is faster by |", "|---|---:|---:|",
            f"| `build_features` (first run / warm) | {m['build_features_s']:.2f} / {m['build_features_warm_s']:.2f} | |",
        ]
        for label, j in m["join_pattern"].items():
            status = "finished" if j["finished"] else f"stopped at the {m['timeout_s']} s limit"
            speed = j.get("speedup", j.get("speedup_at_least"))
            lines.append(f"| raw sources LEFT JOINed on user_id, then GROUP BY; {label.replace('_', ' ')} ({status}) "
                         f"| {j['seconds']:.1f} | {'≥ ' if not j['finished'] else ''}{speed}x |")
        lines += ["", f"The join pattern builds {m['join_pattern_rows_before_group_by']:,} rows before grouping; "
                  "speed-ups are against the warm run.", ""]
    return "\n".join(lines)


def rewrite_markdown() -> None:
    """Re-render features.md from features.json (after editing the report format)."""
    result = json.loads((RESULTS / "features.json").read_text())
    d = result.get("duckdb")
    if d and "ratio_best_to_best" not in d:
        d["ratio_best_to_best"] = round(min(d["build_features_s"]) / min(d["floor_s"]), 2)
        (RESULTS / "features.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "features.md").write_text(_markdown(result))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=1_000_000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--data-dir", type=Path, default=Path("/tmp/intentseg-bench"))
    p.add_argument("--skip-duckdb", action="store_true")
    p.add_argument("--skip-mysql", action="store_true")
    p.add_argument("--mysql-url", default=MYSQL_URL)
    p.add_argument("--mysql-users", type=int, default=10_000)
    p.add_argument("--mysql-events", type=int, default=100_000, help="rows per source")
    p.add_argument("--timeout", type=int, default=120, help="time limit for the join pattern, seconds")
    p.add_argument("--rewrite-markdown", action="store_true", help="only re-render features.md from features.json")
    args = p.parse_args(argv)
    if args.rewrite_markdown:
        rewrite_markdown()
        return
    args.data_dir.mkdir(parents=True, exist_ok=True)
    result: dict = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                    "load_average_at_start": [round(x, 1) for x in os.getloadavg()],
                    "machine": f"{platform.machine()}, {mp.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
                               f"DuckDB {duckdb.__version__}"}
    if not args.skip_duckdb:
        result["duckdb"] = bench_duckdb(args.users, args.data_dir, args.repeats)
        print(json.dumps(result["duckdb"], indent=2), flush=True)
    if not args.skip_mysql:
        result["mysql"] = bench_mysql(args.mysql_url, args.mysql_users, args.mysql_events, args.timeout)
        print(json.dumps(result["mysql"], indent=2), flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "features.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "features.md").write_text(_markdown(result))
    print(_markdown(result))


if __name__ == "__main__":
    main()
