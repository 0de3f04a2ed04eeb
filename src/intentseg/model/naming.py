"""Segment profiles, their defining traits in plain words, names and targeting advice.

Names follow engagement order (``docs/adr/0002-segment-naming-and-json-models.md``): the name's tier
comes from the segment's engagement *rank* (not its id, which a matched refit may keep out of order).
With up to three segments the names are the tiers alone; with more, each name adds the segment's
strongest supported trait (``"Highly engaged · readers"``) or, when none qualifies, its rank within the
tier (``"Moderate engagement (2 of 3)"``, 1 = least engaged of the tier). Every name is unique.

**Which differences count (one rule for names, trait sentences and advice).** A feature is *evidence*
only when its source and column exist in this warehouse and it varies among the users of its source
(a column the warehouse lacks comes out constant: no device column gives every clicker a mobile share
of 0). A trait of segment s on evidence feature f needs a large difference from the *other* users:

* effect size ``|d| >= MIN_EFFECT_SIZE`` (0.5, Cohen's "medium"), where ``d`` is the standardized mean
  difference of s vs the rest on the *transformed* feature (log counts, so a few heavy users cannot
  make it), with the pooled standard deviation;
* for shares and flags also an absolute difference of at least ``MIN_SHARE_POINTS`` (10 points).

Nouns come only from traits where the segment is *higher* than the rest, and a source's own noun
("browsers", "searchers", "readers") only when at least two sources are evidence: with one source its
volume is the engagement the tier already names.

Content interests (``interest_<page|article>_<section>_share``, docs/adr/0009) name readers of their
section: ``"Highly engaged · sports readers"``, by the section's label (the feature run's, else the
column's words); the ``other`` share names no one.

Profiles also keep ``z``, the segment's transformed mean against all users in standard deviations, for
the charts; ``lift`` is the ratio of raw means, in the feature's units.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from ..features.interests import OTHER, fallback_label, is_interest, kind_of

TIERS = ("Low engagement", "Moderate engagement", "Highly engaged")

#: The effect-size rule (see the module docstring).
MIN_EFFECT_SIZE = 0.5
MIN_SHARE_POINTS = 0.10

# What to call users who are high on a feature (several features can share a noun).
TRAIT_NOUNS: dict[str, str] = {
    "article_views": "readers",
    "distinct_articles": "readers",
    "article_time_total_s": "readers",
    "article_time_avg_s": "readers",
    "has_article_views": "readers",
    "searches": "searchers",
    "distinct_queries": "searchers",
    "query_words_avg": "searchers",
    "has_search_queries": "searchers",
    "intent_transactional_share": "shoppers",
    "intent_commercial_share": "comparers",
    "intent_informational_share": "researchers",
    "intent_navigational_share": "navigators",
    "clicks": "browsers",
    "distinct_pages": "browsers",
    "sessions": "browsers",
    "click_time_total_s": "browsers",
    "click_time_avg_s": "browsers",
    "click_active_days": "browsers",
    "has_clickstream": "browsers",
    "device_mobile_share": "mobile users",
    "device_desktop_share": "desktop users",
    "device_tablet_share": "tablet users",
    "referrer_search_share": "search visitors",
    "referrer_social_share": "social visitors",
    "referrer_direct_share": "direct visitors",
    "active_days": "regulars",
    "total_events": "regulars",
    "engagement_score": "regulars",
    "recency_days": "lapsed users",
}

#: The noun that only says "uses this source" (meaningless when it is the only source).
SOURCE_NOUNS = {"clickstream": "browsers", "search_queries": "searchers", "article_views": "readers"}
#: The per-user volume of each source: its users are those with a volume above 0.
SOURCE_VOLUME = {"clickstream": "clicks", "search_queries": "searches", "article_views": "article_views"}

# Where each feature comes from: (source, optional column it needs); first matching prefix wins.
_ORIGINS: tuple[tuple[str, str, str | None], ...] = (
    ("click_time_", "clickstream", "time_spent"),
    ("device_", "clickstream", "device"),
    ("referrer_", "clickstream", "referrer"),
    ("clicks", "clickstream", None),
    ("distinct_pages", "clickstream", None),
    ("sessions", "clickstream", None),
    ("click_active_days", "clickstream", None),
    ("has_clickstream", "clickstream", None),
    ("searches", "search_queries", None),
    ("distinct_queries", "search_queries", None),
    ("query_words_avg", "search_queries", None),
    ("intent_", "search_queries", None),
    ("has_search_queries", "search_queries", None),
    ("article_time_", "article_views", "time_spent"),
    ("article_views", "article_views", None),
    ("distinct_articles", "article_views", None),
    ("has_article_views", "article_views", None),
    ("interest_page_", "clickstream", "url"),
    ("interest_article_", "article_views", None),
)

# Plain-word labels for the trait sentences; other names are shown with underscores as spaces.
LABELS: dict[str, str] = {
    "click_time_total_s": "time on pages (s)",
    "click_time_avg_s": "time per click (s)",
    "article_time_total_s": "reading time (s)",
    "article_time_avg_s": "reading time per article (s)",
    "article_views": "article views",
    "recency_days": "days since last visit",
    "active_days": "active days",
}

ADVICE: dict[str, str] = {
    "readers": "recommend related articles and a newsletter",
    "searchers": "improve search results and suggest popular queries",
    "shoppers": "show offers, price alerts and checkout reminders",
    "comparers": "send comparisons, reviews and buying guides",
    "researchers": "offer guides and in-depth content",
    "navigators": "add shortcuts to the pages they come for",
    "browsers": "personalise the home page with pages like the ones they visit",
    "mobile users": "favour mobile-friendly formats and app prompts",
    "desktop users": "use rich desktop layouts and longer formats",
    "tablet users": "favour visual, long-form formats",
    "search visitors": "invest in landing pages for the queries that bring them",
    "social visitors": "reach them with shareable content on social channels",
    "direct visitors": "reward loyalty: members' content and early access",
    "regulars": "keep the rhythm with regular updates",
    "lapsed users": "send a win-back message with what is new",
}
TIER_ADVICE = ("Re-engage: ", "Grow: ", "Retain: ")


def tier_of(rank: int, k: int) -> int:
    """0 / 1 / 2 = low / moderate / high for the segment of engagement rank ``rank`` (0 = least) of ``k``.

    The rank's place between the least (0) and the most engaged (1), ``rank / (k - 1)``, cut in thirds
    symmetrically (a place exactly on a cut is moderate): k = 3 is low/moderate/high, k = 4 is
    L/M/M/H, k = 5 L/L/M/H/H. The least engaged of two or more segments is always low, the most always high.
    """
    if k <= 1:
        return 2
    if 3 * rank < k - 1:
        return 0
    if 3 * rank > 2 * (k - 1):
        return 2
    return 1


def engagement_ranks(engagement: np.ndarray) -> np.ndarray:
    """Rank of each segment id by engagement (0 = least engaged; ties keep id order)."""
    ranks = np.empty(len(engagement), dtype=int)
    ranks[np.argsort(np.asarray(engagement, dtype=float), kind="stable")] = np.arange(len(engagement))
    return ranks


def tier_in_name(name: str) -> int | None:
    """The tier a name claims (``"Moderate engagement · readers"`` -> 1), or None for a name without one."""
    for t, tier in enumerate(TIERS):
        if name == tier or name.startswith(tier + " "):
            return t
    return None


def section_of(name: str, labels: Mapping[str, str] | None = None) -> str:
    """The section label of an interest column (the feature run's label, else the column's words)."""
    return (labels or {}).get(name) or fallback_label(name)


def label_of(name: str, labels: Mapping[str, str] | None = None) -> str:
    if is_interest(name):
        what, rest = ("pages", "sections") if kind_of(name) == "page" else ("article views", "categories")
        if name.endswith(f"_{OTHER}_share"):
            return f"share of {what} in other {rest}"
        return f"share of {what} in {section_of(name, labels)}"
    return LABELS.get(name, name.replace("_", " "))


def noun_of(name: str, labels: Mapping[str, str] | None = None) -> str | None:
    """What to call users high on ``name``; None for an interest's ``other`` share (it names no one)."""
    if is_interest(name):
        section = section_of(name, labels)
        return None if name.endswith(f"_{OTHER}_share") else f"{section} readers"
    return TRAIT_NOUNS.get(name, f"high {name.replace('_', ' ')}")


