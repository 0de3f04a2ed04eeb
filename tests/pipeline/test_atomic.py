"""Write-back is atomic: a run killed mid-write leaves the previous segments intact (kill -9, a real
process, a real connection dropped), and the next run cleans up and succeeds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from intentseg.pipeline import run
from intentseg.warehouse import connect
from tests.pipeline.test_run import fast_settings

# The child runs the real pipeline, with one warehouse method wrapped so that it announces the moment
# it reaches the chosen point (a marker file) and then hangs there until it is killed.
CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from intentseg.warehouse.base import Warehouse
    from intentseg.pipeline import run
    from intentseg.config import Settings

    url, point, marker = sys.argv[1], sys.argv[2], Path(sys.argv[3])

    def hang():
        marker.write_text("reached")
        time.sleep(120)

    def wrap(cls, name, when):
        original = getattr(cls, name)
        def wrapped(self, *args, **kwargs):
            if when(self, args):
                result = original(self, *args, **kwargs)  # the statement runs, uncommitted ...
                hang()                                    # ... and the process dies before it commits
                return result
            return original(self, *args, **kwargs)
        setattr(cls, name, wrapped)

    import intentseg.warehouse.duckdb as d, intentseg.warehouse.sql as s
    for cls in (d.DuckDBWarehouse, s.MySQLWarehouse, s.PostgresWarehouse):
        if point == "staging":      # half of the new user_segments is loaded into its staging table
            wrap(cls, "_insert", lambda self, a: "__staging_" in a[0])
        else:                       # inside the transaction: history intervals already closed
            wrap(cls, "execute", lambda self, a: a[0].startswith("INSERT INTO") and "history" in a[0])
    settings = Settings(warehouse=url)
    settings.segment.n_init = 2
    settings.segment.k = 4
    run(settings=settings, previous=False)
    """
)


def _snapshot(url: str) -> dict:
    with connect(url) as wh:
        return {
            "segments": wh.query("SELECT user_id, segment_id, run_id FROM user_segments ORDER BY user_id").values.tolist(),
            "history": wh.query(
                "SELECT user_id, segment_id, run_id, valid_to FROM user_segment_history ORDER BY user_id, run_id"
            ).astype(str).values.tolist(),
        }


@pytest.mark.parametrize("point", ["staging", "transaction"])
def test_a_run_killed_mid_write_leaves_the_previous_segments_intact(loaded_url, tmp_path, point):
    first = run(settings=fast_settings(loaded_url, k=3))
    before = _snapshot(loaded_url)
    assert before["segments"] and {r[2] for r in before["segments"]} == {first.run_id}

    script = tmp_path / "child.py"
    script.write_text(CHILD)
    marker = tmp_path / "reached"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    child = subprocess.Popen([sys.executable, str(script), loaded_url, point, str(marker)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while not marker.exists():
        if child.poll() is not None:
            pytest.fail(f"the child ended before reaching {point}: {child.stdout.read().decode()[-2000:]}")
        assert time.monotonic() < deadline, "the child never reached the write"
        time.sleep(0.1)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    time.sleep(0.5)  # let the server notice the dropped connection and roll back

    assert _snapshot(loaded_url) == before  # readers still see the previous run, whole

    # the next run drops the killed run's staging table and succeeds
    after = run(settings=fast_settings(loaded_url, k=3))
    with connect(loaded_url) as wh:
        tables = wh.tables()
        statuses = wh.query("SELECT run_id, status FROM segment_runs").set_index("run_id")["status"].to_dict()
    assert not [t for t in tables if "__staging_" in t]
    assert statuses[first.run_id] == "ok" and statuses[after.run_id] == "ok"
    assert sorted(statuses.values()) == ["interrupted", "ok", "ok"]  # the killed run, marked by the next
