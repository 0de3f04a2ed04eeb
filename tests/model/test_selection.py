"""The k rule of intentseg.model.selection on small crafted data whose answer is known by construction."""

from __future__ import annotations

import json

import numpy as np
import pytest

from intentseg.model import Segmenter, selection


def blobs(centres: np.ndarray, n_per_blob: int, spread: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(len(centres)), n_per_blob)
    return centres[truth] + rng.normal(scale=spread, size=(len(truth), centres.shape[1])), truth


def test_two_separated_blobs_give_two():
    # two round groups 8 standard deviations apart in 3 dimensions: nothing else to find
    X, _ = blobs(np.array([[0.0, 0, 0], [8, 0, 0]]), 400, 1.0, seed=1)
    seg = Segmenter(random_state=0).fit(X)
    assert seg.selection_["k"] == 2
    assert seg.selection_["fallback"] is False


def test_five_separated_blobs_give_five():
    # five groups on the corners of a simplex-like layout in 4 dimensions, 7 sd apart, equal sizes
    centres = np.array([[0.0, 0, 0, 0], [7, 0, 0, 0], [0, 7, 0, 0], [0, 0, 7, 0], [0, 0, 0, 7]])
    X, truth = blobs(centres, 300, 1.0, seed=2)
    seg = Segmenter(random_state=0).fit(X)
    assert seg.selection_["k"] == 5
    assert seg.selection_["fallback"] is False
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(truth, seg.labels_) > 0.98


def test_five_blobs_of_unequal_size_with_a_dominant_axis_are_not_two():
    # the case silhouette alone gets wrong: one axis (volume) spans the groups far more than the others
    centres = np.array([[0.0, 0, 0], [12, 3, 0], [24, 0, 3], [36, 3, 3], [48, 0, 0]])
    rng = np.random.default_rng(3)
    sizes = [900, 500, 300, 200, 100]
    truth = np.repeat(np.arange(5), sizes)
    X = centres[truth] + rng.normal(scale=[3.0, 0.5, 0.5], size=(len(truth), 3))
    seg = Segmenter(random_state=0).fit(X)
    assert seg.selection_["k"] == 5


def test_one_long_axis_falls_back_to_three_and_says_why():
    # a single elongated Gaussian cloud (sd 10 along x, 1 across): no groups, only a long axis that
    # any k splits with a fine-looking silhouette
    rng = np.random.default_rng(4)
    X = rng.normal(size=(2000, 4)) * np.array([10.0, 1.0, 1.0, 1.0])
    seg = Segmenter(random_state=0).fit(X)
    sel = seg.selection_
    assert sel["k"] == 3 and len(seg.cluster_centers_) == 3
    assert sel["fallback"] is True
    assert "classic three engagement tiers" in sel["reason"]
    assert "same shape" in sel["reason"]
    assert sel["rule"] == sel["reason"]  # the CLI, the JSON output and the report print the rule
    # the reason says what was measured: the best excess, under the threshold
    best = max(r["excess"] for r in sel["scores"])
    assert best < selection.MIN_EXCESS
    assert f"{best:.3f}" in sel["reason"]


def test_a_uniform_box_falls_back_too():
    rng = np.random.default_rng(5)
    seg = Segmenter(random_state=0).fit(rng.uniform(size=(1500, 3)))
    assert seg.selection_["fallback"] is True and seg.selection_["k"] == 3


def test_a_segment_under_the_minimum_share_is_not_a_candidate():
    scores = [
        {"k": 2, "excess": 0.20, "min_share": 0.30},
        {"k": 3, "excess": 0.35, "min_share": 0.005},  # best excess, but a segment of 0.5% of the users
        {"k": 4, "excess": 0.25, "min_share": 0.10},
    ]
    choice = selection.choose_k(scores)
    assert choice.k == 4 and not choice.fallback


def test_near_ties_go_to_the_smaller_k():
    scores = [
        {"k": 4, "excess": 0.200, "min_share": 0.1},
        {"k": 5, "excess": 0.210, "min_share": 0.1},
        {"k": 6, "excess": 0.212, "min_share": 0.1},
    ]
    assert selection.choose_k(scores).k == 4
    scores[0]["excess"] = 0.19
    assert selection.choose_k(scores).k == 5


def test_an_unstable_choice_falls_back_and_names_the_agreement():
    scores = [{"k": 2, "excess": 0.05, "min_share": 0.4}, {"k": 5, "excess": 0.30, "min_share": 0.1}]
    choice = selection.choose_k(scores, stability_of=lambda k: 0.31)
    assert choice.k == 3 and choice.fallback
    assert "k = 5" in choice.reason and "0.31" in choice.reason
    stable = selection.choose_k(scores, stability_of=lambda k: 0.95)
    assert stable.k == 5 and not stable.fallback and stable.stability == 0.95


