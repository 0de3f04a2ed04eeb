"""intentseg stream against the real brokers: events in, features and segments of the touched users equal to a
batch build and to ``predict``, membership changes in the outbox, bad messages quarantined, counts adding up."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from intentseg.model.results import assignments_of
from intentseg.model.segmenter import Segmenter
from intentseg.stream import consume, parse_url
from intentseg.stream.brokers import RabbitSource, RedisSource
from intentseg.warehouse import connect
from intentseg.writeback import Tables

from .conftest import (
    BAD_MESSAGES,
    batch_features,
    event_messages,
    nats_publish,
    nats_url,
    rabbit_from,
    rabbit_publish,
    redis_publish,
    stream_settings,
    table,
)


def memberships_before(url: str) -> pd.DataFrame:
    return table(url, "user_segments").set_index("user_id")


def assert_applied(url: str, run_id: str, before: pd.DataFrame) -> pd.DataFrame:
    """Features of every user equal a batch build; touched users scored as predict scores them; history and
    outbox hold exactly the changes. Returns the users' new memberships."""
    expected = batch_features(url)
    got = table(url, "user_features").set_index("user_id").sort_index()
    assert list(got.index) == list(expected.index)  # new users added, none lost
    pd.testing.assert_frame_equal(got[expected.columns], expected, check_dtype=False, atol=1e-9)
    with connect(url) as wh:
        model = Segmenter.from_dict(Tables(wh, stream_settings(url).output).run(run_id)["model"])
    want = assignments_of(model, expected.reset_index()).set_index("user_id").sort_index()
    now = memberships_before(url).sort_index()
    assert set(now["run_id"]) == {run_id}
    assert (now["segment_id"] == want["segment_id"]).all() and np.allclose(now["distance"], want["distance"])
    hist = table(url, "user_segment_history")
    open_ = hist[hist["valid_to"].isna()].set_index("user_id").sort_index()
    assert list(open_.index) == list(now.index)  # one open interval per user ...
    assert (open_["segment_id"] == now["segment_id"]).all()  # ... on the current segment
    changed = {u for u in now.index if u not in before.index or before.loc[u, "segment_id"] != now.loc[u, "segment_id"]}
    events = table(url, "segment_events")
    streamed = events[events["occurred_at"] > before["scored_at"].max()]
    assert set(streamed["user_id"]) == changed
    assert set(streamed["kind"]) <= {"entered", "moved"}
    assert streamed["event_id"].is_unique
    return now


def test_nats_events_update_features_segments_and_outbox(duck_run, nats_subject):
    url, run_id = duck_run
    before = memberships_before(url)
    messages = event_messages()
    nats_publish(nats_subject, messages)
    report = consume(stream_settings(url), nats_url(nats_subject), max_batch=100, idle_exit_s=1)
    assert report.received == len(messages) and report.accepted == len(messages)
    assert report.batches >= len(messages) // 100 and report.run_id == run_id
    now = assert_applied(url, run_id, before)
    assert len(now) > len(before)  # users first seen in the stream got a segment
    point = table(url, "intentseg_stream_checkpoints").iloc[0]
    assert point["stream"] == parse_url(nats_url(nats_subject)).shown
    assert int(point["line"]) == len(messages) and int(point["received"]) == len(messages)


def test_postgres_applies_the_same(postgres_run, nats_subject):
    url, run_id = postgres_run
    before = memberships_before(url)
    messages = event_messages(per_source=60)
    nats_publish(nats_subject, messages)
    report = consume(stream_settings(url), nats_url(nats_subject), max_batch=50, idle_exit_s=1)
    assert report.accepted == len(messages)
    assert_applied(url, run_id, before)


def test_bad_messages_are_quarantined_with_reason_and_counts_add_up(duck_run, nats_subject):
    url, _ = duck_run
    good = event_messages(per_source=20)
    repeat = [json.dumps({"source": "clickstream", "event_id": "e-1", "user_id": 3,
                          "timestamp": "2026-11-20T10:00:00Z", "url": "/x"}).encode()] * 2
    messages = good + list(BAD_MESSAGES) + repeat
    nats_publish(nats_subject, messages)
    report = consume(stream_settings(url), nats_url(nats_subject), max_batch=1000, idle_exit_s=1)
    expected: dict[str, int] = {}
    for why in BAD_MESSAGES.values():
        expected[why] = expected.get(why, 0) + 1
    expected["duplicate"] = 1  # the same producer event id twice in one batch, as ingest quarantines it
    assert report.quarantined == expected
    assert report.accepted == len(good) + 1
    assert report.received == report.accepted + report.already_loaded + sum(report.quarantined.values())
    found: dict[str, int] = {}
    raws = []
    for name in ("intentseg_stream_quarantine", "clickstream_quarantine", "search_queries_quarantine",
                 "article_views_quarantine"):
        q = table(url, name)
        for why in q["reason"]:
            found[why] = found.get(why, 0) + 1
        raws += list(q["raw"])
    assert found == expected  # every bad message once, in a table, with its reason ...
    assert any("not json at all" in r for r in raws) and any("pageviews" in r for r in raws)  # ... and its raw text
    assert table(url, "clickstream").query("event_id == 'e-1'").shape[0] == 1  # the producer's id is the event id
    # The same messages again (a producer retrying): events already loaded, bad ones quarantined once.
    nats_publish(nats_subject, good + repeat[:1])
    again = consume(stream_settings(url), nats_url(nats_subject), max_batch=1000, idle_exit_s=1)
    assert again.received == len(good) + 1 and again.accepted == 0 and again.already_loaded == len(good) + 1


