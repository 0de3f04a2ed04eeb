"""Write-back tables on every engine: membership swap, history intervals, profiles, run records."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from intentseg.config import OutputSettings
from intentseg.writeback import PROFILE_COLUMNS, Tables

T1 = dt.datetime(2026, 10, 1, 12, 0, 0)
T2 = dt.datetime(2026, 10, 8, 12, 0, 0)


def _assign(pairs: dict[int, int]) -> pd.DataFrame:
    names = {0: "Low engagement", 1: "Moderate engagement", 2: "Highly engaged"}
    return pd.DataFrame(
        {
            "user_id": list(pairs),
            "segment_id": list(pairs.values()),
            "segment_name": [names[s] for s in pairs.values()],
            "distance": [0.5] * len(pairs),
        }
    )


def _profiles() -> pd.DataFrame:
    rows = [
        {"segment_id": s, "segment_name": n, "n_users": 1, "share": 0.5, "feature": "clicks", "mean": 1.0,
         "median": 1.0, "lift": 1.0, "z_score": 0.0, "traits": '["x"]', "advice": "y"}
        for s, n in ((0, "Low engagement"), (2, "Highly engaged"))
    ]
    return pd.DataFrame(rows)[[c for c in PROFILE_COLUMNS if c != "run_id"]]


def test_history_closes_changed_and_departed_users_and_opens_new_ones(warehouse):
    tables = Tables(warehouse, OutputSettings())
    tables.start_run("r1", "fit", T1)
    # run 1: users 1, 2, 3
    tables.write_results("r1", _assign({1: 0, 2: 1, 3: 2}), _profiles(), T1)
    tables.finish_run("r1", "ok", k=3)
    # run 2: user 1 stays, user 2 moves up, user 3 is gone, user 4 is new
    tables.write_results("r2", _assign({1: 0, 2: 2, 4: 1}), _profiles(), T2)

    current = warehouse.query("SELECT user_id, segment_id, run_id FROM user_segments ORDER BY user_id")
    assert current.values.tolist() == [[1, 0, "r2"], [2, 2, "r2"], [4, 1, "r2"]]

    hist = warehouse.query(
        "SELECT user_id, segment_id, valid_from, valid_to, run_id FROM user_segment_history ORDER BY user_id, valid_from"
    )
    rows = [
        (r.user_id, r.segment_id, pd.Timestamp(r.valid_from), None if pd.isna(r.valid_to) else pd.Timestamp(r.valid_to), r.run_id)
        for r in hist.itertuples()
    ]
    assert rows == [
        (1, 0, pd.Timestamp(T1), None, "r1"),  # unchanged: one open interval since run 1
        (2, 1, pd.Timestamp(T1), pd.Timestamp(T2), "r1"),  # changed: old interval closed at run 2 ...
        (2, 2, pd.Timestamp(T2), None, "r2"),  # ... and a new one opened
        (3, 2, pd.Timestamp(T1), pd.Timestamp(T2), "r1"),  # departed: closed
        (4, 1, pd.Timestamp(T2), None, "r2"),  # new user
    ]
    assert warehouse.query("SELECT COUNT(*) AS n FROM segment_profiles")["n"].iloc[0] == 4
    # no staging tables left behind
    assert not [t for t in warehouse.tables() if "__staging_" in t]


def test_runs_are_recorded_and_read_back(warehouse):
    tables = Tables(warehouse, OutputSettings())
    tables.start_run("r1", "fit", T1)
    tables.finish_run("r1", "ok", k=3, metrics={"silhouette": 0.41}, model={"version": 1})
    tables.start_run("r2", "fit", T2)
    tables.finish_run("r2", "failed", error={"type": "X", "message": "boom"})
    latest_ok = tables.run()
    assert latest_ok["run_id"] == "r1" and latest_ok["metrics"] == {"silhouette": 0.41}
    assert latest_ok["model"] == {"version": 1}
    assert tables.run("r2")["status"] == "failed"
    assert tables.runs()["run_id"].tolist() == ["r2", "r1"]


def test_a_failed_write_leaves_previous_segments_intact(warehouse, monkeypatch):
    tables = Tables(warehouse, OutputSettings())
    tables.write_results("r1", _assign({1: 0, 2: 1}), _profiles(), T1)

    def broken(*args, **kwargs):
        raise ConnectionError("connection dropped mid-write")

    monkeypatch.setattr(warehouse, "swap_in", broken)
    with pytest.raises(ConnectionError):
        tables.write_results("r2", _assign({1: 2, 2: 2, 3: 2}), _profiles(), T2)
    monkeypatch.undo()
    current = warehouse.query("SELECT user_id, segment_id, run_id FROM user_segments ORDER BY user_id")
    assert current.values.tolist() == [[1, 0, "r1"], [2, 1, "r1"]]
    if warehouse.transactional_ddl:  # history rolled back with the swap
        assert warehouse.query("SELECT COUNT(*) AS n FROM user_segment_history")["n"].iloc[0] == 2
    assert not [t for t in warehouse.tables() if "__staging_" in t]
