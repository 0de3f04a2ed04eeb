"""intentseg stream: sustained events/s, publish-to-visible delay, kill -9 under load (issue 15, item 3).

    .venv/bin/python -m bench stream                     # 100k users, NATS JetStream on 127.0.0.1:4222
    .venv/bin/python -m bench stream --events 5000       # a quicker look

Warehouse: a DuckDB file holding 31 days of events of 100k users (``bench/data/incremental-100000``, the Parquet
files of ``bench incremental``; ~1.7M events) and one run (k = 5, content interests off). Messages are events of
users drawn uniformly from the 100k (so every batch touches users spread over the whole table), published to a
fresh NATS subject on loopback. Three measurements:

1. **throughput**: --events messages published first, then one consumer (``consume``, --max-batch) drains them;
   events/s = messages / time from the first fetch to the last commit.
2. **delay**: a publisher process sends --rate messages/s for --seconds while the consumer runs; each message's
   delay = commit time of the batch that applied it - its publish time (JetStream sequence -> batch). That commit
   is when the user's new segment is visible in ``user_segments``. Through ``serve`` add up to
   ``serve.poll_interval_s`` (the store reloads on its next poll after a batch): not measured here.
3. **kill -9**: --events messages (1% bad) published; ``intentseg stream`` as a process, killed with SIGKILL after
   --kill-after seconds; the checkpoint's counts after the kill; a restart drains the rest; counts after, and the
   number of event ids stored more than once.

Results: ``bench/results/stream.{json,md}``. Loopback only, bounded in messages and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from bench.__main__ import DATA, RESULTS

NATS = "nats://127.0.0.1:4222"
EVENTS_DIR = DATA / "incremental-100000"
SOURCES = ("clickstream", "search_queries", "article_views")
ENV = {**os.environ, "INTENTSEG_INTERESTS__ENABLED": "false", "OMP_NUM_THREADS": "1"}


def warehouse(path: Path) -> str:
    """A DuckDB file with the 100k users' events (as ingest leaves them) and one run."""
    import duckdb

    from intentseg.config import Settings
    from intentseg.pipeline import run

    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    cols = {"clickstream": "user_id, timestamp, url, referrer, device, CAST(time_spent AS DOUBLE) AS time_spent",
            "search_queries": "user_id, timestamp, query",
            "article_views": "user_id, timestamp, CAST(article_id AS VARCHAR) AS article_id, "
                             "CAST(time_spent AS DOUBLE) AS time_spent"}
    for name in SOURCES:
        con.execute(f"CREATE TABLE {name} AS SELECT {cols[name]}, CAST(NULL AS VARCHAR) AS event_id "
                    f"FROM read_parquet('{EVENTS_DIR / name}.parquet')")
    con.close()
    url = f"duckdb:///{path}"
    settings = Settings(warehouse=url)
    settings.segment.k = 5
    settings.interests.enabled = False
    run(settings=settings)
    return url


def message(i: int, users: int, rng: random.Random, bad: bool = False, tag: str = "b") -> bytes:
    if bad:
        return b'{"source": "clickstream", "user_id": "", "url": "/x"}'
    user = rng.randint(1, users)
    ts = f"2026-10-01T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}Z"
    kind = rng.random()
    if kind < 0.7:
        body = {"source": "clickstream", "url": f"/{rng.choice(['news', 'sports', 'tech', 'shop'])}/{rng.randint(1, 500)}",
                "device": rng.choice(["desktop", "mobile"]), "time_spent": rng.randint(5, 300)}
    elif kind < 0.85:
        body = {"source": "search_queries", "query": rng.choice(["buy phone", "weather", "news today", "login"])}
    else:
        body = {"source": "article_views", "article_id": str(rng.randint(1, 2000)), "time_spent": rng.randint(10, 600)}
    return json.dumps({**body, "event_id": f"{tag}-{uuid.uuid4().hex}", "user_id": user, "timestamp": ts}).encode()


async def _publish(subject: str, messages: list[bytes], rate: float | None) -> list[tuple[int, float]]:
    import nats

    nc = await nats.connect(NATS)
    js = nc.jetstream()
    sent = []
    started = time.time()
    for i, m in enumerate(messages):
        if rate:
            wait = started + i / rate - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
        at = time.time()
        ack = await js.publish(subject, m)
        sent.append((int(ack.seq), at))
    await nc.close()
    return sent


def new_subject() -> str:
    subject = f"intentseg.bench.{uuid.uuid4().hex[:8]}"

    async def add() -> None:
        import nats

        nc = await nats.connect(NATS)
        await nc.jetstream().add_stream(name=subject.replace(".", "_"), subjects=[subject])
        await nc.close()

    asyncio.run(add())
    return subject


def drop_subject(subject: str) -> None:
    async def drop() -> None:
        import nats

        nc = await nats.connect(NATS)
        await nc.jetstream().delete_stream(subject.replace(".", "_"))
        await nc.close()

    asyncio.run(drop())


