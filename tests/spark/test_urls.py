"""spark:// URLs, JDBC options and missing-driver messages: no Spark session needed."""

from __future__ import annotations

import pytest

from intentseg.errors import DriverMissing, InputError
from intentseg.warehouse.spark import jdbc_options
from intentseg.warehouse.spark import parse_url as _parse_url
from intentseg.warehouse.spark import session as spark_module


def test_url_forms():
    assert _parse_url("spark://local[2]") == ("local[2]", {})
    assert _parse_url("spark://") == ("local[*]", {})
    assert _parse_url("spark://host:7077?output=/out") == ("spark://host:7077", {"output": "/out"})
    # '+' in the jdbc URL stays '+', percent-escapes are decoded
    master, opts = _parse_url("spark://local[*]?events=/data/ev&jdbc=mysql+pymysql://root:p%40ss@db:3306/shop")
    assert master == "local[*]" and opts == {"events": "/data/ev", "jdbc": "mysql+pymysql://root:p@ss@db:3306/shop"}
    with pytest.raises(InputError, match="Unknown Spark URL option 'evnts'"):
        _parse_url("spark://local[2]?evnts=/x")


def test_jdbc_options_from_sqlalchemy_urls():
    # MariaDB's driver with a jdbc:mysql URL: jdbc:mariadb makes Spark quote identifiers with "
    assert jdbc_options("mysql+pymysql://root@127.0.0.1/shop") == {
        "url": "jdbc:mysql://127.0.0.1:3306/shop", "driver": "org.mariadb.jdbc.Driver", "user": "root"}
    pg = jdbc_options("postgresql+psycopg://me:s%3Acret@pg:5433/db?schema=events")
    assert pg == {"url": "jdbc:postgresql://pg:5433/db?currentSchema=events", "driver": "org.postgresql.Driver",
                  "user": "me", "password": "s:cret"}
    with pytest.raises(InputError, match="over JDBC"):
        jdbc_options("duckdb:///x.duckdb")


def test_missing_java_names_the_fix(monkeypatch):
    pytest.importorskip("pyspark")
    monkeypatch.setattr(spark_module.shutil, "which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(DriverMissing, match="apt-get install openjdk-17-jre-headless"):
        spark_module.start_session("local[1]")


def test_missing_pyspark_names_the_fix(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pyspark(name, *args, **kwargs):
        if name.startswith("pyspark"):
            raise ImportError("No module named 'pyspark'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyspark)
    with pytest.raises(DriverMissing, match=r'pip install "intentseg\[spark\]"'):
        spark_module.start_session("local[1]")
