"""RabbitMQ, Redis Streams and NATS JetStream destinations against the real brokers on this machine.

Each test delivers two runs' events to its own queue / stream / subject and reads them back: every outbox
event arrives once, with the event id where consumers dedupe on it (AMQP ``message_id``, the stream
entry's ``event_id`` field, the ``Nats-Msg-Id`` header), persistent where the broker has the notion. An
unreachable broker leaves events pending with the error recorded, and they go once the broker is back.
Two deliverers at once on PostgreSQL and MariaDB (row locks, ``FOR UPDATE SKIP LOCKED``) share the work
and send each event once.
"""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest

from intentseg.activate.deliver import deliver
from intentseg.warehouse import connect
from tests.activate.conftest import (
    nats_messages,
    rabbit_messages,
    redis_entries,
    two_runs,
    with_destination,
)
from tests.conftest import isolated_url


def _outbox_ids(url: str) -> list[str]:
    with connect(url) as wh:
        return sorted(wh.query("SELECT event_id FROM segment_events")["event_id"].astype(str))


def test_rabbitmq_gets_each_event_once_persistent_with_its_message_id(duck_runs, rabbit_queue):
    url, _ = duck_runs
    amqp, queue = rabbit_queue
    report = deliver(with_destination(url, "mq", type="rabbitmq", url=amqp, queue=queue))
    messages = rabbit_messages(amqp, queue)
    assert sorted(p.message_id for p, _ in messages) == _outbox_ids(url)
    assert report.destinations[0].delivered == len(messages)
    for props, body in messages:
        event = json.loads(body)
        assert props.message_id == event["event_id"] and props.type == event["kind"]
        assert props.delivery_mode == 2 and props.content_type == "application/json"
    assert "guest:guest" not in report.destinations[0].where  # the password is not shown


def test_redis_stream_gets_each_event_once_with_its_event_id(duck_runs, redis_stream):
    url, _ = duck_runs
    redis_url, stream = redis_stream
    deliver(with_destination(url, "rs", type="redis", url=redis_url, stream=stream))
    entries = redis_entries(redis_url, stream)
    assert sorted(e[b"event_id"].decode() for e in entries) == _outbox_ids(url)
    for e in entries:
        event = json.loads(e[b"event"])
        assert event["event_id"] == e[b"event_id"].decode() and event["kind"] == e[b"kind"].decode()


def test_nats_jetstream_gets_each_event_once_with_nats_msg_id(duck_runs, nats_stream):
    url, _ = duck_runs
    nats_url, stream, subject = nats_stream
    settings = with_destination(url, "js", type="nats", url=nats_url, stream=stream, subject=subject)
    deliver(settings)
    messages = nats_messages(stream, subject)
    assert sorted(m.headers["Nats-Msg-Id"] for m in messages) == _outbox_ids(url)
    for m in messages:
        assert json.loads(m.data)["event_id"] == m.headers["Nats-Msg-Id"] and m.subject == subject
    # JetStream itself drops a second publish of the same ids (its duplicate window): mark them pending again
    with connect(url) as wh:
        wh.execute("UPDATE segment_deliveries SET status = 'pending', attempts = 0")
    again = deliver(settings)
    assert again.destinations[0].delivered == len(messages)
    assert len(nats_messages(stream, subject)) == len(messages)


@pytest.mark.parametrize("broker", ["rabbitmq", "redis", "nats"])
def test_an_unreachable_broker_leaves_events_pending_until_it_is_back(duck_runs, broker, request):
    url, _ = duck_runs
    down = {"rabbitmq": "amqp://guest:guest@127.0.0.1:1/%2F", "redis": "redis://127.0.0.1:1/0",
            "nats": "nats://127.0.0.1:1"}[broker]
    target = {"rabbitmq": "rabbit_queue", "redis": "redis_stream", "nats": "nats_stream"}[broker]
    live = request.getfixturevalue(target)
    where = {"rabbitmq": lambda: {"queue": live[1]}, "redis": lambda: {"stream": live[1]},
             "nats": lambda: {"stream": live[1], "subject": live[2]}}[broker]()
    first = deliver(with_destination(url, "b", type=broker, url=down, timeout_s=2, **where)).destinations[0]
    n = len(_outbox_ids(url))
    assert first.delivered == 0 and first.retrying == n and first.status == {"pending": n}
    assert first.last_error and "guest:guest" not in first.last_error
    with connect(url) as wh:
        wh.execute("UPDATE segment_deliveries SET next_attempt_at = :t", {"t": dt.datetime(2000, 1, 1)})  # due now
    back = deliver(with_destination(url, "b", type=broker, url=live[0], **where)).destinations[0]
    assert back.delivered == n and back.status == {"delivered": n}
    with connect(url) as wh:
        rows = wh.query("SELECT attempts, last_error FROM segment_deliveries")
    assert (rows["attempts"] == 2).all() and rows["last_error"].isna().all()


@pytest.mark.db
@pytest.mark.parametrize("engine_name", ["mysql", "postgres"])
def test_two_deliverers_at_once_share_the_work_and_send_each_event_once(engine_name, redis_stream, tmp_path):
    redis_url, stream = redis_stream
    with isolated_url(engine_name, tmp_path) as url:
        two_runs(url)
        settings = with_destination(url, "rs", type="redis", url=redis_url, stream=stream, max_events_per_s=400)
        settings.deliver.batch_size = 5
        reports: list = []
        errors: list = []

        def one() -> None:
            try:
                reports.append(deliver(settings))
            except Exception as exc:  # noqa: BLE001 - re-raised below, in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=one) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors, errors
        ids = sorted(e[b"event_id"].decode() for e in redis_entries(redis_url, stream))
        assert ids == _outbox_ids(url)  # each event once: no batch was claimed twice
        delivered = [r.destinations[0].delivered for r in reports]
        assert sum(delivered) == len(ids) and min(delivered) > 0, delivered  # both took a share


def test_rabbitmq_messages_no_queue_takes_fail_and_stay_pending(duck_runs, rabbit_queue):
    """An exchange with no queue bound: every message comes back (``mandatory``) and its event is not counted
    as delivered; once a queue is bound, the retry delivers them all."""
    import pika

    url, _ = duck_runs
    amqp, queue = rabbit_queue
    exchange = f"{queue}-x"
    conn = pika.BlockingConnection(pika.URLParameters(amqp))
    channel = conn.channel()
    channel.exchange_declare(exchange, exchange_type="direct", durable=False, auto_delete=False)
    try:
        settings = with_destination(url, "mq", type="rabbitmq", url=amqp, exchange=exchange, queue=queue)
        first = deliver(settings).destinations[0]
        n = len(_outbox_ids(url))
        assert first.delivered == 0 and first.status == {"pending": n}
        assert "unroutable" in (first.last_error or "")
        channel.queue_declare(queue, durable=True)
        channel.queue_bind(queue, exchange, routing_key=queue)
        with connect(url) as wh:
            wh.execute("UPDATE segment_deliveries SET next_attempt_at = :t", {"t": dt.datetime(2000, 1, 1)})
        back = deliver(settings).destinations[0]
        assert back.delivered == n and sorted(p.message_id for p, _ in rabbit_messages(amqp, queue)) == _outbox_ids(url)
    finally:
        channel.exchange_delete(exchange)
        conn.close()
