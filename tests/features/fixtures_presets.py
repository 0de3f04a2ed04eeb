"""Hand-written event tables in the shapes of Segment, Snowplow and GA4, and the three tables they mean.

The same four visitors appear in every shape (ids are text, as real anonymous ids are):
  a-1  desktop; two page views 5 minutes apart, a third 45 minutes later (a 2nd session, an article);
       one search; logged in as cust-1 on her first page view.
  b-2  iPhone; one page view from t.co (social), two searches the next day.
  c-3  searches only, no page views — must still appear.
  d-4  iPad; one article page view with no dwell time at all (no heartbeat, 0 ms engaged).
Each shape also holds rows that must NOT count (other events, a row without a visitor id); the comment
beside a row says why it is there. EXPECTED_* are the three tables of the original schema, written by
hand, that each shape must turn into (article reads: page views whose path matches ARTICLES_LIKE).
"""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa

T0 = pd.Timestamp("2026-09-10 08:00:00")
ARTICLES_LIKE = "%/articles/%"
SITE = "https://shop.example"

UA_DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
UA_IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
UA_IPAD = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"


def at(minutes: float = 0, days: int = 0, seconds: float = 0) -> pd.Timestamp:
    return T0 + pd.Timedelta(days=days, minutes=minutes, seconds=seconds)


def arrow(columns: dict[str, pa.DataType], rows: list[tuple]) -> pa.Table:
    """A table from rows, with the column types given (so all-NULL columns keep their type)."""
    data = {name: [r[i] for r in rows] for i, name in enumerate(columns)}
    return pa.table({name: pa.array(data[name], type=t) for name, t in columns.items()})


TS, TEXT, INT = pa.timestamp("us"), pa.string(), pa.int64()

# -- what every shape must mean -------------------------------------------------------------------------

EXPECTED_CLICKS = [  # user_id, timestamp, url path (SITE + path), referrer, device, time_spent (s; None where the shape has none)
    ("a-1", at(0), "/", "https://www.google.com/", "desktop", 30.0),
    ("a-1", at(5), "/product/1", f"{SITE}/", "desktop", 20.0),
    ("a-1", at(50), "/articles/running-tips", None, "desktop", 60.0),
    ("b-2", at(0, days=1), "/product/2", "https://t.co/x1", "mobile", 10.0),
    ("d-4", at(180), "/articles/gear-guide", None, "tablet", 0.0),
]
EXPECTED_SEARCHES = [  # user_id, timestamp, query
    ("a-1", at(6), "running shoes"),
    ("b-2", at(1, days=1), "buy trail shoes"),
    ("b-2", at(2, days=1), "returns"),
    ("c-3", at(0, days=2), "how to clean suede"),
]
EXPECTED_ARTICLES = [  # user_id, timestamp, article path, time_spent (s)
    ("a-1", at(50), "/articles/running-tips", 60.0),
    ("d-4", at(180), "/articles/gear-guide", 0.0),
]


def expected_tables(*, time_spent: bool, articles: bool, full_article_ids: bool = False) -> dict[str, pd.DataFrame]:
    """The three tables a shape means. ``time_spent``: whether it has dwell times (Segment has none);
    ``articles``: whether article reads are taken from the page views; urls are whole URLs in every
    shape, article ids are paths except in GA4 (``full_article_ids``: page_location)."""
    def url(path: str, full: bool = True) -> str:
        return SITE + path if full else path

    clicks = pd.DataFrame(
        [(u, t, url(p), r, d, s if time_spent else None) for u, t, p, r, d, s in EXPECTED_CLICKS],
        columns=["user_id", "timestamp", "url", "referrer", "device", "time_spent"],
    ).astype({"time_spent": "float64"})
    searches = pd.DataFrame(EXPECTED_SEARCHES, columns=["user_id", "timestamp", "query"])
    views = pd.DataFrame(
        [(u, t, url(p, full_article_ids), s if time_spent else None)
         for u, t, p, s in (EXPECTED_ARTICLES if articles else [])],
        columns=["user_id", "timestamp", "article_id", "time_spent"],
    ).astype({"user_id": object, "article_id": object, "time_spent": "float64", "timestamp": "datetime64[us]"})
    return {"clickstream": clicks, "search_queries": searches, "article_views": views}


# -- Segment / RudderStack: pages, tracks, one table per event ------------------------------------------

