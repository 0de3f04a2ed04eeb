-- The membership changes one run made, as outbox events (one per user at most): in DuckDB's dialect,
-- transpiled per engine. `history` and `events` are renamed to the configured tables; :run_id and :ts
-- are bound (ts = the run's scored_at: the valid_to of the intervals it closed and the valid_from of
-- those it opened, and so when each change occurred). moved: an interval closed and one opened; entered: only opened; exited: only closed.
INSERT INTO events (event_id, run_id, user_id, kind, from_segment_id, from_segment_name, to_segment_id,
                    to_segment_name, occurred_at)
SELECT MD5(CONCAT(CAST(:run_id AS VARCHAR), ':', CAST(o.user_id AS VARCHAR))), CAST(:run_id AS VARCHAR), o.user_id,
       'moved', c.segment_id, c.segment_name, o.segment_id, o.segment_name, o.valid_from
FROM history AS c
JOIN history AS o ON o.user_id = c.user_id AND o.valid_from = :ts AND o.run_id = :run_id
WHERE c.valid_to = :ts
UNION ALL
SELECT MD5(CONCAT(CAST(:run_id AS VARCHAR), ':', CAST(o.user_id AS VARCHAR))), CAST(:run_id AS VARCHAR), o.user_id,
       'entered', CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR), o.segment_id, o.segment_name, o.valid_from
FROM history AS o
WHERE o.valid_from = :ts AND o.run_id = :run_id
  AND NOT EXISTS (SELECT 1 FROM history AS c WHERE c.user_id = o.user_id AND c.valid_to = :ts)
UNION ALL
SELECT MD5(CONCAT(CAST(:run_id AS VARCHAR), ':', CAST(c.user_id AS VARCHAR))), CAST(:run_id AS VARCHAR), c.user_id,
       'exited', c.segment_id, c.segment_name, CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR), c.valid_to
FROM history AS c
WHERE c.valid_to = :ts
  AND NOT EXISTS (SELECT 1 FROM history AS o WHERE o.user_id = c.user_id AND o.valid_from = :ts AND o.run_id = :run_id)
