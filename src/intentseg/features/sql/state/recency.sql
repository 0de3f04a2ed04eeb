-- Recency moves for every user whenever any event arrives: measured again for every row of the feature table
-- kept up to date in place (features), as combine.sql measures it: to the given reference time, else to the
-- latest event in the state (state_users: the kept per-user rows, already merged).
UPDATE features
SET recency_days = CAST(DATE_DIFF(
    'microsecond', last_seen, (SELECT COALESCE(:reference_time, MAX(u.last_seen)) FROM state_users AS u)
) AS DOUBLE) / 86400000000.0
