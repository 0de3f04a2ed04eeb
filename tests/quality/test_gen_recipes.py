"""The blind `recipes` generator: file contract, determinism, shares, separation and persona behaviour."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bench.quality.generators import recipes

N = 1500
TS, I64, STR = pa.timestamp("us"), pa.int64(), pa.string()
SCHEMAS = {
    "clickstream.parquet": [("user_id", I64), ("timestamp", TS), ("url", STR), ("referrer", STR), ("device", STR),
                            ("time_spent", I64)],
    "search_queries.parquet": [("user_id", I64), ("timestamp", TS), ("query", STR)],
    "article_views.parquet": [("user_id", I64), ("timestamp", TS), ("article_id", I64), ("time_spent", I64)],
    "truth.parquet": [("user_id", I64), ("persona", STR), ("engagement_rank", I64)],
}
EVENT_FILES = ["clickstream.parquet", "search_queries.parquet", "article_views.parquet"]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("recipes")
    return out, recipes.generate(out, n_users=N, seed=3)


def _per_user_clicks(out: Path) -> pd.DataFrame:
    truth = pd.read_parquet(out / "truth.parquet")
    clicks = pd.read_parquet(out / "clickstream.parquet")
    counts = clicks.groupby("user_id").size().rename("clicks")
    return truth.join(counts, on="user_id").fillna({"clicks": 0})


def test_files_have_exact_schemas(made: tuple[Path, dict]) -> None:
    out, _ = made
    for name, cols in SCHEMAS.items():
        schema = pq.read_schema(out / name)
        assert [(f.name, f.type) for f in schema] == cols, name


def test_return_value_matches_files(made: tuple[Path, dict]) -> None:
    out, info = made
    assert info["n_users"] == N
    assert info["personas"] == ["one_recipe_visitors", "deal_shoppers", "weeknight_cooks", "meal_planners", "bakers",
                                "food_news_readers", "pro_contributors"]
    assert info["true_k"] == 7
    assert set(info["events"]) == set(EVENT_FILES)
    for name in EVENT_FILES:
        assert info["events"][name] == pq.read_metadata(out / name).num_rows > 0


def test_every_user_has_an_event_and_truth_is_complete(made: tuple[Path, dict]) -> None:
    out, _ = made
    truth = pd.read_parquet(out / "truth.parquet")
    assert sorted(truth.user_id) == list(range(N))
    seen = set().union(*(set(pd.read_parquet(out / f, columns=["user_id"]).user_id) for f in EVENT_FILES))
    assert seen == set(truth.user_id)


def test_engagement_rank_follows_persona_order_and_time_spent(made: tuple[Path, dict]) -> None:
    out, info = made
    truth = pd.read_parquet(out / "truth.parquet")
    assert (truth.engagement_rank == truth.persona.map(info["personas"].index)).all()
    clicks = pd.read_parquet(out / "clickstream.parquet")
    minutes = truth.join(clicks.groupby("user_id").time_spent.sum().rename("t"), on="user_id").fillna({"t": 0})
    medians = minutes.groupby("engagement_rank").t.median()
    assert medians.is_monotonic_increasing and medians.is_unique


def test_default_shares_are_roughly_as_described(made: tuple[Path, dict]) -> None:
    out, _ = made
    got = pd.read_parquet(out / "truth.parquet").persona.value_counts(normalize=True)
    for name, want in {"one_recipe_visitors": .38, "weeknight_cooks": .20, "meal_planners": .12, "bakers": .10,
                       "deal_shoppers": .09, "food_news_readers": .08, "pro_contributors": .03}.items():
        assert got[name] == pytest.approx(want, abs=0.01)


def test_shares_override_is_normalised_and_leaves_others_out(tmp_path: Path) -> None:
    info = recipes.generate(tmp_path, n_users=400, seed=1, shares={"bakers": 1, "deal_shoppers": 3})
    got = pd.read_parquet(tmp_path / "truth.parquet").persona.value_counts(normalize=True)
    assert info["true_k"] == 2
    assert set(got.index) == {"bakers", "deal_shoppers"}
    assert got["deal_shoppers"] == pytest.approx(0.75, abs=0.01)


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown personas"):
        recipes.generate(tmp_path, n_users=10, shares={"chefs": 1})
    with pytest.raises(ValueError, match="separation"):
        recipes.generate(tmp_path, n_users=10, separation=1.5)


def test_same_seed_same_data_other_seed_other_data(made: tuple[Path, dict], tmp_path: Path) -> None:
    out, _ = made
    recipes.generate(tmp_path / "a", n_users=N, seed=3)
    recipes.generate(tmp_path / "b", n_users=N, seed=4)
    for name in SCHEMAS:
        assert pq.read_table(tmp_path / "a" / name).equals(pq.read_table(out / name)), name
    assert not pq.read_table(tmp_path / "b" / "clickstream.parquet").equals(pq.read_table(out / "clickstream.parquet"))


def test_separation_zero_makes_personas_alike(made: tuple[Path, dict], tmp_path: Path) -> None:
    out, _ = made
    recipes.generate(tmp_path, n_users=N, seed=3, separation=0.0)
    apart = _per_user_clicks(out).groupby("persona").clicks.median()
    alike = _per_user_clicks(tmp_path).groupby("persona").clicks.median()
    assert apart.max() / apart.min() > 8
    assert alike.max() / alike.min() < 1.6


def test_personas_behave_as_described(made: tuple[Path, dict]) -> None:
    out, _ = made
    truth = pd.read_parquet(out / "truth.parquet")
    clicks = pd.read_parquet(out / "clickstream.parquet").merge(truth, on="user_id")
    views = pd.read_parquet(out / "article_views.parquet").merge(truth, on="user_id")
    hour, weekend = clicks.timestamp.dt.hour, clicks.timestamp.dt.day_of_week >= 5
    cooks, planners = clicks.persona == "weeknight_cooks", clicks.persona == "meal_planners"
    assert hour[cooks].between(16, 19).mean() > 0.6 and weekend[cooks].mean() < 0.1
    assert weekend[planners].mean() > 0.85
    assert clicks.groupby("user_id").size()[truth.user_id[truth.persona == "one_recipe_visitors"]].median() <= 2
    assert views.groupby("persona").time_spent.median()["bakers"] > 300
    pros = clicks.persona == "pro_contributors"
    assert clicks.url[pros].str.contains("/dashboard|/moderation").mean() > 0.3
    landing = clicks.referrer.notna() & ~clicks.referrer.fillna("").str.startswith(recipes.SITE)
    deals = clicks[landing & (clicks.persona == "deal_shoppers")]
    assert deals.referrer.str.contains("idealo|pricerunner|shopping|pricespy|hotukdeals|camel|kelkoo").mean() > 0.4
    assert clicks.url.str.startswith("https://").all()
    assert clicks.referrer.isna().any() and clicks.referrer.dropna().str.startswith(("https://", "android-app://")).all()
