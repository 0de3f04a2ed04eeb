"""One local Spark session for every Spark test (each start costs 10-15 s).

``local[2]``, no UI, 4 shuffle partitions, 2 GB driver memory, SPARK_LOCAL_IP=127.0.0.1. With CI=true a
missing PySpark or Java fails the tests; elsewhere they skip, saying what to install.
"""

from __future__ import annotations

import os

import pytest

from intentseg.errors import DriverMissing

from ..conftest import IN_CI


@pytest.fixture(scope="session")
def spark():
    from intentseg.warehouse.spark import start_session

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    try:
        session = start_session(
            "local[2]",
            **{"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4", "spark.driver.memory": "2g",
               "spark.ui.showConsoleProgress": "false"},
        )
    except DriverMissing as exc:
        if IN_CI:
            pytest.fail(f"CI=true requires Spark: {exc}")
        pytest.skip(str(exc))
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