SEGMENT_PAGES = arrow(
    {"id": TEXT, "anonymous_id": TEXT, "user_id": TEXT, "timestamp": TS, "received_at": TS, "url": TEXT,
     "path": TEXT, "referrer": TEXT, "context_page_referrer": TEXT, "context_user_agent": TEXT},
    [
        # a-1: lands from Google; logged in (user_id) on this first page only.
        ("p1", "a-1", "cust-1", at(0), at(0, seconds=2), f"{SITE}/", "/", "https://www.google.com/",
         "https://www.google.com/", UA_DESKTOP),
        # a-1: the page property `referrer` is the shop itself (internal navigation).
        ("p2", "a-1", None, at(5), at(5, seconds=2), f"{SITE}/product/1", "/product/1", f"{SITE}/", f"{SITE}/", UA_DESKTOP),
        # a-1: 45 minutes later, an article, typed in (no referrer anywhere).
        ("p3", "a-1", None, at(50), at(50, seconds=2), f"{SITE}/articles/running-tips", "/articles/running-tips",
         None, None, UA_DESKTOP),
        # b-2: an iPhone from t.co; only the context referrer is set (the page property is empty: NULL).
        ("p4", "b-2", None, at(0, days=1), at(0, days=1, seconds=2), f"{SITE}/product/2", "/product/2", None,
         "https://t.co/x1", UA_IPHONE),
        # d-4: an iPad reading an article.
        ("p5", "d-4", None, at(180), at(180, seconds=2), f"{SITE}/articles/gear-guide", "/articles/gear-guide",
         None, None, UA_IPAD),
        # no anonymous id at all (a server-side call gone wrong): not a user, must not count.
        ("p6", None, None, at(7), at(7, seconds=2), f"{SITE}/cart", "/cart", None, None, UA_DESKTOP),
    ],
)

SEGMENT_PRODUCTS_SEARCHED = arrow(
    {"id": TEXT, "anonymous_id": TEXT, "user_id": TEXT, "timestamp": TS, "received_at": TS, "event": TEXT,
     "event_text": TEXT, "query": TEXT},
    [
        # a-1 searches once between her first two pages.
        ("s1", "a-1", None, at(6), at(6, seconds=1), "products_searched", "Products Searched", "running shoes"),
        # b-2 searches twice the next day.
        ("s2", "b-2", None, at(1, days=1), at(1, days=1, seconds=1), "products_searched", "Products Searched",
         "buy trail shoes"),
        ("s3", "b-2", None, at(2, days=1), at(2, days=1, seconds=1), "products_searched", "Products Searched", "returns"),
        # c-3 only searches.
        ("s4", "c-3", None, at(0, days=2), at(0, days=2, seconds=1), "products_searched", "Products Searched",
         "how to clean suede"),
    ],
)

SEGMENT_TRACKS = arrow(
    {"id": TEXT, "anonymous_id": TEXT, "user_id": TEXT, "timestamp": TS, "event": TEXT, "event_text": TEXT},
    [
        # the tracks table lists every track call (no properties): it is not read by the preset.
        ("s1", "a-1", None, at(6), "products_searched", "Products Searched"),
        ("t2", "a-1", None, at(8), "product_added", "Product Added"),
    ],
)


def segment_tables() -> dict[str, pa.Table]:
    return {"pages": SEGMENT_PAGES, "products_searched": SEGMENT_PRODUCTS_SEARCHED, "tracks": SEGMENT_TRACKS}


# -- Snowplow: atomic.events ----------------------------------------------------------------------------

_SP_COLUMNS = {
    "event_id": TEXT, "event_name": TEXT, "domain_userid": TEXT, "user_id": TEXT, "derived_tstamp": TS,
    "collector_tstamp": TS, "page_url": TEXT, "page_urlpath": TEXT, "page_referrer": TEXT, "useragent": TEXT,
    "page_view_id": TEXT, "se_action": TEXT, "se_label": TEXT, "site_search_terms": TEXT,
}


def _view(eid, user, when, path, referrer, ua, view, uid=None):
    return (eid, "page_view", user, uid, when, when + pd.Timedelta(seconds=1), SITE + path, path, referrer, ua,
            view, None, None, None)


def _pings(user, view, start, n, path, ua):
    """``n`` page pings of one page view, 10 s apart after ``start``: its dwell time is n x 10 s."""
    return [(f"{view}-ping{i}", "page_ping", user, None, start + pd.Timedelta(seconds=10 * i),
             start + pd.Timedelta(seconds=10 * i + 1), SITE + path, path, None, ua, view, None, None, None)
            for i in range(1, n + 1)]


def _search(eid, user, when, *, label=None, terms=None, name="site_search", action=None):
    return (eid, name, user, None, when, when + pd.Timedelta(seconds=1), f"{SITE}/search", "/search", None,
            UA_DESKTOP, None, action, label, terms)


