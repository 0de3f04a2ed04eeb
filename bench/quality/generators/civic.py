"""Blind generator `civic`: a city government services portal ("City of Brookhaven"), four weeks.

Personas (least → most engaged): one-task visitors, permit applicants, residents checking news,
researchers, local business owners. Third held-out round; written from persona descriptions only, without
knowledge of intentseg's features or segmentation. The engine is :mod:`bench.quality.generators._round3`.
"""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np

from bench.quality.generators._round3 import hours, messy, simulate

DEFAULT_DAYS = 28
W = "https://www.brookhavencity.gov"
SERVICES = ("pay-parking-ticket", "report-pothole", "renew-dog-license", "pay-water-bill", "request-bulk-pickup",
            "report-streetlight-outage", "recycling-schedule", "birth-certificate", "marriage-license", "property-tax-payment",
            "register-to-vote", "noise-complaint", "graffiti-removal", "tree-trimming-request", "missed-trash-pickup",
            "parking-permit-residential", "park-shelter-reservation", "fire-inspection-request", "public-records-request",
            "library-card", "senior-transit-pass", "snow-removal", "abandoned-vehicle", "rental-assistance",
            "utility-shutoff-notice", "pet-adoption", "youth-sports-signup", "pool-membership", "sidewalk-repair",
            "code-violation-report", "jury-duty", "change-of-address", "lost-and-found", "bike-registration",
            "community-garden-plot", "compost-bin-order")
PERMITS = ("building", "fence", "deck", "roofing", "electrical", "plumbing", "demolition", "sign", "driveway",
           "solar-panel", "pool", "tree-removal", "special-event", "sidewalk-cafe", "home-occupation", "accessory-dwelling",
           "hvac", "right-of-way")
STATUS = ("permits/status", "permits/status/lookup", "permits/inspections/schedule", "permits/inspections/results",
          "my-account/applications", "my-account", "permits/fees/pay", "permits/documents/upload", "permits/plan-review",
          "my-account/messages", "login", "permits/status/faq")
NEWS = ("road-closure-main-street", "new-library-hours", "water-main-repair", "budget-hearing-scheduled", "spring-cleanup-week",
        "mayor-state-of-the-city", "storm-debris-collection", "new-bike-lanes", "park-renovation-begins", "property-tax-bills-mailed",
        "farmers-market-returns", "police-chief-appointed", "recycling-changes", "school-zone-cameras", "boil-water-advisory-lifted",
        "transit-route-changes", "city-wins-grant", "affordable-housing-plan", "downtown-parking-study", "earth-day-volunteers",
        "construction-update-bridge", "heat-relief-centers", "election-polling-places", "new-fire-station", "art-walk-returns",
        "council-approves-budget", "leaf-collection", "youth-jobs-program", "street-sweeping-schedule", "public-wifi-expansion")
EVENTS = ("farmers-market", "art-walk", "concert-in-the-park", "town-hall-meeting", "earth-day-cleanup", "movie-night",
          "5k-fun-run", "senior-fair", "job-fair", "library-story-time", "food-truck-friday", "open-studio-tour",
          "bike-to-work-day", "history-walk", "jazz-on-the-square", "craft-fair", "blood-drive", "shred-day",
          "neighborhood-watch-meeting", "spring-festival")
POLICIES = ("climate-action-plan", "comprehensive-plan-2040", "housing-strategy", "budget-fy2027-proposed", "capital-improvement-plan",
            "transportation-master-plan", "parks-master-plan", "equity-framework", "open-data-policy", "procurement-policy",
            "stormwater-management-plan", "hazard-mitigation-plan", "downtown-revitalization", "tree-canopy-study",
            "annual-financial-report-2025", "audit-report-2025", "public-safety-review", "zoning-code-update-draft",
            "short-term-rental-study", "broadband-plan", "economic-development-strategy", "noise-policy", "fee-schedule-2026",
            "language-access-plan", "debt-management-policy")
BYLAWS = ("zoning", "noise", "parking", "animal-control", "building-code", "signs", "short-term-rentals", "business-licensing",
          "property-maintenance", "trees", "fireworks", "snow-removal", "waste-collection", "sidewalks", "street-vending",
          "alcohol", "open-burning", "fences", "water-use", "cannabis-retail", "taxi-and-rideshare", "parks-use",
          "special-events", "encroachment", "heritage-properties")
LICENSES = ("general-business-license", "food-service-license", "liquor-license", "home-based-business", "contractor-license",
            "street-vendor-permit", "short-term-rental-license", "massage-establishment", "pawnbroker", "taxi-license",
            "renewals", "license-lookup", "change-of-ownership", "fees", "inspections", "outdoor-patio", "cannabis-retail",
            "tobacco-retail", "special-event-vendor", "closing-a-business")
