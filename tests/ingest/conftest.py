"""Helpers for the bad-input corpus: files written by hand in tmp_path, one readable case each."""

from __future__ import annotations

from pathlib import Path

import pytest

from intentseg.warehouse import connect

CLICK_HEADER = "user_id,timestamp,url,referrer,device,time_spent"


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def csv_lines(*rows: str, header: str = CLICK_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def assert_accounted(report) -> None:
    """The contract: every row read is accepted, quarantined or already loaded, per file and per source."""
    for f in report.files:
        assert f.accepted + sum(f.quarantined.values()) + f.already_loaded == f.rows_read, f
    for s in report.sources.values():
        assert s.accepted + s.quarantined_rows + s.already_loaded == s.rows_read, s


def quarantine(url: str, table: str = "clickstream"):
    with connect(url) as wh:
        return wh.query(f"SELECT * FROM {wh.quote(table + '_quarantine')} ORDER BY {wh.quote('line')}")


def table_rows(url: str, table: str = "clickstream"):
    with connect(url) as wh:
        return wh.query(f"SELECT * FROM {wh.quote(table)} ORDER BY {wh.quote('user_id')}, {wh.quote('timestamp')}")


@pytest.fixture
def duck_url(tmp_path) -> str:
    return f"duckdb:///{tmp_path / 'events.duckdb'}"
