"""The ``spark`` fixture: one JVM for the suite, but no test sees the temp views of another (issue 10 item 14:
a ``user_features`` view left by one test broke ``test_spark_features_equal_duckdb`` in a full run)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.spark


@pytest.fixture
def leftover(spark_session):
    """A view left in the shared session by an earlier test (or by a ``spark://`` URL, which reuses it)."""
    spark_session.range(3).createOrReplaceTempView("user_features")
    return "user_features"


def _views(session) -> set[str]:
    return {t.name for t in session.catalog.listTables() if t.isTemporary}


def test_a_test_session_starts_without_views_of_others(leftover, spark, spark_session):
    assert _views(spark) == set()
    assert not spark.catalog.tableExists(leftover)
    assert leftover not in _views(spark_session)  # dropped from the shared session too

    spark.range(2).createOrReplaceTempView("mine")
    assert _views(spark) == {"mine"} and spark.table("mine").count() == 2
    assert "mine" not in _views(spark_session.newSession())


def test_the_sessions_share_one_jvm_and_its_settings(spark, spark_session):
    assert spark is not spark_session and spark.sparkContext is spark_session.sparkContext
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert spark.conf.get("spark.sql.shuffle.partitions") == "4"
