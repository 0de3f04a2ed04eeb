"""Small, readable inputs for the segmenter tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def blobs():
    """300 points in three well-separated blobs along the diagonal (0, 5, 10): plain numeric input."""
    rng = np.random.default_rng(7)
    truth = np.repeat([0, 1, 2], 100)
    X = rng.normal(size=(300, 4)) * 0.5 + truth[:, None] * 5.0
    return X, truth


def behaviour_frame(n_per_group: int = 200, seed: int = 0) -> pd.DataFrame:
    """Three kinds of users, in the shape of the user feature table (extra columns included).

    group 0, "drifters": a few clicks, no searches, no articles, last seen weeks ago;
    group 1, "readers": many article views and long reading time, informational searches;
    group 2, "shoppers": heavy clicking, many transactional searches, seen yesterday.
    """
    rng = np.random.default_rng(seed)
    g = np.repeat([0, 1, 2], n_per_group)
    n = len(g)
    clicks = rng.poisson(np.choose(g, [2, 15, 120]))
    searches = rng.poisson(np.choose(g, [0.2, 4, 25]))
    article_views = rng.poisson(np.choose(g, [0.1, 40, 3]))
    df = pd.DataFrame(
        {
            "user_id": np.arange(1000, 1000 + n),
            "clicks": clicks,
            "sessions": np.maximum(1, clicks // 5),
            "click_time_total_s": clicks * rng.uniform(10, 60, n),
            "searches": searches,
            "article_views": article_views,
            "article_time_total_s": article_views * rng.uniform(60, 300, n),
            "active_days": np.clip(rng.poisson(np.choose(g, [1, 8, 15])), 1, 30),
            "recency_days": rng.poisson(np.choose(g, [40, 5, 1])).astype(float),
            "intent_navigational_share": np.choose(g, [0.0, 0.1, 0.1]) * (searches > 0),
            "intent_informational_share": np.choose(g, [0.0, 0.8, 0.1]) * (searches > 0),
            "intent_transactional_share": np.choose(g, [0.0, 0.05, 0.7]) * (searches > 0),
            "intent_commercial_share": np.choose(g, [0.0, 0.05, 0.1]) * (searches > 0),
            "device_mobile_share": rng.uniform(0, 1, n),
            "referrer_search_share": rng.uniform(0, 0.5, n),
            "referrer_social_share": rng.uniform(0, 0.5, n),
            "first_seen": pd.Timestamp("2026-01-01"),
            "has_clickstream": 1,
        }
    )
    df["group"] = g
    return df


@pytest.fixture
def behaviour():
    return behaviour_frame()


@pytest.fixture
def make_behaviour():
    return behaviour_frame
