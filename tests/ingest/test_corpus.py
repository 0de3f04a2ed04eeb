"""The bad-input corpus on DuckDB: each case proves a clear error or a quarantined row with its reason."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import intentseg.ingest as ig  # the module: `from intentseg import ingest` may give the function
from intentseg.config import Settings
from intentseg.errors import ConfigError, InputError, MissingColumnError

from .conftest import assert_accounted, csv_lines, quarantine, table_rows, write


def test_missing_column_names_column_found_columns_and_fix(duck_url, tmp_path):
    # visitor_id instead of user_id: the message must say what to do
    path = write(tmp_path / "clickstream.csv", csv_lines("1,2026-09-01,/a", header="visitor_id,timestamp,url"))
    with pytest.raises(MissingColumnError) as err:
        ig.ingest(path, duck_url)
    text = str(err.value)
    assert "'user_id'" in text and "visitor_id, timestamp, url" in text and "--map user_id=" in text
    assert not (tmp_path / "events.duckdb").exists()  # checked before the warehouse is touched


def test_map_flag_and_config_mapping(duck_url, tmp_path):
    # the same file loads once the column is mapped, by argument or by config
    path = write(tmp_path / "clickstream.csv", csv_lines("1,2026-09-01,/a", header="visitor_id,event_time,url"))
    report = ig.ingest(path, duck_url, columns={"user_id": "visitor_id", "timestamp": "event_time"})
    assert report.accepted == 1
    settings = Settings.model_validate(
        {"sources": {"search_queries": {"columns": {"user_id": "visitor_id", "timestamp": "event_time"}}}}
    )
    q = write(tmp_path / "search_queries.csv", csv_lines("1,2026-09-01,shoes", header="visitor_id,event_time,query"))
    with pytest.raises(ConfigError):
        ig.ingest(q, duck_url, columns={"nope": "x"})  # a mapping of an unknown column is an error
    assert ig.ingest(q, duck_url, settings=settings).accepted == 1


def test_null_and_blank_ids(duck_url, tmp_path):
    # an empty field and a field of spaces are both a missing id
    path = write(tmp_path / "search_queries.csv", csv_lines(
        ",2026-09-01,a", "   ,2026-09-01,b", "7,2026-09-01,c", header="user_id,timestamp,query"))
    report = ig.ingest(path, duck_url)
    assert_accounted(report)
    assert report.sources["search_queries"].quarantined == {"missing_user_id": 2}


def test_mostly_text_ids_fail_with_the_setting_to_change(duck_url, tmp_path):
    # user ids like "u1": with user_id_type "int" this is a text-id file, not bad rows
    path = write(tmp_path / "search_queries.csv", csv_lines(
        "u1,2026-09-01,a", "u2,2026-09-01,b", "3,2026-09-01,c", header="user_id,timestamp,query"))
    with pytest.raises(InputError) as err:
        ig.ingest(path, duck_url, user_id_type="int")
    assert 'user_id_type = "auto"' in err.value.hint
    report = ig.ingest(path, duck_url)  # the default, "auto": text ids load as text
    assert report.accepted == 3
    assert sorted(table_rows(duck_url, "search_queries")["user_id"]) == ["3", "u1", "u2"]


def test_bad_types_and_numeric_text_columns(duck_url, tmp_path):
    # Parquet with typed columns: numeric article_id becomes text, float user ids that are whole are ids
    path = tmp_path / "article_views.parquet"
    pq.write_table(pa.table({
        "user_id": pa.array([1.0, 2.5, None], pa.float64()),  # 2.5 -> invalid_user_id, None -> missing_user_id
        "timestamp": pa.array([pd.Timestamp("2026-09-01 10:00", tz="Europe/Paris")] * 3, pa.timestamp("us", "Europe/Paris")),
        "article_id": pa.array([123, 456, 789], pa.int64()),
        "time_spent": pa.array([30, 40, 50], pa.int32()),
    }), path)
    report = ig.ingest(path, duck_url)
    assert_accounted(report)
    assert report.sources["article_views"].quarantined == {"invalid_user_id": 1, "missing_user_id": 1}
    rows = table_rows(duck_url, "article_views")
    assert rows["article_id"].tolist() == ["123"]
    assert pd.Timestamp(rows["timestamp"].iloc[0]) == pd.Timestamp("2026-09-01 08:00")  # Paris summer time -> UTC
    q = quarantine(duck_url, "article_views")
    assert list(q["line"]) == [2, 3]  # Parquet: the row number


def test_timestamps_iso_offsets_epoch_and_naive_all_become_utc(duck_url, tmp_path):
    path = write(tmp_path / "search_queries.csv", csv_lines(
        "1,2026-09-01T12:00:00+02:00,a",  # offset: 10:00 UTC
        "2,2026-09-01T10:00:00Z,b",  # Z: 10:00 UTC
        "3,2026-09-01 10:00:00,c",  # naive: taken as UTC
        "4,1788256800,d",  # epoch seconds = 2026-09-01 10:00 UTC
        "5,1788256800.5,e",  # fractional epoch seconds
        "6,2026-09-01T05:00:00-05:00,f",  # negative offset: 10:00 UTC
        "7,1788256800000,g",  # milliseconds are not seconds: year 58000 -> invalid_timestamp
        "8,,h",  # empty -> invalid_timestamp
        header="user_id,timestamp,query"))
    report = ig.ingest(path, duck_url)
    assert_accounted(report)
    assert report.sources["search_queries"].quarantined == {"invalid_timestamp": 2}
    ts = [pd.Timestamp(t) for t in table_rows(duck_url, "search_queries")["timestamp"]]
    ten = pd.Timestamp("2026-09-01 10:00")
    assert ts == [ten, ten, ten, ten, ten + pd.Timedelta("500ms"), ten]


def test_negative_absurd_and_non_numeric_durations_and_the_cap_flag(duck_url, tmp_path):
    path = write(tmp_path / "article_views.csv", csv_lines(
        "1,2026-09-01,a1,-5",  # negative_time_spent
        "2,2026-09-01,a1,86400",  # a day: above the default 6 h cap
        "3,2026-09-01,a1,ten",  # invalid_time_spent
        "4,2026-09-01,a1,600",  # 10 minutes: fine by default, above a 300 s cap
        "5,2026-09-01,a1,",  # no duration: NULL, accepted
        header="user_id,timestamp,article_id,time_spent"))
    report = ig.ingest(path, duck_url, time_spent_cap_s=300)
    assert_accounted(report)
    assert report.sources["article_views"].quarantined == {
        "negative_time_spent": 1, "time_spent_above_cap": 2, "invalid_time_spent": 1}
    assert report.accepted == 1


def test_duplicate_rows_within_a_file(duck_url, tmp_path):
    # lines 2 and 4 are the same event, line 3 differs only in its url: one duplicate
    path = write(tmp_path / "clickstream.csv", csv_lines(
        "1,2026-09-01T10:00:00Z,/a,,desktop,5", "1,2026-09-01T10:00:00Z,/b,,desktop,5",
        "1,2026-09-01T10:00:00Z,/a,,desktop,5"))
    report = ig.ingest(path, duck_url, batch_rows=1000)
    assert report.accepted == 2 and report.sources["clickstream"].quarantined == {"duplicate": 1}
    assert quarantine(duck_url)["line"].tolist() == [4]


def test_duplicates_across_batches_of_one_file(duck_url, tmp_path):
    # 1,500 rows, then the first 700 again: with 1,000-row batches the copies fall in another batch
    rows = [f"{i},2026-09-01T10:00:00Z,/p{i},,," for i in range(1500)]
    path = write(tmp_path / "clickstream.csv", csv_lines(*rows, *rows[:700]))
    report = ig.ingest(path, duck_url, batch_rows=1000)
    assert_accounted(report)
    assert report.accepted == 1500 and report.sources["clickstream"].quarantined == {"duplicate": 700}


def test_non_utf8_bytes_quarantine_the_row_and_keep_the_bytes_visible(duck_url, tmp_path):
    # line 3 holds a Latin-1 "é" (0xE9): quarantined as invalid_utf8, its bytes shown as \xe9
    data = csv_lines("1,2026-09-01,/ok,,,", "2,2026-09-01,/caf\xe9,,,", "3,2026-09-01,/caf\u00e9,,,")
    path = write(tmp_path / "clickstream.csv", data.replace("\xe9,,,\n3", "@@").encode("utf-8")
                 .replace(b"@@", b"\xe9,,,\n3"))
    report = ig.ingest(path, duck_url)
    assert_accounted(report)
    assert report.sources["clickstream"].quarantined == {"invalid_utf8": 1}
    q = quarantine(duck_url)
    assert q["line"].tolist() == [3] and q["column"].tolist() == ["url"]
    assert json.loads(q["raw"].iloc[0])["url"] == "/caf\\xe9"
    assert "/café" in table_rows(duck_url)["url"].tolist()  # valid UTF-8 é is kept as is


def test_non_utf8_and_broken_lines_in_json_lines(duck_url, tmp_path):
    path = write(tmp_path / "search_queries.jsonl", b"\n".join([
        b'{"user_id": 1, "timestamp": "2026-09-01T10:00:00Z", "query": "shoes"}',  # line 1: good
        b'{"user_id": 2, "timestamp": "2026-09-01", "query": "caf\xe9"}',  # line 2: invalid_utf8
        b'{"user_id": 3, "timestamp": ',  # line 3: cut off -> malformed_row
        b"",  # line 4: blank, not a row
        b'{"user_id": "4", "timestamp": 1788256800, "query": 42}',  # line 5: good; id as text, query as number
    ]) + b"\n")
    report = ig.ingest(path, duck_url)
    assert_accounted(report)
    assert report.rows_read == 4
    assert report.sources["search_queries"].quarantined == {"invalid_utf8": 1, "malformed_row": 1}
    assert quarantine(duck_url, "search_queries")["line"].tolist() == [2, 3]
    assert table_rows(duck_url, "search_queries")["query"].tolist() == ["shoes", "42"]


def test_malformed_csv_row_keeps_line_numbers_right(duck_url, tmp_path):
    path = write(tmp_path / "search_queries.csv", csv_lines(
        "1,2026-09-01,a", "2,2026-09-01", "3,notatime,c", header="user_id,timestamp,query"))
    ig.ingest(path, duck_url)
    q = quarantine(duck_url, "search_queries")
    assert dict(zip(q["line"], q["reason"])) == {3: "malformed_row", 4: "invalid_timestamp"}


def test_empty_file_is_a_clear_error_and_writes_nothing(duck_url, tmp_path):
    path = write(tmp_path / "clickstream.csv", b"")
    with pytest.raises(InputError, match="empty"):
        ig.ingest(path, duck_url)
    assert not (tmp_path / "events.duckdb").exists()


def test_header_only_csv_loads_zero_rows(duck_url, tmp_path):
    path = write(tmp_path / "clickstream.csv", csv_lines())
    report = ig.ingest(path, duck_url)
    assert report.rows_read == 0 and report.files[0].status == "loaded"
    assert ig.describe_sources(duck_url).sources[0].exists


def test_folder_with_all_three_sources_skips_other_files(duck_url, tmp_path):
    folder = tmp_path / "events"
    write(folder / "clickstream.csv", csv_lines("1,2026-09-01,/a,,,"))
    pq.write_table(pa.table({"user_id": [1, 2], "timestamp": ["2026-09-01", "2026-09-02"], "query": ["a", "b"]}),
                   folder / "search_queries.parquet")
    write(folder / "article_views.jsonl", '{"user_id": 3, "timestamp": "2026-09-01", "article_id": "x"}\n')
    pq.write_table(pa.table({"user_id": [1], "persona": ["p"]}), folder / "ground_truth.parquet")
    write(folder / "README.txt", "notes")
    report = ig.ingest(folder, duck_url)
    assert_accounted(report)
    assert {k: v.accepted for k, v in report.sources.items()} == {
        "clickstream": 1, "search_queries": 2, "article_views": 1}
    skipped = {f.path.rsplit("/", 1)[-1] for f in report.files if f.status == "skipped"}
    assert skipped == {"ground_truth.parquet", "README.txt"}
    # optional columns absent from the file are NULL
    assert table_rows(duck_url, "article_views")["time_spent"].isna().all()


def test_a_file_not_named_after_a_source_needs_source(duck_url, tmp_path):
    path = write(tmp_path / "export.csv", csv_lines("1,2026-09-01,/a,,,"))
    with pytest.raises(InputError) as err:
        ig.ingest(path, duck_url)
    assert "--source" in err.value.hint
    assert ig.ingest(path, duck_url, source="clickstream").accepted == 1


def test_sources_on_a_hand_made_table_without_event_id(duck_url):
    # the original schema, created by hand: no event_id, no quarantine tables, no ledger
    from intentseg.warehouse import connect

    with connect(duck_url) as wh:
        wh.execute("CREATE TABLE clickstream (user_id BIGINT, timestamp TIMESTAMP, url VARCHAR, referrer VARCHAR, "
                   "device VARCHAR, time_spent INTEGER)")
        wh.execute("INSERT INTO clickstream VALUES (1, '2026-09-01 10:00', '/a', NULL, 'mobile', 5), "
                   "(2, '2026-09-02 10:00', '/b', NULL, 'mobile', 5)")
    report = ig.describe_sources(duck_url)
    click = report.sources[0]
    assert (click.exists, click.rows, click.users, click.quarantined) == (True, 2, 2, {})
    assert click.first_event.startswith("2026-09-01") and report.files == []


def test_ingest_into_a_hand_made_table_adds_event_id(duck_url, tmp_path):
    from intentseg.warehouse import connect

    with connect(duck_url) as wh:
        wh.execute("CREATE TABLE search_queries (user_id BIGINT, timestamp TIMESTAMP, query VARCHAR)")
        wh.execute("INSERT INTO search_queries VALUES (1, '2026-09-01 10:00', 'old')")
    path = write(tmp_path / "search_queries.csv", csv_lines("2,2026-09-01,new", header="user_id,timestamp,query"))
    assert ig.ingest(path, duck_url).accepted == 1
    rows = table_rows(duck_url, "search_queries")
    assert rows["query"].tolist() == ["old", "new"] and rows["event_id"].isna().tolist() == [True, False]
