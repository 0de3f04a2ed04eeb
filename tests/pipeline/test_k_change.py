"""Changing k between runs tells the truth, on every engine: `run --k 5`, then `--k 3`, then `--k 5` again."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
from rich.console import Console

from intentseg.cli.pipeline import segments_table
from intentseg.config import Settings
from intentseg.pipeline import RunResult, run
from intentseg.warehouse import connect

TIER_NAMES = ["Low engagement", "Moderate engagement", "Highly engaged"]
STATUSES = {"carried", "split", "merged", "new"}


def _settings(url: str, k: int) -> Settings:
    s = Settings(warehouse=url)
    s.segment.n_init = 2
    s.segment.k = k
    return s


def _names_by_engagement(result: RunResult) -> list[str]:
    model = result.model
    return [model.segment_names_[s] for s in np.argsort(model.engagement_)]


def _true_engagement_by_name(result: RunResult, truth: pd.DataFrame) -> pd.Series:
    joined = result.assignments.merge(truth[["user_id", "true_engagement"]], on="user_id", validate="1:1")
    return joined.groupby("segment_name")["true_engagement"].mean()


def _check_lineage(result: RunResult, k_before: int) -> dict[int, dict]:
    """Every segment says how it relates to the last run's; carried ones name a real old id."""
    lineage = {s["segment_id"]: s["since_previous"] for s in result.segments}
    assert set(lineage) == set(range(result.k))
    for entry in lineage.values():
        assert entry["status"] in STATUSES
        assert all(0 <= i < k_before for i in entry["from"])
        if entry["status"] == "carried":
            assert len(entry["from"]) == 1 and entry["jaccard"] >= 0.7
        if entry["status"] == "merged":
            assert len(entry["from"]) >= 2
    # the same in the run's --json output, and in the CLI table
    as_json = json.loads(json.dumps(result.to_json()))
    assert [s["since_previous"]["status"] for s in as_json["segments"]] == [lineage[s]["status"] for s in range(result.k)]
    console = Console(record=True, width=250)
    console.print(segments_table(result.segments, "run"))
    text = console.export_text()
    assert "since last run" in text
    for entry in lineage.values():
        assert entry["status"] in text
    return lineage


def test_k5_then_k3_then_k5_names_tiers_and_lineage(loaded_url, events):
    truth = events.ground_truth

    five = run(settings=_settings(loaded_url, 5))
    three = run(settings=_settings(loaded_url, 3))
    assert three.previous_run_id == five.run_id

    # k = 3: exactly the three tiers, in engagement order, and they follow the users' true engagement
    assert _names_by_engagement(three) == TIER_NAMES
    assert sorted(three.model.segment_names_) == sorted(TIER_NAMES)
    true_mean = _true_engagement_by_name(three, truth)
    assert true_mean["Low engagement"] < true_mean["Moderate engagement"] < true_mean["Highly engaged"]
    # the segment holding most of the most engaged tenth of the users is the one called "Highly engaged"
    top = truth.nlargest(len(truth) // 10, "true_engagement")["user_id"]
    top_names = three.assignments.set_index("user_id").loc[top, "segment_name"]
    assert top_names.value_counts().idxmax() == "Highly engaged"
    assert (top_names == "Highly engaged").mean() > 0.5
    lineage = _check_lineage(three, 5)
    assert any(e["status"] == "merged" for e in lineage.values())  # five segments cannot become three whole
    # carried ids keep their old number; a carried name never lies
    for s, entry in lineage.items():
        if entry["status"] == "carried" and entry["from"][0] < 3:
            assert s == entry["from"][0]

    five_again = run(settings=_settings(loaded_url, 5))
    names = _names_by_engagement(five_again)
    assert len(set(names)) == 5
    assert names[0].startswith("Low engagement") and names[-1].startswith("Highly engaged")
    assert not [n for n in names if re.search(r"segment \d", n, re.I)]
    lineage = _check_lineage(five_again, 3)
    assert any(e["status"] == "split" for e in lineage.values())  # three segments cannot become five whole
    for s, entry in lineage.items():
        if entry["status"] == "carried":
            old_name = three.model.segment_names_[entry["from"][0]]
            new_name = five_again.model.segment_names_[s]
            assert new_name.split(" ·")[0].split(" (")[0] == old_name  # the same tier, as k = 3 named it

    # what the warehouse holds now is the last run's names
    with connect(loaded_url) as wh:
        current = wh.query("SELECT DISTINCT segment_id, segment_name FROM user_segments")
    held = dict(zip(current["segment_id"].astype(int), current["segment_name"]))
    assert held == {s: five_again.model.segment_names_[s] for s in held}


def test_k3_then_k5_from_a_fresh_warehouse(loaded_url, events):
    """3 -> 5: the middle and end segments split; names are regenerated with the right tiers."""
    three = run(settings=_settings(loaded_url, 3))
    assert _names_by_engagement(three) == TIER_NAMES
    five = run(settings=_settings(loaded_url, 5))
    assert five.previous_run_id == three.run_id
    names = _names_by_engagement(five)
    assert [n.split(" ·")[0].split(" (")[0] for n in names] == [
        "Low engagement", "Low engagement", "Moderate engagement", "Highly engaged", "Highly engaged"]
    lineage = _check_lineage(five, 3)
    assert {e["status"] for e in lineage.values()} & {"split", "new"}
    true_mean = _true_engagement_by_name(five, events.ground_truth)
    assert true_mean.idxmax() == names[-1] and true_mean.idxmin() == names[0]
