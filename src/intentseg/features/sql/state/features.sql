-- The feature table from the state's per-user rows (state_users: combine.sql's columns, kept per user and
-- updated for the users with events in the re-opened days only). Every column is as kept but recency, which
-- moves for every user when any event arrives: measured again here, as combine.sql measures it, to the given
-- reference time or else to the latest event of any user.
SELECT
    u.*,
    CAST(DATE_DIFF('microsecond', u.last_seen, r.reference_ts) AS DOUBLE) / 86400000000.0 AS recency_days_now
FROM state_users AS u
CROSS JOIN (SELECT COALESCE(:reference_time, MAX(last_seen)) AS reference_ts FROM state_users) AS r