def consumer_thread(url: str, subject: str, max_batch: int, commits: list[tuple[float, int]],
                    stop_after: int) -> threading.Thread:
    from intentseg.config import Settings
    from intentseg.stream import consume

    settings = Settings(warehouse=url)
    settings.interests.enabled = False

    def on_batch(report) -> None:  # called after each commit and ack
        commits.append((time.time(), int(report.position)))

    def go() -> None:
        consume(settings, f"{NATS}/{subject}", max_batch=max_batch, max_wait_ms=100, stop_after=stop_after,
                idle_exit_s=20, on_batch=on_batch)

    t = threading.Thread(target=go, daemon=True)
    t.start()
    return t


def throughput(url: str, n: int, users: int, max_batch: int) -> dict:
    rng = random.Random(1)
    subject = new_subject()
    try:
        asyncio.run(_publish(subject, [message(i, users, rng) for i in range(n)], None))
        commits: list[tuple[float, int]] = []
        started = time.time()
        consumer_thread(url, subject, max_batch, commits, n).join()
        seconds = commits[-1][0] - started
        return {"messages": n, "max_batch": max_batch, "seconds": round(seconds, 2),
                "events_per_s": round(n / seconds), "batches": len(commits),
                "batch_s_median": round(statistics.median(b[0] - a[0] for a, b in zip(commits, commits[1:])), 3)}
    finally:
        drop_subject(subject)


def delay(url: str, rate: float, seconds: float, users: int, max_batch: int) -> dict:
    rng = random.Random(2)
    n = int(rate * seconds)
    subject = new_subject()
    try:
        commits: list[tuple[float, int]] = []
        t = consumer_thread(url, subject, max_batch, commits, n)
        loads: list[tuple[float, float]] = []
        poller = serve_poller(url, loads, t)
        sent = asyncio.run(_publish(subject, [message(i, users, rng) for i in range(n)], rate))
        t.join()
        poller.join()
        delays, served = [], []
        for seq, at in sent:
            done = next(c for c, last in commits if last >= seq)
            delays.append(done - at)
            seen = [end for start, end in loads if start >= done]
            if seen:
                served.append(min(seen) - at)
        return {"rate_per_s": rate, "messages": n, "max_batch": max_batch, "batches": len(commits),
                **_percentiles(delays, ""), "serve_poll_s": SERVE_POLL_S, "serve_reloads": len(loads),
                **_percentiles(served, "serve_")}
    finally:
        drop_subject(subject)


SERVE_POLL_S = 1.0


