"""Blind generator `marketplace`: a second-hand classifieds marketplace ("Swapla"), three weeks.

Personas (least → most engaged): window shoppers, guide readers, movers, sellers, collectors, bargain hunters, dealers.
Written from persona descriptions only, without knowledge of intentseg's features or segmentation.
"""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np

from bench.quality.generators._blind import hours, simulate

DEFAULT_DAYS = 21
SECTIONS = ("feed", "browse", "items-general", "items-fashion", "items-furniture", "items-collectibles", "search-results",
            "dashboard", "edit-listing", "messages", "seller-guides", "blog", "price-guides", "account")
REFS = ("search", "social", "alerts", "forums", "direct")
QUERY_CATS = ("bargain", "exact", "furniture", "casual", "seller", "bulk", "advice")
CITIES = ("berlin", "hamburg", "munich", "cologne", "leipzig", "frankfurt")
BARGAIN_ITEMS = ("bike", "road bike", "kids bike", "iphone 13", "ps5", "winter jacket", "sneakers", "stroller", "desk",
                 "monitor 27", "tent", "skis", "guitar", "coffee machine", "macbook air")
SIZES = ("54cm", "56cm", "size m", "size 42", "xl", "128gb", "", "")
COLLECTIBLES = ("Omega Speedmaster 3570.50", "Seiko SKX007", "Lego 10179 Millennium Falcon", "Lego 75192", "Leica M6 TTL 0.72",
                "Nikon FM2", "Technics SL-1200MK2", "Braun SK 4", "Pokemon Base Set Charizard", "Rolex 16610",
                "Hasselblad 500CM", "Fender Stratocaster 1972", "Game Boy DMG-01", "Vitra Eames DSW", "Marklin 3000")
FURNITURE = ("sofa", "wardrobe", "bed frame 140", "ikea pax", "kallax", "dining table", "chairs set", "fridge",
             "washing machine", "bookshelf", "mattress 90x200", "desk", "moving boxes", "sofa bed", "kitchen cabinets")


def _slug(s: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in s.lower()).strip("-").replace("--", "-")


def _catalog(rng: np.random.Generator) -> dict[str, list[str]]:
    w = "https://www.swapla.de"; c: dict[str, list[str]] = {}
    c["feed"] = [f"{w}/", f"{w}/feed", f"{w}/feed?tab=nearby", f"{w}/feed?tab=new", f"{w}/feed?tab=for-you"]
    cats = ("electronics", "bikes", "fashion", "home-garden", "furniture", "kids", "sports", "collectibles", "music", "cars-parts")
    c["browse"] = [f"{w}/c/{cat}/{city}" + (f"?page={p}" if p > 1 else "") for cat, city, p in itertools.product(cats, CITIES, (1, 2, 3))]
    def items(names: tuple[str, ...] | list[str], n: int) -> list[str]:
        ids = 10_000_000 + rng.choice(90_000_000, n, replace=False)
        return [f"{w}/item/{_slug(names[i % len(names)])}-{int(x)}" for i, x in enumerate(ids)]
    c["items-general"] = items(list(BARGAIN_ITEMS) + ["lamp", "camera", "headphones", "e-scooter", "drill", "board game"], 2500)
    c["items-fashion"] = items(("vintage denim jacket", "nike air max 42", "wool coat", "handbag", "dress size m", "boots 39"), 1200)
    c["items-furniture"] = items(FURNITURE, 1500)
    c["items-collectibles"] = items(COLLECTIBLES, 800)
    c["search-results"] = [f"{w}/s?q={_slug(q).replace('-', '+')}" for q in BARGAIN_ITEMS + FURNITURE + COLLECTIBLES]
    c["dashboard"] = [f"{w}/my/listings", f"{w}/my/listings?status=active", f"{w}/my/listings?status=sold", f"{w}/my/stats", f"{w}/my/payouts"]
    c["edit-listing"] = [f"{w}/my/listings/new", f"{w}/my/listings/new/photos", f"{w}/my/listings/edit", f"{w}/my/listings/edit/price", f"{w}/my/listings/promote"]
    c["messages"] = [f"{w}/messages", f"{w}/messages/inbox", f"{w}/messages/thread", f"{w}/messages/offers", f"{w}/messages/archived"]
    c["seller-guides"] = [f"{w}/help/selling/{x}" for x in ("first-listing", "great-photos", "shipping", "payments", "fees", "returns")]
    c["blog"] = [f"{w}/blog/{x}" for x in ("safety-tips-meeting-buyers", "how-to-price-used-items", "spotting-scams", "shipping-fragile-items",
                 "decluttering-before-a-move", "what-sells-in-spring", "caring-for-vintage-furniture", "buying-a-used-bike-checklist")]
    c["price-guides"] = [f"{w}/price-guide/{_slug(x)}" for x in COLLECTIBLES + ("road bikes", "iphones", "vinyl records", "film cameras")]
    c["account"] = [f"{w}/account", f"{w}/account/settings", f"{w}/account/favourites", f"{w}/account/saved-searches", f"{w}/login"]
    return c


