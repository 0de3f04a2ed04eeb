"""Delivery throughput: ``intentseg deliver --once`` of N outbox events to each destination on loopback.

    .venv/bin/python -m bench deliver [--events 20000] [--warehouses duckdb,postgres]

The outbox is filled with N synthetic ``moved`` events (no pipeline run: the sending is what is measured),
then one ``deliver`` pass sends them all to a fresh queue / stream / subject of the local RabbitMQ, Redis
and NATS servers, and to a webhook served by ``http.server`` in a process of its own (bench/hook_server.py);
then the webhook one request at a time against 8 in flight (``concurrency``), on this host and with each
answer held 20 ms (a remote endpoint; 2,000 events). Writes bench/results/deliver.{json,md}: events per
second per warehouse and destination (one run each, on a shared 2-core machine: the load average is recorded).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"
#: the slow webhook's answer time: a remote endpoint's round trip
SLOW_HOOK_S = 0.02
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _fill(url: str, n: int) -> None:
    from intentseg.activate import outbox
    from intentseg.config import OutputSettings
    from intentseg.warehouse import connect

    names = OutputSettings()
    at = pd.Timestamp("2026-11-25 12:00:00")
    events = pd.DataFrame({
        "event_id": [uuid.uuid4().hex for _ in range(n)], "run_id": "bench", "user_id": range(n), "kind": "moved",
        "from_segment_id": 0, "from_segment_name": "Casual browsers", "to_segment_id": 1,
        "to_segment_name": "Deep readers", "occurred_at": at,
    })
    with connect(url) as wh:
        outbox.ensure_tables(wh, names, "bigint")
        wh.write_table(names.segment_events, events, mode="append", types=outbox.event_columns("bigint"))


def _destinations(token: str, hook_url: str) -> dict[str, dict[str, Any]]:
    return {
        "webhook": {"type": "webhook", "url": hook_url, "secret_env": "BENCH_HOOK_SECRET"},
        "rabbitmq": {"type": "rabbitmq", "url": "amqp://guest:guest@127.0.0.1:5672/%2F", "queue": f"bench-{token}"},
        "redis": {"type": "redis", "url": "redis://127.0.0.1:6379/0", "stream": f"bench-{token}"},
        "nats": {"type": "nats", "url": "nats://127.0.0.1:4222", "stream": f"BENCH_{token}", "subject": f"bench.{token}"},
    }


def _cleanup(token: str) -> None:
    import asyncio

    import nats
    import nats.js.errors
    import pika
    import redis

    conn = pika.BlockingConnection(pika.URLParameters("amqp://guest:guest@127.0.0.1:5672/%2F"))
    conn.channel().queue_delete(queue=f"bench-{token}")
    conn.close()
    redis.Redis.from_url("redis://127.0.0.1:6379/0").delete(f"bench-{token}")

    async def drop() -> None:
        nc = await nats.connect("nats://127.0.0.1:4222")
        try:
            await nc.jetstream().delete_stream(f"BENCH_{token}")
        except nats.js.errors.NotFoundError:  # only the nats case creates it
            pass
        finally:
            await nc.close()

    asyncio.run(drop())


def _hook_server(delay_s: float) -> tuple[Any, str]:
    """The receiver in its own process (bench/hook_server.py) on a free port: (process, URL)."""
    import socket
    import subprocess
    import sys

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "bench.hook_server", str(port), str(delay_s)],
                            cwd=Path(__file__).resolve().parents[1])
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    return proc, f"http://127.0.0.1:{port}/hooks/intentseg"


def _one(url: str, n: int, kind: str, destination: dict[str, Any]) -> dict[str, Any]:
    """Fill the outbox with ``n`` events, deliver them to ``destination`` in one pass; the row of the table."""
    from intentseg.activate.deliver import deliver
    from intentseg.config import Settings

    _fill(url, n)
    settings = Settings.model_validate({"warehouse": url, "deliver": {"batch_size": 500,
                                                                     "destinations": {"d": destination}}})
    start = time.perf_counter()
    report = deliver(settings).destinations[0]
    seconds = time.perf_counter() - start
    assert report.delivered == n, report
    return {"destination": kind, "events": n, "seconds": round(seconds, 2), "events_per_s": round(n / seconds)}


def bench(n: int, warehouses: list[str], folder: Path) -> list[dict[str, Any]]:
    from tests.conftest import isolated_url

    os.environ["BENCH_HOOK_SECRET"] = "bench-secret"
    rows = []
    same_host, hook_url = _hook_server(0.0)
    try:
        for engine in warehouses:
            for kind in ("webhook", "rabbitmq", "redis", "nats"):
                token = uuid.uuid4().hex[:8]
                with isolated_url(engine, folder) as url:
                    rows.append({"warehouse": engine, **_one(url, n, kind, _destinations(token, hook_url)[kind])})
                _cleanup(token)
                print(rows[-1], flush=True)
        # the webhook one request at a time against 8 in flight (``concurrency``): on this host, and 20 ms away
        for delay_s, where in ((0.0, "same host"), (SLOW_HOOK_S, f"{SLOW_HOOK_S * 1000:.0f} ms away")):
            proc, url_ = (same_host, hook_url) if delay_s == 0 else _hook_server(delay_s)
            try:
                for concurrency in (1, 8):
                    hook = {**_destinations("x", url_)["webhook"], "concurrency": concurrency}
                    with isolated_url(warehouses[0], folder) as url:
                        row = _one(url, min(n, 2_000 if delay_s else n), f"webhook {where}, concurrency {concurrency}", hook)
                    rows.append({"warehouse": warehouses[0], **row})
                    print(rows[-1], flush=True)
            finally:
                if proc is not same_host:
                    proc.kill()
    finally:
        same_host.kill()
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench deliver", description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--warehouses", default="duckdb,postgres")
    args = parser.parse_args(argv)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        load = os.getloadavg()
        rows = bench(args.events, args.warehouses.split(","), Path(tmp))
    RESULTS.mkdir(exist_ok=True)
    meta = {"events": args.events, "batch_size": 500, "load_average_before": [round(x, 2) for x in load],
            "load_average_after": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count()}
    (RESULTS / "deliver.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    lines = ["# Delivery throughput (`python -m bench deliver`)", "",
             f"{args.events:,} outbox events, one `deliver --once` pass, batches of 500, everything on 127.0.0.1; "
             f"{meta['cpus']} CPUs shared with other jobs (load average {meta['load_average_before'][0]} before, "
             f"{meta['load_average_after'][0]} after). One run each.", "",
             "| warehouse | destination | events | seconds | events/s |", "|---|---|---:|---:|---:|"]
    lines += [f"| {r['warehouse']} | {r['destination']} | {r['events']:,} | {r['seconds']} | {r['events_per_s']:,} |"
              for r in rows]
    (RESULTS / "deliver.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
