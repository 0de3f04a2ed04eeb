"""Spark over JDBC on PostgreSQL quotes tables PostgreSQL's way (double quotes; Spark's backticks are a syntax
error there). The round trip of features runs in test_jdbc.py on MariaDB and PostgreSQL."""

from __future__ import annotations

import pytest

from intentseg.warehouse import connect
from intentseg.warehouse.spark import SparkWarehouse

from ..conftest import isolated_url

pytestmark = [pytest.mark.spark, pytest.mark.db]


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
