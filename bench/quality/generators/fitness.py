"""Synthetic users of a gym chain's web site and app (round 4, built on ``_round4``).

The site, https://www.northpeak-fitness.co.uk, belongs to a chain of 20 clubs in UK cities. It has club pages
and weekly timetables per club, a class catalogue and a booking flow, workout articles and follow-along workout
videos, a shop for supplements and gear with a basket and checkout, a member area (bookings, membership,
freezes, progress), membership plans for newcomers, personal-trainer profiles and a site search. Members also
use the iOS and Android apps, which show the same pages. Interest topics are strength, HIIT, yoga & pilates,
cycling, running and nutrition; places are the clubs (a user's home club is Zipf-popular: the London clubs are
the busiest). Articles have ids 7000 and up.

Personas (share, engagement rank; 0 = least engaged):

* ``prospect`` (20 %, rank 0) - not a member yet, shopping for a gym: two or three visits, often inside a
  single burst of a few days, plans and prices, club pages, opening hours and trainer profiles near one place,
  from search engines and class-pass aggregators, on a phone or a desktop, at lunch and in the evening,
  Sundays (resolutions) more than Fridays. Queries about prices and clubs ("day pass price", "gym leeds").
* ``supplement_shopper`` (16 %, rank 1) - buys protein, creatine and gear: product pages, basket and
  checkout, many product searches (including instant search in the shop), arrives by promotional e-mail and
  search engines, often bursty around a sale, desktop as much as mobile, lunch and late evening. Short dwell
  on product pages; about the same volume as ``fitness_reader`` but a different part of the site.
* ``fitness_reader`` (24 %, rank 2) - reads training and nutrition articles, long reads (median ~3.5 min on an
  article), some workout videos; comes from search engines and Instagram/TikTok/YouTube, on a phone or a
  tablet, evenings and weekends; "how to" queries with several words; also reads the newsletter's articles
  without visiting the site (offline reads).
* ``home_workout`` (10 %, rank 3) - trains at home with the follow-along videos: few pages per visit but very
  long ones (a video page is open 15-40 min), in the app or on a tablet, early morning and evening, progress
  pages of the member area. About the same number of visits as ``class_regular`` but nothing to do with
  timetables or booking.
* ``class_regular`` (30 %, rank 4) - the committed member: near-daily short app visits to check the home
  club's timetable, book a class and look at their bookings; short dwell, few pages, almost always direct (the
  app), 6-7 am and 5-7 pm peaks on weekdays, a steady habit with rarely a burst. Searches are rare and short
  (class names, "freeze membership").

Engine mechanisms (Zipf page popularity, lognormal visit length and dwell, weekly/daily cycles, bursts, heavy
users, bots, null exit dwells, absurd dwells, separation blending) are described in ``_round4``.
"""

from __future__ import annotations

from pathlib import Path

from bench.quality.generators import _round4 as eng
from bench.quality.generators._round4 import Persona, Section, add_words, pick, slug

HOST = "https://www.northpeak-fitness.co.uk"
TOPICS = ("strength", "hiit", "yoga_pilates", "cycling", "running", "nutrition")
CLUBS = (
    "london-kings-cross", "london-canary-wharf", "london-clapham", "manchester-piccadilly", "birmingham-bullring",
    "leeds-city", "glasgow-merchant-city", "bristol-harbourside", "liverpool-one", "edinburgh-leith",
    "newcastle-quayside", "sheffield-central", "nottingham-lace-market", "cardiff-bay", "brighton-north-laine",
    "reading-oracle", "cambridge-grafton", "oxford-westgate", "york-central", "belfast-titanic",
)
CLUB_WORDS = tuple(c.replace("-", " ").replace("london ", "") for c in CLUBS)
CITIES = tuple(c.split("-")[0] for c in CLUBS)
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAYNAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

