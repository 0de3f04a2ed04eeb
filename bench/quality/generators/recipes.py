"""Synthetic events of a recipe and food site, four weeks, seven personas (written blind).

Written from the persona descriptions only, without looking at how intentseg builds features or segments.
Every user gets sessions; a session has a start (day from a weekly profile or a burst, hour from a daily
profile), an entry referrer, a device, Lognormal many pages (section from a persona mix, page from a Zipf
catalogue), Lognormal dwell times, optionally a shop checkout, and Poisson many site searches. Recipe,
baking, technique, review, news and restaurant pages also land in `article_views` (a separate reading
tracker, so its times differ a little).

`separation` pulls every persona parameter linearly toward the share-weighted average (0 = one behaviour
for all). `shares` overrides the persona shares; personas left out get no users.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

SITE = "https://www.panandpantry.example"
START = np.datetime64("2026-01-05T00:00:00", "us")  # a Monday
START_DOW = 0

SECTIONS = ["home", "recipe", "collection", "baking", "technique", "shop", "review", "news", "restaurant",
            "dashboard", "profile", "mealplan"]
READ = np.array([s in ("recipe", "baking", "technique", "review", "news", "restaurant") for s in SECTIONS])
FACTOR = np.array([0.4, 1.0, 0.9, 1.0, 1.2, 0.8, 0.9, 1.0, 1.0, 1.0, 0.7, 1.1])  # dwell factor per section
FUNNEL_STEPS = ["basket", "delivery", "payment", "confirmation"]
FUNNEL_PATH = "/shop/checkout/{b}/{st}"
REF_KINDS = ["direct", "search", "image", "social", "newsletter", "partner"]
DEVICES = ["phone", "desktop", "tablet"]
QUERY_KINDS = ["ingredient", "dish", "planning", "baking", "deal", "news", "own"]


def _hours(*bumps: tuple[float, float, float]) -> list[float]:
    """A 24-hour profile: a small floor plus circular Gaussian bumps (centre, width, weight)."""
    h = np.arange(24) + 0.5
    out = np.full(24, 0.01)
    for c, w, a in bumps:
        d = np.minimum(np.abs(h - c), 24 - np.abs(h - c))
        out += a * np.exp(-0.5 * (d / w) ** 2)
    return list(out)


# mix order: home recipe collection baking technique shop review news restaurant dashboard profile mealplan
# qmix order: ingredient dish planning baking deal news own; ref: direct search image social newsletter partner
PERSONAS: dict[str, dict] = {
    "one_recipe_visitors": dict(
        share=0.38, weekly=0.31, het=1.0, pages_med=1.0, pages_sigma=0.3, tail=0.2,
        mix=[.02, .88, .03, .05, 0, 0, 0, .01, 0, 0, 0, .01], browse=20, read=55, funnel=0, last_funnel=0,
        search=0.05, qmix=[.5, .5, 0, 0, 0, 0, 0], ref=[.04, .86, .03, .07, 0, 0], device=[.82, .12, .06],
        hours=_hours((12.5, 1.5, .6), (18, 1.5, 1.0), (21, 1.5, .4)), dow=[1, 1, 1, 1, 1, 1.2, 1.3],
        burst_frac=0.0, burst_width=1.0),
    "deal_shoppers": dict(
        share=0.09, weekly=1.2, het=1.5, pages_med=14, pages_sigma=0.5, tail=0.15,
        mix=[.05, .04, .02, 0, 0, .55, .3, .02, 0, 0, 0, .02], browse=18, read=45, funnel=0.12, last_funnel=0.3,
        search=1.5, qmix=[.05, .05, 0, 0, .9, 0, 0], ref=[.12, .2, 0, .05, .03, .6], device=[.4, .55, .05],
        hours=_hours((13, 1, .5), (21, 1.5, 1.0)), dow=[1, 1, 1, 1, 1, 1.2, 1.3],
        burst_frac=0.6, burst_width=2.0),
    "weeknight_cooks": dict(
        share=0.20, weekly=2.5, het=3.0, pages_med=3, pages_sigma=0.4, tail=0.1,
        mix=[.1, .72, .08, .03, .02, 0, 0, .02, 0, 0, 0, .03], browse=30, read=200, funnel=0.005, last_funnel=0,
        search=1.2, qmix=[.85, .15, 0, 0, 0, 0, 0], ref=[.45, .35, 0, .1, .1, 0], device=[.6, .2, .2],
        hours=_hours((18, 0.8, 1.0), (12.5, 1, .08)), dow=[1, 1, 1, 1, .8, .12, .12],
        burst_frac=0.0, burst_width=1.0),
    "meal_planners": dict(
        share=0.12, weekly=1.05, het=6.0, pages_med=28, pages_sigma=0.35, tail=0.2,
        mix=[.04, .5, .25, .03, .02, 0, 0, 0, 0, 0, 0, .16], browse=45, read=110, funnel=0.01, last_funnel=0,
        search=2.0, qmix=[.3, .3, .4, 0, 0, 0, 0], ref=[.7, .15, 0, 0, .15, 0], device=[.05, .5, .45],
        hours=_hours((10.5, 1.5, 1.0), (15.5, 1.5, .6)), dow=[.02, .02, .02, .02, .04, 1, 1],
        burst_frac=0.0, burst_width=1.0),
    "bakers": dict(
        share=0.10, weekly=1.6, het=3.0, pages_med=5, pages_sigma=0.45, tail=0.3,
        mix=[.05, .05, .03, .45, .35, .04, .03, 0, 0, 0, 0, 0], browse=40, read=520, funnel=0.02, last_funnel=0,
        search=0.9, qmix=[.05, .05, 0, .9, 0, 0, 0], ref=[.5, .25, 0, .05, .2, 0], device=[.35, .3, .35],
        hours=_hours((8.5, 1.5, 1.0), (11, 1, .4), (20.5, 1.5, .15)), dow=[.3, .3, .3, .3, .4, 1.6, 1.6],
        burst_frac=0.0, burst_width=1.0),
    "food_news_readers": dict(
        share=0.08, weekly=6.0, het=4.0, pages_med=4, pages_sigma=0.4, tail=0.1,
        mix=[.07, .03, 0, 0, 0, 0, 0, .62, .28, 0, 0, 0], browse=25, read=230, funnel=0, last_funnel=0,
        search=0.04, qmix=[0, .3, 0, 0, 0, .7, 0], ref=[.2, .03, 0, .05, .72, 0], device=[.6, .3, .1],
        hours=_hours((7.8, 1, 1.0), (12.5, .8, .5), (21, 1.5, .3)), dow=[1, 1, 1, 1, 1, .6, .6],
        burst_frac=0.0, burst_width=1.0),
    "pro_contributors": dict(
        share=0.03, weekly=8.0, het=5.0, pages_med=22, pages_sigma=0.45, tail=0.3,
        mix=[.05, .12, .03, .02, 0, 0, 0, .03, 0, .5, .25, 0], browse=35, read=60, funnel=0, last_funnel=0,
        search=1.5, qmix=[0, .1, 0, 0, 0, 0, .9], ref=[.95, .03, 0, .02, 0, 0], device=[.05, .9, .05],
        hours=_hours((10, 2, 1.0), (15, 2, .7), (21, 1.5, .8)), dow=[1, 1, 1, 1, 1, 1, 1],
        burst_frac=0.0, burst_width=1.0),
}
NORMALISED = {"mix", "qmix", "ref", "device", "hours", "dow"}

INGREDIENTS = {"chicken": ["chicken-thigh", "chicken-breast", "whole-chicken", "chicken-wings"],
               "fish": ["salmon", "cod", "prawn", "mackerel", "tuna"], "beef": ["beef-mince", "steak", "brisket"],
               "pork": ["pork-belly", "sausage", "pork-chop", "chorizo"],
               "vegetarian": ["halloumi", "mushroom", "egg", "aubergine", "paneer", "sweet-potato", "spinach"],
               "vegan": ["chickpea", "tofu", "lentil", "black-bean", "cauliflower"]}
ADJ = ["quick", "easy", "one-pan", "creamy", "spicy", "15-minute", "sheet-pan", "slow-cooker", "crispy", "healthy",
       "garlic", "honey-soy", "lemony", "smoky"]
DISHES = ["curry", "traybake", "stir-fry", "pasta", "tacos", "soup", "salad", "stew", "risotto", "noodles", "bake",
          "burgers", "skewers", "pie", "fried-rice", "shakshuka", "lasagne", "chilli", "dal", "gnocchi"]
BAKES = {"bread": ["country-sourdough-loaf", "rye-and-caraway-bread", "high-hydration-focaccia", "seeded-spelt-loaf",
                   "overnight-bagels", "japanese-milk-bread", "baguettes-at-home", "wholewheat-sandwich-loaf",
                   "ciabatta", "brioche", "english-muffins", "pita"],
         "cakes": ["lemon-drizzle-cake", "victoria-sponge", "carrot-cake", "chocolate-fudge-cake", "basque-cheesecake",
                   "olive-oil-cake", "banana-bread", "madeleines", "genoise-sponge", "financiers"],
         "pastry": ["croissants", "pain-au-chocolat", "rough-puff-pastry", "choux-buns", "pasteis-de-nata",
                    "sausage-rolls", "apple-galette", "kouign-amann", "danish-pastries"],
         "cookies": ["brown-butter-chocolate-chip-cookies", "shortbread", "oat-and-raisin-cookies", "macarons",
                     "biscotti", "gingerbread"]}
TECHNIQUES = ["understanding-dough-hydration", "how-to-laminate-dough", "stretch-and-fold-explained",
              "building-a-levain", "bakers-percentages", "reading-your-starter", "cold-retarding-dough",
              "shaping-a-batard", "scoring-bread", "steam-in-a-home-oven", "tempering-chocolate", "italian-meringue",
              "creaming-butter-and-sugar", "blind-baking", "proofing-baskets", "choosing-flour-by-protein",
              "autolyse-explained", "tangzhong-method", "poolish-and-biga", "windowpane-test", "fixing-dense-crumb",
              "sugar-syrup-stages", "caramel-without-fear", "pate-sucree-vs-pate-sablee", "oven-thermometers"]
BRANDS = ["le creuset", "kitchenaid", "ninja", "vitamix", "lodge", "global", "zwilling", "staub", "instant pot",
          "smeg", "kenwood", "tefal", "oxo", "wusthof", "breville", "de buyer", "thermapen"]
PRODUCTS = ["dutch oven 24cm", "stand mixer", "air fryer", "blender", "cast iron skillet", "chef knife 20cm",
            "pressure cooker 6l", "kettle", "food processor", "non stick pan set", "carbon steel pan",
            "digital scale", "probe thermometer", "bread oven"]
CITIES = ["london", "manchester", "bristol", "glasgow", "leeds", "brighton", "edinburgh", "birmingham"]
CUISINES = ["ramen", "pizza", "thai", "brunch", "tapas", "dim-sum", "sunday-roast", "vegan", "curry", "burgers"]
HANDLES = [f"{a}{b}" for a in ["chef", "bakes", "kitchen", "cook", "pantry", "whisk", "crumb", "spice"]
           for b in ["_anna", "bytom", "_lou", "withmaya", "_raj", "_sofia", "jonny", "_kim"]]


def _slug(x: str) -> str:
    return x.replace(" ", "-")


def _catalogue(rng: np.random.Generator) -> dict[str, tuple[np.ndarray, np.ndarray, float]]:
    """Per section: (URL paths, article ids or -1, Zipf exponent); order shuffled so popularity is arbitrary."""
    combos = [(c, f"{a}-{i}-{d}") for c, ings in INGREDIENTS.items() for i in ings for a in ADJ for d in DISHES]
    recipes = [f"/recipes/{c}/{s}" for c, s in (combos[k] for k in rng.choice(len(combos), 1800, replace=False))]
    months = rng.choice(["2025/10", "2025/11", "2025/12", "2026/01", "2026/02"], 500, p=[.1, .15, .25, .4, .1])
    news_t = ["{c}-restaurant-openings-this-month", "michelin-guide-2026-results-{c}", "food-prices-{p}-rise",
              "chef-leaves-{c}-flagship", "the-food-trends-of-2026-part-{n}", "supermarket-recall-{p}",
              "{c}-street-food-market-closes", "interview-{h}", "why-{p}-costs-more-this-year", "{c}-bakery-queue"]
    news = [f"/news/{m}/" + news_t[t].format(c=c, p=p, n=n, h=h) for m, t, c, p, n, h in zip(
        months, rng.integers(0, len(news_t), 500), rng.choice(CITIES, 500), rng.choice(["eggs", "butter", "cocoa",
        "olive-oil", "coffee", "rice", "beef"], 500), rng.integers(1, 9, 500), rng.choice(HANDLES, 500))]
    sec: dict[str, list[str]] = {
        "home": ["/", "/?ref=logo", "/recipes", "/baking", "/index.html"],
        "recipe": recipes,
        "collection": [f"/collections/{x}" + p for x in [
            "weeknight-dinners", "meal-prep", "sunday-roasts", "budget-family-meals", "vegetarian-week",
            "freezer-friendly", "30-minute-meals", "summer-salads", "one-pot", "batch-cooking", "lunchbox",
            "slow-cooker", "high-protein", "kids-favourites", "christmas", "easter", "date-night", "air-fryer"]
            for p in ("", "?page=2", "?page=3")],
        "baking": [f"/baking/{c}/{b}{v}" for c, bs in BAKES.items() for b in bs
                   for v in ("", "-beginners", "-with-poolish", "-small-batch")],
        "technique": [f"/baking/techniques/{t}" for t in TECHNIQUES],
        "shop": [f"/shop/{_slug(p)}/{_slug(b)}-{_slug(p)}" for b in BRANDS for p in PRODUCTS][::2]
        + ["/shop", "/shop/deals", "/shop/new-in", "/shop/compare"],
        "review": [f"/reviews/best-{_slug(p)}-2026" for p in PRODUCTS]
        + [f"/reviews/{_slug(b)}-{_slug(p)}-review" for b in BRANDS for p in PRODUCTS][::5],
        "news": news,
        "restaurant": [f"/restaurants/{c}/best-{x}" for c in CITIES for x in CUISINES]
        + [f"/restaurants/{c}/{h.strip('_')}-{x}-review" for c, h, x in zip(
            rng.choice(CITIES, 150), rng.choice(HANDLES, 150), rng.choice(CUISINES, 150))],
        "dashboard": ["/dashboard", "/dashboard/recipes", "/dashboard/recipes/new", "/dashboard/stats",
                      "/dashboard/comments?status=pending", "/moderation/queue", "/dashboard/drafts"]
        + [f"/dashboard/recipes/{x}/edit" for x in rng.integers(100_000, 999_999, 200)]
        + [f"/moderation/reports/{x}" for x in rng.integers(10_000, 99_999, 60)],
        "profile": [f"/u/{h}" + p for h in HANDLES for p in ("", "/recipes", "/followers")],
        "mealplan": ["/meal-planner", "/meal-planner/shopping-list", "/meal-planner/saved", "/meal-planner/settings"]
        + [f"/meal-planner/week/{w}" for w in range(1, 53)],
    }
    zipf = {"home": 1.6, "recipe": 1.0, "collection": 1.0, "baking": 1.0, "technique": 0.9, "shop": 0.9,
            "review": 1.0, "news": 0.8, "restaurant": 0.9, "dashboard": 1.2, "profile": 1.0, "mealplan": 1.2}
    out = {}
    next_id = 700_000
    for s in SECTIONS:
        urls = np.array(sec[s], dtype=object)[rng.permutation(len(sec[s]))]
        ids = np.full(len(urls), -1, dtype=np.int64)
        if READ[SECTIONS.index(s)]:
            ids = next_id + rng.permutation(len(urls) * 3)[: len(urls)].astype(np.int64)
            next_id += len(urls) * 3 + 1000
        out[s] = (urls, ids, zipf[s])
    return out


def _shares(shares: dict[str, float] | None) -> np.ndarray:
    names = list(PERSONAS)
    if shares is None:
        w = np.array([PERSONAS[n]["share"] for n in names], float)
    else:
        unknown = set(shares) - set(names)
        if unknown:
            raise ValueError(f"unknown personas {sorted(unknown)}; expected some of {names}")
        w = np.array([float(shares.get(n, 0.0)) for n in names])
        if (w < 0).any() or w.sum() <= 0:
            raise ValueError("shares must be >= 0 with a positive sum")
    return w / w.sum()


def _blend(w: np.ndarray, separation: float) -> dict[str, np.ndarray]:
    """Every parameter as an array over personas, pulled toward the share-weighted average by 1 - separation."""
    out = {}
    for key in next(iter(PERSONAS.values())):
        v = np.array([np.asarray(p[key], float) for p in PERSONAS.values()])
        if key in NORMALISED:
            v = v / v.sum(axis=-1, keepdims=True)
        avg = np.tensordot(w, v, axes=1)
        out[key] = separation * v + (1 - separation) * avg
    return out


def _pick(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One categorical draw per row, from the probability vector of that row's persona."""
    cum = np.cumsum(probs / probs.sum(axis=-1, keepdims=True), axis=-1)
    u = rng.random(len(rows))
    return np.minimum((u[:, None] > cum[rows]).sum(axis=1), probs.shape[-1] - 1)


