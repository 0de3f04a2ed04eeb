-- The first day, from :reopen_from on, whose events differ from the ones the state holds for it: in number (a day
-- with late or deleted events within the lateness window, the rest of the watermark's day, a new day) or in
-- content (an event corrected in place: the sum of the events' checks, incremental._row_check). An update
-- re-opens the days from there on; a day whose events are the ones the state holds stays closed.
-- Reads source_events (the source's events from :reopen_from on: user_id, ts, row_check) and state_days (its day
-- rows, with their content); day_events stands for the day rows' count of events (clicks, searches, article_views).
SELECT MIN(day) AS first_changed
FROM (
    SELECT day
    FROM (
        SELECT CAST(ts AS DATE) AS day, COUNT(*) AS n, SUM(row_check) AS content
        FROM source_events
        GROUP BY CAST(ts AS DATE)
        UNION ALL
        SELECT day, -SUM(day_events) AS n, -SUM(content) AS content FROM state_days WHERE day >= :reopen_from GROUP BY day
    ) AS counts
    GROUP BY day
    HAVING SUM(n) <> 0 OR SUM(content) <> 0
) AS changed
