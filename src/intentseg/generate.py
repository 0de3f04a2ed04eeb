"""Synthetic, heavy-tailed events for the three sources, with planted personas and a ground truth.

Five behavioural personas (:data:`PERSONAS`) differ on several per-user features at once: how much
they click, search and read, how long they dwell, which devices they use, where they come from, and
what they search for. Within a persona, users vary by a lognormal activity multiplier; counts are
Poisson-gamma (negative binomial) and durations lognormal with a small share of absurd outliers (tabs
left open for hours). ``ground_truth`` records each user's persona and ``true_engagement`` (persona
base level x the user's activity multiplier).

Events come in sessions (bursts of clicks, each click following the previous one's dwell time),
spread over ``days`` days ending at a fixed ``end`` (never "now"), so output depends only on the
arguments. A session's entry referrer and device apply to all of its clicks. Not every user is in every
source: some only search, some only read articles; every user is in at least one.

Reproducibility: users are generated in blocks of :data:`BLOCK_USERS` users; block ``b`` draws from
``numpy.random.SeedSequence(seed, spawn_key=(b,))``. The same ``seed`` and ``n_users`` therefore give
identical events however many users :func:`write_events` buffers per write (``chunk_users``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .errors import InputError

BLOCK_USERS = 20_000
"""Users per internal random block. Fixed: changing it changes the output of every seed."""

FORMATS = {"parquet": "parquet", "csv": "csv", "jsonl": "jsonl"}

DEVICES = ("desktop", "mobile", "tablet", "other")
REFERRER_CLASSES = ("search", "social", "direct", "other")
INTENTS = ("navigational", "informational", "transactional", "commercial")
PAGE_KINDS = ("home", "section", "product", "cart", "checkout", "article", "review", "compare", "account")


@dataclass(frozen=True)
class Persona:
    """How one planted persona behaves. Means are per user at activity multiplier 1.

    Probability tuples follow :data:`DEVICES`, :data:`REFERRER_CLASSES`, :data:`INTENTS` and
    :data:`PAGE_KINDS`.
    """

    name: str
    engagement: float  # base of true_engagement
    activity_sigma: float  # sigma of the lognormal activity multiplier
    p_clicks: float  # chance the user has any clicks
    p_searches: float
    p_articles: float
    clicks_mean: float  # given the user has clicks
    searches_mean: float
    articles_mean: float
    sessions_mean: float
    click_dwell_s: float  # median seconds on a page
    article_dwell_s: float  # median seconds reading an article
    devices: tuple[float, ...]
    referrers: tuple[float, ...]
    intents: tuple[float, ...]
    pages: tuple[float, ...]
    page_skew: float  # 1 = pages drawn uniformly (many distinct); higher = a few popular pages
    review_share: float  # share of article views that are product reviews
    clicks_max: int | None = None


PERSONA_SPECS: tuple[Persona, ...] = (
    Persona(
        "drifters", engagement=0.1, activity_sigma=0.45,
        p_clicks=0.985, p_searches=0.10, p_articles=0.06,
        clicks_mean=2.5, searches_mean=1.2, articles_mean=1.2, sessions_mean=1.1,
        click_dwell_s=8, article_dwell_s=25, clicks_max=6,
        devices=(0.08, 0.85, 0.03, 0.04), referrers=(0.07, 0.60, 0.30, 0.03),
        intents=(0.5, 0.3, 0.1, 0.1),
        pages=(0.40, 0.25, 0.10, 0.0, 0.0, 0.15, 0.0, 0.0, 0.10), page_skew=3.0, review_share=0.05,
    ),
    Persona(
        "browsers", engagement=1.2, activity_sigma=0.45,
        p_clicks=1.0, p_searches=0.90, p_articles=0.25,
        clicks_mean=22, searches_mean=2, articles_mean=1.2, sessions_mean=7,
        click_dwell_s=12, article_dwell_s=40,
        devices=(0.36, 0.54, 0.06, 0.04), referrers=(0.15, 0.08, 0.62, 0.15),
        intents=(0.91, 0.04, 0.02, 0.03),
        pages=(0.10, 0.45, 0.20, 0.0, 0.0, 0.10, 0.05, 0.0, 0.10), page_skew=1.0, review_share=0.05,
    ),
    Persona(
        "readers", engagement=1.8, activity_sigma=0.45,
        p_clicks=0.97, p_searches=0.80, p_articles=1.0,
        clicks_mean=5, searches_mean=3, articles_mean=11, sessions_mean=4,
        click_dwell_s=45, article_dwell_s=240,
        devices=(0.24, 0.61, 0.11, 0.04), referrers=(0.72, 0.12, 0.10, 0.06),
        intents=(0.04, 0.90, 0.02, 0.04),
        pages=(0.10, 0.15, 0.0, 0.0, 0.0, 0.65, 0.05, 0.0, 0.05), page_skew=1.5, review_share=0.05,
    ),
    Persona(
        "shoppers", engagement=1.0, activity_sigma=0.45,
        p_clicks=1.0, p_searches=0.95, p_articles=0.10,
        clicks_mean=12, searches_mean=5, articles_mean=1.2, sessions_mean=2,
        click_dwell_s=40, article_dwell_s=50,
        devices=(0.88, 0.06, 0.02, 0.04), referrers=(0.35, 0.03, 0.17, 0.45),
        intents=(0.03, 0.02, 0.90, 0.05),
        pages=(0.05, 0.10, 0.45, 0.15, 0.10, 0.0, 0.05, 0.0, 0.10), page_skew=2.0, review_share=0.3,
    ),
    Persona(
        "researchers", engagement=2.6, activity_sigma=0.45,
        p_clicks=1.0, p_searches=0.97, p_articles=0.90,
        clicks_mean=18, searches_mean=7, articles_mean=7, sessions_mean=6,
        click_dwell_s=80, article_dwell_s=200,
        devices=(0.34, 0.07, 0.55, 0.04), referrers=(0.45, 0.10, 0.10, 0.35),
        intents=(0.02, 0.04, 0.04, 0.90),
        pages=(0.05, 0.05, 0.20, 0.0, 0.0, 0.10, 0.35, 0.25, 0.0), page_skew=1.5, review_share=0.7,
    ),
)
PERSONAS: tuple[str, ...] = tuple(p.name for p in PERSONA_SPECS)
DEFAULT_MIX: dict[str, float] = {
    "drifters": 0.35, "browsers": 0.25, "readers": 0.15, "shoppers": 0.15, "researchers": 0.10,
}

#: Three more personas for populations of six to eight (:func:`population`); never in the default mix.
EXTRA_PERSONA_SPECS: tuple[Persona, ...] = (
    Persona(
        "commuters", engagement=0.7, activity_sigma=0.45,
        p_clicks=0.95, p_searches=0.30, p_articles=0.80,
        clicks_mean=6, searches_mean=1.5, articles_mean=4, sessions_mean=9,
        click_dwell_s=15, article_dwell_s=70,
        devices=(0.03, 0.92, 0.02, 0.03), referrers=(0.08, 0.72, 0.15, 0.05),
        intents=(0.30, 0.50, 0.10, 0.10),
        pages=(0.20, 0.30, 0.0, 0.0, 0.0, 0.45, 0.0, 0.0, 0.05), page_skew=2.5, review_share=0.02,
    ),
    Persona(
        "deal_hunters", engagement=1.5, activity_sigma=0.45,
        p_clicks=1.0, p_searches=0.98, p_articles=0.05,
        clicks_mean=35, searches_mean=12, articles_mean=1.2, sessions_mean=10,
        click_dwell_s=9, article_dwell_s=30,
        devices=(0.50, 0.45, 0.02, 0.03), referrers=(0.10, 0.05, 0.30, 0.55),
        intents=(0.05, 0.02, 0.88, 0.05),
        pages=(0.05, 0.15, 0.40, 0.20, 0.15, 0.0, 0.0, 0.0, 0.05), page_skew=1.2, review_share=0.1,
    ),
    Persona(
        "loungers", engagement=2.0, activity_sigma=0.45,
        p_clicks=0.90, p_searches=0.15, p_articles=1.0,
        clicks_mean=4, searches_mean=1.2, articles_mean=18, sessions_mean=3,
        click_dwell_s=30, article_dwell_s=420,
        devices=(0.05, 0.10, 0.82, 0.03), referrers=(0.04, 0.04, 0.88, 0.04),
        intents=(0.20, 0.60, 0.10, 0.10),
        pages=(0.15, 0.10, 0.0, 0.0, 0.0, 0.70, 0.0, 0.0, 0.05), page_skew=1.5, review_share=0.0,
    ),
)
ALL_PERSONA_SPECS: dict[str, Persona] = {p.name: p for p in (*PERSONA_SPECS, *EXTRA_PERSONA_SPECS)}

OUTLIER_SHARE = 0.003  # durations that are tabs left open: 1 to 10 hours
N_ARTICLES = 40_000  # article ids 100_001 ..; the last quarter are product reviews
FIRST_ARTICLE_ID = 100_001
DEFAULT_END = "2026-10-01"


@dataclass(frozen=True)
class Population:
    """Who is generated: the personas (in persona_id order) and how much noise rides on them.

    ``outlier_share``: share of durations that are tabs left open for hours; ``bot_share`` users get
    their activity multiplied by ``bot_factor`` (heavy outliers inside a persona; the truth keeps the
    persona). The default is the population of :data:`PERSONA_SPECS` that every seed has always given.
    """

    specs: tuple[Persona, ...] = PERSONA_SPECS
    outlier_share: float = OUTLIER_SHARE
    bot_share: float = 0.0
    bot_factor: float = 25.0

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.specs)


def population(
    personas: tuple[str, ...] | list[str] | None = None,
    *,
    separation: float = 1.0,
    outlier_share: float = OUTLIER_SHARE,
    bot_share: float = 0.0,
) -> Population:
    """A population of the named personas (default: the five of :data:`PERSONAS`).

    ``separation`` < 1 pulls every persona toward the average persona (counts, durations and sessions
    geometrically, probabilities linearly): at 0 they are all alike, at 1 they are as specified. Names
    come from :data:`ALL_PERSONA_SPECS`. Each persona's ``engagement`` (the truth) is kept.
    """
    names = tuple(personas) if personas is not None else PERSONAS
    unknown = sorted(set(names) - set(ALL_PERSONA_SPECS))
    if unknown or len(set(names)) != len(names) or not names:
        raise InputError(f"Unknown, repeated or no persona(s): {', '.join(unknown) or names}.",
                         hint=f"Name distinct personas among: {', '.join(ALL_PERSONA_SPECS)}.")
    if not 0.0 <= separation <= 1.0:
        raise InputError(f"separation must be within [0, 1], got {separation}.", hint="Use e.g. 0.5 for weak separation.")
    specs = tuple(ALL_PERSONA_SPECS[n] for n in names)
    if separation != 1.0:
        specs = _pulled_together(specs, separation)
    return Population(specs, outlier_share=outlier_share, bot_share=bot_share)


_GEOMETRIC = ("clicks_mean", "searches_mean", "articles_mean", "sessions_mean", "click_dwell_s", "article_dwell_s",
              "page_skew")
_LINEAR = ("p_clicks", "p_searches", "p_articles", "review_share", "devices", "referrers", "intents", "pages")


def _pulled_together(specs: tuple[Persona, ...], s: float) -> tuple[Persona, ...]:
    from dataclasses import replace

    out = []
    for p in specs:
        changes: dict[str, Any] = {}
        for attr in _GEOMETRIC:
            logs = np.log([getattr(q, attr) for q in specs])
            changes[attr] = float(np.exp(logs.mean() + s * (np.log(getattr(p, attr)) - logs.mean())))
        for attr in _LINEAR:
            values = np.array([getattr(q, attr) for q in specs], dtype=float)
            mixed = values.mean(axis=0) + s * (np.asarray(getattr(p, attr), dtype=float) - values.mean(axis=0))
            changes[attr] = tuple(float(v) for v in mixed) if mixed.ndim else float(mixed)
        changes["clicks_max"] = None if s < 1 else p.clicks_max
        out.append(replace(p, **changes))
    return tuple(out)


@dataclass
class GeneratedEvents:
    """Events of the three sources plus the planted truth, one DataFrame each."""

    clickstream: pd.DataFrame
    search_queries: pd.DataFrame
    article_views: pd.DataFrame
    ground_truth: pd.DataFrame


@dataclass
class WrittenEvents:
    """What :func:`write_events` wrote: one file per table, its row count, and the time taken."""

    paths: dict[str, Path]
    rows: dict[str, int]
    n_users: int
    seconds: float
    format: str
    seed: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "users": self.n_users,
            "rows": dict(self.rows),
            "paths": {k: str(v) for k, v in self.paths.items()},
            "format": self.format,
            "seed": self.seed,
            "seconds": round(self.seconds, 3),
        }


# ---------------------------------------------------------------- vocabularies (seed-independent)

_BRANDS = (
    "acme", "zenith", "orion", "nimbus", "vertex", "solace", "kestrel", "lumen", "apex", "harbor",
    "pioneer", "quanta", "sable", "tandem", "vireo",
)
_PRODUCTS = (
    "laptop", "phone", "tablet", "headphones", "earbuds", "smartwatch", "monitor", "keyboard", "mouse",
    "router", "camera", "drone", "speaker", "soundbar", "tv", "printer", "blender", "air fryer",
    "coffee maker", "vacuum", "robot vacuum", "e-bike", "running shoes", "backpack", "tent",
    "sleeping bag", "office chair", "standing desk", "mattress", "espresso machine", "kettle",
    "power bank", "charger", "ssd", "graphics card", "gaming console", "projector", "dash cam",
    "fitness tracker", "electric toothbrush",
)
_USES = ("gaming", "students", "travel", "running", "small apartments", "beginners", "work from home",
         "photography", "families", "the office")
_TOPICS = (
    "inflation", "compound interest", "machine learning", "climate change", "sourdough", "intermittent fasting",
    "the stock market", "solar panels", "heat pumps", "blockchain", "vitamin d", "sleep cycles",
    "quantum computing", "the immune system", "black holes", "remote work", "meditation", "composting",
    "electric cars", "5g", "mortgage rates", "index funds", "the gut microbiome", "photosynthesis",
)
_TASKS = (
    "fix a leaking tap", "bake sourdough bread", "lower my electricity bill", "start running",
    "write a cover letter", "learn python", "clean a cast iron pan", "save for retirement",
    "grow tomatoes", "improve my sleep", "set up a home network", "remove a stripped screw",
    "negotiate a salary", "make cold brew", "train a puppy", "reduce screen time", "file taxes online",
    "speed up my laptop", "paint a room", "plan a budget",
)
_WHYS = (
    "is the sky blue", "do cats purr", "is my phone battery draining fast", "are eggs so expensive",
    "do we dream", "is coffee bitter", "does my wifi keep dropping", "are interest rates rising",
    "do leaves change colour", "is sleep important",
)
_NAV = (
    "login", "my account", "contact us", "shipping status", "parcel tracking", "help", "returns",
    "customer service", "careers", "store locator", "newsletter", "sign up", "password reset",
    "delivery times", "gift cards", "about us", "opening hours", "mobile app",
)
_SECTIONS = ("news", "tech", "home", "garden", "sports", "travel", "money", "health", "food", "style",
             "deals", "outdoors", "gaming", "kids", "auto")
_SUBREDDITS = ("technology", "buildapc", "personalfinance", "cooking", "running", "gadgets", "news",
               "frugal", "homeimprovement", "askreddit")
_OTHER_SITES = (
    "https://news.ycombinator.com/", "https://www.techradar.com/news", "https://www.pricerunner.com/",
    "https://www.wirecutter.com/reviews/", "https://www.rtings.com/", "https://www.slickdeals.net/",
    "https://www.camelcamelcamel.com/", "https://www.theverge.com/", "https://medium.com/",
    "https://www.trustpilot.com/", "https://partner-blog.example.com/", "https://www.wikipedia.org/",
)
_OTHER_DEVICES = ("smart-tv", "console", "e-reader", "unknown", "Desktop", "Mobile")


def _slug(text: str) -> str:
    return text.replace(" ", "-")


def queries_by_intent() -> dict[str, list[str]]:
    """The site-search vocabulary per planted intent (templates x products, brands, topics)."""
    products = [(b, p) for b in _BRANDS for p in _PRODUCTS]
    nav = list(_NAV) + list(_BRANDS) + [f"{b} store" for b in _BRANDS] + [f"{s} section" for s in _SECTIONS if s != "deals"]
    info = ([f"how to {t}" for t in _TASKS] + [f"what is {t}" for t in _TOPICS] + [f"why {w}" for w in _WHYS]
            + [f"how does {t} work" for t in _TOPICS] + [f"{t} explained" for t in _TOPICS]
            + [f"guide to {t}" for t in _TOPICS])
    trans = ([f"buy {b} {p}" for b, p in products] + [f"{p} price" for p in _PRODUCTS]
             + [f"{b} {p} price" for b, p in products] + [f"{b} discount code" for b in _BRANDS]
             + [f"order {p}" for p in _PRODUCTS] + [f"cheap {p}" for p in _PRODUCTS]
             + [f"{p} coupon" for p in _PRODUCTS] + [f"{p} deal" for p in _PRODUCTS])
    comm = ([f"best {p}" for p in _PRODUCTS] + [f"best {p} for {u}" for p in _PRODUCTS for u in _USES]
            + [f"{b} {p} review" for b, p in products]
            + [f"{b} vs {c} {p}" for p in _PRODUCTS for b, c in zip(_BRANDS, _BRANDS[1:])]
            + [f"compare {p} {b} {c}" for p in _PRODUCTS for b, c in zip(_BRANDS[::2], _BRANDS[1::2])]
            + [f"top 10 {p} 2026" for p in _PRODUCTS] + [f"{p} reviews" for p in _PRODUCTS])
    return {"navigational": nav, "informational": info, "transactional": trans, "commercial": comm}


def _pages_by_kind() -> dict[str, list[str]]:
    products = [(b, p) for b in _BRANDS for p in _PRODUCTS]
    articles = range(FIRST_ARTICLE_ID, FIRST_ARTICLE_ID + 3 * N_ARTICLES // 4)
    reviews = range(FIRST_ARTICLE_ID + 3 * N_ARTICLES // 4, FIRST_ARTICLE_ID + N_ARTICLES)
    return {
        "home": ["/", "/index.html", "/?utm_source=newsletter"],
        "section": [f"/{s}" for s in _SECTIONS] + [f"/{s}/page/{n}" for s in _SECTIONS for n in range(2, 40)]
        + [f"/category/{_slug(p)}" for p in _PRODUCTS] + [f"/brand/{b}" for b in _BRANDS],
        "product": [f"/product/{b}-{_slug(p)}-{m}" for b, p in products for m in (100, 200, 300, 500)],
        "cart": ["/cart", "/cart?step=review", "/cart/update"],
        "checkout": ["/checkout", "/checkout/shipping", "/checkout/payment", "/checkout/confirm",
                     "/order/thank-you"],
        "article": [f"/article/{i}" for i in articles],
        "review": [f"/review/{b}-{_slug(p)}" for b, p in products] + [f"/article/{i}" for i in reviews],
        "compare": [f"/compare/{b}-{_slug(p)}-vs-{c}-{_slug(p)}" for p in _PRODUCTS
                    for b in _BRANDS for c in _BRANDS if b < c],
        "account": ["/account", "/login", "/logout", "/account/orders", "/contact", "/about", "/help/returns",
                    "/help/shipping", "/newsletter", "/search"],
    }


def _referrers_by_class() -> dict[str, list[str]]:
    from urllib.parse import quote_plus

    queries = [q for qs in queries_by_intent().values() for q in qs[::7]]
    search = (["https://www.google.com/", "https://www.bing.com/", "https://duckduckgo.com/"]
              + [f"https://www.google.com/search?q={quote_plus(q)}" for q in queries]
              + [f"https://www.bing.com/search?q={quote_plus(q)}" for q in queries[::3]]
              + [f"https://duckduckgo.com/?q={quote_plus(q)}" for q in queries[::5]])
    social = (["https://www.facebook.com/", "https://m.facebook.com/", "https://l.facebook.com/",
               "https://www.linkedin.com/feed/", "https://www.instagram.com/", "https://www.youtube.com/"]
              + [f"https://t.co/{n:07x}" for n in range(0x3a1f2b, 0x3a1f2b + 40 * 977, 977)]
              + [f"https://www.reddit.com/r/{s}/" for s in _SUBREDDITS])
    return {"search": search, "social": social, "direct": [], "other": list(_OTHER_SITES)}


@dataclass(frozen=True)
class _Vocab:
    """A flat string table per categorical column, with where each group starts and how big it is."""

    values: pa.Array
    start: np.ndarray
    size: np.ndarray

    @classmethod
    def build(cls, groups: list[list[str]]) -> _Vocab:
        sizes = np.array([len(g) for g in groups], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        return cls(pa.array([s for g in groups for s in g], pa.string()), starts, sizes)

    def pick(self, rng: np.random.Generator, group: np.ndarray, skew: np.ndarray | float) -> np.ndarray:
        """One index per row: within ``group``, index ``floor(size * u**skew)`` (skew 1 = uniform)."""
        size = self.size[group]
        within = np.floor(size * rng.random(group.size) ** skew).astype(np.int64)
        return self.start[group] + np.minimum(within, np.maximum(size - 1, 0))


@dataclass(frozen=True)
class _Vocabs:
    pages: _Vocab
    queries: _Vocab
    referrers: _Vocab
    devices: pa.Array


@lru_cache(maxsize=1)
def _vocabs() -> _Vocabs:
    pages = _pages_by_kind()
    queries = queries_by_intent()
    refs = _referrers_by_class()
    return _Vocabs(
        pages=_Vocab.build([pages[k] for k in PAGE_KINDS]),
        queries=_Vocab.build([queries[k] for k in INTENTS]),
        referrers=_Vocab.build([refs[k] for k in REFERRER_CLASSES]),
        devices=pa.array(list(DEVICES[:3]) + list(_OTHER_DEVICES), pa.string()),
    )


# ---------------------------------------------------------------- one block of users


def _table_of(spec: list[tuple[str, pa.DataType]]) -> pa.Schema:
    return pa.schema([pa.field(n, t) for n, t in spec])


TS = pa.timestamp("us")
SCHEMAS: dict[str, pa.Schema] = {
    "clickstream": _table_of([("user_id", pa.int64()), ("timestamp", TS), ("url", pa.string()),
                              ("referrer", pa.string()), ("device", pa.string()), ("time_spent", pa.int64())]),
    "search_queries": _table_of([("user_id", pa.int64()), ("timestamp", TS), ("query", pa.string())]),
    "article_views": _table_of([("user_id", pa.int64()), ("timestamp", TS), ("article_id", pa.int64()),
                                ("time_spent", pa.int64())]),
    "ground_truth": _table_of([("user_id", pa.int64()), ("persona", pa.string()), ("persona_id", pa.int64()),
                               ("true_engagement", pa.float64())]),
}


def _col_of(attr: str, specs: tuple[Persona, ...] = PERSONA_SPECS) -> np.ndarray:
    return np.array([getattr(p, attr) for p in specs], dtype=np.float64)


def _cumprobs_of(attr: str, upto: int | None = None, specs: tuple[Persona, ...] = PERSONA_SPECS) -> np.ndarray:
    probs = np.array([getattr(p, attr)[:upto] for p in specs], dtype=np.float64)
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    cum[:, -1] = 1.0
    return cum


def _categorical(rng: np.random.Generator, cum: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Draw one category per row from the cumulative probabilities ``cum[rows]``."""
    u = rng.random(rows.size)
    return (u[:, None] >= cum[rows]).sum(axis=1).clip(max=cum.shape[1] - 1)


