-- The article state's days merged into article_views.sql's per-user row (the same columns, the same values).
SELECT
    user_id,
    CAST(SUM(article_views) AS BIGINT) AS article_views,
    CAST(SUM(new_items) AS BIGINT) AS distinct_articles,
    CAST(COALESCE(SUM(time_sum_s), 0) AS DOUBLE) AS article_time_total_s,
    CAST(COALESCE(SUM(time_sum_s) / NULLIF(SUM(time_n), 0), 0) AS DOUBLE) AS article_time_avg_s,
    MIN(first_ts) AS first_seen,
    MAX(last_ts) AS last_seen
FROM state_days
GROUP BY user_id
