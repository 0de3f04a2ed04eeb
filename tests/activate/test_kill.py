"""kill -9 during delivery loses nothing: a consumer deduping on event id sees every change exactly once.

A child ``python -m intentseg deliver --follow`` (paced at 60 events/s, batches of 10) is killed with
SIGKILL once the destination holds some but not all events; a new ``deliver --once`` then finishes. At the
consumer (the real RabbitMQ queue, Redis stream, NATS stream, or a local webhook) every outbox event id is
present, none unknown, and only the batch in flight at the kill may come twice. Also ``run --deliver``
killed while delivering the run it just wrote: the next ``deliver`` sends the rest.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from intentseg.warehouse import connect
from tests.activate.conftest import (
    nats_count,
    nats_messages,
    rabbit_count,
    rabbit_messages,
    redis_count,
    redis_entries,
)

BATCH = 10
SECRET_ENV = "TEST_KILL_HOOK_SECRET"
pytestmark = pytest.mark.slow


def _config(tmp_path: Path, destination: str) -> Path:
    path = tmp_path / "intentseg.toml"
    path.write_text(f"[segment]\nk = 2\nn_init = 1\n[deliver]\nbatch_size = {BATCH}\npoll_s = 0.2\n"
                    f"[deliver.destinations.d]\n{destination}\nmax_events_per_s = 60\n")
    return path


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src"), SECRET_ENV: "kill-test-secret"}


def _kill_when(child: subprocess.Popen, count, at_least: int, timeout_s: float = 120) -> int:
    """SIGKILL ``child`` once ``count()`` reaches ``at_least``; returns the count just after the kill."""
    deadline = time.monotonic() + timeout_s
    while count() < at_least:
        assert child.poll() is None, f"the child ended before the kill: {child.stderr.read() if child.stderr else ''}"
        assert time.monotonic() < deadline, "the child delivered too little in time"
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    return count()


def _finish(url: str, config: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "intentseg", "deliver", "--warehouse", url, "--config", str(config)],
                          env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def _check(url: str, seen: list[str]) -> None:
    """Every outbox event arrived; none unknown; at most the batch in flight twice; all marked delivered."""
    with connect(url) as wh:
        outbox = set(wh.query("SELECT event_id FROM segment_events")["event_id"].astype(str))
        status = wh.query("SELECT status, COUNT(*) AS n FROM segment_deliveries GROUP BY status")
    counts = Counter(seen)
    assert set(counts) == outbox  # deduped on event id: each change exactly once
    twice = [e for e, n in counts.items() if n > 1]
    assert len(twice) <= BATCH and max(counts.values()) <= 2, twice
    assert status.values.tolist() == [["delivered", len(outbox)]]


def _destination(kind: str, fixture) -> tuple[str, callable, callable]:
    """(the TOML of the destination, count(), every event id seen)."""
    if kind == "rabbitmq":
        url, queue = fixture
        return (f'type = "rabbitmq"\nurl = "{url}"\nqueue = "{queue}"', lambda: rabbit_count(url, queue),
                lambda: [p.message_id for p, _ in rabbit_messages(url, queue)])
    if kind == "redis":
        url, stream = fixture
        return (f'type = "redis"\nurl = "{url}"\nstream = "{stream}"', lambda: redis_count(url, stream),
                lambda: [e[b"event_id"].decode() for e in redis_entries(url, stream)])
    if kind == "nats":
        url, stream, subject = fixture
        # JetStream drops a republished id itself; count raw deliveries in the stream all the same
        return (f'type = "nats"\nurl = "{url}"\nstream = "{stream}"\nsubject = "{subject}"', lambda: nats_count(stream),
                lambda: [m.headers["Nats-Msg-Id"] for m in nats_messages(stream, subject)])
    receiver = fixture
    return (f'type = "webhook"\nurl = "{receiver.url}"\nsecret_env = "{SECRET_ENV}"', lambda: len(receiver.requests),
            lambda: [json.loads(r["body"])["event_id"] for r in receiver.requests])


FIXTURE = {"rabbitmq": "rabbit_queue", "redis": "redis_stream", "nats": "nats_stream", "webhook": "receiver"}


@pytest.mark.parametrize("kind", ["webhook", "rabbitmq", "redis", "nats"])
def test_kill_9_during_deliver_then_restart_delivers_every_event_once_after_dedupe(duck_runs, tmp_path, kind,
                                                                                     request):
    url, _ = duck_runs
    with connect(url) as wh:
        total = wh.row_count("segment_events")
    toml, count, seen = _destination(kind, request.getfixturevalue(FIXTURE[kind]))
    config = _config(tmp_path, toml)
    child = subprocess.Popen([sys.executable, "-m", "intentseg", "deliver", "--warehouse", url, "--config",
                              str(config), "--follow"], env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        at_kill = _kill_when(child, count, total // 3)
    finally:
        if child.poll() is None:
            child.kill()
    assert at_kill < total  # killed mid-delivery
    _finish(url, config)
    _check(url, seen())


def test_kill_9_of_run_deliver_while_delivering_its_events(duck_runs, tmp_path, receiver):
    url, _ = duck_runs
    toml, count, seen = _destination("webhook", receiver)
    config = _config(tmp_path, toml)
    child = subprocess.Popen([sys.executable, "-m", "intentseg", "run", "--warehouse", url, "--config", str(config),
                              "--deliver"], env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _kill_when(child, count, 30, timeout_s=240)
    finally:
        if child.poll() is None:
            child.kill()
    with connect(url) as wh:
        runs = wh.query("SELECT run_id, status FROM segment_runs ORDER BY started_at")
        total = wh.row_count("segment_events")
    assert runs["status"].tolist()[-1] == "ok"  # the run finished; its delivery was killed
    assert count() < total
    _finish(url, config)
    _check(url, seen())
