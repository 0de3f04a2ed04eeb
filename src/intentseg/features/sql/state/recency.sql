-- Recency moves for every user whenever any event arrives: measured again for every row of the feature table
-- kept up to date in place (features), as combine.sql measures it: to the given reference time, else to the
-- latest event (the latest last_seen of the table, whose touched users' rows are already replaced).
UPDATE features
SET recency_days = CAST(DATE_DIFF(
    'microsecond', last_seen, (SELECT COALESCE(:reference_time, MAX(u.last_seen)) FROM features AS u)
) AS DOUBLE) / 86400000000.0
