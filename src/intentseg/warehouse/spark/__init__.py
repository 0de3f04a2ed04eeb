"""Apache Spark: the same feature SQL, transpiled to Spark SQL, for more events than one machine holds.

    spark://local[*]                                  a local session on every core (``local[2]``: two)
    spark://host:7077                                 a standalone cluster's master
    ?events=/data/events                              sources from Parquet: ``<dir>/<source>*.parquet``
                                                      or ``<dir>/<source>*/`` (see ``register_events``)
    ?jdbc=mysql+pymysql://user:pw@host:3306/shop      sources read over JDBC (MySQL/MariaDB, PostgreSQL)
    ?output=/data/intentseg                           where written tables go, as Parquet folders

Values in the query string are percent-decoded (``+`` stays ``+``). ``SparkWarehouse.from_session``
wraps a session the caller already has. ``?mllib_above=`` is accepted and ignored, with a warning:
``segment.in_warehouse_above`` alone decides when the pipeline fits with MLlib (:mod:`intentseg.model.mllib`,
on :meth:`SparkWarehouse.spark_frame`).

Where written tables live (results, ``query_intents``, staging tables) is the *store*, chosen once
(:mod:`.store`): Parquet folders swapped in by an atomic link rename when ``output`` is given, else the
``jdbc`` database (DDL and the swap by its SQLAlchemy adapter, rows by Spark's JDBC writer), else
temporary views of materialised DataFrames. Spark has no multi-statement transactions: ``transaction()``
only groups statements and each table replace is atomic on its own (``transactional_ddl = False``);
INSERT, UPDATE and DELETE on store tables are emulated by :mod:`.dml`.

    urls.py      spark:// URLs, JDBC options and driver jars
    session.py   starting a session (PySpark, Java, UTC, Arrow, the jars)
    store.py     the three stores
    dml.py       statements on store tables, carried out copy-on-write
    adapter.py   SparkWarehouse: the Warehouse interface over all of them
"""

from __future__ import annotations

from .adapter import SparkWarehouse
from .session import start_session
from .urls import jdbc_options, parse_url

__all__ = ["SparkWarehouse", "jdbc_options", "parse_url", "start_session"]
