-- The (user, item) pairs of the re-opened days not yet in state_seen, with the day each was first seen: an
-- item is a page (url), a normalised query or an article. Distinct counts over any span are exact sums of
-- the pairs first seen per day (a distinct count is not a sum of daily distinct counts).
-- Reads items(user_id, ts, item). The last condition is dropped when the state is built from scratch; it reads
-- the kept pairs of the window's users only.
SELECT i.user_id, i.item, MIN(CAST(i.ts AS DATE)) AS first_day
FROM items AS i
WHERE i.item IS NOT NULL
    AND NOT EXISTS (
        SELECT 1 FROM state_seen AS s
        WHERE s.user_id = i.user_id AND s.item = i.item AND s.user_id IN (SELECT user_id FROM items)
    )
GROUP BY i.user_id, i.item