def _counts(rng: np.random.Generator, mean: np.ndarray, dispersion: float = 4.0) -> np.ndarray:
    """Negative-binomial counts as a Poisson-gamma mixture with the given means."""
    return rng.poisson(mean * rng.gamma(dispersion, 1.0 / dispersion, mean.size))


def _durations(rng: np.random.Generator, median: np.ndarray, sigma: float = 0.9,
               outlier_share: float = OUTLIER_SHARE) -> np.ndarray:
    """Lognormal seconds with a small share of tabs left open for hours."""
    d = median * rng.lognormal(0.0, sigma, median.size)
    outlier = rng.random(median.size) < outlier_share
    d[outlier] = rng.uniform(3_600, 36_000, int(outlier.sum()))
    return np.maximum(np.rint(d), 1).astype(np.int64)


_HOUR_WEIGHTS = np.array([1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 3, 3.5, 3.5, 3.5,
                          4, 3.5, 3.2, 3.2, 3.3, 3.5, 4, 4.5, 5, 4.5, 3.5, 2], dtype=np.float64)
_HOUR_CUM = np.cumsum(_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())


def _sorted_order(user: np.ndarray, ts: np.ndarray) -> np.ndarray:
    return np.argsort(user.astype(np.int64) << 32 | ts, kind="stable")


