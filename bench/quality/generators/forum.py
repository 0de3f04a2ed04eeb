"""Independent synthetic generator `forum`: a DIY / home-improvement Q&A site over four weeks.

Six personas, least to most engaged:
bouncer, project_planner, shopper, weekend_regular, helper, moderator.

Everything is vectorised with numpy; `separation` linearly (or log-linearly for scale
parameters) pulls every persona parameter towards the share-weighted average.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote_plus

import numpy as np
import pandas as pd

PERSONAS = ["bouncer", "project_planner", "shopper", "weekend_regular", "helper", "moderator"]
DEFAULT_SHARES = {"bouncer": 0.45, "project_planner": 0.18, "shopper": 0.12,
                  "weekend_regular": 0.12, "helper": 0.09, "moderator": 0.04}
SITE = "https://fixitforum.example"
START = np.datetime64("2025-10-06T00:00:00", "s")  # a Monday

# ---------------------------------------------------------------- page types
T_Q, T_UNANS, T_GUIDE, T_LIST, T_DEAL, T_FEED, T_SEARCH, T_QUEUE, T_PROFILE, T_FLAG, T_MISC, T_ANSWER = range(12)
N_T = 12
PAGE_MIX = np.array([
    # q    unans guide list  deal  feed  search queue prof  flag  misc  answer
    [.90, .00, .04, .00, .00, .01, .00, .00, .00, .00, .05, .00],   # bouncer
    [.22, .00, .37, .08, .03, .02, .18, .00, .00, .00, .10, .00],   # planner
    [.04, .00, .04, .48, .23, .01, .16, .00, .00, .00, .04, .00],   # shopper
    [.44, .05, .04, .02, .00, .33, .03, .00, .02, .00, .07, .00],   # regular
    [.12, .44, .02, .00, .00, .08, .14, .00, .03, .00, .05, .12],   # helper
    [.05, .03, .00, .00, .00, .02, .10, .30, .22, .25, .03, .00],   # moderator
])
# median dwell seconds per persona x page type
DWELL_MED = np.array([
    [35, 30, 45, 30, 30, 15, 10, 10, 10, 10, 12, 30],
    [150, 60, 480, 60, 45, 20, 15, 10, 20, 10, 20, 60],
    [40, 30, 50, 25, 30, 10, 8, 10, 10, 10, 10, 30],
    [18, 15, 60, 20, 20, 25, 10, 10, 15, 10, 10, 40],
    [90, 180, 120, 30, 30, 30, 12, 10, 20, 10, 15, 240],
    [8, 10, 10, 8, 8, 5, 5, 6, 8, 10, 6, 20],
], dtype=float)
DWELL_SIGMA = np.array([0.6, 0.8, 0.8, 0.7, 0.8, 0.9])
P_DEEP = np.array([0.02, 0.25, 0.03, 0.15, 0.10, 0.03])  # chance an article/thread page is read in depth
DEEP_MULT = 6.0

DEVICES = ["desktop", "mobile", "tablet"]
DEVICE_MIX = np.array([[.30, .65, .05], [.55, .15, .30], [.45, .50, .05],
                       [.04, .92, .04], [.62, .35, .03], [.97, .02, .01]])

REFS = ["direct", "google", "bing", "ddg", "pinterest", "youtube", "tco", "reddit", "facebook", "newsletter"]
REF_MIX = np.array([
    [.05, .72, .10, .04, .03, .00, .00, .03, .03, .00],
    [.30, .35, .05, .00, .15, .12, .00, .03, .00, .00],
    [.35, .25, .05, .00, .00, .00, .00, .05, .10, .20],
    [.85, .08, .00, .00, .00, .00, .00, .02, .05, .00],
    [.90, .07, .00, .00, .00, .00, .00, .00, .00, .03],
    [.98, .02, .00, .00, .00, .00, .00, .00, .00, .00],
])

# query kinds: howto, best_tool, brand_price, duplicate, username, mod_phrase, generic
QUERY_MIX = np.array([
    [.40, .10, .05, .20, .00, .00, .25],
    [.45, .30, .05, .05, .00, .00, .15],
    [.03, .20, .70, .00, .00, .00, .07],
    [.20, .10, .05, .30, .05, .00, .30],
    [.10, .02, .00, .75, .05, .00, .08],
    [.00, .00, .02, .18, .45, .35, .00],
])

LAM = np.array([0.33, 5.0, 8.0, 9.0, 35.0, 100.0])      # mean extra sessions per user (x volume)
VOL_ALPHA = np.array([6.0, 2.2, 1.9, 2.5, 2.2, 2.8])     # Pareto tail of per-user volume
XM = np.array([1.0, 3.0, 5.0, 8.0, 5.0, 15.0])           # Pareto scale of pages per session
PAGE_ALPHA = np.array([6.0, 1.9, 1.7, 1.7, 1.9, 1.6])   # Pareto tail of pages per session
WINDOW = np.array([28.0, 16.0, 28.0, 28.0, 28.0, 28.0])  # active-span days
WEEKEND_W = np.array([0.9, 4.0, 1.3, 40.0, 0.9, 1.0])    # weight of Sat/Sun relative to weekday
P_STORM = np.array([0.30, 0.02, 0.01, 0.05, 0.04, 0.03])
P_VIRAL = np.array([0.08, 0.02, 0.01, 0.10, 0.05, 0.05])
STORM_DAY, VIRAL_DAY = 18, 9

_h = np.arange(24) + 0.5


def _bump(c, w):
    d = np.minimum(np.abs(_h - c), 24 - np.abs(_h - c))
    return np.exp(-0.5 * (d / w) ** 2)


HOURS_WD = np.array([
    0.25 + _bump(12.5, 3) + 1.2 * _bump(20.5, 2.5),
    0.06 + 0.3 * _bump(12.5, 1.5) + 2.5 * _bump(20.5, 1.6),
    0.15 + _bump(12.5, 1.5) + 1.2 * _bump(21, 2),
    0.10 + 0.5 * _bump(7.5, 1) + _bump(20.5, 2),
    0.25 + _bump(8, 2) + 0.8 * _bump(13, 2) + _bump(21, 2),
    0.08 + ((_h > 7.5) & (_h < 23.5)) + 0.5 * _bump(9.5, 1.5),
])
HOURS_WE = np.array([
    0.25 + _bump(11, 3) + _bump(20, 2.5),
    0.10 + _bump(9.5, 1.8) + _bump(14.5, 2.5) + 0.6 * _bump(20.5, 2),
    0.15 + _bump(11.5, 2) + _bump(20.5, 2),
    0.03 + 3.0 * _bump(8.5, 1.4),
    0.25 + _bump(9, 2) + _bump(15, 3) + _bump(21, 2),
    0.08 + ((_h > 8.5) & (_h < 23.5)),
])

# ---------------------------------------------------------------- vocabulary
TASKS = ["tile a shower", "fix a leaky faucet", "replace a toilet flange", "install laminate flooring",
         "patch drywall", "hang drywall", "caulk a bathtub", "install a ceiling fan", "wire a 3 way switch",
         "build a deck", "stain a deck", "regrout tile", "level a floor", "install a dishwasher",
         "replace a water heater", "insulate an attic", "paint kitchen cabinets", "frame a wall",
         "pour a concrete slab", "install a vapor barrier", "remove popcorn ceiling", "unclog a drain",
         "install a garbage disposal", "sweat copper pipe", "install pex", "replace a gfci outlet",
         "build a retaining wall", "seal a basement", "install crown molding", "hang a door",
         "fix a squeaky floor", "install a backsplash", "lay pavers", "replace a window", "skim coat a wall"]
TOOLS = ["drill", "hammer drill", "impact driver", "circular saw", "miter saw", "table saw", "tile saw",
         "oscillating tool", "shop vac", "orbital sander", "router", "jigsaw", "nail gun", "stud finder",
         "angle grinder", "reciprocating saw", "laser level", "wet saw", "paint sprayer", "pressure washer"]
MATERIALS = ["concrete", "tile", "drywall", "hardwood", "metal", "brick", "plywood", "pvc", "stone", "glass"]
BRANDS = ["dewalt", "milwaukee", "makita", "ryobi", "bosch", "ridgid", "festool", "ego", "craftsman",
          "metabo", "hilti", "kobalt", "porter cable", "black and decker", "dremel", "worx"]
PRICE_WORDS = ["price", "sale", "deal", "price", "cheap", "black friday", "coupon", "vs"]
PROBLEMS = ["wont drain", "keeps running", "leaking under", "cracked", "making noise", "tripping breaker",
            "no hot water", "mold on", "water stain on", "humming", "wont turn off", "loose", "sagging",
            "peeling paint on", "efflorescence on", "smells like sewage", "low water pressure in"]
FIXTURES = ["toilet", "kitchen sink", "water heater", "shower valve", "gfci outlet", "ceiling", "subfloor",
            "basement wall", "garage door", "sump pump", "dishwasher", "bathroom fan", "furnace",
            "attic", "deck joist", "window sill", "chimney", "septic tank"]
STORM_Q = ["roof leak after storm", "tree fell on fence", "flooded basement what to do",
           "generator backfeed safe", "sump pump failed during storm", "shingles blown off",
           "water in crawl space after rain", "downed power line near house", "gutter ripped off",
           "wet drywall after flood", "siding damage hail", "storm door broke", "insurance roof claim photos"]
GENERIC = ["deck stain", "drywall", "grout", "plumbing", "septic", "attic fan", "shiplap", "epoxy floor",
           "radiant heat", "mini split", "french drain", "subfloor", "joist", "caulk", "primer", "gfci"]
MOD_PHRASES = ["buy cheap", "click here", "whatsapp", "is:flagged", "duplicate:yes closed:no",
               "best price guaranteed", "crypto", "http://", "loan", "is:spam", "deleted:1", "score:-3",
               "same answer", "call now", "plagiarism"]
QUEUES = ["first-posts", "late-answers", "close-votes", "low-quality", "suggested-edits", "flags", "reopen"]
TAGS = ["plumbing", "electrical", "tile", "drywall", "flooring", "roofing", "hvac", "deck", "concrete",
        "framing", "paint", "insulation", "windows", "doors", "basement", "bathroom", "kitchen", "outdoor"]
MISC_PATHS = ["/", "/questions/ask", "/users/login", "/help/how-to-answer", "/tags", "/users/me",
              "/notifications", "/help", "/about", "/questions?sort=votes"]
ADJ = ["handy", "rusty", "old", "diy", "weekend", "crafty", "sawdust", "plumb", "level", "square", "grumpy"]
NOUN = ["bob", "carpenter", "wrench", "builder", "joe", "maker", "homeowner", "sparky", "mason", "tinker"]
FEED_PATHS = ["/questions/new", "/questions/new", "/", "/questions/active", "/questions/hot"]


def _slug(s: str) -> str:
    return "-".join(s.replace("/", " ").split())


def _question_title(qid: int) -> str:
    h = (qid * 2654435761) & 0xFFFFFFFF
    k = h % 3
    if k == 0:
        return f"how to {TASKS[(h >> 3) % len(TASKS)]}"
    if k == 1:
        return f"{FIXTURES[(h >> 5) % len(FIXTURES)]} {PROBLEMS[(h >> 11) % len(PROBLEMS)]}"
    return f"best {TOOLS[(h >> 7) % len(TOOLS)]} for {MATERIALS[(h >> 13) % len(MATERIALS)]}"


def _username(uid: int) -> str:
    h = (uid * 40503) & 0xFFFFF
    return f"{ADJ[h % len(ADJ)]}{NOUN[(h >> 4) % len(NOUN)]}{uid % 997}"


N_Q, N_UNANS, N_GUIDE, N_LIST, N_SITE_USERS = 280_000, 12_000, 4_000, 25_000, 400_000
STORM_BASE, N_STORM = 302_000, 400
UNANS_BASE = 290_000
VIRAL_QID = 287_654
VIRAL_TITLE = "contractor poured a concrete slab over my septic tank what now"
GUIDE_ARTICLE_BASE = 10_000_000


class _Zipf:
    def __init__(self, rng, n, s, base=0):
        p = np.arange(1, n + 1, dtype=float) ** (-s)
        self.cdf = np.cumsum(p) / p.sum()
        self.perm = rng.permutation(n) + base

    def __call__(self, rng, size):
        idx = np.searchsorted(self.cdf, rng.random(size), side="right")
        return self.perm[np.minimum(idx, len(self.perm) - 1)]


def _cat(rng, cum_rows, row_idx):
    """Sample a categorical per element with per-element cumulative row cum_rows[row_idx]."""
    u = rng.random(len(row_idx))
    c = cum_rows[row_idx]
    return (u[:, None] >= c[:, :-1]).sum(axis=1)


def _mix_lin(x, w, sep):
    avg = np.tensordot(w, x, axes=1)
    return avg + sep * (x - avg)


def _mix_log(x, w, sep):
    return np.exp(_mix_lin(np.log(x), w, sep))


def _norm_rows(m):
    m = np.clip(m, 0, None)
    return m / m.sum(axis=1, keepdims=True)


def generate(out_dir: Path, n_users: int = 8000, seed: int = 0, separation: float = 1.0,
             shares: dict[str, float] | None = None, days: int = 28) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    sep = float(np.clip(separation, 0.0, 1.0))
    P = len(PERSONAS)

    sh = dict(DEFAULT_SHARES if shares is None else shares)
    unknown = set(sh) - set(PERSONAS)
    if unknown:
        raise ValueError(f"unknown personas: {sorted(unknown)}")
    w = np.array([max(float(sh.get(p, 0.0)), 0.0) for p in PERSONAS])
    if w.sum() <= 0:
        raise ValueError("shares must contain a positive fraction")
    w = w / w.sum()

    # ---- persona assignment (largest remainder, then shuffle)
    raw = w * n_users
    counts = np.floor(raw).astype(int)
    rem = n_users - counts.sum()
    counts[np.argsort(-(raw - counts), kind="stable")[:rem]] += 1
    persona = rng.permutation(np.repeat(np.arange(P), counts))
    user_ids = np.sort(rng.choice(np.arange(1_000_000, 9_000_000), size=n_users, replace=False)).astype(np.int64)
    user_ids = rng.permutation(user_ids)

    # ---- effective (separation-mixed) parameters
    page_cum = np.cumsum(_norm_rows(_mix_lin(PAGE_MIX, w, sep)), axis=1)
    dev_cum = np.cumsum(_norm_rows(_mix_lin(DEVICE_MIX, w, sep)), axis=1)
    ref_cum = np.cumsum(_norm_rows(_mix_lin(REF_MIX, w, sep)), axis=1)
    qry_cum = np.cumsum(_norm_rows(_mix_lin(QUERY_MIX, w, sep)), axis=1)
    mu = _mix_lin(np.log(DWELL_MED), w, sep)
    sigma = _mix_lin(DWELL_SIGMA, w, sep)
    p_deep = _mix_lin(P_DEEP, w, sep)
    lam = _mix_log(LAM, w, sep)
    vol_alpha = _mix_lin(VOL_ALPHA, w, sep)
    xm = _mix_log(XM, w, sep)
    page_alpha = _mix_lin(PAGE_ALPHA, w, sep)
    window = np.minimum(_mix_log(WINDOW, w, sep), days)
    wk_w = _mix_log(WEEKEND_W, w, sep)
    p_storm = _mix_lin(P_STORM, w, sep)
    p_viral = _mix_lin(P_VIRAL, w, sep)
    hwd = _norm_rows(_mix_lin(_norm_rows(HOURS_WD), w, sep))
    hwe = _norm_rows(_mix_lin(_norm_rows(HOURS_WE), w, sep))
    hcum = np.cumsum(np.concatenate([hwd, hwe]), axis=1)  # rows 0..P-1 weekday, P..2P-1 weekend

    # ---- users: volume, sessions, window, device
    a = vol_alpha[persona]
    vol = (rng.pareto(a) + 1.0) * (a - 1.0) / a            # Pareto, mean 1
    n_sess = 1 + rng.poisson(np.minimum(lam[persona] * vol, days * 14))
    win = np.maximum(1, np.round(window[persona] * rng.uniform(0.75, 1.3, n_users))).astype(int)
    win = np.minimum(win, days)
    wstart = (rng.random(n_users) * (days - win + 1)).astype(int)
    dev_main = _cat(rng, dev_cum, persona)
    dev_alt = _cat(rng, dev_cum, persona)

    # ---- sessions
    s_user = np.repeat(np.arange(n_users), n_sess)
    s_p = persona[s_user]
    n_s = len(s_user)
    dow = np.arange(days) % 7
    is_we = dow >= 5
    day_w = np.where(is_we[None, :], wk_w[:, None], 1.0)           # P x days
    day_cum = np.concatenate([np.zeros((P, 1)), np.cumsum(day_w, axis=1)], axis=1)
    lo = day_cum[s_p, wstart[s_user]]
    hi = day_cum[s_p, wstart[s_user] + win[s_user]]
    u = lo + rng.random(n_s) * (hi - lo)
    day = np.empty(n_s, dtype=int)
    for p in range(P):
        m = s_p == p
        day[m] = np.searchsorted(day_cum[p], u[m], side="right") - 1
    day = np.clip(day, 0, days - 1)
    # bursts: storm sends bouncers; a viral thread pulls everyone
    r = rng.random(n_s)
    storm = (r < p_storm[s_p]) & (STORM_DAY < days)
    viral = (~storm) & (r < p_storm[s_p] + p_viral[s_p]) & (VIRAL_DAY < days)
    day[storm] = np.minimum(STORM_DAY + (rng.random(storm.sum()) < 0.35), days - 1)
    day[viral] = np.minimum(VIRAL_DAY + rng.geometric(0.55, viral.sum()) - 1, days - 1)
    hour = _cat(rng, hcum, s_p + P * is_we[day])
    s_start = (day * 86400 + hour * 3600 + rng.random(n_s) * 3600).astype(np.int64)
    pa = page_alpha[s_p]
    n_pages = np.floor(xm[s_p] * (rng.pareto(pa) + 1.0) * np.where(rng.random(n_s) < 0.5, 0.6, 1.0)).astype(int)
    n_pages = np.clip(n_pages, 1, 1500)

    # ---- pages
    g_sess = np.repeat(np.arange(n_s), n_pages)
    n = len(g_sess)
    g_user = s_user[g_sess]
    g_p = s_p[g_sess]
    first = np.zeros(n, dtype=bool)
    sess_off = np.concatenate([[0], np.cumsum(n_pages)[:-1]])
    first[sess_off] = True
    ptype = _cat(rng, page_cum, g_p)
    # burst sessions land on a question thread
    burst_first = first & (storm | viral)[g_sess]
    ptype[burst_first] = T_Q
    # ---- dwell
    mu_pg = mu[g_p, ptype]
    deep = np.isin(ptype, (T_Q, T_GUIDE)) & (rng.random(n) < p_deep[g_p])
    dwell = np.exp(mu_pg + np.log(DEEP_MULT) * deep + sigma[g_p] * rng.standard_normal(n))
    zero = rng.random(n) < 0.01
    dwell[zero] = 0
    outl = rng.random(n) < 0.0007
    dwell[outl] = rng.uniform(2 * 3600, 9 * 3600, outl.sum())       # forgotten tabs
    dwell = np.round(dwell).astype(np.int64)
    # a handful of absurd huge values (clock skew, tabs left open for days)
    skew = rng.random(n) < 0.00005
    dwell[skew] = rng.choice([86_399, 172_800, 3_000_000], skew.sum())

    # ---- timestamps: session start + cumulative dwell + gaps
    gap = rng.exponential(4.0, n).astype(np.int64) + 1
    step = np.minimum(dwell, 4 * 3600) + gap
    cs = np.cumsum(step)
    prev = np.concatenate([[0], cs[:-1]])
    within = prev - prev[sess_off][np.repeat(np.arange(n_s), n_pages)]
    ts_sec = s_start[g_sess] + within

    # ---- items
    zq = _Zipf(rng, N_Q, 1.05, base=1)
    zun = _Zipf(rng, N_UNANS, 0.5, base=UNANS_BASE)
    zst = _Zipf(rng, N_STORM, 1.1, base=STORM_BASE)
    zg = _Zipf(rng, N_GUIDE, 1.1, base=1)
    zl = _Zipf(rng, N_LIST, 1.2, base=1)
    zu = _Zipf(rng, N_SITE_USERS, 0.9, base=1)
    item = np.zeros(n, dtype=np.int64)
    m = ptype == T_Q
    item[m] = zq(rng, m.sum())
    g_storm = storm[g_sess]
    g_viral = viral[g_sess]
    g_day = ts_sec // 86400
    sm = m & (g_storm | ((np.abs(g_day - STORM_DAY) <= 2) & (rng.random(n) < 0.05)))
    sm &= (rng.random(n) < 0.7) | first
    item[sm] = zst(rng, sm.sum())
    vprob = np.select([g_day == VIRAL_DAY, g_day == VIRAL_DAY + 1, g_day == VIRAL_DAY + 2], [0.12, 0.07, 0.03], 0.0)
    vm = m & ((g_viral & first) | (rng.random(n) < vprob))
    item[vm] = VIRAL_QID
    for t, z in ((T_UNANS, zun), (T_ANSWER, zun), (T_GUIDE, zg), (T_LIST, zl), (T_PROFILE, zu)):
        mm = ptype == t
        item[mm] = z(rng, mm.sum())
    mm = np.isin(ptype, (T_QUEUE, T_FLAG))
    item[mm] = rng.integers(300_000, 320_000, mm.sum())

    # ---- search queries
    srch = np.flatnonzero(ptype == T_SEARCH)
    qkind = _cat(rng, qry_cum, g_p[srch])
    qr = rng.integers(0, 1 << 30, (len(srch), 3))
    queries = np.empty(len(srch), dtype=object)
    su = zu(rng, len(srch))
    for i in range(len(srch)):
        k, (a1, a2, a3) = qkind[i], qr[i]
        if k == 0:
            q = f"how to {TASKS[a1 % len(TASKS)]}" if a2 % 4 else TASKS[a1 % len(TASKS)]
        elif k == 1:
            q = f"best {TOOLS[a1 % len(TOOLS)]} for {MATERIALS[a2 % len(MATERIALS)]}"
        elif k == 2:
            b = BRANDS[min(a1 % 97, a1 % len(BRANDS))]
            q = f"{b} {TOOLS[a2 % len(TOOLS)]} {PRICE_WORDS[a3 % len(PRICE_WORDS)]}" if a3 % 5 else f"{b} {PRICE_WORDS[a2 % 3]}"
        elif k == 3:
            q = f"{FIXTURES[a1 % len(FIXTURES)]} {PROBLEMS[a2 % len(PROBLEMS)]}"
            if g_storm[srch[i]] or a3 % 17 == 0:
                q = STORM_Q[a1 % len(STORM_Q)]
        elif k == 4:
            q = ("user:" if a1 % 3 == 0 else "") + _username(int(su[i]))
        elif k == 5:
            q = f'"{MOD_PHRASES[a1 % len(MOD_PHRASES)]}"' if a2 % 2 else MOD_PHRASES[a1 % len(MOD_PHRASES)]
        else:
            q = GENERIC[a1 % len(GENERIC)]
        if a3 % 23 == 0 and len(q) > 5:  # typos
            j = a2 % (len(q) - 2) + 1
            q = q[:j] + q[j + 1] + q[j] + q[j + 2:]
        if a3 % 29 == 0:
            q = q.upper() if a1 % 2 else q.capitalize()
        queries[i] = q

    # ---- URLs
    urls = np.empty(n, dtype=object)
    titles = {}

    def qtitle(qid):
        t = titles.get(qid)
        if t is None:
            if qid == VIRAL_QID:
                t = VIRAL_TITLE
            elif STORM_BASE <= qid < STORM_BASE + N_STORM:
                t = STORM_Q[qid % len(STORM_Q)]
            else:
                t = _question_title(qid)
            titles[qid] = t
        return t

    aux = rng.integers(0, 1 << 30, n)
    for i in np.flatnonzero(np.isin(ptype, (T_Q, T_UNANS))):
        qid = int(item[i])
        urls[i] = f"{SITE}/questions/{qid}/{_slug(qtitle(qid))}"
    for i in np.flatnonzero(ptype == T_ANSWER):
        qid = int(item[i])
        urls[i] = f"{SITE}/questions/{qid}/{_slug(qtitle(qid))}/answer"
    for i in np.flatnonzero(ptype == T_GUIDE):
        gid = int(item[i])
        urls[i] = f"{SITE}/guides/{_slug(TASKS[gid % len(TASKS)])}-{gid}"
    for i in np.flatnonzero(ptype == T_LIST):
        lid = int(item[i])
        urls[i] = f"{SITE}/marketplace/tools/{_slug(BRANDS[lid % len(BRANDS)])}-{_slug(TOOLS[(lid // 16) % len(TOOLS)])}-{lid}"
    for i in np.flatnonzero(ptype == T_DEAL):
        x = int(aux[i])
        k = x % 4
        urls[i] = (f"{SITE}/marketplace/deals?page={1 + (x >> 3) % 5}" if k == 0 else
                   f"{SITE}/marketplace/compare/{_slug(TOOLS[(x >> 4) % len(TOOLS)])}" if k == 1 else
                   f"{SITE}/marketplace/category/{_slug(TOOLS[(x >> 4) % len(TOOLS)])}s" if k == 2 else
                   f"{SITE}/marketplace/deals/{_slug(BRANDS[(x >> 4) % len(BRANDS)])}")
    for i in np.flatnonzero(ptype == T_FEED):
        x = int(aux[i])
        pth = FEED_PATHS[x % len(FEED_PATHS)]
        pg = 1 + min(int(np.log1p((x >> 5) % 1000) ** 1.2), 20) if pth != "/" else 0
        urls[i] = f"{SITE}{pth}" + (f"?page={pg}" if pg > 1 else "")
    for j, i in enumerate(srch):
        urls[i] = f"{SITE}/search?q={quote_plus(queries[j])}"
    for i in np.flatnonzero(ptype == T_QUEUE):
        x = int(aux[i])
        urls[i] = f"{SITE}/review/{QUEUES[x % len(QUEUES)]}" + (f"/{item[i]}" if x % 5 else "")
    for i in np.flatnonzero(ptype == T_PROFILE):
        uid = int(item[i])
        x = int(aux[i])
        tab = ("", "?tab=activity", "?tab=answers", "/flags")[x % 4 if g_p[i] == 5 else x % 2]
        urls[i] = f"{SITE}/users/{uid}/{_username(uid)}{tab}"
    for i in np.flatnonzero(ptype == T_FLAG):
        x = int(aux[i])
        urls[i] = f"{SITE}/posts/{item[i]}/flags" if x % 3 else f"{SITE}/admin/flagged?post={item[i]}"
    for i in np.flatnonzero(ptype == T_MISC):
        x = int(aux[i])
        urls[i] = f"{SITE}{MISC_PATHS[x % len(MISC_PATHS)]}" if x % 3 else f"{SITE}/questions/tagged/{TAGS[(x >> 3) % len(TAGS)]}"

    # ---- referrers
    refs = np.empty(n, dtype=object)
    refs[1:] = urls[:-1]
    fi = np.flatnonzero(first)
    rk = _cat(rng, ref_cum, g_p[fi])
    vir_first = g_viral[fi] & (rng.random(len(fi)) < 0.6)
    rk[vir_first] = rng.choice([6, 7, 8], vir_first.sum(), p=[.4, .45, .15])
    st_first = g_storm[fi] & (rng.random(len(fi)) < 0.8)
    rk[st_first] = 1
    rx = rng.integers(0, 1 << 30, len(fi))
    for j, i in enumerate(fi):
        k = rk[j]
        x = int(rx[j])
        if k == 0:
            refs[i] = None
        elif k in (1, 2):
            host = "https://www.google.com/" if k == 1 else "https://www.bing.com/"
            if x % 10 < 3 and ptype[i] in (T_Q, T_GUIDE, T_UNANS):
                t = qtitle(int(item[i])) if ptype[i] != T_GUIDE else f"how to {TASKS[int(item[i]) % len(TASKS)]}"
                refs[i] = f"{host}search?q={quote_plus(t)}"
            elif x % 10 < 4 and ptype[i] == T_LIST:
                refs[i] = f"{host}search?q={quote_plus(BRANDS[int(item[i]) % len(BRANDS)] + ' price')}"
            else:
                refs[i] = host
        else:
            refs[i] = {3: "https://duckduckgo.com/", 4: "https://www.pinterest.com/",
                       5: "https://www.youtube.com/", 6: f"https://t.co/{x % 10**8:08x}",
                       7: ("https://www.reddit.com/r/HomeImprovement/" if x % 2 else "https://www.reddit.com/r/DIY/"),
                       8: "https://www.facebook.com/" if x % 3 else "https://l.facebook.com/",
                       9: "https://mail.google.com/"}[int(k)]

    # ---- device per page (session-level switches, odd casing)
    s_dev = np.where(rng.random(n_s) < 0.07, dev_alt[s_user], dev_main[s_user])
    dev = np.array(DEVICES, dtype=object)[s_dev[g_sess]]
    odd = rng.random(n) < 0.004
    dev[odd] = rng.choice(np.array(["Mobile", "Desktop", "smarttv", "TABLET", "mobile ", "unknown"], dtype=object),
                          odd.sum())

    ts = START + ts_sec.astype("timedelta64[s]")
    keep = (ts_sec < days * 86400) | first          # the log export ends with the window
    click = pd.DataFrame({"user_id": user_ids[g_user], "timestamp": ts.astype("datetime64[ns]"),
                          "url": urls, "referrer": refs, "device": dev, "time_spent": dwell})[keep]

    # ---- article views: answered threads and guides actually read
    art = np.isin(ptype, (T_Q, T_GUIDE)) & (dwell >= 10) & (rng.random(n) > 0.03) & keep
    ai = np.flatnonzero(art)
    art_id = np.where(ptype[ai] == T_GUIDE, GUIDE_ARTICLE_BASE + item[ai], item[ai])
    read = np.maximum(1, np.round(dwell[ai] * rng.uniform(0.5, 0.98, len(ai)))).astype(np.int64)
    art_df = pd.DataFrame({"user_id": user_ids[g_user[ai]],
                           "timestamp": (ts[ai] + rng.integers(1, 4, len(ai)).astype("timedelta64[s]")).astype("datetime64[ns]"),
                           "article_id": art_id.astype(np.int64), "time_spent": read})
    queries = queries[keep[srch]]
    srch = srch[keep[srch]]
    search_df = pd.DataFrame({"user_id": user_ids[g_user[srch]],
                              "timestamp": (ts[srch] - rng.integers(0, 2, len(srch)).astype("timedelta64[s]")).astype("datetime64[ns]"),
                              "query": queries})

    click = click.sort_values("timestamp", kind="stable").reset_index(drop=True)
    art_df = art_df.sort_values("timestamp", kind="stable").reset_index(drop=True)
    search_df = search_df.sort_values("timestamp", kind="stable").reset_index(drop=True)
    for df, cols in ((click, ["url", "referrer", "device"]), (search_df, ["query"])):
        for c in cols:
            df[c] = df[c].astype(object)
    truth = pd.DataFrame({"user_id": user_ids, "persona": np.array(PERSONAS, dtype=object)[persona],
                          "engagement_rank": persona.astype(np.int64)})

    files = {"clickstream.parquet": click, "search_queries.parquet": search_df,
             "article_views.parquet": art_df, "truth.parquet": truth}
    for name, df in files.items():
        df.to_parquet(out_dir / name, index=False)
    return {"n_users": int(n_users), "personas": list(PERSONAS), "true_k": int((counts > 0).sum()),
            "events": {name: int(len(df)) for name, df in files.items()}}
