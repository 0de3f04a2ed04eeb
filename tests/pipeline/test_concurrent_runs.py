"""Two runs at once on one warehouse: one writes, the other is refused (exit 5) — never both.

Both are real processes; the lock is the engine's (advisory lock, GET_LOCK, flock). The first is the real
pipeline held, by its tracer, at the start of its write-back (the run lock held) until the second, a real
``intentseg run``, has ended: the two overlap whatever the machine's load. (Started together and left to
chance, a late second start once found the first finished: two runs, both ok.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd

from intentseg.errors import RunInProgress
from intentseg.warehouse import connect

SRC = str(Path(__file__).parents[2] / "src")


#: the real pipeline, paused at its first write-back statement (the run lock held) until the file argv[2] exists
HELD = textwrap.dedent(
    """
    import json, pathlib, sys, time
    from intentseg.config import Settings
    from intentseg.pipeline import run

    url, go = sys.argv[1], pathlib.Path(sys.argv[2])
    held = []

    def tracer(sql, params):
        if not held and sql.startswith("CREATE TABLE") and "user_segments__staging_" in sql:
            held.append(sql)
            print("holding", flush=True)
            deadline = time.monotonic() + 300
            while not go.exists() and time.monotonic() < deadline:
                time.sleep(0.05)

    settings = Settings(warehouse=url)
    settings.segment.k = 3
    result = run(settings=settings, tracer=tracer)
    print(json.dumps({"run_id": result.run_id, "n_users": result.n_users}), flush=True)
    """
)


def _child(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *args], env={**os.environ, "PYTHONPATH": SRC},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_concurrent_runs_end_with_one_ok_and_one_refused(loaded_url, tmp_path):
    go = tmp_path / "go"
    first = _child(["-c", HELD, loaded_url, str(go)])
    try:
        assert first.stdout is not None
        line = first.stdout.readline()  # blocks until the first run holds the lock (or ends)
        assert line.strip() == "holding", (line, first.stderr.read() if first.poll() is not None else "")
        second = _child(["-m", "intentseg", "run", "--warehouse", loaded_url, "--k", "3", "--json"])
        code, _out, refused = second.wait(timeout=600), *second.communicate()
    finally:
        go.touch()
    first_code, first_out, first_err = first.wait(timeout=600), *first.communicate()

    assert first_code == 0, first_err[-1500:]
    assert code == RunInProgress.exit_code, (code, refused[-1500:])
    ok = json.loads(first_out.strip().splitlines()[-1])
    assert "Another intentseg run is writing to" in refused and "one run at a time" in refused
    assert "Fix:" in refused

    with connect(loaded_url) as wh:
        runs = wh.query("SELECT run_id, status FROM segment_runs")
        current = wh.query("SELECT user_id, segment_id, segment_name, run_id FROM user_segments ORDER BY user_id")
        open_ = wh.query("SELECT user_id, segment_id, segment_name FROM user_segment_history "
                         "WHERE valid_to IS NULL ORDER BY user_id")
        tables = wh.tables()
    # the refused run never started: one run recorded, ok, and it is the one user_segments holds
    assert runs.values.tolist() == [[ok["run_id"], "ok"]]
    assert current["run_id"].unique().tolist() == [ok["run_id"]]
    assert len(current) == ok["n_users"]
    # every user's one open history interval is its user_segments row
    pd.testing.assert_frame_equal(open_.reset_index(drop=True),
                                  current[["user_id", "segment_id", "segment_name"]].reset_index(drop=True))
    assert not [t for t in tables if "__staging_" in t]
