"""Synthetic users of a job board (round 4, built on ``_round4``).

The board, https://www.worklantern.com, lists US jobs in seven fields (software & IT, healthcare, finance,
sales & marketing, hospitality & retail, engineering & trades, education) and 20 places (19 metro areas plus
"remote"; a user's own place is Zipf-popular). Sections: job listings (``/job/<id>/<title>-<place>``) and their
application forms (same ids), a job search (``/jobs/search?q=..&l=..``), company pages with reviews and
salaries, salary guides per title and place, career-advice articles (ids 3000 and up), graduate and internship
hubs, job alerts, the job-seeker account, and an employer area (posting jobs, pricing, candidate dashboards).
Visitors come direct, from search engines, social networks, e-mail job alerts and newsletters, and from job
aggregators (Indeed, Google Jobs, Glassdoor, ZipRecruiter, ...), on the web or in the iOS/Android apps.

Personas (share, engagement rank; 0 = least engaged):

* ``aggregator_bouncer`` (10 %, rank 0) - lands from an aggregator on one listing, maybe clicks "apply", and
  leaves; one or two visits, mostly within a couple of days, on a phone; almost never searches.
* ``passive_browser`` (25 %, rank 1) - employed, glances at job alerts: a few short visits from alert e-mails
  on a phone at commute times and late evening, listings and company pages in their field, rarely applies.
* ``salary_researcher`` (12 %, rank 2) - preparing a raise or an offer: salary guides and company
  reviews/salaries, arrives from search engines on a desktop at lunch, often all within a short burst; long
  salary queries ("average salary registered nurse chicago"). Same volume as ``career_reader``.
* ``career_reader`` (14 %, rank 3) - reads career advice (CVs, interviews, negotiation, career change) with long
  reading times, arrives from LinkedIn/social and the newsletter, reads newsletter articles without a page view
  too, evenings and weekends, "how to" queries. Same volume as ``salary_researcher``, different pages.
* ``graduate`` (10 %, rank 4) - students and new graduates: internship/graduate hubs, entry-level listings,
  CV advice, short vague queries with many typos, phones and apps late at night, social referrals, bursts
  around application deadlines, heavy-tailed activity.
* ``recruiter`` (7 %, rank 5) - employers and agency recruiters: the employer area (post a job, candidates,
  pricing), company and salary pages, long multi-page desktop visits in office hours on weekdays only, searches
  for titles and candidates. Similar volume to ``active_seeker`` but the other side of the market.
* ``active_seeker`` (22 %, rank 6) - looking for work now: near-daily long visits of listings, searches with
  title and place, applications, saved jobs and the account, from alerts, aggregators and direct, desktop in
  weekday office hours plus evenings.

Engine mechanisms (Zipf page popularity, lognormal visit length and dwell, weekly/daily cycles, bursts, heavy
users, bots, null exit dwells, absurd dwells, separation blending) are described in ``_round4``.
"""

from __future__ import annotations

from pathlib import Path

from bench.quality.generators import _round4 as eng
from bench.quality.generators._round4 import Persona, Section, add_words, pick, slug

HOST = "https://www.worklantern.com"
TOPICS = ("software_it", "healthcare", "finance", "sales_marketing", "hospitality_retail", "engineering_trades",
          "education")
