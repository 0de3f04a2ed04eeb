-- Site searches, aggregated to one row per user.
-- Reads search_events(user_id, ts, query) and query_intents(query, intent, query_words, classifier), which holds
-- the classifier's verdict once per distinct normalised query (lower-cased, trimmed).
WITH search_rows AS (
    SELECT
        s.user_id,
        s.ts,
        q.query,
        q.intent,
        q.query_words
    FROM search_events AS s
    LEFT JOIN query_intents AS q
        ON q.query = LOWER(TRIM(s.query))
)
SELECT
    user_id,
    COUNT(*) AS searches,
    COUNT(DISTINCT query) AS distinct_queries,
    CAST(COALESCE(AVG(CAST(query_words AS DOUBLE)), 0) AS DOUBLE) AS query_words_avg,
    CAST(SUM(CASE WHEN intent = 'navigational' THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS intent_navigational_share,
    CAST(SUM(CASE WHEN intent = 'informational' THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS intent_informational_share,
    CAST(SUM(CASE WHEN intent = 'transactional' THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS intent_transactional_share,
    CAST(SUM(CASE WHEN intent = 'commercial' THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS intent_commercial_share,
    MIN(ts) AS first_seen,
    MAX(ts) AS last_seen
FROM search_rows
GROUP BY user_id
