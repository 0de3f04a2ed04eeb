-- Article state: one row per user and day, the mergeable parts of article_views.sql's aggregates.
-- Reads article_rows (article_views.sql's own rows: capped durations) over the re-opened days, state_seen
-- (this source's (user, article) first-seen table) for the articles new that day, and durations (its
-- events) for the durations above the cap (capped: reported by a run, as a full build reports them).
-- content_checks: per user and day, the sum of its events' checks (incremental._row_check).
WITH days AS (
    SELECT
        user_id,
        CAST(ts AS DATE) AS day,
        COUNT(*) AS article_views,
        CAST(SUM(time_spent_s) AS DOUBLE) AS time_sum_s,
        COUNT(time_spent_s) AS time_n,
        MIN(ts) AS first_ts,
        MAX(ts) AS last_ts
    FROM article_rows
    GROUP BY user_id, CAST(ts AS DATE)
),
new_items AS (
    SELECT user_id, first_day, COUNT(*) AS n FROM state_seen WHERE first_day >= :reopen_from GROUP BY user_id, first_day
),
capped AS (
    SELECT user_id, CAST(ts AS DATE) AS day, COUNT(*) AS n
    FROM durations
    WHERE time_spent > :duration_cap_s
    GROUP BY user_id, CAST(ts AS DATE)
)
SELECT d.*, CAST(COALESCE(n.n, 0) AS BIGINT) AS new_items, CAST(COALESCE(c.n, 0) AS BIGINT) AS capped,
    CAST(COALESCE(cc.content, 0) AS BIGINT) AS content
FROM days AS d
LEFT JOIN new_items AS n ON n.user_id = d.user_id AND n.first_day = d.day
LEFT JOIN capped AS c ON c.user_id = d.user_id AND c.day = d.day
LEFT JOIN content_checks AS cc ON cc.user_id = d.user_id AND cc.day = d.day