@dataclass
class _Draw:
    """One block's random stream and its personas, shared by the steps of :func:`_generate_block`.

    The steps draw from ``rng`` in a fixed order (users, sessions, clicks, searches, articles): the same
    seed gives the same events.
    """

    rng: np.random.Generator
    specs: tuple[Persona, ...]
    voc: _Vocabs

    def col(self, attr: str) -> np.ndarray:
        return _col_of(attr, self.specs)

    def cumprobs(self, attr: str, upto: int | None = None) -> np.ndarray:
        return _cumprobs_of(attr, upto, self.specs)


@dataclass
class _Sessions:
    start: np.ndarray  # seconds into the window, ascending per user
    first: np.ndarray  # index of each user's first session
    count: np.ndarray  # sessions per user
    device: np.ndarray
    ref_idx: np.ndarray
    ref_null: np.ndarray


def _generate_block(
    block: int, n: int, *, seed: int, days: int, end_us: int, mix_cum: np.ndarray, first_user_id: int,
    population: Population | None = None,
) -> dict[str, pa.Table]:
    """Events for users ``first_user_id + block * BLOCK_USERS + [0, n)`` as Arrow tables."""
    pop = population or Population()
    d = _Draw(np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,))), pop.specs, _vocabs())
    user_ids = first_user_id + block * BLOCK_USERS + np.arange(n, dtype=np.int64)
    persona, activity, n_clicks, n_search, n_article, n_sess = _draw_users(d, n, mix_cum, pop, seed, block)
    sess = _draw_sessions(d, n, persona, n_sess, days)
    c_user, c_sess, c_ts, dwell, page, span = _draw_clicks(d, n, persona, n_clicks, sess, pop)
    s_user, s_ts, query = _draw_searches(d, n, persona, n_search, sess, span)
    a_user, a_ts, article, a_dwell = _draw_articles(d, n, persona, n_article, sess, span, pop)

    window_s = days * 86_400

    def ts_array(ts: np.ndarray) -> pa.Array:
        # A session that starts late on the last day may run past the window end: stop it there.
        ts = np.minimum(ts, window_s - 1)
        return pa.array(end_us - window_s * 1_000_000 + ts * 1_000_000, TS)

    o = _sorted_order(c_user, c_ts)
    clicks = pa.table({
        "user_id": user_ids[c_user[o]],
        "timestamp": ts_array(c_ts[o]),
        "url": d.voc.pages.values.take(page[o]),
        "referrer": d.voc.referrers.values.take(pa.array(sess.ref_idx[c_sess[o]], mask=sess.ref_null[c_sess[o]])),
        "device": d.voc.devices.take(sess.device[c_sess[o]]),
        "time_spent": dwell[o],
    }, schema=SCHEMAS["clickstream"])
    o = _sorted_order(s_user, s_ts)
    searches = pa.table({
        "user_id": user_ids[s_user[o]], "timestamp": ts_array(s_ts[o]), "query": d.voc.queries.values.take(query[o]),
    }, schema=SCHEMAS["search_queries"])
    o = _sorted_order(a_user, a_ts)
    articles = pa.table({
        "user_id": user_ids[a_user[o]], "timestamp": ts_array(a_ts[o]), "article_id": article[o],
        "time_spent": a_dwell[o],
    }, schema=SCHEMAS["article_views"])
    truth = pa.table({
        "user_id": user_ids,
        "persona": pa.array([p.name for p in d.specs]).take(persona),
        "persona_id": persona.astype(np.int64),
        "true_engagement": d.col("engagement")[persona] * activity,
    }, schema=SCHEMAS["ground_truth"])
    return {"clickstream": clicks, "search_queries": searches, "article_views": articles, "ground_truth": truth}


