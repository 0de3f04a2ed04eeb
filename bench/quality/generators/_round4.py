"""Round-4 simulation engine: web sessions of persona-driven users, shared by ``fitness`` and ``jobs``.

A domain module describes a site (its sections and their URLs, interest topics, places, devices, external
referrers, search-query grammar) and a handful of personas; this module turns that description into four
Parquet tables (clickstream, search_queries, article_views, truth). Nothing here knows about any particular site.

Mechanisms, in the order they are simulated:

* **Population.** Users are split between personas by largest-remainder rounding of the shares and shuffled
  over the ids. Each user gets an activity multiplier (lognormal, mean 1, persona-specific spread, so a few users
  are heavy), a personal mix of site sections (Dirichlet around the persona's mix; ``loyalty`` is its
  concentration), a personal weekday mix, a chronotype shift of a few hours, an interest topic, a home place
  (Zipf-popular places), a primary device, and with probability ``burst`` a short window of consecutive days
  that holds all of their activity. About 0.3 % of users are bots (crawlers/scrapers); they keep the persona they
  were drawn from in the truth table but behave like machines: hundreds of pages, a second or two per page,
  uniform hours, no referrer, no searches of their own.
* **Sessions.** ``1 + Poisson(sessions * multiplier * days / 28 - 1)`` visits per user. A visit gets a day
  (weekday mix or burst window), an hour (a persona's daily profile built from Gaussian bumps, shifted by the
  user's chronotype), a device (primary, sometimes another one), an entry source (direct, search engine,
  social, e-mail, job/class aggregator; app sessions have no referrer), a focus section and a length: one page
  with probability ``bounce``, otherwise a lognormal number of pages (median ``pages``).
* **Pages.** Each page stays in the visit's focus section with probability ``focus``, else comes from the
  user's personal mix; direct entries often land on the home page. Inside a section, a page is picked by a Zipf
  rank, by the user's topic with probability ``affinity`` and by the user's place with probability ``locality``.
  Dwell is lognormal (median ``dwell``, or ``read`` on reading sections such as articles and videos); the next
  page starts after the dwell plus a short gap. The referrer is the previous page, or the external site on entry.
* **Recording.** The dwell of exit pages is mostly unknown (null), a few page dwells are absurd (an open tab of
  20 hours, a negative clock skew), a share of app users run an old app that sends no clickstream, and events
  beyond the window are cut. Search-results pages log the typed query (with typos and casing noise); app users
  also search without a results page (``instant_search``). Article pages produce an article view whose reading
  time is a part of the dwell; ``offline_reads`` adds reads (newsletter, app reader) that have no page view.
* **Separation.** With ``separation`` s < 1 every persona parameter is moved toward the share-weighted average
  persona: ``avg + s * (p - avg)`` for probabilities, spreads and mixtures (renormalised), and the same in log
  space (a weighted geometric mean) for positive scales such as volumes and medians. The average uses the shares
  in effect, overrides included.

Everything is drawn from one ``numpy.random.default_rng(seed)`` in a fixed order; the site catalogue (URLs,
article ids) comes from the domain description alone, so it is the same for every seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import quote_plus

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

START = np.datetime64("2026-03-02T00:00:00", "s")  # a Monday
DAY = 86_400
SOURCES = ("direct", "search", "social", "email", "aggregator")
BOT_RATE = 0.003
EXIT_NULL_WEB = 0.93  # share of web exit pages whose dwell is unknown
EXIT_NULL_APP = 0.25  # apps see the backgrounding event, so they usually know it
RANDOM_NULL = 0.008  # tracking loss anywhere
ABSURD_LONG = 0.0012  # a tab left open: 20 hours or more
ABSURD_NEG = 0.0006  # client clock skew: negative dwell
SEARCH_LOGGED = 0.97  # a results page whose query reached the search log
ARTICLE_LOGGED = 0.93  # an article page whose read reached the article log
BOT_ARTICLE_LOGGED = 0.08  # the read tracker is JavaScript: only headless-browser bots trip it

# (rank, topic, place, index in section) -> path starting with "/"
PathFn = Callable[[int, int, int, int], str]
# (rng, topic ids, place ids, extra-word counts) -> raw queries (lower case; noise is added here)
QueryFn = Callable[[np.random.Generator, np.ndarray, np.ndarray, np.ndarray], list]


@dataclass(frozen=True)
class Section:
    """A part of the site: ``n_pages`` Zipf-ranked pages per (topic, place) combination it is keyed by."""

    name: str
    n_pages: int
    path: PathFn
    by_topic: bool = False
    by_place: bool = False
    zipf: float = 1.1
    dwell_mult: float = 1.0
    reading: bool = False  # dwell comes from the persona's reading distribution


@dataclass(frozen=True)
class Persona:
    """One kind of user. Scales marked (g) are blended geometrically under ``separation``, the rest linearly."""

    name: str
    share: float
    rank: int  # engagement rank, 0 = least engaged
    sessions: float  # (g) mean visits per 28 days
    pages: float  # (g) median pages of a visit that does not bounce
    dwell: float  # (g) median seconds on an ordinary page
    read: float  # (g) median seconds on a reading page (article, video)
    sections: dict  # section name -> weight
    topics: dict  # topic -> weight
    devices: dict  # device label -> weight
    referrers: dict  # source (see SOURCES) -> weight
    query_kinds: dict  # query kind -> weight
    hours: tuple  # ((peak hour, width in hours, weight), ...)
    weekdays: tuple = (1.0, 1.0, 1.0, 1.0, 1.0, 0.8, 0.8)  # Monday .. Sunday
    activity_sigma: float = 0.7  # spread of the per-user activity multiplier
    bounce: float = 0.3
    pages_sigma: float = 0.6
    dwell_sigma: float = 0.9
    read_sigma: float = 0.6
    focus: float = 0.6
    loyalty: float = 12.0  # (g) Dirichlet concentration of the personal section mix
    affinity: float = 0.7
    locality: float = 0.8
    device_switch: float = 0.15
    burst: float = 0.1
    burst_days: float = 3.0  # (g)
    query_words: float = 0.8  # mean extra words in a query
    instant_search: float = 0.0  # searches per visit without a results page
    offline_reads: float = 0.0  # article reads per 28 days without a page view
    typo: float = 0.04


@dataclass(frozen=True)
class Domain:
    host: str  # "https://www.example.com"
    sections: tuple  # of Section
    topics: tuple  # of str
    places: tuple  # of str
    devices: tuple  # of str
    app_devices: tuple  # subset of devices
    referrers: dict  # source -> tuple of external URLs ("direct" maps to ())
    query_kinds: dict  # kind -> QueryFn
    search_path: Callable[[str, int], str]  # (url-encoded query, place id) -> path
    personas: tuple  # of Persona
    home_section: str
    search_section: str
    article_section: str
    article_id_base: int
    bot_sections: dict  # section -> weight for crawlers
    bot_device: str = "desktop"
    untracked_app: float = 0.3  # share of app-first users whose app sends no clickstream
    home_landing: float = 0.5  # P(direct/app entry lands on the home page)


GEOMETRIC = ("sessions", "pages", "dwell", "read", "loyalty", "burst_days")
MIXES = ("sections", "topics", "devices", "referrers", "query_kinds")
LINEAR = tuple(
    f.name
    for f in fields(Persona)
    if f.name not in GEOMETRIC + MIXES + ("name", "share", "rank", "hours", "weekdays")
)


# ----------------------------------------------------------------------------------------------------- helpers
def pick(rng: np.random.Generator, options: Sequence[str], n: int) -> list:
    """``n`` uniform picks from ``options`` as a list (for query grammars)."""
    idx = rng.integers(0, len(options), size=n)
    return [options[i] for i in idx]


def add_words(rng: np.random.Generator, queries: list, extra: np.ndarray, words: Sequence[str]) -> list:
    """Append ``extra[i]`` distinct modifier words (e.g. "near me", "2026") to query ``i``, in place and returned."""
    for i in np.flatnonzero(extra > 0):
        k = int(min(extra[i], len(words)))
        chosen = rng.choice(len(words), size=k, replace=False)
        queries[i] = " ".join([queries[i]] + [words[j] for j in chosen])
    return queries


def slug(text: str) -> str:
    out = "".join(c if c.isalnum() else "-" for c in text.lower())
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")


def _zipf_cdf(n: int, a: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1, dtype=float) ** a
    c = np.cumsum(w)
    return c / c[-1]


def _draw(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(cdf) - 1)


def _row_choice(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a (rows, k) non-negative weight matrix."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(weights.shape[0]) * cum[:, -1]
    return np.minimum((cum <= u[:, None]).sum(axis=1), weights.shape[1] - 1)


def _own(rng: np.random.Generator, p: np.ndarray, own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """``own`` with probability ``p`` (row-wise), else ``other``."""
    return np.where(rng.random(len(own)) < p, own, other)


def _hour_profile(bumps: Sequence) -> np.ndarray:
    h = np.arange(24, dtype=float)
    v = np.full(24, 0.015)
    for peak, width, weight in bumps:
        d = np.abs(h - peak)
        d = np.minimum(d, 24 - d)
        v += weight * np.exp(-0.5 * (d / width) ** 2)
    return v / v.sum()


def _mix(d: dict, keys: Sequence[str], what: str, persona: str) -> np.ndarray:
    unknown = set(d) - set(keys)
    if unknown:
        raise ValueError(f"persona {persona!r}: unknown {what} {sorted(unknown)}")
    v = np.array([float(d.get(k, 0.0)) for k in keys])
    if v.min() < 0 or v.sum() <= 0:
        raise ValueError(f"persona {persona!r}: {what} weights must be non-negative and not all zero")
    return v / v.sum()


# ------------------------------------------------------------------------------------------- shares & blending
def resolve_shares(domain: Domain, shares: dict | None) -> np.ndarray:
    names = [p.name for p in domain.personas]
    if shares is None:
        return np.array([p.share for p in domain.personas], dtype=float)
    if not isinstance(shares, dict):
        raise ValueError("shares must be a dict mapping persona name to share")
    unknown = sorted(set(shares) - set(names))
    if unknown:
        raise ValueError(f"unknown persona name(s) in shares: {unknown}; known: {names}")
    vals = []
    for name in names:
        v = shares.get(name, 0.0)
        try:
            v = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"share of {name!r} is not a number: {v!r}") from None
        if not math.isfinite(v) or v < 0:
            raise ValueError(f"share of {name!r} must be a finite non-negative number, got {v!r}")
        vals.append(v)
    total = sum(vals)
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"shares must sum to 1 (within 1e-6), they sum to {total!r}")
    return np.array(vals)


def _persona_params(domain: Domain, p: Persona) -> dict:
    sec_names = [s.name for s in domain.sections]
    out = {
        "sections": _mix(p.sections, sec_names, "sections", p.name),
        "topics": _mix(p.topics, domain.topics, "topics", p.name),
        "devices": _mix(p.devices, domain.devices, "devices", p.name),
        "referrers": _mix(p.referrers, SOURCES, "referrers", p.name),
        "query_kinds": _mix(p.query_kinds, list(domain.query_kinds), "query kinds", p.name),
        "hours": _hour_profile(p.hours),
        "weekdays": _mix(dict(enumerate(p.weekdays)), range(7), "weekdays", p.name),
    }
    for k in GEOMETRIC:
        v = float(getattr(p, k))
        if v <= 0:
            raise ValueError(f"persona {p.name!r}: {k} must be positive")
        out[k] = np.array(v)
    for k in LINEAR:
        out[k] = np.array(float(getattr(p, k)))
    return out


def blend(domain: Domain, weights: np.ndarray, separation: float) -> list:
    """Persona parameters pulled toward the ``weights``-averaged persona (see module docstring)."""
    params = [_persona_params(domain, p) for p in domain.personas]
    w = weights / weights.sum()
    out = []
    for prm in params:
        q = {}
        for k, v in prm.items():
            if k in GEOMETRIC:
                centre = sum(wi * np.log(o[k]) for wi, o in zip(w, params, strict=True))
                q[k] = np.exp(centre + separation * (np.log(v) - centre))
            else:
                centre = sum(wi * o[k] for wi, o in zip(w, params, strict=True))
                q[k] = centre + separation * (v - centre)
                if v.ndim:
                    q[k] = np.clip(q[k], 0, None)
                    q[k] = q[k] / q[k].sum()
        out.append(q)
    return out


def _stack(params: list, key: str) -> np.ndarray:
    return np.stack([p[key] for p in params]).astype(float)


def _counts(weights: np.ndarray, n: int) -> np.ndarray:
    raw = weights * n
    base = np.floor(raw).astype(np.int64)
    rest = n - int(base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:rest]] += 1
    return base


# ------------------------------------------------------------------------------------------------- catalogue
@dataclass
class _Catalogue:
    urls: np.ndarray  # object array of full URLs, all sections
    offset: np.ndarray  # first global page id of each section
    n_topic: np.ndarray  # topic stride of each section (1 if not keyed by topic)
    n_place: np.ndarray
    cdf: list  # Zipf rank cdf of each section
    dwell_mult: np.ndarray
    reading: np.ndarray


def _catalogue(domain: Domain) -> _Catalogue:
    urls: list = []
    offset, n_topic, n_place, cdfs = [], [], [], []
    for s in domain.sections:
        nt = len(domain.topics) if s.by_topic else 1
        npl = len(domain.places) if s.by_place else 1
        offset.append(len(urls))
        n_topic.append(nt)
        n_place.append(npl)
        cdfs.append(_zipf_cdf(s.n_pages, s.zipf))
        for idx in range(s.n_pages * nt * npl):
            place = idx % npl
            topic = (idx // npl) % nt
            rank = idx // (npl * nt)
            urls.append(domain.host + s.path(rank, topic, place, idx))
    return _Catalogue(
        urls=np.array(urls, dtype=object),
        offset=np.array(offset),
        n_topic=np.array(n_topic),
        n_place=np.array(n_place),
        cdf=cdfs,
        dwell_mult=np.array([s.dwell_mult for s in domain.sections]),
        reading=np.array([s.reading for s in domain.sections]),
    )


# ----------------------------------------------------------------------------------------------------- queries
def _queries(
    rng: np.random.Generator,
    domain: Domain,
    kind_w: np.ndarray,
    topics: np.ndarray,
    places: np.ndarray,
    words: np.ndarray,
    typo: np.ndarray,
) -> np.ndarray:
    n = len(topics)
    out = np.empty(n, dtype=object)
    if n == 0:
        return out
    kinds = _row_choice(rng, kind_w)
    extra = rng.poisson(words)
    for k, fn in enumerate(domain.query_kinds.values()):
        sel = np.flatnonzero(kinds == k)
        if len(sel):
            out[sel] = fn(rng, topics[sel], places[sel], extra[sel])
    u = rng.random((n, 5))
    pos = rng.random(n)
    for i in range(n):
        q = str(out[i])
        if u[i, 0] < typo[i] and len(q) > 4:
            j = int(pos[i] * (len(q) - 1))
            q = q[:j] + q[j + 1] + q[j] + q[j + 2 :] if u[i, 1] < 0.6 else q[:j] + q[j + 1 :]
        if u[i, 2] < 0.10:
            q = q.title()
        elif u[i, 2] < 0.12:
            q = q.upper()
        if u[i, 3] < 0.03:
            q += " "
        if u[i, 4] < 0.002:
            q = "" if u[i, 3] < 0.5 else "  "
        out[i] = q
    return out


# ---------------------------------------------------------------------------------------------------- simulate
def simulate(
    domain: Domain,
    n_users: int,
    seed: int,
    separation: float,
    shares: dict | None,
    days: int,
) -> dict:
    """Returns the four tables as pyarrow Tables plus the summary dict of ``generate``."""
    if not isinstance(n_users, int | np.integer) or n_users < 1:
        raise ValueError(f"n_users must be a positive integer, got {n_users!r}")
    if not isinstance(days, int | np.integer) or days < 1:
        raise ValueError(f"days must be a positive integer, got {days!r}")
    try:
        ok = 0 < float(separation) <= 1
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"separation must be in (0, 1], got {separation!r}")
    weights = resolve_shares(domain, shares)
    prm = blend(domain, weights, float(separation))
    cat = _catalogue(domain)
    rng = np.random.default_rng(seed)
    n_users = int(n_users)
    days = int(days)
    horizon = days * DAY
    scale = days / 28.0
    sec_names = [s.name for s in domain.sections]
    sec_home = sec_names.index(domain.home_section)
    sec_search = sec_names.index(domain.search_section)
    sec_article = sec_names.index(domain.article_section)
    n_sec, n_top, n_pl = len(sec_names), len(domain.topics), len(domain.places)
    dev_names = np.array(domain.devices, dtype=object)
    is_app_dev = np.isin(dev_names, domain.app_devices)

    P = {k: _stack(prm, k) for k in prm[0]}  # persona-indexed parameter arrays

    # ---- population
    counts = _counts(weights, n_users)
    persona = rng.permutation(np.repeat(np.arange(len(counts)), counts))
    bot = rng.random(n_users) < BOT_RATE
    sig = P["activity_sigma"][persona]
    mult = np.exp(rng.normal(-0.5 * sig**2, sig))
    alpha = P["loyalty"][persona][:, None] * P["sections"][persona] + 0.02
    sec_w = rng.gamma(alpha)
    sec_w[bot] = np.array([domain.bot_sections.get(s, 0.0) for s in sec_names])
    dow_w = rng.gamma(20.0 * P["weekdays"][persona] + 0.05)
    present = np.array([len(range(d, days, 7)) for d in range(7)])
    dow_w *= present
    dow_w[bot] = present
    chrono = np.clip(np.rint(rng.normal(0, 1.0, n_users)), -3, 3).astype(np.int64)
    u_topic = _row_choice(rng, P["topics"][persona])
    place_cdf = _zipf_cdf(n_pl, 0.9)
    u_place = _draw(rng, place_cdf, n_users)
    u_dev = _row_choice(rng, P["devices"][persona])
    untracked = is_app_dev[u_dev] & (rng.random(n_users) < domain.untracked_app)
    bursty = (rng.random(n_users) < P["burst"][persona]) & ~bot
    b_len = np.clip(np.rint(np.exp(rng.normal(np.log(P["burst_days"][persona]), 0.4))), 1, days).astype(np.int64)
    b_start = (rng.random(n_users) * (days - b_len + 1)).astype(np.int64)
    dwell_f = np.exp(rng.normal(0, 0.3, n_users))

    # ---- sessions
    lam = np.maximum(P["sessions"][persona] * mult * scale - 1, 0)
    n_sess = 1 + np.minimum(rng.poisson(lam), 12 * days)
    n_sess[bot] = np.maximum(1, np.rint(rng.integers(2, 10, bot.sum()) * scale)).astype(np.int64)
    s_user = np.repeat(np.arange(n_users), n_sess)
    S = len(s_user)
    s_per = persona[s_user]
    s_bot = bot[s_user]
    dow = _row_choice(rng, dow_w[s_user])
    week = (rng.random(S) * present[dow]).astype(np.int64)
    day = dow + 7 * week
    s_burst = bursty[s_user]
    day[s_burst] = b_start[s_user][s_burst] + (rng.random(s_burst.sum()) * b_len[s_user][s_burst]).astype(np.int64)
    hour = (_row_choice(rng, P["hours"][s_per]) + chrono[s_user]) % 24
    hour[s_bot] = rng.integers(0, 24, s_bot.sum())
    s_start = day * DAY + hour * 3600 + rng.integers(0, 3600, S)
    switch = rng.random(S) < P["device_switch"][s_per]
    s_dev = np.where(switch, _row_choice(rng, P["devices"][s_per]), u_dev[s_user])
    s_dev[s_bot] = domain.devices.index(domain.bot_device)
    s_app = is_app_dev[s_dev]
    s_src = _row_choice(rng, P["referrers"][s_per])
    s_src[s_app | s_bot] = 0
    s_focus = _row_choice(rng, sec_w[s_user])
    n_pages = np.maximum(2, np.rint(np.exp(rng.normal(np.log(P["pages"][s_per]), P["pages_sigma"][s_per]))))
    n_pages = np.minimum(n_pages, 80).astype(np.int64)
    n_pages[rng.random(S) < P["bounce"][s_per]] = 1
    n_pages[s_bot] = rng.integers(20, 160, s_bot.sum())

    # ---- pages
    r_sess = np.repeat(np.arange(S), n_pages)
    R = len(r_sess)
    first = np.concatenate([[0], np.cumsum(n_pages)[:-1]])
    pos = np.arange(R) - first[r_sess]
    last = pos == n_pages[r_sess] - 1
    r_user = s_user[r_sess]
    r_per = persona[r_user]
    r_bot = bot[r_user]
    stay = rng.random(R) < P["focus"][r_per]
    sec = np.where(stay, s_focus[r_sess], _row_choice(rng, sec_w[r_user]))
    entry = pos == 0
    land_home = entry & (s_src[r_sess] == 0) & (rng.random(R) < domain.home_landing) & ~r_bot
    sec[land_home] = sec_home
    sec[entry & ~land_home & ~r_bot] = s_focus[r_sess][entry & ~land_home & ~r_bot]
    own_topic = (rng.random(R) < P["affinity"][r_per]) & ~r_bot
    topic = np.where(own_topic, u_topic[r_user], rng.integers(0, n_top, R))
    own_place = (rng.random(R) < P["locality"][r_per]) & ~r_bot
    place = np.where(own_place, u_place[r_user], _draw(rng, place_cdf, R))
    rank = np.zeros(R, dtype=np.int64)
    u_rank = rng.random(R)
    for k in range(n_sec):
        m = sec == k
        rank[m] = np.minimum(np.searchsorted(cat.cdf[k], u_rank[m], side="right"), len(cat.cdf[k]) - 1)
    rank[r_bot] = (u_rank[r_bot] * np.array([len(c) for c in cat.cdf])[sec[r_bot]]).astype(np.int64)
    nt, npl = cat.n_topic[sec], cat.n_place[sec]
    local = (rank * nt + topic % nt) * npl + place % npl
    gpage = cat.offset[sec] + local

    reading = cat.reading[sec]
    med = np.where(reading, P["read"][r_per], P["dwell"][r_per]) * cat.dwell_mult[sec] * dwell_f[r_user]
    sd = np.where(reading, P["read_sigma"][r_per], P["dwell_sigma"][r_per])
    dwell = np.minimum(np.exp(rng.normal(np.log(med), sd)), 4 * 3600)
    dwell[r_bot] = rng.exponential(1.3, r_bot.sum())
    step = np.rint(dwell) + 1 + rng.geometric(0.4, R)
    excl = np.cumsum(step) - step
    ts = s_start[r_sess] + (excl - excl[first[r_sess]]).astype(np.int64)

    # recorded dwell
    spent = np.rint(dwell)
    null_p = np.where(last, np.where(s_app[r_sess], EXIT_NULL_APP, EXIT_NULL_WEB), RANDOM_NULL)
    u_rec = rng.random((R, 2))
    spent[u_rec[:, 0] < null_p] = np.nan
    long_m = u_rec[:, 1] < ABSURD_LONG
    spent[long_m] = 72_000 + rng.integers(0, 14_400, long_m.sum())
    neg_m = (u_rec[:, 1] >= ABSURD_LONG) & (u_rec[:, 1] < ABSURD_LONG + ABSURD_NEG)
    spent[neg_m] = -rng.integers(1, 900, neg_m.sum())

    # URLs, search pages and referrers
    url = cat.urls[gpage]
    is_search = sec == sec_search
    si = np.flatnonzero(is_search)
    qtext = _queries(
        rng, domain, P["query_kinds"][r_per[si]], topic[si], place[si], P["query_words"][r_per[si]],
        P["typo"][r_per[si]],
    )
    url[si] = [
        domain.host + domain.search_path(quote_plus(q.strip()), int(p)) for q, p in zip(qtext, place[si], strict=True)
    ]
    ref = np.empty(R, dtype=object)
    ref[1:] = url[:-1]
    ext = np.empty(S, dtype=object)
    for j, src in enumerate(SOURCES):
        m = np.flatnonzero(s_src == j)
        choices = domain.referrers.get(src, ())
        if len(m) and choices:
            ext[m] = np.array(choices, dtype=object)[rng.integers(0, len(choices), len(m))]
    ref[entry] = ext[r_sess[entry]]

    in_win = ts < horizon
    # ---- search log: results pages + instant searches
    q_keep = in_win[si] & (rng.random(len(si)) < SEARCH_LOGGED)
    n_inst = rng.poisson(P["instant_search"][s_per] * ~s_bot)
    i_sess = np.repeat(np.arange(S), n_inst)
    last_idx = first + n_pages - 1
    span = ts[last_idx] - s_start + 30
    i_ts = s_start[i_sess] + (rng.random(len(i_sess)) * span[i_sess]).astype(np.int64)
    i_user = s_user[i_sess]
    i_per = persona[i_user]
    i_topic = _own(rng, P["affinity"][i_per], u_topic[i_user], rng.integers(0, n_top, i_sess.size))
    i_place = _own(rng, P["locality"][i_per], u_place[i_user], _draw(rng, place_cdf, i_sess.size))
    i_q = _queries(rng, domain, P["query_kinds"][i_per], i_topic, i_place, P["query_words"][i_per], P["typo"][i_per])
    i_keep = i_ts < horizon
    sq_user = np.concatenate([r_user[si][q_keep], i_user[i_keep]])
    sq_ts = np.concatenate([ts[si][q_keep], i_ts[i_keep]])
    sq_q = np.concatenate([qtext[q_keep], i_q[i_keep]])

    # ---- article log: article pages + offline reads
    ai = np.flatnonzero((sec == sec_article) & in_win)
    ai = ai[rng.random(len(ai)) < np.where(r_bot[ai], BOT_ARTICLE_LOGGED, ARTICLE_LOGGED)]
    a_time = np.rint(dwell[ai] * rng.uniform(0.55, 1.0, len(ai)))
    n_off = rng.poisson(P["offline_reads"][persona] * mult * scale * ~bot)
    o_user = np.repeat(np.arange(n_users), n_off)
    o_per = persona[o_user]
    o_dow = _row_choice(rng, dow_w[o_user])
    o_day = o_dow + 7 * (rng.random(len(o_user)) * present[o_dow]).astype(np.int64)
    ob = bursty[o_user]
    o_day[ob] = b_start[o_user][ob] + (rng.random(ob.sum()) * b_len[o_user][ob]).astype(np.int64)
    o_hour = (_row_choice(rng, P["hours"][o_per]) + chrono[o_user]) % 24
    o_ts = o_day * DAY + o_hour * 3600 + rng.integers(0, 3600, len(o_user))
    a_sec = domain.sections[sec_article]
    o_topic = _own(rng, P["affinity"][o_per], u_topic[o_user], rng.integers(0, n_top, o_user.size))
    o_rank = _draw(rng, cat.cdf[sec_article], len(o_user))
    o_local = o_rank * cat.n_topic[sec_article] + o_topic % cat.n_topic[sec_article]
    if a_sec.by_place:
        o_local = o_local * n_pl + u_place[o_user]
    o_time = np.rint(np.exp(rng.normal(np.log(P["read"][o_per] * dwell_f[o_user]), P["read_sigma"][o_per])))
    av_user = np.concatenate([r_user[ai], o_user])
    av_ts = np.concatenate([ts[ai], o_ts])
    av_art = domain.article_id_base + np.concatenate([local[ai], o_local])
    av_time = np.concatenate([a_time, o_time])
    u_av = rng.random(len(av_time))
    av_time[u_av < ABSURD_LONG] = 72_000 + rng.integers(0, 14_400, (u_av < ABSURD_LONG).sum())
    neg = (u_av >= ABSURD_LONG) & (u_av < ABSURD_LONG + ABSURD_NEG)
    av_time[neg] = -rng.integers(1, 60, neg.sum())

    # ---- clickstream logging: old apps send nothing; nobody is left without any event
    dropped_app = untracked[r_user] & s_app[r_sess]
    keep = in_win & ~dropped_app
    seen = np.zeros(n_users, dtype=bool)
    seen[r_user[keep]] = True
    seen[sq_user] = True
    seen[av_user] = True
    keep |= in_win & ~seen[r_user]

    cs = _table(
        user=r_user[keep], ts=ts[keep],
        cols={
            "url": pa.array(url[keep], pa.string()),
            "referrer": pa.array(ref[keep], pa.string()),
            "device": pa.array(dev_names[s_dev[r_sess[keep]]], pa.string()),
            "time_spent": pa.array(spent[keep], pa.float64(), mask=np.isnan(spent[keep])),
        },
    )
    sq = _table(user=sq_user, ts=sq_ts, cols={"query": pa.array(sq_q, pa.string())})
    av = _table(
        user=av_user, ts=av_ts,
        cols={"article_id": pa.array(av_art.astype(np.int64)), "time_spent": pa.array(av_time.astype(np.int64))},
    )
    names = [p.name for p in domain.personas]
    ranks = np.array([p.rank for p in domain.personas], dtype=np.int64)
    truth = pa.table(
        {
            "user_id": pa.array(np.arange(n_users, dtype=np.int64)),
            "persona": pa.array(np.array(names, dtype=object)[persona], pa.string()),
            "engagement_rank": pa.array(ranks[persona]),
        }
    )
    return {
        "tables": {
            "clickstream.parquet": cs,
            "search_queries.parquet": sq,
            "article_views.parquet": av,
            "truth.parquet": truth,
        },
        "summary": {
            "n_users": n_users,
            "personas": [names[i] for i in np.argsort(ranks, kind="stable")],
            "true_k": int((counts > 0).sum()),
            "events": {k: t.num_rows for k, t in [("clickstream.parquet", cs), ("search_queries.parquet", sq),
                                                  ("article_views.parquet", av)]},
        },
    }


def _table(user: np.ndarray, ts: np.ndarray, cols: dict) -> pa.Table:
    order = np.lexsort((user, ts))
    data = {
        "user_id": pa.array(user[order].astype(np.int64)),
        "timestamp": pa.array((START + ts[order].astype(np.int64)).astype("datetime64[s]"), pa.timestamp("s")),
    }
    for k, v in cols.items():
        data[k] = v.take(pa.array(order))
    return pa.table(data)


def generate(
    domain: Domain,
    out_dir: Path,
    n_users: int,
    seed: int,
    separation: float,
    shares: dict | None,
    days: int,
) -> dict:
    """Simulate and write the four Parquet files into ``out_dir``; returns the summary."""
    res = simulate(domain, n_users, seed, separation, shares, days)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, table in res["tables"].items():
        pq.write_table(table, out / name)
    return res["summary"]
