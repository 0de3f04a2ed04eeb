"""The presets: how Segment, RudderStack, Snowplow and GA4 event tables become the three sources.

Each preset is data: per source, a table, a filter and, per canonical column, the expressions to try in
order (DuckDB's dialect; the first whose columns all exist is used). docs/presets.md describes the
tables and columns each one expects; a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp


def _device_from(ua: str) -> str:
    """A rough device class from a user-agent column: tablet / mobile / desktop, NULL when there is none.

    A site with a parsed device column maps ``device`` to it instead (docs/presets.md).
    """
    low = f"LOWER({ua})"
    return (
        f"CASE WHEN {ua} IS NULL OR {ua} = '' THEN NULL "
        f"WHEN {low} LIKE '%ipad%' OR {low} LIKE '%tablet%' "
        f"OR ({low} LIKE '%android%' AND {low} NOT LIKE '%mobile%') THEN 'tablet' "
        f"WHEN {low} LIKE '%mobi%' OR {low} LIKE '%iphone%' THEN 'mobile' ELSE 'desktop' END"
    )


def _ga4_param(key: str) -> str:
    """A GA4 event parameter read from the ``event_params`` JSON object text column."""
    return f"CAST(event_params AS JSON) ->> '$.{key}'"


@dataclass(frozen=True)
class SourceTemplate:
    """One source of a preset. ``table`` may be ``{events}``: the preset's events table."""

    table: str
    filters: tuple[str, ...] = ()
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    heartbeats: tuple[str, str] | None = None  # (filter, key) of heartbeat rows; seconds from the settings
    articles: bool = False  # only with preset_options.article_path_like: page views whose path matches


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    events_table: str  # the one events table ({events}), where the preset has one
    user_ids: dict[str, str]  # "anonymous" / "user" -> the column
    sources: dict[str, SourceTemplate]
    #: the column the article path pattern is matched on, per choice of article_id
    article_path: tuple[str, ...] = ()


def _segment_like(name: str, title: str) -> Preset:
    pages_columns = {
        "timestamp": ("timestamp", "received_at"),
        "url": ("url", "context_page_url", "path", "context_page_path"),
        "referrer": ("COALESCE(referrer, context_page_referrer)", "referrer", "context_page_referrer"),
        "device": (_device_from("context_user_agent"),),
    }
    return Preset(
        name, title, events_table="pages", user_ids={"anonymous": "anonymous_id", "user": "user_id"},
        sources={
            "clickstream": SourceTemplate("pages", columns=pages_columns),
            "search_queries": SourceTemplate(
                "products_searched", columns={"timestamp": ("timestamp", "received_at"), "query": ("query",)}
            ),
            "article_views": SourceTemplate(
                "pages", columns={"timestamp": ("timestamp", "received_at"),
                                  "article_id": ("path", "context_page_path")}, articles=True,
            ),
        },
        article_path=("path", "context_page_path"),
    )


PRESETS: dict[str, Preset] = {
    "segment": _segment_like("segment", "Segment warehouse schema (pages, tracks, one table per event)"),
    "rudderstack": _segment_like("rudderstack", "RudderStack warehouse schema (pages, tracks, one table per event)"),
    "snowplow": Preset(
        "snowplow", "Snowplow atomic.events (one row per event)", events_table="events",
        user_ids={"anonymous": "domain_userid", "user": "user_id"},
        sources={
            "clickstream": SourceTemplate(
                "{events}", filters=("event_name = 'page_view'",),
                columns={"timestamp": ("derived_tstamp", "collector_tstamp"), "url": ("page_url", "page_urlpath"),
                         "referrer": ("page_referrer",), "device": (_device_from("useragent"),)},
                heartbeats=("event_name = 'page_ping'", "page_view_id"),
            ),
            "search_queries": SourceTemplate(
                "{events}", filters=("event_name = 'site_search' OR se_action = 'search'", "se_action = 'search'"),
                columns={"timestamp": ("derived_tstamp", "collector_tstamp"),
                         "query": ("COALESCE(site_search_terms, se_label)", "se_label")},
            ),
            "article_views": SourceTemplate(
                "{events}", filters=("event_name = 'page_view'",),
                columns={"timestamp": ("derived_tstamp", "collector_tstamp"), "article_id": ("page_urlpath", "page_url")},
                heartbeats=("event_name = 'page_ping'", "page_view_id"), articles=True,
            ),
        },
        article_path=("page_urlpath", "page_url"),
    ),
    "ga4": Preset(
        "ga4", "Google Analytics 4 BigQuery export, flattened to one row per event", events_table="events",
        user_ids={"anonymous": "user_pseudo_id", "user": "user_id"},
        sources={
            "clickstream": SourceTemplate(
                "{events}", filters=("event_name = 'page_view'",),
                columns={"timestamp": ("event_timestamp",),
                         "url": ("page_location", _ga4_param("page_location")),
                         "referrer": ("page_referrer", _ga4_param("page_referrer")),
                         "device": ("device_category",),
                         "time_spent": ("engagement_time_msec / 1000",
                                        f"CAST({_ga4_param('engagement_time_msec')} AS DOUBLE) / 1000")},
            ),
            "search_queries": SourceTemplate(
                "{events}", filters=("event_name = 'view_search_results'",),
                columns={"timestamp": ("event_timestamp",), "query": ("search_term", _ga4_param("search_term"))},
            ),
            "article_views": SourceTemplate(
                "{events}", filters=("event_name = 'page_view'",),
                columns={"timestamp": ("event_timestamp",),
                         "article_id": ("page_location", _ga4_param("page_location")),
                         "time_spent": ("engagement_time_msec / 1000",
                                        f"CAST({_ga4_param('engagement_time_msec')} AS DOUBLE) / 1000")},
                articles=True,
            ),
        },
        article_path=("page_location", _ga4_param("page_location")),
    ),
}


def like(column_sql: str, pattern: str) -> str:
    """``<column> LIKE '<pattern>'`` in DuckDB's SQL, the pattern written by sqlglot as a literal."""
    from sqlglot import parse_one

    return exp.Like(this=parse_one(column_sql, read="duckdb"), expression=exp.Literal.string(pattern)).sql("duckdb")