def _draw_users(d: _Draw, n: int, mix_cum: np.ndarray, pop: Population, seed: int, block: int) -> tuple[np.ndarray, ...]:
    """Users: persona, activity, which sources they use, how much (events per source, sessions)."""
    rng, col = d.rng, d.col
    persona = np.searchsorted(mix_cum, rng.random(n), side="right").clip(max=len(d.specs) - 1)
    activity = rng.lognormal(0.0, col("activity_sigma")[persona])
    if pop.bot_share > 0:  # heavy users far outside their persona, from their own stream (default output kept)
        bots = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block, 1))).random(n) < pop.bot_share
        activity[bots] *= pop.bot_factor
    has = np.stack([rng.random(n) < col(a)[persona] for a in ("p_clicks", "p_searches", "p_articles")], axis=1)
    none = ~has.any(axis=1)  # everyone is a user of at least one source
    has[none, rng.choice(3, int(none.sum()), p=[0.6, 0.25, 0.15])] = True

    n_clicks = 1 + _counts(rng, np.maximum(col("clicks_mean")[persona] * activity - 1, 0.05))
    cap = np.array([p.clicks_max or np.iinfo(np.int64).max for p in d.specs], dtype=np.int64)
    n_clicks = np.minimum(n_clicks, cap[persona]) * has[:, 0]
    n_search = (1 + _counts(rng, np.maximum(col("searches_mean")[persona] * activity - 1, 0.05))) * has[:, 1]
    n_article = (1 + _counts(rng, np.maximum(col("articles_mean")[persona] * activity - 1, 0.05))) * has[:, 2]
    n_sess = 1 + _counts(rng, (col("sessions_mean")[persona] - 1) * activity**0.7)
    return persona, activity, n_clicks, n_search, n_article, n_sess


