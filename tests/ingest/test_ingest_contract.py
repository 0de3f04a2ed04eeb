"""The core ingest contract, on DuckDB, MariaDB and PostgreSQL: a mixed bad file, and idempotent re-ingest."""

from __future__ import annotations

import pandas as pd

import intentseg.ingest as ig  # the module: `from intentseg import ingest` may give the function

from .conftest import assert_accounted, csv_lines, quarantine, table_rows, write

# One file, one case per line (line numbers count the header as line 1).
MIXED = csv_lines(
    "1,2026-09-01T10:00:00+02:00,/a,,desktop,12",  # line 2: good; +02:00 -> 08:00 UTC
    ",2026-09-01T10:00:00Z,/b,,mobile,3",  # line 3: no user id -> missing_user_id
    "u7,2026-09-01T10:00:00Z,/c,,,",  # line 4: text id with user_id_type int -> invalid_user_id
    "2,yesterday,/d,,,1",  # line 5: unparsable time -> invalid_timestamp
    "3,1788000000,/e,g.example,,-1",  # line 6: negative dwell -> negative_time_spent
    "4,2026-09-01 10:00,/f,,,99999",  # line 7: dwell above the 6 h cap -> time_spent_above_cap
    "1,2026-09-01T10:00:00+02:00,/a,,desktop,12",  # line 8: same event as line 2 -> duplicate
    "5,1788000000,/g,,tablet,",  # line 9: good; epoch seconds, no dwell (NULL)
)


def test_mixed_bad_file_is_accounted_for_row_by_row(warehouse_url, tmp_path):
    path = write(tmp_path / "clickstream.csv", MIXED)
    report = ig.ingest(path, warehouse_url, user_id_type="int")  # "auto" would store text ids (u7 is one)
    assert_accounted(report)
    counts = report.sources["clickstream"]
    assert (counts.rows_read, counts.accepted) == (8, 2)
    assert counts.quarantined == {
        "missing_user_id": 1, "invalid_user_id": 1, "invalid_timestamp": 1,
        "negative_time_spent": 1, "time_spent_above_cap": 1, "duplicate": 1,
    }
    q = quarantine(warehouse_url)
    assert list(zip(q["line"], q["reason"])) == [
        (3, "missing_user_id"), (4, "invalid_user_id"), (5, "invalid_timestamp"),
        (6, "negative_time_spent"), (7, "time_spent_above_cap"), (8, "duplicate"),
    ]
    assert set(q["file"]) == {str(path)}
    assert '"u7"' in q.loc[q["reason"] == "invalid_user_id", "raw"].iloc[0]  # the raw row is kept as JSON
    rows = table_rows(warehouse_url)
    assert rows["user_id"].tolist() == [1, 5]
    assert pd.Timestamp(rows["timestamp"].iloc[0]) == pd.Timestamp("2026-09-01 08:00:00")
    assert pd.Timestamp(rows["timestamp"].iloc[1]) == pd.Timestamp(1788000000, unit="s")
    assert pd.isna(rows["time_spent"].iloc[1]) and pd.isna(rows["referrer"].iloc[0])
    assert rows["event_id"].notna().all()


def test_reingest_is_idempotent_and_overlap_is_counted_as_already_loaded(warehouse_url, tmp_path):
    first = write(tmp_path / "a" / "clickstream.csv", MIXED)
    ig.ingest(first, warehouse_url, user_id_type="int")
    # the same file again: the ledger knows it, nothing is read or written
    again = ig.ingest(first, warehouse_url)
    assert again.files[0].status == "already_loaded" and again.rows_read == 0
    # the same events in another file (plus one new): the old ones are skipped by the warehouse's
    # unique event_id and counted as already_loaded, not quarantined (an overlapping export is not bad data)
    overlap = write(tmp_path / "b" / "clickstream.csv", csv_lines(
        "1,2026-09-01T08:00:00Z,/a,,desktop,12.0",  # = line 2 of MIXED, written differently
        "6,2026-09-02T00:00:00Z,/new,,,5",  # new
    ))
    report = ig.ingest(overlap, warehouse_url)
    assert_accounted(report)
    assert (report.accepted, report.already_loaded, report.quarantined) == (1, 1, 0)
    assert len(table_rows(warehouse_url)) == 3
    status = {s.source: s for s in ig.describe_sources(warehouse_url).sources}["clickstream"]
    assert (status.rows, status.users, status.quarantined["duplicate"]) == (3, 3, 1)  # only MIXED's line 8
    assert len(ig.describe_sources(warehouse_url).files) == 2
