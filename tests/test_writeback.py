"""Write-back tables on every engine: membership swap, history intervals, profiles, run records."""

from __future__ import annotations

import datetime as dt
import threading
from contextlib import ExitStack, nullcontext

import pandas as pd
import pytest

from intentseg.config import OutputSettings
from intentseg.errors import RunInProgress
from intentseg.runs import RUN_LOCK, recover
from intentseg.warehouse import connect
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
    tables.start_run("r1", "fit", T1)
    tables.write_results("r1", _assign({1: 0, 2: 1}), _profiles(), T1)
    tables.start_run("r2", "fit", T2)

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
    else:  # MariaDB: history committed before the RENAME; the staging table stays for the repair
        assert [t for t in warehouse.tables() if "__staging_" in t] == ["user_segments__staging_r2"]
        recover(tables)
        assert _consistent(warehouse) == [(1, 2, "r2"), (2, 2, "r2"), (3, 2, "r2")]
        assert not [t for t in warehouse.tables() if "__staging_" in t]


def _consistent(warehouse) -> list[tuple]:
    """user_segments as (user, segment, run) rows, after checking every user's one open history interval
    matches its user_segments row (segment and name) and no other interval is open."""
    current = warehouse.query(
        "SELECT user_id, segment_id, segment_name, run_id FROM user_segments ORDER BY user_id")
    open_ = warehouse.query("SELECT user_id, segment_id, segment_name FROM user_segment_history "
                            "WHERE valid_to IS NULL ORDER BY user_id")
    assert open_.values.tolist() == current[["user_id", "segment_id", "segment_name"]].values.tolist()
    return [(int(r.user_id), int(r.segment_id), r.run_id) for r in current.itertuples()]


def _crash_between_history_and_swap(tables: Tables, monkeypatch, run_id: str, pairs: dict[int, int], at) -> None:
    """What MariaDB's order allows: the history transaction commits, then the process dies before the
    RENAME (simulated on every engine by taking the swap out of the transaction and failing it)."""
    monkeypatch.setattr(tables.warehouse, "transactional_ddl", False)
    monkeypatch.setattr(tables.warehouse, "swap_in", lambda *a, **k: (_ for _ in ()).throw(SystemExit("killed")))
    tables.start_run(run_id, "fit", at)
    with pytest.raises(SystemExit):
        tables.write_results(run_id, _assign(pairs), _profiles(), at)
    monkeypatch.undo()


def _two_runs(tables: Tables) -> None:
    tables.start_run("r1", "fit", T1)
    tables.write_results("r1", _assign({1: 0, 2: 1}), _profiles(), T1)
    tables.finish_run("r1", "ok")


def test_a_crash_between_history_and_swap_is_rolled_forward_by_the_next_run(warehouse, monkeypatch):
    tables = Tables(warehouse, OutputSettings())
    _two_runs(tables)
    _crash_between_history_and_swap(tables, monkeypatch, "r2", {1: 2, 2: 1, 3: 0}, T2)
    # history is r2's while user_segments is still r1's: the mix the next run must repair
    assert warehouse.query("SELECT DISTINCT run_id FROM user_segments")["run_id"].tolist() == ["r1"]

    found = recover(tables, "r3")
    assert found.repaired and "swapped in" in found.repaired
    assert found.interrupted == ["r2"]
    assert _consistent(warehouse) == [(1, 2, "r2"), (2, 1, "r2"), (3, 0, "r2")]
    assert tables.run("r2", with_model=False)["status"] == "interrupted"
    assert not [t for t in warehouse.tables() if "__staging_" in t]
    assert recover(tables, "r3").repaired is None  # nothing left to do


