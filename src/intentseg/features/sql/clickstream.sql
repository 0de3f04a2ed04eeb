-- Clickstream, aggregated to one row per user.
-- Reads clickstream_events(user_id, ts, url, referrer, device, time_spent): the mapped, time-filtered source.
WITH clickstream_rows AS (
    SELECT
        user_id,
        ts,
        url,
        -- durations above the cap count as the cap, so a tab left open for hours cannot dominate
        CAST(CASE WHEN time_spent > :duration_cap_s THEN :duration_cap_s ELSE time_spent END AS DOUBLE) AS time_spent_s,
        -- 1 when more than the session gap passed since the user's previous click
        CASE WHEN ts > LAG(ts) OVER (PARTITION BY user_id ORDER BY ts) + :session_gap THEN 1 ELSE 0 END AS session_break,
        CASE LOWER(TRIM(device))
            WHEN 'desktop' THEN 'desktop'
            WHEN 'mobile' THEN 'mobile'
            WHEN 'tablet' THEN 'tablet'
            ELSE 'other'
        END AS device_class,
        -- referrer host: a search engine, a social network, none (direct), or another site
        CASE
            WHEN referrer IS NULL OR TRIM(referrer) = '' THEN 'direct'
            WHEN REGEXP_MATCHES(
                LOWER(TRIM(referrer)),
                '^([a-z][a-z0-9+.-]*://)?([^/?#]*[.])?(google|bing|duckduckgo|yahoo|baidu|yandex|ecosia|ask|aol|startpage|qwant|naver|seznam|sogou|brave)[.][a-z.]+([/:?#]|$)'
            ) THEN 'search'
            WHEN REGEXP_MATCHES(
                LOWER(TRIM(referrer)),
                '^([a-z][a-z0-9+.-]*://)?([^/?#]*[.])?((facebook|instagram|linkedin|reddit|pinterest|youtube|tiktok|twitter|snapchat|tumblr|threads|quora|vk|weibo|telegram|whatsapp|discord|mastodon)[.][a-z.]+|t[.]co|x[.]com|fb[.]com|fb[.]me|lnkd[.]in|youtu[.]be|pin[.]it)([/:?#]|$)'
            ) THEN 'social'
            ELSE 'other'
        END AS referrer_class
    FROM clickstream_events
)
SELECT
    user_id,
    COUNT(*) AS clicks,
    COUNT(DISTINCT url) AS distinct_pages,
    CAST(1 + SUM(session_break) AS BIGINT) AS sessions,
    CAST(COALESCE(SUM(time_spent_s), 0) AS DOUBLE) AS click_time_total_s,
    CAST(COALESCE(AVG(time_spent_s), 0) AS DOUBLE) AS click_time_avg_s,
    COUNT(DISTINCT CAST(ts AS DATE)) AS click_active_days,
    CAST(SUM(CASE WHEN device_class = 'desktop' THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS device_desktop_share,
    CAST(SUM(CASE WHEN device_class = 'mobile' THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS device_mobile_share,
    CAST(SUM(CASE WHEN device_class = 'tablet' THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS device_tablet_share,
    CAST(SUM(CASE WHEN device_class = 'other' THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS device_other_share,
    CAST(SUM(CASE WHEN referrer_class = 'search' THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS referrer_search_share,
    CAST(SUM(CASE WHEN referrer_class = 'social' THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS referrer_social_share,
    CAST(SUM(CASE WHEN referrer_class = 'direct' THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS referrer_direct_share,
    CAST(SUM(CASE WHEN referrer_class = 'other' THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS referrer_other_share,
    MIN(ts) AS first_seen,
    MAX(ts) AS last_seen
FROM clickstream_rows
GROUP BY user_id
