"""Blind generator `saas`: documentation and product site of a SaaS company ("Relaywise"), four weeks.

Personas (least → most engaged): evaluators, admins, support-seekers, developers, champions.
Written from persona descriptions only, without knowledge of intentseg's features or segmentation.
"""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np

from bench.quality.generators._blind import hours, simulate

DEFAULT_DAYS = 28
SECTIONS = ("home", "pricing", "features", "comparisons", "getting-started", "api-reference", "code-guides", "billing",
            "user-management", "settings", "release-notes", "blog", "best-practices", "help-center", "contact-support",
            "community", "app")
REFS = ("search", "comparison", "social", "newsletter", "community", "direct")
QUERY_CATS = ("pricing", "versus", "admin", "errors", "api", "howto", "problems", "product")
ARTICLE_CATS = ("getting-started", "technical", "best-practice", "release-blog", "help-center", "admin-docs")
COMPETITORS = ("zapier", "segment", "hubspot", "mulesoft", "workato", "n8n", "tray.io", "make")
RESOURCES = ("workflows", "webhooks", "connectors", "events", "users", "teams", "tokens", "runs", "schedules", "secrets")
LANGS = ("python", "node", "go", "java", "ruby", "curl")
TOPICS = ("retry-policies", "idempotency", "rate-limits", "pagination", "batching", "error-handling", "oauth-setup",
          "signing-secrets", "local-testing", "ci-deploys", "observability", "migrations", "fan-out", "backfills")


def _catalog() -> dict[str, list[str]]:
    w, d, a, h = "https://www.relaywise.io", "https://docs.relaywise.io", "https://app.relaywise.io", "https://help.relaywise.io"
    c: dict[str, list[str]] = {"home": [f"{w}/", f"{w}/?ref=nav", f"{w}/customers", f"{w}/about", f"{w}/security"]}
    c["pricing"] = [f"{w}/pricing", f"{w}/pricing/enterprise", f"{w}/pricing/faq", f"{w}/pricing?plan=team", f"{w}/pricing/free-plan"]
    c["features"] = [f"{w}/features/{x}" for x in ("workflows", "webhooks", "connectors", "sso", "audit-log", "scheduling",
                                                  "analytics", "data-residency", "templates", "ai-mapping")]
    c["comparisons"] = [f"{w}/compare/relaywise-vs-{x.replace('.', '-')}" for x in COMPETITORS]
    c["getting-started"] = [f"{d}/getting-started/{x}" for x in ("quickstart", "first-workflow", "connect-your-crm",
                            "invite-your-team", "import-from-zapier", "concepts", "glossary", "sandbox")]
    c["api-reference"] = [f"{d}/api/v2/{r}/{op}" for r, op in itertools.product(RESOURCES, ("list", "get", "create", "update", "delete", "errors"))]
    c["code-guides"] = [f"{d}/guides/{lang}/{t}" for t, lang in itertools.product(TOPICS, LANGS)]
    c["billing"] = [f"{a}/settings/billing", f"{a}/settings/billing/invoices", f"{a}/settings/billing/payment-method",
                    f"{a}/settings/billing/usage", f"{a}/settings/billing/plan"]
    c["user-management"] = [f"{a}/admin/{x}" for x in ("users", "users/invite", "groups", "roles", "sso", "scim", "audit-log", "api-keys")]
    c["settings"] = [f"{a}/settings/{x}" for x in ("workspace", "security", "notifications", "integrations", "data-retention", "domains")]
    c["release-notes"] = [f"{d}/changelog/2026-{m:02d}-{day:02d}" for m in (1, 2, 3) for day in (3, 10, 17, 24)]
    c["blog"] = [f"{w}/blog/{x}" for x in ("event-driven-ops", "why-we-rewrote-the-scheduler", "state-of-automation-2026",
                 "customer-story-acme-logistics", "webhooks-at-scale", "designing-retry-budgets", "ai-mapping-launch",
                 "pricing-update-2026", "community-roundup-february", "zero-downtime-migrations")]
    c["best-practices"] = [f"{d}/best-practices/{t}" for t in TOPICS]
    c["help-center"] = [f"{h}/articles/{i}-{x}" for i, x in enumerate((
        "webhook-not-firing", "login-loop-after-sso", "workflow-stuck-in-queued", "invoice-missing", "connector-auth-expired",
        "rate-limit-429", "duplicate-events", "timezone-wrong-in-schedule", "cannot-invite-user", "export-fails",
        "api-key-revoked", "slow-runs", "payload-too-large", "mfa-reset", "data-not-syncing"), start=4000)]
    c["contact-support"] = [f"{h}/contact", f"{h}/contact?topic=billing", f"{h}/contact?topic=outage", f"{h}/tickets/new", f"{h}/status"]
    c["community"] = [f"https://community.relaywise.io/t/{x}" for x in ("show-your-workflow", "feature-requests", "tips-and-tricks",
                      "meetups", "templates-exchange", "beta-program")]
    c["app"] = [f"{a}/workflows", f"{a}/workflows/new", f"{a}/runs", f"{a}/dashboard", f"{a}/templates", f"{a}/connectors", f"{a}/insights"]
    return c


