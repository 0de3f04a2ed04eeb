"""Fast checks for the independent quality-suite generator ``eshop``."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bench.quality.generators.eshop import PERSONAS, generate

FILES = ["clickstream.parquet", "search_queries.parquet", "article_views.parquet"]


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("eshop_base")
    info = generate(out, n_users=1500, seed=3)
    return out, info


def _per_user_events(out: Path) -> pd.DataFrame:
    truth = pd.read_parquet(out / "truth.parquet")
    tot = pd.Series(0, index=truth.user_id, dtype="int64")
    for f in FILES:
        c = pd.read_parquet(out / f, columns=["user_id"]).groupby("user_id").size()
        tot = tot.add(c, fill_value=0)
    return truth.assign(events=tot.reindex(truth.user_id).to_numpy())


def test_schema_and_dtypes(base):
    out, info = base
    expected = {
        "clickstream.parquet": {"user_id": pa.int64(), "timestamp": None, "url": pa.string(),
                                "referrer": pa.string(), "device": pa.string(),
                                "time_spent": pa.int64()},
        "search_queries.parquet": {"user_id": pa.int64(), "timestamp": None, "query": pa.string()},
        "article_views.parquet": {"user_id": pa.int64(), "timestamp": None,
                                  "article_id": pa.int64(), "time_spent": pa.int64()},
        "truth.parquet": {"user_id": pa.int64(), "persona": pa.string(),
                          "engagement_rank": pa.int64()},
    }
    for f, cols in expected.items():
        schema = pq.read_schema(out / f)
        assert schema.names == list(cols), f
        for name, typ in cols.items():
            t = schema.field(name).type
            if typ is None:
                assert pa.types.is_timestamp(t), (f, name, t)
            else:
                assert t == typ, (f, name, t)
    cs = pd.read_parquet(out / "clickstream.parquet")
    assert cs.url.str.match(r"^https://shop\.example/").all()
    refs = cs.referrer.dropna()
    assert refs.str.match(r"^https?://").all()
    assert cs.referrer.isna().any()
    assert {"desktop", "mobile", "tablet"} <= set(cs.device.unique())
    assert (cs.time_spent >= 0).all() and cs.time_spent.max() > 3600  # absurd outliers exist
    assert set(info["events"]) == set(FILES)
    for f in FILES:
        assert info["events"][f] == pq.read_metadata(out / f).num_rows
    assert info["personas"] == PERSONAS and info["true_k"] == 4 and info["n_users"] == 1500


def test_every_user_has_events_and_some_sources_missing(base):
    out, _ = base
    ev = _per_user_events(out)
    assert len(ev) == 1500 and ev.user_id.is_unique
    assert (ev.events >= 1).all()
    sq_users = set(pd.read_parquet(out / "search_queries.parquet").user_id)
    assert 0 < len(sq_users) < len(ev)


def test_reproducible(tmp_path, base):
    out, _ = base
    a = generate(tmp_path / "a", n_users=1500, seed=3)
    for f in FILES + ["truth.parquet"]:
        assert pq.read_table(out / f).equals(pq.read_table(tmp_path / "a" / f)), f
    b = generate(tmp_path / "b", n_users=300, seed=4)
    c = generate(tmp_path / "c", n_users=300, seed=5)
    assert a["events"] != b["events"] or b["events"] != c["events"]
    assert not pq.read_table(tmp_path / "b" / "clickstream.parquet").equals(
        pq.read_table(tmp_path / "c" / "clickstream.parquet"))


def test_shares(tmp_path, base):
    out, _ = base
    truth = pd.read_parquet(out / "truth.parquet")
    frac = truth.persona.value_counts(normalize=True)
    for p, s in {"one_time_looker": .5, "support_seeker": .2, "comparer": .2, "loyal_buyer": .1}.items():
        assert abs(frac[p] - s) < 0.01
    shares = {"one_time_looker": .1, "support_seeker": .3, "comparer": .25, "loyal_buyer": .35}
    info = generate(tmp_path / "s", n_users=800, seed=1, shares=shares)
    truth = pd.read_parquet(tmp_path / "s" / "truth.parquet")
    frac = truth.persona.value_counts(normalize=True)
    for p, s in shares.items():
        assert abs(frac[p] - s) < 0.01
    # a partial mix: missing personas get no users
    info = generate(tmp_path / "t", n_users=400, seed=1, shares={"comparer": 1, "loyal_buyer": 1})
    truth = pd.read_parquet(tmp_path / "t" / "truth.parquet")
    assert set(truth.persona) == {"comparer", "loyal_buyer"} and info["true_k"] == 2
    with pytest.raises(ValueError):
        generate(tmp_path / "u", n_users=10, shares={"nobody": 1.0})


def test_engagement_rank_order(base):
    out, _ = base
    ev = _per_user_events(out)
    # rank matches the paragraph's order, least to most engaged
    ranks = ev.groupby("persona").engagement_rank.unique()
    assert {p: int(r[0]) for p, r in ranks.items()} == {p: i for i, p in enumerate(PERSONAS)}
    mean = ev.groupby("engagement_rank").events.mean()
    assert mean.is_monotonic_increasing and mean.iloc[-1] > 5 * mean.iloc[0]
    # persona signatures
    cs = pd.read_parquet(out / "clickstream.parquet").merge(ev[["user_id", "persona"]])
    help_share = cs.url.str.contains("/help|/support/", regex=True).groupby(cs.persona).mean()
    assert help_share.idxmax() == "support_seeker"
    mob = cs.device.eq("mobile").groupby(cs.persona).mean()
    assert mob.idxmax() == "loyal_buyer"
    desk = cs.device.eq("desktop").groupby(cs.persona).mean()
    assert desk.idxmax() == "comparer"


def test_separation_zero_converges(tmp_path):
    generate(tmp_path / "z", n_users=1500, seed=2, separation=0.0)
    ev = _per_user_events(tmp_path / "z")
    mean = ev.groupby("persona").events.mean()
    assert mean.max() / mean.min() < 1.4
    cs = pd.read_parquet(tmp_path / "z" / "clickstream.parquet").merge(ev[["user_id", "persona"]])
    mob = cs.device.eq("mobile").groupby(cs.persona).mean()
    assert mob.max() - mob.min() < 0.1