TAX = ("business-tax-overview", "gross-receipts-tax", "file-a-return", "payment-options", "tax-rates-2026", "exemptions",
       "penalties-and-interest", "hotel-occupancy-tax", "sales-tax-rebate", "business-personal-property", "tax-certificate",
       "deadlines", "amend-a-return", "account-registration", "tax-faq")
DEPTS = ("public-works", "planning", "police", "fire", "parks-and-recreation", "finance", "clerk", "water-utility",
         "housing", "health", "library", "transportation", "human-resources", "mayors-office", "city-council",
         "economic-development", "it", "code-enforcement")


def _sections() -> dict[str, tuple[list[str], int, float]]:
    """section → (urls, group size, dwell multiplier); items inside a group are consecutive (a permit's pages)."""
    s: dict[str, tuple[list[str], int, float]] = {}
    s["home"] = ([f"{W}/", f"{W}/residents", f"{W}/business", f"{W}/government", f"{W}/services", f"{W}/?lang=es"], 1, 0.6)
    s["services"] = ([f"{W}/services/{x}{p}" for x in SERVICES for p in ("/form", "")], 2, 1.5)
    s["permits"] = ([f"{W}/permits/{x}/{p}" for x in PERMITS for p in ("apply", "requirements", "fees")], 3, 1.4)
    s["status"] = ([f"{W}/{x}" for x in STATUS], 1, 0.7)
    s["news"] = ([f"{W}/news/2026/04/{x}" for x in NEWS], 1, 0.8)
    s["events"] = ([f"{W}/events/{x}" for x in EVENTS] + [f"{W}/events", f"{W}/events?view=calendar"], 1, 0.8)
    s["council"] = ([f"{W}/council/meetings/2026-{m:02d}-{d:02d}/{p}" for m, d in ((4, 28), (4, 14), (3, 24), (3, 10), (2, 24),
                     (2, 10), (1, 27), (1, 13), (12, 9), (11, 25)) for p in ("minutes", "agenda", "video")], 3, 2.5)
    s["policies"] = ([f"{W}/documents/policies/{x}" for x in POLICIES], 1, 3.0)
    s["bylaws"] = ([f"{W}/bylaws/{i:03d}-{x}" for i, x in enumerate(BYLAWS, start=101)], 1, 2.0)
    s["licensing"] = ([f"{W}/business/licensing/{x}" for x in LICENSES], 1, 1.5)
    s["tax"] = ([f"{W}/business/tax/{x}" for x in TAX], 1, 1.4)
    s["procurement"] = ([f"{W}/business/procurement/bids/RFP-2026-{i:03d}{p}" for i in range(41, 11, -1) for p in ("", "/addenda")]
                        + [f"{W}/business/procurement/vendor-registration", f"{W}/business/procurement/awards"], 2, 1.8)
    s["departments"] = ([f"{W}/departments/{x}" for x in DEPTS], 1, 0.6)
    s["jobs"] = ([f"{W}/jobs", *(f"{W}/jobs/{i}" for i in range(2601, 2615))], 1, 1.0)
    s["maps"] = ([f"{W}/maps/{x}" for x in ("zoning", "trash-days", "parcels", "bike-lanes", "parks", "wards", "snow-routes",
                                            "construction")], 1, 1.5)
    return s


SECTIONS = tuple(_sections())


def _referrers() -> dict[str, list[str]]:
    return {
        "search": ["https://www.google.com/", "https://www.bing.com/", "https://duckduckgo.com/", "https://search.yahoo.com/",
                   "https://www.google.com/search", "https://www.ecosia.org/"],
        "social": ["https://www.facebook.com/", "https://nextdoor.com/", "https://m.facebook.com/", "https://t.co/Bk7pz",
                   "https://www.instagram.com/", "https://www.reddit.com/r/brookhaven/", "https://lm.facebook.com/l.php"],
        "media": ["https://www.brookhavenherald.com/", "https://www.wbkn.com/news/local", "https://patch.com/brookhaven",
                  "https://news.google.com/"],
        "government": ["https://www.state.gov/", "https://www.brookhavencounty.gov/", "https://www.usa.gov/local-governments",
                       "https://www.irs.gov/businesses"],
        "email": ["https://alerts.brookhavencity.gov/", "https://outlook.live.com/", "https://mail.google.com/"],
        "business": ["https://www.brookhavenchamber.org/", "https://www.bidnetdirect.com/", "https://www.sba.gov/",
                     "https://www.demandstar.com/"],
        "direct": [],
    }


