"""Independent synthetic event generator "newsroom" for intentseg's quality suite.

A news and magazine website observed over ``days`` (default four weeks), with five kinds of
visitors ordered from least to most engaged:

    drive_by     ~40%  social arrivals on phones, 1-2 short sessions, seconds per page
    skimmer      ~25%  several direct visits a week, many brief pages, partial reads, no search
    deal_hunter  ~15%  product / review / deals pages, commercial searches, many clicks, little reading
    researcher   ~12%  question searches, long reads of search-led articles, desktop, search engines
    devoted       ~8%  almost daily, newsletters / direct, many long articles, weekend binges

Written without looking at intentseg's own generator or segmentation code; only numpy, pandas and
pyarrow are used.  Distributions: Zipf popularity of articles / products / deal pages / daily news,
Pareto pages per session, lognormal dwell and read times with rare absurd outliers, gamma-mixed
day intensities (bursty users), weekly and daily cycles, site-wide bursts (breaking-news days and a
sale), per-user volume heterogeneity, time zones, messy device labels and URL variants.

``separation`` in [0, 1] pulls every persona parameter towards the share-weighted average
behaviour (along a geometric path for scale parameters, linearly for probabilities and profiles);
at 0 all personas are drawn from the same behaviour.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote_plus

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

PERSONAS = ["drive_by", "skimmer", "deal_hunter", "researcher", "devoted"]
DEFAULT_SHARES = {"drive_by": 0.40, "skimmer": 0.25, "deal_hunter": 0.15, "researcher": 0.12, "devoted": 0.08}

SITE = "https://site.example"
START = np.datetime64("2024-03-04T00:00:00", "ms")  # a Monday

SECTIONS = ["news", "politics", "world", "business", "tech", "science", "health", "sports",
            "culture", "entertainment", "lifestyle", "travel", "opinion", "food"]
SECTION_SIZE = np.array([3000, 2200, 2000, 1800, 2000, 1200, 1200, 2600, 1200, 1800, 1400, 900, 1500, 900])
SECTION_LENGTH = np.array([0.8, 1.0, 1.1, 1.0, 1.0, 1.3, 1.1, 0.7, 1.4, 0.7, 0.9, 1.2, 1.4, 0.9])

# page types
HOME, SECTION, ARTICLE, REVIEW, PRODUCT, DEALS, OTHER, SEARCH = range(8)
# referrer types of a session's landing click
R_DIRECT, R_SEARCH, R_SOCIAL, R_NEWSLETTER, R_AGGREGATOR, R_COUPON = range(6)
# query types
Q_COMMERCIAL, Q_QUESTION, Q_TOPICAL = range(3)
DEVICES = np.array(["desktop", "mobile", "tablet"], dtype=object)

# --------------------------------------------------------------------------------------------
# persona table: one value per persona in PERSONAS order
# --------------------------------------------------------------------------------------------
# (values, space): "log" parameters are blended geometrically, "lin" ones arithmetically
NUM = {
    "sess_mu":         ([0.35, 10.0, 6.5, 12.0, 30.0], "log"),   # extra sessions over 4 weeks (median)
    "sess_sigma":      ([0.5, 0.55, 0.6, 0.6, 0.35], "lin"),    # user-to-user spread of that
    "burst_shape":     ([0.25, 2.0, 0.6, 0.9, 6.0], "log"),     # gamma shape of daily intensity (low = bursty)
    "pages_xm":        ([1.0, 2.6, 4.0, 3.0, 4.0], "log"),      # Pareto scale of pages per session
    "pages_alpha":     ([2.4, 2.0, 1.8, 2.2, 1.9], "lin"),      # Pareto tail index
    "weekend_pages":   ([1.0, 0.9, 1.2, 0.8, 1.9], "log"),      # pages multiplier on Sat/Sun (binges)
    "search_p":        ([0.006, 0.004, 0.20, 0.45, 0.006], "log"),  # chance a non-landing click is a site search
    "read_p":          ([0.30, 0.45, 0.25, 0.85, 0.95], "lin"),  # chance an opened article is read
    "read_median":     ([18.0, 35.0, 28.0, 100.0, 420.0], "log"),  # seconds
    "read_sigma":      ([0.9, 0.8, 0.8, 0.7, 0.5], "lin"),
    "search_boost":    ([1.0, 1.0, 1.0, 3.0, 1.2], "log"),      # read-time multiplier when search-led
    "page_dwell":      ([6.0, 8.0, 16.0, 14.0, 12.0], "log"),    # seconds on non-article pages
    "bounce":          ([5.0, 6.0, 8.0, 10.0, 9.0], "log"),      # seconds on an article not read
    "fresh_p":         ([0.60, 0.50, 0.15, 0.15, 0.45], "lin"),  # article is today's news (vs archive)
    "device_stick":    ([0.90, 0.80, 0.75, 0.85, 0.60], "lin"),  # session uses the user's main device
    "breaking_mult":   ([2.5, 1.8, 1.0, 1.0, 1.3], "log"),       # activity on breaking-news days
    "sale_mult":       ([1.0, 1.0, 3.5, 1.0, 1.0], "log"),       # activity on the sale days
}

CAT = {
    # home, section, article, review, product, deals, other
    "page": [[.10, .08, .70, .03, .02, .02, .05],
             [.25, .22, .40, .03, .02, .02, .06],
             [.06, .06, .10, .25, .30, .20, .03],
             [.06, .08, .70, .06, .02, .01, .07],
             [.12, .10, .70, .02, .01, .01, .04]],
    # direct, search engine, social, newsletter, aggregator, coupon site
    "ref": [[.08, .10, .76, .00, .06, .00],
            [.62, .15, .13, .04, .06, .00],
            [.22, .42, .12, .03, .04, .17],
            [.18, .62, .05, .03, .12, .00],
            [.42, .06, .04, .45, .03, .00]],
    # desktop, mobile, tablet
    "device": [[.12, .82, .06], [.35, .55, .10], [.50, .44, .06], [.72, .22, .06], [.42, .38, .20]],
    # commercial, question, topical
    "qtype": [[.15, .15, .70], [.10, .20, .70], [.85, .04, .11], [.04, .84, .12], [.05, .30, .65]],
    # section preferences (SECTIONS order)
    "section": [[2.5, .5, .5, .5, 1.0, .5, .5, 2.5, .5, 3.0, 2.0, .5, .5, 1.5],
                [3.0, 2.0, 1.5, 1.0, .6, .6, .6, 2.5, .6, 1.5, .6, .6, .6, .6],
                [.4, .4, .4, 1.0, 4.0, .4, .4, .4, .4, .4, 2.0, 1.5, .4, 1.0],
                [.5, 1.0, 1.2, 2.0, 2.5, 3.0, 3.0, .5, .5, .5, .5, .5, .5, .5],
                [2.0, 3.0, 3.0, 1.5, .8, 1.5, .8, .8, 2.5, .8, .8, .8, 2.5, .8]],
    # Mon..Sun
    "weekday": [[1.0, 1.0, 1.0, 1.0, 1.05, 1.2, 1.2],
                [1.2, 1.2, 1.2, 1.2, 1.1, 0.6, 0.6],
                [1.0, 1.0, 1.0, 1.0, 1.1, 1.3, 1.2],
                [1.25, 1.25, 1.2, 1.2, 1.0, 0.5, 0.6],
                [1.0, 1.0, 1.0, 1.0, 1.0, 1.5, 1.6]],
}
# local-hour peaks (hour, weight, width)
HOUR_PEAKS = [[(12.5, 1.0, 1.5), (21.0, 1.5, 2.0)],
              [(8.0, 1.2, 1.0), (12.5, 1.0, 1.2), (18.0, 1.0, 1.5)],
              [(13.0, 1.0, 1.5), (20.5, 1.3, 1.5), (23.0, 0.5, 1.0)],
              [(10.0, 1.3, 2.0), (15.0, 1.2, 2.0)],
              [(7.0, 1.5, 1.0), (21.0, 1.2, 1.8)]]
HOUR_FLOOR = 0.06

# time-zone offsets (hours from UTC) of the readership
TZ_OFFSETS = np.array([-5, -8, 0, 1, -6])
TZ_P = np.array([0.55, 0.18, 0.12, 0.08, 0.07])

ODD_DEVICES = np.array(["Mobile", "DESKTOP", "Desktop", "smarttv", "tablet ", "unknown", "iPhone",
                        "MOBILE", "console"], dtype=object)

OTHER_PAGES = ["weather", "crossword", "horoscope", "newsletter", "podcasts", "video", "about",
               "subscribe", "puzzles", "live"]
OTHER_P = np.array([0.2, 0.18, 0.1, 0.08, 0.08, 0.12, 0.03, 0.06, 0.08, 0.07])

# ------------------------------------------------------------------------------------------ words
PRODUCT_CATS = {
    "laptop": ["Lenovo", "Dell", "HP", "Apple", "Asus", "Acer"],
    "phone": ["Samsung", "Apple", "Google", "OnePlus", "Motorola", "Xiaomi"],
    "headphones": ["Sony", "Bose", "Sennheiser", "Apple", "Jabra", "Anker"],
    "tv": ["LG", "Samsung", "Sony", "TCL", "Hisense", "Vizio"],
    "camera": ["Canon", "Nikon", "Sony", "Fujifilm", "GoPro"],
    "smartwatch": ["Garmin", "Apple", "Samsung", "Fitbit", "Amazfit"],
    "vacuum": ["Dyson", "Shark", "iRobot", "Roborock", "Eufy"],
    "mattress": ["Casper", "Purple", "Tempur", "Nectar", "Emma"],
    "coffee maker": ["Breville", "DeLonghi", "Nespresso", "Keurig", "Philips"],
    "air fryer": ["Ninja", "Cosori", "Philips", "Instant", "Tefal"],
    "monitor": ["Dell", "LG", "Asus", "BenQ", "Samsung"],
    "router": ["Netgear", "TP-Link", "Asus", "Eero", "Linksys"],
    "e-bike": ["Rad Power", "VanMoof", "Cowboy", "Specialized", "Trek"],
    "running shoes": ["Nike", "Adidas", "Asics", "Hoka", "Brooks"],
    "tablet": ["Apple", "Samsung", "Amazon", "Lenovo", "Microsoft"],
    "blender": ["Vitamix", "Ninja", "Blendtec", "KitchenAid", "Oster"],
}
MODEL_PREFIX = ["X", "Pro ", "Air ", "S", "Max ", "Ultra ", "V", "Q", "Z", "One ", "Neo ", "Go "]

CONCEPTS = {
    "news": ["the rail strike", "the new speed limits", "the heatwave warning", "the school closures"],
    "politics": ["the filibuster", "ranked choice voting", "the debt ceiling", "gerrymandering", "the primaries"],
    "world": ["the ceasefire talks", "the eu election", "the g20 summit", "sanctions on russia", "nato expansion"],
    "business": ["inflation", "interest rates", "a recession", "index funds", "the housing market", "stock buybacks"],
    "tech": ["chatgpt", "quantum computing", "a vpn", "passkeys", "5g", "large language models", "usb-c"],
    "science": ["black holes", "crispr", "dark matter", "the james webb telescope", "climate change", "fusion power"],
    "health": ["intermittent fasting", "long covid", "ozempic", "sleep apnea", "vitamin d", "the measles vaccine"],
    "sports": ["the offside rule", "the salary cap", "the transfer window", "the playoffs format"],
    "culture": ["the booker prize", "modernism", "the venice biennale", "oppenheimer", "taylor swift"],
    "entertainment": ["the oscars", "the succession finale", "dune part two", "the eurovision"],
    "lifestyle": ["minimalism", "a capsule wardrobe", "hygge", "cold plunges", "a sourdough starter"],
    "travel": ["the schengen rules", "travel insurance", "esta", "jet lag", "rail passes"],
    "opinion": ["the four day week", "remote work", "a wealth tax", "social media bans"],
    "food": ["sourdough", "kimchi", "the mediterranean diet", "air fryer recipes", "natural wine"],
}
HOWTO = {
    "news": ["get a passport fast", "prepare for a storm", "report a pothole"],
    "politics": ["register to vote", "contact my representative", "vote by mail"],
    "world": ["donate to ukraine", "follow the summit", "travel to gaza safely"],
    "business": ["start investing", "file taxes online", "negotiate a raise", "pay off debt"],
    "tech": ["free up storage on iphone", "set up a vpn", "use chatgpt for work", "back up photos"],
    "science": ["see the eclipse", "spot the northern lights", "read a scientific paper"],
    "health": ["lower blood pressure", "sleep better", "start running", "reduce stress"],
    "sports": ["watch the match online", "get world cup tickets", "start a fantasy league"],
    "culture": ["get into poetry", "visit the louvre", "start a book club"],
    "entertainment": ["stream the oscars", "watch dune in order", "get concert tickets"],
    "lifestyle": ["declutter your home", "keep houseplants alive", "make friends as an adult"],
    "travel": ["pack light", "find cheap flights", "get a schengen visa", "avoid jet lag"],
    "opinion": ["argue better", "disagree politely"],
    "food": ["make sourdough", "cook rice perfectly", "meal prep for a week"],
}
TOPICAL = {
    "news": ["traffic", "breaking news", "local news", "storm"],
    "politics": ["election results", "polls", "senate vote", "biden", "trump"],
    "world": ["ukraine", "gaza", "china", "elections europe"],
    "business": ["stocks", "fed", "jobs report", "oil price"],
    "tech": ["apple event", "ai", "tesla", "twitter"],
    "science": ["nasa", "eclipse", "climate"],
    "health": ["covid", "flu", "diet"],
    "sports": ["premier league", "nba scores", "liverpool", "lakers score", "f1 results", "champions league"],
    "culture": ["books", "theatre", "museums"],
    "entertainment": ["taylor swift", "box office", "netflix", "oscars winners", "tv tonight"],
    "lifestyle": ["horoscope", "dating", "fashion"],
    "travel": ["paris", "flights", "best beaches"],
    "opinion": ["editorial", "columnists", "letters"],
    "food": ["recipes", "restaurants", "pasta"],
}
NAV_QUERIES = ["weather", "crossword", "wordle", "horoscope", "newsletter", "login", "subscribe", "podcast"]

SOCIAL_HOSTS = ["https://t.co/", "https://l.facebook.com/", "https://m.facebook.com/", "https://www.instagram.com/",
                "https://www.reddit.com/r/", "https://www.linkedin.com/", "android-app://com.twitter.android/",
                "https://www.tiktok.com/", "https://lm.facebook.com/"]
SOCIAL_P = np.array([0.28, 0.22, 0.12, 0.1, 0.1, 0.06, 0.05, 0.04, 0.03])
SUBREDDITS = ["news", "worldnews", "technology", "science", "sports", "politics", "todayilearned"]
AGGREGATORS = ["https://news.ycombinator.com/", "https://news.google.com/", "https://flipboard.com/",
               "https://www.reddit.com/r/TrueReddit/", "https://getpocket.com/", "https://www.msn.com/"]
COUPON_SITES = ["https://slickdeals.net/", "https://www.retailmenot.com/", "https://camelcamelcamel.com/",
                "https://www.honey.com/", "https://www.hotukdeals.com/"]
MAIL_HOSTS = ["https://mail.google.com/", "https://outlook.live.com/", "https://mail.yahoo.com/",
              "https://newsletter.site.example/daily-briefing"]


# ============================================================================================
def _zipf_cdf(n: int, a: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** a
    c = np.cumsum(w)
    return c / c[-1]


def _zipf_draw(rng: np.random.Generator, cdf: np.ndarray, size: int) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, rng.random(size)), len(cdf) - 1)


def _cat_draw(rng: np.random.Generator, probs: np.ndarray, size: int) -> np.ndarray:
    """Draw `size` categories with probabilities `probs` (1-D)."""
    c = np.cumsum(probs / probs.sum())
    return np.minimum(np.searchsorted(c, rng.random(size), side="right"), len(c) - 1)


def _cat_rows(rng: np.random.Generator, prob_rows: np.ndarray) -> np.ndarray:
    """One draw per row of a (n, k) probability matrix."""
    c = np.cumsum(prob_rows / prob_rows.sum(axis=1, keepdims=True), axis=1)
    return np.minimum((rng.random(len(prob_rows))[:, None] > c).sum(axis=1), prob_rows.shape[1] - 1)


def _hour_profile(peaks) -> np.ndarray:
    h = np.arange(24) + 0.5
    w = np.full(24, HOUR_FLOOR)
    for mu, wt, sd in peaks:
        d = np.minimum(np.abs(h - mu), 24 - np.abs(h - mu))
        w = w + wt * np.exp(-0.5 * (d / sd) ** 2)
    return w / w.sum()


def _blend_params(shares: np.ndarray, separation: float) -> tuple[dict, dict]:
    """Persona parameters pulled towards the share-weighted average by (1 - separation)."""
    s = float(np.clip(separation, 0.0, 1.0))
    num = {}
    for name, (vals, space) in NUM.items():
        v = np.asarray(vals, dtype=float)
        if space == "log":
            # geometric path from the share-weighted (arithmetic) mean to each persona's value
            lv = np.log(v)
            avg = float(np.log(shares @ v))
            num[name] = np.exp(avg + s * (lv - avg))
        else:
            avg = float(shares @ v)
            num[name] = avg + s * (v - avg)
    cat = {}
    for name, rows in CAT.items():
        m = np.asarray(rows, dtype=float)
        m = m / m.sum(axis=1, keepdims=True)
        avg = shares @ m
        cat[name] = avg[None, :] + s * (m - avg[None, :])
    hours = np.array([_hour_profile(p) for p in HOUR_PEAKS])
    avg = shares @ hours
    cat["hour"] = avg[None, :] + s * (hours - avg[None, :])
    return num, cat


def _resolve_shares(shares: dict[str, float] | None) -> np.ndarray:
    src = DEFAULT_SHARES if shares is None else shares
    unknown = set(src) - set(PERSONAS)
    if unknown:
        raise ValueError(f"unknown personas in shares: {sorted(unknown)}; known: {PERSONAS}")
    v = np.array([max(float(src.get(p, 0.0)), 0.0) for p in PERSONAS])
    if v.sum() <= 0:
        raise ValueError("shares must have a positive total")
    return v / v.sum()


def _persona_counts(n: int, share: np.ndarray) -> np.ndarray:
    raw = share * n
    cnt = np.floor(raw).astype(int)
    rem = n - cnt.sum()
    order = np.argsort(-(raw - cnt), kind="stable")
    cnt[order[:rem]] += 1
    return cnt


def _typo(rng: np.random.Generator, q: str) -> str:
    r = rng.random()
    if r < 0.04 and len(q) > 4:
        i = int(rng.integers(0, len(q) - 1))
        q = q[:i] + q[i + 1] + q[i] + q[i + 2:]
    elif r < 0.06 and len(q) > 4:
        i = int(rng.integers(0, len(q)))
        q = q[:i] + q[i + 1:]
    r = rng.random()
    if r < 0.03:
        q = q.upper()
    elif r < 0.10:
        q = q[:1].upper() + q[1:]
    if rng.random() < 0.03:
        q = q + " "
    if rng.random() < 0.02:
        q = q + "?"
    return q


# ============================================================================================
def generate(out_dir: Path, n_users: int = 8000, seed: int = 0, separation: float = 1.0,
             shares: dict[str, float] | None = None, days: int = 28) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if n_users < 1:
        raise ValueError("n_users must be >= 1")
    days = int(days)
    if days < 1:
        raise ValueError("days must be >= 1")
    rng = np.random.default_rng([seed, 20240304])
    share = _resolve_shares(shares)
    num, cat = _blend_params(share, separation)
    P = len(PERSONAS)

    # ---------------------------------------------------------------- catalogue (per seed)
    n_sec = len(SECTIONS)
    sec_ids, sec_cdf, art_len = [], [], {}
    next_id = 100000
    for k in range(n_sec):
        n = int(SECTION_SIZE[k])
        ids = next_id + rng.permutation(n)  # popularity rank -> id, not id order
        next_id += n
        sec_ids.append(ids)
        sec_cdf.append(_zipf_cdf(n, 1.05))
    archive_len = np.exp(rng.normal(0.0, 0.4, next_id - 100000))
    archive_sec_len = np.repeat(SECTION_LENGTH, SECTION_SIZE)
    # daily news: ~60 new pieces a day, their own Zipf popularity
    n_fresh = 60
    fresh_cdf = _zipf_cdf(n_fresh, 1.25)
    fresh_sec = _cat_draw(rng, np.array([4, 3, 3, 2, 2, 1, 1, 3, 1, 2, 1, .5, 1.5, .5]), (days + 1) * n_fresh)
    fresh_len = np.exp(rng.normal(-0.1, 0.4, (days + 1) * n_fresh)) * SECTION_LENGTH[fresh_sec]
    # products
    cats = list(PRODUCT_CATS)
    n_prod = 1500
    prod_cat = rng.integers(0, len(cats), n_prod)
    prod_brand = np.array([PRODUCT_CATS[cats[c]][int(rng.integers(0, len(PRODUCT_CATS[cats[c]])))]
                           for c in prod_cat], dtype=object)
    prod_model = np.array([f"{MODEL_PREFIX[int(rng.integers(0, len(MODEL_PREFIX)))]}{int(rng.integers(1, 99))}"
                           for _ in range(n_prod)], dtype=object)
    prod_price = np.round(np.exp(rng.normal(5.5, 0.9, n_prod)), -1).astype(int) + 9
    prod_rank_to_id = rng.permutation(n_prod)
    prod_cdf = _zipf_cdf(n_prod, 1.15)
    deal_cdf = _zipf_cdf(400, 1.2)
    # site-wide bursts: breaking-news days and a two-day sale
    breaking_days = rng.choice(days, size=min(2, days), replace=False)
    sale_start = int(rng.integers(0, max(days - 1, 1)))
    sale_days = np.array([sale_start, min(sale_start + 1, days - 1)])

    # ---------------------------------------------------------------- users
    counts = _persona_counts(n_users, share)
    persona = rng.permutation(np.repeat(np.arange(P), counts))
    user_ids = (rng.choice(90_000_000, size=n_users, replace=False) + 10_000_000).astype(np.int64)
    tz = TZ_OFFSETS[_cat_draw(rng, TZ_P, n_users)]
    lam = num["sess_mu"][persona] * np.exp(rng.normal(0, 1, n_users) * num["sess_sigma"][persona])
    n_sess = 1 + rng.poisson(lam * days / 28.0)
    u_pages = np.exp(rng.normal(0, 0.3, n_users))
    u_read = np.exp(rng.normal(0, 0.35, n_users))
    u_search = np.exp(rng.normal(0, 0.7, n_users))
    main_dev = _cat_rows(rng, cat["device"][persona])

    # day weights: weekly cycle x bursty gamma intensity x site-wide events
    dow = (np.arange(days)) % 7
    W = cat["weekday"][persona][:, dow]
    W = W * rng.gamma(num["burst_shape"][persona][:, None], 1.0, (n_users, days))
    W[:, breaking_days] *= num["breaking_mult"][persona][:, None]
    W[:, sale_days] *= num["sale_mult"][persona][:, None]
    W = W + 1e-12
    Wc = np.cumsum(W / W.sum(axis=1, keepdims=True), axis=1)

    # ---------------------------------------------------------------- sessions
    S = int(n_sess.sum())
    s_user = np.repeat(np.arange(n_users), n_sess)
    s_pers = persona[s_user]
    s_day = np.minimum((rng.random(S)[:, None] > Wc[s_user]).sum(axis=1), days - 1)
    s_hour_local = _cat_rows(rng, cat["hour"][s_pers])
    s_start = (s_day * 86400 + (s_hour_local - tz[s_user]) * 3600 + rng.integers(0, 3600, S)).astype(np.int64)
    # time-zone shifts that leave the window wrap to the same local hour a day later / earlier
    s_start = np.where(s_start < 0, s_start + 86400, s_start)
    s_start = np.where(s_start >= days * 86400, s_start - 86400, s_start)
    s_weekend = (s_day % 7) >= 5
    s_dev = np.where(rng.random(S) < num["device_stick"][s_pers], main_dev[s_user],
                     _cat_rows(rng, cat["device"][s_pers]))
    s_ref = _cat_rows(rng, cat["ref"][s_pers])
    # Pareto pages per session
    xm = num["pages_xm"][s_pers] * u_pages[s_user] * np.where(s_weekend, num["weekend_pages"][s_pers], 1.0)
    pareto = xm * (1.0 + rng.pareto(num["pages_alpha"][s_pers], S))
    s_pages = np.clip(np.floor(pareto), 1, 400).astype(np.int64)
    s_search_rate = num["search_p"][s_pers] * u_search[s_user] * rng.gamma(0.6, 1 / 0.6, S)

    # ---------------------------------------------------------------- clicks
    N = int(s_pages.sum())
    c_sess = np.repeat(np.arange(S), s_pages)
    s_first = np.concatenate([[0], np.cumsum(s_pages)[:-1]])
    c_pos = np.arange(N) - s_first[c_sess]
    c_last = c_pos == (s_pages[c_sess] - 1)
    c_user = s_user[c_sess]
    c_pers = s_pers[c_sess]
    c_day = s_day[c_sess]

    ptype = np.empty(N, dtype=np.int64)
    for k in range(P):
        m = np.flatnonzero(c_pers == k)
        ptype[m] = _cat_draw(rng, cat["page"][k], len(m))

    # site searches (never the landing click, never two in a row)
    is_search = (rng.random(N) < np.minimum(s_search_rate[c_sess], 0.9)) & (c_pos > 0)
    is_search[1:] &= ~is_search[:-1]
    ptype[is_search] = SEARCH
    qtype = np.full(N, -1, dtype=np.int64)
    sidx = np.flatnonzero(is_search)
    qtype[sidx] = _cat_rows(rng, cat["qtype"][c_pers[sidx]])
    # the click after a search is its result
    search_led = np.zeros(N, dtype=bool)
    res = sidx[~c_last[sidx]] + 1
    rq = qtype[res - 1]
    u = rng.random(len(res))
    ptype[res] = np.where(rq == Q_COMMERCIAL, np.where(u < 0.5, REVIEW, np.where(u < 0.85, PRODUCT, DEALS)), ARTICLE)
    search_led[res] = True

    # landing clicks depend on where the visitor came from
    land = s_first
    lref = s_ref
    u = rng.random(S)
    lp = ptype[land].copy()
    lp = np.where(lref == R_DIRECT, np.where(u < 0.62, HOME, np.where(u < 0.77, SECTION, np.where(u < 0.95, ARTICLE, OTHER))), lp)
    land_q = np.full(S, -1, dtype=np.int64)
    se = lref == R_SEARCH
    land_q[se] = _cat_rows(rng, cat["qtype"][s_pers[se]])
    lp = np.where(se, np.where(land_q == Q_COMMERCIAL, np.where(u < 0.6, REVIEW, PRODUCT), ARTICLE), lp)
    lp = np.where(lref == R_SOCIAL, np.where(u < 0.85, ARTICLE, np.where(u < 0.93, DEALS, OTHER)), lp)
    lp = np.where(lref == R_NEWSLETTER, np.where(u < 0.9, ARTICLE, HOME), lp)
    lp = np.where(lref == R_AGGREGATOR, ARTICLE, lp)
    lp = np.where(lref == R_COUPON, np.where(u < 0.7, DEALS, PRODUCT), lp)
    ptype[land] = lp
    search_led[land[se]] = True

    # sections, articles, products
    c_sec = np.empty(N, dtype=np.int64)
    for k in range(P):
        m = np.flatnonzero(c_pers == k)
        c_sec[m] = _cat_draw(rng, cat["section"][k], len(m))
    is_art = ptype == ARTICLE
    fresh_p = num["fresh_p"][c_pers]
    fresh_p = np.where(search_led, 0.08, fresh_p)
    land_mask = np.zeros(N, dtype=bool)
    land_mask[land] = True
    social_or_mail = land_mask & np.isin(s_ref[c_sess], [R_SOCIAL, R_NEWSLETTER])
    fresh_p = np.where(social_or_mail, 0.85, fresh_p)
    is_fresh = is_art & (rng.random(N) < fresh_p)
    is_arch = is_art & ~is_fresh

    art_id = np.full(N, -1, dtype=np.int64)
    art_len_f = np.ones(N)
    fi = np.flatnonzero(is_fresh)
    # today's or yesterday's news; slot day 0 is the day before the window starts
    fslot_day = c_day[fi] + 1 - (rng.random(len(fi)) < 0.3)
    fslot = fslot_day * n_fresh + _zipf_draw(rng, fresh_cdf, len(fi))
    art_id[fi] = 500000 + fslot
    c_sec[fi] = fresh_sec[fslot]
    art_len_f[fi] = fresh_len[fslot]
    ai = np.flatnonzero(is_arch)
    for k in range(n_sec):
        m = ai[c_sec[ai] == k]
        ids = sec_ids[k][_zipf_draw(rng, sec_cdf[k], len(m))]
        art_id[m] = ids
        art_len_f[m] = archive_len[ids - 100000] * archive_sec_len[ids - 100000]

    c_prod = np.full(N, -1, dtype=np.int64)
    pi = np.flatnonzero((ptype == REVIEW) | (ptype == PRODUCT) | ((ptype == SEARCH) & (qtype == Q_COMMERCIAL)))
    c_prod[pi] = prod_rank_to_id[_zipf_draw(rng, prod_cdf, len(pi))]
    ri = np.flatnonzero(ptype == REVIEW)
    art_id[ri] = 900000 + c_prod[ri]
    art_len_f[ri] = 0.8 * np.exp(rng.normal(0, 0.3, len(ri)))
    # a commercial search asks about the product its result shows
    follow = sidx[~c_last[sidx]]
    same = (qtype[follow] == Q_COMMERCIAL) & (c_prod[follow + 1] >= 0)
    c_prod[follow[same]] = c_prod[follow[same] + 1]
    # a non-commercial search is about the section of the article it leads to
    same = (qtype[follow] != Q_COMMERCIAL)
    c_sec[follow[same]] = c_sec[follow[same] + 1]
    c_deal = np.where(ptype == DEALS, _zipf_draw(rng, deal_cdf, N), -1)

    # ---------------------------------------------------------------- dwell and read times
    reads = np.isin(ptype, [ARTICLE, REVIEW]) & (
        rng.random(N) < num["read_p"][c_pers] * np.where(ptype == REVIEW, 0.7, 1.0))
    boost = np.where(search_led, num["search_boost"][c_pers], 1.0)
    read_med = num["read_median"][c_pers] * u_read[c_user] * art_len_f ** 0.8 * boost
    read_t = np.exp(np.log(read_med) + num["read_sigma"][c_pers] * rng.normal(0, 1, N))
    bounce_t = np.exp(np.log(num["bounce"][c_pers]) + 0.8 * rng.normal(0, 1, N))
    page_t = np.exp(np.log(num["page_dwell"][c_pers]) + 0.9 * rng.normal(0, 1, N))
    page_t = np.where(ptype == SEARCH, np.exp(np.log(9.0) + 0.6 * rng.normal(0, 1, N)), page_t)
    page_t = np.where(ptype == PRODUCT, page_t * 1.4, page_t)
    extra = np.exp(np.log(4.0) + 0.5 * rng.normal(0, 1, N))
    dwell = np.where(reads, read_t + extra, np.where(np.isin(ptype, [ARTICLE, REVIEW]), bounce_t, page_t))
    # rare absurd outliers: tabs left open for hours or days, and zero-second hits
    u = rng.random(N)
    dwell = np.where(u < 0.002, rng.uniform(2 * 3600, 12 * 3600, N), dwell)
    dwell = np.where(u > 1 - 0.0002, rng.uniform(86400, 3 * 86400, N), dwell)
    dwell = np.where((u >= 0.002) & (u < 0.006), 0.0, dwell)
    dwell = np.where(c_last & (rng.random(N) < 0.05), 0.0, dwell)  # last hit of a visit: no next hit to time it
    dwell = np.round(dwell).astype(np.int64)
    read_sec = np.minimum(np.round(read_t).astype(np.int64), np.maximum(dwell, 1))
    read_sec = np.where(dwell > 3600, dwell - rng.integers(0, 30, N), read_sec)
    u = rng.random(N)
    read_sec = np.where(u < 0.001, rng.integers(3 * 3600, 10 * 3600, N), read_sec)
    read_sec = np.maximum(read_sec, 0)

    # timestamps: clicks follow each other by the (capped) dwell plus a small gap, in milliseconds
    step = (np.minimum(dwell, 1800) * 1000 + np.exp(np.log(2500) + 0.8 * rng.normal(0, 1, N))).astype(np.int64)
    cs = np.cumsum(step)
    prev = np.concatenate([[0], cs[:-1]])
    offs = prev - prev[s_first][c_sess]
    c_ms = s_start[c_sess] * 1000 + offs

    # ---------------------------------------------------------------- strings
    host_variant = rng.random(N)
    urls = np.empty(N, dtype=object)
    sec_names = np.array(SECTIONS, dtype=object)
    deal_cats = [c.replace(" ", "-") for c in cats]
    other_idx = _cat_draw(rng, OTHER_P, N)
    video_id = 7000 + _zipf_draw(rng, _zipf_cdf(300, 1.1), N)
    page_no = rng.random(N)
    queries: list[str] = []
    q_rows: list[int] = []
    for i in range(N):
        t = ptype[i]
        if t == HOME:
            path = "/"
        elif t == SECTION:
            path = f"/{sec_names[c_sec[i]]}/"
        elif t == ARTICLE:
            a = art_id[i]
            path = f"/{sec_names[c_sec[i]]}/article-{a}"
            if page_no[i] < 0.03:
                path += "?page=2"
        elif t == REVIEW:
            p = c_prod[i]
            slug = f"{prod_brand[p]}-{prod_model[p]}".lower().replace(" ", "-")
            path = f"/reviews/{slug}-review-{art_id[i]}"
        elif t == PRODUCT:
            p = c_prod[i]
            slug = f"{prod_brand[p]}-{prod_model[p]}".lower().replace(" ", "-")
            path = f"/products/{cats[prod_cat[p]].replace(' ', '-')}/{slug}-{p}"
        elif t == DEALS:
            d = c_deal[i]
            if d < 20:
                path = "/deals/"
            elif d < 60:
                path = f"/deals/{deal_cats[d % len(deal_cats)]}-deals"
            else:
                path = f"/deals/{deal_cats[d % len(deal_cats)]}/deal-{d}"
        elif t == OTHER:
            o = OTHER_PAGES[other_idx[i]]
            path = f"/{o}/" if o != "video" else f"/video/{video_id[i]}"
        else:  # SEARCH
            q = _make_query(rng, qtype[i], int(c_sec[i]), int(c_prod[i]), cats, prod_cat, prod_brand,
                            prod_model, prod_price, prod_rank_to_id, prod_cdf)
            queries.append(q)
            q_rows.append(i)
            path = f"/search?q={quote_plus(q.strip())}"
        hv = host_variant[i]
        base = SITE if hv > 0.02 else ("https://www.site.example" if hv > 0.005 else "http://site.example")
        urls[i] = base + path

    # UTM tags on landings from social / newsletter
    for s in np.flatnonzero(np.isin(s_ref, [R_SOCIAL, R_NEWSLETTER])):
        i = s_first[s]
        if rng.random() < 0.6:
            src = "newsletter" if s_ref[s] == R_NEWSLETTER else "social"
            sep = "&" if "?" in urls[i] else "?"
            urls[i] = f"{urls[i]}{sep}utm_source={src}&utm_medium={'email' if src == 'newsletter' else 'social'}"

    # referrers: previous page within a visit, external source on the landing
    refs = np.empty(N, dtype=object)
    refs[1:] = urls[:-1]
    refs[s_first] = None
    refs[(rng.random(N) < 0.02)] = None  # stripped by privacy settings
    for s in range(S):
        r = s_ref[s]
        if r == R_DIRECT:
            continue
        i = s_first[s]
        if r == R_SEARCH:
            v = rng.random()
            if v < 0.7:
                refs[i] = "https://www.google.com/" if v < 0.55 else "https://www.bing.com/"
            else:
                q = _landing_query(rng, land_q[s], int(c_sec[i]), int(c_prod[i]), cats, prod_cat, prod_brand,
                                   prod_model)
                eng = ("https://www.google.com/search?q=" if v < 0.9 else
                       "https://duckduckgo.com/?q=" if v < 0.95 else "https://www.bing.com/search?q=")
                refs[i] = eng + quote_plus(q)
        elif r == R_SOCIAL:
            h = SOCIAL_HOSTS[_cat_draw(rng, SOCIAL_P, 1)[0]]
            if h.startswith("https://t.co"):
                h += "".join(rng.choice(list("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"), 10))
            elif h.endswith("/r/"):
                h += SUBREDDITS[int(rng.integers(0, len(SUBREDDITS)))] + "/"
            refs[i] = h
        elif r == R_NEWSLETTER:
            refs[i] = MAIL_HOSTS[int(rng.integers(0, len(MAIL_HOSTS)))] if rng.random() < 0.45 else None
        elif r == R_AGGREGATOR:
            refs[i] = AGGREGATORS[int(rng.integers(0, len(AGGREGATORS)))]
        else:
            refs[i] = COUPON_SITES[int(rng.integers(0, len(COUPON_SITES)))]

    dev = DEVICES[s_dev[c_sess]].copy()
    odd = rng.random(N) < 0.01
    dev[odd] = ODD_DEVICES[rng.integers(0, len(ODD_DEVICES), int(odd.sum()))]

    # ---------------------------------------------------------------- tables
    ts = START + c_ms.astype("timedelta64[ms]")
    click = pd.DataFrame({
        "user_id": user_ids[c_user],
        "timestamp": ts.astype("datetime64[us]"),
        "url": urls,
        "referrer": refs,
        "device": dev,
        "time_spent": dwell,
    })
    q_rows_a = np.asarray(q_rows, dtype=np.int64)
    search = pd.DataFrame({
        "user_id": user_ids[c_user[q_rows_a]],
        "timestamp": (ts[q_rows_a] - np.timedelta64(1, "s") + rng.integers(-400, 400, len(q_rows_a)).astype("timedelta64[ms]")
                      ).astype("datetime64[us]"),
        "query": np.asarray(queries, dtype=object),
    })
    ri = np.flatnonzero(reads)
    views = pd.DataFrame({
        "user_id": user_ids[c_user[ri]],
        "timestamp": (ts[ri] + rng.integers(300, 3000, len(ri)).astype("timedelta64[ms]")).astype("datetime64[us]"),
        "article_id": art_id[ri].astype(np.int64),
        "time_spent": read_sec[ri].astype(np.int64),
    })
    truth = pd.DataFrame({
        "user_id": user_ids,
        "persona": np.array(PERSONAS, dtype=object)[persona],
        "engagement_rank": persona.astype(np.int64),
    })

    # logs arrive in time order, interleaving users
    click = click.sort_values(["timestamp", "user_id"], kind="stable").reset_index(drop=True)
    search = search.sort_values(["timestamp", "user_id"], kind="stable").reset_index(drop=True)
    views = views.sort_values(["timestamp", "user_id"], kind="stable").reset_index(drop=True)
    truth = truth.sort_values("user_id", kind="stable").reset_index(drop=True)

    schemas = {
        "clickstream.parquet": (click, pa.schema([("user_id", pa.int64()), ("timestamp", pa.timestamp("us")),
                                                  ("url", pa.string()), ("referrer", pa.string()),
                                                  ("device", pa.string()), ("time_spent", pa.int64())])),
        "search_queries.parquet": (search, pa.schema([("user_id", pa.int64()), ("timestamp", pa.timestamp("us")),
                                                      ("query", pa.string())])),
        "article_views.parquet": (views, pa.schema([("user_id", pa.int64()), ("timestamp", pa.timestamp("us")),
                                                    ("article_id", pa.int64()), ("time_spent", pa.int64())])),
        "truth.parquet": (truth, pa.schema([("user_id", pa.int64()), ("persona", pa.string()),
                                            ("engagement_rank", pa.int64())])),
    }
    for fname, (df, schema) in schemas.items():
        table = pa.Table.from_pandas(df, schema=schema, preserve_index=False)
        pq.write_table(table, out_dir / fname)

    return {
        "n_users": int(n_users),
        "personas": list(PERSONAS),
        "true_k": int((counts > 0).sum()),
        "events": {"clickstream.parquet": int(len(click)), "search_queries.parquet": int(len(search)),
                   "article_views.parquet": int(len(views))},
    }


def _product_words(p, cats, prod_cat, prod_brand, prod_model):
    return prod_brand[p], prod_model[p], cats[prod_cat[p]]


def _make_query(rng, qt, sec, prod, cats, prod_cat, prod_brand, prod_model, prod_price, prod_rank_to_id,
                prod_cdf) -> str:
    section = SECTIONS[sec]
    if qt == Q_COMMERCIAL:
        if prod < 0:
            prod = int(prod_rank_to_id[_zipf_draw(rng, prod_cdf, 1)[0]])
        brand, model, category = _product_words(prod, cats, prod_cat, prod_brand, prod_model)
        other = int(prod_rank_to_id[_zipf_draw(rng, prod_cdf, 1)[0]])
        b2, m2, _ = _product_words(other, cats, prod_cat, prod_brand, prod_model)
        price = int(prod_price[prod])
        budget = int(np.ceil(price * 1.2 / 50.0) * 50)
        templates = [
            f"buy {brand} {model}", f"{brand} {model} price", f"cheap {category}", f"{category} discount",
            f"{brand} {model}", f"best {category} under ${budget}", f"{brand} {category} deals",
            f"{brand} {model} vs {b2} {m2}", f"{brand} discount code", f"{category} sale",
            f"{brand} {model} review", f"cheapest {brand} {category}", f"{brand} {model} best price",
            f"{category} black friday deals", f"where to buy {brand} {model} cheap", f"{brand} coupon",
        ]
        w = np.array([3, 3, 2, 1.5, 3, 2, 1.5, 1, 1, 1, 1.5, 1, 1, 0.7, 0.7, 0.7])
        q = templates[_cat_draw(rng, w, 1)[0]]
    elif qt == Q_QUESTION:
        c = CONCEPTS[section][int(rng.integers(0, len(CONCEPTS[section])))]
        h = HOWTO[section][int(rng.integers(0, len(HOWTO[section])))]
        templates = [f"how to {h}", f"what is {c}", f"why {c} matters", f"guide to {c}", f"how does {c} work",
                     f"{c} explained", f"what happened with {c}", f"how {c} affects me", f"beginners guide to {c}",
                     f"why is {c} in the news", f"how to {h} step by step", f"what does {c} mean for {section}"]
        w = np.array([3, 3, 1.5, 2, 2, 1.5, 1, 1, 1, 1, 0.7, 0.5])
        q = templates[_cat_draw(rng, w, 1)[0]]
    else:
        v = rng.random()
        if v < 0.2:
            q = NAV_QUERIES[int(rng.integers(0, len(NAV_QUERIES)))]
        elif v < 0.35:
            q = section
        elif v < 0.8:
            q = TOPICAL[section][int(rng.integers(0, len(TOPICAL[section])))]
        else:
            q = CONCEPTS[section][int(rng.integers(0, len(CONCEPTS[section])))].removeprefix("the ")
    return _typo(rng, q)


def _landing_query(rng, qt, sec, prod, cats, prod_cat, prod_brand, prod_model) -> str:
    section = SECTIONS[sec]
    if qt == Q_COMMERCIAL and prod >= 0:
        brand, model, category = _product_words(prod, cats, prod_cat, prod_brand, prod_model)
        return [f"{brand} {model} review", f"best {category}", f"{brand} {model} price", f"{category} deals"][
            int(rng.integers(0, 4))]
    if qt == Q_QUESTION:
        c = CONCEPTS[section][int(rng.integers(0, len(CONCEPTS[section])))]
        return [f"what is {c}", f"{c} explained", f"how does {c} work"][int(rng.integers(0, 3))]
    return f"{TOPICAL[section][int(rng.integers(0, len(TOPICAL[section])))]} site example"


if __name__ == "__main__":  # pragma: no cover - manual smoke run
    import sys
    import time

    t0 = time.time()
    info = generate(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/newsroom_out"))
    print(info, f"{time.time() - t0:.1f}s")