def _percentiles(values: list[float], prefix: str) -> dict:
    values = sorted(values)
    if not values:
        return {}
    return {f"{prefix}p50_s": round(values[len(values) // 2], 3), f"{prefix}p99_s": round(values[int(len(values) * 0.99)], 3),
            f"{prefix}max_s": round(values[-1], 3)}


def serve_poller(url: str, loads: list[tuple[float, float]], consumer: threading.Thread) -> threading.Thread:
    """intentseg serve's store poller (in this process, every SERVE_POLL_S) while the consumer runs: (start, end) of
    each reload; a message is answered by serve from the end of the first reload that started after its commit."""
    from intentseg.config import Settings
    from intentseg.serve.store import Poller, Store

    poller = Poller(Store(), url, Settings().output, SERVE_POLL_S)

    def go() -> None:
        while True:
            last = not consumer.is_alive()  # one more poll after the last commit
            started = time.time()
            if poller.poll_once():
                loads.append((started, time.time()))
            if last:
                return
            time.sleep(SERVE_POLL_S)

    t = threading.Thread(target=go, daemon=True)
    t.start()
    return t


def counts(url: str, subject: str) -> dict:
    """The kill run's stream: its checkpoint counts, its events stored, and event ids stored more than once."""
    from intentseg.warehouse import connect

    with connect(url) as wh:
        point = wh.query("SELECT received, accepted, already_loaded, quarantined FROM intentseg_stream_checkpoints "
                         "WHERE stream = :s", {"s": f"{NATS}/{subject}"})
        out = {k: int(v) for k, v in point.iloc[0].items()} if not point.empty else {}
        dup = 0
        for name in SOURCES:
            dup += int(wh.scalar(f"SELECT COUNT(*) FROM (SELECT event_id FROM {name} WHERE event_id LIKE 'k-%' "
                                 "GROUP BY event_id HAVING COUNT(*) > 1) d"))
        out["event_ids_stored_twice"] = dup
        out["events_stored"] = sum(int(wh.scalar(f"SELECT COUNT(*) FROM {n} WHERE event_id LIKE 'k-%'")) for n in SOURCES)
    return out


def kill(url: str, n: int, users: int, max_batch: int, kill_after: float) -> dict:
    rng = random.Random(3)
    messages = [message(i, users, rng, bad=(i % 100 == 99), tag="k") for i in range(n)]
    subject = new_subject()
    cmd = [sys.executable, "-m", "intentseg", "stream", "--from", f"{NATS}/{subject}", "--warehouse", url,
           "--max-batch", str(max_batch), "--json"]
    try:
        asyncio.run(_publish(subject, messages, None))
        proc = subprocess.Popen([*cmd, "--idle-exit", "60"], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        before = counts(url, subject)
        started = time.time()
        done = subprocess.run([*cmd, "--idle-exit", "3"], env=ENV, capture_output=True, text=True, timeout=1800)
        after = counts(url, subject)
        return {"published": n, "published_bad": n // 100, "killed_after_s": kill_after, "before_restart": before,
                "after_restart": after, "restart_report": json.loads(done.stdout) if done.returncode == 0 else done.stderr,
                "restart_s": round(time.time() - started, 1)}
    finally:
        drop_subject(subject)


def markdown(r: dict) -> str:
    t, d, k = r["throughput"], r["delay"], r["kill"]
    b, a = k["before_restart"], k["after_restart"]
    return "\n".join([
        "# intentseg stream (issue 15)", "",
        f"Run {r['when']} on {r['machine']} (shared, noisy). `python -m bench stream`; see bench/bench_stream.py.",
        f"Warehouse: DuckDB, {r['users']:,} users, {r['events_in_warehouse']:,} events before the stream, one run (k = 5,",
        "content interests off). NATS JetStream on loopback; messages for users drawn uniformly from all of them.", "",
        "## Throughput", "",
        f"{t['messages']:,} messages drained by one consumer, --max-batch {t['max_batch']}: **{t['events_per_s']:,} events/s** "
        f"({t['seconds']} s, {t['batches']} batches, median {t['batch_s_median']} s per batch: validate, insert, recompute the",
        "touched users' features from their events, score, update user_segments/history/outbox, checkpoint, one commit).", "",
        "## Delay from publish to the user's new segment in user_segments (committed)", "",
        f"{d['messages']:,} messages at {d['rate_per_s']:g}/s, --max-batch {d['max_batch']}: **p50 {d['p50_s']} s, "
        f"p99 {d['p99_s']} s** (max {d['max_s']} s).", "",
        f"Through `serve` (its store's poller in the same process, polling every {d['serve_poll_s']:g} s; the "
        f"snapshot of all users reloaded {d['serve_reloads']} times): **p50 {d.get('serve_p50_s')} s, p99 "
        f"{d.get('serve_p99_s')} s** from publish to the answer holding the new segment (with the default "
        f"serve.poll_interval_s of 5 s, add up to {5 - d['serve_poll_s']:g} s more).", "",
        "## kill -9 under load", "",
        f"{k['published']:,} messages published ({k['published_bad']} bad), `intentseg stream` killed with SIGKILL after "
        f"{k['killed_after_s']:g} s, then restarted.", "",
        "| | messages counted | events applied | already loaded | quarantined | events stored | event ids stored twice |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| after the kill | {b.get('received', 0):,} | {b.get('accepted', 0):,} | {b.get('already_loaded', 0):,} | "
        f"{b.get('quarantined', 0):,} | {b['events_stored']:,} | {b['event_ids_stored_twice']} |",
        f"| after the restart | {a['received']:,} | {a['accepted']:,} | {a['already_loaded']:,} | {a['quarantined']:,} | "
        f"{a['events_stored']:,} | {a['event_ids_stored_twice']} |", "",
        _restart_line(k), "",
    ]) + "\n"


def _restart_line(k: dict) -> str:
    rep = k["restart_report"]
    if not isinstance(rep, dict):
        return f"The restart failed: {str(rep)[-300:]}"
    busy = rep["seconds"] - 3  # less --idle-exit
    return (f"The restart (its own process, start-up included) applied {rep['received']:,} messages in {busy:.0f} s "
            f"({rep['received'] / busy:,.0f} messages/s), replayed {rep['replayed']}, scored {rep['users_scored']:,} users "
            f"and wrote {rep['membership_events']:,} membership events.")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench stream", description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=20_000, help="messages of the throughput and kill runs")
    p.add_argument("--max-batch", type=int, default=500)
    p.add_argument("--rate", type=float, default=200, help="messages per second in the delay run")
    p.add_argument("--seconds", type=float, default=30, help="length of the delay run")
    p.add_argument("--kill-after", type=float, default=8)
    args = p.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    db = DATA / "stream-100000.duckdb"
    t0 = time.time()
    url = warehouse(db)
    from intentseg.warehouse import connect

    with connect(url) as wh:
        users = int(wh.scalar("SELECT COUNT(*) FROM user_segments"))
        events = sum(int(wh.scalar(f"SELECT COUNT(*) FROM {n}")) for n in SOURCES)
    result: dict = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "users": users,
                    "events_in_warehouse": events, "setup_s": round(time.time() - t0, 1),
                    "machine": f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"}
    result["throughput"] = throughput(url, args.events, users, args.max_batch)
    print(json.dumps(result["throughput"]), flush=True)
    result["delay"] = delay(url, args.rate, args.seconds, users, args.max_batch)
    print(json.dumps(result["delay"]), flush=True)
    result["kill"] = kill(url, args.events, users, args.max_batch, args.kill_after)
    print(json.dumps(result["kill"]), flush=True)
    (RESULTS / "stream.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "stream.md").write_text(markdown(result))
    print(markdown(result))
    db.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