def test_no_run_yet_loads_events_and_waits_for_the_first_run(tmp_path, nats_subject):
    url = f"duckdb:///{tmp_path / 'empty.duckdb'}"
    messages = event_messages(per_source=10)
    nats_publish(nats_subject, messages)
    report = consume(stream_settings(url), nats_url(nats_subject), idle_exit_s=1)
    assert report.accepted == len(messages) and report.users_scored == 0 and report.run_id is None
    assert sum(len(table(url, s)) for s in ("clickstream", "search_queries", "article_views")) == len(messages)


def test_redis_stream_applies_pending_entries_of_a_dead_consumer_once(duck_run, redis_key):
    from tests.activate.conftest import REDIS_URL

    url, run_id = duck_run
    before = memberships_before(url)
    messages = event_messages(per_source=40)
    redis_publish(redis_key, messages)
    source = f"{REDIS_URL.rstrip('/')}/{redis_key}"
    dead = RedisSource(parse_url(source))  # a consumer that read 50 entries and died before acknowledging
    assert len(dead.fetch(50, 0.5)) == 50
    dead.close()
    report = consume(stream_settings(url), source, max_batch=70, idle_exit_s=1)
    assert report.received == len(messages) == report.accepted
    assert_applied(url, run_id, before)
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    assert client.xpending(redis_key, parse_url(source).durable)["pending"] == 0  # all acknowledged
    client.close()


def test_rabbitmq_redelivered_messages_change_nothing(duck_run, rabbit_queue_name):
    url, run_id = duck_run
    before = memberships_before(url)
    messages = event_messages(per_source=40) + list(BAD_MESSAGES)[:2]
    rabbit_publish(rabbit_queue_name, messages)
    source = rabbit_from(rabbit_queue_name)
    first = consume(stream_settings(url), source, max_batch=50, stop_after=50)
    dead = RabbitSource(parse_url(source), max_batch=30)  # takes 30 messages, dies without acknowledging
    assert len(dead.fetch(30, 1.0)) == 30
    dead.close()
    rest = consume(stream_settings(url), source, max_batch=40, idle_exit_s=1)
    assert first.received + rest.received == len(messages)
    assert first.accepted + rest.accepted == len(messages) - 2
    assert sum(first.quarantined.values()) + sum(rest.quarantined.values()) == 2
    assert len(table(url, "intentseg_stream_quarantine")) == 2
    assert_applied(url, run_id, before)


def test_batches_stay_within_max_batch_and_the_broker_keeps_the_rest(duck_run, nats_subject):
    url, _ = duck_run
    messages = event_messages(per_source=30)
    nats_publish(nats_subject, messages)
    sizes: list[int] = []
    seen = [0]

    def on_batch(report) -> None:
        sizes.append(report.received - seen[0])
        seen[0] = report.received

    report = consume(stream_settings(url), nats_url(nats_subject), max_batch=25, max_wait_ms=50, stop_after=50,
                     on_batch=on_batch)
    assert report.received == 50 and max(sizes) <= 25  # in flight: one batch of at most --max-batch
    rest = consume(stream_settings(url), nats_url(nats_subject), max_batch=1000, idle_exit_s=1)
    assert rest.received == len(messages) - 50 and rest.replayed == 0  # the rest waited in the broker, once


@pytest.mark.db
def test_mariadb_is_refused_with_the_fix(tmp_path):
    from intentseg.config import Settings
    from intentseg.errors import ConfigError
    from intentseg.stream import Applier
    from tests.conftest import isolated_url

    with isolated_url("mysql", tmp_path) as url, connect(url) as wh, pytest.raises(ConfigError, match="PostgreSQL"):
        Applier(wh, Settings(warehouse=url), "nats://127.0.0.1:4222/x")


@pytest.mark.parametrize("broker", ["nats", "redis"])
def test_a_batch_committed_but_not_acknowledged_is_not_applied_again(broker, duck_run, request, monkeypatch):
    """The process dies between the commit and the ack: the restart must not count that batch twice."""
    from intentseg.stream import brokers
    from tests.activate.conftest import REDIS_URL

    url, _ = duck_run
    messages = event_messages(per_source=20)
    if broker == "nats":
        subject = request.getfixturevalue("nats_subject")
        nats_publish(subject, messages)
        source, cls = nats_url(subject), brokers.NatsSource
    else:
        key = request.getfixturevalue("redis_key")
        redis_publish(key, messages)
        source, cls = f"{REDIS_URL.rstrip('/')}/{key}", brokers.RedisSource

    def die(self, batch):
        raise KeyboardInterrupt  # after the commit, before the broker hears of it

    with monkeypatch.context() as m:
        m.setattr(cls, "ack", die)
        with pytest.raises(KeyboardInterrupt):
            consume(stream_settings(url), source, max_batch=20, idle_exit_s=1)
    rest = consume(stream_settings(url), source, max_batch=1000, idle_exit_s=1)
    point = table(url, "intentseg_stream_checkpoints").iloc[0]
    assert int(point["received"]) == len(messages) == int(point["accepted"])  # each message counted once
    assert rest.received == len(messages) - 20
    assert rest.replayed == (20 if broker == "redis" else 0)  # Redis re-reads its pending entries: acked, not applied
    streamed = [table(url, s)["event_id"].dropna() for s in ("clickstream", "search_queries", "article_views")]
    assert sum(len(ids) for ids in streamed) == len(messages) and all(ids.is_unique for ids in streamed)