def _draw_sessions(d: _Draw, n: int, persona: np.ndarray, n_sess: np.ndarray, days: int) -> _Sessions:
    """Sessions: a start (day + diurnal hour), an entry referrer and a device, sorted in time per user."""
    rng = d.rng
    sess_user = np.repeat(np.arange(n), n_sess)
    n_s = sess_user.size
    hour = np.searchsorted(_HOUR_CUM, rng.random(n_s), side="right").clip(max=23)
    start = rng.integers(0, days, n_s) * 86_400 + hour * 3_600 + rng.integers(0, 3_600, n_s)
    order = _sorted_order(sess_user, start)
    start = start[order]
    first_sess = np.cumsum(n_sess) - n_sess
    sess_persona = persona[sess_user]
    # A user's main device is a desktop, phone or tablet; odd devices (a smart TV, a console) and
    # other usual ones turn up in the remaining sessions.
    main_device = _categorical(rng, d.cumprobs("devices", upto=3), persona)
    device = np.where(rng.random(n_s) < 0.75, main_device[sess_user],
                      _categorical(rng, d.cumprobs("devices"), sess_persona))
    other_device = 3 + rng.integers(0, len(_OTHER_DEVICES), n_s)
    device = np.where(device == 3, other_device, device)
    ref_class = _categorical(rng, d.cumprobs("referrers"), sess_persona)
    ref_idx = d.voc.referrers.pick(rng, ref_class, 2.0)
    ref_null = ref_class == REFERRER_CLASSES.index("direct")
    return _Sessions(start, first_sess, n_sess, device, ref_idx, ref_null)


