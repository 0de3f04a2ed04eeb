"""The blind generators of the second held-out round, `saas` and `marketplace`: schema, determinism, shares,
coverage, separation, engagement order (one suite, run on each)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bench.quality.generators import marketplace, saas

N = 1500


@dataclass(frozen=True)
class Spec:
    """What the generator's own description promises: its personas' shares, their engagement order, its days."""

    gen: ModuleType
    shares: dict[str, float]
    order: list[str]
    days: int


SPECS = {
    "saas": Spec(saas, {"evaluators": 0.40, "admins": 0.22, "developers": 0.20, "champions": 0.12,
                        "support-seekers": 0.06},
                 ["evaluators", "admins", "support-seekers", "developers", "champions"], 28),
    "marketplace": Spec(marketplace, {"window shoppers": 0.35, "bargain hunters": 0.20, "sellers": 0.15,
                                      "collectors": 0.12, "movers": 0.10, "dealers": 0.05, "guide readers": 0.03},
                        ["window shoppers", "guide readers", "movers", "sellers", "collectors", "bargain hunters",
                         "dealers"], 21),
}
SCHEMAS = {
    "clickstream": pa.schema([("user_id", pa.int64()), ("timestamp", pa.timestamp("us")), ("url", pa.string()),
                              ("referrer", pa.string()), ("device", pa.string()), ("time_spent", pa.int64())]),
    "search_queries": pa.schema([("user_id", pa.int64()), ("timestamp", pa.timestamp("us")), ("query", pa.string())]),
    "article_views": pa.schema([("user_id", pa.int64()), ("timestamp", pa.timestamp("us")), ("article_id", pa.int64()),
                                ("time_spent", pa.int64())]),
    "truth": pa.schema([("user_id", pa.int64()), ("persona", pa.string()), ("engagement_rank", pa.int64())]),
}
EVENT_FILES = ("clickstream", "search_queries", "article_views")


@pytest.fixture(scope="module", params=list(SPECS))
def spec(request: pytest.FixtureRequest) -> Spec:
    return SPECS[request.param]


@pytest.fixture(scope="module")
def made(spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp(spec.gen.__name__.rsplit(".", 1)[-1])
    return out, spec.gen.generate(out, n_users=N, seed=3)


def _read(d: Path, name: str) -> pd.DataFrame:
    return pq.read_table(d / f"{name}.parquet").to_pandas()


def _events_per_user(d: Path) -> pd.DataFrame:
    truth = _read(d, "truth").set_index("user_id")
    total = sum(_read(d, f).groupby("user_id").size().reindex(truth.index, fill_value=0) for f in EVENT_FILES)
    return truth.assign(events=total)


def test_schemas_and_summary(spec: Spec, made: tuple[Path, dict]) -> None:
    d, res = made
    for name, schema in SCHEMAS.items():
        got = pq.read_schema(d / f"{name}.parquet")
        assert [(f.name, f.type) for f in got] == [(f.name, f.type) for f in schema], name
    assert res["n_users"] == N and res["personas"] == spec.order and res["true_k"] == len(spec.order)
    for name in EVENT_FILES:
        assert res["events"][f"{name}.parquet"] == pq.read_metadata(d / f"{name}.parquet").num_rows > 0


def test_values_are_plausible(spec: Spec, made: tuple[Path, dict]) -> None:
    d, _ = made
    clicks = _read(d, "clickstream")
    assert clicks["url"].str.startswith("https://").all()
    refs = clicks["referrer"].dropna()
    assert refs.str.startswith("https://").all() and 0 < len(refs) < len(clicks)
    assert clicks["referrer"].str.contains("google|bing|duckduckgo", na=False).any()
    assert clicks["device"].notna().all() and clicks["device"].nunique() > 5
    for name in ("clickstream", "article_views"):
        df = _read(d, name)
        assert (df["time_spent"] >= 1).all() and df["time_spent"].max() > 3 * 3600  # a tab left open somewhere
    lo, hi = pd.Timestamp("2026-03-02"), pd.Timestamp("2026-03-02") + pd.Timedelta(days=spec.days + 2)
    for name in EVENT_FILES:
        t = _read(d, name)["timestamp"]
        assert t.min() >= lo and t.max() < hi
    assert _read(d, "search_queries")["query"].str.len().gt(1).all()


def test_deterministic_per_seed(spec: Spec, made: tuple[Path, dict], tmp_path: Path) -> None:
    d, _ = made
    spec.gen.generate(tmp_path / "again", n_users=N, seed=3)
    spec.gen.generate(tmp_path / "other", n_users=N, seed=4)
    for name in (*EVENT_FILES, "truth"):
        assert pq.read_table(tmp_path / "again" / f"{name}.parquet").equals(pq.read_table(d / f"{name}.parquet"))
    assert not pq.read_table(tmp_path / "other" / "clickstream.parquet").equals(pq.read_table(d / "clickstream.parquet"))


def test_shares_default_and_override(spec: Spec, made: tuple[Path, dict], tmp_path: Path) -> None:
    d, _ = made
    got = _read(d, "truth")["persona"].value_counts(normalize=True)
    for persona, share in spec.shares.items():
        assert abs(got[persona] - share) < 0.01, persona
    a, b = spec.order[0], spec.order[-1]
    res = spec.gen.generate(tmp_path, n_users=1000, seed=1, shares={a: 1.0, b: 3.0})
    counts = _read(tmp_path, "truth")["persona"].value_counts()
    assert res["true_k"] == 2 and set(counts.index) == {a, b} and abs(counts[b] / 1000 - 0.75) < 0.01
    with pytest.raises(ValueError):
        spec.gen.generate(tmp_path / "bad", n_users=10, shares={"nobody": 1.0})


def test_every_user_has_an_event(made: tuple[Path, dict]) -> None:
    per_user = _events_per_user(made[0])
    assert len(per_user) == N and (per_user["events"] > 0).all()
    assert sorted(per_user.index) == list(range(N))


def test_separation_zero_blurs_personas(spec: Spec, made: tuple[Path, dict], tmp_path: Path) -> None:
    spec.gen.generate(tmp_path, n_users=N, seed=3, separation=0.0)
    spread = {}
    for sep, d in ((1.0, made[0]), (0.0, tmp_path)):
        means = _events_per_user(d).groupby("persona")["events"].median()
        spread[sep] = means.max() / means.min()
    assert spread[1.0] > 10 and spread[0.0] < 1.6 and spread[1.0] > 5 * spread[0.0]


def test_engagement_rank_follows_persona_order(made: tuple[Path, dict]) -> None:
    d, res = made
    per_user = _events_per_user(d)
    ranks = per_user.groupby("persona")["engagement_rank"].agg(["min", "max"])
    assert (ranks["min"] == ranks["max"]).all()
    assert [int(ranks.loc[p, "min"]) for p in res["personas"]] == list(range(len(res["personas"])))
    med = per_user.groupby("persona")["events"].median()
    assert med[res["personas"][0]] * 5 < med[res["personas"][-1]]


@pytest.mark.parametrize("name", list(SPECS))
def test_days_parameter_bounds_timestamps(name: str, tmp_path: Path) -> None:
    SPECS[name].gen.generate(tmp_path, n_users=300, seed=2, days=7)
    t = _read(tmp_path, "clickstream")["timestamp"]
    assert t.max() < pd.Timestamp("2026-03-02") + pd.Timedelta(days=8)
    assert np.unique(t.dt.date).size >= 5
