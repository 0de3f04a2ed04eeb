"""Honest names and traits: the effect-size rule, evidence from the warehouse, tiers by engagement rank."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from intentseg.config import Settings
from intentseg.generate import generate_events
from intentseg.model import Segmenter
from intentseg.model.naming import (
    TIERS,
    build_profiles,
    name_and_advise,
    name_segments,
    supported_features,
    tier_of,
)
from intentseg.pipeline import run
from intentseg.warehouse import connect

#: Nouns a warehouse with clicks alone (no search, no articles, no device or referrer column) cannot support.
NOT_FROM_CLICKS_ALONE = ("readers", "searchers", "researchers", "shoppers", "comparers", "navigators", "browsers",
                         "mobile", "desktop", "tablet", "visitors")


def _crafted(n_per_segment: int = 200, seed: int = 0):
    """Two segments of users and four features, each built to test one part of the rule.

    tiny_gap:   log counts whose means differ by 0.1 SD: real but small, no trait
    big_gap:    log counts 3 SD apart: a trait of both segments (more / fewer)
    share_gap:  a share 3 points apart with almost no spread (d is huge): the 10-point floor says no trait
    constant:   the same for everyone: no evidence at all
    """
    rng = np.random.default_rng(seed)
    labels = np.repeat([0, 1], n_per_segment)
    tiny = np.exp(rng.normal(3.0 + 0.1 * labels, 1.0)) - 1
    big = np.exp(rng.normal(1.0 + 3.0 * labels, 1.0)) - 1
    share = 0.20 + 0.03 * labels + rng.normal(0, 0.002, len(labels))
    raw = np.column_stack([tiny, big, share, np.full(len(labels), 5.0)])
    names = ["tiny_gap_s", "big_gap_s", "share_gap_share", "constant"]
    kinds = ["log", "log", "share", "plain"]
    Z = np.column_stack([np.log1p(tiny), np.log1p(big), share, np.zeros(len(labels))])
    return raw, Z, labels, names, kinds


def test_only_a_large_difference_makes_a_trait():
    raw, Z, labels, names, kinds = _crafted()
    profiles = build_profiles(raw, Z, labels, 2, names, kinds)
    for p in profiles:
        d = {f: p["features"][f]["effect_size"] for f in names}
        assert abs(d["tiny_gap_s"]) < 0.5  # measured, and too small
        assert abs(d["big_gap_s"]) > 2.0
        assert abs(d["share_gap_share"]) > 5.0  # large in SD, but only 3 points: below the floor
        assert d["constant"] == 0.0
        assert len(p["traits"]) == 1 and "big gap" in p["traits"][0]
    assert profiles[0]["traits"][0].startswith("fewer big gap s than other users")
    assert profiles[1]["traits"][0].startswith("more big gap s than other users")


def test_a_share_ten_points_apart_is_a_trait():
    raw, Z, labels, names, kinds = _crafted()
    wider = 0.20 + 0.15 * labels  # the same share, now 15 points apart
    raw[:, 2] = Z[:, 2] = wider + np.random.default_rng(1).normal(0, 0.05, len(labels))
    profiles = build_profiles(raw, Z, labels, 2, names, kinds)
    assert any("share gap share" in t for t in profiles[1]["traits"])


def test_a_column_the_warehouse_lacks_is_no_evidence():
    """No device column: every clicker's mobile share is 0; no referrer: every clicker is 'direct'."""
    clicks = np.array([5, 9, 0, 30, 2, 0], dtype=float)  # users 3 and 6 only searched
    searches = np.array([0, 1, 4, 0, 2, 8], dtype=float)
    raw = np.column_stack([
        clicks,
        searches,
        np.zeros(6),                        # device_mobile_share: 0 for all
        (clicks > 0).astype(float),         # referrer_direct_share: 1 for every clicker, 0 for the others
        [0.5, 0.0, 0.2, 0.9, 0.4, 0.1],     # intent_transactional_share: varies
        [10, 12, 0, 40, 11, 0],             # click_time_avg_s: varies, but the build says time_spent is absent
    ])
    names = ["clicks", "searches", "device_mobile_share", "referrer_direct_share",
             "intent_transactional_share", "click_time_avg_s"]
    ok = supported_features(raw, names)
    assert ok.tolist() == [True, True, False, False, True, True]
    told = supported_features(raw, names, absent_sources=["article_views"], absent_columns={"clickstream": ["time_spent"]})
    assert told.tolist() == [True, True, False, False, True, False]
    assert not supported_features(raw, names, absent_sources=["search_queries"])[[1, 4]].any()


