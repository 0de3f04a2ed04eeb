"""Fixtures of the stream tests: a warehouse after one run, events as broker messages, the real brokers.

Brokers run on this machine (NATS JetStream 127.0.0.1:4222, Redis 127.0.0.1:6379, RabbitMQ 127.0.0.1:5672; URLs
from INTENTSEG_TEST_NATS_URL, INTENTSEG_TEST_REDIS_URL, INTENTSEG_TEST_RABBITMQ_URL). With CI=true an unreachable
broker fails the test; elsewhere it skips with the reason. Every test uses its own subject / stream / queue (a
uuid) and removes it afterwards.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pandas as pd
import pytest

from intentseg.config import Settings
from intentseg.features import build_features
from intentseg.generate import generate_events
from intentseg.pipeline import run
from intentseg.warehouse import connect
from tests.activate.conftest import NATS_URL, RABBITMQ_URL, REDIS_URL, jetstream, unreachable
from tests.conftest import isolated_url
from tests.pipeline.conftest import load_events
from tests.pipeline.test_run import fast_settings

#: recency is measured to a fixed time, so features of users touched in different batches equal a batch build
REFERENCE_TIME = "2026-12-01T00:00:00"
BASE_USERS = 60


def stream_settings(url: str) -> Settings:
    """Recency to a fixed time; no content interests (their columns follow the top sections of all events,
    which move as events arrive: docs/stream.md)."""
    s = Settings(warehouse=url)
    s.features.reference_time = REFERENCE_TIME
    s.interests.enabled = False
    return s


def with_run(url: str) -> str:
    """Events of BASE_USERS users loaded and one run (k=3); returns the run id."""
    events = generate_events(BASE_USERS, seed=1)
    events.article_views["article_id"] = events.article_views["article_id"].astype(str)  # text, as ingest stores it
    load_events(url, events)
    settings = fast_settings(url, k=3, n_init=1)
    settings.features.reference_time = REFERENCE_TIME
    settings.interests.enabled = False
    return run(settings=settings).run_id


@pytest.fixture
def duck_run(tmp_path) -> tuple[str, str]:
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    return url, with_run(url)


@pytest.fixture
def postgres_run(tmp_path) -> Iterator[tuple[str, str]]:
    with isolated_url("postgres", tmp_path) as url:
        yield url, with_run(url)


def event_messages(n_users: int = 80, seed: int = 2, per_source: int = 150) -> list[bytes]:
    """Events of users 1..n_users (BASE_USERS of them known to the run, the rest new) as JSON messages."""
    ev = generate_events(n_users, seed=seed)
    out = []
    for name in ("clickstream", "search_queries", "article_views"):
        for rec in getattr(ev, name).head(per_source).to_dict("records"):
            body = {"source": name}
            for k, v in rec.items():
                if v is None or (isinstance(v, float) and pd.isna(v)):
                    continue
                body[k] = v.isoformat() if isinstance(v, pd.Timestamp) else v
            out.append(json.dumps(body, default=str).encode())
    return out


BAD_MESSAGES = {
    b"not json at all": "malformed_row",
    b"[1, 2]": "malformed_row",
    b'{"source": "pageviews", "user_id": 1}': "unknown_source",
    b'{"user_id": 1, "timestamp": "2026-11-01T00:00:00Z"}': "unknown_source",
    b'{"source": "clickstream", "user_id": "", "timestamp": "2026-11-01T00:00:00Z", "url": "/a"}': "missing_user_id",
    b'{"source": "clickstream", "user_id": 7, "timestamp": "yesterday", "url": "/a"}': "invalid_timestamp",
    b'{"source": "article_views", "user_id": 7, "timestamp": "2026-11-01T00:00:00Z", "article_id": "a1", '
    b'"time_spent": -3}': "negative_time_spent",
    b'{"source": "search_queries", "user_id": "u7", "timestamp": "2026-11-01T00:00:00Z", "query": "x"}':
        "invalid_user_id",
}


# -- NATS ------------------------------------------------------------------------------------------------------
@pytest.fixture
def nats_subject() -> Iterator[str]:
    """A fresh subject with its own JetStream stream; deleted afterwards."""
    subject = f"intentseg.t.{uuid.uuid4().hex[:10]}"
    stream = subject.replace(".", "_")
    try:
        jetstream(lambda js: js.add_stream(name=stream, subjects=[subject]))
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable
        unreachable("nats", exc)
    yield subject
    jetstream(lambda js: js.delete_stream(stream))


def nats_publish(subject: str, messages: list[bytes]) -> None:
    async def pub(js):
        for m in messages:
            await js.publish(subject, m)

    jetstream(pub)


def nats_url(subject: str) -> str:
    return f"{NATS_URL}/{subject}"


# -- Redis and RabbitMQ ---------------------------------------------------------------------------------------------
@pytest.fixture
def redis_key() -> Iterator[str]:
    import redis

    name = f"intentseg-t-{uuid.uuid4().hex[:10]}"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001
        unreachable("redis", exc)
    yield name
    client.delete(name)
    client.close()


def redis_publish(key: str, messages: list[bytes]) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for m in messages:
        client.xadd(key, {"data": m})
    client.close()


@pytest.fixture
def rabbit_queue_name() -> Iterator[str]:
    import pika

    name = f"intentseg-t-{uuid.uuid4().hex[:10]}"
    try:
        conn = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    except Exception as exc:  # noqa: BLE001
        unreachable("rabbitmq", exc)
    conn.close()
    yield name
    conn = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    conn.channel().queue_delete(queue=name)
    conn.close()


def rabbit_publish(queue: str, messages: list[bytes]) -> None:
    import pika

    conn = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    ch = conn.channel()
    ch.queue_declare(queue, durable=True)
    for i, m in enumerate(messages):
        ch.basic_publish("", queue, m, pika.BasicProperties(message_id=f"m{i}", delivery_mode=2))
    conn.close()


def rabbit_from(queue: str) -> str:
    return f"{RABBITMQ_URL.rstrip('/').rsplit('/', 1)[0]}/{queue}"


# -- what the warehouse holds --------------------------------------------------------------------------------------
def batch_features(url: str) -> pd.DataFrame:
    """A batch build over every event in the warehouse (the reference the stream must equal)."""
    return build_features(url, stream_settings(url)).set_index("user_id").sort_index()


def table(url: str, name: str) -> pd.DataFrame:
    with connect(url) as wh:
        return wh.query(f"SELECT * FROM {wh.quote_table(name)}")
