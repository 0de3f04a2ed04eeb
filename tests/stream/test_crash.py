"""kill -9 of the consumer process mid-stream, then a restart: every event applied exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from intentseg.stream import parse_url

from .conftest import REFERENCE_TIME, event_messages, jetstream, nats_publish, nats_url, table
from .test_stream import assert_applied, memberships_before

ENV = {**os.environ, "INTENTSEG_FEATURES__REFERENCE_TIME": f"\"{REFERENCE_TIME}\"", "INTENTSEG_INTERESTS__ENABLED": "false",
       "OMP_NUM_THREADS": "1"}


def stream_process(source: str, url: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "intentseg", "stream", "--from", source, "--warehouse", url,
                             "--max-batch", "40", "--max-wait-ms", "50", *extra], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def acked(subject: str) -> int:
    """The consumer's acknowledgement floor (stream sequence): how far batches are committed and acknowledged."""
    durable = parse_url(nats_url(subject)).durable

    async def info(js):
        try:
            return (await js.consumer_info(subject.replace(".", "_"), durable)).ack_floor.stream_seq
        except Exception:  # noqa: BLE001 - not created yet
            return 0

    return int(jetstream(info) or 0)


@pytest.mark.slow
def test_kill_9_mid_stream_then_restart_applies_every_event_once(duck_run, nats_subject):
    url, run_id = duck_run
    before = memberships_before(url)
    base = {s: len(table(url, s)) for s in ("clickstream", "search_queries", "article_views")}
    messages = event_messages(n_users=120, seed=3, per_source=400)
    nats_publish(nats_subject, messages)
    source = nats_url(nats_subject)
    first = stream_process(source, url, "--idle-exit", "30")
    deadline = time.monotonic() + 120
    while acked(nats_subject) < 200 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.05)
    assert first.poll() is None, first.stderr.read().decode() if first.stderr else ""
    first.send_signal(signal.SIGKILL)  # mid-stream: some batches committed, one maybe half-done
    first.wait(30)
    killed_at = acked(nats_subject)
    assert 200 <= killed_at < len(messages)
    second = stream_process(source, url, "--idle-exit", "2", "--json")
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err.decode()
    # Exactly once: every message counted once in the checkpoint, every event stored once.
    point = table(url, "intentseg_stream_checkpoints").iloc[0]
    assert int(point["received"]) == len(messages) == int(point["accepted"])
    assert int(point["line"]) == len(messages)
    for name, n in base.items():
        events = table(url, name)
        streamed = events[events["event_id"].notna()]
        assert streamed["event_id"].is_unique
        assert len(events) == n + sum(1 for m in messages if f'"source": "{name}"' in m.decode())
    assert_applied(url, run_id, before)  # features equal a batch build over the same events