@pytest.mark.parametrize("k", range(1, 11))
def test_tiers_follow_engagement_rank(k):
    tiers = [tier_of(r, k) for r in range(k)]
    assert tiers == sorted(tiers)
    assert tiers[-1] == 2
    if k >= 2:
        assert tiers[0] == 0
    if k >= 3:
        assert 1 in tiers
        assert tiers == [2 - t for t in reversed(tiers)]  # as many low as high segments
    if k == 3:
        assert tiers == [0, 1, 2]


def _bare_profiles(k: int) -> list[dict]:
    """Profiles of segments that nothing sets apart (no noun qualifies)."""
    return [{"segment_id": s, "_nouns": [], "_strength": 0.0} for s in range(k)]


def test_without_traits_names_are_tier_and_rank_not_segment_numbers():
    names = name_segments(_bare_profiles(6))
    assert names == ["Low engagement (1 of 2)", "Low engagement (2 of 2)", "Moderate engagement (1 of 2)",
                     "Moderate engagement (2 of 2)", "Highly engaged (1 of 2)", "Highly engaged (2 of 2)"]


def test_tiers_come_from_engagement_not_ids():
    """Ids a refit kept out of engagement order: id 0 is the most engaged here."""
    engagement = np.array([0.9, -0.5, 0.1])
    assert name_segments(_bare_profiles(3), engagement=engagement) == ["Highly engaged", "Low engagement",
                                                                      "Moderate engagement"]


def test_a_carried_name_that_would_lie_is_replaced():
    profiles = _bare_profiles(5)
    profiles[4]["_nouns"] = ["shoppers"]
    carried = {
        0: "Highly engaged · readers",      # wrong tier: replaced
        1: "Low engagement (2 of 2)",       # still its rank in its tier: kept
        2: "Moderate engagement · readers",  # a noun it does not have: replaced
        3: "Power users",                   # a user's own name, no tier claimed: kept
        4: "Highly engaged · shoppers",     # true: kept
    }
    names = name_segments(profiles, carried)
    assert names == ["Low engagement (1 of 2)", "Low engagement (2 of 2)", "Moderate engagement",
                     "Power users", "Highly engaged · shoppers"]
    assert name_segments(_bare_profiles(3), {1: "Moderate engagement · readers"}) == list(TIERS)  # k <= 3


def test_advice_comes_from_a_supported_trait_only():
    profiles = _bare_profiles(4)
    profiles[3]["_nouns"] = ["searchers"]
    name_and_advise(profiles, [], {}, np.arange(4.0), 4)
    assert profiles[0]["advice"] == "Re-engage: broad messages."
    assert profiles[3]["advice"].startswith("Retain: improve search results")


def _clicks_only_frame(seed: int = 0) -> pd.DataFrame:
    """User features as a warehouse with clickstream alone (no time_spent/device/referrer) gives them."""
    events = generate_events(600, seed=seed)
    from intentseg.features import build_features

    with connect("duckdb:///:memory:") as wh:
        wh.write_table("clickstream", events.clickstream[["user_id", "timestamp", "url"]])
        return build_features(wh)


def test_clicks_only_features_give_no_noun_they_cannot_support():
    df = _clicks_only_frame()
    assert df.attrs["run"]["absent_sources"] == ["search_queries", "article_views"]
    for k in (5, 8):
        seg = Segmenter(n_segments=k, random_state=0, n_init=2).fit(df)
        names = seg.segment_names_
        assert len(set(names)) == k
        assert not [n for n in names if any(w in n for w in NOT_FROM_CLICKS_ALONE)], names
        assert not [n for n in names if re.search(r"segment \d", n, re.I)], names
        for p in seg.profiles_:  # no trait sentence from a feature the warehouse does not have
            assert not [t for t in p["traits"] if re.search(r"search|article|device|referrer|intent|time", t)], p


