"""Segment profiles, their defining traits in plain words, names and targeting advice.

Names follow engagement order (``docs/adr/0002-segment-naming-and-json-models.md``): segment ids are
already sorted by engagement (0 = least engaged), and the name's tier comes from that rank. With up to
three segments the names are the tiers alone; with more, each name adds the segment's most distinctive
trait (``"Highly engaged · readers"``), and every name is unique.

Distinctiveness is the z-score of the segment's mean of the *transformed* feature against all users
(so a few very heavy users cannot dominate); lift is the ratio of raw means, in the feature's units.
"""

from __future__ import annotations

import numpy as np

TIERS = ("Low engagement", "Moderate engagement", "Highly engaged")

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
    "intent_informational_share": "readers",
    "intent_navigational_share": "navigators",
    "clicks": "browsers",
    "distinct_pages": "browsers",
    "sessions": "browsers",
    "click_time_total_s": "browsers",
    "click_time_avg_s": "browsers",
    "has_clickstream": "browsers",
    "device_mobile_share": "mobile users",
    "device_desktop_share": "desktop users",
    "device_tablet_share": "tablet users",
    "referrer_search_share": "search visitors",
    "referrer_social_share": "social visitors",
    "referrer_direct_share": "direct visitors",
    "active_days": "regulars",
    "click_active_days": "regulars",
    "total_events": "regulars",
    "engagement_score": "regulars",
    "recency_days": "lapsed users",
}

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


def tier_of(segment_id: int, k: int) -> int:
    """0 / 1 / 2 = low / moderate / high; ids are engagement ranks."""
    if k <= 1:
        return 2
    if k == 2:
        return 0 if segment_id == 0 else 2
    return min(2, segment_id * 3 // k)


def label_of(name: str) -> str:
    return LABELS.get(name, name.replace("_", " "))


def noun_of(name: str) -> str:
    return TRAIT_NOUNS.get(name, f"high {name.replace('_', ' ')}")


def build_profiles(
    raw: np.ndarray, Z: np.ndarray, labels: np.ndarray, k: int, names: list[str], kinds: list[str]
) -> list[dict]:
    """One profile per segment: size, share, per-feature mean/median/lift/z, top 3 traits, advice.

    ``raw`` holds the model features in their own units, ``Z`` the same users transformed.
    """
    n = len(labels)
    all_mean, z_mean, z_std = raw.mean(axis=0), Z.mean(axis=0), Z.std(axis=0)
    profiles = []
    for s in range(k):
        rows = labels == s
        size = int(rows.sum())
        seg_raw = raw[rows] if size else np.zeros((1, raw.shape[1]))
        seg_mean, seg_median = seg_raw.mean(axis=0), np.median(seg_raw, axis=0)
        seg_z = (Z[rows].mean(axis=0) - z_mean) / np.where(z_std > 0, z_std, 1.0) if size else np.zeros(len(names))
        features = {}
        for j, f in enumerate(names):
            features[f] = {
                "mean": float(seg_mean[j]),
                "median": float(seg_median[j]),
                "overall_mean": float(all_mean[j]),
                "lift": float(seg_mean[j] / all_mean[j]) if all_mean[j] != 0 else None,
                "z": float(seg_z[j]),
            }
        top = np.argsort(-np.abs(seg_z), kind="stable")[:3]
        profiles.append(
            {
                "segment_id": s,
                "size": size,
                "share": size / n if n else 0.0,
                "features": features,
                "traits": [_trait_sentence(names[j], kinds[j], features[names[j]]) for j in top],
                "_z": seg_z,  # used for naming, dropped before the profile is exposed
            }
        )
    return profiles


def name_segments(profiles: list[dict], names: list[str], taken: dict[int, str] | None = None) -> list[str]:
    """Unique names, tier by id, plus the most distinctive trait when there are more than 3 segments.

    ``taken`` maps segment ids to names that must be kept (inherited from a previous model or set by the
    user); the other segments get generated names that do not collide with them.
    """
    k = len(profiles)
    taken = dict(taken or {})
    result: dict[int, str] = dict(taken)
    used = set(taken.values())
    todo = [p for p in profiles if p["segment_id"] not in taken]
    # The segment with the strongest trait chooses first.
    todo.sort(key=lambda p: -float(np.max(p["_z"])) if len(p["_z"]) else 0.0)
    for p in todo:
        s = p["segment_id"]
        tier = TIERS[tier_of(s, k)]
        candidates = [tier] if k <= 3 else []
        candidates += [f"{tier} · {noun}" for noun in _nouns_by_strength(p["_z"], names)]
        candidates.append(f"{tier} · segment {s}")
        name = next((c for c in candidates if c not in used), f"Segment {s}")
        result[s] = name
        used.add(name)
    return [result[s] for s in range(k)]


def name_and_advise(
    profiles: list[dict], names: list[str], inherited: dict[int, str], engagement: np.ndarray, k: int
) -> list[str]:
    """Name the segments, and give each profile its name, engagement and advice; returns the names."""
    segment_names = name_segments(profiles, names, inherited)
    for p in profiles:
        p["name"] = segment_names[p["segment_id"]]
        p["engagement"] = float(engagement[p["segment_id"]])
        p["advice"] = advise(p, names, k)
        del p["_z"]  # used for naming only
    return segment_names


def advise(profile: dict, names: list[str], k: int) -> str:
    """A short targeting suggestion from the segment's tier and strongest trait."""
    tier = tier_of(profile["segment_id"], k)
    nouns = _nouns_by_strength(profile["_z"], names)
    what = ADVICE.get(nouns[0], "test messages built on what sets them apart") if nouns else "broad messages"
    return TIER_ADVICE[tier] + what + "."


def _nouns_by_strength(z: np.ndarray, names: list[str]) -> list[str]:
    nouns: list[str] = []
    for j in np.argsort(-z, kind="stable"):
        if z[j] <= 0:
            break
        noun = noun_of(names[j])
        if noun not in nouns:
            nouns.append(noun)
    return nouns


def _trait_sentence(name: str, kind: str, f: dict) -> str:
    label, seg, overall = label_of(name), f["mean"], f["overall_mean"]
    if kind in ("share", "flag"):
        word = "higher" if seg >= overall else "lower"
        return f"{word} {label} ({seg:.0%} vs {overall:.0%} of all users)"
    word = "more" if seg >= overall else "fewer"
    ratio = f", {f['lift']:.1f}×" if f["lift"] is not None else ""
    return f"{word} {label} than average ({seg:.3g} vs {overall:.3g}{ratio})"
