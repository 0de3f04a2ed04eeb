-- The clickstream state's days merged into clickstream.sql's per-user row (the same columns, the same values).
-- Sessions: 1 + the breaks inside each day + the days whose first click comes more than the session gap after
-- the user's last click of the previous active day (crossed; a session crossing midnight stays one).
SELECT
    user_id,
    CAST(SUM(clicks) AS BIGINT) AS clicks,
    CAST(SUM(new_items) AS BIGINT) AS distinct_pages,
    CAST(1 + SUM(breaks) + SUM(crossed) AS BIGINT) AS sessions,
    CAST(COALESCE(SUM(time_sum_s), 0) AS DOUBLE) AS click_time_total_s,
    CAST(COALESCE(SUM(time_sum_s) / NULLIF(SUM(time_n), 0), 0) AS DOUBLE) AS click_time_avg_s,
    COUNT(*) AS click_active_days,
    CAST(SUM(device_desktop) AS DOUBLE) / SUM(clicks) AS device_desktop_share,
    CAST(SUM(device_mobile) AS DOUBLE) / SUM(clicks) AS device_mobile_share,
    CAST(SUM(device_tablet) AS DOUBLE) / SUM(clicks) AS device_tablet_share,
    CAST(SUM(device_other) AS DOUBLE) / SUM(clicks) AS device_other_share,
    CAST(SUM(referrer_search) AS DOUBLE) / SUM(clicks) AS referrer_search_share,
    CAST(SUM(referrer_social) AS DOUBLE) / SUM(clicks) AS referrer_social_share,
    CAST(SUM(referrer_direct) AS DOUBLE) / SUM(clicks) AS referrer_direct_share,
    CAST(SUM(referrer_other) AS DOUBLE) / SUM(clicks) AS referrer_other_share,
    MIN(first_ts) AS first_seen,
    MAX(last_ts) AS last_seen
FROM state_days
GROUP BY user_id