REFS = tuple(_referrers())


def _queries(rng: np.random.Generator) -> dict[str, list[str]]:
    q: dict[str, list[str]] = {}
    q["services"] = [x.replace("-", " ") for x in SERVICES] + ["trash pickup day", "water bill", "parking ticket", "pothole",
                                                               "city hall hours", "contact", "jobs", "library hours"]
    q["permits"] = [f"{p.replace('-', ' ')}{x}" for p, x in itertools.product(PERMITS, (" permit", " permit application",
                    " permit fee"))] + ["permit status", "inspection schedule", "form BP-1", "form ROW-3", "plan review",
                                        "certificate of occupancy", "setback requirements", "how long does a permit take"]
    q["bylaws"] = [f"{b.replace('-', ' ')} bylaw" for b in BYLAWS] + [f"bylaw {i}" for i in range(101, 126)] + [
        "zoning code section 14.2", "noise ordinance hours", "short term rental rules", "chapter 9 animals"]
    q["council"] = ["council minutes", "council agenda", "meeting video", "budget vote", "public hearing", "council members",
                    "minutes march 10", "agenda april 28", "resolution 2026-14", "ordinance 2026-07", "planning commission minutes"]
    q["news"] = ["events this weekend", "farmers market", "road closures", "news", "boil water", "library events",
                 "concert in the park", "parade", "fireworks", "storm cleanup"]
    q["business"] = [x.replace("-", " ") for x in LICENSES + TAX] + [f"rfp {i}" for i in range(12, 42)] + [
        "bid results", "vendor registration", "business license renewal", "tax deadline", "gross receipts rate"]
    return messy(rng, q)


QUERY_CATS = ("services", "permits", "bylaws", "council", "news", "business")
# policy documents, council minutes, news articles, permit guides, business guides and tax bulletins, service FAQs
ARTICLE_CATEGORIES = [(1000, 120), (2000, 60), (3000, 150), (4000, 40), (5000, 60), (6000, 80)]
DEVICE_LABELS = (
    (("desktop", 30), ("Windows 10", 22), ("Win32", 10), ("MacIntel", 12), ("Desktop", 15), ("X11; Linux", 2), ("ChromeOS", 4)),
    (("mobile", 20), ("iPhone", 30), ("Android", 25), ("SM-A536B", 6), ("Pixel 7", 5), ("mobile-web", 8)),
    (("iPad", 50), ("tablet", 30), ("Android Tablet", 15), ("Surface", 5)),
)


def _calendar(days: int) -> np.ndarray:
    c = np.ones(days); c[11 % days] = 1.6; c[12 % days] = 1.3  # a storm and its clean-up
    c[24 % days] *= 1.4; c[25 % days] *= 1.2  # a business-tax deadline
    return c


