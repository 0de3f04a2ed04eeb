"""Descriptions for the package's sources, models and columns (dbt docs shows them; schema.yml holds them).

The feature definitions follow docs/features.md, shortened to one line each.
"""

from __future__ import annotations

from ..features.interests import OTHER, is_interest, kind_of

FEATURE_DOCS: dict[str, str] = {
    "user_id": "The user: anyone with at least one event in any source inside the window.",
    "clicks": "Clickstream rows (page clicks) of the user.",
    "distinct_pages": "Distinct URLs clicked.",
    "sessions": "1 + the clicks that come more than intentseg_session_gap_minutes after the user's previous click.",
    "click_time_total_s": "Sum of the clicks' time_spent in seconds, each capped at intentseg_duration_cap_s.",
    "click_time_avg_s": "Mean capped time_spent of the clicks with a known duration, seconds (0 when none).",
    "click_active_days": "Distinct calendar days (UTC) with a click.",
    "device_desktop_share": "Share of the clicks from a desktop device.",
    "device_mobile_share": "Share of the clicks from a mobile device.",
    "device_tablet_share": "Share of the clicks from a tablet.",
    "device_other_share": "Share of the clicks from any other or an unknown device.",
    "referrer_search_share": "Share of the clicks referred by a search engine.",
    "referrer_social_share": "Share of the clicks referred by a social network.",
    "referrer_direct_share": "Share of the clicks without a referrer (direct).",
    "referrer_other_share": "Share of the clicks referred by any other site.",
    "has_clickstream": "1 if the user has clicks in the window, else 0.",
    "searches": "Site searches of the user (repeats included).",
    "distinct_queries": "Distinct normalised queries (lower-cased, trimmed, blank excluded).",
    "query_words_avg": "Mean number of words per search with a non-blank query.",
    "intent_navigational_share": "Share of the searches whose query is navigational (reach a known page).",
    "intent_informational_share": "Share of the searches whose query is informational (learn something).",
    "intent_transactional_share": "Share of the searches whose query is transactional (buy or do something).",
    "intent_commercial_share": "Share of the searches whose query is commercial (compare before buying).",
    "has_search_queries": "1 if the user has searches in the window, else 0.",
    "article_views": "Article views of the user.",
    "distinct_articles": "Distinct articles read.",
    "article_time_total_s": "Sum of the reads' time_spent in seconds, each capped at intentseg_duration_cap_s.",
    "article_time_avg_s": "Mean capped reading time of the reads with a known duration, seconds (0 when none).",
    "has_article_views": "1 if the user read articles in the window, else 0.",
    "total_events": "clicks + searches + article_views.",
    "active_days": "Distinct calendar days (UTC) with an event in any source.",
    "first_seen": "The user's first event in any source.",
    "last_seen": "The user's last event in any source.",
    "recency_days": "Days from last_seen to intentseg_reference_time (unset: the latest event of all users).",
    "engagement_score": "ln(1 + total_events) + ln(1 + capped minutes) + ln(1 + active_days).",
}

_INTEREST_KINDS = {"page": "page views (clickstream URL path)", "article": "article reads (article metadata)"}


def feature_doc(column: str, interest_labels: dict[str, str]) -> str:
    """The description of one feature column (KeyError for a column nobody described)."""
    if column in FEATURE_DOCS:
        return FEATURE_DOCS[column]
    kind = kind_of(column) if is_interest(column) else None
    if kind is None:
        raise KeyError(column)
    label = interest_labels.get(column, OTHER)
    what = "any section beyond the top ones" if label == OTHER else f"section {label!r}"
    return f"Content interest: share of the user's {_INTEREST_KINDS.get(kind, kind)} in {what}."


SOURCE_DOCS = {
    "clickstream": "One row per page click.",
    "search_queries": "One row per site search.",
    "article_views": "One row per article read.",
}

QUERY_INTENTS_DOC = (
    "Each distinct normalised search query with its intent, written by intentseg (`intentseg run`, "
    "`intentseg features`, `intentseg assign`): the intent classifier is Python, so it stays there."
)
QUERY_INTENTS_COLUMNS = {
    "query": "The normalised query: lower-cased and trimmed.",
    "intent": "navigational, informational, transactional or commercial (NULL: no intent).",
    "query_words": "Whitespace-separated words in the query.",
    "classifier": "The classifier (and its version) that gave the intent.",
}

MODEL_DOCS = {
    "intentseg_user_features": (
        "One row per user with the intentseg user features, computed from the sources by the same SQL as "
        "`intentseg features` (docs/features.md)."
    ),
    "intentseg_user_segments": (
        "Each user's segment under the saved intentseg model: the model's own scoring SQL, so ids, names and "
        "distances equal `intentseg assign` with the same model."
    ),
    "intentseg_segment_sizes": "Every segment of the model with its number of users and share (0 for an empty segment).",
}

SEGMENT_COLUMNS = {
    "user_id": "The user (as in intentseg_user_features).",
    "segment_id": "The segment: 0 = least engaged, ascending; stable across refits.",
    "segment_name": "The segment's name, as the model names it.",
    "distance": "Euclidean distance to the segment's centre in the model's transformed feature space.",
}

SIZE_COLUMNS = {
    "segment_id": "The segment: 0 = least engaged, ascending.",
    "segment_name": "The segment's name, as the model names it.",
    "n_users": "Users in the segment (0 when the segment is empty).",
    "share": "n_users / all users scored (0 when nobody was scored).",
}
