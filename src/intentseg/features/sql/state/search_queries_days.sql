-- Search state: one row per user and day, the mergeable parts of search_queries.sql's aggregates.
-- Reads search_rows (search_queries.sql's own rows: the normalised query and its intent) over the re-opened
-- days, and state_seen (this source's (user, query) first-seen table) for the queries new that day.
-- content_checks: per user and day, the sum of its events' checks (incremental._row_check).
WITH days AS (
    SELECT
        user_id,
        CAST(ts AS DATE) AS day,
        COUNT(*) AS searches,
        CAST(SUM(CAST(query_words AS DOUBLE)) AS DOUBLE) AS words_sum,
        COUNT(query_words) AS words_n,
        CAST(SUM(CASE WHEN intent = 'navigational' THEN 1 ELSE 0 END) AS BIGINT) AS intent_navigational,
        CAST(SUM(CASE WHEN intent = 'informational' THEN 1 ELSE 0 END) AS BIGINT) AS intent_informational,
        CAST(SUM(CASE WHEN intent = 'transactional' THEN 1 ELSE 0 END) AS BIGINT) AS intent_transactional,
        CAST(SUM(CASE WHEN intent = 'commercial' THEN 1 ELSE 0 END) AS BIGINT) AS intent_commercial,
        MIN(ts) AS first_ts,
        MAX(ts) AS last_ts
    FROM search_rows
    GROUP BY user_id, CAST(ts AS DATE)
),
new_items AS (
    SELECT user_id, first_day, COUNT(*) AS n FROM state_seen WHERE first_day >= :reopen_from GROUP BY user_id, first_day
)
SELECT d.*, CAST(COALESCE(n.n, 0) AS BIGINT) AS new_items, CAST(COALESCE(cc.content, 0) AS BIGINT) AS content
FROM days AS d
LEFT JOIN new_items AS n ON n.user_id = d.user_id AND n.first_day = d.day
LEFT JOIN content_checks AS cc ON cc.user_id = d.user_id AND cc.day = d.day
