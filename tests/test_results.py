"""The library behind ``intentseg runs``, ``segments`` and ``segment``: results.list_runs, results.segments_of,
fit.fit_segments, on every engine."""

from __future__ import annotations

import datetime as dt

import pytest

import intentseg
from intentseg.config import OutputSettings, load_settings
from intentseg.errors import InputError
from intentseg.model import Segmenter
from intentseg.model.persist import to_dict
from intentseg.writeback import Tables
from tests.model.conftest import behaviour_frame

T0 = dt.datetime(2026, 10, 1, 12, 0, 0)


@pytest.fixture(scope="module")
def fitted() -> Segmenter:
    return Segmenter(n_segments=3, random_state=0).fit(behaviour_frame(60).drop(columns=["group"]))


def _record(tables: Tables, run_id: str, minutes: int, status: str, **fields) -> None:
    tables.start_run(run_id, "fit", T0 + dt.timedelta(minutes=minutes))
    tables.finish_run(run_id, status, **fields)


def test_before_any_run_there_are_no_runs_and_no_segments(warehouse):
    assert intentseg.list_runs(warehouse) == []
    with pytest.raises(InputError, match="No successful run with a model in") as exc:
        intentseg.segments_of(warehouse)
    assert "intentseg run" in (exc.value.hint or "")


def test_runs_newest_first_with_json_columns_decoded(warehouse, fitted):
    tables = Tables(warehouse, OutputSettings())
    # run a: fitted, its metrics and model stored; run b: failed later with an error object
    _record(tables, "a", 0, "ok", k=3, n_users=180, changed_share=0.25, metrics={"silhouette": 0.41},
            model=to_dict(fitted))
    _record(tables, "b", 5, "failed", error={"type": "InputError", "message": "no such folder"})
    runs = intentseg.list_runs(warehouse)
    assert [r.run_id for r in runs] == ["b", "a"]
    failed, ok = runs
    assert (failed.status, failed.error, failed.k, failed.silhouette, failed.changed_share) == (
        "failed", "no such folder", None, None, None)
    assert (ok.status, ok.k, ok.n_users, ok.error) == ("ok", 3, 180, None)
    assert ok.silhouette == pytest.approx(0.41) and ok.changed_share == pytest.approx(0.25)
    assert ok.started_at.startswith("2026-10-01 12:00:00")
    assert set(ok.to_dict()) == {"run_id", "kind", "status", "started_at", "k", "n_users", "silhouette",
                                 "changed_share", "error"}
    assert [r.run_id for r in intentseg.list_runs(warehouse, limit=1)] == ["b"]


def test_segments_of_the_latest_successful_run_or_a_named_one(warehouse, fitted):
    tables = Tables(warehouse, OutputSettings())
    renamed = Segmenter(n_segments=3, random_state=0).fit(behaviour_frame(60).drop(columns=["group"]))
    renamed.rename({2: "Champions"})
    _record(tables, "old", 0, "ok", k=3, model=to_dict(fitted))
    _record(tables, "new", 5, "ok", k=3, model=to_dict(renamed))
    _record(tables, "broken", 10, "failed", error={"message": "boom"})  # newer, but failed: not "latest"

    latest = intentseg.segments_of(warehouse)
    assert latest.run_id == "new"
    assert [s["name"] for s in latest.segments] == renamed.segment_names_ and latest.segments[2]["name"] == "Champions"
    assert sum(s["size"] for s in latest.segments) == len(renamed.labels_)
    assert intentseg.segments_of(warehouse, "old").to_dict()["segments"][2]["name"] == fitted.segment_names_[2]
    with pytest.raises(InputError, match="No run broken with a model"):
        intentseg.segments_of(warehouse, "broken")


def test_fit_segments_reads_the_feature_table_names_and_saves(warehouse, tmp_path):
    frame = behaviour_frame(60)
    warehouse.write_table("user_features", frame.drop(columns=["group"]))
    settings = load_settings(overrides={"segment": {"k": 3, "names": {"0": "Browsers only"}}}, environ={})
    model_path = tmp_path / "model.json"
    fit = intentseg.fit_segments(warehouse, settings, model_out=model_path)
    assert (fit.features_from, fit.n_users, fit.model.selection_["k"]) == ("table user_features", len(frame), 3)
    assert fit.segments[0]["name"] == "Browsers only" and sum(s["users"] for s in fit.segments) == len(frame)
    assert fit.warehouse == warehouse.display_url
    assert Segmenter.load(model_path).segment_names_ == fit.model.segment_names_
    assert fit.to_dict()["model_out"] == str(model_path)
