"""The warehouse contract (tests/warehouse/test_contract.py) on Spark, once per store: memory (temp views),
Parquet folders (``output=``), and MariaDB and PostgreSQL over JDBC (``jdbc=``).

Where the contract does not apply to Spark, and why:

* ``test_transaction_rolls_back_on_error``: Spark has no multi-statement transactions
  (``transactional_ddl = False``; each table replace is atomic on its own, see docs/spark.md).
* ``test_tracer_sees_every_statement``: it runs ``CREATE TABLE traced (a INT)``, which on Spark makes a
  managed table in the session catalog, not a table of the store; the tracer is checked below instead.
* connection errors, password redaction, unknown schemes: URL-level checks of the SQL engines
  (Spark's are in test_urls.py).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pandas as pd
import pytest

from intentseg.errors import InputError, TableNotFound
from intentseg.warehouse.spark import SparkWarehouse, parse_url

# the contract's tests, collected here again so that they run on this module's ``warehouse`` fixture
from tests.warehouse.test_contract import (  # noqa: F401
    test_append_creates_missing_table_and_empty_frames_are_fine,
    test_averages_are_floats,
    test_identifiers_are_quoted,
    test_indexes_can_be_created_twice_on_long_text,
    test_parameters_are_bound_never_formatted,
    test_replace_swaps_whole_table_and_append_adds,
    test_sql_errors_are_translated,
    test_table_exists_columns_and_missing_table_error,
    test_write_then_read_round_trips_values_and_types,
)

from ..conftest import isolated_url

pytestmark = pytest.mark.spark


@pytest.fixture(params=["memory", "folders", pytest.param("mysql", marks=pytest.mark.db),
                        pytest.param("postgres", marks=pytest.mark.db)])
def warehouse(request, spark, tmp_path) -> Iterator[SparkWarehouse]:
    """A Spark warehouse whose store is the parameter, with no table in it."""
    if request.param in ("mysql", "postgres"):
        with isolated_url(request.param, tmp_path) as url:
            wh = SparkWarehouse.from_session(spark, jdbc=url)
            yield wh
            wh.close()
        return
    output = str(tmp_path / "out") if request.param == "folders" else None
    wh = SparkWarehouse.from_session(spark, output=output)
    yield wh
    wh.close()


def test_tracer_sees_statements_on_store_tables(spark):
    seen: list[str] = []
    wh = SparkWarehouse.from_session(spark, tracer=lambda sql, params: seen.append(sql))
    wh.execute("CREATE TABLE traced AS SELECT 1 AS a")  # carried out on the store
    wh.execute("DELETE FROM traced WHERE a = :a", {"a": 2})
    assert wh.query("SELECT a FROM traced")["a"].tolist() == [1]
    wh.close()
    assert any(s.startswith("CREATE TABLE traced") for s in seen)
    assert any(s.startswith("DELETE FROM traced") for s in seen)
    assert "SELECT a FROM traced" in seen


def test_retired_mllib_above_warns_and_is_ignored():
    """Old URLs keep working; segment.in_warehouse_above is the one threshold."""
    with pytest.warns(FutureWarning, match="segment.in_warehouse_above"):
        assert parse_url("spark://local[2]?mllib_above=1000&output=/out") == ("local[2]", {"output": "/out"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert parse_url("spark://local[2]?output=/out") == ("local[2]", {"output": "/out"})
    with pytest.raises(InputError, match="Unknown Spark URL option 'k'"):
        parse_url("spark://local[2]?k=5")


def test_spark_frame_of_a_table_or_a_query(spark):
    wh = SparkWarehouse.from_session(spark)
    wh.write_table("t", pd.DataFrame({"user_id": [1, 2, 3]}))
    assert wh.spark_frame("t").count() == 3
    assert wh.spark_frame("SELECT user_id FROM t WHERE user_id > :n", {"n": 1}).count() == 2
    assert wh.spark_frame("  with x AS (SELECT 1 AS a) SELECT a FROM x").count() == 1
    with pytest.raises(TableNotFound, match="nope"):
        wh.spark_frame("nope")
    wh.close()
