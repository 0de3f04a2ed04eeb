"""Blind generator `podcasts`: a podcast and audio-news platform ("Wavelength"), four weeks.

Personas (least → most engaged): one-episode samplers, commute listeners, news skimmers, show hunters,
transcript readers, superfans. Third held-out round; written from persona descriptions only, without
knowledge of intentseg's features or segmentation. The engine is :mod:`bench.quality.generators._round3`.
"""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np

from bench.quality.generators._round3 import hours, messy, simulate

DEFAULT_DAYS = 28
W = "https://www.wavelength.fm"
SHOWS = ("the-daily-signal", "deep-orbit", "true-crime-tonight", "money-on-mondays", "the-long-game", "kitchen-table-history",
         "startup-sketches", "mind-and-body", "the-pitch-side", "future-tense", "quiet-science", "city-beats",
         "book-club-live", "the-overview", "cold-case-files", "parenting-in-progress", "climate-desk", "code-and-coffee",
         "late-night-laughs", "the-interview-hour", "world-in-brief", "garden-talk", "film-reel", "the-health-memo",
         "retro-gaming-radio", "law-and-disorder", "small-business-hour", "the-sound-of-jazz", "ancient-worlds",
         "data-stories", "travel-diaries", "faith-and-doubt", "the-policy-room", "music-makers", "sleep-stories",
         "the-market-close", "ev-and-energy", "language-lab", "home-and-build", "comedy-club-podcast")
CATEGORIES = ("news", "true-crime", "comedy", "business", "technology", "science", "history", "health", "sports",
              "society-culture", "arts", "education", "kids-family", "music", "religion", "tv-film", "fiction", "leisure")
TOPICS = ("interest rates", "ai regulation", "election polls", "climate summit", "housing market", "mars mission",
          "sleep science", "roman empire", "champions league", "startup funding", "electric cars", "gut health",
          "cold war spies", "inflation", "quantum computing", "jazz history", "serial killers", "stoicism",
          "remote work", "olympics", "chess", "nutrition myths", "cybersecurity", "ancient egypt")
GUESTS = ("maya okafor", "daniel reyes", "priya natarajan", "tom heller", "sofia lindqvist", "kwame mensah",
          "lena fischer", "oliver grant", "aiko tanaka", "marcus bell", "hannah cohen", "jonas weber", "amara diallo",
          "rafael costa", "ingrid olsen", "samir haddad", "claire dubois", "ethan brooks", "noor rahman", "luca romano")
SLUGS = ("pilot", "the-first-question", "what-we-got-wrong", "inside-the-room", "a-conversation-with", "listener-mailbag",
         "the-numbers", "behind-the-scenes", "part-one", "part-two", "the-reckoning", "live-from-the-road",
         "ask-us-anything", "the-turning-point", "what-comes-next", "bonus-episode", "year-in-review", "the-debate",
         "field-notes", "the-archive", "extended-cut", "special-report", "season-finale", "the-return")