def test_names_are_stable_across_identical_fits(behaviour):
    a = Segmenter(n_segments=6, random_state=3, n_init=3).fit(behaviour)
    b = Segmenter(n_segments=6, random_state=3, n_init=3).fit(behaviour)
    assert a.segment_names_ == b.segment_names_
    assert [p["traits"] for p in a.profiles_] == [p["traits"] for p in b.profiles_]
    assert [p["advice"] for p in a.profiles_] == [p["advice"] for p in b.profiles_]


def test_clickstream_only_warehouse_names_on_every_engine(warehouse_url):
    """A purchase-like warehouse: clicks only, no search/article tables, no referrer/device/time columns."""
    events = generate_events(800, seed=4)
    with connect(warehouse_url) as wh:
        wh.write_table("clickstream", events.clickstream[["user_id", "timestamp", "url"]])
    settings = Settings(warehouse=warehouse_url)
    settings.segment.n_init = 2
    settings.segment.k = 6
    result = run(settings=settings, previous=False)
    names = [s["name"] for s in result.segments]
    assert len(set(names)) == 6
    assert not [n for n in names if any(w in n for w in NOT_FROM_CLICKS_ALONE)], names
    assert not [n for n in names if re.search(r"segment \d", n, re.I)], names
    by_rank = [result.model.segment_names_[s] for s in np.argsort(result.model.engagement_)]
    assert by_rank[0].startswith("Low engagement") and by_rank[-1].startswith("Highly engaged")
    for s in result.segments:
        assert not [t for t in s["traits"] if re.search(r"search|article|device|referrer|intent|time", t)], s


def test_what_the_build_reports_absent_is_never_a_trait(behaviour):
    """A column the feature build says is absent gives no trait, even if its values vary (e.g. a stale table)."""
    df = behaviour.copy()
    df["click_time_avg_s"] = np.choose(df["group"], [5.0, 60.0, 300.0]) * (1 + 0.1 * (df["user_id"] % 7))
    with_time = Segmenter(n_segments=3, random_state=0).fit(df)
    assert any("time per click" in t for p in with_time.profiles_ for t in p["traits"])
    df.attrs["run"] = {"absent_sources": [], "absent_columns": {"clickstream": ["time_spent"]}}
    told = Segmenter(n_segments=3, random_state=0).fit(df)
    assert not [t for p in told.profiles_ for t in p["traits"] if "time per click" in t]
    assert told.profiles_[2]["features"]["click_time_avg_s"]["effect_size"] > 0.5  # measured, just not evidence


# -- content interests (docs/adr/0009-content-interests.md) ------------------------------------------------
def _interest_profiles(top_sports: np.ndarray):
    """Four segments of 100 users ranked by clicks; segment 3's sports shares are ``top_sports``, the
    others' a fixed mix around 10%, so whether segment 3 is "sports readers" is up to the effect-size rule."""
    from intentseg.model.transform import FeatureTransform

    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2, 3], 100)
    clicks = np.exp(rng.normal(1.0 + labels, 0.3))
    sports = np.where(labels == 3, np.resize(top_sports, len(labels)), np.resize([0.0, 0.1, 0.2], len(labels)))
    raw = np.c_[clicks, sports, 1 - sports]
    names = ["clicks", "interest_page_sports_share", "interest_page_other_share"]
    kinds = ["log", "share", "share"]
    Z = FeatureTransform.fit(raw, names, kinds, "standard").apply(raw)
    sections = {"interest_page_sports_share": "Sports & Co", "interest_page_other_share": "other"}
    profiles = build_profiles(raw, Z, labels, 4, names, kinds, sections=sections)
    return profiles, name_and_advise(profiles, names, {}, np.arange(4.0), 4)


def test_a_segment_reading_one_section_is_named_after_it():
    # segment 3: 80-100% sports pages vs about 10% for everyone else -> d far above 0.5, 80 points apart
    profiles, names = _interest_profiles(np.array([0.8, 0.9, 1.0]))
    assert names[3] == "Highly engaged · Sports & Co readers"  # the section's own label, not its column slug
    assert any("share of pages in Sports & Co" in t for t in profiles[3]["traits"])
    assert "Sports & Co content" in profiles[3]["advice"]
    assert not any("other readers" in n for n in names)  # the 'other' share names no one


