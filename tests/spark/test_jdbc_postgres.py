"""Spark over JDBC on PostgreSQL, as docs/spark.md promises: the sources read from a schema, features
written back with PostgreSQL's quoting (double quotes; Spark's backticks are a syntax error there)."""

from __future__ import annotations

import pytest

from intentseg.features import build_features, read_features, write_features
from intentseg.warehouse import connect
from intentseg.warehouse.spark import SparkWarehouse

from ..conftest import isolated_url
from ..features.events import frames
from ..features.test_features import assert_same

pytestmark = [pytest.mark.spark, pytest.mark.db]


def test_jdbc_round_trip_on_postgres(spark, tmp_path):
    with isolated_url("postgres", tmp_path) as url:  # ...?schema=intentseg_t_<random>
        db = connect(url)
        for name, df in frames().items():
            db.write_table(name, df)
        expected = build_features(db)  # PostgreSQL's own numbers

        sw = SparkWarehouse.from_session(spark, jdbc=url)
        try:
            assert sw.store is sw.database  # no output=: the database is the store
            run = write_features(sw)  # a staging table over JDBC, then the PostgreSQL adapter's swap
            assert run.users == len(expected)
            assert_same(read_features(db, "user_features"), expected)
            write_features(sw)  # again: replaces the table, leaves no staging table behind
            assert not [t for t in db.tables() if "__staging_" in t or "__old_" in t]
            assert {"user_features", "query_intents"} <= set(db.tables())
        finally:
            sw.close()
            db.close()


def test_jdbc_table_names_use_the_databases_quoting(spark, tmp_path):
    """A mixed-case name (PostgreSQL folds it to lower case unless double-quoted) keeps its case; with
    Spark's backticks every statement on it would be a syntax error."""
    odd = "UserScores"
    with isolated_url("postgres", tmp_path) as url:
        sw = SparkWarehouse.from_session(spark, jdbc=url)
        db = connect(url)
        try:
            sw.write_table(odd, db.query("SELECT 1 AS user_id, 2.5 AS score"))
            sw.write_table(odd, db.query("SELECT 7 AS user_id, 0.5 AS score"), mode="append")
            back = db.query(f"SELECT user_id, score FROM {db.quote_table(odd)} ORDER BY user_id")
            assert back["user_id"].tolist() == [1, 7] and back["score"].tolist() == [2.5, 0.5]
            assert sw.spark_frame(odd).count() == 2  # read back through Spark's JDBC reader
            assert odd in db.tables() and "userscores" not in db.tables()
        finally:
            sw.close()
            db.close()
