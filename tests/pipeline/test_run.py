"""End to end on every engine: run, rerun with history, assign with a saved model, failures recorded."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from intentseg.config import Settings
from intentseg.errors import InputError, ModelFileError, NoUsersError
from intentseg.model import Segmenter
from intentseg.pipeline import assign, run
from intentseg.warehouse import connect
from tests.pipeline.conftest import load_events

TIER_NAMES = ["Low engagement", "Moderate engagement", "Highly engaged"]


def fast_settings(url: str, **segment) -> Settings:
    s = Settings(warehouse=url)
    s.segment.n_init = 2
    for key, value in segment.items():
        setattr(s.segment, key, value)
    return s


def test_run_rerun_and_assign_keep_ids_and_history(loaded_url, tmp_path, events):
    model_path = tmp_path / "model.json"
    first = run(settings=fast_settings(loaded_url, k=3), model_out=model_path)
    n = first.features.shape[0]
    assert n == events.ground_truth.shape[0]  # every generated user, including those without clicks
    assert [s["name"] for s in first.segments] == TIER_NAMES
    assert sum(s["size"] for s in first.segments) == n

    second = run(settings=fast_settings(loaded_url, k=3))
    assert second.previous_run_id == first.run_id
    assert second.stability is not None and 0.0 <= second.stability["changed_share"] <= 1.0
    assert second.model.segment_names_ == first.model.segment_names_

    scored = assign(settings=fast_settings(loaded_url), model=model_path)
    with connect(loaded_url) as wh:
        current = wh.query("SELECT user_id, segment_id, segment_name, run_id FROM user_segments ORDER BY user_id")
        history = wh.query("SELECT user_id, segment_id, valid_to, run_id FROM user_segment_history")
        runs = wh.query("SELECT run_id, kind, status, k, n_users FROM segment_runs ORDER BY started_at")
        tables = wh.tables()

    # assign wrote what the saved model predicts, for every user
    model = Segmenter.load(model_path)
    expected = pd.Series(model.predict(first.features), index=first.features["user_id"]).sort_index()
    assert current["run_id"].unique().tolist() == [scored.run_id]
    assert current["segment_id"].tolist() == expected.tolist()
    assert set(current["segment_name"]) <= set(TIER_NAMES)

    # every user has exactly one open interval, on its current segment
    open_rows = history[history["valid_to"].isna()].sort_values("user_id")
    assert open_rows["user_id"].tolist() == current["user_id"].tolist()
    assert open_rows["segment_id"].tolist() == current["segment_id"].tolist()
    assert len(history) >= n

    assert runs["status"].tolist() == ["ok", "ok", "ok"]
    assert runs["kind"].tolist() == ["fit", "fit", "assign"]
    assert runs["n_users"].astype(int).tolist() == [n, n, n]
    assert {"user_features", "query_intents"} <= set(tables)
    assert not [t for t in tables if "__staging_" in t]


def test_a_failed_run_is_recorded_as_failed(loaded_url, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "intentseg.segmenter", "format_version": 99}')
    with pytest.raises(ModelFileError):
        run(settings=fast_settings(loaded_url), model=broken)
    with connect(loaded_url) as wh:
        runs = wh.query("SELECT status, error FROM segment_runs")
    assert runs["status"].tolist() == ["failed"]
    error = json.loads(runs["error"].iloc[0])
    assert error["type"] == "ModelFileError" and "version" in error["message"]


def test_an_empty_warehouse_is_a_clear_error(warehouse_url):
    with pytest.raises(NoUsersError) as err:
        run(settings=fast_settings(warehouse_url))
    assert "ingest" in err.value.hint


def test_report_is_written_with_the_run(events, tmp_path):
    # the report does not depend on the engine: rendered once, on DuckDB
    url = f"duckdb:///{tmp_path / 'report.duckdb'}"
    load_events(url, events)
    run(settings=fast_settings(url, k=3))
    result = run(settings=fast_settings(url, k=3), report_dir=tmp_path / "report")
    html = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    for name in TIER_NAMES:
        assert name in html
    assert result.run_id in html
    assert (tmp_path / "report" / "transitions.png").stat().st_size > 1000  # a previous run existed


def test_auto_k_on_planted_personas_finds_them(loaded_url, events):
    from sklearn.metrics import adjusted_rand_score

    result = run(settings=fast_settings(loaded_url, n_init=4))
    truth = events.ground_truth.set_index("user_id").loc[result.assignments["user_id"], "persona"]
    ari = adjusted_rand_score(truth, result.assignments["segment_id"])
    assert result.k >= 3
    assert ari > 0.6, f"k={result.k}, ARI {ari:.2f}"
    assert np.isfinite(result.metrics["silhouette"])


def test_a_rename_in_the_settings_reaches_history(loaded_url):
    first = run(settings=fast_settings(loaded_url, k=3))
    renamed = fast_settings(loaded_url, k=3)
    renamed.segment.names = {"0": "Dormant"}  # [segment.names] 0 = "Dormant"
    second = run(settings=renamed)
    with connect(loaded_url) as wh:
        current = wh.query("SELECT user_id, segment_id, segment_name FROM user_segments ORDER BY user_id")
        open_ = wh.query("SELECT user_id, segment_id, segment_name, run_id FROM user_segment_history "
                         "WHERE valid_to IS NULL ORDER BY user_id")
        closed = wh.query("SELECT segment_name, run_id FROM user_segment_history WHERE valid_to IS NOT NULL")
    dormant = current[current["segment_id"] == 0]
    assert len(dormant) and set(dormant["segment_name"]) == {"Dormant"}
    assert open_[["user_id", "segment_id", "segment_name"]].values.tolist() == current.values.tolist()
    # segment 0's intervals under its old name were closed and reopened by the renaming run
    assert set(open_.loc[open_["segment_id"] == 0, "run_id"]) == {second.run_id}
    assert ("Low engagement", first.run_id) in set(map(tuple, closed.values.tolist()))


@pytest.mark.parametrize("previous", ["model.json", None, 1])
def test_previous_takes_true_false_or_a_model(previous):
    with pytest.raises(InputError) as err:
        run("duckdb:///never-opened.duckdb", previous=previous)
    assert "True, False or a Segmenter" in err.value.message and "Segmenter.load" in err.value.hint
