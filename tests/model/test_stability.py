"""Refits keep segment ids and names by matching centres to the previous model."""

from __future__ import annotations

import numpy as np
import pytest

from intentseg.errors import InputError
from intentseg.model import Segmenter
from intentseg.model.naming import TIERS
from intentseg.model.segmenter import _lineage


def test_refit_keeps_ids_names_and_reports_drift(behaviour):
    old = Segmenter(n_segments=3, random_state=0).fit(behaviour).rename({2: "Power users"})
    resample = behaviour.sample(frac=1.0, replace=True, random_state=1).reset_index(drop=True)
    new = Segmenter(n_segments=3, random_state=5).fit(resample, previous=old)
    assert new.segment_names_ == old.segment_names_
    assert np.mean(new.labels_ == old.predict(resample)) > 0.95
    st = new.stability_
    assert st["previous_id"] == {0: 0, 1: 1, 2: 2}
    assert set(st["centre_drift"]) == {0, 1, 2} and all(d >= 0 for d in st["centre_drift"].values())
    assert 0 <= st["changed_share"] < 0.05
    assert st["changed_share"] == pytest.approx(np.mean(new.labels_ != old.predict(resample)))


def test_matching_undoes_a_permutation(behaviour):
    """A previous model whose ids were shuffled hands its (shuffled) ids to the new fit."""
    old = Segmenter(n_segments=3, random_state=0).fit(behaviour)
    perm = [2, 0, 1]
    old.cluster_centers_ = old.cluster_centers_[perm]
    old.segment_names_ = [old.segment_names_[p] for p in perm]
    new = Segmenter(n_segments=3, random_state=1).fit(behaviour, previous=old)
    assert new.segment_names_ == old.segment_names_
    np.testing.assert_array_equal(new.labels_, old.predict(behaviour))
    assert new.stability_["changed_share"] == 0.0


STATUSES = {"carried", "split", "merged", "new"}


def _by_engagement(model: Segmenter) -> list[str]:
    return [model.segment_names_[s] for s in np.argsort(model.engagement_)]


def test_more_segments_carry_close_matches_and_report_the_split(behaviour):
    """3 -> 4 on the same users: drifters and readers stay whole (carried), shoppers split in two."""
    old = Segmenter(n_segments=3, random_state=0).fit(behaviour)
    new = Segmenter(n_segments=4, random_state=0).fit(behaviour, previous=old)
    lineage = new.stability_["lineage"]
    assert set(lineage) == {0, 1, 2, 3} and {e["status"] for e in lineage.values()} <= STATUSES
    carried = {s: e["from"][0] for s, e in lineage.items() if e["status"] == "carried"}
    assert carried == {0: 0, 1: 1}  # the old ids, kept
    assert new.stability_["previous_id"] == carried
    assert all(lineage[s]["jaccard"] >= 0.7 for s in carried)
    assert [lineage[s] for s in (2, 3)] == [{"status": "split", "from": [2], "jaccard": lineage[s]["jaccard"]}
                                            for s in (2, 3)]
    names = _by_engagement(new)
    assert len(set(names)) == 4
    assert names[0].startswith("Low engagement") and names[-1].startswith("Highly engaged")
    assert not [n for n in names if "segment" in n.lower()]
    # a k = 3 name on a k = 4 segment is kept only where it is still true
    assert new.segment_names_[0] == "Low engagement" and lineage[0]["name_kept"]
    assert new.segment_names_[1].startswith("Moderate engagement ·") and not lineage[1]["name_kept"]


def test_fewer_segments_are_the_three_tiers_in_engagement_order(behaviour):
    """4 -> 3: the two shopper segments merge; k = 3 names are exactly the tiers, whatever was carried."""
    old = Segmenter(n_segments=4, random_state=0).fit(behaviour)
    new = Segmenter(n_segments=3, random_state=0).fit(behaviour, previous=old)
    assert _by_engagement(new) == list(TIERS)
    lineage = new.stability_["lineage"]
    assert lineage[2]["status"] == "merged" and lineage[2]["from"] == [2, 3]
    assert {s: e["status"] for s, e in lineage.items()} == {0: "carried", 1: "carried", 2: "merged"}
    # the segment of the most engaged users is called Highly engaged
    high = new.segment_names_.index("Highly engaged")
    assert behaviour["group"][new.labels_ == high].eq(2).mean() > 0.95


def test_a_close_match_whose_name_would_lie_is_not_carried(behaviour):
    """An old model whose names contradict its own engagement: the same users are not carried under them."""
    old = Segmenter(n_segments=3, random_state=0).fit(behaviour)
    old.segment_names_ = ["Highly engaged", "Moderate engagement", "Low engagement"]  # reversed: they lie
    new = Segmenter(n_segments=3, random_state=0).fit(behaviour, previous=old)
    assert new.segment_names_ == list(TIERS)  # ids in engagement order, names regenerated
    lineage = new.stability_["lineage"]
    assert lineage[1]["status"] == "carried"  # the middle one's tier holds
    assert [lineage[s]["status"] for s in (0, 2)] == ["new", "new"]
    assert [lineage[s]["from"] for s in (0, 2)] == [[0], [2]]  # where the users came from


def test_lineage_statuses_on_a_hand_made_overlap():
    """Rows: old segments, columns: new segments, cells: users in both."""
    C = np.array([
        [90, 0, 0, 0, 10],    # old 0 -> new 0 (Jaccard 0.9: carried)
        [0, 60, 40, 0, 0],    # old 1 -> new 1 and new 2: split
        [0, 0, 0, 50, 0],     # old 2 and old 3 -> new 3: merged
        [0, 0, 0, 45, 5],
        [0, 0, 5, 0, 30],     # old 4 -> new 4 with old 0's 10 and old 3's 5: Jaccard 30/50, not carried
    ])
    lineage = _lineage(C, carried={0: 0})
    assert {s: (e["status"], e["from"]) for s, e in lineage.items()} == {
        0: ("carried", [0]), 1: ("split", [1]), 2: ("split", [1]), 3: ("merged", [2, 3]), 4: ("new", [4, 0]),
    }
    assert lineage[0]["jaccard"] == pytest.approx(0.9) and lineage[4]["jaccard"] == pytest.approx(0.6)


def test_same_data_same_seed_same_ids_names_and_lineage(behaviour):
    old = Segmenter(n_segments=5, random_state=0).fit(behaviour)
    a = Segmenter(n_segments=3, random_state=0).fit(behaviour, previous=old)
    b = Segmenter(n_segments=3, random_state=0).fit(behaviour, previous=old)
    assert a.segment_names_ == b.segment_names_
    assert a.stability_["lineage"] == b.stability_["lineage"]
    np.testing.assert_array_equal(a.labels_, b.labels_)


def test_previous_with_other_features_is_refused(behaviour):
    old = Segmenter(n_segments=3, random_state=0, features=["clicks", "searches"]).fit(behaviour)
    with pytest.raises(InputError, match="features=previous.feature_names_"):
        Segmenter(n_segments=3).fit(behaviour, previous=old)