PLACES = (
    "remote", "new-york-ny", "los-angeles-ca", "chicago-il", "houston-tx", "austin-tx", "seattle-wa", "boston-ma",
    "denver-co", "atlanta-ga", "phoenix-az", "philadelphia-pa", "san-francisco-ca", "dallas-tx", "miami-fl",
    "minneapolis-mn", "portland-or", "charlotte-nc", "detroit-mi", "nashville-tn",
)
CITY = tuple(" ".join(p.split("-")[:-1]) if p != "remote" else "remote" for p in PLACES)
CITY_ST = tuple(f"{c} {p.split('-')[-1]}" if p != "remote" else "remote" for c, p in zip(CITY, PLACES, strict=True))
TITLES = (
    ("software engineer", "python developer", "data analyst", "devops engineer", "frontend developer",
     "qa tester", "it support technician", "product manager"),
    ("registered nurse", "medical assistant", "pharmacy technician", "physical therapist", "home health aide",
     "dental hygienist", "caregiver", "radiology technician"),
    ("accountant", "financial analyst", "bookkeeper", "payroll specialist", "auditor", "loan officer",
     "tax preparer", "claims adjuster"),
    ("sales representative", "account executive", "marketing coordinator", "social media manager",
     "customer success manager", "seo specialist", "business development representative", "copywriter"),
    ("cashier", "barista", "line cook", "server", "store manager", "front desk agent", "warehouse associate",
     "delivery driver"),
    ("electrician", "mechanical engineer", "hvac technician", "welder", "plumber", "civil engineer",
     "cnc machinist", "maintenance technician"),
    ("teacher", "teaching assistant", "substitute teacher", "tutor", "school counselor",
     "special education teacher", "preschool teacher", "instructional designer"),
)
LEVELS = ("", "senior ", "junior ", "lead ", "entry level ", "part time ", "contract ", "")
COMPANIES = (
    ("Nimbus Labs", "Brightpath Software", "Quantive", "Corvid Systems", "Helio Data", "Parallax IO"),
    ("Riverside Health", "Meridian Care", "Northstar Clinics", "Bluebell Home Care", "Crestview Medical",
     "Pinecone Pharmacy"),
    ("Ledgerline", "Harbor Trust Bank", "Summit Tax Partners", "Copperleaf Capital", "Clearwater Insurance",
     "Atlas Payroll"),
    ("Signal & Story", "Brightreach Media", "Uplift Sales Co", "Kestrel Brands", "Loudspeaker Digital",
     "Orbit CRM"),
    ("Daily Grind Coffee", "FreshCart Markets", "Harbor Hotels", "Saffron Kitchen Group", "QuickDrop Logistics",
     "Maple Outlet"),
    ("Ironbridge Engineering", "VoltWorks Electric", "Apex HVAC", "Granite Civil", "Precision Machining Inc",
     "Keystone Builders"),
    ("Lakeside School District", "BrightMinds Tutoring", "Oakridge Academy", "Little Acorns Preschool",
     "LearnPath Online", "Westfield Charter"),
)
COMPANY_PAGES = ("", "/reviews", "/jobs", "/salaries", "/interviews", "/benefits")
ADVICE = (
    ("tech interview prep", "coding portfolio", "switching to data science", "remote tech jobs", "system design"),
    ("nursing cv", "night shift survival", "travel nursing", "healthcare certifications", "bedside manner"),
    ("cpa exam", "finance interview questions", "excel skills", "accounting career paths", "audit season"),
    ("sales quotas", "marketing portfolio", "cold calling", "personal branding", "linkedin profile"),
    ("retail to office", "customer service cv", "tipped wages", "shift work", "hospitality careers"),
    ("apprenticeships", "trade licenses", "engineering interview", "union jobs", "safety certifications"),
    ("teacher burnout", "leaving teaching", "classroom management", "teacher interview", "edtech careers"),
)
GENERIC_ADVICE = ("cover letter", "resume", "salary negotiation", "career change", "job interview", "references",
                  "two weeks notice", "ats resume")
ANGLES = ("how-to-write-a", "10-tips-for-your", "the-complete-guide-to", "mistakes-to-avoid-in-your",
          "what-recruiters-think-of-your", "a-template-for-your")

_LISTS = {
    "home": ("/", "/jobs", "/browse-jobs"),
    "alerts": ("/alerts", "/alerts/manage", "/alerts/new", "/alerts/unsubscribe"),
    "account": ("/account/applications", "/account/saved-jobs", "/login", "/account", "/account/resume",
                "/account/profile", "/account/messages", "/register"),
    "employers": ("/employers/dashboard", "/employers/candidates", "/employers/post-job", "/employers",
                  "/employers/pricing", "/employers/post-job/preview", "/employers/candidates/search",
                  "/employers/jobs", "/employers/invoices", "/employers/company-profile",
                  "/employers/hiring-guides", "/employers/login"),
}


def _fixed(name: str):
    return lambda rank, topic, place, idx: _LISTS[name][rank]


