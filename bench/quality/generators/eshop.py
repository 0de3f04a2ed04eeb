"""Independent synthetic event generator ``eshop`` for the quality suite.

An online electronics shop (``https://shop.example``) with a help centre and a
buying-guide blog, observed over ``days`` days (default four weeks).  Four
personas, from least to most engaged:

* ``one_time_looker`` (~50%): one visit from an ad / price-comparison site,
  one to three product pages, gone within a minute; a few search a product name.
* ``support_seeker`` (~20%): owns a product; searches error messages, manuals,
  "how to reset", "warranty"; reads help articles for minutes; returns while the
  problem persists; browses (almost) no products.
* ``comparer`` (~20%): several sessions over one or two weeks on product,
  comparison pages and buying guides; searches "X vs Y", "best laptop under
  800", "... review"; reads guides for minutes; desktop, weekday evenings.
* ``loyal_buyer`` (~10%): several visits a week on the phone/app; new arrivals,
  cart and checkout; searches exact model numbers; many quick clicks.

Distributions: Zipf popularity of products and articles, Pareto (Lomax)
sessions per user and pages per session, lognormal dwell times with rare
absurd outliers, weekday/weekend and hour-of-day cycles, a mid-period sale
burst (plus a small viral-post burst), per-user volume multipliers.

``separation`` in [0, 1] interpolates every persona parameter between the
population average (share-weighted mean; scale parameters are approached
geometrically, categorical distributions as mixtures) and the persona's own value.

Only numpy / pandas / pyarrow are used.  Same arguments + seed -> identical files.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote_plus

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SITE = "https://shop.example"
PERSONAS = ["one_time_looker", "support_seeker", "comparer", "loyal_buyer"]
DEFAULT_SHARES = {
    "one_time_looker": 0.50,
    "support_seeker": 0.20,
    "comparer": 0.20,
    "loyal_buyer": 0.10,
}
START = datetime(2024, 3, 4)  # a Monday

PAGE_TYPES = ["home", "category", "product", "compare", "guide", "help_article",
              "help_hub", "new_arrivals", "deals", "cart", "account"]
QUERY_TYPES = ["product_name", "model_number", "support", "comparison",
               "best_under", "review", "generic"]
CHANNELS = ["direct", "google_organic", "bing", "google_ads", "price_compare",
            "social", "youtube", "reddit", "email"]
DEVICES = ["desktop", "mobile", "tablet"]

# Median seconds on a page of each type for an "average" reader (speed 1).
BASE_DWELL = {
    "home": 9, "category": 22, "product": 45, "compare": 95, "guide": 210,
    "help_article": 160, "help_hub": 28, "new_arrivals": 30, "deals": 35,
    "cart": 25, "account": 30, "search": 12, "checkout": 55,
}


def _bumps(base: float, bumps: list[tuple[float, float, float]]) -> list[float]:
    """Hour-of-day profile: a floor plus circular Gaussian bumps (centre, width, height)."""
    out = []
    for h in range(24):
        v = base
        for c, w, a in bumps:
            d = min(abs(h + 0.5 - c), 24 - abs(h + 0.5 - c))
            v += a * math.exp(-0.5 * (d / w) ** 2)
        out.append(v)
    return out


# ---------------------------------------------------------------------------
# Persona parameters at separation = 1.
#   "log": positive scale parameters, interpolated geometrically
#   "lin": probabilities / counts, interpolated linearly
#   "mix": categorical distributions (dicts or 24-vectors), mixture-interpolated
# ---------------------------------------------------------------------------
PERSONA_PARAMS: dict[str, dict] = {
    "one_time_looker": {
        "log": {"extra_sessions": 0.06, "extra_pages": 0.9, "page_cap": 2.5,
                "search_rate": 0.12, "speed": 0.45, "span_days": 0.5,
                "weekend": 1.15, "sale_boost": 2.2, "viral_boost": 2.5},
        "lin": {"min_sessions": 1.0, "funnel_p": 0.01, "focus": 0.40,
                "new_pref": 0.05, "device_stick": 0.85, "ad_params": 0.75},
        "mix": {
            "page": {"home": .06, "category": .12, "product": .66, "compare": .01,
                     "guide": .02, "help_article": .01, "new_arrivals": .02,
                     "deals": .08, "cart": .02},
            "landing": {"home": .08, "category": .07, "product": .75, "deals": .10},
            "query": {"product_name": .55, "model_number": .02, "best_under": .03,
                      "review": .05, "generic": .35},
            "channel": {"direct": .05, "google_organic": .10, "bing": .01,
                        "google_ads": .35, "price_compare": .30, "social": .15,
                        "youtube": .02, "reddit": .02},
            "device": {"desktop": .35, "mobile": .58, "tablet": .07},
            "hour_wd": _bumps(0.20, [(13, 3, 1.0), (20.5, 2.5, 1.3)]),
            "hour_we": _bumps(0.20, [(14, 4, 1.2), (21, 2, 1.0)]),
        },
    },
    "support_seeker": {
        "log": {"extra_sessions": 2.2, "extra_pages": 2.5, "page_cap": 60,
                "search_rate": 1.6, "speed": 1.3, "span_days": 6,
                "weekend": 0.85, "sale_boost": 1.0, "viral_boost": 1.0},
        "lin": {"min_sessions": 1.0, "funnel_p": 0.0, "focus": 0.85,
                "new_pref": 0.0, "device_stick": 0.80, "ad_params": 0.0},
        "mix": {
            "page": {"home": .05, "category": .01, "product": .01, "guide": .02,
                     "help_article": .50, "help_hub": .30, "account": .11},
            "landing": {"home": .12, "help_article": .45, "help_hub": .38, "account": .05},
            "query": {"product_name": .06, "model_number": .04, "support": .88,
                      "generic": .02},
            "channel": {"direct": .30, "google_organic": .50, "bing": .08,
                        "social": .02, "youtube": .03, "reddit": .02, "email": .05},
            "device": {"desktop": .55, "mobile": .38, "tablet": .07},
            "hour_wd": _bumps(0.15, [(10.5, 2, 1.0), (14, 2, 0.7), (19.5, 2, 1.0)]),
            "hour_we": _bumps(0.15, [(11, 2.5, 1.2), (17, 3, 0.8)]),
        },
    },
    "comparer": {
        "log": {"extra_sessions": 4.0, "extra_pages": 6.0, "page_cap": 150,
                "search_rate": 1.1, "speed": 1.5, "span_days": 10,
                "weekend": 0.55, "sale_boost": 1.6, "viral_boost": 1.2},
        "lin": {"min_sessions": 2.0, "funnel_p": 0.07, "focus": 0.85,
                "new_pref": 0.10, "device_stick": 0.85, "ad_params": 0.10},
        "mix": {
            "page": {"home": .03, "category": .15, "product": .34, "compare": .18,
                     "guide": .22, "help_article": .02, "help_hub": .01,
                     "new_arrivals": .01, "deals": .03, "cart": .01},
            "landing": {"home": .10, "category": .12, "product": .30, "compare": .15,
                        "guide": .33},
            "query": {"product_name": .08, "model_number": .02, "support": .01,
                      "comparison": .33, "best_under": .26, "review": .25,
                      "generic": .05},
            "channel": {"direct": .25, "google_organic": .35, "bing": .05,
                        "price_compare": .10, "social": .03, "youtube": .12,
                        "reddit": .10},
            "device": {"desktop": .75, "mobile": .15, "tablet": .10},
            "hour_wd": _bumps(0.08, [(20.5, 1.8, 2.5), (13, 1.5, 0.4)]),
            "hour_we": _bumps(0.10, [(15, 3.5, 1.0), (21, 2, 0.8)]),
        },
    },
    "loyal_buyer": {
        "log": {"extra_sessions": 9.0, "extra_pages": 9.0, "page_cap": 200,
                "search_rate": 0.9, "speed": 0.30, "span_days": 45,
                "weekend": 1.0, "sale_boost": 3.0, "viral_boost": 1.0},
        "lin": {"min_sessions": 4.0, "funnel_p": 0.40, "focus": 0.45,
                "new_pref": 0.55, "device_stick": 0.92, "ad_params": 0.0},
        "mix": {
            "page": {"home": .08, "category": .08, "product": .34, "guide": .004,
                     "help_hub": .01, "new_arrivals": .20, "deals": .10, "cart": .12,
                     "account": .06},
            "landing": {"home": .45, "new_arrivals": .30, "cart": .10, "account": .07,
                        "deals": .08},
            "query": {"product_name": .12, "model_number": .75, "support": .01,
                      "review": .02, "generic": .10},
            "channel": {"direct": .80, "google_organic": .03, "social": .05,
                        "email": .12},
            "device": {"desktop": .08, "mobile": .87, "tablet": .05},
            "hour_wd": _bumps(0.20, [(7.5, 1, 0.9), (12.5, 1, 1.0), (21.5, 1.5, 1.5),
                                     (23.5, 1, 0.5)]),
            "hour_we": _bumps(0.25, [(10, 2, 0.8), (22, 2, 1.2)]),
        },
    },
}

_MIX_KEYS = {"page": PAGE_TYPES, "landing": PAGE_TYPES, "query": QUERY_TYPES,
             "channel": CHANNELS, "device": DEVICES}


def _mix_vec(spec, key: str) -> np.ndarray:
    if key in _MIX_KEYS:
        names = _MIX_KEYS[key]
        unknown = set(spec) - set(names)
        assert not unknown, unknown
        v = np.array([float(spec.get(n, 0.0)) for n in names])
    else:
        v = np.asarray(spec, dtype=float)
    return v / v.sum()


def _effective_params(shares: dict[str, float], separation: float) -> dict[str, dict]:
    """Interpolate each persona's parameters towards the population average."""
    s = float(np.clip(separation, 0.0, 1.0))
    w = {p: shares.get(p, 0.0) for p in PERSONAS}
    tot = sum(w.values())
    w = {p: v / tot for p, v in w.items()}
    # arithmetic population mean (keeps overall volume comparable across separations),
    # approached geometrically below
    avg_log = {k: sum(w[p] * PERSONA_PARAMS[p]["log"][k] for p in PERSONAS)
               for k in PERSONA_PARAMS[PERSONAS[0]]["log"]}
    avg_lin = {k: sum(w[p] * PERSONA_PARAMS[p]["lin"][k] for p in PERSONAS)
               for k in PERSONA_PARAMS[PERSONAS[0]]["lin"]}
    avg_mix = {k: sum(w[p] * _mix_vec(PERSONA_PARAMS[p]["mix"][k], k) for p in PERSONAS)
               for k in PERSONA_PARAMS[PERSONAS[0]]["mix"]}
    out = {}
    for p in PERSONAS:
        pp = PERSONA_PARAMS[p]
        e = {}
        for k, a in avg_log.items():
            e[k] = math.exp((1 - s) * math.log(a) + s * math.log(pp["log"][k]))
        for k, a in avg_lin.items():
            e[k] = (1 - s) * a + s * pp["lin"][k]
        for k, a in avg_mix.items():
            v = (1 - s) * a + s * _mix_vec(pp["mix"][k], k)
            v = v / v.sum()
            e[k] = v
            e[k + "_cdf"] = np.cumsum(v)
        out[p] = e
    return out