def test_stability_tells_real_groups_from_arbitrary_cuts():
    X, _ = blobs(np.array([[0.0, 0], [9, 0], [0, 9]]), 300, 1.0, seed=6)
    assert selection.stability(X, 3, n_init=3, max_iter=300, seed=0) > 0.95
    rng = np.random.default_rng(7)
    cloud = rng.normal(size=(900, 6))  # round: any 6-way cut is arbitrary
    assert selection.stability(cloud, 6, n_init=1, max_iter=300, seed=0) < 0.9


def test_given_k_is_not_a_fallback_and_scans_nothing_else():
    X, _ = blobs(np.array([[0.0, 0], [8, 0]]), 200, 1.0, seed=8)
    seg = Segmenter(n_segments=4, random_state=0).fit(X)
    assert seg.selection_["k"] == 4 and seg.selection_["fallback"] is False
    assert [r["k"] for r in seg.selection_["scores"]] == [4]


def test_selection_is_json_and_reproducible(tmp_path):
    X, _ = blobs(np.array([[0.0, 0, 0], [8, 0, 0], [0, 8, 0]]), 200, 1.0, seed=9)
    a = Segmenter(random_state=3).fit(X)
    b = Segmenter(random_state=3).fit(X)
    assert a.selection_["k"] == b.selection_["k"] == 3
    assert json.loads(json.dumps(a.selection_, allow_nan=True))["reason"] == b.selection_["reason"]
    a.save(tmp_path / "m.json")
    assert Segmenter.load(tmp_path / "m.json").selection_["fallback"] is False


@pytest.mark.parametrize("n", [3, 5, 12])
def test_tiny_inputs_still_fit(n):
    rng = np.random.default_rng(n)
    seg = Segmenter(random_state=0).fit(rng.normal(size=(n, 2)))
    assert 1 <= seg.selection_["k"] <= n
    assert len(seg.cluster_centers_) == seg.selection_["k"]


def test_device_and_referrer_shares_are_pooled_by_clicks(tmp_path):
    """A one-click user's device share (0 or 1) is pulled toward the average share; a heavy clicker's
    stays near its own; without ``clicks`` among the features nothing is pooled; files keep it."""
    import pandas as pd

    from intentseg.model.transform import POOL_PSEUDO

    rng = np.random.default_rng(0)
    n = 400
    clicks = np.where(np.arange(n) % 2 == 0, 1, 200)
    df = pd.DataFrame({"user_id": np.arange(n), "clicks": clicks,
                       "device_mobile_share": rng.integers(0, 2, n).astype(float),
                       "intent_commercial_share": rng.uniform(0, 1, n)})
    model = Segmenter(n_segments=2, random_state=0).fit(df)
    t = model.transform_
    prior = float(df["device_mobile_share"].mean())
    j = t.names.index("device_mobile_share")
    assert dict(zip(t.names, t.pool_by)) == {"clicks": None, "device_mobile_share": "clicks",
                                             "intent_commercial_share": None}
    assert t.prior[j] == pytest.approx(prior)
    light = pd.DataFrame({"user_id": [1, 2], "clicks": [1, 1000], "device_mobile_share": [1.0, 1.0],
                          "intent_commercial_share": [0.5, 0.5]})
    pooled = t.unscale(t.apply(light[t.names].to_numpy(float)))[:, j]
    assert pooled[0] == pytest.approx((1 + POOL_PSEUDO * prior) / (1 + POOL_PSEUDO))
    assert pooled[1] > 0.99  # many clicks: the user's own share
    unpooled = Segmenter(n_segments=2, random_state=0, features=["device_mobile_share", "intent_commercial_share"]).fit(df)
    assert unpooled.transform_.pooled() == []
    model.save(tmp_path / "m.json")
    again = Segmenter.load(tmp_path / "m.json")
    np.testing.assert_array_equal(again.predict(df), model.predict(df))
    assert again.transform_.pooled() == t.pooled()
    d = json.loads((tmp_path / "m.json").read_text())
    d["transform"]["pool"]["by"][j] = "nope"
    with pytest.raises(Exception, match="transform.pool.by"):
        Segmenter.from_dict(d)


