"""Fast checks of the independent "newsroom" generator (bench/quality/generators/newsroom.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bench.quality.generators.newsroom import PERSONAS, generate

FILES = ["clickstream.parquet", "search_queries.parquet", "article_views.parquet", "truth.parquet"]
SCHEMAS = {
    "clickstream.parquet": {"user_id": pa.int64(), "url": pa.string(), "referrer": pa.string(),
                            "device": pa.string(), "time_spent": pa.int64()},
    "search_queries.parquet": {"user_id": pa.int64(), "query": pa.string()},
    "article_views.parquet": {"user_id": pa.int64(), "article_id": pa.int64(), "time_spent": pa.int64()},
    "truth.parquet": {"user_id": pa.int64(), "persona": pa.string(), "engagement_rank": pa.int64()},
}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    out = tmp_path_factory.mktemp("newsroom")
    info = generate(out, n_users=1500, seed=3)
    return out, info


def _read(out, name) -> pd.DataFrame:
    return pd.read_parquet(out / name)


def _events_per_user(out) -> pd.Series:
    truth = _read(out, "truth.parquet")
    n = pd.Series(0, index=truth.user_id)
    for f in FILES[:3]:
        n = n.add(_read(out, f).groupby("user_id").size(), fill_value=0)
    return n.reindex(truth.user_id).fillna(0)


def test_schema_and_dtypes(base):
    out, info = base
    for f in FILES:
        schema = pq.read_schema(out / f)
        assert "timestamp" in schema.names or f == "truth.parquet"
        if f != "truth.parquet":
            assert pa.types.is_timestamp(schema.field("timestamp").type)
        for col, typ in SCHEMAS[f].items():
            assert schema.field(col).type == typ, (f, col)
    clicks = _read(out, "clickstream.parquet")
    assert clicks.url.str.match(r"^https?://(www\.)?site\.example/").all()
    ref = clicks.referrer.dropna()
    assert ref.str.contains("://").all() and clicks.referrer.isna().any()
    dev = clicks.device.str.strip().str.lower()
    assert dev.isin(["desktop", "mobile", "tablet"]).mean() > 0.97
    assert (clicks.time_spent >= 0).all() and clicks.time_spent.max() > 5 * 3600  # absurd outliers exist
    assert info["n_users"] == 1500 and info["personas"] == PERSONAS and info["true_k"] == 5
    for f in FILES[:3]:
        assert info["events"][f] == len(_read(out, f))


def test_every_user_has_an_event_and_truth_is_consistent(base):
    out, _ = base
    truth = _read(out, "truth.parquet")
    assert truth.user_id.is_unique and len(truth) == 1500
    assert (_events_per_user(out) >= 1).all()
    ranks = truth.groupby("persona").engagement_rank.first()
    assert [ranks[p] for p in PERSONAS] == list(range(5))
    for f in FILES[:3]:
        assert set(_read(out, f).user_id) <= set(truth.user_id)


def test_reproducible_from_seed(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, n_users=300, seed=11, separation=0.7)
    generate(b, n_users=300, seed=11, separation=0.7)
    generate(c, n_users=300, seed=12, separation=0.7)
    for f in FILES:
        pd.testing.assert_frame_equal(_read(a, f), _read(b, f))
    assert not _read(a, "clickstream.parquet").equals(_read(c, "clickstream.parquet"))


def test_shares_override(tmp_path):
    shares = {"drive_by": 0.1, "skimmer": 0.2, "deal_hunter": 0.3, "researcher": 0.4, "devoted": 0.0}
    info = generate(tmp_path, n_users=1000, seed=5, shares=shares)
    mix = _read(tmp_path, "truth.parquet").persona.value_counts(normalize=True)
    for p, s in shares.items():
        assert abs(mix.get(p, 0.0) - s) < 0.01
    assert info["true_k"] == 4


def test_engagement_rises_with_rank_at_full_separation(base):
    out, _ = base
    truth = _read(out, "truth.parquet").set_index("user_id")
    ev = _events_per_user(out)
    by_rank = ev.groupby(truth.engagement_rank.reindex(ev.index).values).mean()
    assert by_rank.is_monotonic_increasing and by_rank.iloc[-1] > 20 * by_rank.iloc[0]
    reading = _read(out, "article_views.parquet").groupby("user_id").time_spent.sum().reindex(truth.index).fillna(0)
    read_by_rank = reading.groupby(truth.engagement_rank).median()
    # deal hunters "read little", so reading is not monotone below the researchers
    assert read_by_rank[4] > read_by_rank[3] > 5 * read_by_rank[[0, 1, 2]].max()
    assert read_by_rank[0] == read_by_rank.min()


def test_persona_signatures(base):
    out, _ = base
    truth = _read(out, "truth.parquet").set_index("user_id").persona
    clicks = _read(out, "clickstream.parquet")
    clicks["persona"] = clicks.user_id.map(truth)
    mobile = clicks.device.str.strip().str.lower().eq("mobile").groupby(clicks.persona).mean()
    assert mobile["drive_by"] > 0.7 and mobile["researcher"] < 0.35
    commerce = clicks.url.str.contains(r"/(?:deals|products|reviews)/").groupby(clicks.persona).mean()
    assert commerce.idxmax() == "deal_hunter"
    q = _read(out, "search_queries.parquet")
    q["persona"] = q.user_id.map(truth)
    low = q["query"].str.lower()
    question = low.str.contains(r"\b(?:how|what|why|guide)\b").groupby(q.persona).mean()
    buying = low.str.contains(r"\b(?:buy|price|cheap|cheapest|discount|deals?|sale|coupon)\b").groupby(q.persona).mean()
    assert question["researcher"] > 0.6 and buying["deal_hunter"] > 0.3
    assert q.persona.value_counts().get("skimmer", 0) < q.persona.value_counts()["researcher"]


def test_separation_zero_converges(tmp_path):
    generate(tmp_path, n_users=1500, seed=9, separation=0.0)
    truth = _read(tmp_path, "truth.parquet").set_index("user_id")
    ev = _events_per_user(tmp_path)
    means = ev.groupby(truth.persona.reindex(ev.index).values).mean()
    assert means.max() / means.min() < 1.6
    np.testing.assert_array_less(0, means.values)