# ---------------------------------------------------------------------------
# Catalogue: products, help articles, buying guides
# ---------------------------------------------------------------------------
CATEGORIES = {
    # slug: (weight, noun for queries, brands -> product lines, price range)
    "laptops": (1.0, "laptop", {
        "Lenovo": ["ThinkPad X1 Carbon", "IdeaPad Slim", "Legion", "Yoga"],
        "HP": ["Pavilion", "EliteBook", "Envy", "Victus"],
        "Dell": ["XPS", "Inspiron", "Latitude", "Alienware m"],
        "Apple": ["MacBook Air", "MacBook Pro"],
        "ASUS": ["ZenBook", "VivoBook", "ROG Strix", "TUF Gaming"],
        "Acer": ["Aspire", "Swift Go", "Nitro"]}, (349, 2899)),
    "smartphones": (0.9, "phone", {
        "Samsung": ["Galaxy S", "Galaxy A", "Galaxy Z Flip"],
        "Apple": ["iPhone"], "Google": ["Pixel"], "Xiaomi": ["Redmi Note", "Xiaomi"],
        "OnePlus": ["OnePlus", "Nord"], "Motorola": ["moto g", "edge"]}, (129, 1599)),
    "tvs": (0.6, "tv", {
        "Samsung": ["Crystal UHD", "Neo QLED", "The Frame"], "LG": ["OLED evo", "NanoCell"],
        "Sony": ["Bravia"], "TCL": ["QLED", "Mini LED"], "Hisense": ["ULED"],
        "Philips": ["Ambilight"]}, (279, 3499)),
    "headphones": (0.7, "headphones", {
        "Sony": ["WH-1000X", "WF-1000X", "ULT Wear"], "Bose": ["QuietComfort", "SoundLink"],
        "Apple": ["AirPods", "AirPods Pro", "AirPods Max"], "Sennheiser": ["Momentum", "HD"],
        "JBL": ["Tune", "Live"], "Jabra": ["Elite"]}, (29, 549)),
    "cameras": (0.3, "camera", {
        "Canon": ["EOS R", "PowerShot"], "Sony": ["Alpha", "ZV-E"], "Nikon": ["Z"],
        "Fujifilm": ["X-T", "X-S"], "GoPro": ["HERO"], "DJI": ["Osmo Action"]}, (199, 2999)),
    "tablets": (0.4, "tablet", {
        "Apple": ["iPad", "iPad Air", "iPad Pro"], "Samsung": ["Galaxy Tab S", "Galaxy Tab A"],
        "Lenovo": ["Tab P"], "Amazon": ["Fire HD"], "Xiaomi": ["Pad"]}, (99, 1499)),
    "smartwatches": (0.35, "smartwatch", {
        "Apple": ["Watch Series", "Watch SE", "Watch Ultra"], "Samsung": ["Galaxy Watch"],
        "Garmin": ["Forerunner", "Venu", "fenix"], "Fitbit": ["Versa", "Charge"]}, (49, 899)),
    "gaming": (0.5, "console", {
        "Sony": ["PlayStation 5", "DualSense"], "Microsoft": ["Xbox Series", "Xbox Controller"],
        "Nintendo": ["Switch"], "Logitech": ["G Pro", "G502"], "Razer": ["BlackShark", "DeathAdder"],
        "SteelSeries": ["Arctis"]}, (39, 699)),
    "smart-home": (0.3, "smart speaker", {
        "Amazon": ["Echo", "Echo Dot", "Ring Video Doorbell"], "Google": ["Nest Hub", "Nest Cam"],
        "Philips": ["Hue"], "TP-Link": ["Tapo", "Deco"], "Netgear": ["Orbi"]}, (19, 499)),
    "accessories": (0.45, "charger", {
        "Anker": ["PowerCore", "Nano Charger", "USB-C Hub"], "Belkin": ["BoostCharge"],
        "Samsung": ["T7 SSD", "EVO microSD"], "SanDisk": ["Extreme", "Ultra"],
        "Logitech": ["MX Master", "MX Keys"], "Apple": ["MagSafe Charger"]}, (9, 249)),
}
CAT_NAMES = list(CATEGORIES)
HELP_TOPICS = [
    ("how-to-reset-{n}", "how to reset {n}"), ("{n}-wont-turn-on", "{n} won't turn on"),
    ("error-code-{c}", "error {c}"), ("{n}-not-charging", "{n} not charging"),
    ("{n}-bluetooth-pairing-problems", "{n} bluetooth not connecting"),
    ("update-firmware-{n}", "firmware update {m}"), ("{n}-user-manual", "{m} manual"),
    ("{n}-screen-flickering", "{n} screen flickering"), ("{n}-wifi-keeps-dropping", "{n} wifi disconnecting"),
    ("{n}-battery-drains-fast", "{n} battery draining fast"), ("{n}-no-sound", "no sound {n}"),
    ("{n}-overheating", "{n} overheating"), ("factory-reset-{n}", "factory reset {m}"),
]
GENERIC_SUPPORT_QUERIES = ["warranty", "warranty claim", "return policy", "how to return an item",
                           "extended warranty", "repair service", "order status", "refund",
                           "contact support", "where is my order", "cancel order",
                           "warranty registration", "device protection plan"]