def _referrers() -> dict[str, list[str]]:
    return {
        "search": ["https://www.google.com/", "https://www.bing.com/", "https://duckduckgo.com/", "https://www.google.de/", "https://search.brave.com/"],
        "comparison": ["https://www.g2.com/compare/relaywise-vs-zapier", "https://www.capterra.com/workflow-automation-software/",
                       "https://blog.automationweekly.net/best-integration-platforms-2026", "https://www.trustradius.com/products/relaywise/reviews"],
        "social": ["https://www.linkedin.com/", "https://t.co/x81Kd", "https://www.reddit.com/r/devops/", "https://news.ycombinator.com/"],
        "newsletter": ["https://mail.relaywise.io/newsletter/2026-03", "https://relaywise.substack.com/p/whats-new", "https://newsletter.relaywise.io/issue-42"],
        "community": ["https://community.relaywise.io/", "https://discord.com/channels/relaywise", "https://github.com/relaywise/examples",
                      "https://stackoverflow.com/questions/tagged/relaywise"],
        "direct": [],
    }


def _queries(rng: np.random.Generator) -> dict[str, list[str]]:
    q: dict[str, list[str]] = {}
    q["pricing"] = ["free plan", "relaywise free plan", "pricing", "free plan limits", "is there a free tier", "team plan price",
                    "enterprise pricing", "discount for startups", "trial length", "cancel anytime", "price per user", "nonprofit discount"]
    q["versus"] = [f"{p}{c}" for c in COMPETITORS for p in ("vs ", "relaywise vs ", "alternative to ", "migrate from ")]
    q["admin"] = ["reset password sso", "add user", "remove user", "change billing email", "download invoice", "scim okta",
                  "transfer ownership", "audit log export", "sso saml setup", "change plan", "vat number", "api key rotate"]
    codes = ("400", "401", "403", "404", "409", "422", "429", "500", "502")
    q["errors"] = [f"error {c} {r}" for c, r in itertools.product(codes, RESOURCES)][:60] + [
        "ERR_SIGNATURE_MISMATCH", "invalid_grant refresh token", "ECONNRESET webhook", "TypeError: cannot read properties of undefined run",
        "RW-1042 payload too large", "idempotency key conflict", "ModuleNotFoundError relaywise"]
    fns = [f"{r}.{op}" for r, op in itertools.product(RESOURCES, ("list", "create", "update", "retry", "paginate"))]
    q["api"] = fns + [f"{lang} sdk {t.replace('-', ' ')}" for lang, t in itertools.product(LANGS, TOPICS)][:40]
    q["howto"] = [f"how to {x}" for x in ("retry failed run", "test webhooks locally", "schedule workflow", "use variables",
                  "map fields", "paginate results", "sign requests", "deploy from ci", "backfill events", "set timeouts")]
    q["problems"] = [f"{s} {p}" for s, p in itertools.product(("webhook", "workflow", "connector", "sso login", "schedule", "export"),
                     ("not firing", "not working", "stuck", "failed", "error", "keeps failing", "missing data", "slow"))]
    q["product"] = ["release notes", "changelog march", "ai mapping", "new connectors", "templates", "beta program", "roadmap", "webinar"]
    for k in q:  # a little mess: some queries typed in capitals or with a trailing question mark
        v = q[k]; flip = rng.random(len(v))
        q[k] = [s.capitalize() if f < 0.15 else (s + "?" if f > 0.92 else s) for s, f in zip(v, flip)]
    return q