def _in_session(d: _Draw, n: int, per_user: np.ndarray, sess: _Sessions) -> tuple[np.ndarray, np.ndarray]:
    """Each event's user and a random session of that user."""
    user = np.repeat(np.arange(n), per_user)
    return user, sess.first[user] + np.floor(d.rng.random(user.size) * sess.count[user]).astype(np.int64)


def _draw_clicks(d: _Draw, n: int, persona: np.ndarray, n_clicks: np.ndarray, sess: _Sessions,
                 pop: Population) -> tuple[np.ndarray, ...]:
    """Clicks: each in a random session of its user, one after another (dwell + a short think time)."""
    rng = d.rng
    c_user, c_sess = _in_session(d, n, n_clicks, sess)
    c_sess.sort()  # users are contiguous and their sessions ascend, so this keeps users grouped
    c_persona = persona[c_user]
    dwell = _durations(rng, d.col("click_dwell_s")[c_persona], outlier_share=pop.outlier_share)
    step = dwell + rng.geometric(0.08, c_user.size)
    cum = np.cumsum(step)
    new_sess = np.r_[True, c_sess[1:] != c_sess[:-1]]
    base = np.maximum.accumulate(np.where(new_sess, cum - step, 0))
    c_ts = sess.start[c_sess] + (cum - step - base)
    span = np.bincount(c_sess, weights=step, minlength=sess.start.size)
    kind = _categorical(rng, d.cumprobs("pages"), c_persona)
    page = d.voc.pages.pick(rng, kind, d.col("page_skew")[c_persona])
    return c_user, c_sess, c_ts, dwell, page, span