CLASSES = (
    ("power lift 45", "kettlebell burn", "barbell basics", "core and strength", "glute lab"),
    ("hiit 30", "tabata", "bootcamp", "metcon", "circuit blast"),
    ("vinyasa flow", "yin yoga", "mat pilates", "hot yoga", "reformer pilates"),
    ("spin express", "rhythm ride", "endurance ride", "spin and core", "climb 45"),
    ("treadmill intervals", "run club", "5k prep", "stride lab", "hill repeats"),
    ("low impact cardio", "aqua fit", "body reset", "dance fit", "walk and tone"),
)
SUBJECTS = (
    ("deadlift", "squat", "bench press", "pull ups", "progressive overload", "hypertrophy", "grip strength"),
    ("hiit", "tabata", "burpees", "emom workouts", "jump rope", "rowing intervals", "conditioning"),
    ("yoga for back pain", "mobility", "pilates core", "breathwork", "hamstring flexibility", "yoga for runners"),
    ("indoor cycling", "cadence", "power zones", "saddle height", "spin shoes", "ftp tests"),
    ("couch to 5k", "marathon training", "running form", "shin splints", "tempo runs", "zone 2 cardio"),
    ("protein intake", "creatine", "meal prep", "calorie deficit", "gut health", "pre workout meals", "hydration"),
)
ANGLES = (
    "how-to-master", "a-beginners-guide-to", "5-mistakes-with", "the-science-of", "a-4-week-plan-for",
    "what-coaches-say-about", "myths-about", "everything-you-need-to-know-about",
)
WORKOUTS = (
    ("full body dumbbell", "upper body strength", "leg day at home", "kettlebell flow"),
    ("tabata burner", "no equipment hiit", "20 minute sweat", "low impact hiit"),
    ("morning yoga", "pilates core", "bedtime stretch", "power yoga"),
    ("turbo trainer ride", "hill climb ride", "recovery spin", "sprint ride"),
    ("treadmill tempo", "runners strength", "warm up drills", "mobility for runners"),
    ("walking workout", "beginner cardio", "standing abs", "dance cardio"),
)
PRODUCTS = (
    ("whey protein", "creatine monohydrate", "lifting belt", "wrist wraps", "lifting chalk"),
    ("pre workout", "skipping rope", "resistance bands", "electrolyte tabs", "gym towel"),
    ("yoga mat", "yoga blocks", "pilates ring", "foam roller", "grip socks"),
    ("padded shorts", "cycling gloves", "energy gels", "water bottle", "spin shoes"),
    ("running socks", "hydration vest", "compression tights", "running belt", "recovery balm"),
    ("vegan protein", "meal replacement shake", "protein bars", "multivitamin", "collagen"),
)
SHOP_CATS = ("protein-and-strength", "training-gear", "yoga-and-pilates", "cycling", "running", "nutrition")
FLAVOURS = ("chocolate", "vanilla", "unflavoured", "1kg", "2kg", "salted caramel", "strawberry", "bundle")
SIZES = ("black", "medium", "large", "small", "navy", "bundle", "womens", "mens")
VARIANTS = (FLAVOURS, SIZES, SIZES, SIZES, SIZES, FLAVOURS)  # by topic
TRAINERS = ("amira", "ben", "chloe", "dev", "elena", "femi", "grace", "harry", "isla", "jamal", "kasia", "liam")

_LISTS = {
    "home": ("/", "/en-gb/", "/welcome-back", "/offers"),
    "checkout": ("/shop/basket", "/shop/checkout/delivery", "/shop/checkout/payment",
                 "/shop/checkout/confirmation", "/shop/offers/bundles"),
    "member": ("/account/bookings", "/account", "/account/membership", "/account/progress", "/account/payments",
               "/account/freeze", "/account/guest-pass", "/account/settings"),
    "join": ("/join/plans", "/join", "/join/plans/flex", "/join/plans/premium", "/join/day-pass",
             "/join/student", "/join/corporate"),
}


def _fixed(name: str):
    return lambda rank, topic, place, idx: _LISTS[name][rank]


def _club_path(rank, topic, place, idx):
    return f"/clubs/{CLUBS[place]}" + ("", "/facilities", "/opening-hours", "/parking")[rank]


def _timetable_path(rank, topic, place, idx):
    return f"/clubs/{CLUBS[place]}/timetable?day={WEEK[rank]}"


def _class_path(rank, topic, place, idx):
    return f"/classes/{slug(CLASSES[topic][rank])}"


def _booking_path(rank, topic, place, idx):
    return f"/clubs/{CLUBS[place]}/book/{slug(CLASSES[topic][rank])}"


def _article_path(rank, topic, place, idx):
    subj = SUBJECTS[topic]
    return f"/articles/{7000 + idx}-{ANGLES[(rank // len(subj)) % len(ANGLES)]}-{slug(subj[rank % len(subj)])}"


