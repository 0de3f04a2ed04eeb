"""Two runs started together on one warehouse: one writes, the other is refused (exit 5) — never both.

The runs are real ``intentseg run`` processes; the lock is the engine's (advisory lock, GET_LOCK, flock).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from intentseg.errors import RunInProgress
from intentseg.warehouse import connect

SRC = str(Path(__file__).parents[2] / "src")


def _start_run(url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "intentseg", "run", "--warehouse", url, "--k", "3", "--json"],
        env={**os.environ, "PYTHONPATH": SRC}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_two_concurrent_runs_end_with_one_ok_and_one_refused(loaded_url):
    children = [_start_run(loaded_url), _start_run(loaded_url)]
    results = [(c.wait(timeout=600), *c.communicate()) for c in children]

    codes = sorted(code for code, _out, _err in results)
    assert codes == [0, RunInProgress.exit_code], [(c, e[-1500:]) for c, _o, e in results]
    ok = next(json.loads(out) for code, out, _err in results if code == 0)
    refused = next(err for code, _out, err in results if code != 0)
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
