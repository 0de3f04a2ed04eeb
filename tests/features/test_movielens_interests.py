"""MovieLens-100K as real data for content interests: ratings as article views, genres as article categories.

Fetched at test time from the ``recbole==1.2.1`` wheel (``recbole/dataset_example/ml-100k/``), never committed:
100,000 ratings of 943 users; ``ml-100k.item`` lists each film's genres (``Animation Children's Comedy``),
loaded one row per (film, genre), so a view of a film with n genres adds 1/n to each.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest

from intentseg.config import load_settings
from intentseg.features import build_features
from intentseg.features.interests import is_interest
from intentseg.model.naming import MIN_EFFECT_SIZE, MIN_SHARE_POINTS
from intentseg.pipeline import run
from intentseg.warehouse import connect

pytestmark = pytest.mark.slow
MEMBER = "recbole/dataset_example/ml-100k/ml-100k."


@pytest.fixture(scope="module")
def movielens(tmp_path_factory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(article_views, articles): every rating as a view; one row per (film, genre)."""
    folder = tmp_path_factory.mktemp("ml-100k")
    done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "recbole==1.2.1",
                           "-d", str(folder)], capture_output=True, text=True)
    wheels = sorted(folder.glob("recbole-1.2.1-*.whl"))
    if done.returncode != 0 or not wheels:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"pip download recbole==1.2.1 failed: {done.stderr[-500:]}")
        pytest.skip(f"MovieLens-100K could not be fetched (pip download recbole==1.2.1): {done.stderr[-200:]}")
    with zipfile.ZipFile(wheels[0]) as zf:
        inter = pd.read_csv(io.BytesIO(zf.read(MEMBER + "inter")), sep="\t")
        items = pd.read_csv(io.BytesIO(zf.read(MEMBER + "item")), sep="\t", quoting=3)
    inter.columns = [c.split(":")[0] for c in inter.columns]  # 'user_id:token' -> 'user_id'
    items.columns = [c.split(":")[0] for c in items.columns]
    views = pd.DataFrame({"user_id": inter["user_id"].astype("int64"),
                          "timestamp": pd.to_datetime(inter["timestamp"], unit="s"),
                          "article_id": inter["item_id"].astype("int64")})
    articles = pd.DataFrame(
        [(int(i), genre) for i, genres in zip(items["item_id"], items["class"].fillna("")) for genre in genres.split()],
        columns=["article_id", "category"])
    return views, articles


@pytest.fixture(scope="module")
def warehouse_url(movielens, tmp_path_factory) -> str:
    url = f"duckdb:///{tmp_path_factory.mktemp('ml-wh') / 'ml.duckdb'}"
    views, articles = movielens
    with connect(url) as wh:
        wh.write_table("article_views", views)
        wh.write_table("articles", articles)
    return url


def settings(url: str, **segment):
    interests = {"enabled": True, "article_table": "articles"}  # content interests are off by default
    return load_settings(None, {"warehouse": url, "interests": interests, "segment": segment}, environ={})


def test_genre_interests_are_features_whose_shares_sum_to_one(movielens, warehouse_url):
    views, articles = movielens
    assert len(views) == 100_000 and views["user_id"].nunique() == 943 and articles["category"].nunique() >= 18
    df = build_features(warehouse_url, settings(warehouse_url))
    labels = df.attrs["run"]["interests"]["article_views"]
    columns = [c for c in df.columns if is_interest(c)]
    assert columns == list(labels) and len(columns) == 9  # the top 8 genres and other
    assert {"Drama", "Comedy", "Action"} <= set(labels.values())
    assert labels["interest_article_sci_fi_share"] == "Sci-Fi"
    np.testing.assert_allclose(df[columns].sum(axis=1), 1.0, atol=1e-9)  # every rated film has a genre
    # the split: a user's Drama share is the mean over their ratings of 1/n for the Drama films (n genres)
    genres = articles.drop_duplicates().groupby("article_id")["category"].agg(list)
    user = views[views["user_id"] == 1]["article_id"].map(genres)
    expected = float(np.mean([("Drama" in g) / len(g) for g in user]))
    assert df.set_index("user_id").loc[1, "interest_article_drama_share"] == pytest.approx(expected)


def test_segments_on_genre_interests_are_named_after_a_genre_only_by_the_rule(warehouse_url, tmp_path):
    result = run(settings=settings(warehouse_url, features="interests", k=6), previous=False,
                 report_dir=tmp_path / "report")
    genre_names = [s for s in result.segments if s["name"].endswith(" readers")]
    assert genre_names, [s["name"] for s in result.segments]
    profiles = {p["segment_id"]: p for p in result.model.profiles_}
    labels = result.model.metadata_["feature_labels"]
    for s in genre_names:
        genre = s["name"].split(" · ")[1].removesuffix(" readers")
        column = next(c for c, label in labels.items() if label == genre)
        stats = profiles[s["segment_id"]]["features"][column]
        assert stats["effect_size"] >= MIN_EFFECT_SIZE and stats["mean"] - stats["rest_mean"] >= MIN_SHARE_POINTS
    html = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert 'id="chart-interest_mix"' in html and (tmp_path / "report" / "interest_mix.png").exists()


def test_with_engagement_the_rule_keeps_three_segments_to_their_tiers(warehouse_url):
    # engagement+interests on MovieLens: k auto finds the three engagement tiers (genre shares vary far less than
    # log counts), and with k <= 3 a name is its tier alone (ADR 0002): no genre in a name, by the rule
    result = run(settings=settings(warehouse_url, features="engagement+interests"), previous=False)
    assert any(c.startswith("interest_article_") for c in result.model.feature_names_)
    assert result.k == 3
    assert [s["name"] for s in result.segments] == ["Low engagement", "Moderate engagement", "Highly engaged"]