def _referrers() -> dict[str, list[str]]:
    return {
        "search": ["https://www.google.com/", "https://www.google.de/", "https://www.bing.com/", "https://duckduckgo.com/", "https://www.ecosia.org/"],
        "social": ["https://www.instagram.com/", "https://l.facebook.com/", "https://www.tiktok.com/", "https://t.co/aZ19q", "https://www.pinterest.de/",
                   "https://wa.me/"],
        "alerts": ["https://mail.swapla.de/alerts/saved-search", "https://mail.swapla.de/digest/weekly", "https://mail.google.com/", "https://outlook.live.com/"],
        "forums": ["https://www.reddit.com/r/Watches/", "https://www.reddit.com/r/de/", "https://forum.analog-photo.net/", "https://www.watchuseek.com/",
                   "https://www.mydealz.de/"],
        "direct": [],
    }


def _queries(rng: np.random.Generator) -> dict[str, list[str]]:
    q: dict[str, list[str]] = {}
    prices = (50, 80, 100, 150, 200, 300, 500)
    q["bargain"] = [" ".join(x for x in (item, size, f"under {p}") if x) for item, size, p in itertools.product(BARGAIN_ITEMS, SIZES[:4], prices)]
    q["bargain"] += [f"{item} max {p}€" for item, p in itertools.product(BARGAIN_ITEMS, prices)] + [f"free {x}" for x in BARGAIN_ITEMS]
    q["exact"] = list(COLLECTIBLES) + [c.split(maxsplit=1)[-1] for c in COLLECTIBLES] + [f"{c} box papers" for c in COLLECTIBLES] + [f"{c} mint" for c in COLLECTIBLES]
    q["furniture"] = list(FURNITURE) + [f"{f} {city}" for f, city in itertools.product(FURNITURE, CITIES)] + [f"{f} free pickup" for f in FURNITURE]
    q["casual"] = ["vintage", "plants", "lamp", "cute mug", "books", "nintendo", "dress", "cheap", "bike", "records"]
    q["seller"] = ["how to sell", "shipping label", "payout not received", "boost listing", "fees", "delete listing"]
    q["bulk"] = [f"{x} lot" for x in BARGAIN_ITEMS] + [f"job lot {x}" for x in ("iphones", "clothes", "lego", "tools", "vinyl")] + ["wholesale", "bundle", "defective"]
    q["advice"] = ["is swapla safe", "how to price used furniture", "scam paypal friends", "meeting buyer safety", "what is my item worth"]
    for k in q:  # people type carelessly: capitals, doubled spaces, a missing letter now and then
        v = q[k]; f = rng.random(len(v))
        q[k] = [s.upper() if x < 0.03 else (s.replace(" ", "  ", 1) if x > 0.95 else (s[:-1] if 0.5 < x < 0.53 and len(s) > 5 else s)) for s, x in zip(v, f)]
    return q