def _personas() -> dict[str, dict[str, Any]]:
    def sec(**kw: float) -> list[float]: return [kw.get(s.replace("-", "_"), 0.0) + 0.002 for s in SECTIONS]
    wk = [1, 1, 1, 1, 1, 0.35, 0.3]
    return {
        "evaluators": dict(share=0.40, sessions=1.6, burst=0.35, burst_len=2, pages=4, page_sigma=0.6, dwell=45, searches=0.5,
                           articles=0.6, read=150, hours=hours((11, 3, 1), (15, 3, 1)), week=wk, device=[0.6, 0.35, 0.05],
                           ref=[0.5, 0.28, 0.08, 0.01, 0.03, 0.1],
                           sections=sec(home=0.15, pricing=0.3, features=0.25, comparisons=0.12, getting_started=0.12, blog=0.04, api_reference=0.02),
                           queries=[0.5, 0.35, 0.01, 0.01, 0.02, 0.08, 0.01, 0.02], acats=[0.8, 0.03, 0.05, 0.1, 0.02, 0.0]),
        "admins": dict(share=0.22, sessions=7, burst=0.0, burst_len=1, pages=3, page_sigma=0.5, dwell=25, searches=0.2,
                       articles=0.05, read=40, hours=hours((10, 2, 1), (14, 2, 0.8)), week=[1, 1, 1, 1, 1, 0.05, 0.04],
                       device=[0.85, 0.12, 0.03], ref=[0.04, 0.0, 0.0, 0.02, 0.01, 0.93],
                       sections=sec(billing=0.3, user_management=0.35, settings=0.25, app=0.06, help_center=0.03),
                       queries=[0.05, 0.0, 0.85, 0.02, 0.0, 0.05, 0.03, 0.0], acats=[0.05, 0.0, 0.0, 0.05, 0.3, 0.6]),
        "support-seekers": dict(share=0.06, sessions=6, burst=0.92, burst_len=2, pages=5, page_sigma=0.6, dwell=20, searches=3.5,
                                articles=3.0, read=35, hours=hours((12, 5, 1), (21, 2, 0.4)), week=[1, 1, 1, 1, 1, 0.8, 0.8],
                                device=[0.2, 0.75, 0.05], ref=[0.45, 0.0, 0.05, 0.0, 0.08, 0.42],
                                sections=sec(help_center=0.5, contact_support=0.25, app=0.1, settings=0.05, getting_started=0.05, home=0.05),
                                queries=[0.0, 0.0, 0.05, 0.12, 0.0, 0.08, 0.75, 0.0], acats=[0.05, 0.0, 0.0, 0.0, 0.9, 0.05]),
        "developers": dict(share=0.20, sessions=14, burst=0.05, burst_len=4, pages=15, page_sigma=0.8, dwell=120, searches=3.0,
                           articles=1.5, read=600, hours=hours((14, 3, 1), (22, 2.5, 0.8), (1, 1.5, 0.25)), week=[1, 1, 1, 1, 1, 0.45, 0.35],
                           device=[0.95, 0.04, 0.01], ref=[0.35, 0.0, 0.03, 0.02, 0.15, 0.45],
                           sections=sec(api_reference=0.45, code_guides=0.35, getting_started=0.05, best_practices=0.05, app=0.08, release_notes=0.02),
                           queries=[0.0, 0.0, 0.0, 0.45, 0.4, 0.13, 0.02, 0.0], acats=[0.05, 0.8, 0.1, 0.03, 0.02, 0.0]),
        "champions": dict(share=0.12, sessions=32, burst=0.0, burst_len=1, pages=12, page_sigma=0.7, dwell=50, searches=0.3,
                          articles=2.5, read=420, hours=hours((9, 2, 1), (13, 3, 0.8), (20, 2, 0.5)), week=[1, 1, 1, 1, 1, 0.6, 0.5],
                          device=[0.6, 0.35, 0.05], ref=[0.05, 0.0, 0.1, 0.4, 0.35, 0.1],
                          sections=sec(release_notes=0.15, blog=0.15, best_practices=0.15, app=0.35, community=0.12, features=0.05, code_guides=0.03),
                          queries=[0.0, 0.0, 0.05, 0.05, 0.1, 0.3, 0.0, 0.5], acats=[0.0, 0.1, 0.45, 0.4, 0.05, 0.0]),
    }


ENGAGEMENT = {"evaluators": 0, "admins": 1, "support-seekers": 2, "developers": 3, "champions": 4}
ARTICLE_RANGES = [(1000, 40), (2000, 300), (3000, 120), (4000, 200), (5000, 600), (6000, 80)]


def generate(out_dir: Path, n_users: int = 8000, seed: int = 0, separation: float = 1.0,
             shares: dict[str, float] | None = None, days: int = DEFAULT_DAYS) -> dict:
    """Write clickstream/search_queries/article_views/truth Parquet files into out_dir; return a summary."""
    world: dict[str, Any] = {"personas": _personas(), "catalog": _catalog(), "referrers": _referrers(), "engagement_rank": ENGAGEMENT,
             "queries": _queries(np.random.default_rng(10_000 + seed)), "article_categories": ARTICLE_RANGES}
    assert len(world["referrers"]) == len(REFS) and len(world["queries"]) == len(QUERY_CATS)
    return simulate(Path(out_dir), n_users, seed, separation, shares, days, DEFAULT_DAYS, world)
