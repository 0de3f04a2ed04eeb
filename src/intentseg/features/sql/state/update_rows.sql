-- The rows of kept (the state's per-user rows, or a feature table kept up to date in place) set to the merged
-- rows (merged) of the same users. An UPDATE rather than DELETE and INSERT: DuckDB then rewrites no row group at
-- commit. The SET list is written out by incremental.py: every feature column but user_id.
UPDATE kept AS k
SET clicks = m.clicks
FROM merged AS m
WHERE m.user_id = k.user_id