def _sections() -> dict[str, tuple[list[str], int, float]]:
    """section → (urls, group size, dwell multiplier); items inside a group are consecutive (a show's episodes)."""
    s: dict[str, tuple[list[str], int, float]] = {}
    s["home"] = ([f"{W}/", f"{W}/?utm_source=app", f"{W}/discover", f"{W}/discover/trending", f"{W}/charts", f"{W}/new"], 1, 0.8)
    s["episodes"] = ([f"{W}/shows/{sh}/episodes/{240 - i}-{SLUGS[(i + k) % len(SLUGS)]}" for k, sh in enumerate(SHOWS)
                      for i in range(24)], 24, 1.6)
    s["shows"] = ([f"{W}/shows/{sh}" for sh in SHOWS], 1, 1.0)
    s["browse"] = ([f"{W}/browse/{c}{q}" for c in CATEGORIES for q in ("", "?sort=popular", "?sort=new", "?page=2")], 4, 0.7)
    s["briefs"] = ([f"{W}/news/briefs/2026-04-{d:02d}-{p}" for d in range(30, 0, -1) for p in ("morning", "midday", "evening")], 3, 0.6)
    s["news"] = ([f"{W}/news", *(f"{W}/news/{t}" for t in ("world", "politics", "business", "tech", "science", "sport",
                                                         "culture", "local", "climate", "health", "live"))], 1, 0.5)
    s["transcripts"] = ([f"{W}/shows/{sh}/episodes/{240 - i}/transcript" for sh in SHOWS for i in range(12)], 12, 3.0)
    s["search"] = ([f"{W}/search", f"{W}/search?type=shows", f"{W}/search?type=episodes", f"{W}/search?type=people",
                    f"{W}/search?type=transcripts"], 1, 0.6)
    s["community"] = ([f"https://community.wavelength.fm/t/{sh}/{x}" for sh in SHOWS[:15]
                       for x in ("episode-discussion", "theories", "guest-requests", "meetups")], 4, 1.5)
    s["account"] = ([f"{W}/{x}" for x in ("account/library", "account/subscriptions", "account/downloads", "login",
                                          "account/history", "signup", "premium", "account/settings")], 1, 0.6)
    s["newsletter"] = ([f"{W}/newsletter", *(f"{W}/newsletter/archive/2026-w{w}" for w in range(14, 3, -1))], 1, 1.0)
    s["live"] = ([f"{W}/live", f"{W}/live/now", *(f"{W}/events/{x}" for x in ("live-taping-london", "listener-qa-april",
                 "true-crime-night", "ask-the-hosts", "podcast-festival-2026", "jazz-session-live"))], 1, 2.0)
    s["guests"] = ([f"{W}/people/{g.replace(' ', '-')}" for g in GUESTS], 1, 1.0)
    return s


SECTIONS = tuple(_sections())


def _referrers() -> dict[str, list[str]]:
    return {
        "search": ["https://www.google.com/", "https://www.bing.com/", "https://duckduckgo.com/", "https://www.google.co.uk/",
                   "https://www.ecosia.org/"],
        "social": ["https://t.co/Qm3x8", "https://www.facebook.com/", "https://www.instagram.com/", "https://www.tiktok.com/",
                   "https://www.reddit.com/r/podcasts/", "https://l.facebook.com/l.php", "https://www.threads.net/",
                   "https://bsky.app/", "https://www.youtube.com/"],
        "apps": ["https://podcasts.apple.com/", "https://open.spotify.com/", "https://pocketcasts.com/", "https://overcast.fm/",
                 "https://www.podchaser.com/", "https://podnews.net/"],
        "aggregators": ["https://news.google.com/", "https://www.msn.com/en-us/news", "https://flipboard.com/", "https://apple.news/",
                        "https://www.theskimm.com/"],
        "newsletter": ["https://newsletter.wavelength.fm/issue/118", "https://wavelength.substack.com/p/this-week",
                       "https://mail.wavelength.fm/weekly", "https://newsletter.wavelength.fm/issue/119"],
        "community": ["https://community.wavelength.fm/", "https://discord.com/channels/wavelength", "https://www.reddit.com/r/deeporbit/",
                      "https://www.patreon.com/wavelength"],
        "direct": [],
    }


REFS = tuple(_referrers())


def _queries(rng: np.random.Generator) -> dict[str, list[str]]:
    q: dict[str, list[str]] = {}
    q["shows"] = [s.replace("-", " ") for s in SHOWS] + [f"{s.replace('-', ' ')} latest episode" for s in SHOWS[:12]]
    q["topics"] = [f"{t}{x}" for t, x in itertools.product(TOPICS, ("", " podcast", " explained"))]
    q["news"] = ["news today", "morning brief", "election results", "market update", "weather", "breaking news",
                 "evening briefing", "stock market", "war update", "strike news", "budget 2026", "world news"]
    q["guests"] = list(GUESTS) + [f"{g} interview" for g in GUESTS] + [f"{g} episode" for g in GUESTS[:10]]
    q["discovery"] = [f"podcasts like {s.replace('-', ' ')}" for s in SHOWS[:15]] + [f"best {c.replace('-', ' ')} podcasts"
                      for c in CATEGORIES] + ["new podcasts", "short podcasts", "podcasts for kids", "top charts", "award winning"]
    q["account"] = ["cancel premium", "download episodes", "offline listening", "change password", "playback speed", "gift card"]
    return messy(rng, q)


