"""Small hand-written events; each user is there for a reason, said next to them."""

from __future__ import annotations

import pandas as pd

T0 = pd.Timestamp("2026-09-10 08:00:00")


def at(minutes: float, days: int = 0) -> pd.Timestamp:
    return T0 + pd.Timedelta(days=days, minutes=minutes)


CLICK_COLUMNS = ["user_id", "timestamp", "url", "referrer", "device", "time_spent"]
CLICKS = [
    # user 1: clicks only; a 31-minute gap -> 2 sessions; mixed-case/padded devices; search-engine referrers.
    (1, at(0), "/", "https://www.google.com/search?q=shoes", "Desktop", 30.0),
    (1, at(5), "/product/1", "https://www.google.co.uk/", " MOBILE ", 60.0),
    (1, at(36), "/product/1", "https://duckduckgo.com/?q=x", "desktop", 10.0),
    # user 2: a 29-minute gap -> 1 session; a NULL and an empty referrer (direct); NULL device (other).
    (2, at(0), "/a", None, None, 20.0),
    (2, at(29), "/b", "", "smart-tv", 40.0),
    # user 5: every source; social referrers and another site; an absurd click duration (capped).
    (5, at(0), "/x", "https://t.co/abc123", "TABLET", 100_000.0),
    (5, at(1), "/y", "https://www.reddit.com/r/shoes/", "tablet", 15.0),
    (5, at(2), "/z", "https://www.example.com/about", "Mobile", 25.0),
    (5, at(3), "/z", "m.facebook.com", "mobile", 5.0),
    # user 6: straddles the window 2026-09-10 .. 2026-09-12: one click before, one inside, one at the end.
    (6, at(0, days=-1), "/old", None, "desktop", 10.0),
    (6, at(60, days=1), "/in", None, "desktop", 20.0),
    (6, pd.Timestamp("2026-09-12 00:00:00"), "/late", None, "desktop", 30.0),
    # user 7: clicks on day 0, searches on day 1, an article on day 0 -> active_days 2, click_active_days 1.
    (7, at(10), "/p", "https://www.bing.com/search?q=a", "desktop", 12.0),
    # user 8: exactly a 30-minute gap -> still 1 session (a new one needs more than the gap).
    (8, at(0), "/q", None, "desktop", 1.0),
    (8, at(30), "/r", None, "desktop", 2.0),
    # user 9: a click with an unknown duration -> average over known durations only.
    (9, at(0), "/s", "https://linkedin.com/feed", "desktop", None),
    (9, at(1), "/t", "https://x.com/someone", "desktop", 50.0),
    # user 11: twitter-like hosts that are not social (reddit.com contains "t.co"; x.company.com is not x.com).
    (11, at(0), "/u", "https://notreddit.comics.org/", "desktop", 3.0),
    (11, at(1), "/v", "https://x.company.com/", "desktop", 3.0),
]

SEARCH_COLUMNS = ["user_id", "timestamp", "query"]
SEARCHES = [
    # user 3: searches only, no clicks — must still appear; one query typed twice (counts twice, 1 distinct).
    (3, at(0), "how to clean suede shoes"),
    (3, at(2), "how to clean suede shoes"),
    (3, at(4), "login"),
    # user 5: the same query in two spellings ("Buy Shoes" / "buy shoes ") is one distinct query.
    (5, at(5), "Buy Shoes"),
    (5, at(6), "buy shoes "),
    (5, at(7), "best running shoes 2026"),
    (5, at(8), "nike vs adidas"),
    # user 6: one search inside the window, one after it.
    (6, at(120, days=1), "what is gore-tex"),
    (6, at(0, days=3), "returns"),
    # user 7: searches on the next day.
    (7, at(0, days=1), "trail shoes price"),
    # user 10: a NULL query and a blank one: searches, but neither a distinct query nor an intent.
    (10, at(0), None),
    (10, at(1), "   "),
    (10, at(2), "Contact Us"),
]

ARTICLE_COLUMNS = ["user_id", "timestamp", "article_id", "time_spent"]
ARTICLES = [
    # user 4: articles only; one read twice (2 views, 1 distinct article).
    (4, at(0), "a-100", 120.0),
    (4, at(10), "a-100", 60.0),
    (4, at(0, days=2), "a-200", 300.0),
    # user 5: an absurd reading time (capped) and an unknown one.
    (5, at(9), "a-300", 50_000.0),
    (5, at(20), "a-301", None),
    # user 6: an article before the window.
    (6, at(0, days=-2), "a-400", 10.0),
    # user 7: an article on day 0.
    (7, at(11), "a-500", 90.0),
]


def frames() -> dict[str, pd.DataFrame]:
    def frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
        df = pd.DataFrame(rows, columns=columns)
        df["user_id"] = df["user_id"].astype("int64")
        df["timestamp"] = pd.to_datetime(df["timestamp"]).astype("datetime64[us]")
        if "time_spent" in df:
            df["time_spent"] = df["time_spent"].astype("float64")
        for col in ("url", "referrer", "device", "query", "article_id"):
            if col in df:
                df[col] = df[col].astype(object)
        return df

    return {
        "clickstream": frame(CLICKS, CLICK_COLUMNS),
        "search_queries": frame(SEARCHES, SEARCH_COLUMNS),
        "article_views": frame(ARTICLES, ARTICLE_COLUMNS),
    }
