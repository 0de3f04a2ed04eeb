"""Synthetic events of a travel booking and guides site, five weeks, four personas (written blind).

Written from the persona descriptions only, without looking at how intentseg builds features or segments.
Every user gets sessions; a session has a start (day from a weekly profile or a burst, hour from a daily
profile), an entry referrer, a device, Lognormal many pages (section from a persona mix, page from a Zipf
catalogue), Lognormal dwell times, optionally a booking funnel, and Poisson many site searches. Guide and
story pages also land in `article_views` (a separate reading tracker, so its times differ a little).

`separation` pulls every persona parameter linearly toward the share-weighted average (0 = one behaviour
for all). `shares` overrides the persona shares; personas left out get no users.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

SITE = "https://www.wanderly.example"
START = np.datetime64("2026-03-02T00:00:00", "us")  # a Monday
START_DOW = 0

SECTIONS = ["home", "photos", "inspiration", "destination", "flights", "hotels", "deals", "guides", "stories",
            "account", "help"]
READ = np.array([s in ("guides", "stories") for s in SECTIONS])
FACTOR = np.array([0.4, 0.7, 0.9, 1.0, 1.2, 1.3, 0.8, 1.0, 1.3, 0.6, 1.0])  # dwell factor per section
FUNNEL_STEPS = ["travellers", "extras", "seats", "payment", "confirmation"]
REF_KINDS = ["direct", "search", "image", "social", "newsletter", "partner"]
DEVICES = ["phone", "desktop", "tablet"]
QUERY_KINDS = ["inspire", "plan", "route", "obscure", "service"]


def _hours(*bumps: tuple[float, float, float]) -> list[float]:
    """A 24-hour profile: a small floor plus circular Gaussian bumps (centre, width, weight)."""
    h = np.arange(24) + 0.5
    out = np.full(24, 0.01)
    for c, w, a in bumps:
        d = np.minimum(np.abs(h - c), 24 - np.abs(h - c))
        out += a * np.exp(-0.5 * (d / w) ** 2)
    return list(out)


#            home photo insp dest flig hotl deal guid stor acct help
PERSONAS: dict[str, dict] = {
    "dreamers": dict(
        share=0.45, weekly=0.5, het=1.2, pages_med=3.5, pages_sigma=0.6, tail=0.1,
        mix=[.08, .35, .22, .15, .03, .04, .05, .07, .01, 0, 0], browse=35, read=95, funnel=0.01, last_funnel=0.03,
        search=0.15, qmix=[.8, .15, 0, .02, .03], ref=[.1, .1, .25, .5, .03, .02], device=[.85, .08, .07],
        hours=_hours((13, 1.2, .5), (21, 1.8, 1.0), (8, 1, .2)), dow=[1, 1, 1, 1, 1.1, 1.4, 1.4],
        burst_frac=0.0, burst_width=1.0),
    "business_travellers": dict(
        share=0.20, weekly=3.6, het=2.5, pages_med=4, pages_sigma=0.4, tail=0.15,
        mix=[.12, 0, 0, .02, .5, .2, 0, .01, 0, .12, .03], browse=14, read=40, funnel=0.35, last_funnel=0.3,
        search=1.0, qmix=[0, .05, .85, 0, .1], ref=[.85, .1, 0, .02, .01, .02], device=[.4, .55, .05],
        hours=_hours((9, 1.5, 1.0), (14, 2.5, .9), (17.5, 1, .4)), dow=[1, 1, 1, 1, 1, .08, .08],
        burst_frac=0.0, burst_width=1.0),
    "planners": dict(
        share=0.25, weekly=1.8, het=2.0, pages_med=12, pages_sigma=0.5, tail=0.15,
        mix=[.05, .03, .02, .1, .3, .3, .06, .12, .01, .01, 0], browse=75, read=220, funnel=0.12, last_funnel=0.6,
        search=2.5, qmix=[.05, .85, .05, 0, .05], ref=[.3, .55, .02, .05, .05, .03], device=[.15, .75, .10],
        hours=_hours((12.5, 1, .5), (20.5, 1.6, 1.0)), dow=[1, 1, 1, 1, 1, 1.1, 1.2],
        burst_frac=0.85, burst_width=1.5),
    "enthusiasts": dict(
        share=0.10, weekly=6.0, het=3.0, pages_med=6, pages_sigma=0.5, tail=0.6,
        mix=[.06, .1, .05, .1, .02, .02, .01, .4, .24, 0, 0], browse=50, read=720, funnel=0.02, last_funnel=0.15,
        search=0.6, qmix=[.1, .05, 0, .85, 0], ref=[.3, .1, 0, .05, .55, 0], device=[.3, .45, .25],
        hours=_hours((20.5, 2, 1.0), (11, 2.5, .35), (15, 2, .25)), dow=[.8, .8, .8, .8, 1, 2, 2],
        burst_frac=0.0, burst_width=1.0),
}
NORMALISED = {"mix", "qmix", "ref", "device", "hours", "dow"}

PLACES = {
    "portugal": ["lisbon", "porto", "lagos", "sintra", "madeira", "azores"],
    "spain": ["barcelona", "madrid", "seville", "valencia", "mallorca", "granada"],
    "italy": ["rome", "florence", "venice", "naples", "amalfi-coast", "sicily", "bologna"],
    "france": ["paris", "nice", "lyon", "bordeaux", "provence", "corsica"],
    "greece": ["athens", "santorini", "crete", "naxos", "corfu"],
    "croatia": ["dubrovnik", "split", "hvar"], "iceland": ["reykjavik", "westfjords", "akureyri"],
    "japan": ["tokyo", "kyoto", "osaka", "hokkaido"], "thailand": ["bangkok", "chiang-mai", "krabi", "koh-lanta"],
    "usa": ["new-york", "san-francisco", "chicago", "new-orleans"],
    "uk": ["london", "edinburgh", "isle-of-skye", "cornwall"], "norway": ["oslo", "lofoten", "tromso", "bergen"],
    "morocco": ["marrakech", "fes", "essaouira"], "mexico": ["mexico-city", "oaxaca", "tulum"],
    "faroe-islands": ["torshavn", "gasadalur"], "georgia": ["tbilisi", "kazbegi", "svaneti"],
}
AIRPORTS = {"LHR": "heathrow", "LGW": "gatwick", "MAN": "manchester", "FRA": "frankfurt", "MUC": "munich",
            "CDG": "charles de gaulle", "AMS": "schiphol", "MAD": "madrid barajas", "BCN": "barcelona el prat",
            "LIS": "lisbon", "OPO": "porto", "FCO": "fiumicino", "MXP": "malpensa", "ATH": "athens", "DUB": "dublin",
            "ZRH": "zurich", "VIE": "vienna", "CPH": "copenhagen", "ARN": "arlanda", "OSL": "oslo gardermoen",
            "BRU": "brussels", "JFK": "jfk", "EWR": "newark", "BOS": "logan", "ORD": "ohare", "SFO": "sfo",
            "HND": "haneda", "BKK": "suvarnabhumi", "KEF": "keflavik", "WAW": "warsaw chopin", "PRG": "prague",
            "BER": "berlin brandenburg", "EDI": "edinburgh"}
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "sunday"]
OBSCURE = ["gasadalur", "mykines", "hornstrandir", "ushguli svaneti", "reine lofoten", "tusheti", "ilha do corvo",
           "flores azores", "vis island", "lastovo", "sark", "st kilda", "fogo island", "kvarken archipelago",
           "pico do arieiro", "monsaraz alentejo", "matera sassi", "procida", "tinos", "amorgos", "valle verzasca",
           "rila monastery", "berat", "theth valley", "gjirokaster", "gergeti trinity", "naoshima", "kamikochi",
           "iya valley", "hallstatt off season", "chefchaouen", "isle of eigg", "saba island", "socotra"]
REGIONS = ["europe", "asia", "the mediterranean", "scandinavia", "the balkans", "the caribbean", "south america"]


def _catalogue(rng: np.random.Generator) -> dict[str, tuple[np.ndarray, np.ndarray, float]]:
    """Per section: (URL paths, article ids or -1, Zipf exponent); order shuffled so popularity is arbitrary."""
    cities = [(c, t) for c, ts in PLACES.items() for t in ts]
    iata = list(AIRPORTS)
    guide_t = ["{t}-3-days", "{t}-weekend-itinerary", "best-time-to-visit-{t}", "where-to-stay-in-{t}",
               "{t}-on-a-budget", "{t}-with-kids", "hidden-gems-{t}", "{t}-food-guide", "day-trips-from-{t}",
               "{t}-for-first-timers"]
    story_t = ["a-week-walking-the-{t}-coast", "slow-train-through-{c}", "the-last-ferry-from-{t}",
               "seven-nights-in-{t}-alone", "what-{t}-taught-me-about-slowing-down", "{t}-out-of-season",
               "eating-my-way-through-{t}"]
    themes = ["beaches-europe", "honeymoon", "winter-sun", "road-trips", "islands", "mountain-escapes", "city-breaks",
              "bucket-list", "instagrammable-places", "northern-lights", "vineyards", "lakes", "desert-camps"]
    hotel_w = ["grand", "casa", "boutique", "palace", "harbour", "old-town", "garden", "riverside", "central", "loft"]
    sec: dict[str, list[str]] = {
        "home": ["/", "/?lang=en", "/en-gb/", "/index.html"],
        "photos": [f"/destinations/{c}/{t}/photos" + (f"/{i}" if i else "") for c, t in cities for i in range(8)],
        "inspiration": [f"/inspiration/{x}" for x in themes] + [f"/inspiration/{x}/page-{i}" for x in themes
                                                                 for i in (2, 3)],
        "destination": [f"/destinations/{c}/{t}" for c, t in cities] + [f"/destinations/{c}" for c in PLACES],
        "flights": [f"/flights/{a.lower()}-{b.lower()}" for a in iata for b in iata if a != b][::3]
        + [f"/flights/results?from={a}&to={b}&depart=2026-{m:02d}-{d:02d}&adults={n}"
           for a, b, m, d, n in zip(rng.choice(iata, 400), rng.choice(iata, 400), rng.integers(3, 10, 400),
                                    rng.integers(1, 29, 400), rng.integers(1, 5, 400)) if a != b]
        + [f"/airports/{a.lower()}" for a in iata],
        "hotels": [f"/hotels/{c}/{t}/{w}-{t}-{i}" for c, t in cities for w in hotel_w[:6] for i in (1, 2)]
        + [f"/hotels/{c}/{t}?checkin=2026-{m:02d}-{d:02d}&nights={n}" for (c, t), m, d, n in
           zip([cities[i] for i in rng.integers(0, len(cities), 300)], rng.integers(3, 10, 300),
               rng.integers(1, 28, 300), rng.integers(1, 8, 300))],
        "deals": [f"/deals/{x}" for x in ["last-minute", "city-breaks-under-200", "summer-sale", "package-holidays",
                                          "flash-sale", "long-haul", "weekend-getaways", "family"]],
        "guides": [f"/guides/{c}/" + g.format(t=t) for c, t in cities for g in guide_t],
        "stories": ["/stories/" + s.format(t=t, c=c) for c, t in cities for s in story_t],
        "account": ["/account/trips", "/account/profile", "/account/saved", "/account/login", "/account/receipts"]
        + [f"/account/trips/{x}" for x in rng.integers(10_000_000, 99_999_999, 60)],
        "help": [f"/help/{x}" for x in ["baggage", "cancellation", "check-in", "refunds", "contact", "name-change"]],
    }
    zipf = {"home": 1.6, "photos": 1.0, "inspiration": 0.9, "destination": 1.0, "flights": 0.9, "hotels": 0.8,
            "deals": 1.1, "guides": 1.0, "stories": 0.9, "account": 1.3, "help": 1.1}
    out = {}
    next_id = 40_000
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
    for key in PERSONAS["dreamers"]:
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
        "search": ["https://www.google.com/", "https://www.google.co.uk/", "https://www.google.de/",
                   "https://www.bing.com/", "https://duckduckgo.com/", "https://search.yahoo.com/",
                   "https://www.ecosia.org/", "android-app://com.google.android.googlequicksearchbox/"],
        "image": ["https://www.google.com/imgres", "https://images.google.com/", "https://www.bing.com/images/search"]
        + [f"https://www.pinterest.com/pin/{x}/" for x in rng.integers(10**11, 10**12, 30)],
        "social": ["https://www.instagram.com/", "https://l.instagram.com/", "https://l.facebook.com/",
                   "https://m.facebook.com/", "https://www.tiktok.com/", "https://www.reddit.com/r/travel/",
                   "https://www.youtube.com/", "https://www.pinterest.com/", "https://lm.facebook.com/"]
        + [f"https://t.co/{x:x}" for x in rng.integers(16**9, 16**10, 15)],
        "newsletter": ["https://mail.google.com/", "https://outlook.live.com/", "https://mail.yahoo.com/"]
        + [f"https://newsletter.wanderly.example/issue/{i}" for i in range(180, 190)]
        + [f"https://click.wanderly.example/?e={x:x}" for x in rng.integers(16**11, 16**12, 20)],
        "partner": ["https://www.skyscanner.net/", "https://www.kayak.com/", "https://www.google.com/travel/flights",
                    "https://www.trivago.com/", "https://www.momondo.com/", "https://www.kayak.co.uk/"],
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
    url[fidx] = [f"/booking/{b:x}/{st}" for b, st in zip(booking[row_s[fidx]], steps)]
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
    cities = [t.replace("-", " ") for ts in PLACES.values() for t in ts]
    countries = [c.replace("-", " ") for c in PLACES]
    iata = list(AIRPORTS)
    tpl = {
        "inspire": ["best beaches in {region}", "most beautiful places in {country}", "where to go in {month}",
                    "{country} photos", "cheap holiday ideas", "honeymoon destinations {region}",
                    "{city} instagram spots", "where is warm in {month}", "bucket list trips", "{city}",
                    "{city} pictures", "dream holidays"],
        "plan": ["flights {city} {month}", "hotels {city} {d}-{d2} {month}", "cheap flights to {city} from {home}",
                 "{city} or {city2} in {month}", "{city} hotel with pool", "direct flights {home} {city}",
                 "{city} apartment {month} 2 adults", "flights to {city} {d} {month}", "best area to stay {city}",
                 "{city} {n} nights", "{city} hotel near old town", "{home} to {city} {month} return"],
        "route": ["{a} {b}", "{a} to {b} {weekday}", "flights {an} to {bn} {weekday} morning", "{an} terminal {n}",
                  "{a} lounge", "{a}-{b} 7am", "{an} parking", "first flight {a} {b} {weekday}",
                  "{a} {b} {d} {month} return same day", "{bn} airport to city centre"],
        "obscure": ["{obscure}", "{obscure} hike", "how to get to {obscure}", "{obscure} in winter",
                    "{obscure} ferry timetable", "hidden villages {region}", "{obscure} guesthouse",
                    "is {obscure} worth it", "{obscure} wild camping", "{obscure} vs {obscure2}"],
        "service": ["my booking", "cancel booking", "change flight date", "baggage allowance", "check in online",
                    "refund status", "wanderly customer service", "print boarding pass", "add luggage",
                    "change name on ticket"],
    }[kind]
    a, b = rng.choice(iata, n), rng.choice(iata, n)
    slots = dict(region=rng.choice(REGIONS, n), country=rng.choice(countries, n), month=rng.choice(MONTHS, n),
                 city=rng.choice(cities, n), city2=rng.choice(cities, n), home=rng.choice(
                     ["london", "manchester", "dublin", "berlin", "amsterdam", "paris", "new york"], n),
                 d=rng.integers(1, 25, n), n=rng.integers(1, 8, n), weekday=rng.choice(WEEKDAYS, n), a=a, b=b,
                 an=[AIRPORTS[x] for x in a], bn=[AIRPORTS[x] for x in b], obscure=rng.choice(OBSCURE, n),
                 obscure2=rng.choice(OBSCURE, n))
    slots["d2"] = slots["d"] + rng.integers(2, 6, n)
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
             shares: dict[str, float] | None = None, days: int = 35) -> dict:
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