def _draw_searches(d: _Draw, n: int, persona: np.ndarray, n_search: np.ndarray, sess: _Sessions,
                   span: np.ndarray) -> tuple[np.ndarray, ...]:
    """Searches happen somewhere inside one of the user's sessions; some repeat the previous query."""
    rng = d.rng
    s_user, s_sess = _in_session(d, n, n_search, sess)
    s_ts = sess.start[s_sess] + np.floor(rng.random(s_user.size) * (span[s_sess] + 120)).astype(np.int64)
    intent = _categorical(rng, d.cumprobs("intents"), persona[s_user])
    query = d.voc.queries.pick(rng, intent, 2.5)
    repeat = np.r_[False, (rng.random(s_user.size - 1) < 0.15) & (s_user[1:] == s_user[:-1])] if s_user.size else \
        np.zeros(0, bool)
    query[repeat] = query[np.flatnonzero(repeat) - 1]  # users search the same thing again
    return s_user, s_ts, query


def _draw_articles(d: _Draw, n: int, persona: np.ndarray, n_article: np.ndarray, sess: _Sessions,
                   span: np.ndarray, pop: Population) -> tuple[np.ndarray, ...]:
    """Article reads inside one of the user's sessions: popular plain articles, or reviews."""
    rng = d.rng
    a_user, a_sess = _in_session(d, n, n_article, sess)
    a_ts = sess.start[a_sess] + np.floor(rng.random(a_user.size) * (span[a_sess] + 300)).astype(np.int64)
    a_persona = persona[a_user]
    review = rng.random(a_user.size) < d.col("review_share")[a_persona]
    n_plain = 3 * N_ARTICLES // 4
    readers = np.array([p.name == "readers" for p in d.specs])
    plain_id = np.floor(n_plain * rng.random(a_user.size) ** np.where(readers[a_persona], 1.5, 3.0))
    review_id = n_plain + np.floor((N_ARTICLES - n_plain) * rng.random(a_user.size) ** 2.0)
    article = FIRST_ARTICLE_ID + np.where(review, review_id, plain_id).astype(np.int64)
    a_dwell = _durations(rng, d.col("article_dwell_s")[a_persona], sigma=0.8, outlier_share=pop.outlier_share)
    return a_user, a_ts, article, a_dwell


# ---------------------------------------------------------------- public API


def _mix_cumulative(mix: dict[str, float] | None, names: tuple[str, ...] = PERSONAS) -> np.ndarray:
    if mix is None:
        mix = DEFAULT_MIX if names == PERSONAS else dict.fromkeys(names, 1.0)
    unknown = sorted(set(mix) - set(names))
    if unknown:
        raise InputError(f"Unknown persona(s) in mix: {', '.join(unknown)}.",
                         hint=f"Use only: {', '.join(names)}.")
    weights = np.array([float(mix.get(p, 0.0)) for p in names])
    if not np.all(np.isfinite(weights)) or (weights < 0).any() or weights.sum() <= 0:
        raise InputError(f"Persona mix {mix} has negative, non-finite or all-zero shares.",
                         hint="Give non-negative shares with a positive total, e.g. drifters=0.35, browsers=0.25.")
    cum = np.cumsum(weights / weights.sum())
    cum[-1] = 1.0
    return cum


def _end_us(end: str | pd.Timestamp) -> int:
    try:
        ts = pd.Timestamp(end)
    except (ValueError, TypeError):
        raise InputError(f"Cannot read end date {end!r}.",
                         hint="Give an ISO date or timestamp in UTC, e.g. 2026-10-01 or 2026-10-01T00:00:00Z.") from None
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return int(np.datetime64(ts.to_datetime64(), "us").astype(np.int64))


def _check(n_users: int, days: int) -> None:
    if n_users < 1:
        raise InputError(f"Number of users must be at least 1, got {n_users}.", hint="Pass --users 1000 or more.")
    if not 1 <= days <= 10_000:
        raise InputError(f"The window must be 1 to 10,000 days long, got {days}.",
                         hint="Pass --days 30 (the default).")


