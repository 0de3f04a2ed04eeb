-- Combines the per-user aggregates of the three sources (never the raw events of two sources joined) into one
-- row per user. They are stacked (UNION ALL, each padded with 0 for the other sources' columns) and grouped by
-- user, so every user present in any source appears once, and a source the user has no rows in contributes
-- counts, averages and shares of 0 and has_<source> = 0. Stacking instead of joining keeps each aggregate read
-- once, which engines without hash joins (MariaDB) need.
WITH event_days AS (
    SELECT user_id, CAST(ts AS DATE) AS event_date FROM clickstream_events
    UNION
    SELECT user_id, CAST(ts AS DATE) AS event_date FROM search_events
    UNION
    SELECT user_id, CAST(ts AS DATE) AS event_date FROM article_events
),
active_days_per_user AS (
    SELECT user_id, COUNT(*) AS active_days
    FROM event_days
    GROUP BY user_id
),
per_source AS (
    SELECT
        user_id,
        clicks,
        distinct_pages,
        sessions,
        click_time_total_s,
        click_time_avg_s,
        click_active_days,
        device_desktop_share,
        device_mobile_share,
        device_tablet_share,
        device_other_share,
        referrer_search_share,
        referrer_social_share,
        referrer_direct_share,
        referrer_other_share,
        1 AS has_clickstream,
        0 AS searches,
        0 AS distinct_queries,
        CAST(0 AS DOUBLE) AS query_words_avg,
        CAST(0 AS DOUBLE) AS intent_navigational_share,
        CAST(0 AS DOUBLE) AS intent_informational_share,
        CAST(0 AS DOUBLE) AS intent_transactional_share,
        CAST(0 AS DOUBLE) AS intent_commercial_share,
        0 AS has_search_queries,
        0 AS article_views,
        0 AS distinct_articles,
        CAST(0 AS DOUBLE) AS article_time_total_s,
        CAST(0 AS DOUBLE) AS article_time_avg_s,
        0 AS has_article_views,
        0 AS active_days,
        first_seen,
        last_seen
    FROM clickstream_per_user
    UNION ALL
    SELECT
        user_id,
        0 AS clicks,
        0 AS distinct_pages,
        0 AS sessions,
        CAST(0 AS DOUBLE) AS click_time_total_s,
        CAST(0 AS DOUBLE) AS click_time_avg_s,
        0 AS click_active_days,
        CAST(0 AS DOUBLE) AS device_desktop_share,
        CAST(0 AS DOUBLE) AS device_mobile_share,
        CAST(0 AS DOUBLE) AS device_tablet_share,
        CAST(0 AS DOUBLE) AS device_other_share,
        CAST(0 AS DOUBLE) AS referrer_search_share,
        CAST(0 AS DOUBLE) AS referrer_social_share,
        CAST(0 AS DOUBLE) AS referrer_direct_share,
        CAST(0 AS DOUBLE) AS referrer_other_share,
        0 AS has_clickstream,
        searches,
        distinct_queries,
        query_words_avg,
        intent_navigational_share,
        intent_informational_share,
        intent_transactional_share,
        intent_commercial_share,
        1 AS has_search_queries,
        0 AS article_views,
        0 AS distinct_articles,
        CAST(0 AS DOUBLE) AS article_time_total_s,
        CAST(0 AS DOUBLE) AS article_time_avg_s,
        0 AS has_article_views,
        0 AS active_days,
        first_seen,
        last_seen
    FROM search_queries_per_user
    UNION ALL
    SELECT
        user_id,
        0 AS clicks,
        0 AS distinct_pages,
        0 AS sessions,
        CAST(0 AS DOUBLE) AS click_time_total_s,
        CAST(0 AS DOUBLE) AS click_time_avg_s,
        0 AS click_active_days,
        CAST(0 AS DOUBLE) AS device_desktop_share,
        CAST(0 AS DOUBLE) AS device_mobile_share,
        CAST(0 AS DOUBLE) AS device_tablet_share,
        CAST(0 AS DOUBLE) AS device_other_share,
        CAST(0 AS DOUBLE) AS referrer_search_share,
        CAST(0 AS DOUBLE) AS referrer_social_share,
        CAST(0 AS DOUBLE) AS referrer_direct_share,
        CAST(0 AS DOUBLE) AS referrer_other_share,
        0 AS has_clickstream,
        0 AS searches,
        0 AS distinct_queries,
        CAST(0 AS DOUBLE) AS query_words_avg,
        CAST(0 AS DOUBLE) AS intent_navigational_share,
        CAST(0 AS DOUBLE) AS intent_informational_share,
        CAST(0 AS DOUBLE) AS intent_transactional_share,
        CAST(0 AS DOUBLE) AS intent_commercial_share,
        0 AS has_search_queries,
        article_views,
        distinct_articles,
        article_time_total_s,
        article_time_avg_s,
        1 AS has_article_views,
        0 AS active_days,
        first_seen,
        last_seen
    FROM article_views_per_user
    UNION ALL
    SELECT
        user_id,
        0 AS clicks,
        0 AS distinct_pages,
        0 AS sessions,
        CAST(0 AS DOUBLE) AS click_time_total_s,
        CAST(0 AS DOUBLE) AS click_time_avg_s,
        0 AS click_active_days,
        CAST(0 AS DOUBLE) AS device_desktop_share,
        CAST(0 AS DOUBLE) AS device_mobile_share,
        CAST(0 AS DOUBLE) AS device_tablet_share,
        CAST(0 AS DOUBLE) AS device_other_share,
        CAST(0 AS DOUBLE) AS referrer_search_share,
        CAST(0 AS DOUBLE) AS referrer_social_share,
        CAST(0 AS DOUBLE) AS referrer_direct_share,
        CAST(0 AS DOUBLE) AS referrer_other_share,
        0 AS has_clickstream,
        0 AS searches,
        0 AS distinct_queries,
        CAST(0 AS DOUBLE) AS query_words_avg,
        CAST(0 AS DOUBLE) AS intent_navigational_share,
        CAST(0 AS DOUBLE) AS intent_informational_share,
        CAST(0 AS DOUBLE) AS intent_transactional_share,
        CAST(0 AS DOUBLE) AS intent_commercial_share,
        0 AS has_search_queries,
        0 AS article_views,
        0 AS distinct_articles,
        CAST(0 AS DOUBLE) AS article_time_total_s,
        CAST(0 AS DOUBLE) AS article_time_avg_s,
        0 AS has_article_views,
        active_days,
        CAST(NULL AS TIMESTAMP) AS first_seen,
        CAST(NULL AS TIMESTAMP) AS last_seen
    FROM active_days_per_user
),
combined AS (
    SELECT
        user_id,
        CAST(SUM(clicks) AS BIGINT) AS clicks,
        CAST(SUM(distinct_pages) AS BIGINT) AS distinct_pages,
        CAST(SUM(sessions) AS BIGINT) AS sessions,
        SUM(click_time_total_s) AS click_time_total_s,
        SUM(click_time_avg_s) AS click_time_avg_s,
        CAST(SUM(click_active_days) AS BIGINT) AS click_active_days,
        SUM(device_desktop_share) AS device_desktop_share,
        SUM(device_mobile_share) AS device_mobile_share,
        SUM(device_tablet_share) AS device_tablet_share,
        SUM(device_other_share) AS device_other_share,
        SUM(referrer_search_share) AS referrer_search_share,
        SUM(referrer_social_share) AS referrer_social_share,
        SUM(referrer_direct_share) AS referrer_direct_share,
        SUM(referrer_other_share) AS referrer_other_share,
        MAX(has_clickstream) AS has_clickstream,
        CAST(SUM(searches) AS BIGINT) AS searches,
        CAST(SUM(distinct_queries) AS BIGINT) AS distinct_queries,
        SUM(query_words_avg) AS query_words_avg,
        SUM(intent_navigational_share) AS intent_navigational_share,
        SUM(intent_informational_share) AS intent_informational_share,
        SUM(intent_transactional_share) AS intent_transactional_share,
        SUM(intent_commercial_share) AS intent_commercial_share,
        MAX(has_search_queries) AS has_search_queries,
        CAST(SUM(article_views) AS BIGINT) AS article_views,
        CAST(SUM(distinct_articles) AS BIGINT) AS distinct_articles,
        SUM(article_time_total_s) AS article_time_total_s,
        SUM(article_time_avg_s) AS article_time_avg_s,
        MAX(has_article_views) AS has_article_views,
        CAST(SUM(clicks) + SUM(searches) + SUM(article_views) AS BIGINT) AS total_events,
        CAST(SUM(active_days) AS BIGINT) AS active_days,
        MIN(first_seen) AS first_seen,
        MAX(last_seen) AS last_seen
    FROM per_source
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
    user_id,
    clicks,
    distinct_pages,
    sessions,
    click_time_total_s,
    click_time_avg_s,
    click_active_days,
    device_desktop_share,
    device_mobile_share,
    device_tablet_share,
    device_other_share,
    referrer_search_share,
    referrer_social_share,
    referrer_direct_share,
    referrer_other_share,
    has_clickstream,
    searches,
    distinct_queries,
    query_words_avg,
    intent_navigational_share,
    intent_informational_share,
    intent_transactional_share,
    intent_commercial_share,
    has_search_queries,
    article_views,
    distinct_articles,
    article_time_total_s,
    article_time_avg_s,
    has_article_views,
    total_events,
    active_days,
    first_seen,
    last_seen,
    CAST(DATE_DIFF('microsecond', last_seen, reference_ts) AS DOUBLE) / 86400000000.0 AS recency_days,
    CAST(
        LN(CAST(1 + total_events AS DOUBLE))
        + LN(1 + (click_time_total_s + article_time_total_s) / 60.0)
        + LN(CAST(1 + active_days AS DOUBLE))
    AS DOUBLE) AS engagement_score
FROM combined
CROSS JOIN reference
