"""Spark reads MariaDB and PostgreSQL tables over JDBC, builds features, and writes them back with an atomic swap."""

from __future__ import annotations

import pytest

from intentseg.features import build_features, read_features, write_features
from intentseg.warehouse import connect
from intentseg.warehouse.spark import SparkWarehouse

from ..conftest import isolated_url
from ..features.events import frames
from ..features.test_features import assert_same

pytestmark = [pytest.mark.spark, pytest.mark.db]


@pytest.mark.parametrize("engine", ["mysql", "postgres"])
def test_jdbc_round_trip(spark, tmp_path, engine):
    with isolated_url(engine, tmp_path) as url:  # a database (MariaDB) or ?schema= (PostgreSQL) of its own
        db = connect(url)
        for name, df in frames().items():
            db.write_table(name, df)
        expected = build_features(db)  # the database's own numbers

        sw = SparkWarehouse.from_session(spark, jdbc=url)
        try:
            assert sw.store is sw.database  # no output=: the database is the store
            run = write_features(sw)  # a staging table over JDBC, then the database adapter's swap
            assert run.users == len(expected)
            assert_same(read_features(db, "user_features"), expected)
            write_features(sw)  # again: replaces the table, leaves no staging table behind
            assert not [t for t in db.tables() if "__staging_" in t or "__old_" in t]
            assert {"user_features", "query_intents"} <= set(db.tables())
        finally:
            sw.close()
            db.close()
