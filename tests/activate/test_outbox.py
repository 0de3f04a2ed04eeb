"""The outbox on every engine: a run's events are exactly its history changes, written with them.

- two runs (k=2: every user enters; k=3: many move), then a third scoring fewer users (some exit): the
  events of each run equal the intervals it closed and opened in user_segment_history;
- a write-back that fails before its commit leaves no event (and no history change);
- kill -9 just before the commit (in a child process): no event; on MariaDB a kill between the history
  commit and the swap is rolled forward by the next run's repair, and the run keeps its events.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from intentseg.activate.outbox import event_payload
from intentseg.pipeline import run
from intentseg.runs import RUN_LOCK, recover
from intentseg.warehouse import connect
from intentseg.writeback import Tables
from tests.activate.conftest import N_USERS, two_runs
from tests.pipeline.test_run import fast_settings


def _expected(wh, run_id: str) -> dict:
    """user -> (kind, from (id, name) or None, to (id, name) or None), from the history a run wrote."""
    ts = pd.Timestamp(wh.scalar("SELECT written_at FROM segment_runs WHERE run_id = :r", {"r": run_id}))
    hist = wh.query("SELECT user_id, segment_id, segment_name, valid_from, valid_to, run_id FROM user_segment_history")
    closed = {r.user_id: (int(r.segment_id), r.segment_name) for r in hist.itertuples()
              if not pd.isna(r.valid_to) and pd.Timestamp(r.valid_to) == ts}
    opened = {r.user_id: (int(r.segment_id), r.segment_name) for r in hist.itertuples()
              if pd.Timestamp(r.valid_from) == ts and r.run_id == run_id}
    out = {}
    for user in set(closed) | set(opened):
        kind = "moved" if user in closed and user in opened else ("entered" if user in opened else "exited")
        out[int(user)] = (kind, closed.get(user), opened.get(user))
    return out


def _events(wh, run_id: str) -> dict:
    df = wh.query("SELECT * FROM segment_events WHERE run_id = :r", {"r": run_id})
    out = {}
    for row in df.to_dict("records"):
        e = event_payload(row)
        seg = [(s["id"], s["name"]) if s else None for s in (e["from_segment"], e["to_segment"])]
        assert e["user_id"] not in out, f"two events of user {e['user_id']} in run {run_id}"
        out[e["user_id"]] = (e["kind"], *seg)
    return out


def test_events_are_the_history_changes_of_each_run(runs_url):
    url, (first, second) = runs_url
    # a third run on fewer users: those left out exit their segment
    with connect(url) as wh:
        for source in ("clickstream", "search_queries", "article_views"):
            wh.execute(f"DELETE FROM {source} WHERE user_id > :n", {"n": N_USERS - 20})
    third = run(settings=fast_settings(url, k=3, n_init=1)).run_id
    with connect(url) as wh:
        by_run = {r: (_expected(wh, r), _events(wh, r)) for r in (first, second, third)}
        ids = wh.query("SELECT event_id FROM segment_events")["event_id"]
        times = wh.query("SELECT e.occurred_at, r.written_at FROM segment_events e JOIN segment_runs r "
                         "ON r.run_id = e.run_id")
    for run_id, (expected, events) in by_run.items():
        assert events == expected, run_id
    kinds = {r: {k for k, *_ in ev.values()} for r, (_x, ev) in by_run.items()}
    assert kinds[first] == {"entered"} and len(by_run[first][1]) == N_USERS
    assert "moved" in kinds[second]
    assert "exited" in kinds[third]
    assert ids.is_unique and ids.str.fullmatch(r"[0-9a-f]{32}").all()
    assert (pd.to_datetime(times["occurred_at"]) == pd.to_datetime(times["written_at"])).all()


def test_a_write_back_that_fails_before_its_commit_leaves_no_event(runs_url):
    url, (_first, second) = runs_url
    with connect(url) as wh:
        before = wh.query("SELECT event_id FROM segment_events ORDER BY event_id")
        history = wh.row_count("user_segment_history")

    def tracer(sql, params):  # the last statement of the write-back's transaction: events are in by now
        if "written_at" in sql and sql.startswith("UPDATE"):
            raise RuntimeError("the warehouse went away")

    with pytest.raises(RuntimeError):
        run(settings=fast_settings(url, k=2, n_init=1), tracer=tracer)
    with connect(url) as wh:
        assert wh.query("SELECT event_id FROM segment_events ORDER BY event_id").equals(before)
        assert wh.row_count("user_segment_history") == history
        failed = wh.query("SELECT run_id FROM segment_runs WHERE status = 'failed'")["run_id"].tolist()
        assert len(failed) == 1
        assert wh.scalar("SELECT COUNT(*) FROM segment_events WHERE run_id = :r", {"r": failed[0]}) == 0


CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from intentseg.config import Settings
    from intentseg.pipeline import run

    url, start, word = sys.argv[1], sys.argv[2], sys.argv[3]

    def tracer(sql, params):
        if sql.startswith(start) and word in sql:
            os.kill(os.getpid(), signal.SIGKILL)

    settings = Settings(warehouse=url)
    settings.segment.k, settings.segment.n_init = 2, 1
    run(settings=settings, tracer=tracer)
    """
)


def _kill_child(url: str, start: str, word: str, tmp_path: Path) -> str:
    """Run the pipeline in a child killed (SIGKILL) just before the first statement that starts with
    ``start`` and holds ``word``; returns the killed run's id."""
    with connect(url) as wh:
        known = set(wh.query("SELECT run_id FROM segment_runs")["run_id"])
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    child = subprocess.run([sys.executable, str(script), url, start, word], env=env, capture_output=True, text=True,
                           timeout=300)
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    with connect(url) as wh:
        return (set(wh.query("SELECT run_id FROM segment_runs")["run_id"]) - known).pop()


@pytest.mark.slow
def test_kill_9_before_the_commit_leaves_no_event(runs_url, tmp_path):
    url, _runs = runs_url
    with connect(url) as wh:
        before = wh.row_count("segment_events")
    killed = _kill_child(url, "UPDATE", "written_at", tmp_path)  # the last statement before the commit
    time.sleep(0.5)  # let a server notice the dropped connection and roll back
    with connect(url) as wh:
        assert wh.scalar("SELECT COUNT(*) FROM segment_events WHERE run_id = :r", {"r": killed}) == 0
        assert wh.row_count("segment_events") == before
    after = run(settings=fast_settings(url, k=2, n_init=1)).run_id  # the next run writes its own events
    with connect(url) as wh:
        assert _events(wh, after) == _expected(wh, after) != {}


@pytest.mark.slow
def test_mariadb_run_rolled_forward_by_the_repair_keeps_its_events(tmp_path):
    from tests.conftest import isolated_url

    with isolated_url("mysql", tmp_path) as url:
        two_runs(url)
        killed = _kill_child(url, "RENAME TABLE", "user_segments", tmp_path)  # history (and events) committed, swap not done
        with connect(url) as wh:
            events = _events(wh, killed)
            assert events and events == _expected(wh, killed)
            with wh.run_lock(RUN_LOCK):
                found = recover(Tables(wh, fast_settings(url).output))
            assert "swapped in" in (found.repaired or "")
            assert _events(wh, killed) == events
            assert set(wh.query("SELECT run_id FROM user_segments")["run_id"]) == {killed}

