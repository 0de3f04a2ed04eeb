-- Article views, aggregated to one row per user.
-- Reads article_events(user_id, ts, article_id, time_spent): the mapped, time-filtered source.
WITH article_rows AS (
    SELECT
        user_id,
        ts,
        article_id,
        CAST(CASE WHEN time_spent > :duration_cap_s THEN :duration_cap_s ELSE time_spent END AS DOUBLE) AS time_spent_s
    FROM article_events
)
SELECT
    user_id,
    COUNT(*) AS article_views,
    COUNT(DISTINCT article_id) AS distinct_articles,
    CAST(COALESCE(SUM(time_spent_s), 0) AS DOUBLE) AS article_time_total_s,
    CAST(COALESCE(AVG(time_spent_s), 0) AS DOUBLE) AS article_time_avg_s,
    MIN(ts) AS first_seen,
    MAX(ts) AS last_seen
FROM article_rows
GROUP BY user_id
