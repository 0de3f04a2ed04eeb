"""A small fake of the user feature table, in the contract's columns, and ReportData built on it.

Four kinds of users (heavy-tailed counts, like real behaviour):
  0 "drifters":  1-3 clicks, rarely search, almost never read, seen weeks ago, mostly mobile;
  1 "browsers":  many clicks, navigational searches, few articles;
  2 "readers":   many long article views, informational searches;
  3 "shoppers":  clicks and many transactional / commercial searches, mostly desktop.
Vectorised, so the benchmark can build a million users in a few seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from intentseg.model import Segmenter
from intentseg.report import ReportData

QUERIES = {
    0: ["weather", "login"],
    1: ["home", "news today", "sports results"],
    2: ["how does inflation work", "history of rome", "best sci-fi novels"],
    3: ["buy running shoes", "iphone price", "cheap flights"],
}


def user_features(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.choice(4, size=n, p=[0.45, 0.25, 0.18, 0.12])
    activity = rng.lognormal(0.0, 0.6, n)

    def counts(means):
        return rng.poisson(np.choose(g, means) * activity)

    clicks = counts([1.5, 25, 6, 14])
    searches = counts([0.15, 2, 3, 6])
    article_views = counts([0.05, 0.6, 12, 0.5])
    sessions = np.maximum(clicks > 0, np.ceil(clicks / rng.uniform(3, 8, n))).astype(int)
    dwell = rng.lognormal(np.log(np.choose(g, [8, 14, 40, 35])), 0.7)
    read = rng.lognormal(np.log(np.choose(g, [30, 45, 230, 60])), 0.6)
    intents = np.array([[.5, .3, .1, .1], [.8, .1, .05, .05], [.05, .85, .05, .05], [.05, .05, .6, .3]])
    intent_share = rng.dirichlet(np.ones(4) * 0.8, n) * 0.3 + intents[g] * 0.7
    intent_share *= (searches > 0)[:, None]
    devices = np.array([[.1, .85, .04, .01], [.55, .38, .06, .01], [.3, .55, .14, .01], [.85, .1, .04, .01]])
    device_share = (rng.dirichlet(np.ones(4), n) * 0.3 + devices[g] * 0.7) * (clicks > 0)[:, None]
    referrers = np.array([[.1, .6, .25, .05], [.15, .1, .6, .15], [.7, .1, .1, .1], [.35, .05, .2, .4]])
    referrer_share = (rng.dirichlet(np.ones(4), n) * 0.3 + referrers[g] * 0.7) * (clicks > 0)[:, None]
    active_days = np.clip(rng.poisson(np.choose(g, [1.2, 8, 10, 4]) * activity), 1, 60)
    recency = rng.poisson(np.choose(g, [35, 4, 3, 9])).astype(float)
    last_seen = pd.Timestamp("2026-06-30") - pd.to_timedelta(recency, unit="D")
    df = pd.DataFrame({
        "user_id": np.arange(1, n + 1),
        "clicks": clicks,
        "distinct_pages": np.minimum(clicks, np.ceil(clicks * 0.7)).astype(int),
        "sessions": sessions,
        "click_time_total_s": clicks * dwell,
        "click_time_avg_s": np.where(clicks > 0, dwell, 0.0),
        "click_active_days": np.minimum(active_days, sessions),
    })
    for j, d in enumerate(("desktop", "mobile", "tablet", "other")):
        df[f"device_{d}_share"] = device_share[:, j]
    for j, r in enumerate(("search", "social", "direct", "other")):
        df[f"referrer_{r}_share"] = referrer_share[:, j]
    df["has_clickstream"] = (clicks > 0).astype(int)
    df["searches"] = searches
    df["distinct_queries"] = np.ceil(searches * 0.8).astype(int)
    df["query_words_avg"] = np.where(searches > 0, np.choose(g, [1.5, 1.8, 4.5, 3.0]), 0.0)
    for j, i in enumerate(("navigational", "informational", "transactional", "commercial")):
        df[f"intent_{i}_share"] = intent_share[:, j]
    df["has_search_queries"] = (searches > 0).astype(int)
    df["article_views"] = article_views
    df["distinct_articles"] = np.ceil(article_views * 0.9).astype(int)
    df["article_time_total_s"] = article_views * read
    df["article_time_avg_s"] = np.where(article_views > 0, read, 0.0)
    df["has_article_views"] = (article_views > 0).astype(int)
    df["total_events"] = clicks + searches + article_views
    df["active_days"] = active_days
    df["first_seen"] = last_seen - pd.to_timedelta(active_days * 2, unit="D")
    df["last_seen"] = last_seen
    df["recency_days"] = recency
    df["engagement_score"] = np.log1p(df["total_events"]) + np.log1p(df["active_days"])
    # content interests (page sections of the clicks): each kind of user leans to its own sections
    sections = np.array([[.5, .2, .1, .1, .1], [.2, .4, .2, .1, .1], [.1, .1, .6, .1, .1], [.05, .1, .05, .7, .1]])
    section_share = (rng.dirichlet(np.ones(5), n) * 0.3 + sections[g] * 0.7) * (clicks > 0)[:, None]
    for j, name in enumerate(("news", "sports", "culture", "shop", "other")):
        df[f"interest_page_{name}_share"] = section_share[:, j]
    # Rows with no event at all cannot exist: every user is in at least one source.
    none = df["total_events"] == 0
    df.loc[none, ["clicks", "sessions", "distinct_pages", "total_events", "has_clickstream"]] = 1
    return df


def report_data(n: int = 1500, seed: int = 0, *, previous: bool = True, fit_sample: int | None = None,
                k_range=(2, 6), names: dict[int, str] | None = None, query_text: dict[int, str] | None = None,
                ) -> ReportData:
    """Users, a fitted Segmenter, a previous run (the same users, 15% moved) and top queries.

    ``fit_sample``: fit on that many users and score the rest (the benchmark's 1M users).
    ``names`` / ``query_text``: override segment names / add a query (to test escaping).
    """
    users = user_features(n, seed)
    fit_on = users if fit_sample is None or fit_sample >= n else users.sample(fit_sample, random_state=seed)
    model = Segmenter(k_range=k_range, random_state=seed, n_init=2).fit(fit_on)
    if names:
        model.rename(names)
    users["segment_id"] = model.predict(users)
    users["segment_name"] = np.asarray(model.segment_names_, dtype=object)[users["segment_id"]]
    users["distance"] = model.transform(users).min(axis=1)
    k = len(model.segment_names_)

    prev = None
    if previous:
        rng = np.random.default_rng(seed + 1)
        prev_ids = users["segment_id"].to_numpy().copy()
        moved = rng.random(n) < 0.15
        prev_ids[moved] = rng.integers(0, k, moved.sum())
        prev = pd.DataFrame({"user_id": users["user_id"], "segment_id": prev_ids})
        prev["segment_name"] = np.asarray(model.segment_names_, dtype=object)[prev_ids]
        prev = prev.iloc[: int(n * 0.9)]  # the last 10% are new users

    rows = []
    for s in range(k):
        for rank, q in enumerate(["weather", "news today", "how does inflation work", "buy running shoes",
                                  "iphone price"][: 3 + s % 3]):
            rows.append({"segment_id": s, "query": q, "searches": 100 * (k - s) // (rank + 1)})
        if query_text and s in query_text:
            rows.insert(0, {"segment_id": s, "query": query_text[s], "searches": 1000})
    top_queries = pd.DataFrame(rows)

    n_events = int(users["total_events"].sum())
    run = {
        "run_id": f"run-synthetic-{seed}",
        "engine": "duckdb",
        "warehouse": "postgresql+psycopg://analyst:s3cret@db.example:5432/events",
        "started_at": "2026-07-01T10:00:00+00:00",
        "finished_at": "2026-07-01T10:02:07+00:00",
        "n_users": n,
        "n_events": n_events,
        "events_per_source": {"clickstream": int(users["clicks"].sum()),
                              "search_queries": int(users["searches"].sum()),
                              "article_views": int(users["article_views"].sum())},
        "first_event": "2026-04-01T00:00:03",
        "last_event": "2026-06-30T23:59:58",
        "k": k,
        "why_k": model.selection_["rule"],
        "metrics": {"inertia": model.inertia_, "n_iter": model.n_iter_},
    }
    sql = "WITH clicks AS (\n  SELECT user_id, COUNT(*) AS clicks\n  FROM clickstream\n  WHERE url <> '<b>'\n"\
          "  GROUP BY user_id\n)\nSELECT * FROM clicks"
    return ReportData(model=model, users=users, run=run, previous=prev, top_queries=top_queries,
                      feature_sql=sql, settings={"n_segments": "auto", "k_range": list(k_range), "seed": seed})