def origin_of(name: str) -> tuple[str | None, str | None]:
    """``(source, column)`` a feature is computed from; ``(None, None)`` for cross-source features."""
    for prefix, source, column in _ORIGINS:
        if name.startswith(prefix):
            return source, column
    return None, None


def supported_features(
    raw: np.ndarray,
    names: list[str],
    absent_sources: Iterable[str] = (),
    absent_columns: Mapping[str, Iterable[str]] | None = None,
) -> np.ndarray:
    """Which features can carry evidence: their source and column exist, and they vary.

    ``absent_sources`` / ``absent_columns`` are what the feature build found missing (``build_features``
    puts them in ``df.attrs["run"]``). Without them the data still tells: a feature that is constant
    over the users of its source (those with a volume above 0, when the volume is a model feature) or
    over all users says nothing about anyone.
    """
    absent = set(absent_sources)
    absent_cols = {s: set(cols) for s, cols in (absent_columns or {}).items()}
    index = {f: j for j, f in enumerate(names)}
    ok = np.zeros(len(names), dtype=bool)
    for j, f in enumerate(names):
        source, column = origin_of(f)
        if source in absent or (column is not None and column in absent_cols.get(source, ())):
            continue
        volume = index.get(SOURCE_VOLUME.get(source, ""))
        users = raw[:, volume] > 0 if volume is not None else np.ones(len(raw), dtype=bool)
        values = raw[users, j]
        ok[j] = len(values) > 1 and bool(np.ptp(values) > 0)
    return ok