SNOWPLOW_EVENTS = arrow(_SP_COLUMNS, [
    # a-1: from Google, 3 pings (30 s); logged in as cust-1 on this page view only.
    _view("e1", "a-1", at(0), "/", "https://www.google.com/", UA_DESKTOP, "pv-1", uid="cust-1"),
    *_pings("a-1", "pv-1", at(0), 3, "/", UA_DESKTOP),
    # a-1: internal navigation, 2 pings (20 s).
    _view("e2", "a-1", at(5), "/product/1", f"{SITE}/", UA_DESKTOP, "pv-2"),
    *_pings("a-1", "pv-2", at(5), 2, "/product/1", UA_DESKTOP),
    # a-1: a structured search event (se_action = 'search', the query in se_label).
    _search("e3", "a-1", at(6), label="running shoes", name="event", action="search"),
    # a-1: a structured event that is not a search: must not count.
    _search("e4", "a-1", at(7), label="sku-1", name="event", action="add-to-cart"),
    # a-1: an article 45 minutes later, typed in; 6 pings (60 s).
    _view("e5", "a-1", at(50), "/articles/running-tips", None, UA_DESKTOP, "pv-3"),
    *_pings("a-1", "pv-3", at(50), 6, "/articles/running-tips", UA_DESKTOP),
    # b-2: an iPhone from t.co, 1 ping (10 s); two site_search events (terms flattened to text).
    _view("e6", "b-2", at(0, days=1), "/product/2", "https://t.co/x1", UA_IPHONE, "pv-4"),
    *_pings("b-2", "pv-4", at(0, days=1), 1, "/product/2", UA_IPHONE),
    _search("e7", "b-2", at(1, days=1), terms="buy trail shoes"),
    _search("e8", "b-2", at(2, days=1), terms="returns"),
    # c-3: searches only.
    _search("e9", "c-3", at(0, days=2), terms="how to clean suede"),
    # d-4: an iPad on an article, left before the first ping (0 s).
    _view("e10", "d-4", at(180), "/articles/gear-guide", None, UA_IPAD, "pv-5"),
    # no domain_userid (cookies refused, tracker anonymised): not a user, must not count.
    _view("e11", None, at(7), "/cart", None, UA_DESKTOP, "pv-6"),
])


def snowplow_tables() -> dict[str, pa.Table]:
    return {"events": SNOWPLOW_EVENTS}


# -- GA4: the BigQuery export flattened to one row per event --------------------------------------------

_GA4_PARAMS = ("page_location", "page_referrer", "engagement_time_msec", "search_term")
_GA4_COLUMNS = {"event_name": TEXT, "event_timestamp": TS, "user_pseudo_id": TEXT, "user_id": TEXT,
                "device_category": TEXT, "page_location": TEXT, "page_referrer": TEXT,
                "engagement_time_msec": INT, "search_term": TEXT}
GA4_ROWS = [
    # a-1: a page_view from Google with 30 s engaged; logged in as cust-1 on this event only.
    ("page_view", at(0), "a-1", "cust-1", "desktop", f"{SITE}/", "https://www.google.com/", 30_000, None),
    # a-1: session_start is not a page view: must not count.
    ("session_start", at(0), "a-1", None, "desktop", f"{SITE}/", None, None, None),
    ("page_view", at(5), "a-1", None, "desktop", f"{SITE}/product/1", f"{SITE}/", 20_000, None),
    # a-1: a search results page (its page_view is not sent in this fixture: only the search counts).
    ("view_search_results", at(6), "a-1", None, "desktop", f"{SITE}/search?q=running+shoes", None, None,
     "running shoes"),
    # a-1: user_engagement carries engagement time too, but it is not a page view: must not count.
    ("user_engagement", at(7), "a-1", None, "desktop", f"{SITE}/product/1", None, 5_000, None),
    ("page_view", at(50), "a-1", None, "desktop", f"{SITE}/articles/running-tips", None, 60_000, None),
    # b-2: a phone from t.co; two searches the next day.
    ("page_view", at(0, days=1), "b-2", None, "mobile", f"{SITE}/product/2", "https://t.co/x1", 10_000, None),
    ("view_search_results", at(1, days=1), "b-2", None, "mobile", f"{SITE}/search", None, None, "buy trail shoes"),
    ("view_search_results", at(2, days=1), "b-2", None, "mobile", f"{SITE}/search", None, None, "returns"),
    # c-3: searches only.
    ("view_search_results", at(0, days=2), "c-3", None, "desktop", f"{SITE}/search", None, None, "how to clean suede"),
    # d-4: a tablet on an article, 0 ms engaged.
    ("page_view", at(180), "d-4", None, "tablet", f"{SITE}/articles/gear-guide", None, 0, None),
    # consent mode: no user_pseudo_id: not a user, must not count.
    ("page_view", at(7), None, None, "desktop", f"{SITE}/cart", None, 1_000, None),
]


def ga4_tables(flattening: str = "json") -> dict[str, pa.Table]:
    """The GA4 events table with parameters as one JSON object text column ``event_params`` ("json"),
    or already as columns ("columns")."""
    if flattening == "columns":
        return {"events": arrow(_GA4_COLUMNS, GA4_ROWS)}
    head = {k: v for k, v in _GA4_COLUMNS.items() if k not in _GA4_PARAMS}
    rows = []
    for row in GA4_ROWS:
        values = dict(zip(_GA4_COLUMNS, row))
        params = {k: values[k] for k in _GA4_PARAMS if values[k] is not None}
        rows.append((*(values[k] for k in head), json.dumps(params)))
    return {"events": arrow({**head, "event_params": TEXT}, rows)}
