-- Combines the three per-user aggregates (never the raw events of two sources joined) into one row per user.
-- The users are those with at least one event day in any source; each per-source aggregate is LEFT JOINed once,
-- so a source the user has no rows in contributes counts, averages and shares of 0 and has_<source> = 0.
WITH event_days AS (
    SELECT user_id, CAST(ts AS DATE) AS event_date FROM clickstream_events
    UNION
    SELECT user_id, CAST(ts AS DATE) AS event_date FROM search_events
    UNION
    SELECT user_id, CAST(ts AS DATE) AS event_date FROM article_events
),
users AS (
    SELECT user_id, COUNT(*) AS active_days
    FROM event_days
    GROUP BY user_id
),
reference AS (
    -- recency is measured to the given reference time, else to the latest event in the window
    SELECT COALESCE(:reference_time, MAX(ts)) AS reference_ts
    FROM (
        SELECT MAX(ts) AS ts FROM clickstream_events
        UNION ALL
        SELECT MAX(ts) AS ts FROM search_events
        UNION ALL
        SELECT MAX(ts) AS ts FROM article_events
    ) AS latest
)
SELECT
    u.user_id,
    COALESCE(c.clicks, 0) AS clicks,
    COALESCE(c.distinct_pages, 0) AS distinct_pages,
    COALESCE(c.sessions, 0) AS sessions,
    COALESCE(c.click_time_total_s, 0) AS click_time_total_s,
    COALESCE(c.click_time_avg_s, 0) AS click_time_avg_s,
    COALESCE(c.click_active_days, 0) AS click_active_days,
    COALESCE(c.device_desktop_share, 0) AS device_desktop_share,
    COALESCE(c.device_mobile_share, 0) AS device_mobile_share,
    COALESCE(c.device_tablet_share, 0) AS device_tablet_share,
    COALESCE(c.device_other_share, 0) AS device_other_share,
    COALESCE(c.referrer_search_share, 0) AS referrer_search_share,
    COALESCE(c.referrer_social_share, 0) AS referrer_social_share,
    COALESCE(c.referrer_direct_share, 0) AS referrer_direct_share,
    COALESCE(c.referrer_other_share, 0) AS referrer_other_share,
    CASE WHEN c.user_id IS NULL THEN 0 ELSE 1 END AS has_clickstream,
    COALESCE(s.searches, 0) AS searches,
    COALESCE(s.distinct_queries, 0) AS distinct_queries,
    COALESCE(s.query_words_avg, 0) AS query_words_avg,
    COALESCE(s.intent_navigational_share, 0) AS intent_navigational_share,
    COALESCE(s.intent_informational_share, 0) AS intent_informational_share,
    COALESCE(s.intent_transactional_share, 0) AS intent_transactional_share,
    COALESCE(s.intent_commercial_share, 0) AS intent_commercial_share,
    CASE WHEN s.user_id IS NULL THEN 0 ELSE 1 END AS has_search_queries,
    COALESCE(a.article_views, 0) AS article_views,
    COALESCE(a.distinct_articles, 0) AS distinct_articles,
    COALESCE(a.article_time_total_s, 0) AS article_time_total_s,
    COALESCE(a.article_time_avg_s, 0) AS article_time_avg_s,
    CASE WHEN a.user_id IS NULL THEN 0 ELSE 1 END AS has_article_views,
    COALESCE(c.clicks, 0) + COALESCE(s.searches, 0) + COALESCE(a.article_views, 0) AS total_events,
    u.active_days,
    -- LEAST/GREATEST of COALESCEs: MariaDB's LEAST is NULL when any argument is (DuckDB's and PostgreSQL's skip NULLs)
    LEAST(
        COALESCE(c.first_seen, s.first_seen, a.first_seen),
        COALESCE(s.first_seen, a.first_seen, c.first_seen),
        COALESCE(a.first_seen, c.first_seen, s.first_seen)
    ) AS first_seen,
    GREATEST(
        COALESCE(c.last_seen, s.last_seen, a.last_seen),
        COALESCE(s.last_seen, a.last_seen, c.last_seen),
        COALESCE(a.last_seen, c.last_seen, s.last_seen)
    ) AS last_seen,
    CAST(DATE_DIFF(
        'microsecond',
        GREATEST(
            COALESCE(c.last_seen, s.last_seen, a.last_seen),
            COALESCE(s.last_seen, a.last_seen, c.last_seen),
            COALESCE(a.last_seen, c.last_seen, s.last_seen)
        ),
        r.reference_ts
    ) AS DOUBLE) / 86400000000.0 AS recency_days,
    CAST(
        LN(CAST(1 + COALESCE(c.clicks, 0) + COALESCE(s.searches, 0) + COALESCE(a.article_views, 0) AS DOUBLE))
        + LN(1 + (COALESCE(c.click_time_total_s, 0) + COALESCE(a.article_time_total_s, 0)) / 60.0)
        + LN(CAST(1 + u.active_days AS DOUBLE))
    AS DOUBLE) AS engagement_score
FROM users AS u
CROSS JOIN reference AS r
LEFT JOIN clickstream_per_user AS c ON c.user_id = u.user_id
LEFT JOIN search_queries_per_user AS s ON s.user_id = u.user_id
LEFT JOIN article_views_per_user AS a ON a.user_id = u.user_id