def test_a_crash_whose_staging_table_is_gone_is_rolled_back(warehouse, monkeypatch):
    tables = Tables(warehouse, OutputSettings())
    _two_runs(tables)
    before = warehouse.query("SELECT user_id, segment_id, valid_from, valid_to, run_id FROM user_segment_history "
                             "ORDER BY user_id, valid_from").astype(str).values.tolist()
    _crash_between_history_and_swap(tables, monkeypatch, "r2", {1: 2, 2: 1, 3: 0}, T2)
    warehouse.drop_table(tables.staging_table("r2"))

    found = recover(tables)
    assert found.repaired and "rolled back" in found.repaired
    after = warehouse.query("SELECT user_id, segment_id, valid_from, valid_to, run_id FROM user_segment_history "
                            "ORDER BY user_id, valid_from").astype(str).values.tolist()
    assert after == before
    assert _consistent(warehouse) == [(1, 0, "r1"), (2, 1, "r1")]
    assert warehouse.query("SELECT COUNT(*) AS n FROM segment_profiles WHERE run_id = 'r2'")["n"].iloc[0] == 0


def test_a_rename_closes_and_reopens_history_intervals(warehouse):
    tables = Tables(warehouse, OutputSettings())
    _two_runs(tables)
    renamed = _assign({1: 0, 2: 1})
    renamed.loc[renamed["segment_id"] == 0, "segment_name"] = "Dormant"  # [segment.names] 0 = "Dormant"
    tables.write_results("r2", renamed, _profiles(), T2)

    hist = warehouse.query("SELECT user_id, segment_id, segment_name, valid_to, run_id FROM user_segment_history "
                           "ORDER BY user_id, valid_from")
    rows = [(r.user_id, r.segment_id, r.segment_name, None if pd.isna(r.valid_to) else pd.Timestamp(r.valid_to), r.run_id)
            for r in hist.itertuples()]
    assert rows == [
        (1, 0, "Low engagement", pd.Timestamp(T2), "r1"),  # same id, old name: closed ...
        (1, 0, "Dormant", None, "r2"),                     # ... and reopened under the new name
        (2, 1, "Moderate engagement", None, "r1"),         # untouched: one interval since run 1
    ]
    assert _consistent(warehouse) == [(1, 0, "r2"), (2, 1, "r2")]


def test_dead_runs_are_marked_interrupted_only_when_no_run_holds_the_lock(warehouse_url, warehouse):
    tables = Tables(warehouse, OutputSettings())
    tables.start_run("dead", "fit", T1)  # a run whose process died: `running` for ever, lock free
    with _second_handle(warehouse_url, warehouse) as other:
        with other.run_lock(RUN_LOCK):  # another run in progress: `runs` cannot tell, leaves it
            assert tables.runs()["status"].tolist() == ["running"]
    runs = tables.runs()  # lock free: the running row is dead
    assert runs["status"].tolist() == ["interrupted"]
    assert not pd.isna(runs["finished_at"].iloc[0])
    assert "died" in tables.run("dead", with_model=False)["error"]["message"]


def _second_handle(url: str, warehouse):
    """Another connection to the same warehouse (DuckDB: the same one; its lock is a file lock, which
    a second lock attempt in this process already meets)."""
    return connect(url) if warehouse.engine != "duckdb" else nullcontext(warehouse)


def test_the_run_lock_admits_one_holder(warehouse_url, warehouse):
    with _second_handle(warehouse_url, warehouse) as second, warehouse.run_lock(RUN_LOCK):
        with pytest.raises(RunInProgress, match="Another intentseg run") as info:
            with second.run_lock(RUN_LOCK):
                pass
        assert info.value.exit_code == 5
        with second.run_lock("another-name"):  # locks are per name
            pass
    with _second_handle(warehouse_url, warehouse) as second, second.run_lock(RUN_LOCK):  # released on exit
        pass


def test_a_waiting_run_gets_the_lock_when_it_is_released(warehouse_url, warehouse):
    release = threading.Timer(0.6, lambda: holder.close())
    holder = ExitStack()
    holder.enter_context(warehouse.run_lock(RUN_LOCK))
    release.start()
    with _second_handle(warehouse_url, warehouse) as second:
        with pytest.raises(RunInProgress):
            with second.run_lock(RUN_LOCK, wait_s=0.1):
                pass
        with second.run_lock(RUN_LOCK, wait_s=10):  # waits for the holder to let go
            pass
    release.join()