def _personas() -> dict[str, dict[str, Any]]:
    def sec(**kw: float) -> list[float]: return [kw.get(s.replace("-", "_"), 0.0) + 0.002 for s in SECTIONS]
    even = [1, 1, 1, 1, 1.1, 1.3, 1.3]
    return {
        "window shoppers": dict(share=0.35, sessions=2.0, burst=0.2, burst_len=2, pages=4, page_sigma=0.6, dwell=12, searches=0.02,
                                articles=0.2, read=15, hours=hours((13, 3, 0.6), (21, 2.5, 1)), week=even, device=[0.08, 0.87, 0.05],
                                ref=[0.04, 0.8, 0.03, 0.03, 0.1], sections=sec(feed=0.35, browse=0.2, items_general=0.3, items_fashion=0.15),
                                queries=[0.1, 0.0, 0.05, 0.85, 0.0, 0.0, 0.0], acats=[0.7, 0.0, 0.0, 0.05, 0.0, 0.25]),
        "guide readers": dict(share=0.03, sessions=2.5, burst=0.1, burst_len=2, pages=3, page_sigma=0.5, dwell=70, searches=0.05,
                              articles=1.6, read=400, hours=hours((12, 4, 1), (20, 2, 0.7)), week=[1, 1, 1, 1, 1, 1.1, 1.2], device=[0.5, 0.45, 0.05],
                              ref=[0.85, 0.05, 0.0, 0.05, 0.05], sections=sec(blog=0.75, seller_guides=0.1, price_guides=0.08, feed=0.04, items_general=0.03),
                              queries=[0.0, 0.0, 0.0, 0.1, 0.1, 0.0, 0.8], acats=[0.02, 0.0, 0.15, 0.83, 0.0, 0.0]),
        "movers": dict(share=0.10, sessions=9, burst=0.95, burst_len=4, pages=20, page_sigma=0.7, dwell=15, searches=4,
                       articles=1.0, read=30, hours=hours((19, 3, 1), (8, 1.5, 0.3)), week=even, device=[0.4, 0.55, 0.05],
                       ref=[0.3, 0.2, 0.0, 0.05, 0.45], sections=sec(items_furniture=0.6, search_results=0.2, browse=0.1, messages=0.07, blog=0.03),
                       queries=[0.05, 0.0, 0.92, 0.03, 0.0, 0.0, 0.0], acats=[0.05, 0.0, 0.0, 0.05, 0.0, 0.9]),
        "sellers": dict(share=0.15, sessions=8, burst=0.0, burst_len=1, pages=18, page_sigma=0.6, dwell=90, searches=0.3,
                        articles=0.25, read=180, hours=hours((11, 3, 1), (17, 3, 1)), week=[0.35, 0.35, 0.35, 0.35, 0.6, 1.8, 2.0],
                        device=[0.5, 0.45, 0.05], ref=[0.03, 0.05, 0.22, 0.0, 0.7],
                        sections=sec(dashboard=0.3, edit_listing=0.3, messages=0.3, seller_guides=0.04, account=0.03, items_general=0.03),
                        queries=[0.0, 0.0, 0.0, 0.2, 0.75, 0.0, 0.05], acats=[0.1, 0.0, 0.0, 0.1, 0.8, 0.0]),
        "collectors": dict(share=0.12, sessions=8, burst=0.0, burst_len=1, pages=10, page_sigma=0.6, dwell=60, searches=2.5,
                           articles=2.2, read=240, hours=hours((21, 2.5, 1), (14, 3, 0.5)), week=[1, 1, 1, 1, 1, 1.2, 1.2],
                           device=[0.9, 0.08, 0.02], ref=[0.2, 0.05, 0.15, 0.15, 0.45],
                           sections=sec(items_collectibles=0.55, price_guides=0.2, search_results=0.15, messages=0.05, account=0.05),
                           queries=[0.0, 0.95, 0.0, 0.0, 0.0, 0.0, 0.05], acats=[0.0, 0.65, 0.35, 0.0, 0.0, 0.0]),
        "bargain hunters": dict(share=0.20, sessions=26, burst=0.0, burst_len=1, pages=18, page_sigma=0.7, dwell=8, searches=4,
                                articles=1.0, read=20, hours=hours((20, 1.8, 1), (12.5, 1, 0.2)), week=even, device=[0.3, 0.65, 0.05],
                                ref=[0.05, 0.05, 0.15, 0.02, 0.73], sections=sec(items_general=0.55, items_fashion=0.15, search_results=0.25, account=0.05),
                                queries=[0.9, 0.0, 0.05, 0.05, 0.0, 0.0, 0.0], acats=[0.9, 0.0, 0.0, 0.0, 0.0, 0.1]),
        "dealers": dict(share=0.05, sessions=30, burst=0.0, burst_len=1, pages=90, page_sigma=0.5, dwell=5, searches=6,
                        articles=0.5, read=10, hours=hours((10, 3, 1), (15, 3, 1)), week=[1, 1, 1, 1, 1, 0.7, 0.5],
                        device=[0.97, 0.02, 0.01], ref=[0.0, 0.0, 0.03, 0.0, 0.97],
                        sections=sec(items_general=0.55, items_collectibles=0.1, items_furniture=0.1, search_results=0.2, messages=0.05),
                        queries=[0.3, 0.1, 0.05, 0.0, 0.0, 0.55, 0.0], acats=[0.8, 0.1, 0.05, 0.0, 0.0, 0.05]),
    }


ENGAGEMENT = {"window shoppers": 0, "guide readers": 1, "movers": 2, "sellers": 3, "collectors": 4, "bargain hunters": 5, "dealers": 6}
# article categories: listing descriptions, collectible listings, price guides, blog posts, seller guides, furniture listings
ARTICLE_RANGES = [(1_000_000, 5000), (2_000_000, 2000), (300_000, 150), (100_000, 80), (200_000, 30), (3_000_000, 1500)]


def generate(out_dir: Path, n_users: int = 8000, seed: int = 0, separation: float = 1.0,
             shares: dict[str, float] | None = None, days: int = DEFAULT_DAYS) -> dict:
    """Write clickstream/search_queries/article_views/truth Parquet files into out_dir; return a summary."""
    world: dict[str, Any] = {"personas": _personas(), "catalog": _catalog(np.random.default_rng(20_000 + seed)), "referrers": _referrers(),
             "queries": _queries(np.random.default_rng(30_000 + seed)), "article_categories": ARTICLE_RANGES, "engagement_rank": ENGAGEMENT}
    assert len(world["referrers"]) == len(REFS) and len(world["queries"]) == len(QUERY_CATS)
    return simulate(Path(out_dir), n_users, seed, separation, shares, days, DEFAULT_DAYS, world)