def effect_sizes(Z: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Standardized mean difference (pooled SD) of the users in ``rows`` vs the rest, per column.

    ``inf`` (signed) when both groups are constant but differ; 0 when they do not or a group is empty.
    """
    n1, n0 = int(rows.sum()), int((~rows).sum())
    if n1 == 0 or n0 == 0:
        return np.zeros(Z.shape[1])
    a, b = Z[rows], Z[~rows]
    diff = a.mean(axis=0) - b.mean(axis=0)
    pooled = np.sqrt((a.var(axis=0) * n1 + b.var(axis=0) * n0) / max(n1 + n0 - 2, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(pooled > 0, diff / np.where(pooled > 0, pooled, 1.0), np.sign(diff) * np.inf)
    return np.where(np.abs(diff) > 1e-12, d, 0.0)


def qualifying_traits(d: np.ndarray, share_diff: np.ndarray, kinds: list[str], supported: np.ndarray) -> np.ndarray:
    """The effect-size rule: supported, ``|d| >= MIN_EFFECT_SIZE``, shares/flags also >= 10 points apart."""
    is_share = np.array([kind in ("share", "flag") for kind in kinds], dtype=bool)
    big_enough = np.abs(d) >= MIN_EFFECT_SIZE
    share_ok = ~is_share | (np.abs(share_diff) >= MIN_SHARE_POINTS)
    return supported & big_enough & share_ok


def _feature_stats(names: list[str], seg_mean: np.ndarray, seg_median: np.ndarray, all_mean: np.ndarray,
                   rest_mean: np.ndarray, rest_median: np.ndarray, seg_z: np.ndarray, d: np.ndarray) -> dict[str, dict]:
    """Each feature's statistics in one segment (see :func:`build_profiles`)."""
    return {
        f: {
            "mean": float(seg_mean[j]),
            "median": float(seg_median[j]),
            "overall_mean": float(all_mean[j]),
            "rest_mean": float(rest_mean[j]),
            "rest_median": float(rest_median[j]),
            "lift": float(seg_mean[j] / all_mean[j]) if all_mean[j] != 0 else None,
            "z": float(seg_z[j]),
            "effect_size": float(d[j]) if np.isfinite(d[j]) else None,
        }
        for j, f in enumerate(names)
    }


def build_profiles(
    raw: np.ndarray,
    Z: np.ndarray,
    labels: np.ndarray,
    k: int,
    names: list[str],
    kinds: list[str],
    supported: np.ndarray | None = None,
    sections: Mapping[str, str] | None = None,
) -> list[dict]:
    """One profile per segment: size, share, per-feature statistics, up to 3 traits that pass the rule.

    ``raw`` holds the model features in their own units, ``Z`` the same users transformed;
    ``supported`` (default: :func:`supported_features` of ``raw``) marks the features that can carry
    evidence; ``sections`` gives interest columns their section labels. Each feature's statistics: mean,
    median, overall_mean, rest_mean and rest_median (the other users), lift,
    z (vs all users, for charts) and effect_size (``d`` vs the other users; None when infinite).
    """
    n = len(labels)
    supported = supported_features(raw, names) if supported is None else np.asarray(supported, dtype=bool)
    nouns_ok = _nouns_allowed(names, supported)
    all_mean, z_mean, z_std = raw.mean(axis=0), Z.mean(axis=0), Z.std(axis=0)
    profiles = []
    for s in range(k):
        rows = labels == s
        size = int(rows.sum())
        seg_raw = raw[rows] if size else np.zeros((1, raw.shape[1]))
        rest_raw = raw[~rows] if size < n else np.zeros((1, raw.shape[1]))
        seg_mean, seg_median = seg_raw.mean(axis=0), np.median(seg_raw, axis=0)
        rest_mean, rest_median = rest_raw.mean(axis=0), np.median(rest_raw, axis=0)
        seg_z = (Z[rows].mean(axis=0) - z_mean) / np.where(z_std > 0, z_std, 1.0) if size else np.zeros(len(names))
        d = effect_sizes(Z, rows)
        # shares and flags: Z is the clipped share itself, so this is the difference in points
        share_diff = (Z[rows].mean(axis=0) if size else 0.0) - (Z[~rows].mean(axis=0) if size < n else 0.0)
        ok = qualifying_traits(d, np.asarray(share_diff, dtype=float), kinds, supported)
        features = _feature_stats(names, seg_mean, seg_median, all_mean, rest_mean, rest_median, seg_z, d)
        strongest = [j for j in np.argsort(-np.abs(d), kind="stable") if ok[j]]
        positive = [j for j in np.argsort(-d, kind="stable")
                    if ok[j] and d[j] > 0 and nouns_ok[j] and noun_of(names[j], sections) is not None]
        nouns: list[str] = []
        for j in positive:
            noun = noun_of(names[j], sections)
            if noun is not None and noun not in nouns:
                nouns.append(noun)
        profiles.append(
            {
                "segment_id": s,
                "size": size,
                "share": size / n if n else 0.0,
                "features": features,
                "traits": [_trait_sentence(names[j], kinds[j], features[names[j]], sections) for j in strongest[:3]],
                # used for naming, dropped before the profile is exposed
                "_nouns": nouns,
                "_strength": float(d[positive[0]]) if positive else 0.0,
            }
        )
    return profiles


def name_segments(
    profiles: list[dict], taken: dict[int, str] | None = None, engagement: np.ndarray | None = None
) -> list[str]:
    """Unique names: the tier of each segment's engagement rank, plus (k > 3) a supported noun or its rank.

    ``taken`` maps segment ids to names to keep (carried from a previous model); a carried name that
    would now lie — another tier, a noun the segment no longer has, a rank it no longer holds, or a
    trait name where k <= 3 names are the tiers alone — is replaced by a generated one.
    ``engagement`` (default: ids are ranks) orders the segments.
    """
    k = len(profiles)
    ranks = engagement_ranks(engagement) if engagement is not None else np.arange(k)
    tiers = [tier_of(int(ranks[s]), k) for s in range(k)]
    by_profile = {p["segment_id"]: p for p in profiles}
    result: dict[int, str] = {}
    for s, name in (taken or {}).items():
        if _still_true(name, s, tiers, ranks, by_profile[s]["_nouns"], k):
            result[s] = name
    used = set(result.values())
    todo = [p for p in profiles if p["segment_id"] not in result]
    # The segment with the strongest trait chooses first (ties: lower id).
    todo.sort(key=lambda p: (-p["_strength"], p["segment_id"]))
    for p in todo:
        s = p["segment_id"]
        tier = TIERS[tiers[s]]
        if k <= 3:
            candidates = [tier]
        else:
            candidates = [f"{tier} · {noun}" for noun in p["_nouns"]] + [_rank_name(s, tiers, ranks)]
        name = next((c for c in candidates if c not in used), None)
        if name is None:  # only a kept name can collide with all of them
            name = next(f"{candidates[-1]} [{i}]" for i in range(2, k + 2) if f"{candidates[-1]} [{i}]" not in used)
        result[s] = name
        used.add(name)
    return [result[s] for s in range(k)]


def name_and_advise(
    profiles: list[dict], names: list[str], inherited: dict[int, str], engagement: np.ndarray, k: int
) -> list[str]:
    """Name the segments, and give each profile its name, engagement and advice; returns the names."""
    segment_names = name_segments(profiles, inherited, engagement)
    ranks = engagement_ranks(engagement)
    for p in profiles:
        s = p["segment_id"]
        p["name"] = segment_names[s]
        p["engagement"] = float(engagement[s])
        p["advice"] = advise(p, tier_of(int(ranks[s]), k))
        del p["_nouns"], p["_strength"]  # used for naming only
    return segment_names


def advise(profile: dict, tier: int) -> str:
    """A short targeting suggestion from the segment's tier and strongest supported trait."""
    nouns = profile["_nouns"]
    what = "broad messages"
    if nouns:
        what = ADVICE.get(nouns[0]) or (
            f"lead with {nouns[0].removesuffix(' readers')} content in newsletters and on the home page"
            if nouns[0].endswith(" readers") else "test messages built on what sets them apart")
    return TIER_ADVICE[tier] + what + "."


def _nouns_allowed(names: list[str], supported: np.ndarray) -> np.ndarray:
    """A source's own noun needs a second source with evidence; other nouns need only their feature."""
    sources = {origin_of(f)[0] for f, ok in zip(names, supported) if ok} - {None}
    if len(sources) >= 2:
        return supported.copy()
    return supported & np.array([noun_of(f) not in SOURCE_NOUNS.values() for f in names], dtype=bool)


def _rank_name(s: int, tiers: list[int], ranks: np.ndarray) -> str:
    """The tier, with the segment's place in it when the tier holds several segments."""
    same = sorted((int(ranks[o]), o) for o in range(len(tiers)) if tiers[o] == tiers[s])
    tier = TIERS[tiers[s]]
    if len(same) == 1:
        return tier
    return f"{tier} ({[o for _, o in same].index(s) + 1} of {len(same)})"


def _still_true(name: str, s: int, tiers: list[int], ranks: np.ndarray, nouns: list[str], k: int) -> bool:
    """Whether a carried name still describes segment ``s`` (names without a tier are the user's own)."""
    t = tier_in_name(name)
    if t is None:
        return True
    if t != tiers[s]:
        return False
    rest = name[len(TIERS[t]):]
    if k <= 3:
        return rest == ""
    if rest.startswith(" · "):
        return rest[3:] in nouns
    return name == _rank_name(s, tiers, ranks)


def _trait_sentence(name: str, kind: str, f: dict, labels: Mapping[str, str] | None = None) -> str:
    label, seg, rest = label_of(name, labels), f["mean"], f["rest_mean"]
    if kind in ("share", "flag"):
        word = "higher" if seg >= rest else "lower"
        return f"{word} {label} ({seg:.0%} vs {rest:.0%} of other users)"
    word = "more" if f["effect_size"] is None or f["effect_size"] >= 0 else "fewer"
    what = ""
    if kind == "log" and f["median"] != f["rest_median"]:  # log scale: the typical user, not the heavy tail
        seg, rest, what = f["median"], f["rest_median"], "median "
    ratio = f", {seg / rest:.1f}×" if word == "more" and 0 < rest < seg else ""
    return f"{word} {label} than other users ({what}{seg:.3g} vs {rest:.3g}{ratio})"