def test_text_ids_that_differ_only_in_case_or_accent_stay_different_users(warehouse):
    tables = Tables(warehouse, OutputSettings())
    ids = ["Alice", "alice", "ALICE", "Alicé", "a" * 128]  # the last: the longest id ingest accepts
    assignments = pd.DataFrame({"user_id": ids, "segment_id": [0, 1, 2, 0, 1],
                                "segment_name": ["Low engagement", "Moderate engagement", "Highly engaged",
                                                 "Low engagement", "Moderate engagement"],
                                "distance": [0.5] * 5})
    tables.write_results("r1", assignments, _profiles(), T1)
    # "alice" joins "Alice"'s segment and the long id moves: a collation that merged ids would find
    # "Alice"'s open interval for "alice" and open none for her
    moved = assignments.assign(segment_id=[0, 0, 2, 0, 2], segment_name=["Low engagement", "Low engagement",
                               "Highly engaged", "Low engagement", "Highly engaged"])
    tables.write_results("r2", moved, _profiles(), T2)
    current = warehouse.query("SELECT user_id, segment_id FROM user_segments")
    assert sorted(map(tuple, current.values.tolist())) == sorted(zip(ids, [0, 0, 2, 0, 2]))
    open_ = warehouse.query("SELECT user_id, segment_id FROM user_segment_history WHERE valid_to IS NULL")
    assert sorted(map(tuple, open_.values.tolist())) == sorted(zip(ids, [0, 0, 2, 0, 2]))
    assert warehouse.row_count("user_segment_history") == 7  # two intervals closed, two opened


def _staging_left(warehouse) -> list[str]:
    return [t for t in warehouse.tables() if "__staging_" in t]


def test_staging_swaps_in_on_success_and_drops_on_failure(warehouse):
    with warehouse.staging("t", columns={"a": "bigint"}) as st:
        warehouse.execute(f"INSERT INTO {warehouse.quote(st)} (a) VALUES (1), (2)")
        assert warehouse.table_exists(st) and not warehouse.table_exists("t")  # readers see nothing yet
    assert warehouse.query("SELECT a FROM t ORDER BY a")["a"].tolist() == [1, 2]
    with pytest.raises(RuntimeError, match="filling failed"):
        with warehouse.staging("t", columns={"a": "bigint"}) as st:
            warehouse.execute(f"INSERT INTO {warehouse.quote(st)} (a) VALUES (3)")
            raise RuntimeError("filling failed")
    assert warehouse.query("SELECT a FROM t ORDER BY a")["a"].tolist() == [1, 2]  # untouched
    assert _staging_left(warehouse) == []


def test_staging_commit_work_and_swap_take_effect_together(warehouse, monkeypatch):
    warehouse.create_table("log", {"n": "bigint"})

    def work() -> None:
        warehouse.execute("INSERT INTO log (n) VALUES (1)")

    with warehouse.staging("t", name="t__staging_r1", columns={"a": "bigint"}, commit=work) as st:
        warehouse.execute(f"INSERT INTO {warehouse.quote(st)} (a) VALUES (1)")
    assert warehouse.row_count("t") == 1 and warehouse.row_count("log") == 1

    def broken_swap(*args, **kwargs):
        raise ConnectionError("connection dropped at the swap")

    monkeypatch.setattr(warehouse, "swap_in", broken_swap)
    with pytest.raises(ConnectionError):
        with warehouse.staging("t", name="t__staging_r2", columns={"a": "bigint"}, commit=work) as st:
            warehouse.execute(f"INSERT INTO {warehouse.quote(st)} (a) VALUES (2)")
    monkeypatch.undo()
    assert warehouse.query("SELECT a FROM t")["a"].tolist() == [1]
    if warehouse.transactional_ddl:  # the work rolled back with the swap, the staging table dropped
        assert warehouse.row_count("log") == 1 and _staging_left(warehouse) == []
    else:  # MariaDB: the work committed before the RENAME; its staging table stays for the repair
        assert warehouse.row_count("log") == 2 and _staging_left(warehouse) == ["t__staging_r2"]
