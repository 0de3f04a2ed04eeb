-- The search state's days merged into search_queries.sql's per-user row (the same columns, the same values).
SELECT
    user_id,
    CAST(SUM(searches) AS BIGINT) AS searches,
    CAST(SUM(new_items) AS BIGINT) AS distinct_queries,
    CAST(COALESCE(SUM(words_sum) / NULLIF(SUM(words_n), 0), 0) AS DOUBLE) AS query_words_avg,
    CAST(SUM(intent_navigational) AS DOUBLE) / SUM(searches) AS intent_navigational_share,
    CAST(SUM(intent_informational) AS DOUBLE) / SUM(searches) AS intent_informational_share,
    CAST(SUM(intent_transactional) AS DOUBLE) / SUM(searches) AS intent_transactional_share,
    CAST(SUM(intent_commercial) AS DOUBLE) / SUM(searches) AS intent_commercial_share,
    MIN(first_ts) AS first_seen,
    MAX(last_ts) AS last_seen
FROM state_days
GROUP BY user_id