def _assign(rng: np.random.Generator, w: np.ndarray, n: int) -> np.ndarray:
    """Exact persona counts (largest remainder), in random order."""
    raw = w * n
    cnt = np.floor(raw).astype(int)
    cnt[np.argsort(-(raw - cnt), kind="stable")[: n - cnt.sum()]] += 1
    return rng.permutation(np.repeat(np.arange(len(w)), cnt))


def _referrers(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    pools = {
        "search": ["https://www.google.com/", "https://www.google.co.uk/", "https://www.bing.com/",
                   "https://duckduckgo.com/", "https://search.yahoo.com/", "https://www.ecosia.org/",
                   "android-app://com.google.android.googlequicksearchbox/", "https://www.google.com/search"],
        "image": ["https://www.google.com/imgres", "https://images.google.com/"]
        + [f"https://www.pinterest.co.uk/pin/{x}/" for x in rng.integers(10**11, 10**12, 30)],
        "social": ["https://www.facebook.com/", "https://l.facebook.com/", "https://www.instagram.com/",
                   "https://l.instagram.com/", "https://www.tiktok.com/", "https://www.reddit.com/r/Cooking/",
                   "https://www.youtube.com/", "https://www.pinterest.com/", "https://www.reddit.com/r/Breadit/"]
        + [f"https://t.co/{x:x}" for x in rng.integers(16**9, 16**10, 15)],
        "newsletter": ["https://mail.google.com/", "https://outlook.live.com/", "https://mail.yahoo.com/"]
        + [f"https://newsletter.panandpantry.example/daily/{d}" for d in range(1, 29)]
        + [f"https://email.panandpantry.example/c/{x:x}" for x in rng.integers(16**11, 16**12, 20)],
        "partner": ["https://www.idealo.co.uk/", "https://www.pricerunner.com/", "https://www.google.com/shopping",
                    "https://pricespy.co.uk/", "https://www.hotukdeals.com/", "https://camelcamelcamel.com/",
                    "https://www.kelkoo.co.uk/"],
    }
    out = np.full(len(kind), None, dtype=object)
    for k, pool in pools.items():
        idx = np.flatnonzero(kind == REF_KINDS.index(k))
        # a few referrers dominate each pool
        p = 1 / np.arange(1, len(pool) + 1) ** 1.2
        out[idx] = np.array(pool, dtype=object)[rng.choice(len(pool), len(idx), p=p / p.sum())]
    return out


def _device_labels(rng: np.random.Generator, cls: np.ndarray, user: np.ndarray, n_users: int) -> np.ndarray:
    labels = {
        "phone": ["iPhone", "iphone", "iPhone 14 Pro", "Android", "android-mobile", "Mobile Safari", "SM-G991B",
                  "Pixel 7", "mobile", "Redmi Note 10", "Mobile"],
        "desktop": ["Desktop", "desktop", "Windows 10 / Chrome", "Mac OS X", "Macintosh", "Linux x86_64", "PC",
                    "Chrome on Windows", "Windows"],
        "tablet": ["iPad", "ipad", "Tablet", "Android Tablet", "SM-T870", "Kindle Fire", "tablet"],
    }
    out = np.empty(len(cls), dtype=object)
    pick = rng.random(n_users)  # a user keeps the same label for a device class
    for i, d in enumerate(DEVICES):
        idx = np.flatnonzero(cls == i)
        out[idx] = np.array(labels[d], dtype=object)[(pick[user[idx]] * len(labels[d])).astype(int)]
    out[rng.random(len(cls)) < 0.01] = "unknown"
    return out


def _sessions(rng: np.random.Generator, persona: np.ndarray, par: dict, days: int) -> dict[str, np.ndarray]:
    n = len(persona)
    shape = par["het"][persona]
    g = rng.gamma(shape, 1 / shape)
    g[rng.random(n) < 0.002] *= 15  # a few compulsive visitors
    ns = 1 + rng.poisson(np.maximum(par["weekly"][persona] * days / 7 - 1, 0) * g)
    user = np.repeat(np.arange(n), ns)
    p = persona[user]
    m = len(user)
    day = _pick(rng, par["dow"][:, (START_DOW + np.arange(days)) % 7], p)
    centers = rng.integers(0, days, size=(n, 2))
    c = centers[user, (rng.random(m) < 0.3).astype(int)]
    bday = np.clip(np.rint(c - np.abs(rng.normal(0, par["burst_width"][p]))), 0, days - 1).astype(int)
    day = np.where(rng.random(m) < par["burst_frac"][p], bday, day)
    hour = _pick(rng, par["hours"], p)
    start = (day * 86400 + hour * 3600 + rng.integers(0, 3600, m)).astype(np.int64) * 1_000_000
    main_dev = _pick(rng, par["device"], persona)
    dev = np.where(rng.random(m) < 0.12, _pick(rng, par["device"], p), main_dev[user])
    ref_kind = _pick(rng, par["ref"], p)
    order = np.lexsort((start, user))
    last = np.zeros(m, bool)
    last[order[np.r_[user[order][1:] != user[order][:-1], True]]] = True
    return dict(user=user, p=p, start=start, device=_device_labels(rng, dev, user, n), ref_kind=ref_kind,
                ref=_referrers(rng, ref_kind), last=last)


def _pages(rng: np.random.Generator, s: dict, par: dict, cat: dict) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    p, m = s["p"], len(s["p"])
    npg = np.maximum(1, np.rint(rng.lognormal(np.log(par["pages_med"][p]), par["pages_sigma"][p]))).astype(int)
    npg[rng.random(m) < 0.001] *= 12  # the odd marathon session
    fun = (rng.random(m) < par["funnel"][p]) | (s["last"] & (rng.random(m) < par["last_funnel"][p]))
    flen = np.where(fun, np.minimum(rng.geometric(0.3, m), len(FUNNEL_STEPS)), 0)
    tot = npg + flen
    first = np.cumsum(tot) - tot
    row_s = np.repeat(np.arange(m), tot)
    r = len(row_s)
    pos = np.arange(r) - first[row_s]
    pr = p[row_s]
    sec = _pick(rng, par["mix"], pr)
    is_f = pos >= npg[row_s]
    url = np.empty(r, dtype=object)
    aid = np.full(r, -1, dtype=np.int64)
    for i, name in enumerate(SECTIONS):
        idx = np.flatnonzero((sec == i) & ~is_f)
        urls, ids, a = cat[name]
        w = 1 / np.arange(1, len(urls) + 1) ** a
        k = np.searchsorted(np.cumsum(w / w.sum()), rng.random(len(idx)), side="right")
        tail = rng.random(len(idx)) < par["tail"][pr[idx]]
        k = np.minimum(np.where(tail, rng.integers(0, len(urls), len(idx)), k), len(urls) - 1)
        url[idx], aid[idx] = urls[k], ids[k]
    fidx = np.flatnonzero(is_f)
    booking = rng.integers(16**7, 16**8, m)
    steps = np.array(FUNNEL_STEPS, dtype=object)[pos[fidx] - npg[row_s[fidx]]]
    url[fidx] = [FUNNEL_PATH.format(b=f"{b:x}", st=st) for b, st in zip(booking[row_s[fidx]], steps)]
    med = np.where(READ[sec], par["read"][pr], par["browse"][pr]) * FACTOR[sec]
    med = np.where(is_f, par["browse"][pr] * 0.6, med)
    dwell = np.maximum(1, np.rint(rng.lognormal(np.log(med), 0.7)))
    tab = rng.random(r) < 0.002  # a tab left open for hours
    dwell[tab] = rng.integers(2 * 3600, 10 * 3600, tab.sum())
    step = dwell + np.rint(rng.lognormal(np.log(3), 0.8))
    excl = np.cumsum(step) - step
    ts = s["start"][row_s] + ((excl - excl[first][row_s]) * 1_000_000).astype(np.int64) + rng.integers(0, 10**6, r)
    spent = dwell.astype(np.int64)
    is_last = pos == tot[row_s] - 1
    spent[is_last & (rng.random(r) < 0.15)] = 0  # exit page: the tracker never saw the next hit
    land = pos == 0
    nl = land & (s["ref_kind"][row_s] == REF_KINDS.index("newsletter"))
    url[nl] = [u + ("&" if "?" in u else "?") + f"utm_source=newsletter&utm_medium=email&utm_campaign=w{w}"
               for u, w in zip(url[nl], 9 + ts[nl] // (7 * 86400 * 10**6))]
    full = SITE + pd.Series(url).to_numpy(dtype=object)
    ref = np.where(land, s["ref"][row_s], np.concatenate([np.array([None], dtype=object), full[:-1]]))
    clicks = pd.DataFrame({"user_id": s["user"][row_s], "ts": ts, "url": full, "referrer": ref,
                           "device": s["device"][row_s], "time_spent": spent})
    dup = np.flatnonzero(rng.random(r) < 0.004)  # double-fired hits
    clicks = pd.concat([clicks, clicks.iloc[dup]], ignore_index=True)
    ai = np.flatnonzero(aid >= 0)
    views = pd.DataFrame({"user_id": s["user"][row_s[ai]], "ts": ts[ai] + rng.integers(0, 5 * 10**6, len(ai)),
                          "article_id": aid[ai],
                          "time_spent": np.maximum(1, np.rint(dwell[ai] * rng.uniform(0.55, 0.95, len(ai))))
                          .astype(np.int64)})
    duration = np.bincount(row_s, weights=step, minlength=m)
    return clicks, views, duration


def _fill(rng: np.random.Generator, kind: str, n: int) -> list[str]:
    ings = [i.replace("-", " ") for v in INGREDIENTS.values() for i in v]
    dishes = [d.replace("-", " ") for d in DISHES] + [b.replace("-", " ") for v in BAKES.values() for b in v[:4]]
    tpl = {
        "ingredient": ["{ing} quick", "{ing} {ing2} dinner", "what to make with {ing} and {ing2}", "{ing} 20 minutes",
                       "easy {ing} recipe", "leftover {ing}", "{ing} recipes for tonight", "{ing} one pan",
                       "{ing} without oven", "{ing} {dish}", "{ing} and rice"],
        "dish": ["{dish} recipe", "best {dish}", "easy {dish}", "{dish} vegetarian", "how long to cook {ing}",
                 "{dish} like restaurant", "authentic {dish}", "{dish} for 2", "{dish}"],
        "planning": ["meal prep ideas for the week", "batch cooking {diet}", "freezer meals family of {n}",
                     "weekly meal plan under {price}", "sunday roast timings", "{diet} meal plan", "make ahead lunches",
                     "cheap family meals {n} people", "what to cook this week", "{diet} dinners for the week"],
        "baking": ["sourdough hydration", "levain ratio", "autolyse time", "croissant lamination temperature",
                   "choux pastry collapsing", "baker's percentage", "rye starter feeding schedule", "tangzhong ratio",
                   "poolish vs biga", "bulk fermentation {t}c", "windowpane test", "{flour} protein content",
                   "cold retard {n} hours", "banneton rice flour", "pate sucree blind bake",
                   "italian meringue temperature", "butter block lamination", "{h}% hydration focaccia",
                   "starter not rising", "ear on sourdough"],
        "deal": ["{brand} {product} price", "{brand} {product} deal", "{brand} black friday",
                 "best {product} under {price}", "{brand} vs {brand2} {product}", "{brand} {product} discount code",
                 "{product} sale", "{brand} outlet", "{brand} {product} review", "cheapest {product}"],
        "news": ["{city} restaurant openings", "michelin stars 2026", "new restaurants {city}", "food news",
                 "egg prices", "{city} best {cuisine}"],
        "own": ["my {dish}", "{handle} recipes", "{handle} {dish}", "{dish} {handle}", "comments {dish}", "my drafts",
                "{handle}"],
    }[kind]
    slots = dict(ing=rng.choice(ings, n), ing2=rng.choice(ings, n), dish=rng.choice(dishes, n),
                 diet=rng.choice(["vegetarian", "vegan", "low carb", "high protein", "family", "gluten free"], n),
                 n=rng.integers(2, 7, n), price=rng.choice(["£50", "50 pounds", "£300", "200", "£100"], n),
                 t=rng.integers(20, 28, n), flour=rng.choice(["bread flour", "type 00", "spelt", "rye"], n),
                 h=rng.choice([65, 70, 75, 80, 85], n), brand=rng.choice(BRANDS, n), brand2=rng.choice(BRANDS, n),
                 product=rng.choice(PRODUCTS, n), city=rng.choice(CITIES, n),
                 cuisine=[c.replace("-", " ") for c in rng.choice(CUISINES, n)], handle=rng.choice(HANDLES, n))
    t = rng.integers(0, len(tpl), n)
    keys = list(slots)
    cols = [slots[k] for k in keys]
    return [tpl[t[i]].format(**dict(zip(keys, (c[i] for c in cols)))) for i in range(n)]


def _queries(rng: np.random.Generator, s: dict, par: dict, duration: np.ndarray, n_users: int) -> pd.DataFrame:
    gq = rng.gamma(2.0, 0.5, n_users)
    nq = rng.poisson(par["search"][s["p"]] * gq[s["user"]])
    qs = np.repeat(np.arange(len(nq)), nq)
    kind = _pick(rng, par["qmix"], s["p"][qs])
    text = np.empty(len(qs), dtype=object)
    for i, k in enumerate(QUERY_KINDS):
        idx = np.flatnonzero(kind == i)
        text[idx] = _fill(rng, k, len(idx))
    typo = np.flatnonzero(rng.random(len(qs)) < 0.03)
    for i, j in zip(typo, rng.random(len(typo))):
        q = text[i]
        k = int(j * (len(q) - 1))
        text[i] = q[:k] + q[k + 1: k + 2] + q[k: k + 1] + q[k + 2:]
    cap = rng.random(len(qs)) < 0.05
    text[cap] = [q.capitalize() for q in text[cap]]
    off = (rng.random(len(qs)) * (duration[qs] + 60) * 1_000_000).astype(np.int64)
    return pd.DataFrame({"user_id": s["user"][qs], "ts": s["start"][qs] + off, "query": text})


def _write(df: pd.DataFrame, path: Path, cols: list[tuple[str, pa.DataType]]) -> int:
    df = df.sort_values(["ts", "user_id"], kind="stable")
    arrays = []
    for name, typ in cols:
        v = df["ts"].to_numpy() + START if name == "timestamp" else df[name].to_numpy()
        arrays.append(pa.array(v, type=typ, from_pandas=True))
    pq.write_table(pa.Table.from_arrays(arrays, names=[c for c, _ in cols]), path)
    return len(df)


def generate(out_dir: Path, n_users: int = 8000, seed: int = 0, separation: float = 1.0,
             shares: dict[str, float] | None = None, days: int = 28) -> dict:
    if n_users < 1 or days < 1:
        raise ValueError("n_users and days must be >= 1")
    if not 0.0 <= separation <= 1.0:
        raise ValueError("separation must be in [0, 1]")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = list(PERSONAS)
    w = _shares(shares)
    rng = np.random.default_rng(seed)
    cat = _catalogue(np.random.default_rng([seed, 7]))
    persona = _assign(rng, w, n_users)
    par = _blend(w, separation)
    s = _sessions(rng, persona, par, days)
    clicks, views, duration = _pages(rng, s, par, cat)
    queries = _queries(rng, s, par, duration, n_users)
    ts, i64, st = pa.timestamp("us"), pa.int64(), pa.string()
    events = {
        "clickstream.parquet": _write(clicks, out_dir / "clickstream.parquet", [
            ("user_id", i64), ("timestamp", ts), ("url", st), ("referrer", st), ("device", st), ("time_spent", i64)]),
        "search_queries.parquet": _write(queries, out_dir / "search_queries.parquet", [
            ("user_id", i64), ("timestamp", ts), ("query", st)]),
        "article_views.parquet": _write(views, out_dir / "article_views.parquet", [
            ("user_id", i64), ("timestamp", ts), ("article_id", i64), ("time_spent", i64)]),
    }
    truth = pa.table({"user_id": pa.array(np.arange(n_users), i64),
                      "persona": pa.array(np.array(names, dtype=object)[persona], st),
                      "engagement_rank": pa.array(persona, i64)})
    pq.write_table(truth, out_dir / "truth.parquet")
    return {"n_users": n_users, "personas": names, "true_k": int((np.bincount(persona, minlength=len(w)) > 0).sum()),
            "events": events}