def iter_event_blocks(
    n_users: int,
    *,
    seed: int = 0,
    days: int = 30,
    end: str | pd.Timestamp = DEFAULT_END,
    mix: dict[str, float] | None = None,
    first_user_id: int = 1,
    population: Population | None = None,
) -> Iterator[dict[str, pa.Table]]:
    """Yield Arrow tables per block of :data:`BLOCK_USERS` users, ordered by user_id then timestamp.

    ``population`` (see :func:`population`): other personas, weaker separation, more outliers; ``mix``
    then names its personas (default: equal shares).
    """
    _check(n_users, days)
    pop = population or Population()
    kwargs = dict(seed=seed, days=days, end_us=_end_us(end), mix_cum=_mix_cumulative(mix, pop.names),
                  first_user_id=first_user_id, population=pop)
    for block, lo in enumerate(range(0, n_users, BLOCK_USERS)):
        yield _generate_block(block, min(BLOCK_USERS, n_users - lo), **kwargs)


def generate_events(
    n_users: int,
    *,
    seed: int = 0,
    days: int = 30,
    end: str | pd.Timestamp = DEFAULT_END,
    mix: dict[str, float] | None = None,
    first_user_id: int = 1,
    population: Population | None = None,
) -> GeneratedEvents:
    """Generate events for ``n_users`` users in memory (for tests and notebooks; use
    :func:`write_events` for millions).

    Timestamps are naive UTC (``datetime64[us]``) in ``[end - days, end)``; ``referrer`` is null for
    direct visits. ``mix`` maps persona name to share (normalised; default :data:`DEFAULT_MIX`).
    """
    blocks = list(iter_event_blocks(n_users, seed=seed, days=days, end=end, mix=mix, first_user_id=first_user_id,
                                    population=population))
    frames = {name: pa.concat_tables([b[name] for b in blocks]).to_pandas() for name in SCHEMAS}
    return GeneratedEvents(**frames)


class _Sink:
    """Appends Arrow tables to one file in one format."""

    def __init__(self, path: Path, fmt: str, schema: pa.Schema) -> None:
        self.path, self.fmt = path, fmt
        if fmt == "parquet":
            self._writer: Any = pq.ParquetWriter(path, schema, compression="zstd")
        else:
            self._file = open(path, "wb")
            self._header = True

    def write(self, table: pa.Table) -> None:
        if self.fmt == "parquet":
            self._writer.write_table(table)
            return
        for i, f in enumerate(table.schema):
            if pa.types.is_timestamp(f.type):  # ISO-8601 UTC with a 'Z', whole seconds
                iso = pc.strftime(table.column(i).cast(pa.timestamp("s")), format="%Y-%m-%dT%H:%M:%SZ")
                table = table.set_column(i, f.name, iso)
        if self.fmt == "csv":
            pacsv.write_csv(table, self._file, pacsv.WriteOptions(include_header=self._header))
            self._header = False
        else:
            text = table.to_pandas().to_json(orient="records", lines=True, force_ascii=False)
            text = text.replace("\\/", "/")  # pandas escapes every '/', which is legal but unreadable
            self._file.write(text.encode("utf-8"))
            if text and not text.endswith("\n"):
                self._file.write(b"\n")

    def close(self) -> None:
        if self.fmt == "parquet":
            self._writer.close()
        else:
            self._file.close()


def write_events(
    out_dir: str | Path,
    n_users: int,
    *,
    seed: int = 0,
    fmt: Literal["parquet", "csv", "jsonl"] = "parquet",
    days: int = 30,
    end: str | pd.Timestamp = DEFAULT_END,
    mix: dict[str, float] | None = None,
    first_user_id: int = 1,
    chunk_users: int = 200_000,
    population: Population | None = None,
) -> WrittenEvents:
    """Generate events and stream them to ``out_dir/<table>.<fmt>``, ``chunk_users`` users at a time.

    Writes clickstream, search_queries, article_views and ground_truth (overwriting existing files).
    Memory is bounded by ``chunk_users`` (rounded up to a multiple of :data:`BLOCK_USERS`); the output
    does not depend on it. Parquet gets one row group per chunk; CSV has a header row; JSON Lines has
    one object per line; both text formats write timestamps as ``YYYY-MM-DDTHH:MM:SSZ``.
    """
    if fmt not in FORMATS:
        raise InputError(f"Unknown format {fmt!r}.", hint=f"Use one of: {', '.join(FORMATS)}.")
    if chunk_users < 1:
        raise InputError(f"chunk_users must be at least 1, got {chunk_users}.", hint="Use e.g. 200000.")
    started = time.perf_counter()
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"Cannot create output directory {out}: {exc.strerror}.",
                         hint="Pass --out a writable directory.") from None
    paths = {name: out / f"{name}.{FORMATS[fmt]}" for name in SCHEMAS}
    rows = dict.fromkeys(SCHEMAS, 0)
    blocks_per_chunk = -(-chunk_users // BLOCK_USERS)
    sinks = {name: _Sink(paths[name], fmt, SCHEMAS[name]) for name in SCHEMAS}
    try:
        pending: list[dict[str, pa.Table]] = []
        blocks = iter_event_blocks(n_users, seed=seed, days=days, end=end, mix=mix, first_user_id=first_user_id,
                                   population=population)
        for i, block in enumerate(blocks, start=1):
            pending.append(block)
            if len(pending) == blocks_per_chunk or i * BLOCK_USERS >= n_users:
                for name, sink in sinks.items():
                    table = pa.concat_tables([b[name] for b in pending])
                    sink.write(table)
                    rows[name] += table.num_rows
                pending = []
    finally:
        for sink in sinks.values():
            sink.close()
    return WrittenEvents(paths=paths, rows=rows, n_users=n_users, seconds=time.perf_counter() - started,
                         format=fmt, seed=seed)
