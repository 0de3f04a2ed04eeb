"""One behaviour suite for the warehouse layer, run on DuckDB, MariaDB and PostgreSQL."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from intentseg.errors import ConfigError, TableNotFound, WarehouseQueryError, WarehouseUnavailable
from intentseg.warehouse import connect, redact_url

ROWS = pd.DataFrame(
    {
        "user_id": [1, 2, 3],
        "timestamp": pd.to_datetime(["2026-09-01 10:00:00", "2026-09-02 11:30:15.5", "2026-09-03 00:00:00"], format="ISO8601"),
        "url": ["https://shop.example/p/1?x=50%", None, "https://x.example/ä✓"],
        "time_spent": [12.5, None, 0.0],
        "active": [True, False, True],
    }
)


def test_write_then_read_round_trips_values_and_types(warehouse):
    assert warehouse.write_table("events", ROWS) == 3
    back = warehouse.query("SELECT * FROM events ORDER BY user_id")
    assert list(back.columns) == list(ROWS.columns)
    assert back["user_id"].tolist() == [1, 2, 3]
    assert back["url"].iloc[0] == "https://shop.example/p/1?x=50%"
    assert pd.isna(back["url"].iloc[1])
    assert back["url"].iloc[2] == "https://x.example/ä✓"
    assert back["time_spent"].iloc[0] == 12.5 and pd.isna(back["time_spent"].iloc[1])
    assert pd.Timestamp(back["timestamp"].iloc[1]) == pd.Timestamp("2026-09-02 11:30:15.5")
    assert [bool(v) for v in back["active"]] == [True, False, True]


def test_replace_swaps_whole_table_and_append_adds(warehouse):
    warehouse.write_table("t", ROWS)
    warehouse.write_table("t", ROWS.head(1))
    assert warehouse.row_count("t") == 1
    warehouse.write_table("t", ROWS, mode="append")
    assert warehouse.row_count("t") == 4
    # no staging tables are left behind
    assert warehouse.tables() == ["t"]


def test_append_creates_missing_table_and_empty_frames_are_fine(warehouse):
    warehouse.write_table("fresh", ROWS.iloc[0:0], mode="append")
    assert warehouse.table_exists("fresh")
    assert warehouse.row_count("fresh") == 0
    assert warehouse.columns("fresh") == list(ROWS.columns)


def test_table_exists_columns_and_missing_table_error(warehouse):
    assert not warehouse.table_exists("nope")
    warehouse.write_table("here", ROWS)
    assert warehouse.table_exists("here")
    with pytest.raises(TableNotFound) as err:
        warehouse.columns("nope")
    assert "nope" in str(err.value) and err.value.hint
    with pytest.raises(TableNotFound):
        warehouse.query("SELECT * FROM nope")


def test_parameters_are_bound_never_formatted(warehouse):
    warehouse.write_table("t", ROWS)
    hostile = "x' OR '1'='1"
    assert warehouse.query("SELECT * FROM t WHERE url = :u", {"u": hostile}).empty
    got = warehouse.query("SELECT user_id FROM t WHERE url LIKE :p", {"p": "%50%%"})
    assert got["user_id"].tolist() == [1]
    # a literal percent sign in SQL text sent with parameters
    got = warehouse.query("SELECT user_id FROM t WHERE url LIKE '%shop%' AND user_id >= :n", {"n": 1})
    assert got["user_id"].tolist() == [1]


def test_transaction_rolls_back_on_error(warehouse):
    warehouse.write_table("t", ROWS)
    with pytest.raises(RuntimeError):
        with warehouse.transaction():
            warehouse.execute("DELETE FROM t WHERE user_id = :u", {"u": 1})
            raise RuntimeError("boom")
    assert warehouse.row_count("t") == 3
    with warehouse.transaction():
        warehouse.execute("DELETE FROM t WHERE user_id = :u", {"u": 1})
    assert warehouse.row_count("t") == 2


def test_identifiers_are_quoted(warehouse):
    odd = pd.DataFrame({"select": [1], "my col": ["a"]})
    warehouse.write_table("order", odd)
    got = warehouse.query(f"SELECT {warehouse.quote('select')} AS s, {warehouse.quote('my col')} AS c FROM {warehouse.quote('order')}")
    assert got.iloc[0].tolist() == [1, "a"]


def test_sql_errors_are_translated(warehouse):
    with pytest.raises(WarehouseQueryError) as err:
        warehouse.query("SELEC nonsense")
    assert err.value.hint


def test_averages_are_floats(warehouse):
    warehouse.write_table("t", pd.DataFrame({"v": [1, 2]}))
    value = warehouse.scalar("SELECT AVG(v) FROM t")
    assert isinstance(value, float) and math.isclose(value, 1.5)


def test_tracer_sees_every_statement(warehouse_url):
    seen = []
    wh = connect(warehouse_url, tracer=lambda sql, params: seen.append(sql))
    wh.execute("CREATE TABLE traced (a INT)")
    wh.query("SELECT * FROM traced")
    wh.close()
    assert any("CREATE TABLE traced" in s for s in seen) and any("SELECT * FROM traced" in s for s in seen)


@pytest.mark.db
@pytest.mark.parametrize(
    ("url", "phrase"),
    [
        pytest.param("mysql+pymysql://root:wrong@127.0.0.1:3306/test", "user or password", id="mysql-password"),
        pytest.param("mysql+pymysql://root@127.0.0.1:3306/intentseg_no_such_db", "does not exist", id="mysql-db"),
        pytest.param("mysql+pymysql://root@127.0.0.1:1/test", "server running", id="mysql-down"),
        pytest.param("postgresql+psycopg://intentseg_nobody@127.0.0.1:5432/test", "user or password", id="pg-role"),
        pytest.param("postgresql+psycopg://postgres@127.0.0.1:5432/intentseg_no_such_db", "does not exist", id="pg-db"),
        pytest.param("postgresql+psycopg://postgres@127.0.0.1:1/test", "server running", id="pg-down"),
    ],
)
def test_connection_problems_name_the_fix(url, phrase):
    with pytest.raises(WarehouseUnavailable) as err:
        connect(url)
    assert phrase in err.value.hint
    assert err.value.exit_code == 3


def test_passwords_are_never_shown():
    assert redact_url("mysql+pymysql://u:s3cret@h:3306/db") == "mysql+pymysql://u:***@h:3306/db"
    with pytest.raises(WarehouseUnavailable) as err:
        connect("mysql+pymysql://root:s3cret@127.0.0.1:1/test")
    assert "s3cret" not in str(err.value)


def test_unknown_scheme_is_a_config_error():
    with pytest.raises(ConfigError) as err:
        connect("oracle://scott:tiger@db/x")
    assert "duckdb:///" in err.value.hint and "tiger" not in str(err.value)


def test_indexes_can_be_created_twice_on_long_text(warehouse):
    warehouse.write_table("q", pd.DataFrame({"query": ["a" * 900, "b"], "n": [1, 2]}))
    warehouse.create_index("q", ["query"])
    warehouse.create_index("q", ["query"])  # idempotent
    assert warehouse.query("SELECT n FROM q WHERE query = :q", {"q": "b"})["n"].tolist() == [2]
