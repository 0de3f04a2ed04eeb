"""Fast checks for the independent `forum` generator (DIY Q&A site)."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.quality.generators.forum import DEFAULT_SHARES, PERSONAS, generate

FILES = ["clickstream.parquet", "search_queries.parquet", "article_views.parquet", "truth.parquet"]


def _load(d):
    return {f: pd.read_parquet(Path(d) / f) for f in FILES}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    d = tmp_path_factory.mktemp("forum")
    info = generate(d, n_users=1500, seed=3)
    return d, info, _load(d)


def test_schema_and_dtypes(small):
    d, info, t = small
    c = t["clickstream.parquet"]
    assert list(c.columns) == ["user_id", "timestamp", "url", "referrer", "device", "time_spent"]
    assert c.user_id.dtype == np.int64 and c.time_spent.dtype == np.int64
    assert pd.api.types.is_datetime64_any_dtype(c.timestamp)
    assert c.url.str.startswith("https://").all()
    assert c.referrer.isna().any() and c.referrer.dropna().str.startswith("https://").all()
    assert {"desktop", "mobile", "tablet"} <= set(c.device.unique())
    s = t["search_queries.parquet"]
    assert list(s.columns) == ["user_id", "timestamp", "query"]
    assert s.user_id.dtype == np.int64 and pd.api.types.is_datetime64_any_dtype(s.timestamp)
    a = t["article_views.parquet"]
    assert list(a.columns) == ["user_id", "timestamp", "article_id", "time_spent"]
    for col in ["user_id", "article_id", "time_spent"]:
        assert a[col].dtype == np.int64
    tr = t["truth.parquet"]
    assert list(tr.columns) == ["user_id", "persona", "engagement_rank"]
    assert tr.engagement_rank.dtype == np.int64 and tr.user_id.is_unique and len(tr) == 1500
    # every user has at least one event, and no events from unknown users
    seen = set(c.user_id) | set(s.user_id) | set(a.user_id)
    assert seen == set(tr.user_id)
    assert info["personas"] == PERSONAS and info["true_k"] == 6 and info["n_users"] == 1500
    assert info["events"] == {f: len(t[f]) for f in FILES}
    # timestamps stay within the 28-day window (sessions starting inside it)
    assert (c.timestamp.max() - c.timestamp.min()) <= pd.Timedelta(days=28)


def test_reproducible(small, tmp_path):
    d, info, t = small
    info2 = generate(tmp_path, n_users=1500, seed=3)
    assert info2 == info
    for f in FILES:
        pd.testing.assert_frame_equal(t[f], pd.read_parquet(tmp_path / f))
    generate(tmp_path / "other", n_users=1500, seed=4)
    assert not pd.read_parquet(tmp_path / "other" / FILES[0]).equals(t[FILES[0]])


def test_shares_default_and_override(small, tmp_path):
    tr = small[2]["truth.parquet"]
    frac = tr.persona.value_counts(normalize=True)
    for p, s in DEFAULT_SHARES.items():
        assert abs(frac[p] - s) < 0.01
    shares = {"bouncer": 0.2, "project_planner": 0.2, "shopper": 0.2, "weekend_regular": 0.2,
              "helper": 0.15, "moderator": 0.05}
    generate(tmp_path, n_users=800, seed=1, shares=shares)
    frac = pd.read_parquet(tmp_path / "truth.parquet").persona.value_counts(normalize=True)
    for p, s in shares.items():
        assert abs(frac[p] - s) < 0.01


def _events_per_user(t):
    tr = t["truth.parquet"].set_index("user_id")
    n = sum(t[f].groupby("user_id").size().reindex(tr.index, fill_value=0) for f in FILES[:3])
    return n.groupby(tr.engagement_rank).mean()


def test_engagement_rank_monotone(small):
    t = small[2]
    tr = t["truth.parquet"]
    assert (tr.groupby("persona").engagement_rank.first().reindex(PERSONAS).values == np.arange(6)).all()
    m = _events_per_user(t)
    assert m.is_monotonic_increasing, m
    # bouncers: one page, no site search; moderators: hundreds of pages
    assert m.iloc[0] < 3 and m.iloc[-1] > 500


def test_persona_signatures(small):
    t = small[2]
    tr = t["truth.parquet"].set_index("user_id").persona
    c = t["clickstream.parquet"].assign(p=lambda x: x.user_id.map(tr))
    wkend = c.timestamp.dt.day_of_week >= 5
    assert wkend[c.p == "weekend_regular"].mean() > 0.7
    assert (c.device[c.p == "weekend_regular"] == "mobile").mean() > 0.8
    assert (c.device[c.p == "moderator"] == "desktop").mean() > 0.9
    assert c.time_spent[c.p == "moderator"].median() < c.time_spent[c.p == "project_planner"].median()
    assert c.url[c.p == "shopper"].str.contains("/marketplace/").mean() > 0.5
    assert c.time_spent.max() > 2 * 3600  # rare absurd outliers exist


def test_separation_zero_converges(tmp_path):
    generate(tmp_path, n_users=1200, seed=5, separation=0.0)
    t = _load(tmp_path)
    m = _events_per_user(t)
    assert m.max() / m.min() < 2.5, m  # only sampling noise left
    tr = t["truth.parquet"].set_index("user_id").persona
    c = t["clickstream.parquet"].assign(p=lambda x: x.user_id.map(tr))
    mob = c.groupby("p").device.apply(lambda s: (s == "mobile").mean())
    assert mob.max() - mob.min() < 0.15, mob