def test_an_interest_below_the_effect_size_rule_names_no_one():
    # segment 3: sports shares 0 or 1, a fifth of them 1 -> 20% vs 10% (10 points) but with a spread that
    # keeps d under 0.5 (about 0.47): no trait, no noun
    profiles, names = _interest_profiles(np.array([0.0, 0.0, 0.0, 0.0, 1.0]))
    d = profiles[3]["features"]["interest_page_sports_share"]["effect_size"]
    assert abs(d) < 0.5 and profiles[3]["features"]["interest_page_sports_share"]["mean"] == pytest.approx(0.2)
    assert "Sports" not in names[3] and not any("Sports" in t for t in profiles[3]["traits"])


def test_named_feature_sets_resolve_against_the_frame():
    from intentseg.model.transform import resolve_feature_set

    columns = ["user_id", "clicks", "searches", "intent_commercial_share", "interest_page_a_share",
               "interest_page_other_share"]
    assert resolve_feature_set("interests", columns) == ["interest_page_a_share", "interest_page_other_share"]
    assert resolve_feature_set("engagement+interests", columns) == [
        "clicks", "searches", "intent_commercial_share", "interest_page_a_share", "interest_page_other_share"]
    assert resolve_feature_set("intent", columns) == ["searches", "intent_commercial_share"]
    with pytest.raises(ValueError, match="unknown feature set"):
        resolve_feature_set("engagement+hobbies", columns)


def test_a_segmenter_asked_for_a_feature_set_keeps_it_in_the_model_file(tmp_path):
    rng = np.random.default_rng(1)
    n = 300
    sports = rng.choice([0.05, 0.9], n)
    frame = pd.DataFrame({"user_id": np.arange(n), "clicks": rng.poisson(5, n) + 1,
                          "interest_page_sports_share": sports, "interest_page_other_share": 1 - sports})
    frame.attrs["run"] = {"interests": {"clickstream": {"interest_page_sports_share": "sports",
                                                        "interest_page_other_share": "other"}}}
    model = Segmenter(n_segments=2, features="engagement+interests", random_state=0).fit(frame)
    assert model.feature_names_ == ["clicks", "interest_page_sports_share", "interest_page_other_share"]
    assert model.metadata_["feature_labels"]["interest_page_sports_share"] == "sports"
    model.save(tmp_path / "m.json")
    again = Segmenter.load(tmp_path / "m.json")
    assert again.features == "engagement+interests"
    np.testing.assert_array_equal(again.predict(frame), model.predict(frame))
    with pytest.raises(Exception, match="matches no column"):
        Segmenter(n_segments=2, features="interests", random_state=0).fit(frame.drop(
            columns=["interest_page_sports_share", "interest_page_other_share"]))


def test_a_model_on_interests_alone_ranks_segments_by_their_members_engagement():
    # 150 sports fans with engagement scores near 2, 150 culture fans near 6: the interest shares carry no
    # engagement weight, so the tiers must come from the members' engagement_score, not from the centres
    rng = np.random.default_rng(2)
    sports = np.r_[rng.uniform(0.8, 1.0, 150), rng.uniform(0.0, 0.2, 150)]
    frame = pd.DataFrame({"user_id": np.arange(300), "interest_page_sports_share": sports,
                          "interest_page_culture_share": 1 - sports,
                          "engagement_score": np.r_[rng.normal(2, 0.3, 150), rng.normal(6, 0.3, 150)]})
    model = Segmenter(n_segments=2, features="interests", random_state=0).fit(frame)
    fans = model.labels_[:150]
    assert set(fans) == {0} and set(model.labels_[150:]) == {1}  # sports fans: the less engaged segment
    np.testing.assert_allclose(model.engagement_, [frame["engagement_score"][:150].mean(),
                                                   frame["engagement_score"][150:].mean()])
    assert model.segment_names_ == ["Low engagement", "Highly engaged"]
