"""Fixtures of the activation tests: warehouses with two runs' events, the real brokers, a local webhook.

Brokers run on this machine (RabbitMQ 127.0.0.1:5672, Redis 127.0.0.1:6379, NATS JetStream 127.0.0.1:4222;
URLs overridable with INTENTSEG_TEST_RABBITMQ_URL, INTENTSEG_TEST_REDIS_URL, INTENTSEG_TEST_NATS_URL). With
CI=true an unreachable broker fails the test; elsewhere it skips with the reason. Every test uses its own
queue / stream / subject (a uuid) and removes it afterwards.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from intentseg.config import Settings
from intentseg.generate import generate_events
from intentseg.pipeline import run
from tests.conftest import IN_CI
from tests.pipeline.conftest import load_events
from tests.pipeline.test_run import fast_settings

RABBITMQ_URL = os.environ.get("INTENTSEG_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
REDIS_URL = os.environ.get("INTENTSEG_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NATS_URL = os.environ.get("INTENTSEG_TEST_NATS_URL", "nats://127.0.0.1:4222")
N_USERS = 120


def unreachable(broker: str, exc: BaseException) -> None:
    reason = f"{broker} not reachable: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    if IN_CI:
        pytest.fail(f"CI=true requires every broker: {reason}")
    pytest.skip(f"{reason} (start it: see FIELD-NOTES, or set INTENTSEG_TEST_{broker.upper()}_URL)")


def two_runs(url: str) -> tuple[str, str]:
    """Events of N_USERS users, a run with k=2 (every user enters) and one with k=3 (many move)."""
    load_events(url, generate_events(N_USERS, seed=5))
    first = run(settings=fast_settings(url, k=2, n_init=1))
    second = run(settings=fast_settings(url, k=3, n_init=1))
    return first.run_id, second.run_id


@pytest.fixture
def runs_url(warehouse_url) -> tuple[str, tuple[str, str]]:
    """A warehouse (every engine) after two runs: (url, (first run id, second run id))."""
    return warehouse_url, two_runs(warehouse_url)


@pytest.fixture
def duck_runs(tmp_path) -> tuple[str, tuple[str, str]]:
    """A DuckDB file after two runs."""
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    return url, two_runs(url)


def with_destination(warehouse: str, name: str, **destination: Any) -> Settings:
    """Settings of ``warehouse`` with one destination ``name`` (its settings as keywords)."""
    return Settings.model_validate({"warehouse": warehouse, "deliver": {"destinations": {name: destination}}})


# -- brokers -----------------------------------------------------------------------------------------------
@pytest.fixture
def rabbit_queue() -> Iterator[tuple[str, str]]:
    """(url, a fresh queue name); the queue is deleted afterwards."""
    import pika

    name = f"intentseg-t-{uuid.uuid4().hex[:10]}"
    try:
        conn = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable
        unreachable("rabbitmq", exc)
    conn.close()
    yield RABBITMQ_URL, name
    conn = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    conn.channel().queue_delete(queue=name)
    conn.close()


def rabbit_messages(url: str, queue: str) -> list[tuple[Any, bytes]]:
    """Every message in the queue, (properties, body), consumed and acknowledged."""
    import pika

    conn = pika.BlockingConnection(pika.URLParameters(url))
    ch = conn.channel()
    found = []
    while True:
        method, props, body = ch.basic_get(queue=queue, auto_ack=True)
        if method is None:
            break
        found.append((props, body))
    conn.close()
    return found


def rabbit_count(url: str, queue: str) -> int:
    import pika

    conn = pika.BlockingConnection(pika.URLParameters(url))
    try:
        return int(conn.channel().queue_declare(queue=queue, durable=True, passive=True).method.message_count)
    except Exception:  # noqa: BLE001 - not declared yet
        return 0
    finally:
        if conn.is_open:
            conn.close()


@pytest.fixture
def redis_stream() -> Iterator[tuple[str, str]]:
    import redis

    name = f"intentseg-t-{uuid.uuid4().hex[:10]}"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001
        unreachable("redis", exc)
    yield REDIS_URL, name
    client.delete(name)
    client.close()


def redis_entries(url: str, stream: str) -> list[dict[bytes, bytes]]:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return [fields for _id, fields in client.xrange(stream)]
    finally:
        client.close()


def redis_count(url: str, stream: str) -> int:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return int(client.xlen(stream))
    finally:
        client.close()


def jetstream(work: Callable[[Any], Any]) -> Any:
    """Run ``await work(js)`` with a JetStream context of the test NATS server (the connection closed after)."""
    import nats

    async def main() -> Any:
        nc = await nats.connect(NATS_URL, connect_timeout=5, allow_reconnect=False, max_reconnect_attempts=0)
        try:
            return await work(nc.jetstream())
        finally:
            await nc.close()

    return asyncio.run(main())


@pytest.fixture
def nats_stream() -> Iterator[tuple[str, str, str]]:
    """(url, stream, subject): intentseg creates the stream on the first publish; deleted afterwards."""
    token = uuid.uuid4().hex[:10]

    async def ping(js: Any) -> Any:
        return await js.account_info()

    try:
        jetstream(ping)
    except Exception as exc:  # noqa: BLE001
        unreachable("nats", exc)
    stream, subject = f"INTENTSEG_T_{token}", f"intentseg.t.{token}"
    yield NATS_URL, stream, subject

    async def delete(js: Any) -> None:
        try:
            await js.delete_stream(stream)
        except Exception:  # noqa: BLE001 - never created
            pass

    jetstream(delete)


def nats_messages(stream: str, subject: str) -> list[Any]:
    """Every message of the stream (subject, headers, data), read by an ephemeral ordered consumer."""

    async def read(js: Any) -> list[Any]:
        info = await js.stream_info(stream)
        n = info.state.messages
        out = []
        for seq in range(info.state.first_seq, info.state.first_seq + n):
            msg = await js.get_msg(stream, seq)
            out.append(msg)
        return out

    return jetstream(read)


def nats_count(stream: str) -> int:
    async def count(js: Any) -> int:
        try:
            return int((await js.stream_info(stream)).state.messages)
        except Exception:  # noqa: BLE001 - not created yet
            return 0

    return jetstream(count)


# -- a webhook receiver ------------------------------------------------------------------------------------
class Receiver:
    """A local HTTP server recording every request; ``answers`` (a list of status codes) are served first,
    then 200. ``delay_s``: each answer waits this long (a remote webhook's round trip); ``most_in_flight``: the
    most requests it held at once."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answers: list[int] = []
        self.delay_s = 0.0
        self.in_flight = self.most_in_flight = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.in_flight += 1
                    receiver.most_in_flight = max(receiver.most_in_flight, receiver.in_flight)
                time.sleep(receiver.delay_s)
                with receiver.lock:
                    receiver.in_flight -= 1
                    status = receiver.answers.pop(0) if receiver.answers else 200
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body,
                                              "status": status})
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"status": status}).encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/intentseg"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def delivered_ids(self) -> list[str]:
        with self.lock:
            return [json.loads(r["body"])["event_id"] for r in self.requests if 200 <= r["status"] < 300]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()