def _title(rank: int, topic: int) -> str:
    return LEVELS[(rank // 8) % len(LEVELS)] + TITLES[topic][rank % 8]


def _listing_path(rank, topic, place, idx):
    return f"/job/{880000 + idx}/{slug(_title(rank, topic))}-{PLACES[place]}"


def _apply_path(rank, topic, place, idx):
    return f"/job/{880000 + idx}/apply"


def _company_path(rank, topic, place, idx):
    return f"/company/{slug(COMPANIES[topic][rank % 6])}{COMPANY_PAGES[rank // 6]}"


def _salary_path(rank, topic, place, idx):
    return f"/salaries/{slug(TITLES[topic][rank])}/{PLACES[place]}"


def _advice_path(rank, topic, place, idx):
    subjects = ADVICE[topic] + GENERIC_ADVICE
    subject = subjects[rank % len(subjects)]
    return f"/career-advice/{3000 + idx}-{ANGLES[(rank // len(subjects)) % len(ANGLES)]}-{slug(subject)}"


def _graduate_path(rank, topic, place, idx):
    t = slug(TOPICS[topic])
    return ("/graduate-jobs/{}", "/internships/{}", "/graduate-schemes/{}", "/entry-level/{}",
            "/internships/{}/summer-2026", "/apprenticeships/{}")[rank].format(t)


SECTIONS = (
    Section("home", 3, _fixed("home"), zipf=1.5, dwell_mult=0.5),
    Section("listings", 30, _listing_path, by_topic=True, by_place=True, zipf=1.0),
    Section("apply", 30, _apply_path, by_topic=True, by_place=True, zipf=1.0, dwell_mult=2.5),
    Section("search", 1, lambda *a: "/jobs/search", dwell_mult=0.7),
    Section("alerts", 4, _fixed("alerts"), zipf=1.2, dwell_mult=0.8),
    Section("companies", 36, _company_path, by_topic=True, zipf=1.1, dwell_mult=1.2),
    Section("salaries", 8, _salary_path, by_topic=True, by_place=True, zipf=0.8, dwell_mult=1.3),
    Section("advice", 120, _advice_path, by_topic=True, zipf=1.05, reading=True),
    Section("graduate", 6, _graduate_path, by_topic=True, zipf=0.8),
    Section("account", 8, _fixed("account"), zipf=1.0, dwell_mult=0.8),
    Section("employers", 12, _fixed("employers"), zipf=0.9, dwell_mult=1.4),
)


# ---------------------------------------------------------------------------------------------- query grammar
def _titles(rng, topics) -> list:
    return [TITLES[t][i] for t, i in zip(topics, rng.integers(0, 8, len(topics)), strict=True)]


def _q_title_location(rng, topics, places, extra):
    n = len(topics)
    u = rng.random(n)
    where = [CITY_ST[p] if x < 0.3 else CITY[p] for p, x in zip(places, u, strict=True)]
    titles = _titles(rng, topics)
    out = [f"{t} {w}" if x < 0.8 else f"{t} jobs in {w}" for t, w, x in zip(titles, where, rng.random(n), strict=True)]
    return add_words(rng, out, extra, ("full time", "part time", "no experience", "hiring now", "$25/hr",
                                       "weekend", "entry level", "urgent"))


def _q_title(rng, topics, places, extra):
    out = _titles(rng, topics)
    return add_words(rng, out, extra, ("jobs", "near me", "hiring", "full time", "part time", "senior"))


def _q_remote(rng, topics, places, extra):
    n = len(topics)
    titles = _titles(rng, topics)
    out = [f"remote {t}" if x < 0.6 else f"{t} work from home" for t, x in zip(titles, rng.random(n), strict=True)]
    return add_words(rng, out, extra, ("part time", "no experience", "flexible hours", "contract", "us only"))


def _q_company(rng, topics, places, extra):
    n = len(topics)
    names = [COMPANIES[t][i].lower() for t, i in zip(topics, rng.integers(0, 6, n), strict=True)]
    suffix = pick(rng, ("", " careers", " jobs", " reviews", " salaries", " interview", " benefits"), n)
    out = [a + b for a, b in zip(names, suffix, strict=True)]
    return add_words(rng, out, extra, ("glassdoor", "hiring", "layoffs", "2026"))


def _q_salary(rng, topics, places, extra):
    n = len(topics)
    forms = ("{t} salary", "average salary {t} {c}", "how much does a {t} make", "{t} salary {c}", "{t} pay rate")
    k = rng.integers(0, len(forms), n)
    out = [forms[j].format(t=t, c=CITY[p]) for j, t, p in zip(k, _titles(rng, topics), places, strict=True)]
    return add_words(rng, out, extra, ("per hour", "2026", "entry level", "with experience", "vs", "per year"))


def _q_advice(rng, topics, places, extra):
    n = len(topics)
    subj = [(ADVICE[t] + GENERIC_ADVICE)[i % 13] for t, i in zip(topics, rng.integers(0, 13, n), strict=True)]
    forms = ("how to {}", "{} tips", "{} examples", "{} template", "what to say {}")
    k = rng.integers(0, len(forms), n)
    out = [forms[j].format(s) for j, s in zip(k, subj, strict=True)]
    return add_words(rng, out, extra, ("2026", "for beginners", "with no experience", "reddit", "free", "pdf"))


def _q_graduate(rng, topics, places, extra):
    n = len(topics)
    kinds = pick(rng, ("internship", "graduate", "entry level", "summer internship", "grad scheme", "intern"), n)
    field = [TOPICS[t].split("_")[0] for t in topics]
    u = rng.random(n)
    out = [k if x < 0.3 else f"{k} {f}" if x < 0.8 else f"{f} {k} {CITY[p]}"
           for k, f, x, p in zip(kinds, field, u, places, strict=True)]
    return add_words(rng, out, extra, ("2026", "paid", "no degree", "summer", "remote"))


def _q_employer(rng, topics, places, extra):
    n = len(topics)
    base = pick(rng, ("post a job", "job posting price", "candidates", "resume search", "invoice",
                      "sponsored job", "how many applicants", "job description template"), n)
    u = rng.random(n)
    out = [f"{b}" if x < 0.6 else f"{t} candidates" for b, t, x in zip(base, _titles(rng, topics), u, strict=True)]
    return add_words(rng, out, extra, ("cost", "boost", "free", "cancel"))


QUERY_KINDS = {
    "title_location": _q_title_location, "title": _q_title, "remote": _q_remote, "company": _q_company,
    "salary": _q_salary, "advice": _q_advice, "graduate": _q_graduate, "employer": _q_employer,
}

REFERRERS = {
    "direct": (),
    "search": ("https://www.google.com/", "https://www.bing.com/", "https://search.yahoo.com/",
               "https://duckduckgo.com/"),
    "social": ("https://www.linkedin.com/feed/", "https://l.facebook.com/", "https://www.reddit.com/",
               "https://www.tiktok.com/", "https://t.co/", "https://www.instagram.com/"),
    "email": ("https://mail.google.com/", "https://outlook.live.com/", "https://alerts.worklantern.com/track",
              "https://mail.yahoo.com/"),
    "aggregator": ("https://www.indeed.com/", "https://www.google.com/search?ibp=htl;jobs",
                   "https://www.glassdoor.com/", "https://www.ziprecruiter.com/", "https://www.simplyhired.com/",
                   "https://jooble.org/", "https://www.linkedin.com/jobs/"),
}

EVEN_TOPICS = dict.fromkeys(TOPICS, 1.0)

PERSONAS = (
    Persona(
        "aggregator_bouncer", 0.10, 0, sessions=1.8, pages=2.5, dwell=30, read=80,
        sections={"listings": 0.70, "apply": 0.10, "companies": 0.06, "salaries": 0.05, "home": 0.04,
                  "search": 0.05},
        topics={"hospitality_retail": 0.3, "healthcare": 0.2, "sales_marketing": 0.15, "engineering_trades": 0.15,
                "finance": 0.1, "software_it": 0.05, "education": 0.05},
        devices={"mobile": 0.7, "desktop": 0.25, "tablet": 0.05},
        referrers={"aggregator": 0.8, "search": 0.15, "social": 0.05},
        query_kinds={"title_location": 0.6, "title": 0.4},
        hours=((12.0, 3.0, 1.0), (20.0, 2.0, 0.8)),
        activity_sigma=0.4, bounce=0.75, pages_sigma=0.4, dwell_sigma=1.0, focus=0.7, loyalty=10, affinity=0.7,
        locality=0.8, device_switch=0.05, burst=0.3, burst_days=2, query_words=0.5, typo=0.06,
    ),
    Persona(
        "passive_browser", 0.25, 1, sessions=5, pages=3.0, dwell=25, read=120,
        sections={"listings": 0.45, "alerts": 0.12, "home": 0.10, "companies": 0.10, "salaries": 0.08,
                  "search": 0.07, "advice": 0.05, "apply": 0.02, "account": 0.01},
        topics=EVEN_TOPICS,
        devices={"mobile": 0.70, "ios-app": 0.08, "android-app": 0.06, "desktop": 0.12, "tablet": 0.04},
        referrers={"email": 0.55, "direct": 0.20, "social": 0.15, "search": 0.10},
        query_kinds={"title": 0.5, "title_location": 0.3, "remote": 0.2},
        hours=((8.0, 1.0, 0.8), (12.5, 1.0, 0.6), (18.0, 1.0, 0.7), (22.0, 1.2, 1.0)),
        weekdays=(1.0, 1.0, 1.0, 1.0, 0.9, 0.7, 1.0),
        activity_sigma=0.6, bounce=0.45, pages_sigma=0.5, dwell_sigma=0.8, focus=0.55, loyalty=10, affinity=0.8,
        locality=0.85, burst=0.05, query_words=0.4, typo=0.05,
    ),
    Persona(
        "salary_researcher", 0.12, 2, sessions=7, pages=4.5, dwell=60, read=150,
        sections={"salaries": 0.50, "companies": 0.20, "search": 0.10, "listings": 0.10, "advice": 0.05,
                  "home": 0.05},
        topics={"software_it": 0.25, "finance": 0.2, "healthcare": 0.2, "engineering_trades": 0.15,
                "sales_marketing": 0.1, "education": 0.05, "hospitality_retail": 0.05},
        devices={"desktop": 0.60, "mobile": 0.35, "tablet": 0.05},
        referrers={"search": 0.65, "direct": 0.15, "social": 0.10, "aggregator": 0.10},
        query_kinds={"salary": 0.75, "company": 0.20, "title": 0.05},
        hours=((12.5, 1.2, 1.0), (15.0, 1.5, 0.6), (21.0, 1.5, 0.5)), weekdays=(1.1, 1.1, 1.0, 1.0, 0.9, 0.5, 0.6),
        activity_sigma=0.6, bounce=0.3, pages_sigma=0.5, dwell_sigma=0.7, focus=0.6, loyalty=12, affinity=0.85,
        locality=0.8, burst=0.45, burst_days=2.5, query_words=1.6, typo=0.03,
    ),
    Persona(
        "career_reader", 0.14, 3, sessions=8, pages=3.5, dwell=40, read=330,
        sections={"advice": 0.60, "listings": 0.08, "alerts": 0.06, "companies": 0.05, "search": 0.06,
                  "home": 0.06, "salaries": 0.04, "graduate": 0.03, "account": 0.02},
        topics=EVEN_TOPICS,
        devices={"mobile": 0.55, "desktop": 0.30, "tablet": 0.15},
        referrers={"social": 0.35, "email": 0.30, "search": 0.25, "direct": 0.10},
        query_kinds={"advice": 0.8, "salary": 0.1, "title": 0.1},
        hours=((7.5, 1.0, 0.6), (12.5, 1.0, 0.5), (21.5, 1.5, 1.0)), weekdays=(0.9, 0.9, 0.9, 0.9, 0.8, 1.2, 1.4),
        activity_sigma=0.7, bounce=0.4, pages_sigma=0.5, dwell_sigma=0.8, read_sigma=0.5, focus=0.7, loyalty=10,
        affinity=0.6, locality=0.7, burst=0.1, query_words=2.2, offline_reads=2.5, typo=0.04,
    ),
    Persona(
        "graduate", 0.10, 4, sessions=12, pages=5.0, dwell=20, read=100,
        sections={"graduate": 0.25, "listings": 0.22, "search": 0.16, "advice": 0.12, "apply": 0.08,
                  "account": 0.08, "companies": 0.05, "home": 0.04},
        topics={"software_it": 0.25, "finance": 0.15, "sales_marketing": 0.25, "engineering_trades": 0.15,
                "healthcare": 0.1, "education": 0.05, "hospitality_retail": 0.05},
        devices={"mobile": 0.65, "android-app": 0.10, "ios-app": 0.10, "desktop": 0.12, "tablet": 0.03},
        referrers={"social": 0.40, "search": 0.25, "direct": 0.20, "email": 0.10, "aggregator": 0.05},
        query_kinds={"graduate": 0.6, "title": 0.2, "advice": 0.1, "remote": 0.1},
        hours=((14.0, 2.0, 0.6), (23.0, 1.8, 1.0), (1.5, 1.2, 0.6)), weekdays=(1.0, 1.0, 1.0, 1.0, 0.8, 0.9, 1.3),
        activity_sigma=0.9, bounce=0.3, pages_sigma=0.6, dwell_sigma=0.9, read_sigma=0.8, focus=0.5, loyalty=8,
        affinity=0.7, locality=0.6, device_switch=0.2, burst=0.5, burst_days=4, query_words=0.5, instant_search=0.1,
        typo=0.10,
    ),
    Persona(
        "recruiter", 0.07, 5, sessions=14, pages=8.0, dwell=45, read=120,
        sections={"employers": 0.60, "companies": 0.10, "search": 0.10, "listings": 0.08, "salaries": 0.07,
                  "home": 0.05},
        topics={"software_it": 0.3, "healthcare": 0.2, "sales_marketing": 0.15, "finance": 0.1,
                "engineering_trades": 0.1, "hospitality_retail": 0.1, "education": 0.05},
        devices={"desktop": 0.88, "mobile": 0.10, "tablet": 0.02},
        referrers={"direct": 0.70, "email": 0.20, "search": 0.10},
        query_kinds={"employer": 0.6, "title": 0.2, "salary": 0.1, "company": 0.1},
        hours=((9.5, 1.2, 1.0), (14.5, 1.5, 1.0)), weekdays=(1.0, 1.0, 1.0, 1.0, 0.9, 0.05, 0.05),
        activity_sigma=0.6, bounce=0.1, pages_sigma=0.5, dwell_sigma=0.8, focus=0.7, loyalty=15, affinity=0.85,
        locality=0.7, device_switch=0.05, burst=0.05, query_words=0.8, typo=0.03,
    ),
    Persona(
        "active_seeker", 0.22, 6, sessions=18, pages=6.0, dwell=35, read=120,
        sections={"listings": 0.42, "search": 0.20, "apply": 0.14, "account": 0.08, "companies": 0.05,
                  "alerts": 0.03, "salaries": 0.03, "home": 0.03, "advice": 0.02},
        topics=EVEN_TOPICS,
        devices={"desktop": 0.55, "mobile": 0.35, "tablet": 0.05, "ios-app": 0.03, "android-app": 0.02},
        referrers={"direct": 0.35, "aggregator": 0.25, "email": 0.20, "search": 0.15, "social": 0.05},
        query_kinds={"title_location": 0.55, "title": 0.20, "remote": 0.15, "company": 0.10},
        hours=((9.5, 1.5, 1.0), (14.0, 1.5, 0.8), (20.0, 1.5, 0.5)), weekdays=(1.2, 1.15, 1.1, 1.05, 0.9, 0.35, 0.5),
        activity_sigma=0.7, bounce=0.12, pages_sigma=0.6, dwell_sigma=0.9, focus=0.55, loyalty=12, affinity=0.8,
        locality=0.8, burst=0.1, query_words=1.0, instant_search=0.1, typo=0.04,
    ),
)

DOMAIN = eng.Domain(
    host=HOST,
    sections=SECTIONS,
    topics=TOPICS,
    places=PLACES,
    devices=("mobile", "desktop", "tablet", "ios-app", "android-app"),
    app_devices=("ios-app", "android-app"),
    referrers=REFERRERS,
    query_kinds=QUERY_KINDS,
    search_path=lambda q, place: f"/jobs/search?q={q}&l={PLACES[place]}",
    personas=PERSONAS,
    home_section="home",
    search_section="search",
    article_section="advice",
    article_id_base=3000,
    bot_sections={"listings": 0.7, "companies": 0.15, "salaries": 0.15},
    untracked_app=0.3,
    home_landing=0.45,
)


def generate(out_dir: Path, n_users: int = 8000, seed: int = 0, separation: float = 1.0,
             shares: dict[str, float] | None = None, days: int = 28) -> dict:
    """Write clickstream, search_queries, article_views and truth Parquet files for the job board."""
    return eng.generate(DOMAIN, Path(out_dir), n_users, seed, separation, shares, days)


__all__ = ["generate", "DOMAIN", "PERSONAS"]
