-- Clickstream state: one row per user and day, the mergeable parts of clickstream.sql's aggregates.
-- Reads clickstream_rows (clickstream.sql's own rows: capped durations, device and referrer classes) over the
-- re-opened days, state_seen (this source's (user, url) first-seen table) for the pages new that day, state_days
-- (this table) for the last click before the re-opened days (kept_last: none when built from scratch), and
-- durations (its events) for the durations above the cap (capped: reported by a run, as a full build reports them),
-- and content_checks (per user and day, the sum of its events' checks: incremental._row_check).
WITH day_rows AS (
    SELECT
        user_id,
        ts,
        CAST(ts AS DATE) AS day,
        time_spent_s,
        device_class,
        referrer_class,
        -- a session break inside the day; breaks across midnight are found when the days are merged
        CASE WHEN ts > LAG(ts) OVER (PARTITION BY user_id, CAST(ts AS DATE) ORDER BY ts) + :session_gap
            THEN 1 ELSE 0 END AS day_break
    FROM clickstream_rows
),
days AS (
    SELECT
        user_id,
        day,
        COUNT(*) AS clicks,
        CAST(SUM(day_break) AS BIGINT) AS breaks,
        CAST(SUM(time_spent_s) AS DOUBLE) AS time_sum_s,
        COUNT(time_spent_s) AS time_n,
        CAST(SUM(CASE WHEN device_class = 'desktop' THEN 1 ELSE 0 END) AS BIGINT) AS device_desktop,
        CAST(SUM(CASE WHEN device_class = 'mobile' THEN 1 ELSE 0 END) AS BIGINT) AS device_mobile,
        CAST(SUM(CASE WHEN device_class = 'tablet' THEN 1 ELSE 0 END) AS BIGINT) AS device_tablet,
        CAST(SUM(CASE WHEN device_class = 'other' THEN 1 ELSE 0 END) AS BIGINT) AS device_other,
        CAST(SUM(CASE WHEN referrer_class = 'search' THEN 1 ELSE 0 END) AS BIGINT) AS referrer_search,
        CAST(SUM(CASE WHEN referrer_class = 'social' THEN 1 ELSE 0 END) AS BIGINT) AS referrer_social,
        CAST(SUM(CASE WHEN referrer_class = 'direct' THEN 1 ELSE 0 END) AS BIGINT) AS referrer_direct,
        CAST(SUM(CASE WHEN referrer_class = 'other' THEN 1 ELSE 0 END) AS BIGINT) AS referrer_other,
        MIN(ts) AS first_ts,
        MAX(ts) AS last_ts
    FROM day_rows
    GROUP BY user_id, day
),
new_items AS (
    SELECT user_id, first_day, COUNT(*) AS n FROM state_seen WHERE first_day >= :reopen_from GROUP BY user_id, first_day
),
capped AS (
    SELECT user_id, CAST(ts AS DATE) AS day, COUNT(*) AS n
    FROM durations
    WHERE time_spent > :duration_cap_s
    GROUP BY user_id, CAST(ts AS DATE)
),
kept_last AS (
    SELECT user_id, MAX(last_ts) AS last_ts
    FROM state_days
    WHERE day < :reopen_from AND user_id IN (SELECT user_id FROM days)
    GROUP BY user_id
)
SELECT
    d.*,
    CAST(COALESCE(n.n, 0) AS BIGINT) AS new_items,
    CAST(COALESCE(c.n, 0) AS BIGINT) AS capped,
    -- a session break across midnight: the day's first click more than the session gap after the last click of
    -- the user's previous active day (kept in the day row, so merging the days needs no window over them)
    CASE WHEN d.first_ts > COALESCE(LAG(d.last_ts) OVER (PARTITION BY d.user_id ORDER BY d.day), k.last_ts) + :session_gap
        THEN 1 ELSE 0 END AS crossed,
    CAST(COALESCE(cc.content, 0) AS BIGINT) AS content
FROM days AS d
LEFT JOIN new_items AS n ON n.user_id = d.user_id AND n.first_day = d.day
LEFT JOIN capped AS c ON c.user_id = d.user_id AND c.day = d.day
LEFT JOIN kept_last AS k ON k.user_id = d.user_id
LEFT JOIN content_checks AS cc ON cc.user_id = d.user_id AND cc.day = d.day
