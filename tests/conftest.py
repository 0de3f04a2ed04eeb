"""Shared fixtures: one isolated warehouse per test, on every engine.

Database tests run against the servers on this machine (URLs overridable with INTENTSEG_TEST_MYSQL_URL and
INTENTSEG_TEST_POSTGRES_URL). With CI=true an unreachable server fails the test; outside CI it skips with
the reason. Each test gets its own MariaDB database / PostgreSQL schema / DuckDB file, so parallel and
repeated runs never collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from intentseg.warehouse import Warehouse, connect

MYSQL_URL = os.environ.get("INTENTSEG_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
POSTGRES_URL = os.environ.get("INTENTSEG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"

ENGINES = ["duckdb", "mysql", "postgres"]
SERVER_ENGINES = ["mysql", "postgres"]


def _unreachable(engine: str, exc: Exception) -> None:
    reason = f"{engine} server not reachable: {str(exc).splitlines()[0]}"
    if IN_CI:
        pytest.fail(f"CI=true requires every database: {reason}")
    pytest.skip(f"{reason} (start it, or set INTENTSEG_TEST_{engine.upper()}_URL)")


def _sa_exec(url: str, sql: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


@contextmanager
def isolated_url(engine: str, tmp_path) -> Iterator[str]:
    """A warehouse URL no other test uses; the database/schema is dropped afterwards."""
    name = f"intentseg_t_{uuid.uuid4().hex[:10]}"
    if engine == "duckdb":
        yield f"duckdb:///{tmp_path / (name + '.duckdb')}"
        return
    base = MYSQL_URL if engine == "mysql" else POSTGRES_URL
    try:
        if engine == "mysql":
            _sa_exec(base, f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        else:
            _sa_exec(base, f'CREATE SCHEMA "{name}"')
    except Exception as exc:  # noqa: BLE001 - any driver failure means "not reachable"
        _unreachable(engine, exc)
    try:
        if engine == "mysql":
            yield base.rsplit("/", 1)[0] + "/" + name
        else:
            yield f"{base}{'&' if '?' in base else '?'}schema={name}"
    finally:
        if engine == "mysql":
            _sa_exec(base, f"DROP DATABASE IF EXISTS `{name}`")
        else:
            _sa_exec(base, f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def _engine_params(engines: list[str]) -> list:
    return [
        pytest.param(e, id=e, marks=[pytest.mark.db] if e in SERVER_ENGINES else []) for e in engines
    ]


@pytest.fixture(params=_engine_params(ENGINES))
def engine(request) -> str:
    """The engine name, once per engine (duckdb, mysql, postgres)."""
    return request.param


@pytest.fixture
def warehouse_url(engine: str, tmp_path) -> Iterator[str]:
    with isolated_url(engine, tmp_path) as url:
        yield url


@pytest.fixture
def warehouse(warehouse_url: str) -> Iterator[Warehouse]:
    """An isolated, empty warehouse, once per engine."""
    wh = connect(warehouse_url)
    try:
        yield wh
    finally:
        wh.close()


@pytest.fixture(params=_engine_params(SERVER_ENGINES))
def server_engine(request) -> str:
    return request.param


@pytest.fixture
def server_warehouse_url(server_engine: str, tmp_path) -> Iterator[str]:
    with isolated_url(server_engine, tmp_path) as url:
        yield url


#: the brokers of the delivery and stream tests, by a word in the names of the fixtures that connect to them
BROKERS = {"rabbitmq": "rabbit", "redis": "redis", "nats": "nats"}


def pytest_fixture_setup(fixturedef, request):
    """A test that sets up a broker's fixture (which connects to it) carries the broker's name in its report,
    for the summary below (``request.getfixturevalue`` included)."""
    for broker, word in BROKERS.items():
        if word in fixturedef.argname and ("broker", broker) not in request.node.user_properties:
            request.node.user_properties.append(("broker", broker))


def pytest_collection_modifyitems(config, items):
    """Spark tests share one session: keep them on one xdist worker (``--dist loadgroup``)."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        if item.get_closest_marker("spark"):
            item.add_marker(pytest.mark.xdist_group("spark"))


@pytest.fixture(scope="session")
def spark_session():
    """One local Spark JVM for every Spark test (each start costs 10-15 s); tests use ``spark`` below.

    ``local[2]``, no UI, 4 shuffle partitions, 2 GB driver memory, the Debian JDBC drivers on the class
    path. With CI=true a missing PySpark or Java fails the tests; elsewhere they skip, saying what to install.
    """
    from intentseg.errors import DriverMissing
    from intentseg.warehouse.spark import start_session

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    try:
        session = start_session(
            "local[2]",
            **{"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4", "spark.driver.memory": "2g"},
        )
    except DriverMissing as exc:
        if IN_CI:
            pytest.fail(f"CI=true requires Spark: {exc}")
        pytest.skip(str(exc))
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _drop_temp_views(session) -> None:
    for table in session.catalog.listTables():
        if table.isTemporary:
            session.catalog.dropTempView(table.name)


@pytest.fixture
def spark(spark_session):
    """A Spark session of this test alone: its own temp views and SQL settings, sharing the one JVM.

    ``newSession()`` keeps the settings the JVM was started with (UTC, shuffle partitions); views made by
    another test, in its own session or in the shared one (``spark://`` URLs reuse it), are never visible.
    """
    _drop_temp_views(spark_session)
    session = spark_session.newSession()
    yield session
    _drop_temp_views(session)
    _drop_temp_views(spark_session)
    session.catalog.clearCache()


def pytest_terminal_summary(terminalreporter):
    """Show which engines and brokers the suite really ran on (tests whose id names an engine, or that talk to a
    broker, by outcome)."""
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "call") != "call" and outcome != "skipped":
                continue
            nodeid = report.nodeid
            engine = next((e for e in ENGINES if f"[{e}" in nodeid or f"-{e}]" in nodeid or f"-{e}-" in nodeid), None)
            if engine is None and ("tests/spark/" in nodeid or "spark" in nodeid.split("::")[-1]):
                engine = "spark"
            if engine is None and "browser" in nodeid:
                engine = "chromium"
            brokers = [value for key, value in getattr(report, "user_properties", ()) if key == "broker"]
            for name in filter(None, [engine, *brokers]):
                counts.setdefault(name, {}).setdefault(outcome, 0)
                counts[name][outcome] += 1
    if counts:
        terminalreporter.section("engines")
        for engine in [*ENGINES, "spark", "chromium", *BROKERS]:
            if engine in counts:
                parts = ", ".join(f"{n} {o}" for o, n in sorted(counts[engine].items()))
                terminalreporter.write_line(f"{engine:>9}: {parts}")
