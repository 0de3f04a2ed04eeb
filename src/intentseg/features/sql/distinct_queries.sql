-- The distinct normalised queries (lower-cased, trimmed, non-empty) the intent classifier has not seen yet.
SELECT DISTINCT LOWER(TRIM(s.query)) AS query
FROM search_events AS s
WHERE TRIM(s.query) <> ''
    AND NOT EXISTS (
        SELECT 1 FROM query_intents AS q WHERE q.query = LOWER(TRIM(s.query))
    )
