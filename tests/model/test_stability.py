"""Refits keep segment ids and names by matching centres to the previous model."""

from __future__ import annotations

import numpy as np
import pytest

from intentseg.errors import InputError
from intentseg.model import Segmenter


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


def test_more_segments_than_before_keep_old_ids_and_add_new_ones(behaviour):
    old = Segmenter(n_segments=3, random_state=0).fit(behaviour)
    new = Segmenter(n_segments=4, random_state=0).fit(behaviour, previous=old)
    assert len(set(new.segment_names_)) == 4
    kept = [s for s in range(3) if new.segment_names_[s] == old.segment_names_[s]]
    assert len(kept) == 3
    assert sorted(new.stability_["previous_id"]) == [0, 1, 2]


def test_fewer_segments_than_before(behaviour):
    old = Segmenter(n_segments=4, random_state=0).fit(behaviour)
    new = Segmenter(n_segments=3, random_state=0).fit(behaviour, previous=old)
    assert len(new.segment_names_) == 3 and set(new.segment_names_) <= set(old.segment_names_)
    prev_ids = [new.stability_["previous_id"][s] for s in range(3)]
    assert prev_ids == sorted(prev_ids)  # the previous ids' order is kept


def test_previous_with_other_features_is_refused(behaviour):
    old = Segmenter(n_segments=3, random_state=0, features=["clicks", "searches"]).fit(behaviour)
    with pytest.raises(InputError, match="features=previous.feature_names_"):
        Segmenter(n_segments=3).fit(behaviour, previous=old)