HELP_HUB_PAGES = ["/help", "/help/warranty", "/help/contact", "/help/returns",
                  "/help/order-status", "/help/warranty/claim", "/help/repairs",
                  "/help/delivery"]
GUIDE_KINDS = [("best-{noun}s-under-{p}", "best {noun} under {p}"),
               ("how-to-choose-a-{noun}", "how to choose a {noun}"),
               ("{a}-vs-{b}", "{a} vs {b}"), ("{a}-review", "{a} review"),
               ("best-{noun}s-{y}", "best {noun} {y}")]


def _slug(text: str) -> str:
    out = []
    for ch in text.lower():
        out.append(ch if ch.isalnum() else "-")
    s = "".join(out)
    while "--" in s:
        s = s.replace("--", "-")
    return s.strip("-")


def _zipf_cdf(n: int, a: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Zipf weights over n items in a random order; returns (order, cdf over order)."""
    w = 1.0 / np.arange(1, n + 1) ** a
    order = rng.permutation(n)
    return order, np.cumsum(w) / w.sum()


class Catalog:
    def __init__(self, rng: np.random.Generator):
        letters = "ABCDEFGHJKLMNPRSTUVWXZ"
        self.products = []  # dicts
        self.by_cat: dict[str, list[int]] = {}
        pid = 10000
        for cat, (_w, noun, brands, (plo, phi)) in CATEGORIES.items():
            ids = []
            n = int(rng.integers(180, 320))
            blist = list(brands)
            bw = 1.0 / np.arange(1, len(blist) + 1) ** 0.8
            bw /= bw.sum()
            for i in range(n):
                b = blist[rng.choice(len(blist), p=bw)]
                line = brands[b][int(rng.integers(len(brands[b])))]
                num = int(rng.integers(2, 99))
                suffix = ["", "", "", " Pro", " Plus", " Max", " Lite", " 5G", " Gen 2", " SE"][int(rng.integers(10))]
                name = f"{b} {line} {num}{suffix}"
                pre = "".join(letters[int(rng.integers(len(letters)))] for _ in range(int(rng.integers(2, 4))))
                model = f"{pre}-{int(rng.integers(100, 9999))}{letters[int(rng.integers(len(letters)))]}"
                if rng.random() < 0.35:
                    model = model.replace("-", "")
                price = float(np.exp(rng.uniform(math.log(plo), math.log(phi))))
                self.products.append({"id": pid, "cat": cat, "brand": b, "name": name,
                                      "model": model, "price": round(price, -1) - 1,
                                      "url": f"/p/{cat}/{_slug(name)}-{pid}"})
                ids.append(len(self.products) - 1)
                pid += int(rng.integers(1, 40))
            self.by_cat[cat] = ids
        # newest ~6% of each category are "new arrivals" (highest positions = newest)
        self.new_by_cat = {c: ids[-max(3, len(ids) // 16):] for c, ids in self.by_cat.items()}
        self.all_new = [i for c in CAT_NAMES for i in self.new_by_cat[c]]
        self.cat_cdf = np.cumsum([CATEGORIES[c][0] for c in CAT_NAMES])
        self.cat_cdf /= self.cat_cdf[-1]
        self.prod_zipf = {c: _zipf_cdf(len(ids), 1.1, rng) for c, ids in self.by_cat.items()}

        # help articles: per category, Zipf popularity
        self.help = []  # (article_id, cat, url, title)
        self.help_by_cat: dict[str, list[int]] = {}
        aid = 1000
        for cat in CAT_NAMES:
            idx = []
            for j in range(int(rng.integers(60, 120))):
                pr = self.products[self.by_cat[cat][int(rng.integers(len(self.by_cat[cat])))]]
                tpl, _q = HELP_TOPICS[int(rng.integers(len(HELP_TOPICS)))]
                code = f"E{int(rng.integers(1, 99)):02d}"
                short = _slug(pr["name"].split(" ", 1)[1]) if j % 3 else CATEGORIES[cat][1].replace(" ", "-")
                slug = tpl.format(n=short, c=code.lower(), m=pr["model"].lower())
                self.help.append((aid, cat, f"/help/articles/{aid}-{slug}"))
                idx.append(len(self.help) - 1)
                aid += int(rng.integers(1, 7))
            self.help_by_cat[cat] = idx
        self.help_zipf = {c: _zipf_cdf(len(ix), 1.05, rng) for c, ix in self.help_by_cat.items()}
        gen_help = []
        for t in ["warranty-explained", "returns-and-refunds", "register-your-product",
                  "track-your-order", "repair-service-how-it-works", "extended-protection-plans"]:
            gen_help.append(len(self.help))
            self.help.append((aid, "general", f"/help/articles/{aid}-{t}"))
            aid += 1
        self.help_general = gen_help

        # buying guides (blog)
        self.guides = []
        self.guides_by_cat: dict[str, list[int]] = {}
        gid = 50000
        for cat in CAT_NAMES:
            noun = CATEGORIES[cat][1]
            idx = []
            for j in range(int(rng.integers(20, 45))):
                tpl, _ = GUIDE_KINDS[int(rng.integers(len(GUIDE_KINDS)))]
                a = self.products[self.by_cat[cat][int(rng.integers(len(self.by_cat[cat])))]]["name"]
                b = self.products[self.by_cat[cat][int(rng.integers(len(self.by_cat[cat])))]]["name"]
                p = int(rng.choice([100, 200, 300, 500, 800, 1000, 1500]))
                slug = _slug(tpl.format(noun=noun, p=p, a=a, b=b, y=2024))
                self.guides.append((gid, cat, f"/blog/guides/{slug}-{gid}"))
                idx.append(len(self.guides) - 1)
                gid += int(rng.integers(1, 11))
            self.guides_by_cat[cat] = idx
        self.guide_zipf = {c: _zipf_cdf(len(ix), 1.0, rng) for c, ix in self.guides_by_cat.items()}

    def pick_cat(self, rng) -> str:
        return CAT_NAMES[int(np.searchsorted(self.cat_cdf, rng.random()))]

    def pick_product(self, cat: str, rng, new_pref: float = 0.0) -> int:
        if rng.random() < new_pref:
            nb = self.new_by_cat[cat]
            return nb[int(rng.integers(len(nb)))]
        order, cdf = self.prod_zipf[cat]
        k = min(int(np.searchsorted(cdf, rng.random())), len(order) - 1)
        return self.by_cat[cat][order[k]]

    def pick_help(self, cat: str, rng) -> int:
        if rng.random() < 0.12:
            return self.help_general[int(rng.integers(len(self.help_general)))]
        order, cdf = self.help_zipf[cat]
        k = min(int(np.searchsorted(cdf, rng.random())), len(order) - 1)
        return self.help_by_cat[cat][order[k]]

    def pick_guide(self, cat: str, rng) -> int:
        order, cdf = self.guide_zipf[cat]
        k = min(int(np.searchsorted(cdf, rng.random())), len(order) - 1)
        return self.guides_by_cat[cat][order[k]]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def _draw(cdf: np.ndarray, rng) -> int:
    return min(int(np.searchsorted(cdf, rng.random())), len(cdf) - 1)


def _sround(x: float, rng) -> int:
    """Stochastic rounding (keeps the mean)."""
    f = math.floor(x)
    return int(f + (1 if rng.random() < x - f else 0))


def _lomax(mean: float, alpha: float, rng) -> float:
    """Pareto type II with the given mean (heavy tail)."""
    return float(rng.pareto(alpha)) * mean * (alpha - 1.0)


def _noisy_query(q: str, rng) -> str:
    r = rng.random()
    if r < 0.55:
        q = q.lower()
    elif r < 0.60:
        q = q.upper()
    if rng.random() < 0.04 and len(q) > 4:  # typo: swap two adjacent characters
        i = int(rng.integers(1, len(q) - 2))
        q = q[:i] + q[i + 1] + q[i] + q[i + 2:]
    if rng.random() < 0.03:
        q = q + " "
    if rng.random() < 0.01:
        q = "  " + q
    return q


ODD_DEVICES = {"desktop": ["Desktop", "DESKTOP", "pc", "smarttv", "console"],
               "mobile": ["Mobile", "MOBILE", "phone", "iPhone", "android"],
               "tablet": ["Tablet", "iPad", "TABLET", "smarttv"]}


# ---------------------------------------------------------------------------
# main entry point
# ---------------------------------------------------------------------------
def generate(out_dir: Path, n_users: int = 8000, seed: int = 0, separation: float = 1.0,
             shares: dict[str, float] | None = None, days: int = 28) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if shares is None:
        shares = dict(DEFAULT_SHARES)
    unknown = set(shares) - set(PERSONAS)
    if unknown:
        raise ValueError(f"unknown personas in shares: {sorted(unknown)}; known: {PERSONAS}")
    sh = {p: max(0.0, float(shares.get(p, 0.0))) for p in PERSONAS}
    tot = sum(sh.values())
    if tot <= 0:
        raise ValueError("shares must contain a positive fraction")
    sh = {p: v / tot for p, v in sh.items()}
    days = max(1, int(days))
    n_users = int(n_users)

    ss = np.random.SeedSequence([int(seed), 0xE5409])
    cat_ss, pop_ss, ev_ss = ss.spawn(3)
    catalog = Catalog(np.random.default_rng(cat_ss))
    rng_pop = np.random.default_rng(pop_ss)
    rng = np.random.default_rng(ev_ss)
    P = _effective_params(sh, separation)

    # persona counts: largest remainder, then a random assignment
    raw = np.array([sh[p] * n_users for p in PERSONAS])
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: n_users - counts.sum()]:
        counts[i] += 1
    persona_idx = np.repeat(np.arange(len(PERSONAS)), counts)
    rng_pop.shuffle(persona_idx)
    user_ids = rng_pop.choice(np.arange(100_000, 100_000 + 40 * max(n_users, 1)), size=n_users,
                              replace=False).astype(np.int64)

    # calendar
    weekday = np.array([(START + timedelta(days=d)).weekday() for d in range(days)])
    is_weekend = weekday >= 5
    sale = np.zeros(days, dtype=bool)
    s0 = max(0, days // 2 - 1)
    sale[s0: min(days, s0 + 3)] = True
    viral_day = int(days * 0.22)
    day_w = {}
    for p in PERSONAS:
        e = P[p]
        w = np.where(is_weekend, e["weekend"], 1.0) * np.where(sale, e["sale_boost"], 1.0)
        w = w.astype(float)
        w[viral_day] *= e["viral_boost"]
        # a mild "waiting for the sale" dip in the three days before it
        pre = slice(max(0, s0 - 3), s0)
        w[pre] *= 1.0 / math.sqrt(e["sale_boost"])
        day_w[p] = w
        e["hour_wd_cdf"] = np.cumsum(e["hour_wd"])
        e["hour_we_cdf"] = np.cumsum(e["hour_we"])

    start_ts = np.datetime64(START, "s")
    cs_user, cs_ts, cs_url, cs_ref, cs_dev, cs_dwell = [], [], [], [], [], []
    sq_user, sq_ts, sq_q = [], [], []
    av_user, av_ts, av_aid, av_dwell = [], [], [], []

    order_counter = [int(rng_pop.integers(10_000_000, 20_000_000))]
    sale_hours = np.cumsum(_bumps(0.05, [(8.5, 1.0, 1.0), (20.5, 1.5, 0.7)]))

    for ui in range(n_users):
        uid = int(user_ids[ui])
        pname = PERSONAS[persona_idx[ui]]
        e = P[pname]
        # user-level heterogeneity (persona independent)
        act = float(np.exp(rng.normal(-0.18, 0.6)))
        page_mult = float(np.exp(rng.normal(-0.08, 0.4)))
        speed = e["speed"] * float(np.exp(rng.normal(0, 0.3)))
        search_mult = float(np.exp(rng.normal(-0.12, 0.5)))
        # interests / owned product / shortlist
        fav = [catalog.pick_cat(rng) for _ in range(2)]
        owned = catalog.pick_product(fav[0], rng)
        shortlist = [catalog.pick_product(fav[0], rng) for _ in range(int(rng.integers(2, 6)))]
        prim_dev = DEVICES[_draw(e["device_cdf"], rng)]
        blocked = rng.random() < 0.03  # ad-blocker: client-side clickstream never arrives

        # ---- sessions: count and days
        n_sess = max(1, _sround(e["min_sessions"], rng)
                     + _sround(_lomax(e["extra_sessions"] * act, 2.5, rng), rng))
        n_sess = min(n_sess, 150)
        span = e["span_days"] * float(np.exp(rng.normal(0, 0.4)))
        span_i = int(span)
        dw = day_w[pname]
        # the user's active window may start before the observed period (left-censored)
        lo = -int(span * 0.5)
        hi = max(lo, days - 1 - int(span * 0.6))
        cand = np.arange(lo, hi + 1)
        cw = np.where(cand >= 0, dw[np.clip(cand, 0, days - 1)], dw.mean())
        first = int(cand[min(int(np.searchsorted(np.cumsum(cw) / cw.sum(), rng.random())), len(cand) - 1)])
        w0 = max(0, first)
        end = max(w0, min(days - 1, first + span_i))
        win = dw[w0: end + 1].copy()
        # returns cluster soon after the first visit
        win *= np.exp(-(np.arange(w0, end + 1) - first) / max(1.0, span * 0.7))
        wcdf = np.cumsum(win) / win.sum()
        sess_days = [w0 + min(int(np.searchsorted(wcdf, r)), len(win) - 1)
                     for r in rng.random(n_sess - (1 if first >= 0 else 0))]
        if first >= 0:
            sess_days.append(first)
        sess_days.sort()
        starts = []
        for d in sess_days:
            if sale[d] and rng.random() < 0.3:
                hcdf = sale_hours / sale_hours[-1]
                h = _draw(hcdf, rng)
            else:
                hc = e["hour_we_cdf"] if is_weekend[d] else e["hour_wd_cdf"]
                h = int(np.searchsorted(hc, rng.random() * hc[-1]))
                h = min(h, 23)
            starts.append(d * 86400 + h * 3600 + int(rng.integers(0, 3600)))
        starts.sort()

        prev_end = -10**9
        u_clicks = 0
        u_rows_other = 0
        for si, st in enumerate(starts):
            if st < prev_end + 1800:
                st = prev_end + 1800 + int(rng.integers(0, 7200))
            # device for this session
            dev = prim_dev if rng.random() < e["device_stick"] else DEVICES[_draw(e["device_cdf"], rng)]
            if rng.random() < 0.005:
                odd = ODD_DEVICES[dev]
                dev = odd[int(rng.integers(len(odd)))]
            # page-type sequence
            seq = [PAGE_TYPES[_draw(e["landing_cdf"], rng)]]
            cap = max(0, int(e["page_cap"] * page_mult))
            n_more = min(cap, _sround(_lomax(e["extra_pages"] * page_mult, 2.3, rng), rng))
            for _ in range(n_more):
                seq.append(PAGE_TYPES[_draw(e["page_cdf"], rng)])
            n_search = int(rng.poisson(e["search_rate"] * search_mult))
            pages: list[tuple] = [(t, None) for t in seq]  # (type, payload)
            for _ in range(min(n_search, 40)):
                qt = QUERY_TYPES[_draw(e["query_cdf"], rng)]
                pos = 0 if rng.random() < 0.05 else int(rng.integers(1, len(pages) + 1))
                ins = [("search", qt)]
                if rng.random() < 0.88:
                    ins.append(("follow", qt))
                pages[pos:pos] = ins
            purchase = False
            if rng.random() < e["funnel_p"] * (1.6 if sale[min(days - 1, st // 86400)] else 1.0):
                pages += [("cart", None), ("checkout", "shipping"), ("checkout", "payment")]
                if rng.random() < 0.85:
                    pages.append(("checkout", "confirmation"))
                    purchase = True

            # landing referrer & url decoration
            ch = CHANNELS[_draw(e["channel_cdf"], rng)]
            t = st
            prev_url = None
            last_query_ctx: dict = {}
            cur_cat = fav[0] if rng.random() < e["focus"] else catalog.pick_cat(rng)
            for pi, (ptype, payload) in enumerate(pages):
                art_id = None
                query_text = None
                kind = ptype
                if ptype == "follow":
                    kind, path, art_id = _follow_page(payload, last_query_ctx, catalog, e, cur_cat, rng)
                elif ptype == "search":
                    query_text, last_query_ctx = _make_query(payload, catalog, e, fav, owned,
                                                             shortlist, cur_cat, rng)
                    path = "/search?q=" + quote_plus(query_text.strip())
                else:
                    path, art_id, cur_cat = _page_path(ptype, payload, catalog, e, fav, owned,
                                                       shortlist, cur_cat, sale[min(days - 1, t // 86400)],
                                                       order_counter, rng)
                url = SITE + path
                if pi == 0:
                    ref, url = _landing_referrer(ch, url, e, fav, owned, catalog, rng)
                else:
                    ref = prev_url if rng.random() > 0.04 else None
                # dwell
                med = BASE_DWELL.get(kind if kind != "follow" else "product", 30) * speed
                dwell = med * float(np.exp(rng.normal(0, 0.85)))
                r = rng.random()
                if r < 0.0015:
                    dwell = float(rng.uniform(2 * 3600, 9 * 3600))  # tab left open
                elif r < 0.0045:
                    dwell = 0.0
                if pi == len(pages) - 1 and rng.random() < 0.15:
                    dwell = 0.0  # no exit beacon on the last page
                dwell_i = int(round(dwell))
                if not blocked:
                    cs_user.append(uid); cs_ts.append(t); cs_url.append(url); cs_ref.append(ref)
                    cs_dev.append(dev); cs_dwell.append(dwell_i)
                    u_clicks += 1
                    if rng.random() < 0.003:  # double-fired tag
                        cs_user.append(uid); cs_ts.append(t); cs_url.append(url); cs_ref.append(ref)
                        cs_dev.append(dev); cs_dwell.append(dwell_i)
                if query_text is not None:
                    sq_user.append(uid); sq_ts.append(t - int(rng.integers(0, 2))); sq_q.append(query_text)
                    u_rows_other += 1
                if art_id is not None and rng.random() < 0.97:
                    read = dwell_i if dwell_i > 3600 else int(round(dwell_i * rng.uniform(0.6, 1.0)))
                    av_user.append(uid); av_ts.append(t + int(rng.integers(0, 3))); av_aid.append(art_id)
                    av_dwell.append(read)
                    u_rows_other += 1
                prev_url = url.split("?")[0] if "utm_" in url or "gclid" in url else url
                t += max(1, dwell_i) + int(rng.integers(0, 4))
            prev_end = t
        if blocked and u_rows_other == 0:
            # nothing logged server-side either: keep the clickstream after all (one landing hit)
            cs_user.append(uid); cs_ts.append(starts[0]); cs_url.append(SITE + "/")
            cs_ref.append(None); cs_dev.append(prim_dev); cs_dwell.append(int(rng.integers(2, 40)))

    # ---- assemble tables (sorted by time, then user)
    def ts_arr(sec_list):
        return start_ts + np.asarray(sec_list, dtype=np.int64).astype("timedelta64[s]")

    def sort_idx(ts, users):
        return np.lexsort((np.asarray(users, dtype=np.int64), np.asarray(ts, dtype=np.int64)))

    o = sort_idx(cs_ts, cs_user)
    cs = pa.table({
        "user_id": pa.array(np.asarray(cs_user, dtype=np.int64)[o], pa.int64()),
        "timestamp": pa.array(ts_arr(cs_ts)[o].astype("datetime64[us]"), pa.timestamp("us")),
        "url": pa.array([cs_url[i] for i in o], pa.string()),
        "referrer": pa.array([cs_ref[i] for i in o], pa.string()),
        "device": pa.array([cs_dev[i] for i in o], pa.string()),
        "time_spent": pa.array(np.asarray(cs_dwell, dtype=np.int64)[o], pa.int64()),
    })
    o = sort_idx(sq_ts, sq_user)
    sq = pa.table({
        "user_id": pa.array(np.asarray(sq_user, dtype=np.int64)[o], pa.int64()),
        "timestamp": pa.array(ts_arr(sq_ts)[o].astype("datetime64[us]"), pa.timestamp("us")),
        "query": pa.array([sq_q[i] for i in o], pa.string()),
    })
    o = sort_idx(av_ts, av_user)
    av = pa.table({
        "user_id": pa.array(np.asarray(av_user, dtype=np.int64)[o], pa.int64()),
        "timestamp": pa.array(ts_arr(av_ts)[o].astype("datetime64[us]"), pa.timestamp("us")),
        "article_id": pa.array(np.asarray(av_aid, dtype=np.int64)[o], pa.int64()),
        "time_spent": pa.array(np.asarray(av_dwell, dtype=np.int64)[o], pa.int64()),
    })
    tr_o = np.argsort(user_ids, kind="stable")
    truth = pa.table({
        "user_id": pa.array(user_ids[tr_o], pa.int64()),
        "persona": pa.array([PERSONAS[i] for i in persona_idx[tr_o]], pa.string()),
        "engagement_rank": pa.array(persona_idx[tr_o].astype(np.int64), pa.int64()),
    })
    pq.write_table(cs, out_dir / "clickstream.parquet")
    pq.write_table(sq, out_dir / "search_queries.parquet")
    pq.write_table(av, out_dir / "article_views.parquet")
    pq.write_table(truth, out_dir / "truth.parquet")
    present = [p for p, c in zip(PERSONAS, counts) if c > 0]
    return {
        "n_users": n_users,
        "personas": list(PERSONAS),
        "true_k": len(present),
        "events": {"clickstream.parquet": cs.num_rows,
                   "search_queries.parquet": sq.num_rows,
                   "article_views.parquet": av.num_rows},
        "shares": sh,
        "separation": float(np.clip(separation, 0.0, 1.0)),
    }


# ---------------------------------------------------------------------------
# page / query builders
# ---------------------------------------------------------------------------
def _page_path(ptype, payload, catalog: Catalog, e, fav, owned, shortlist, cur_cat, on_sale,
               order_counter, rng):
    """Return (path, article_id or None, current category)."""
    focus = e["focus"]
    if ptype == "home":
        return "/", None, cur_cat
    if ptype == "category":
        cat = cur_cat if rng.random() < focus else catalog.pick_cat(rng)
        r = rng.random()
        if r < 0.25:
            return f"/c/{cat}?sort=price_asc&price_max={int(rng.choice([300, 500, 800, 1000, 1500]))}", None, cat
        if r < 0.35:
            return f"/c/{cat}?page={int(rng.integers(2, 6))}", None, cat
        return f"/c/{cat}", None, cat
    if ptype == "product":
        if rng.random() < focus * 0.6 and shortlist:
            pi = shortlist[int(rng.integers(len(shortlist)))]
        else:
            cat = cur_cat if rng.random() < focus else catalog.pick_cat(rng)
            pi = catalog.pick_product(cat, rng, e["new_pref"])
        p = catalog.products[pi]
        sfx = "" if rng.random() < 0.9 else ["#reviews", "#specs", "?tab=reviews", "?variant=2"][int(rng.integers(4))]
        return p["url"] + sfx, None, p["cat"]
    if ptype == "compare":
        cat = cur_cat
        a = shortlist[int(rng.integers(len(shortlist)))] if rng.random() < focus else catalog.pick_product(cat, rng)
        b = catalog.pick_product(catalog.products[a]["cat"], rng)
        if b == a:
            ids = catalog.by_cat[catalog.products[a]["cat"]]
            b = ids[(ids.index(a) + 1 + int(rng.integers(len(ids) - 1))) % len(ids)]
        pa_, pb = catalog.products[a], catalog.products[b]
        if rng.random() < 0.5:
            return f"/compare/{pa_['id']}-vs-{pb['id']}", None, pa_["cat"]
        return f"/compare?ids={pa_['id']},{pb['id']}", None, pa_["cat"]
    if ptype == "guide":
        cat = cur_cat if rng.random() < focus else catalog.pick_cat(rng)
        gi = catalog.pick_guide(cat, rng)
        gid, gcat, url = catalog.guides[gi]
        return url, gid, gcat
    if ptype == "help_article":
        cat = catalog.products[owned]["cat"] if rng.random() < focus else catalog.pick_cat(rng)
        hi = catalog.pick_help(cat, rng)
        aid, _c, url = catalog.help[hi]
        return url, aid, cur_cat
    if ptype == "help_hub":
        if rng.random() < 0.3:
            m = catalog.products[owned]["model"]
            kind = "manuals" if rng.random() < 0.7 else "downloads"
            return f"/support/{kind}/{m.lower()}" + (".pdf" if kind == "manuals" and rng.random() < 0.5 else ""), None, cur_cat
        return HELP_HUB_PAGES[min(int(rng.pareto(1.2)), len(HELP_HUB_PAGES) - 1)], None, cur_cat
    if ptype == "new_arrivals":
        if rng.random() < 0.6:
            return "/new-arrivals", None, cur_cat
        cat = cur_cat if rng.random() < focus else catalog.pick_cat(rng)
        return f"/new-arrivals/{cat}", None, cat
    if ptype == "deals":
        if on_sale:
            return ["/deals/spring-sale", "/deals/spring-sale?cat=" + cur_cat, "/deals"][int(rng.integers(3))], None, cur_cat
        return ["/deals", "/deals/clearance", "/deals/" + cur_cat][int(rng.integers(3))], None, cur_cat
    if ptype == "cart":
        return "/cart", None, cur_cat
    if ptype == "checkout":
        if payload == "confirmation":
            order_counter[0] += int(rng.integers(1, 50))
            return f"/checkout/confirmation?order={order_counter[0]}", None, cur_cat
        return f"/checkout/{payload}", None, cur_cat
    if ptype == "account":
        r = rng.random()
        if r < 0.5:
            return "/account/orders", None, cur_cat
        if r < 0.7:
            return f"/account/orders/{int(rng.integers(10_000_000, 20_000_000))}", None, cur_cat
        if r < 0.85:
            return "/account/wishlist", None, cur_cat
        return "/account/login", None, cur_cat
    return "/", None, cur_cat


def _make_query(qt, catalog: Catalog, e, fav, owned, shortlist, cur_cat, rng):
    focus = e["focus"]

    def some_product(new=0.0):
        if rng.random() < focus * 0.6 and shortlist:
            return shortlist[int(rng.integers(len(shortlist)))]
        cat = cur_cat if rng.random() < focus else catalog.pick_cat(rng)
        return catalog.pick_product(cat, rng, new)

    ctx: dict = {"type": qt}
    if qt == "product_name":
        pi = some_product()
        p = catalog.products[pi]
        words = p["name"].split()
        q = " ".join(words[: int(rng.integers(2, len(words) + 1))])
        ctx["product"] = pi
    elif qt == "model_number":
        pi = some_product(e["new_pref"])
        q = catalog.products[pi]["model"]
        ctx["product"] = pi
    elif qt == "support":
        p = catalog.products[owned]
        ctx["cat"] = p["cat"]
        if rng.random() < 0.25:
            q = GENERIC_SUPPORT_QUERIES[min(int(rng.pareto(0.9)), len(GENERIC_SUPPORT_QUERIES) - 1)]
        else:
            _s, tpl = HELP_TOPICS[int(rng.integers(len(HELP_TOPICS)))]
            short = p["name"] if rng.random() < 0.5 else p["name"].split(" ", 1)[1]
            code = rng.choice([f"E{int(rng.integers(1, 99)):02d}", f"0x{int(rng.integers(0, 2**31)):08X}",
                               f"error {int(rng.integers(100, 999))}", f"{short} error code"])
            q = tpl.format(n=short, c=code, m=p["model"])
    elif qt == "comparison":
        a = some_product()
        b = catalog.pick_product(catalog.products[a]["cat"], rng)
        if b == a:
            ids = catalog.by_cat[catalog.products[a]["cat"]]
            b = ids[(ids.index(a) + 1 + int(rng.integers(len(ids) - 1))) % len(ids)]
        na, nb = catalog.products[a]["name"], catalog.products[b]["name"]
        if rng.random() < 0.5:
            na, nb = na.split(" ", 1)[1], nb.split(" ", 1)[1]
        q = f"{na} vs {nb}" if rng.random() < 0.85 else f"{na} or {nb}"
        ctx["pair"] = (a, b)
    elif qt == "best_under":
        cat = cur_cat
        noun = CATEGORIES[cat][1]
        price = int(rng.choice([100, 150, 200, 300, 400, 500, 600, 800, 1000, 1200, 1500]))
        adj = ["", "", "gaming ", "cheap ", "budget ", "good "][int(rng.integers(6))]
        q = [f"best {adj}{noun} under {price}", f"best {noun} under £{price}",
             f"{adj}{noun} under {price}", f"best {noun} 2024"][int(rng.integers(4))]
        ctx["cat"] = cat
    elif qt == "review":
        pi = some_product()
        name = catalog.products[pi]["name"]
        q = [f"{name} review", f"{name} reviews", f"{name.split(' ', 1)[1]} review",
             f"is {name} worth it"][int(rng.integers(4))]
        ctx["product"] = pi
        ctx["cat"] = catalog.products[pi]["cat"]
    else:  # generic
        cat = cur_cat if rng.random() < focus else catalog.pick_cat(rng)
        noun = CATEGORIES[cat][1]
        q = [noun, noun + "s", f"{noun} sale", f"wireless {noun}", f"4k {noun}", f"{noun} deals",
             "usb c cable", "hdmi cable", "screen protector", f"{noun} case"][min(int(rng.pareto(1.0)), 9)]
        ctx["cat"] = cat
    return _noisy_query(q, rng), ctx


def _follow_page(qt, ctx, catalog: Catalog, e, cur_cat, rng):
    """The page clicked from the search results: (kind, path, article_id)."""
    if qt in ("product_name", "model_number") and "product" in ctx:
        return "product", catalog.products[ctx["product"]]["url"], None
    if qt == "support":
        if rng.random() < 0.75:
            hi = catalog.pick_help(ctx.get("cat", cur_cat), rng)
            aid, _c, url = catalog.help[hi]
            return "help_article", url, aid
        return "help_hub", HELP_HUB_PAGES[int(rng.integers(len(HELP_HUB_PAGES)))], None
    if qt == "comparison" and "pair" in ctx:
        a, b = ctx["pair"]
        if rng.random() < 0.7:
            return "compare", f"/compare/{catalog.products[a]['id']}-vs-{catalog.products[b]['id']}", None
        return "product", catalog.products[a]["url"], None
    if qt in ("best_under", "review"):
        cat = ctx.get("cat", cur_cat)
        if rng.random() < 0.65:
            gid, _c, url = catalog.guides[catalog.pick_guide(cat, rng)]
            return "guide", url, gid
        if "product" in ctx:
            return "product", catalog.products[ctx["product"]]["url"] + "#reviews", None
        return "category", f"/c/{cat}", None
    cat = ctx.get("cat", cur_cat)
    if rng.random() < 0.5:
        return "category", f"/c/{cat}", None
    return "product", catalog.products[catalog.pick_product(cat, rng)]["url"], None


PRICE_SITES = ["https://www.pricerunner.com/pl/{n}/{s}", "https://www.idealo.co.uk/compare/{n}/{s}.html",
               "https://pricespy.co.uk/product.php?p={n}", "https://www.google.com/shopping/product/{n}"]
SOCIAL = ["https://l.facebook.com/l.php?u=shop.example", "https://t.co/{t}", "https://www.instagram.com/",
          "https://news.ycombinator.com/", "https://www.tiktok.com/", "https://lm.facebook.com/"]
SUBS = ["laptops", "headphones", "buildapc", "Android", "hometheater", "SuggestALaptop", "techsupport",
        "apple", "gadgets"]


def _landing_referrer(ch, url, e, fav, owned, catalog: Catalog, rng):
    if ch == "direct":
        return None, url
    if ch == "google_organic":
        if rng.random() < 0.7:
            return "https://www.google.com/", url
        terms = catalog.products[owned]["name"] if "/help" in url or "/support" in url else CATEGORIES[fav[0]][1]
        return "https://www.google.com/search?q=" + quote_plus(terms.lower()), url
    if ch == "bing":
        terms = CATEGORIES[fav[0]][1] if rng.random() < 0.5 else catalog.products[owned]["name"]
        return "https://www.bing.com/search?q=" + quote_plus(terms.lower()) + "&form=QBLH", url
    sep = "&" if "?" in url else "?"
    if ch == "google_ads":
        tok = "".join("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"[int(i)]
                      for i in rng.integers(0, 64, 22))
        if rng.random() < e["ad_params"] + 0.2:
            url = f"{url}{sep}gclid={tok}&utm_source=google&utm_medium=cpc&utm_campaign={fav[0]}"
        return ("https://www.googleadservices.com/" if rng.random() < 0.5 else "https://www.google.com/"), url
    if ch == "price_compare":
        tpl = PRICE_SITES[int(rng.integers(len(PRICE_SITES)))]
        ref = tpl.format(n=int(rng.integers(1_000_000, 9_999_999)), s=fav[0])
        if rng.random() < e["ad_params"] + 0.2:
            src = ref.split("/")[2].replace("www.", "").split(".")[0]
            url = f"{url}{sep}utm_source={src}&utm_medium=referral"
        return ref, url
    if ch == "social":
        s = SOCIAL[int(rng.integers(len(SOCIAL)))]
        if "{t}" in s:
            s = s.format(t="".join("abcdefghijkLMNOP0123456789"[int(i)] for i in rng.integers(0, 26, 10)))
        if rng.random() < e["ad_params"]:
            url = f"{url}{sep}utm_source=facebook&utm_medium=paid_social"
        return s, url
    if ch == "youtube":
        return "https://www.youtube.com/", url
    if ch == "reddit":
        sub = SUBS[int(rng.integers(len(SUBS)))]
        return f"https://www.reddit.com/r/{sub}/comments/{int(rng.integers(10**8, 10**9)):x}/", url
    if ch == "email":
        url = f"{url}{sep}utm_source=newsletter&utm_medium=email&utm_campaign=wk{int(rng.integers(1, 52))}"
        return (None if rng.random() < 0.7 else "https://mail.google.com/"), url
    return None, url


if __name__ == "__main__":  # pragma: no cover - manual smoke run
    import sys
    import time

    t0 = time.time()
    info = generate(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/eshop_out"))
    print(info, f"{time.time() - t0:.1f}s")