def test_average_durations_are_pooled_in_log_space_by_their_counts(tmp_path, monkeypatch):
    """With POOLED_AVERAGES on (not the default), ``article_time_avg_s`` (0 for a user with no article
    view) is pooled in log space by ``article_views``, ``click_time_avg_s`` by ``clicks``; the file
    keeps it; a file that pools only shares (written before) keeps scoring with shares only; a negative
    prior is refused. By default the averages are not pooled."""
    import pandas as pd

    from intentseg.model import transform
    from intentseg.model.transform import POOL_PSEUDO

    rng = np.random.default_rng(1)
    n = 400
    views = np.where(np.arange(n) % 2 == 0, 0, rng.integers(5, 50, n))
    df = pd.DataFrame({"user_id": np.arange(n), "clicks": rng.integers(1, 100, n), "article_views": views,
                       "click_time_avg_s": rng.uniform(5, 60, n),
                       "article_time_avg_s": np.where(views > 0, rng.uniform(30, 300, n), 0.0),
                       "device_mobile_share": rng.uniform(0, 1, n)})
    default = Segmenter(n_segments=2, random_state=0).fit(df).transform_
    assert [default.names[j] for j, *_ in default.pooled()] == ["device_mobile_share"]
    monkeypatch.setattr(transform, "POOLED", transform.POOLED_SHARES + transform.POOLED_AVERAGES)
    model = Segmenter(n_segments=2, random_state=0).fit(df)
    monkeypatch.setattr(transform, "POOLED", transform.POOLED_SHARES)  # loading needs no setting
    t = model.transform_
    assert dict(zip(t.names, t.pool_by)) == {"clicks": None, "article_views": None, "click_time_avg_s": "clicks",
                                             "article_time_avg_s": "article_views", "device_mobile_share": "clicks"}
    j = t.names.index("article_time_avg_s")
    readers = df["article_views"] > 0
    prior = float(np.log(1.0 + df.loc[readers, "article_time_avg_s"]).mean())
    assert t.prior[j] == pytest.approx(prior)
    probe = pd.DataFrame({"user_id": [1, 2], "clicks": [3, 3], "article_views": [0, 1000],
                          "click_time_avg_s": [10.0, 10.0], "article_time_avg_s": [0.0, 100.0],
                          "device_mobile_share": [0.5, 0.5]})
    pooled = t.unscale(t.apply(probe[t.names].to_numpy(float)))[:, j]
    assert pooled[0] == pytest.approx(prior)  # no article view: the prior, not log(1) = 0
    assert pooled[1] == pytest.approx((1000 * np.log(101.0) + POOL_PSEUDO * prior) / (1000 + POOL_PSEUDO))
    model.save(tmp_path / "m.json")
    again = Segmenter.load(tmp_path / "m.json")
    np.testing.assert_array_equal(again.predict(df), model.predict(df))
    # An older file: only the share pooled. It loads and applies exactly that, no average pooling.
    d = json.loads((tmp_path / "m.json").read_text())
    for name in ("click_time_avg_s", "article_time_avg_s"):
        d["transform"]["pool"]["by"][t.names.index(name)] = None
        d["transform"]["pool"]["prior"][t.names.index(name)] = 0.0
    old = Segmenter.from_dict(d)
    assert [c for c, *_ in old.transform_.pooled()] == [t.names.index("device_mobile_share")]
    assert old.transform_.unscale(old.transform_.apply(probe[t.names].to_numpy(float)))[0, j] == 0.0
    d["transform"]["pool"]["by"][j] = "article_views"
    d["transform"]["pool"]["prior"][j] = -1.0
    with pytest.raises(Exception, match="transform.pool.prior"):
        Segmenter.from_dict(d)


def test_pooled_averages_score_alike_in_sql_on_every_engine(warehouse, monkeypatch):
    """The scoring query repeats the pooling of a log average (after its LN) exactly: same ids and
    distances as ``predict`` on every engine, users without article views included."""
    import pandas as pd

    from intentseg.model import transform

    rng = np.random.default_rng(2)
    n = 300
    views = np.where(np.arange(n) % 3 == 0, 0, rng.integers(1, 40, n))
    clicks = rng.integers(1, 80, n)
    df = pd.DataFrame({"user_id": np.arange(1, n + 1), "clicks": clicks, "article_views": views,
                       "click_time_avg_s": np.where(clicks > 1, rng.uniform(5, 60, n), 0.0),
                       "article_time_avg_s": np.where(views > 0, rng.uniform(30, 300, n), 0.0),
                       "device_mobile_share": rng.uniform(0, 1, n)})
    monkeypatch.setattr(transform, "POOLED", transform.POOLED_SHARES + transform.POOLED_AVERAGES)
    model = Segmenter(n_segments=4, random_state=0).fit(df)
    assert {model.transform_.names[j] for j, *_ in model.transform_.pooled()} == {
        "click_time_avg_s", "article_time_avg_s", "device_mobile_share"}
    warehouse.write_table("user_features", df)
    got = warehouse.query(model.to_sql(dialect=warehouse.dialect, features_table="user_features"))
    got = got.sort_values("user_id").reset_index(drop=True)
    np.testing.assert_array_equal(got["segment_id"].astype(int).to_numpy(), model.predict(df))
    np.testing.assert_allclose(got["distance"].astype(float), model.transform(df).min(axis=1), rtol=1e-9, atol=1e-9)