QUERY_CATS = ("shows", "topics", "news", "guests", "discovery", "account")
ARTICLE_CATEGORIES = [(10_000, 480), (20_000, 900), (30_000, 90), (40_000, 70), (50_000, 40)]  # transcripts, show notes, brief texts, editorial, community digests
DEVICE_LABELS = (
    (("desktop", 30), ("Desktop", 20), ("Windows", 15), ("macOS", 12), ("Linux", 3), ("web-desktop", 5)),
    (("mobile", 25), ("iPhone", 25), ("Android", 22), ("iOS app", 12), ("Android app", 10), ("Mobile Safari", 4)),
    (("tablet", 35), ("iPad", 45), ("Android Tablet", 12), ("Kindle Fire", 4)),
)


def _calendar(days: int) -> np.ndarray:
    c = np.ones(days); c[9 % days] = 1.7; c[10 % days] = 1.3; c[17 % days] *= 1.25  # a big news day, a season premiere
    return c


def _personas() -> dict[str, dict[str, Any]]:
    def sec(**kw: float) -> list[float]: return [kw.get(s, 0.0) + 0.003 for s in SECTIONS]
    def ref(**kw: float) -> list[float]: return [kw.get(r, 0.0) + 0.005 for r in REFS]
    def qry(**kw: float) -> list[float]: return [kw.get(c, 0.0) + 0.01 for c in QUERY_CATS]
    weekdays = [1, 1, 1, 1, 1, 0.12, 0.1]
    return {
        "one-episode samplers": dict(
            share=0.30, visit_days=1.12, per_day=1.05, burst=0.2, burst_len=2, pages=1.5, page_sigma=0.5, dwell=150, dwell_sigma=0.9,
            n_fav=1, loyalty=0.05, stick=0.92, hour_jitter=1.5, searches=0.05, articles=0.08, read=60, read_sigma=0.8,
            search_only=0.004, article_only=0.003, hours=hours((13, 4, 1), (21, 3, 1.2)), week=[1, 1, 1, 1, 1, 1.2, 1.2],
            device=[0.3, 0.62, 0.08], ref=ref(social=0.7, search=0.12, apps=0.08, direct=0.06),
            sections=sec(episodes=0.72, shows=0.08, home=0.06, browse=0.03, account=0.04, transcripts=0.02, guests=0.03),
            queries=qry(shows=0.5, topics=0.3, guests=0.2), acats=[0.1, 0.75, 0.05, 0.1, 0.0]),
        "commute listeners": dict(
            share=0.25, visit_days=15, per_day=1.8, burst=0.0, burst_len=1, pages=2.4, page_sigma=0.45, dwell=14, dwell_sigma=0.6,
            n_fav=3, loyalty=0.88, stick=0.95, hour_jitter=0.5, searches=0.012, articles=0.03, read=25, read_sigma=0.7,
            search_only=0.0, article_only=0.0, hours=hours((7.7, 0.8, 1), (17.8, 0.9, 1), floor=0.004), week=weekdays,
            device=[0.05, 0.91, 0.04], ref=ref(direct=0.8, apps=0.15, social=0.02),
            sections=sec(episodes=0.72, shows=0.12, account=0.1, home=0.05, briefs=0.01),
            queries=qry(shows=0.9), acats=[0.05, 0.9, 0.05, 0.0, 0.0]),
        "news skimmers": dict(
            share=0.15, visit_days=16, per_day=2.6, burst=0.0, burst_len=1, pages=3, page_sigma=0.5, dwell=12, dwell_sigma=0.7,
            n_fav=2, loyalty=0.2, stick=0.9, hour_jitter=0.8, searches=0.05, articles=1.2, read=35, read_sigma=0.7,
            search_only=0.002, article_only=0.004, hours=hours((10, 2, 1), (13, 1, 0.7), (15.5, 2, 0.8), floor=0.01),
            week=[1, 1, 1, 1, 1, 0.1, 0.08], device=[0.85, 0.12, 0.03],
            ref=ref(direct=0.45, search=0.15, aggregators=0.33, social=0.05),
            sections=sec(briefs=0.6, news=0.25, home=0.08, episodes=0.05, transcripts=0.02),
            queries=qry(news=0.8, topics=0.2), acats=[0.25, 0.05, 0.65, 0.05, 0.0]),
        "show hunters": dict(
            share=0.12, visit_days=7, per_day=1.3, burst=0.35, burst_len=5, pages=9, page_sigma=0.6, dwell=40, dwell_sigma=0.8,
            n_fav=6, loyalty=0.05, stick=0.85, hour_jitter=1.5, searches=2.8, articles=0.3, read=90, read_sigma=0.8,
            search_only=0.02, article_only=0.0, hours=hours((20.5, 3, 1), (13, 2, 0.5)), week=[1, 1, 1, 1, 1.1, 1.4, 1.3],
            device=[0.55, 0.35, 0.1], ref=ref(search=0.35, direct=0.35, social=0.1, apps=0.2),
            sections=sec(browse=0.3, search=0.2, shows=0.25, episodes=0.12, guests=0.05, home=0.08),
            queries=qry(shows=0.2, topics=0.45, discovery=0.3, guests=0.05), acats=[0.05, 0.85, 0.0, 0.1, 0.0]),
        "transcript readers": dict(
            share=0.10, visit_days=7, per_day=1.2, burst=0.1, burst_len=4, pages=3.5, page_sigma=0.5, dwell=110, dwell_sigma=0.7,
            n_fav=4, loyalty=0.4, stick=0.9, hour_jitter=1.5, searches=0.4, articles=3.5, read=900, read_sigma=0.6,
            search_only=0.0, article_only=0.04, hours=hours((10.5, 2.5, 1), (16, 3, 0.8), (21, 2, 0.6)),
            week=[0.35, 0.35, 0.35, 0.35, 0.5, 1.7, 1.8], device=[0.5, 0.15, 0.35],
            ref=ref(direct=0.35, search=0.35, newsletter=0.1, social=0.1, aggregators=0.1),
            sections=sec(transcripts=0.65, episodes=0.15, shows=0.08, guests=0.05, home=0.04),
            queries=qry(topics=0.6, guests=0.3, shows=0.1), acats=[0.85, 0.05, 0.0, 0.1, 0.0]),
        "superfans": dict(
            share=0.08, visit_days=24, per_day=1.8, burst=0.0, burst_len=1, pages=8, page_sigma=0.6, dwell=70, dwell_sigma=0.75,
            n_fav=9, loyalty=0.55, stick=0.75, hour_jitter=1.0, searches=0.35, articles=2.5, read=240, read_sigma=0.7,
            search_only=0.0, article_only=0.0, hours=hours((8, 2, 0.6), (12.5, 2, 0.6), (20.5, 3, 1)), week=[1, 1, 1, 1, 1, 1.1, 1.1],
            device=[0.4, 0.5, 0.1], ref=ref(newsletter=0.4, direct=0.3, community=0.2, social=0.1),
            sections=sec(episodes=0.35, community=0.22, transcripts=0.08, shows=0.08, live=0.06, newsletter=0.07, guests=0.06,
                         account=0.05, briefs=0.03),
            queries=qry(guests=0.7, shows=0.1, topics=0.2), acats=[0.35, 0.25, 0.0, 0.15, 0.25]),
    }


ENGAGEMENT = {"one-episode samplers": 0, "commute listeners": 1, "news skimmers": 2, "show hunters": 3,
              "transcript readers": 4, "superfans": 5}


def generate(out_dir: Path, n_users: int = 8000, seed: int = 0, separation: float = 1.0,
             shares: dict[str, float] | None = None, days: int = DEFAULT_DAYS) -> dict:
    """Write clickstream/search_queries/article_views/truth Parquet files into out_dir; return a summary."""
    world: dict[str, Any] = {
        "personas": _personas(), "sections": _sections(), "referrers": _referrers(), "engagement_rank": ENGAGEMENT,
        "queries": _queries(np.random.default_rng(20_000 + seed)), "article_categories": ARTICLE_CATEGORIES,
        "device_labels": DEVICE_LABELS, "calendar": _calendar, "null_exit": 0.25, "float_time": True}
    assert len(world["queries"]) == len(QUERY_CATS)
    return simulate(Path(out_dir), n_users, seed, separation, shares, days, DEFAULT_DAYS, world)