def _workout_path(rank, topic, place, idx):
    names = WORKOUTS[topic]
    minutes = (20, 30, 45, 15)[(rank // len(names)) % 4]
    level = ("beginner", "intermediate", "advanced")[(rank // 2) % 3]
    return f"/workouts/{slug(TOPICS[topic])}/{slug(names[rank % len(names)])}-{minutes}-min-{level}"


def _shop_path(rank, topic, place, idx):
    prods = PRODUCTS[topic]
    variant = VARIANTS[topic][(rank // len(prods)) % len(VARIANTS[topic])]
    return f"/shop/{SHOP_CATS[topic]}/{slug(prods[rank % len(prods)])}-{slug(variant)}"


def _trainer_path(rank, topic, place, idx):
    return f"/clubs/{CLUBS[place]}/personal-trainers/{TRAINERS[(rank * 5 + place) % len(TRAINERS)]}"


SECTIONS = (
    Section("home", 4, _fixed("home"), zipf=1.6, dwell_mult=0.5),
    Section("clubs", 4, _club_path, by_place=True, zipf=1.0, dwell_mult=0.9),
    Section("timetable", 7, _timetable_path, by_place=True, zipf=0.5, dwell_mult=0.8),
    Section("classes", 5, _class_path, by_topic=True, zipf=0.9),
    Section("booking", 5, _booking_path, by_topic=True, by_place=True, zipf=1.0, dwell_mult=0.6),
    Section("articles", 200, _article_path, by_topic=True, zipf=1.05, reading=True),
    Section("workouts", 24, _workout_path, by_topic=True, zipf=0.9, reading=True, dwell_mult=4.0),
    Section("shop", 50, _shop_path, by_topic=True, zipf=1.2),
    Section("checkout", 5, _fixed("checkout"), zipf=1.3, dwell_mult=1.3),
    Section("member", 8, _fixed("member"), zipf=1.1, dwell_mult=0.7),
    Section("join", 7, _fixed("join"), zipf=1.0, dwell_mult=1.2),
    Section("trainers", 3, _trainer_path, by_place=True, zipf=0.8),
    Section("search", 1, lambda *a: "/search", dwell_mult=0.5),
)


# ---------------------------------------------------------------------------------------------- query grammar
def _q_class(rng, topics, places, extra):
    n = len(topics)
    names = [CLASSES[t][i % 5] for t, i in zip(topics, rng.integers(0, 5, n), strict=True)]
    when = pick(rng, DAYNAMES + ("7am", "6pm", "tonight", "tomorrow", "this week", "saturday morning"), n)
    u = rng.random(n)
    out = [f"{c} {w}" if x < 0.55 else c if x < 0.8 else f"{c} {CLUB_WORDS[p]}"
           for c, w, x, p in zip(names, when, u, places, strict=True)]
    return add_words(rng, out, extra, ("timetable", "beginners", "near me", "class", "booking", "full"))


def _q_product(rng, topics, places, extra):
    n = len(topics)
    prods = [PRODUCTS[t][i % 5] for t, i in zip(topics, rng.integers(0, 5, n), strict=True)]
    var = [VARIANTS[t][i % 8] for t, i in zip(topics, rng.integers(0, 8, n), strict=True)]
    u = rng.random(n)
    out = [p if x < 0.45 else f"{p} {v}" for p, v, x in zip(prods, var, u, strict=True)]
    return add_words(rng, out, extra, ("cheap", "best", "vegan", "discount code", "bundle", "in stock", "uk"))


def _q_howto(rng, topics, places, extra):
    n = len(topics)
    subj = [SUBJECTS[t][i % len(SUBJECTS[t])] for t, i in zip(topics, rng.integers(0, 7, n), strict=True)]
    tpl = rng.integers(0, 5, n)
    forms = ("how to {}", "best {} for beginners", "{} plan", "{} tips", "is {} good")
    out = [forms[k].format(s) for s, k in zip(subj, tpl, strict=True)]
    return add_words(rng, out, extra, ("at home", "for women", "for men", "without equipment", "for weight loss",
                                       "over 40", "how often", "beginner", "routine"))


def _q_club(rng, topics, places, extra):
    n = len(topics)
    forms = ("{} opening hours", "gym {}", "{} gym", "{} parking", "{} swimming pool", "{} sauna", "{} classes")
    tpl = rng.integers(0, len(forms), n)
    u = rng.random(n)
    out = [forms[k].format(CLUB_WORDS[p] if x < 0.5 else CITIES[p]) for k, p, x in zip(tpl, places, u, strict=True)]
    return add_words(rng, out, extra, ("near me", "24 hour", "bank holiday", "easter", "women only"))


def _q_account(rng, topics, places, extra):
    out = pick(rng, ("freeze membership", "cancel membership", "login", "change home club", "guest pass",
                     "update card", "booking cancelled", "waitlist", "my bookings", "password reset"), len(topics))
    return add_words(rng, out, extra, ("app", "how", "not working"))


def _q_price(rng, topics, places, extra):
    n = len(topics)
    base = pick(rng, ("membership price", "day pass", "student membership", "joining fee", "off peak membership",
                      "corporate membership", "free trial", "personal trainer cost", "prices"), n)
    u = rng.random(n)
    out = [f"{b} {CITIES[p]}" if x < 0.35 else b for b, p, x in zip(base, places, u, strict=True)]
    return add_words(rng, out, extra, ("per month", "no contract", "2026", "discount", "couples"))


QUERY_KINDS = {
    "class": _q_class, "product": _q_product, "howto": _q_howto, "club": _q_club, "account": _q_account,
    "price": _q_price,
}

REFERRERS = {
    "direct": (),
    "search": ("https://www.google.com/", "https://www.google.co.uk/", "https://www.bing.com/",
               "https://duckduckgo.com/", "https://www.ecosia.org/"),
    "social": ("https://www.instagram.com/", "https://l.facebook.com/", "https://www.tiktok.com/",
               "https://www.youtube.com/", "https://t.co/", "https://www.pinterest.co.uk/"),
    "email": ("https://mail.google.com/", "https://outlook.live.com/", "https://click.news.northpeak-fitness.co.uk/",
              "https://mail.yahoo.com/"),
    "aggregator": ("https://classpass.com/", "https://www.hussle.com/", "https://wellhub.com/",
                   "https://www.groupon.co.uk/"),
}

PERSONAS = (
    Persona(
        "prospect", 0.20, 0, sessions=2.6, pages=4.0, dwell=45, read=90,
        sections={"join": 0.32, "clubs": 0.24, "timetable": 0.10, "trainers": 0.08, "home": 0.10, "search": 0.05,
                  "classes": 0.06, "articles": 0.04, "shop": 0.01},
        topics={"strength": 0.2, "hiit": 0.2, "yoga_pilates": 0.2, "cycling": 0.1, "running": 0.1, "nutrition": 0.2},
        devices={"mobile": 0.6, "desktop": 0.34, "tablet": 0.06},
        referrers={"search": 0.55, "aggregator": 0.2, "social": 0.12, "direct": 0.13},
        query_kinds={"price": 0.45, "club": 0.45, "class": 0.1},
        hours=((12.5, 1.5, 0.8), (20.0, 2.0, 1.0)), weekdays=(1.1, 1.0, 1.0, 0.9, 0.7, 0.9, 1.4),
        activity_sigma=0.5, bounce=0.45, pages_sigma=0.5, dwell_sigma=0.8, focus=0.45, loyalty=8, affinity=0.5,
        locality=0.85, device_switch=0.2, burst=0.6, burst_days=3, query_words=1.0, typo=0.07,
    ),
    Persona(
        "supplement_shopper", 0.16, 1, sessions=8, pages=5.0, dwell=30, read=70,
        sections={"shop": 0.50, "checkout": 0.18, "search": 0.13, "home": 0.06, "articles": 0.04, "member": 0.03,
                  "join": 0.02, "classes": 0.02, "workouts": 0.02},
        topics={"strength": 0.35, "nutrition": 0.3, "hiit": 0.15, "running": 0.08, "cycling": 0.07,
                "yoga_pilates": 0.05},
        devices={"desktop": 0.45, "mobile": 0.45, "tablet": 0.07, "ios-app": 0.02, "android-app": 0.01},
        referrers={"email": 0.35, "search": 0.33, "social": 0.12, "direct": 0.17, "aggregator": 0.03},
        query_kinds={"product": 0.85, "price": 0.08, "account": 0.07},
        hours=((12.5, 1.2, 0.7), (21.0, 1.8, 1.0)), weekdays=(0.9, 1.0, 1.0, 1.4, 1.2, 0.9, 1.1),
        activity_sigma=0.8, bounce=0.25, dwell_sigma=0.8, focus=0.6, loyalty=12, affinity=0.75, locality=0.7,
        burst=0.35, burst_days=3, query_words=1.2, instant_search=0.25, typo=0.05,
    ),
    Persona(
        "fitness_reader", 0.24, 2, sessions=9, pages=3.5, dwell=40, read=210,
        sections={"articles": 0.56, "workouts": 0.14, "home": 0.05, "search": 0.07, "classes": 0.05, "shop": 0.05,
                  "timetable": 0.02, "clubs": 0.02, "join": 0.04},
        topics={"strength": 0.22, "hiit": 0.14, "yoga_pilates": 0.14, "cycling": 0.08, "running": 0.2,
                "nutrition": 0.22},
        devices={"mobile": 0.62, "desktop": 0.2, "tablet": 0.15, "ios-app": 0.02, "android-app": 0.01},
        referrers={"search": 0.45, "social": 0.3, "email": 0.12, "direct": 0.13},
        query_kinds={"howto": 0.8, "product": 0.1, "class": 0.1},
        hours=((8.0, 1.5, 0.5), (13.0, 1.0, 0.4), (21.0, 1.8, 1.0)), weekdays=(0.9, 0.9, 0.9, 0.9, 0.8, 1.3, 1.4),
        activity_sigma=0.8, bounce=0.35, dwell_sigma=0.8, read_sigma=0.55, focus=0.7, loyalty=10, affinity=0.6,
        locality=0.7, burst=0.08, query_words=1.5, instant_search=0.02, offline_reads=3.0, typo=0.06,
    ),
    Persona(
        "home_workout", 0.10, 3, sessions=24, pages=2.8, dwell=30, read=330,
        sections={"workouts": 0.50, "member": 0.10, "articles": 0.10, "home": 0.08, "shop": 0.05, "classes": 0.05,
                  "search": 0.06, "timetable": 0.03, "booking": 0.03},
        topics={"strength": 0.2, "hiit": 0.3, "yoga_pilates": 0.3, "cycling": 0.1, "running": 0.05,
                "nutrition": 0.05},
        devices={"ios-app": 0.35, "android-app": 0.2, "tablet": 0.25, "mobile": 0.12, "desktop": 0.08},
        referrers={"direct": 0.8, "email": 0.1, "social": 0.1},
        query_kinds={"howto": 0.6, "class": 0.3, "product": 0.1},
        hours=((6.0, 1.0, 1.0), (13.0, 1.0, 0.3), (20.5, 1.3, 1.0)), weekdays=(1.1, 1.0, 1.1, 1.0, 0.8, 1.1, 1.0),
        activity_sigma=0.6, bounce=0.2, pages_sigma=0.45, dwell_sigma=0.7, read_sigma=0.35, focus=0.7, loyalty=14,
        affinity=0.8, locality=0.8, device_switch=0.1, burst=0.1, query_words=0.6, instant_search=0.15,
        offline_reads=0.5, typo=0.04,
    ),
    Persona(
        "class_regular", 0.30, 4, sessions=28, pages=3.0, dwell=22, read=60,
        sections={"timetable": 0.30, "booking": 0.28, "member": 0.18, "classes": 0.08, "home": 0.06, "clubs": 0.04,
                  "articles": 0.02, "shop": 0.02, "search": 0.01, "workouts": 0.01},
        topics={"strength": 0.2, "hiit": 0.25, "yoga_pilates": 0.2, "cycling": 0.25, "running": 0.05,
                "nutrition": 0.05},
        devices={"ios-app": 0.4, "android-app": 0.3, "mobile": 0.2, "desktop": 0.07, "tablet": 0.03},
        referrers={"direct": 0.85, "email": 0.08, "search": 0.05, "social": 0.02},
        query_kinds={"class": 0.6, "account": 0.25, "club": 0.15},
        hours=((6.5, 1.0, 1.0), (12.5, 1.0, 0.4), (17.5, 1.5, 1.0), (21.0, 1.0, 0.4)),
        weekdays=(1.0, 1.0, 1.0, 1.0, 0.8, 0.9, 0.6),
        activity_sigma=0.55, bounce=0.15, pages_sigma=0.45, dwell_sigma=0.7, focus=0.55, loyalty=15, affinity=0.75,
        locality=0.93, device_switch=0.1, burst=0.02, burst_days=4, query_words=0.3, instant_search=0.03, typo=0.05,
    ),
)

DOMAIN = eng.Domain(
    host=HOST,
    sections=SECTIONS,
    topics=TOPICS,
    places=CLUBS,
    devices=("mobile", "desktop", "tablet", "ios-app", "android-app"),
    app_devices=("ios-app", "android-app"),
    referrers=REFERRERS,
    query_kinds=QUERY_KINDS,
    search_path=lambda q, place: f"/search?q={q}",
    personas=PERSONAS,
    home_section="home",
    search_section="search",
    article_section="articles",
    article_id_base=7000,
    bot_sections={"articles": 0.45, "shop": 0.35, "clubs": 0.1, "timetable": 0.1},
    untracked_app=0.3,
    home_landing=0.5,
)


def generate(out_dir: Path, n_users: int = 8000, seed: int = 0, separation: float = 1.0,
             shares: dict[str, float] | None = None, days: int = 28) -> dict:
    """Write clickstream, search_queries, article_views and truth Parquet files for the gym-chain site."""
    return eng.generate(DOMAIN, Path(out_dir), n_users, seed, separation, shares, days)


__all__ = ["generate", "DOMAIN", "PERSONAS"]
