"""kill -9 at each statement of the write-back, on every engine and on both scoring paths.

A child process runs the real pipeline with a ``tracer=`` that counts the statements of the write-back
(from the ``CREATE TABLE`` of the run's staging table to the end of the run) and kills its own process
(SIGKILL: no clean-up runs) just before statement N. For every N:

- the tables readers see hold the previous run's results or the killed run's, whole, never a mix (the
  child fits k=3 where the runs around it fit k=2, so its results differ for many users); on
  MariaDB, whose ``RENAME TABLE`` cannot join the history transaction, a kill between the two is the one
  mix allowed, and the clean-up the next run does first (``runs.recover``) must repair it;
- that clean-up marks the killed run ``interrupted`` and drops its staging table;
- the next run succeeds, leaving every user's open history interval equal to its ``user_segments`` row.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from intentseg.generate import generate_events
from intentseg.pipeline import run
from intentseg.runs import RUN_LOCK, recover
from intentseg.warehouse import connect
from intentseg.writeback import Tables
from tests.pipeline.conftest import load_events
from tests.pipeline.test_run import fast_settings

N_USERS = 200
#: the statement that opens the write-back: the run's own staging table of user_segments
STARTS_WRITEBACK = "user_segments__staging_"

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from intentseg.config import Settings
    from intentseg.pipeline import run

    url, kill_at, in_warehouse = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "warehouse"
    seen = []

    def tracer(sql, params):
        if not seen and not (sql.startswith("CREATE TABLE") and "user_segments__staging_" in sql):
            return
        seen.append(sql)
        if len(seen) == kill_at:
            sys.stdout.write(f"killed before: {sql[:200]}\\n")
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    settings = Settings(warehouse=url)
    settings.segment.k, settings.segment.n_init = 3, 1  # 3 where the runs around it use 2: users move
    if in_warehouse:
        settings.segment.in_warehouse_above = 50
    run(settings=settings, tracer=tracer)
    print(f"completed after {len(seen)} write-back statements")
    """
)


def _settings(url: str, path: str, k: int = 2):
    s = fast_settings(url, k=k, n_init=1)
    if path == "warehouse":
        s.segment.in_warehouse_above = 50  # 200 users: fitted on a sample, scored by SQL into staging
    return s


def _writeback_statements(url: str, path: str) -> list[str]:
    """The write-back statements of one run, as the child's tracer counts them."""
    seen: list[str] = []

    def tracer(sql, params):
        if seen or (sql.startswith("CREATE TABLE") and STARTS_WRITEBACK in sql):
            seen.append(sql)

    run(settings=_settings(url, path, k=3), tracer=tracer)  # as the child runs
    run(settings=_settings(url, path))  # back to the state the kills start from
    return seen


def _state(url: str) -> dict:
    """What readers see: user_segments and user_segment_history rows (open intervals: valid_to None)."""
    def text(v):
        return None if v is None or pd.isna(v) else str(v)

    with connect(url) as wh:
        segments = wh.query("SELECT user_id, segment_id, segment_name, run_id FROM user_segments ORDER BY user_id")
        history = wh.query("SELECT user_id, segment_id, segment_name, valid_from, valid_to, run_id "
                           "FROM user_segment_history ORDER BY user_id, valid_from")
    return {
        "segments": [[text(v) for v in row] for row in segments.itertuples(index=False)],
        "history": [[text(v) for v in row] for row in history.itertuples(index=False)],
    }


def _whole(state: dict, before: dict, killed: str, n_users: int) -> str | None:
    """'previous' or 'new' when ``state`` is one of them, whole; None for a mix."""
    if state == before:
        return "previous"
    segments, history = state["segments"], state["history"]
    open_rows = [[u, s, n] for u, s, n, _f, to, _r in history if to is None]
    closed_before = [r for r in before["history"] if r[4] is not None]
    if (
        len(segments) == n_users
        and {r[3] for r in segments} == {killed}
        and open_rows == [r[:3] for r in segments]  # each user's one open interval is its current row
        and all(r in history for r in closed_before)  # history only grows
    ):
        return "new"
    return None


@pytest.mark.slow  # a child process per statement: about 6 s each on a loaded machine
@pytest.mark.parametrize("path", ["python", "warehouse"])
def test_kill_9_at_each_writeback_statement(engine, warehouse_url, tmp_path, path):
    url = warehouse_url
    load_events(url, generate_events(N_USERS, seed=5))
    run(settings=_settings(url, path))  # the previous state every kill starts from
    statements = _writeback_statements(url, path)
    assert len(statements) >= 8, statements  # staging, history close/open, profiles, marker, swap, finish

    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    outcomes = {}
    for n, statement in enumerate(statements, start=1):
        where = f"kill before write-back statement {n}/{len(statements)}: {statement[:120]}"
        before = _state(url)
        with connect(url) as wh:
            known = set(wh.query("SELECT run_id FROM segment_runs")["run_id"])
        child = subprocess.run([sys.executable, str(script), url, str(n), path], env=env,
                               capture_output=True, text=True, timeout=300)
        assert child.returncode == -signal.SIGKILL, f"{where}: the child was not killed:\n{child.stdout}{child.stderr[-2000:]}"

        with connect(url) as wh:
            runs = wh.query("SELECT run_id, status FROM segment_runs")
            killed = (set(runs["run_id"]) - known).pop()
            tables = Tables(wh, _settings(url, path).output)
            raw = _state(url)
            raw_kind = _whole(raw, before, killed, N_USERS)
            if wh.transactional_ddl:
                assert raw_kind, f"{where}: readers see a mix of two runs"
            finished = runs.set_index("run_id")["status"][killed] == "ok"  # killed after its last UPDATE
            # what the next run does first, under the lock
            with wh.run_lock(RUN_LOCK):
                found = recover(tables)
            assert found.interrupted == ([] if finished else [killed]), where
            assert not [t for t in wh.tables() if "__staging_" in t or "__old_" in t], where
            status = wh.query("SELECT status FROM segment_runs WHERE run_id = :r", {"r": killed})["status"].iloc[0]
        assert status == ("ok" if finished else "interrupted"), where
        kind = _whole(_state(url), before, killed, N_USERS)
        assert kind, f"{where}: still a mix after the next run's repair"
        if raw_kind is None:
            assert found.repaired, f"{where}: a mix the repair did not report"
        if statement.startswith("RENAME TABLE"):  # MariaDB: history committed, swap not done
            assert raw_kind is None and "swapped in" in (found.repaired or ""), f"{where}: {found}"
        outcomes[n] = kind

        after = run(settings=_settings(url, path))  # the next run succeeds on what was left
        final = _state(url)
        assert {r[3] for r in final["segments"]} == {after.run_id}, where
        assert [r[:3] for r in final["history"] if r[4] is None] == [r[:3] for r in final["segments"]], where
        with connect(url) as wh:
            assert "running" not in set(wh.query("SELECT status FROM segment_runs")["status"]), where

    # both outcomes happen: kills before the commit keep the previous state, kills after it keep the new
    assert outcomes[1] == "previous" and outcomes[len(statements)] == "new", outcomes
