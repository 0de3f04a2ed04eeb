"""Fitting, ordering, naming and profiling on small hand-made user feature tables."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from intentseg.errors import InputError, MissingColumnError
from intentseg.model import DEFAULT_FEATURES, Segmenter, rule_for
from intentseg.model.naming import TIERS


def test_registry_kinds_by_name():
    assert rule_for("clicks").kind == "log"
    assert rule_for("click_time_total_s").kind == "log"
    assert rule_for("recency_days").kind == "log" and rule_for("recency_days").engagement == -1
    assert rule_for("intent_transactional_share").kind == "share"
    assert rule_for("has_search_queries").kind == "flag"
    assert rule_for("engagement_score").kind == "plain"
    assert rule_for("something_new").kind == "plain"


def test_ignores_extra_columns_and_finds_the_three_groups(behaviour):
    seg = Segmenter(n_segments=3, random_state=0).fit(behaviour)  # user_id, first_seen, group are extra
    assert seg.feature_names_ == [f for f in DEFAULT_FEATURES if f in behaviour.columns]
    assert "user_id" not in seg.feature_names_ and "group" not in seg.feature_names_
    assert adjusted_rand_score(behaviour["group"], seg.labels_) > 0.95


def test_ids_follow_engagement_and_names_are_the_tiers(behaviour):
    seg = Segmenter(n_segments=3, random_state=0).fit(behaviour)
    assert seg.segment_names_ == list(TIERS)
    assert np.all(np.diff(seg.engagement_) > 0)
    # The hand-made groups are built in engagement order: drifters < readers < shoppers.
    for s in range(3):
        assert np.bincount(behaviour["group"][seg.labels_ == s]).argmax() == s


def test_ids_do_not_depend_on_kmeans_label_numbers(behaviour):
    """Different seeds give K-Means different label numbers; the ordered ids must not change."""
    labels = [Segmenter(n_segments=3, random_state=rs, n_init=1).fit(behaviour).labels_ for rs in range(4)]
    for other in labels[1:]:
        assert np.mean(other == labels[0]) > 0.98


def test_more_than_three_segments_get_unique_tier_and_trait_names(behaviour):
    seg = Segmenter(n_segments=5, random_state=0).fit(behaviour)
    names = seg.segment_names_
    assert len(set(names)) == 5
    # a supported trait's noun, else the segment's rank in its tier (no "segment N" placeholders)
    assert all(re.fullmatch(r"[A-Za-z ]+ · [a-z ]+|[A-Za-z ]+ \(\d of \d\)", n) for n in names)
    assert names[0].startswith("Low engagement") and names[-1].startswith("Highly engaged")


def test_profiles(behaviour):
    seg = Segmenter(n_segments=3, random_state=0).fit(behaviour)
    assert sum(p["size"] for p in seg.profiles_) == len(behaviour)
    assert sum(p["share"] for p in seg.profiles_) == pytest.approx(1.0)
    low, high = seg.profiles_[0], seg.profiles_[2]
    clicks = behaviour["clicks"][seg.labels_ == 2]
    assert high["features"]["clicks"]["mean"] == pytest.approx(clicks.mean())
    assert high["features"]["clicks"]["median"] == pytest.approx(clicks.median())
    assert high["features"]["clicks"]["lift"] == pytest.approx(clicks.mean() / behaviour["clicks"].mean())
    assert high["features"]["clicks"]["z"] > 0 > low["features"]["clicks"]["z"]
    for p in seg.profiles_:
        assert len(p["traits"]) == 3 and all(isinstance(t, str) and t for t in p["traits"])
        assert p["advice"].endswith(".")
    table = seg.profile_table()
    assert len(table) == 3 * len(seg.feature_names_)
    assert {"segment_id", "segment_name", "feature", "mean", "median", "lift", "z"} <= set(table.columns)


def test_shares_stay_in_unit_range_and_counts_are_logged(behaviour):
    seg = Segmenter(n_segments=3, random_state=0, scaling="standard").fit(behaviour)
    t = seg.transform_
    j = seg.feature_names_.index("intent_transactional_share")
    assert t.kinds[j] == "share" and t.center[j] == 0 and t.scale[j] == 1
    Z = t.apply(behaviour[seg.feature_names_].to_numpy(float))
    assert Z[:, j].min() >= 0 and Z[:, j].max() <= 1
    c = seg.feature_names_.index("clicks")
    assert Z[:, c].mean() == pytest.approx(0, abs=1e-9)
    assert t.center[c] == pytest.approx(np.log1p(behaviour["clicks"]).mean())


def test_auto_scores_every_k_and_finds_three_groups(behaviour):
    seg = Segmenter(random_state=0, k_range=(2, 6)).fit(behaviour)
    scores = seg.selection_["scores"]
    assert [r["k"] for r in scores] == [2, 3, 4, 5, 6]
    assert all({"silhouette", "calinski_harabasz", "davies_bouldin", "inertia"} <= set(r) for r in scores)
    assert seg.selection_["k"] == 3 == len(seg.cluster_centers_)


def test_same_seed_same_segments(behaviour):
    a = Segmenter(random_state=3).fit(behaviour)
    b = Segmenter(random_state=3).fit(behaviour)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert a.selection_["scores"] == b.selection_["scores"]


def test_silhouette_on_a_stratified_sample_for_large_inputs():
    from intentseg.model.selection import stratified_sample

    labels = np.repeat([0, 1, 2], [9000, 900, 100])
    rows = stratified_sample(labels, 1000, np.random.default_rng(0))
    assert abs(len(rows) - 1000) <= 3
    assert list(np.bincount(labels[rows])) == [900, 90, 10]


def test_numpy_input_names_features_x0_xn(blobs):
    X, truth = blobs
    seg = Segmenter(n_segments=3, random_state=0).fit(X)
    assert seg.feature_names_ == ["x0", "x1", "x2", "x3"]
    assert not hasattr(seg, "feature_names_in_")
    assert adjusted_rand_score(truth, seg.labels_) == 1.0
    # All columns count towards engagement: the blob at 10 is the most engaged.
    assert list(seg.labels_[[0, 150, 299]]) == [0, 1, 2]


def test_predict_and_transform(behaviour):
    seg = Segmenter(n_segments=3, random_state=0).fit(behaviour)
    new = behaviour.sample(50, random_state=1)[list(reversed(behaviour.columns))]  # any column order
    np.testing.assert_array_equal(seg.predict(new), seg.labels_[new.index])
    D = seg.transform(new)
    assert D.shape == (50, 3)
    np.testing.assert_array_equal(D.argmin(axis=1), seg.predict(new))


def test_explicit_features_and_missing_columns(behaviour):
    seg = Segmenter(n_segments=2, random_state=0, features=["clicks", "searches"]).fit(behaviour)
    assert seg.feature_names_ == ["clicks", "searches"]
    with pytest.raises(MissingColumnError, match="searches"):
        seg.predict(behaviour.drop(columns="searches"))
    with pytest.raises(MissingColumnError, match="Available: user_id"):
        Segmenter(features=["nope"]).fit(behaviour)


def test_rename(behaviour):
    seg = Segmenter(n_segments=3, random_state=0).fit(behaviour)
    seg.rename({2: "VIP"})
    assert seg.segment_names_ == ["Low engagement", "Moderate engagement", "VIP"]
    assert seg.profiles_[2]["name"] == "VIP"
    with pytest.raises(InputError, match="unique"):
        seg.rename(["a", "a", "b"])
    with pytest.raises(InputError, match="0..2"):
        seg.rename({7: "x"})


@pytest.mark.parametrize("bad", [{"n_segments": 0}, {"k_range": (1, 4)}, {"scaling": "minmax"}, {"n_init": 0}])
def test_bad_parameters_fail_in_fit_not_init(behaviour, bad):
    seg = Segmenter(**bad)  # __init__ only stores
    with pytest.raises(ValueError):
        seg.fit(behaviour)


def test_non_numeric_feature_column():
    df = pd.DataFrame({"user_id": [1, 2, 3], "clicks": ["a", "b", "c"]})
    with pytest.raises(InputError, match="not numeric"):
        Segmenter(n_segments=2, features=["clicks"]).fit(df)


def test_sampled_k_scan_on_a_bigger_table(make_behaviour):
    df = make_behaviour(n_per_group=2000, seed=5)
    seg = Segmenter(n_segments=3, random_state=0, sample_size=1000, silhouette_sample_size=300).fit(df)
    assert adjusted_rand_score(df["group"], seg.labels_) > 0.95
