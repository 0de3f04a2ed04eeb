"""Text user ids work without configuration; integer-id warehouses keep integer ids (ADR 0007)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import intentseg.cli  # noqa: F401 - registers every command
import intentseg.ingest as ig
from intentseg.cli.app import app
from intentseg.errors import InputError
from intentseg.ingest.idtype import table_id_type
from intentseg.warehouse import connect

from .conftest import assert_accounted, csv_lines, write

runner = CliRunner()

# Text ids of the kinds real sites have. The numeric-looking ones must stay text: "007" is not "7".
TEXT_IDS = [
    "3f2b8c1e-9d4a-4e7b-8a61-0c5d2e9f7a10",  # a UUID (a logged-in user)
    "GA1.2.1234567890.1700000000",  # a Google Analytics cookie
    "anon_Zm9vYmFy",  # a cookie with letters
    "007",  # numeric-looking with leading zeros: its own user, not user 7
    "7",  # a plain number, among text ids
    "42",
    "Alice", "alice",  # two users: ids are compared exactly
]


def _events(ids: list[str]) -> tuple[str, str, str]:
    """Clicks, searches and article reads: user i clicks 2 + i % 7 pages, every third one searches."""
    clicks, searches, reads = [], [], []
    for i, uid in enumerate(ids):
        for j in range(2 + i % 7):
            clicks.append(f"{uid},2026-09-01T{8 + j % 10:02d}:{i % 60:02d}:00Z,/p/{j},,{('desktop', 'mobile')[i % 2]},{10 + 5 * j}")
        if i % 3 == 0:
            searches.append(f"{uid},2026-09-01T12:00:00Z,query {i}")
        if i % 2 == 0:
            reads.append(f"{uid},2026-09-01T13:00:00Z,a{i},{30 * (1 + i % 4)}")
    return (csv_lines(*clicks),
            csv_lines(*searches, header="user_id,timestamp,query"),
            csv_lines(*reads, header="user_id,timestamp,article_id,time_spent"))


def _load(tmp_path, url: str, ids: list[str], folder: str = "events"):
    clicks, searches, reads = _events(ids)
    write(tmp_path / folder / "clickstream.csv", clicks)
    write(tmp_path / folder / "search_queries.csv", searches)
    write(tmp_path / folder / "article_views.csv", reads)
    report = ig.ingest(tmp_path / folder, url)
    assert_accounted(report)
    assert report.quarantined == 0
    return report


def _run(url: str) -> dict:
    result = runner.invoke(app, ["run", "--warehouse", url, "--k", "3", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_text_ids_work_without_config_through_run(warehouse_url, tmp_path):
    ids = TEXT_IDS + [f"cookie-{i:03d}" for i in range(22)]
    _load(tmp_path, warehouse_url, ids)
    _run(warehouse_url)
    with connect(warehouse_url) as wh:
        for table in ("clickstream", "search_queries", "article_views", "user_segments", "user_segment_history"):
            assert table_id_type(wh, table, "user_id") == "string", table
        seg = wh.query(f"SELECT * FROM {wh.quote('user_segments')}")
    assert sorted(seg["user_id"]) == sorted(ids)  # "007", "7", "Alice" and "alice" are four users


def test_numeric_looking_ids_of_a_later_file_stay_text(warehouse_url, tmp_path):
    # the first ingest made text ids; a file of only numeric-looking ids ("0042") is loaded as text too
    _load(tmp_path, warehouse_url, TEXT_IDS)
    report = ig.ingest(write(tmp_path / "more" / "clickstream.csv", csv_lines("0042,2026-09-02T10:00:00Z,/x,,,")),
                       warehouse_url)
    assert report.accepted == 1
    with connect(warehouse_url) as wh:
        found = wh.query(f"SELECT {wh.quote('user_id')} FROM {wh.quote('clickstream')} WHERE {wh.quote('url')} = '/x'")
    assert found["user_id"].tolist() == ["0042"]


def test_one_text_id_among_numbers_makes_the_ids_text(warehouse_url, tmp_path):
    # whole numbers in every file but one cookie in the searches: text ids for every source (they join)
    clicks, _, _ = _events([str(i) for i in range(1, 25)])
    write(tmp_path / "events" / "clickstream.csv", clicks)
    write(tmp_path / "events" / "search_queries.csv", csv_lines(
        "3,2026-09-01T12:00:00Z,shoes", "c00kie,2026-09-01T12:00:00Z,bags", header="user_id,timestamp,query"))
    report = ig.ingest(tmp_path / "events", warehouse_url)
    assert report.quarantined == 0 and report.accepted == report.rows_read
    with connect(warehouse_url) as wh:
        assert table_id_type(wh, "clickstream", "user_id") == "string"
        assert table_id_type(wh, "search_queries", "user_id") == "string"


def test_integer_ids_stay_integers_through_run(warehouse_url, tmp_path):
    ids = [str(i) for i in range(1, 31)]
    _load(tmp_path, warehouse_url, ids)
    _run(warehouse_url)
    with connect(warehouse_url) as wh:
        for table in ("clickstream", "search_queries", "article_views", "user_segments", "user_segment_history"):
            assert table_id_type(wh, table, "user_id") == "int", table
        seg = wh.query(f"SELECT * FROM {wh.quote('user_segments')}")
    assert sorted(int(v) for v in seg["user_id"]) == list(range(1, 31))
    # a later source follows the tables there (they join on user_id): whole numbers, and a text id there is a
    # bad row, quarantined, not a reason to change the table
    later = ig.ingest(write(tmp_path / "later" / "search_queries.csv", csv_lines(
        "5,2026-09-03T12:00:00Z,new", "x9,2026-09-03T12:00:00Z,odd", "6,2026-09-03T12:00:00Z,new",
        header="user_id,timestamp,query")), warehouse_url)
    assert later.sources["search_queries"].quarantined == {"invalid_user_id": 1}


def test_a_text_id_file_into_an_integer_warehouse_says_how_to_change_it(warehouse_url, tmp_path):
    _load(tmp_path, warehouse_url, [str(i) for i in range(1, 5)])
    path = write(tmp_path / "later" / "clickstream.csv", csv_lines(
        "u1,2026-09-03T10:00:00Z,/a,,,", "u2,2026-09-03T10:00:00Z,/b,,,"))
    with pytest.raises(InputError) as err:
        ig.ingest(path, warehouse_url)
    assert "table clickstream holds whole-number user ids" in str(err.value)
    assert "ALTER TABLE clickstream" in err.value.hint


def test_an_original_schema_warehouse_made_by_hand_keeps_integer_ids(warehouse_url, tmp_path):
    # the prototype's tables (INT ids), made without intentseg; ingest then run keep INT ids everywhere
    with connect(warehouse_url) as wh:
        wh.execute("CREATE TABLE clickstream (user_id INT, timestamp TIMESTAMP, url VARCHAR(255), "
                   "referrer VARCHAR(255), device VARCHAR(20), time_spent INT)")
    clicks, _, _ = _events([str(i) for i in range(1, 31)])
    report = ig.ingest(write(tmp_path / "clickstream.csv", clicks), warehouse_url)
    assert report.accepted == report.rows_read
    _run(warehouse_url)
    with connect(warehouse_url) as wh:
        assert table_id_type(wh, "user_segments", "user_id") == "int"
        seg = wh.query(f"SELECT * FROM {wh.quote('user_segments')}")
    assert sorted(int(v) for v in seg["user_id"]) == list(range(1, 31))
