"""Starting Spark the way intentseg needs it: PySpark and Java present, UTC, Arrow, the JDBC jars."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ...errors import DriverMissing, WarehouseUnavailable
from .urls import driver_jars


def import_pyspark() -> Any:
    """``pyspark.sql``, or DriverMissing naming the pip extra."""
    try:
        import pyspark.sql
    except ImportError as exc:
        raise DriverMissing("PySpark is not installed.", hint='pip install "intentseg[spark]"') from exc
    return pyspark.sql


def check_java() -> None:
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (java_home and Path(java_home, "bin", "java").exists()):
        raise DriverMissing("Spark needs Java, and no `java` is on the PATH (nor JAVA_HOME set).",
                            hint="install Java 17: apt-get install openjdk-17-jre-headless")


def start_session(master: str = "local[*]", **conf: str) -> Any:
    """A Spark session set up the way intentseg needs it: UTC, Arrow, the Debian JDBC drivers on the classpath."""
    sql = import_pyspark()
    check_java()
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = sql.SparkSession.builder.master(master).appName("intentseg")
    settings = {
        "spark.sql.session.timeZone": "UTC",
        "spark.jars": ",".join(driver_jars()),
        "spark.ui.showConsoleProgress": "false",
        # intentseg makes no managed tables; keep Spark from creating spark-warehouse/ in the working folder
        "spark.sql.warehouse.dir": str(Path(tempfile.gettempdir()) / "intentseg-spark-warehouse"),
        **conf,
    }
    for key, value in settings.items():
        if value:
            builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as exc:  # the JVM failed to start: Py4J / RuntimeError with the JVM's message
        raise WarehouseUnavailable(f"Spark {master} did not start: {str(exc).strip().splitlines()[-1]}",
                                   hint="Check Java 17 is installed and SPARK_LOCAL_IP=127.0.0.1 for local sessions.") from exc