def _personas() -> dict[str, dict[str, Any]]:
    def sec(**kw: float) -> list[float]: return [kw.get(s, 0.0) + 0.003 for s in SECTIONS]
    def ref(**kw: float) -> list[float]: return [kw.get(r, 0.0) + 0.005 for r in REFS]
    def qry(**kw: float) -> list[float]: return [kw.get(c, 0.0) + 0.01 for c in QUERY_CATS]
    return {
        "one-task visitors": dict(
            share=0.40, visit_days=1.08, per_day=1.02, burst=0.0, burst_len=1, pages=1.3, page_sigma=0.4, dwell=90, dwell_sigma=0.8,
            n_fav=1, loyalty=0.1, stick=0.95, hour_jitter=1.5, searches=0.06, articles=0.03, read=60, read_sigma=0.8,
            search_only=0.003, article_only=0.002, hours=hours((11, 3, 1), (19, 3, 0.7)), week=[1, 1, 1, 1, 1, 0.6, 0.5],
            device=[0.45, 0.5, 0.05], ref=ref(search=0.85, direct=0.07, social=0.03, government=0.04),
            sections=sec(services=0.88, home=0.04, departments=0.05, maps=0.03),
            queries=qry(services=0.9, permits=0.05), acats=[0.0, 0.0, 0.05, 0.05, 0.0, 0.9]),
        "permit applicants": dict(
            share=0.20, visit_days=5, per_day=1.2, burst=0.6, burst_len=9, pages=4, page_sigma=0.5, dwell=55, dwell_sigma=0.75,
            n_fav=2, loyalty=0.7, stick=0.92, hour_jitter=1.0, searches=0.9, articles=0.3, read=150, read_sigma=0.7,
            search_only=0.01, article_only=0.0, hours=hours((10, 2, 1), (14, 2, 0.9), floor=0.01), week=[1, 1, 1, 1, 1, 0.15, 0.1],
            device=[0.85, 0.12, 0.03], ref=ref(direct=0.5, search=0.35, email=0.15),
            sections=sec(permits=0.5, status=0.3, bylaws=0.04, home=0.06, maps=0.05, departments=0.05),
            queries=qry(permits=0.8, services=0.1, bylaws=0.1), acats=[0.0, 0.0, 0.0, 0.85, 0.05, 0.1]),
        "residents checking news": dict(
            share=0.20, visit_days=6, per_day=1.1, burst=0.1, burst_len=3, pages=2.2, page_sigma=0.45, dwell=22, dwell_sigma=0.7,
            n_fav=2, loyalty=0.05, stick=0.9, hour_jitter=1.0, searches=0.05, articles=0.4, read=45, read_sigma=0.7,
            search_only=0.0, article_only=0.005, hours=hours((7.5, 1.2, 0.6), (12.5, 1, 0.5), (20.5, 2, 1.2)),
            week=[0.8, 0.8, 0.8, 0.8, 1, 1.4, 1.4], device=[0.12, 0.83, 0.05],
            ref=ref(social=0.6, media=0.15, direct=0.15, email=0.1),
            sections=sec(news=0.55, events=0.35, home=0.06, maps=0.02, services=0.02),
            queries=qry(news=0.85, services=0.15), acats=[0.0, 0.0, 0.95, 0.0, 0.0, 0.05]),
        "researchers": dict(
            share=0.12, visit_days=6, per_day=1.2, burst=0.3, burst_len=6, pages=6, page_sigma=0.6, dwell=150, dwell_sigma=0.7,
            n_fav=4, loyalty=0.35, stick=0.9, hour_jitter=1.2, searches=1.8, articles=2.5, read=1100, read_sigma=0.6,
            search_only=0.01, article_only=0.04, hours=hours((10, 2, 1), (15, 2, 1), (21, 2, 0.4)), week=[1, 1, 1, 1, 1, 0.4, 0.3],
            device=[0.88, 0.04, 0.08], ref=ref(search=0.45, direct=0.3, government=0.1, media=0.15),
            sections=sec(policies=0.3, council=0.35, bylaws=0.25, news=0.04, departments=0.03, home=0.03),
            queries=qry(bylaws=0.55, council=0.3, permits=0.05, news=0.1), acats=[0.5, 0.45, 0.05, 0.0, 0.0, 0.0]),
        "local business owners": dict(
            share=0.08, visit_days=16, per_day=1.6, burst=0.0, burst_len=1, pages=11, page_sigma=0.6, dwell=120, dwell_sigma=0.7,
            n_fav=6, loyalty=0.5, stick=0.85, hour_jitter=1.0, searches=0.5, articles=1.0, read=300, read_sigma=0.7,
            search_only=0.0, article_only=0.0, hours=hours((8, 1.5, 1), (13, 2, 0.8), (19, 2, 0.5)), week=[1, 1, 1, 1, 1, 0.5, 0.2],
            device=[0.8, 0.15, 0.05], ref=ref(direct=0.8, business=0.12, email=0.05, search=0.03),
            sections=sec(licensing=0.28, tax=0.25, procurement=0.3, bylaws=0.04, permits=0.04, departments=0.04, news=0.03, home=0.02),
            queries=qry(business=0.8, bylaws=0.1, permits=0.1), acats=[0.05, 0.05, 0.0, 0.05, 0.85, 0.0]),
    }


ENGAGEMENT = {"one-task visitors": 0, "permit applicants": 1, "residents checking news": 2, "researchers": 3,
              "local business owners": 4}


def generate(out_dir: Path, n_users: int = 8000, seed: int = 0, separation: float = 1.0,
             shares: dict[str, float] | None = None, days: int = DEFAULT_DAYS) -> dict:
    """Write clickstream/search_queries/article_views/truth Parquet files into out_dir; return a summary."""
    world: dict[str, Any] = {
        "personas": _personas(), "sections": _sections(), "referrers": _referrers(), "engagement_rank": ENGAGEMENT,
        "queries": _queries(np.random.default_rng(30_000 + seed)), "article_categories": ARTICLE_CATEGORIES,
        "device_labels": DEVICE_LABELS, "calendar": _calendar, "null_exit": 0.12, "float_time": False}
    assert len(world["queries"]) == len(QUERY_CATS)
    return simulate(Path(out_dir), n_users, seed, separation, shares, days, DEFAULT_DAYS, world)
