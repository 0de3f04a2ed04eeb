"""The printed SQL (every dialect) and the thin commands over the library."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import sqlglot

from intentseg.config import Settings, SourceSettings
from intentseg.features import DIALECTS, FEATURE_COLUMNS, feature_sql

from .test_features import load


@pytest.mark.parametrize("dialect", DIALECTS)
def test_feature_sql_every_dialect(dialect):
    sql = feature_sql(dialect)
    assert ":" + "duration_cap_s" not in sql and "$session_gap" not in sql  # every placeholder was bound
    parsed = sqlglot.parse_one(sql, read="spark" if dialect == "spark" else dialect)
    assert [s.alias_or_name for s in parsed.selects] == list(FEATURE_COLUMNS)


def test_feature_sql_never_joins_raw_sources():
    """Per-source aggregation first: the raw event CTEs are only read by aggregates and the day union."""
    parsed = sqlglot.parse_one(feature_sql("duckdb"), read="duckdb")
    for join in parsed.find_all(sqlglot.exp.Join):
        assert join.this.name not in ("clickstream_events", "article_events"), join.sql()


def test_identifiers_are_quoted_and_values_are_literals_we_build():
    settings = Settings(sources={"clickstream": SourceSettings(table='odd"name', columns={"user_id": "visitor id"})})
    sql = feature_sql("postgres", settings, since="2026-09-01T00:00:00+02:00")
    assert 'FROM "odd""name"' in sql and '"visitor id" AS user_id' in sql
    assert "CAST('2026-08-31 22:00:00' AS TIMESTAMP)" in sql  # parsed, converted to UTC, re-written by us


def test_bad_window_is_a_config_error():
    from intentseg.errors import ConfigError

    with pytest.raises(ConfigError, match="not a date"):
        feature_sql("duckdb", since="last tuesday-ish")
    with pytest.raises(ConfigError, match="not before"):
        feature_sql("duckdb", since="2026-10-01", until="2026-09-01")


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    code = "import sys, intentseg.cli.features; from intentseg.cli.app import run_app; run_app(sys.argv[1:])"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_cli_sql_features_prints_what_runs():
    result = _cli("sql", "features", "--dialect", "mysql")
    assert result.returncode == 0, result.stderr
    assert result.stdout == feature_sql("mysql")
    bad = _cli("sql", "features", "--dialect", "oracle")
    assert bad.returncode == 2 and "Error: Unknown SQL dialect" in bad.stderr


def test_cli_features_writes_the_table(warehouse_url):
    from intentseg.warehouse import connect

    with connect(warehouse_url) as wh:  # closed before the command opens it (DuckDB allows one writer)
        load(wh)
    on = {"INTENTSEG_INTERESTS__ENABLED": "true"}  # content interests are off by default
    result = _cli("features", "--warehouse", warehouse_url, "--since", "2026-09-10", "--output-table", "uf", "--json",
                  env=on)
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)
    assert run["table"] == "uf" and run["users"] == 11 and run["capped_durations"]["clickstream"] == 1
    with connect(warehouse_url) as wh:
        assert wh.row_count("uf") == 11
    text = _cli("features", "--warehouse", warehouse_url, "--output-table", "uf", env=on)
    assert text.returncode == 0 and "Wrote 11 users to uf" in text.stdout
    assert "Durations capped at 1800 s: 1 in clickstream, 1 in article_views." in text.stdout
    assert "Interests from clickstream: " in text.stdout and " and other (docs/features.md)." in text.stdout
    assert run["interests"]["clickstream"]  # --json: {source: {column: section label}}


def test_bad_option_names_the_value():
    from intentseg.errors import ConfigError

    with pytest.raises(ConfigError, match="session_gap_minutes = 0"):
        feature_sql("duckdb", session_gap_minutes=0)
