-- Every segment of the model with its number of users and share; an empty segment is listed with 0.
-- Reads model_segments(segment_id, segment_name): one row per segment of the model, added as a CTE,
-- and user_segments: the scored users.
WITH scored AS (
    SELECT segment_id, COUNT(*) AS n_users
    FROM user_segments
    GROUP BY segment_id
)
SELECT
    m.segment_id,
    m.segment_name,
    COALESCE(s.n_users, 0) AS n_users,
    COALESCE(CAST(COALESCE(s.n_users, 0) AS DOUBLE) / NULLIF(SUM(COALESCE(s.n_users, 0)) OVER (), 0), 0) AS share
FROM model_segments AS m
LEFT JOIN scored AS s ON s.segment_id = m.segment_id
