"""An independent pandas implementation of the user features, written from docs/features.md (not the SQL).

Slow and obvious on purpose: loops over users where that is clearer. Used only on small test data.
"""

from __future__ import annotations

import math
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

SEARCH_ENGINES = {"google", "bing", "duckduckgo", "yahoo", "baidu", "yandex", "ecosia", "ask", "aol", "startpage",
                  "qwant", "naver", "seznam", "sogou", "brave"}
SOCIAL_NAMES = {"facebook", "instagram", "linkedin", "reddit", "pinterest", "youtube", "tiktok", "twitter",
                "snapchat", "tumblr", "threads", "quora", "vk", "weibo", "telegram", "whatsapp", "discord", "mastodon"}
SOCIAL_HOSTS = {"t.co", "x.com", "fb.com", "fb.me", "lnkd.in", "youtu.be", "pin.it"}


def referrer_class(referrer: object) -> str:
    if referrer is None or (isinstance(referrer, float) and math.isnan(referrer)) or not str(referrer).strip():
        return "direct"
    text = str(referrer).strip().lower()
    host = urlsplit(text if "://" in text else "//" + text).hostname or ""
    labels = host.split(".")
    # the registered name is any label followed by at least one more label (google.co.uk -> google)
    if any(label in SEARCH_ENGINES for label in labels[:-1]):
        return "search"
    if any(label in SOCIAL_NAMES for label in labels[:-1]) or any(
        host == h or host.endswith("." + h) for h in SOCIAL_HOSTS
    ):
        return "social"
    return "other"


def device_class(device: object) -> str:
    text = str(device).strip().lower() if isinstance(device, str) else ""
    return text if text in ("desktop", "mobile", "tablet") else "other"


def _window(df: pd.DataFrame, since: str | None, until: str | None) -> pd.DataFrame:
    df = df[df["timestamp"].notna()]
    if since:
        df = df[df["timestamp"] >= pd.Timestamp(since)]
    if until:
        df = df[df["timestamp"] < pd.Timestamp(until)]
    return df


def _cap(seconds: pd.Series, cap: float) -> pd.Series:
    return seconds.astype(float).clip(upper=cap)


def reference_features(
    clickstream: pd.DataFrame | None,
    search_queries: pd.DataFrame | None,
    article_views: pd.DataFrame | None,
    intents: dict[str, str | None],
    *,
    since: str | None = None,
    until: str | None = None,
    reference_time: str | None = None,
    gap_minutes: int = 30,
    cap_s: float = 1800.0,
) -> pd.DataFrame:
    """``intents`` maps a normalised query (lower, trimmed) to its intent."""
    empty = pd.DataFrame({"user_id": pd.Series([], dtype="int64"), "timestamp": pd.Series([], dtype="datetime64[us]")})
    clicks = _window(clickstream if clickstream is not None else empty, since, until)
    searches = _window(search_queries if search_queries is not None else empty, since, until)
    articles = _window(article_views if article_views is not None else empty, since, until)
    users = sorted(set(clicks["user_id"]) | set(searches["user_id"]) | set(articles["user_id"]))
    last_event = max(pd.concat([clicks["timestamp"], searches["timestamp"], articles["timestamp"]]))
    ref = pd.Timestamp(reference_time) if reference_time else last_event
    rows = []
    for user in users:
        c = clicks[clicks["user_id"] == user].sort_values("timestamp")
        s = searches[searches["user_id"] == user]
        a = articles[articles["user_id"] == user]
        row: dict[str, object] = {"user_id": user}

        n = len(c)
        row["clicks"] = n
        row["distinct_pages"] = c["url"].nunique() if n else 0
        gaps = c["timestamp"].diff()
        row["sessions"] = int(1 + (gaps > pd.Timedelta(minutes=gap_minutes)).sum()) if n else 0
        spent = _cap(c["time_spent"], cap_s).dropna() if "time_spent" in c else pd.Series([], dtype=float)
        row["click_time_total_s"] = float(spent.sum())
        row["click_time_avg_s"] = float(spent.mean()) if len(spent) else 0.0
        row["click_active_days"] = c["timestamp"].dt.date.nunique() if n else 0
        devices = [device_class(d) for d in (c["device"] if "device" in c else [None] * n)]
        for d in ("desktop", "mobile", "tablet", "other"):
            row[f"device_{d}_share"] = devices.count(d) / n if n else 0.0
        refs = [referrer_class(r) for r in (c["referrer"] if "referrer" in c else [None] * n)]
        for r in ("search", "social", "direct", "other"):
            row[f"referrer_{r}_share"] = refs.count(r) / n if n else 0.0
        row["has_clickstream"] = int(n > 0)

        m = len(s)
        keys = [q.strip().lower() if isinstance(q, str) and q.strip() else None for q in (s["query"] if m else [])]
        row["searches"] = m
        row["distinct_queries"] = len({k for k in keys if k})
        words = [len(k.split()) for k in keys if k]
        row["query_words_avg"] = float(np.mean(words)) if words else 0.0
        labels = [intents.get(k) if k else None for k in keys]
        for i in ("navigational", "informational", "transactional", "commercial"):
            row[f"intent_{i}_share"] = labels.count(i) / m if m else 0.0
        row["has_search_queries"] = int(m > 0)

        k = len(a)
        row["article_views"] = k
        row["distinct_articles"] = a["article_id"].nunique() if k else 0
        read = _cap(a["time_spent"], cap_s).dropna() if "time_spent" in a else pd.Series([], dtype=float)
        row["article_time_total_s"] = float(read.sum())
        row["article_time_avg_s"] = float(read.mean()) if len(read) else 0.0
        row["has_article_views"] = int(k > 0)

        stamps = pd.concat([c["timestamp"], s["timestamp"], a["timestamp"]])
        row["total_events"] = n + m + k
        row["active_days"] = stamps.dt.date.nunique()
        row["first_seen"] = stamps.min()
        row["last_seen"] = stamps.max()
        row["recency_days"] = (ref - stamps.max()).total_seconds() / 86400
        row["engagement_score"] = (
            math.log1p(n + m + k)
            + math.log1p((row["click_time_total_s"] + row["article_time_total_s"]) / 60)
            + math.log1p(row["active_days"])
        )
        rows.append(row)
    return pd.DataFrame(rows)
