"""Trust under real operations (issue 10), on DuckDB, MariaDB and PostgreSQL: concurrent ingests leave
each event once, one bad value never fails its batch, text ids compare exactly, a failed or resumed
ingest neither loses nor doubles anything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from intentseg.errors import WarehouseQueryError
from intentseg.ingest import describe_sources, ingest
from intentseg.schema import TEXT_MAX_CHARS, USER_ID_MAX_CHARS
from intentseg.warehouse import connect
from tests.conftest import isolated_url

from .conftest import assert_accounted, csv_lines, quarantine, table_rows, write

LEDGER = "intentseg_ingest_ledger"


def clicks(n: int, start: int = 0) -> list[str]:
    """``n`` distinct good click rows (user i, one per minute)."""
    return [f"{i},2026-09-01T{(i // 60) % 24:02d}:{i % 60:02d}:00Z,/p/{i},,desktop,5" for i in range(start, start + n)]


def counts(url: str, table: str = "clickstream") -> tuple[int, int]:
    """(rows, distinct event ids) of a table."""
    with connect(url) as wh:
        row = wh.query(
            f"SELECT COUNT(*) AS n, COUNT(DISTINCT {wh.quote('event_id')}) AS ids FROM {wh.quote_table(table)}"
        ).iloc[0]
    return int(row["n"]), int(row["ids"])


def ledger_rows(url: str) -> int:
    with connect(url) as wh:
        return wh.row_count(LEDGER)


def staging_tables(url: str) -> list[str]:
    with connect(url) as wh:
        return [t for t in wh.tables() if "__staging_" in t]


def ingest_concurrently(engine: str, url: str, paths: list[Path], batch_rows: int) -> list[int]:
    """Start one ingest per path at the same moment; returns their exit codes (0 = ok).

    MariaDB and PostgreSQL: real processes (``python -m intentseg ingest``). DuckDB allows one process
    per file, so there the ingests are threads, each with its own connection, released by a barrier.
    """
    if engine != "duckdb":
        env = os.environ | {"INTENTSEG_INGEST__BATCH_ROWS": str(batch_rows)}
        procs = [
            subprocess.Popen([sys.executable, "-m", "intentseg", "ingest", str(p), "--warehouse", url, "--json"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
            for p in paths
        ]
        codes = []
        for p in procs:
            out, err = p.communicate(timeout=300)
            assert p.returncode == 0, err[-2000:]
            assert_accounted_json(json.loads(out))
            codes.append(p.returncode)
        return codes
    barrier = threading.Barrier(len(paths))
    errors: list[BaseException] = []

    def one(path: Path) -> None:
        try:
            with connect(url) as wh:
                barrier.wait()
                assert_accounted(ingest(path, wh, batch_rows=batch_rows))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(p,)) for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors
    return [0] * len(paths)


def assert_accounted_json(report: dict) -> None:
    for f in report["files"]:
        assert f["accepted"] + sum(f["quarantined"].values()) + f["already_loaded"] == f["rows_read"], f


# -- concurrency -----------------------------------------------------------------------------------
def test_concurrent_ingests_of_the_same_file_leave_each_event_once(engine, warehouse_url, tmp_path):
    # 12,000 distinct events in 1,000-row batches: the two ingests overlap on every batch, and the
    # tables do not exist yet, so both also race to create them.
    path = write(tmp_path / "clickstream.csv", csv_lines(*clicks(12_000)))
    assert ingest_concurrently(engine, warehouse_url, [path, path], batch_rows=1000) == [0, 0]
    assert counts(warehouse_url) == (12_000, 12_000)
    assert ledger_rows(warehouse_url) == 1
    assert staging_tables(warehouse_url) == []
    assert len(quarantine(warehouse_url)) == 0


def test_concurrent_ingests_of_different_files_load_every_row(engine, warehouse_url, tmp_path):
    # two files, 8,000 events each, 2,000 of them in both (an overlapping export)
    a = write(tmp_path / "a" / "clickstream.csv", csv_lines(*clicks(8000)))
    b = write(tmp_path / "b" / "clickstream.csv", csv_lines(*clicks(8000, start=6000)))
    assert ingest_concurrently(engine, warehouse_url, [a, b], batch_rows=1000) == [0, 0]
    assert counts(warehouse_url) == (14_000, 14_000)
    assert ledger_rows(warehouse_url) == 2
    assert staging_tables(warehouse_url) == []


def test_two_processes_on_one_duckdb_file_never_double_an_event(tmp_path):
    # DuckDB lets one process open a file: the second waits briefly, then either loads after the first
    # (exit 0, the ledger says already loaded) or stops with exit 3 and the "another process" hint.
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    path = write(tmp_path / "clickstream.csv", csv_lines(*clicks(12_000)))
    procs = [subprocess.Popen([sys.executable, "-m", "intentseg", "ingest", str(path), "--warehouse", url],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes in ([0, 0], [0, 3]), outputs
    if codes == [0, 3]:
        assert "another process" in " ".join(outputs).lower(), outputs
    assert counts(url) == (12_000, 12_000) and ledger_rows(url) == 1


# -- one bad value never fails its batch -------------------------------------------------------------
def test_bad_values_are_quarantined_row_by_row_and_the_batch_loads(warehouse_url, tmp_path):
    long_url = "/" + "u" * 9_999  # 10,000 characters: fits (TEXT / MEDIUMTEXT), must load intact
    too_long = "/" + "x" * TEXT_MAX_CHARS  # one character over the limit
    path = write(tmp_path / "clickstream.csv", csv_lines(
        f"1,2026-09-01T10:00:00Z,{long_url},,desktop,5",  # line 2: loads
        "2,2026-09-01T10:00:00Z,/nul\x00here,,desktop,5",  # line 3: NUL byte -> nul_byte
        f"3,2026-09-01T10:00:00Z,{too_long},,desktop,5",  # line 4: text_too_long
        "4,2026-09-01T10:00:00Z,/ok,ref\x00,desktop,5",  # line 5: NUL in an optional column too
        "5,2026-09-01T10:00:00Z,/fine,,mobile,7",  # line 6: loads
        "6,0999-12-31T23:59:59Z,/old,,mobile,7",  # line 7: before year 1000 (MariaDB) -> invalid_timestamp
    ))
    report = ingest(path, warehouse_url)
    assert_accounted(report)
    assert report.accepted == 2
    assert report.sources["clickstream"].quarantined == {"nul_byte": 2, "text_too_long": 1, "invalid_timestamp": 1}
    q = quarantine(warehouse_url)
    assert list(zip(q["line"], q["reason"], q["column"])) == [
        (3, "nul_byte", "url"), (4, "text_too_long", "url"), (5, "nul_byte", "referrer"),
        (7, "invalid_timestamp", "timestamp"),
    ]
    rows = table_rows(warehouse_url)
    assert rows["user_id"].tolist() == [1, 5]
    assert rows.loc[rows["user_id"] == 1, "url"].iloc[0] == long_url
    assert staging_tables(warehouse_url) == []

    query = "q" * 10_000  # a 10,000-character search loads too
    searches = write(tmp_path / "search_queries.csv", csv_lines(
        f"1,2026-09-01T10:00:00Z,{query}", "2,2026-09-01T10:00:00Z,a\x00b", header="user_id,timestamp,query"))
    report = ingest(searches, warehouse_url)
    assert (report.accepted, report.sources["search_queries"].quarantined) == (1, {"nul_byte": 1})
    assert table_rows(warehouse_url, "search_queries")["query"].tolist() == [query]


def test_text_ids_compare_exactly_and_overlong_ids_are_quarantined(warehouse_url, tmp_path):
    longest = "L" * USER_ID_MAX_CHARS
    path = write(tmp_path / "clickstream.csv", csv_lines(
        "Alice,2026-09-01T10:00:00Z,/a,,,",  # four different users: case and accents count
        "alice,2026-09-01T10:00:00Z,/a,,,",
        "ALICE,2026-09-01T10:00:00Z,/a,,,",
        "Alicé,2026-09-01T10:00:00Z,/a,,,",
        f"{longest},2026-09-01T10:00:00Z,/a,,,",  # exactly the longest id: loads
        f"{longest}X,2026-09-01T10:00:00Z,/a,,,",  # line 7: one character longer -> user_id_too_long
        "bob\x00,2026-09-01T10:00:00Z,/a,,,",  # line 8: NUL inside an id -> nul_byte
    ))
    report = ingest(path, warehouse_url, user_id_type="string")
    assert_accounted(report)
    assert report.accepted == 5
    q = quarantine(warehouse_url)
    assert list(zip(q["line"], q["reason"])) == [(7, "user_id_too_long"), (8, "nul_byte")]
    status = {s.source: s for s in describe_sources(warehouse_url).sources}["clickstream"]
    assert (status.rows, status.users) == (5, 5)
    with connect(warehouse_url) as wh:
        found = wh.query(f"SELECT {wh.quote('user_id')} FROM {wh.quote_table('clickstream')} "
                         f"WHERE {wh.quote('user_id')} = :u", {"u": "alice"})
    assert found["user_id"].tolist() == ["alice"]


def test_ids_up_to_two_to_the_63_minus_one_load_and_larger_ones_are_quarantined(warehouse_url, tmp_path):
    path = write(tmp_path / "clickstream.csv", csv_lines(
        "9223372036854775807,2026-09-01T10:00:00Z,/max,,,",  # 2**63 - 1: the largest BIGINT, loads
        "-9223372036854775808,2026-09-01T10:00:00Z,/min,,,",  # -2**63: loads
        "0009223372036854775806,2026-09-01T10:00:00Z,/zeros,,,",  # leading zeros: still 2**63 - 2
        "9223372036854775808,2026-09-01T10:00:00Z,/over,,,",  # line 5: 2**63 -> invalid_user_id
        "123456789012345678901,2026-09-01T10:00:00Z,/big,,,",  # line 6: 21 digits -> invalid_user_id
    ))
    report = ingest(path, warehouse_url, user_id_type="int")  # "auto" would keep the big ones as text ids
    assert_accounted(report)
    assert list(zip(*[quarantine(warehouse_url)[c] for c in ("line", "reason")])) == [
        (5, "invalid_user_id"), (6, "invalid_user_id")]
    assert sorted(table_rows(warehouse_url)["user_id"].tolist()) == [-(2**63), 2**63 - 2, 2**63 - 1]

    # Parquet uint64 ids above 2**63 - 1: quarantined row by row, not a crash
    big = tmp_path / "big" / "clickstream.parquet"
    big.parent.mkdir()
    pq.write_table(pa.table({
        "user_id": pa.array([7, 2**64 - 1, 2**63 - 1], pa.uint64()),
        "timestamp": pa.array(["2026-09-02T00:00:00Z"] * 3), "url": pa.array(["/u64"] * 3),
    }), big)
    report = ingest(big, warehouse_url)
    assert_accounted(report)
    assert (report.accepted, report.sources["clickstream"].quarantined) == (2, {"invalid_user_id": 1})


# -- failures, retries and resumes ------------------------------------------------------------------
def test_a_failed_batch_leaves_no_staging_and_no_quarantine_rows(warehouse_url, tmp_path):
    # line 3 is bad: its quarantine row must appear once, whatever happens to the batch
    path = write(tmp_path / "clickstream.csv", csv_lines(*clicks(1), ",2026-09-01,/no-user,,,", *clicks(3, 1)))
    with connect(warehouse_url) as wh:
        real = wh.insert_skipping_duplicates

        def broken(*args, **kwargs):
            raise WarehouseQueryError("forced failure of the batch insert")

        wh.insert_skipping_duplicates = broken
        with pytest.raises(WarehouseQueryError, match="forced failure"):
            ingest(path, wh)
        assert wh.row_count("clickstream_quarantine") == 0  # rolled back with its batch
        assert wh.row_count("clickstream") == 0
        assert [t for t in wh.tables() if "__staging_" in t] == []

        # A deadlock-like conflict is run again: the quarantine row is still written once.
        failures = iter([True])
        wh.is_transient = lambda exc: True

        def once(*args, **kwargs):
            if next(failures, False):
                raise WarehouseQueryError("forced conflict")
            return real(*args, **kwargs)

        wh.insert_skipping_duplicates = once
        report = ingest(path, wh)
    assert_accounted(report)
    assert report.accepted == 4
    assert quarantine(warehouse_url)["line"].tolist() == [3]
    assert staging_tables(warehouse_url) == []


def test_resuming_a_killed_ingest_counts_loaded_rows_without_quarantining_them(warehouse_url, tmp_path):
    rows = clicks(2500)
    rows.insert(10, ",2026-09-01,/no-user,,,")  # line 12, in the first batch: quarantined by the killed run
    path = write(tmp_path / "clickstream.csv", csv_lines(*rows))
    with connect(warehouse_url) as wh:
        real, calls = wh.insert_skipping_duplicates, []

        def dies_in_third_batch(table, *args, **kwargs):
            calls.append(table)
            if calls.count("clickstream") == 3 and table == "clickstream":
                raise KeyboardInterrupt  # the process is stopped mid-file
            return real(table, *args, **kwargs)

        wh.insert_skipping_duplicates = dies_in_third_batch
        with pytest.raises(KeyboardInterrupt):
            ingest(path, wh, batch_rows=1000)
        assert wh.row_count("clickstream") == 1999 and wh.row_count(LEDGER) == 0
    report = ingest(path, warehouse_url, batch_rows=1000)
    assert_accounted(report)
    # the loaded events are counted, not quarantined; the bad row is reported again but stored once
    assert (report.accepted, report.already_loaded, report.quarantined) == (501, 1999, 1)
    assert counts(warehouse_url) == (2500, 2500)
    assert quarantine(warehouse_url)["line"].tolist() == [12] and ledger_rows(warehouse_url) == 1


def test_a_copy_with_one_more_line_adds_exactly_that_line(warehouse_url, tmp_path):
    rows = clicks(3000)
    ingest(write(tmp_path / "a" / "clickstream.csv", csv_lines(*rows)), warehouse_url)
    report = ingest(write(tmp_path / "b" / "clickstream.csv", csv_lines(*rows, *clicks(1, 3000))), warehouse_url)
    assert_accounted(report)
    assert (report.accepted, report.already_loaded, report.quarantined) == (1, 3000, 0)
    assert counts(warehouse_url) == (3001, 3001)


def test_undecodable_bytes_in_a_parquet_binary_column_quarantine_only_their_row(warehouse_url, tmp_path):
    path = tmp_path / "clickstream.parquet"
    pq.write_table(pa.table({
        "user_id": pa.array([1, 2, 3], pa.int64()),
        "timestamp": pa.array(["2026-09-01T10:00:00Z"] * 3),
        "url": pa.array([b"/ok", b"/caf\xe9", b"/fine"], pa.binary()),  # row 2: Latin-1, not UTF-8
    }), path)
    report = ingest(path, warehouse_url)
    assert_accounted(report)
    assert (report.accepted, report.sources["clickstream"].quarantined) == (2, {"invalid_utf8": 1})
    q = quarantine(warehouse_url)
    assert (q["line"].tolist(), q["column"].tolist()) == ([2], ["url"])
    assert "\\\\xe9" in q["raw"].iloc[0]  # the bytes stay visible
    assert table_rows(warehouse_url)["url"].tolist() == ["/ok", "/fine"]


def test_every_quarantine_reason_is_documented():
    from intentseg.ingest import REASONS

    docs = (Path(__file__).resolve().parents[2] / "docs" / "ingest.md").read_text()
    assert [r for r in REASONS if f"| `{r}` |" not in docs] == []


def test_a_lone_surrogate_escape_in_json_lines_quarantines_only_its_row(warehouse_url, tmp_path):
    path = write(tmp_path / "search_queries.jsonl", "\n".join([
        '{"user_id": 1, "timestamp": "2026-09-01T10:00:00Z", "query": "ok"}',
        '{"user_id": 2, "timestamp": "2026-09-01T10:00:00Z", "query": "bad \\ud800 half"}',  # line 2
        '{"user_id": 3, "timestamp": "2026-09-01T10:00:00Z", "query": "\\u00e9t\\u00e9"}',  # a real é: loads
    ]) + "\n")
    report = ingest(path, warehouse_url)
    assert_accounted(report)
    assert (report.accepted, report.sources["search_queries"].quarantined) == (2, {"invalid_utf8": 1})
    assert quarantine(warehouse_url, "search_queries")["line"].tolist() == [2]
    assert sorted(table_rows(warehouse_url, "search_queries")["query"]) == ["ok", "été"]


def test_tables_made_before_get_their_keys_and_keep_their_limits(engine, warehouse_url, tmp_path):
    with connect(warehouse_url) as wh:
        # a clickstream table made by hand, url at most 20 characters, and a ledger of an older intentseg
        wh.execute(f"CREATE TABLE {wh.quote_table('clickstream')} ({wh.quote('user_id')} BIGINT, "
                   f"{wh.quote('timestamp')} {wh.ddl_type('timestamp')}, {wh.quote('url')} VARCHAR(20))")
        wh.execute(f"INSERT INTO {wh.quote_table('clickstream')} VALUES (99, :ts, '/by-hand')",
                   {"ts": "2026-08-01 00:00:00"})
        wh.create_table(LEDGER, {"file_hash": "key", "source": "key", "file": "text", "format": "text",
                                 "rows_read": "bigint", "accepted": "bigint", "quarantined": "bigint",
                                 "ingested_at": "timestamp"})
    path = write(tmp_path / "clickstream.csv", csv_lines(
        "1,2026-09-01T10:00:00Z,/short", "2,2026-09-01T10:00:00Z,/twenty-one-chars-url",  # line 3: 21 > 20
        header="user_id,timestamp,url"))
    report = ingest(path, warehouse_url)
    assert_accounted(report)
    if engine == "duckdb":  # DuckDB ignores the (20): its VARCHAR holds any length, so the url loads
        assert (report.accepted, report.quarantined) == (2, 0)
    else:
        assert (report.accepted, report.sources["clickstream"].quarantined) == (1, {"text_too_long": 1})
    again = write(tmp_path / "b" / "clickstream.csv", csv_lines("1,2026-09-01T10:00:00Z,/short", header="user_id,timestamp,url"))
    assert ingest(again, warehouse_url).already_loaded == 1  # the unique event_id works on the old table
    assert sorted(table_rows(warehouse_url)["user_id"].tolist()) == ([1, 2, 99] if engine == "duckdb" else [1, 99])
    files = describe_sources(warehouse_url).files
    assert [f["already_loaded"] for f in files] == [0, 1]


def _conflict(engine: str) -> Exception:
    """The driver's own error for a deadlock (or DuckDB's failed commit) on each engine."""
    if engine == "mysql":
        import pymysql

        return pymysql.err.OperationalError(1213, "Deadlock found when trying to get lock; try restarting transaction")
    if engine == "postgres":
        import psycopg

        return psycopg.errors.DeadlockDetected("deadlock detected")
    import duckdb

    return duckdb.TransactionException("TransactionContext Error: Failed to commit: write-write conflict")


def test_a_deadlock_is_run_again_a_bounded_number_of_times_then_reported(engine, warehouse):
    driver_error = _conflict(engine)
    translated = (warehouse._translate(driver_error) if hasattr(warehouse, "_translate")
                  else WarehouseQueryError(f"DuckDB: {driver_error}"))
    attempts = []

    def always_deadlocks():
        attempts.append(1)
        raise translated from driver_error

    with pytest.raises(WarehouseQueryError) as raised:
        warehouse.retrying(always_deadlocks, attempts=3)
    assert len(attempts) == 3  # run again, but not for ever
    if engine != "duckdb":
        assert "run the command again" in str(raised.value)  # the message names the fix

    def not_a_conflict():
        attempts.append(1)
        raise WarehouseQueryError("syntax error")

    attempts.clear()
    with pytest.raises(WarehouseQueryError, match="syntax error"):
        warehouse.retrying(not_a_conflict, attempts=3)
    assert len(attempts) == 1  # other errors are not retried


@pytest.mark.db
def test_mariadb_never_stores_a_value_insert_ignore_would_change(tmp_path):
    # MariaDB only: INSERT IGNORE is its statement (PostgreSQL's ON CONFLICT DO NOTHING changes no value)
    with isolated_url("mysql", tmp_path) as url:
        check_insert_ignore_refuses_changed_values(url, tmp_path)


def check_insert_ignore_refuses_changed_values(server_warehouse_url: str, tmp_path: Path) -> None:
    with connect(server_warehouse_url) as wh:
        # a table made by hand in latin1: "漢" cannot be stored there (IGNORE would write "?")
        wh.execute("CREATE TABLE clickstream (user_id BIGINT, timestamp DATETIME(6), url VARCHAR(100)) "
                   "CHARACTER SET latin1")
    path = write(tmp_path / "clickstream.csv", csv_lines("1,2026-09-01T10:00:00Z,/ok", "2,2026-09-01T10:00:00Z,/漢",
                                                         header="user_id,timestamp,url"))
    with pytest.raises(WarehouseQueryError, match="would change values") as raised:
        ingest(path, server_warehouse_url)
    assert "utf8mb4" in str(raised.value)  # the fix is named
    with connect(server_warehouse_url) as wh:
        assert wh.row_count("clickstream") == 0  # nothing half-written, no "?" stored
        assert [t for t in wh.tables() if "__staging_" in t] == []
