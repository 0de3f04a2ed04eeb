-- The first day, from :reopen_from on, whose number of events differs from the number the state counts for it:
-- a day with late (or deleted) events within the lateness window, the rest of the watermark's day, or a new
-- day. An update re-opens the days from there on; a day whose events are the ones the state holds stays closed.
-- Reads source_events (the source's events from :reopen_from on) and state_days (its day rows); day_events
-- stands for the day rows' count of events (clicks, searches, article_views).
SELECT MIN(day) AS first_changed
FROM (
    SELECT day
    FROM (
        SELECT CAST(ts AS DATE) AS day, COUNT(*) AS n FROM source_events GROUP BY CAST(ts AS DATE)
        UNION ALL
        SELECT day, -SUM(day_events) AS n FROM state_days WHERE day >= :reopen_from GROUP BY day
    ) AS counts
    GROUP BY day
    HAVING SUM(n) <> 0
) AS changed
