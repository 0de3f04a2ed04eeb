"""The scale path on every engine: above ``segment.in_warehouse_above`` users the segmenter is fitted on a
sample and every user is scored in SQL. With a tiny threshold (500 of 1,200 users) it must write what the
in-memory path's ``predict`` gives for the same model, keep history right, and stay atomic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from intentseg.errors import InputError, WarehouseQueryError
from intentseg.features import read_features
from intentseg.pipeline import assign, run
from intentseg.warehouse import connect
from tests.pipeline.test_run import fast_settings

SAMPLE = 600


def scale_settings(url: str, **segment):
    """Settings that take the scale path for the 1,200 test users."""
    return fast_settings(url, in_warehouse_above=500, fit_sample_users=SAMPLE, **segment)


def _current(url: str) -> pd.DataFrame:
    with connect(url) as wh:
        return wh.query("SELECT user_id, segment_id, segment_name, distance, run_id FROM user_segments ORDER BY user_id")


def _history(url: str) -> pd.DataFrame:
    with connect(url) as wh:
        return wh.query("SELECT user_id, segment_id, valid_from, valid_to, run_id FROM user_segment_history")


def test_scale_path_scores_every_user_as_predict_does(loaded_url, tmp_path):
    model_path = tmp_path / "model.json"
    result = run(settings=scale_settings(loaded_url, k=3), model_out=model_path)
    with connect(loaded_url) as wh:
        features = read_features(wh)
        runs = wh.query("SELECT n_users, n_events, metrics FROM segment_runs")
    n = len(features)

    assert result.scored_in == "warehouse" and result.n_users == n
    assert len(result.features) == SAMPLE  # fitted (and profiled) on the sample only
    assert result.metrics["profiles_from_sample"] == SAMPLE and "profiles_from_sample" in runs["metrics"].iloc[0]
    assert int(runs["n_users"].iloc[0]) == n and int(runs["n_events"].iloc[0]) == int(features["total_events"].sum())

    # every user, scored in SQL, in the segment the in-memory path's predict gives
    current = _current(loaded_url)
    expected = result.model.predict(features)
    assert current["user_id"].tolist() == features["user_id"].tolist()
    assert current["segment_id"].astype(int).tolist() == expected.tolist()
    assert np.allclose(current["distance"], result.model.transform(features)[np.arange(n), expected])
    names = np.asarray(result.model.segment_names_, dtype=object)
    assert current["segment_name"].tolist() == names[expected].tolist()

    # sizes and shares count every user, not the sample
    sizes = pd.Series(expected).value_counts()
    assert [s["size"] for s in result.segments] == [int(sizes.get(s, 0)) for s in range(result.k)]
    assert sum(s["share"] for s in result.segments) == pytest.approx(1.0)

    # the saved model (with full sizes) scores like the run did, through the in-memory path too
    small = assign(settings=fast_settings(loaded_url), model=model_path)
    assert small.scored_in == "python"
    assert _current(loaded_url)["segment_id"].astype(int).tolist() == expected.tolist()


def test_the_sample_is_seeded_and_the_same_users_on_a_rerun(loaded_url):
    first = run(settings=scale_settings(loaded_url, k=3), previous=False)
    second = run(settings=scale_settings(loaded_url, k=3), previous=False)
    assert first.features["user_id"].tolist() == second.features["user_id"].tolist()
    assert first.model.cluster_centers_ == pytest.approx(second.model.cluster_centers_)


def test_rerun_and_assign_on_the_scale_path_keep_history(loaded_url, tmp_path):
    first = run(settings=scale_settings(loaded_url, k=3))
    before = _current(loaded_url)
    second = run(settings=scale_settings(loaded_url, k=4))  # k changes: some users must move
    after = _current(loaded_url)
    history = _history(loaded_url)

    assert second.previous_run_id == first.run_id
    assert after["run_id"].unique().tolist() == [second.run_id]
    moved = set(before["user_id"][before["segment_id"].to_numpy() != after["segment_id"].to_numpy()])
    assert moved, "k 3 -> 4 should move someone"
    # a user whose segment kept its id but not its name gets a new interval too (history carries renames)
    changed = set(before["user_id"][(before["segment_id"].to_numpy() != after["segment_id"].to_numpy())
                                    | (before["segment_name"].to_numpy() != after["segment_name"].to_numpy())])

    # every user has exactly one open interval, on its current segment
    open_rows = history[history["valid_to"].isna()].sort_values("user_id")
    assert open_rows["user_id"].tolist() == after["user_id"].tolist()
    assert open_rows["segment_id"].tolist() == after["segment_id"].tolist()
    # the users who moved (or whose segment was renamed) have a closed interval from the first run;
    # the others only their first one
    closed = history[history["valid_to"].notna()]
    assert set(closed["user_id"]) == changed and set(closed["run_id"]) == {first.run_id}
    assert len(history) == len(after) + len(changed)

    # scoring with a given model (no refit) in the warehouse
    model_path = tmp_path / "model.json"
    second.model.save(model_path)
    scored = assign(settings=scale_settings(loaded_url), model=model_path)
    assert scored.scored_in == "warehouse" and scored.kind == "assign"
    assert _current(loaded_url)["segment_id"].tolist() == after["segment_id"].tolist()
    assert len(_history(loaded_url)) == len(history)  # nobody moved: no new intervals


def test_a_failure_in_the_write_transaction_keeps_the_previous_segments(loaded_url, monkeypatch):
    first = run(settings=scale_settings(loaded_url, k=3))
    before, history_before = _current(loaded_url), _history(loaded_url)

    # the history INSERT (after the UPDATE that closed intervals, in the same transaction) fails
    engine_class = type(connect(loaded_url))
    original = engine_class.execute

    def failing(self, sql, params=None):
        if sql.startswith("INSERT INTO") and "history" in sql:
            raise WarehouseQueryError("injected failure", hint="none")
        return original(self, sql, params)

    monkeypatch.setattr(engine_class, "execute", failing)
    with pytest.raises(WarehouseQueryError):
        run(settings=scale_settings(loaded_url, k=4))
    monkeypatch.undo()

    pd.testing.assert_frame_equal(_current(loaded_url), before)
    assert len(_history(loaded_url)) == len(history_before)
    assert _history(loaded_url)["valid_to"].isna().all()  # the closed intervals were rolled back
    with connect(loaded_url) as wh:
        assert not [t for t in wh.tables() if "__staging_" in t]
        statuses = wh.query("SELECT run_id, status FROM segment_runs").set_index("run_id")["status"]
    assert statuses[first.run_id] == "ok" and sorted(statuses) == ["failed", "ok"]


def _parquet_folder(events, folder):
    folder.mkdir()
    for name in ("clickstream", "search_queries", "article_views"):
        getattr(events, name).to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def test_events_are_read_from_parquet_in_place_on_duckdb(events, tmp_path):
    folder = _parquet_folder(events, tmp_path / "events")
    (folder / "ground_truth.parquet").write_bytes(b"not a source: ignored")
    url = f"duckdb:///{tmp_path / 'empty.duckdb'}"
    result = run(url, settings=scale_settings(url, k=3), events=folder)
    assert result.scored_in == "warehouse" and result.n_users == len(events.ground_truth)
    with connect(url) as wh:
        tables = wh.tables()
    # nothing was ingested: the views lived only as long as the run's connection
    assert not {"clickstream", "search_queries", "article_views"} & set(tables)
    assert {"user_features", "user_segments"} <= set(tables)

    # and the same events ingested as tables give the same features and segments
    from tests.pipeline.conftest import load_events

    other = f"duckdb:///{tmp_path / 'loaded.duckdb'}"
    load_events(other, events)
    assign(settings=scale_settings(other), model=result.model)
    pd.testing.assert_frame_equal(_current(other).drop(columns="run_id"), _current(url).drop(columns="run_id"))


def test_events_folder_problems_are_clear(tmp_path, events):
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    with pytest.raises(InputError, match="not found"):
        run(url, settings=scale_settings(url), events=tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="clickstream\\*") as err:
        run(url, settings=scale_settings(url), events=tmp_path / "empty")
    assert "generate" in err.value.hint
    # a warehouse that already holds ingested tables: the views would hide them
    from tests.pipeline.conftest import load_events

    load_events(url, events)
    with pytest.raises(InputError, match="already holds"):
        run(url, settings=scale_settings(url), events=_parquet_folder(events, tmp_path / "ev"))


@pytest.mark.db
def test_events_on_a_server_warehouse_say_to_ingest(server_warehouse_url, tmp_path):
    with pytest.raises(InputError) as err:
        run(server_warehouse_url, settings=scale_settings(server_warehouse_url), events=tmp_path)
    assert "intentseg ingest" in err.value.hint
