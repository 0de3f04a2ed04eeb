"""Apache Spark: the same feature SQL, transpiled to Spark SQL, for more events than one machine holds.

    spark://local[*]                                  a local session on every core (``local[2]``: two)
    spark://host:7077                                 a standalone cluster's master
    ?events=/data/events                              sources from Parquet: ``<dir>/<source>*.parquet``
                                                      or ``<dir>/<source>*/`` (see ``register_events``)
    ?jdbc=mysql+pymysql://user:pw@host:3306/shop      sources read over JDBC (MySQL/MariaDB, PostgreSQL)
    ?output=/data/intentseg                           where written tables go, as Parquet folders
    ?mllib_above=1000000                              users above which ``fit_segmenter`` uses MLlib

Values in the query string are percent-decoded (``+`` stays ``+``). ``SparkWarehouse.from_session``
wraps a session the caller already has.

Where written tables live (results, ``query_intents``, staging tables) is the *store*, chosen once:

* ``output`` given: one Parquet folder per table. ``<output>/<name>`` is a symbolic link to a complete
  version folder ``<output>/.versions/<name>/<id>/``; a replace writes a new version, then swaps the link
  with one atomic ``rename`` (POSIX), so a reader of the folder or of the table's view sees the old rows
  or the new ones, never a mix. The previous version is kept for readers still listing its files.
* else ``jdbc`` given: tables in that database. DDL and the atomic swap go through the SQLAlchemy
  adapter (``intentseg.warehouse.connect(jdbc)``); rows go in with Spark's JDBC writer.
* else: temporary views of materialised DataFrames, gone when the session stops (notebooks, tests).

Spark has no multi-statement transactions: ``transaction()`` only groups statements, and each table
replace is atomic on its own (``transactional_ddl = False``). INSERT, UPDATE and DELETE on store tables
are run copy-on-write (the new rows are computed in Spark, then the table is replaced).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import pandas as pd
import pyarrow as pa
import sqlglot
from sqlglot import exp

from ..errors import DriverMissing, InputError, TableNotFound, WarehouseQueryError, WarehouseUnavailable
from .base import Tracer, Warehouse, event_files, logical_type, redact_url
from .dialects import SQLGLOT_DIALECTS

if TYPE_CHECKING:
    from ..model.segmenter import Segmenter

#: Above this many users ``fit_segmenter`` fits with MLlib (override: ``?mllib_above=``).
MLLIB_ABOVE = 1_000_000

#: JDBC driver per SQLAlchemy scheme: (JDBC URL scheme, driver class, Debian package, jar).
#: With the MariaDB driver the URL must say ``jdbc:mysql:``: ``jdbc:mariadb:`` makes Spark pick its
#: generic dialect, which quotes identifiers with ``"`` and fails on MariaDB.
_JDBC = {
    "mysql": ("mysql", "org.mariadb.jdbc.Driver", "libmariadb-java", "/usr/share/java/mariadb-java-client.jar", 3306),
    "mariadb": ("mysql", "org.mariadb.jdbc.Driver", "libmariadb-java", "/usr/share/java/mariadb-java-client.jar", 3306),
    "postgresql": ("postgresql", "org.postgresql.Driver", "libpostgresql-jdbc-java", "/usr/share/java/postgresql.jar", 5432),
    "postgres": ("postgresql", "org.postgresql.Driver", "libpostgresql-jdbc-java", "/usr/share/java/postgresql.jar", 5432),
}
_OPTIONS = ("events", "jdbc", "output", "mllib_above")


def _parse_url(url: str) -> tuple[str, dict[str, str]]:
    """``spark://MASTER?k=v&...`` -> (master, options); urlsplit is not used: ``local[2]`` is no host."""
    rest = url.split("://", 1)[1]
    where, _, query = rest.partition("?")
    options: dict[str, str] = {}
    for pair in filter(None, query.split("&")):
        key, _, value = pair.partition("=")
        if key not in _OPTIONS:
            raise InputError(f"Unknown Spark URL option {key!r} in {redact_url(url)}.",
                             hint=f"Use {', '.join(_OPTIONS)}, e.g. spark://local[*]?events=/data/events.")
        options[key] = unquote(value)
    master = where.strip("/") or "local[*]"
    if not master.startswith("local") and master != "session":
        master = f"spark://{master}"
    return master, options


def jdbc_options(sqlalchemy_url: str) -> dict[str, str]:
    """Spark JDBC options (url, driver, user, password) for a SQLAlchemy URL of MySQL/MariaDB or PostgreSQL."""
    parts = urlsplit(sqlalchemy_url)
    scheme = parts.scheme.split("+", 1)[0].lower()
    if scheme not in _JDBC:
        raise InputError(f"Spark cannot read {redact_url(sqlalchemy_url)} over JDBC.",
                         hint="Use jdbc=mysql+pymysql://user@host:3306/db or jdbc=postgresql+psycopg://user@host:5432/db.")
    jdbc_scheme, driver, _package, _jar, port = _JDBC[scheme]
    url = f"jdbc:{jdbc_scheme}://{parts.hostname or '127.0.0.1'}:{parts.port or port}{parts.path}"
    query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    if jdbc_scheme == "postgresql" and "schema" in query:
        url += f"?currentSchema={query['schema']}"
    options = {"url": url, "driver": driver, "user": unquote(parts.username or "")}
    if parts.password is not None:
        options["password"] = unquote(parts.password)
    return options


def _import_pyspark() -> Any:
    try:
        import pyspark.sql
    except ImportError as exc:
        raise DriverMissing("PySpark is not installed.", hint='pip install "intentseg[spark]"') from exc
    return pyspark.sql


def _check_java() -> None:
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (java_home and Path(java_home, "bin", "java").exists()):
        raise DriverMissing("Spark needs Java, and no `java` is on the PATH (nor JAVA_HOME set).",
                            hint="install Java 17: apt-get install openjdk-17-jre-headless")


def start_session(master: str = "local[*]", **conf: str) -> Any:
    """A Spark session set up the way intentseg needs it: UTC, Arrow, the Debian JDBC drivers on the classpath."""
    sql = _import_pyspark()
    _check_java()
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    jars = sorted({j[3] for j in _JDBC.values() if Path(j[3]).exists()})
    builder = sql.SparkSession.builder.master(master).appName("intentseg")
    settings = {
        "spark.sql.session.timeZone": "UTC",
        "spark.jars": ",".join(jars),
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


class SparkWarehouse(Warehouse):
    """Spark SQL over temp views of the sources; results in Parquet folders, a JDBC database or memory."""

    dialect = "spark"
    sqlglot_dialect = SQLGLOT_DIALECTS["spark"]
    engine = "spark"
    quote_char = "`"
    transactional_ddl = False
    uses_indexes = False
    fits_in_engine = True
    type_map = {
        "bigint": "BIGINT", "double": "DOUBLE", "text": "STRING", "key": "STRING",
        "timestamp": "TIMESTAMP", "bool": "BOOLEAN", "json": "STRING",
    }

    def __init__(self, url: str, tracer: Tracer | None = None, *, session: Any = None, **options: Any) -> None:
        super().__init__(url, tracer)
        master, parsed = _parse_url(url)
        opts = {**parsed, **{k: v for k, v in options.items() if v is not None}}
        unknown = set(opts) - set(_OPTIONS)
        if unknown:
            raise InputError(f"Unknown Spark option(s) {sorted(unknown)}.", hint=f"Use {', '.join(_OPTIONS)}.")
        self.spark = session if session is not None else start_session(master)
        self.spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
        self.mllib_above = int(opts.get("mllib_above", MLLIB_ABOVE))
        self.jdbc: dict[str, str] | None = None
        self.db: Warehouse | None = None  # the SQLAlchemy adapter of the JDBC database
        if opts.get("jdbc"):
            from . import connect

            self.jdbc = jdbc_options(str(opts["jdbc"]))
            self._check_jdbc_jar(str(opts["jdbc"]))
            self.db = connect(str(opts["jdbc"]))
        self.output = Path(str(opts["output"])).resolve() if opts.get("output") else None
        self._views: set[str] = set()  # temp views this adapter registered (sources and tables)
        if opts.get("events"):
            self.register_events(str(opts["events"]))

    @classmethod
    def from_session(cls, spark: Any, *, tracer: Tracer | None = None, **options: Any) -> "SparkWarehouse":
        """Wrap a SparkSession the caller already has; ``options`` as in the URL (events, jdbc, output, mllib_above)."""
        return cls("spark://session", tracer, session=spark, **options)

    @property
    def display_url(self) -> str:
        return redact_url(self.url)

    def _check_jdbc_jar(self, url: str) -> None:
        scheme = url.split("://", 1)[0].split("+", 1)[0].lower()
        _s, _d, package, jar, _p = _JDBC[scheme]
        if not Path(jar).exists():
            raise DriverMissing(f"The JDBC driver {jar} is missing (Spark cannot download jars here).",
                                hint=f"apt-get install {package}")

    # -- errors ----------------------------------------------------------------------------------
    @contextmanager
    def _errors(self) -> Iterator[None]:
        from pyspark.errors import AnalysisException, PySparkException

        try:
            yield
        except AnalysisException as exc:
            text = str(exc).strip().splitlines()[0]
            cls = TableNotFound if "TABLE_OR_VIEW_NOT_FOUND" in str(exc) else WarehouseQueryError
            raise cls(f"Spark: {text}", hint="Check the table and column names; `intentseg sql features --dialect spark` prints what runs.") from exc
        except (PySparkException, Exception) as exc:
            if exc.__class__.__module__.startswith("intentseg"):
                raise
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if "Communications link failure" in str(exc) or "Connection refused" in str(exc):
                raise WarehouseUnavailable(f"Spark JDBC: {text}", hint="Is the database server running? Check the jdbc= URL.") from exc
            raise WarehouseQueryError(f"Spark: {text}", hint="Run with --debug to see the SQL.") from exc

    def _sql(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        self._trace(sql, params)
        with self._errors():
            return self.spark.sql(sql, args=params or None)

    # -- the interface -------------------------------------------------------------------------
    def query(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        df = self._sql(sql, params)
        with self._errors():
            return df.toPandas()

    def query_arrow(self, sql: str, params: dict[str, Any] | None = None) -> pa.Table:
        df = self._sql(sql, params)
        with self._errors():
            return df.toArrow()

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> None:
        """Spark SQL, except statements on intentseg's tables, which are carried out on the store."""
        try:
            stmt = sqlglot.parse_one(sql, read="spark")
        except sqlglot.errors.ParseError:
            stmt = None
        if isinstance(stmt, exp.Create) and stmt.kind == "TABLE" and isinstance(stmt.expression, exp.Query):
            self._trace(sql, params)
            self._replace(stmt.this.name, self._sql(stmt.expression.sql("spark"), params))
        elif isinstance(stmt, exp.Drop) and stmt.kind == "TABLE":
            self._trace(sql, params)
            self.drop_table(stmt.this.name)
        elif isinstance(stmt, exp.Insert) and isinstance(stmt.this, (exp.Table, exp.Schema)):
            self._trace(sql, params)
            self._insert_select(stmt, params)
        elif isinstance(stmt, (exp.Update, exp.Delete)):
            self._trace(sql, params)
            self._rewrite(stmt, params)
        else:
            self._sql(sql, params).collect()

    def spark_frame(self, table_or_sql: str, params: dict[str, Any] | None = None) -> Any:
        """A Spark DataFrame of a table (a name) or of a query (text starting with SELECT or WITH)."""
        if re.match(r"\s*(\(|select\b|with\b)", table_or_sql, re.IGNORECASE):
            return self._sql(table_or_sql, params)
        if not self._resolve(table_or_sql):
            raise TableNotFound(f"Spark: table {table_or_sql!r} not found.",
                                hint="Pass ?events=DIR or ?jdbc=URL in the spark:// URL, or map table names in intentseg.toml.")
        with self._errors():
            return self.spark.table(self.quote_table(table_or_sql))

    def table_exists(self, name: str) -> bool:
        return self._resolve(name)

    def tables(self) -> list[str]:
        with self._errors():
            names = {t.name for t in self.spark.catalog.listTables() if t.isTemporary or not t.namespace}
        names |= set(self._store_names())
        return sorted(names)

    def columns(self, name: str) -> list[str]:
        if not self._resolve(name):
            raise TableNotFound(f"Spark: table {name!r} not found.",
                                hint="Pass ?events=DIR or ?jdbc=URL in the spark:// URL, or map table names in intentseg.toml.")
        with self._errors():
            return list(self.spark.table(self.quote(name)).columns)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Groups statements; Spark cannot roll them back (each table replace is atomic on its own)."""
        yield

    def _insert(self, name: str, data: pa.Table) -> None:
        self._append(name, self._frame(data))

    def register_events(self, path: str | Path) -> dict[str, str]:
        """Temp views ``clickstream``, ``search_queries``, ``article_views`` over a folder's Parquet files.

        Reads ``<dir>/<source>*.parquet`` and the Parquet files under ``<dir>/<source>*/`` (local paths);
        nothing is copied. Returns ``{source: view}`` for the sources found.
        """
        found = event_files(path)
        with self._errors():
            for name, files in found.items():
                df = self.spark.read.option("mergeSchema", "true").parquet(*(str(f) for f in files))
                self._view(name, df)
        return {name: name for name in found}

    def drop_table(self, name: str) -> None:
        if name in self._views:
            self.spark.catalog.dropTempView(name)
            self._views.discard(name)
        if self.output is not None:
            link = self.output / name
            if link.is_symlink():
                link.unlink()
                shutil.rmtree(self.output / ".versions" / name, ignore_errors=True)
            elif link.is_dir():
                shutil.rmtree(link)
        elif self.db is not None:
            self.db.drop_table(name)

    def create_table(self, name: str, columns: dict[str, str], *, if_not_exists: bool = False) -> None:
        if if_not_exists and self._resolve(name):
            return
        if self.db is not None and self.output is None:
            self.db.create_table(name, columns)  # the database's own DDL types
            self._view(name, self._jdbc_table(name))
            return
        with self._errors():
            empty = self.spark.createDataFrame([], self._schema(columns))
        self._replace(name, empty)

    def write_table(self, name: str, data: pd.DataFrame | pa.Table, *, mode: str = "replace",
                    types: dict[str, str] | None = None) -> int:
        """As :meth:`Warehouse.write_table`; "replace" writes a staging table and swaps it in."""
        table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
        schema = {f.name: (types or {}).get(f.name) or logical_type(f.type) for f in table.schema}
        if mode not in ("replace", "append", "create"):
            raise ValueError(f"mode must be replace, append or create, not {mode!r}")
        if mode == "append" and self._resolve(name):
            if table.num_rows:
                self._insert(name, table)
            return table.num_rows
        target = self.staging_name(name) if mode == "replace" else name
        if self.db is not None and self.output is None:
            self.create_table(target, schema)  # the database's DDL types, then rows over JDBC
            if table.num_rows:
                self._insert(target, table)
        else:  # one write: the rows, typed by their logical types
            with self._errors():
                df = self._frame(table) if table.num_rows else self.spark.createDataFrame([], self._schema(schema))
                df = df.select(*(df[c].cast(self.ddl_type(t)).alias(c) for c, t in schema.items()))
            self._replace(target, df)
        if mode == "replace":
            try:
                self.swap_in(target, name)
            except BaseException:
                self.drop_table(target)
                raise
        return table.num_rows

    def _schema(self, columns: dict[str, str]) -> str:
        return ", ".join(f"{self.quote(c)} {self.ddl_type(t)}" for c, t in columns.items())

    def swap_in(self, staging: str, target: str) -> None:
        """Make ``staging`` the new ``target`` atomically: a link rename, a RENAME TABLE, or a view swap."""
        if self.output is not None:
            # the staging version (read by no one) moves under the target's versions, then the link swaps
            version = self.output / ".versions" / target / (self.output / staging).resolve().name
            version.parent.mkdir(parents=True, exist_ok=True)
            os.rename((self.output / staging).resolve(), version)
            (self.output / staging).unlink()
            shutil.rmtree(self.output / ".versions" / staging, ignore_errors=True)
            old = (self.output / target).resolve() if (self.output / target).is_symlink() else None
            self._link(target, version)
            self._view(target, self._read_version(version))
            self._forget(staging)
            if old is not None:
                self._prune(target, keep={version, old})
        elif self.db is not None:
            self.db.swap_in(staging, target)
            self._view(target, self._jdbc_table(target))
            self._forget(staging)
        else:
            with self._errors():
                self._view(target, self.spark.table(self.quote(staging)))
            self._forget(staging)

    def run_lock(self, name: str, *, wait_s: float = 0) -> Any:
        """Where the results go decides the lock: ``flock`` on ``<output>.<name>.lock`` beside the output folder,
        the JDBC database's own lock, or (results only in this session) a lock in this process."""
        from .locks import file_lock, lock_path

        if self.output is not None:
            return file_lock(lock_path(self.output, name), f"Spark output folder {self.output}", wait_s=wait_s)
        if self.db is not None:
            return self.db.run_lock(name, wait_s=wait_s)
        return super().run_lock(name, wait_s=wait_s)

    def close(self) -> None:
        for name in list(self._views):
            self._forget(name)
        if self.db is not None:
            self.db.close()

    # -- MLlib -------------------------------------------------------------------------------------
    def fit_segmenter(self, features_table: str, make_segmenter: "Callable[[], Segmenter]",
                      previous: "Segmenter | None" = None) -> "Segmenter":
        """A fitted segmenter for the users of ``features_table``: MLlib's K-Means above ``mllib_above``
        users (see :mod:`intentseg.model.mllib`), else scikit-learn on the collected features."""
        with self._errors():
            features = self.spark.table(self.quote(features_table))
            n = features.count()
        if n > self.mllib_above:
            from ..model.mllib import fit_mllib

            return fit_mllib(features, make_segmenter(), previous=previous)
        from ..features.build import _typed

        frame = _typed(self.query(f"SELECT * FROM {self.quote(features_table)}").sort_values("user_id", kind="stable"))
        return make_segmenter().fit(frame, previous=previous)

    # -- the store -----------------------------------------------------------------------------
    def _view(self, name: str, df: Any) -> None:
        with self._errors():
            df.createOrReplaceTempView(name)
        self._views.add(name)

    def _forget(self, name: str) -> None:
        if name in self._views:
            self.spark.catalog.dropTempView(name)
            self._views.discard(name)

    def _frame(self, data: pa.Table) -> Any:
        with self._errors():
            return self.spark.createDataFrame(data)

    def _jdbc_table(self, name: str) -> Any:
        with self._errors():
            return self.spark.read.format("jdbc").options(**self.jdbc, dbtable=self.quote(name)).load()

    def _read_version(self, folder: Path) -> Any:
        with self._errors():
            return self.spark.read.parquet(str(folder))

    def _store_names(self) -> list[str]:
        if self.output is not None and self.output.is_dir():
            return [p.name for p in self.output.iterdir() if not p.name.startswith(".") and p.is_dir()]
        if self.db is not None:
            return self.db.tables()
        return []

    def _resolve(self, name: str) -> bool:
        """Whether ``name`` is a table; registers a view over a store table not seen yet in this session."""
        if name in self._views or self.spark.catalog.tableExists(name):
            return True
        if self.output is not None and (self.output / name).is_dir():
            self._view(name, self._read_version((self.output / name).resolve()))
            return True
        if self.db is not None and self.db.table_exists(name):
            self._view(name, self._jdbc_table(name))
            return True
        return False

    def _link(self, name: str, version: Path) -> None:
        """Point ``<output>/<name>`` at ``version`` with one atomic rename of a fresh link."""
        assert self.output is not None
        tmp = self.output / f".{name}.{uuid.uuid4().hex[:8]}.link"
        os.symlink(version, tmp, target_is_directory=True)
        os.replace(tmp, self.output / name)

    def _prune(self, name: str, keep: set[Path]) -> None:
        assert self.output is not None
        for folder in (self.output / ".versions" / name).glob("*"):
            if folder not in keep:
                shutil.rmtree(folder, ignore_errors=True)

    def _replace(self, name: str, df: Any) -> None:
        """Make ``df`` the rows of table ``name``, atomically for readers."""
        if self.output is not None:
            version = self.output / ".versions" / name / uuid.uuid4().hex[:12]
            with self._errors():
                df.write.parquet(str(version))
            old = (self.output / name).resolve() if (self.output / name).is_symlink() else None
            self._link(name, version)
            self._view(name, self._read_version(version))
            if old is not None:
                self._prune(name, keep={version, old})
        elif self.db is not None:
            staging = self.staging_name(name)
            with self._errors():
                df.coalesce(1).write.jdbc(self.jdbc["url"], self.quote(staging), mode="errorifexists",
                                          properties=self.jdbc)
            self.swap_in(staging, name)
        else:
            with self._errors():
                self._view(name, df.localCheckpoint())

    def _append(self, name: str, df: Any) -> None:
        if not self._resolve(name):
            raise TableNotFound(f"Spark: table {name!r} not found.", hint="Create it first (write_table mode='create').")
        with self._errors():
            current = self.spark.table(self.quote(name))
            df = df.select(*(df[c].cast(current.schema[c].dataType) if c in df.columns else
                             self._null(current.schema[c].dataType).alias(c) for c in current.columns))
            if self.db is not None and self.output is None:
                # one partition: Spark's JDBC writer commits each partition in its own transaction
                df.coalesce(1).write.jdbc(self.jdbc["url"], self.quote(name), mode="append", properties=self.jdbc)
                return
            combined = current.unionByName(df)
            if self.output is None:
                combined = combined.localCheckpoint()  # computed before the view is replaced
        self._replace(name, combined)

    @staticmethod
    def _null(data_type: Any) -> Any:
        from pyspark.sql import functions as F

        return F.lit(None).cast(data_type)

    def _insert_select(self, stmt: exp.Insert, params: dict[str, Any] | None) -> None:
        target = stmt.this
        columns = [c.name for c in target.expressions] if isinstance(target, exp.Schema) else None
        name = (target.this if isinstance(target, exp.Schema) else target).name
        source = stmt.expression
        if isinstance(source, exp.Values):
            source = exp.select(*source.expressions[0].expressions)
        df = self._sql(source.sql("spark"), params)
        with self._errors():
            if columns:
                df = df.toDF(*columns)
        self._append(name, df)

    def _rewrite(self, stmt: exp.Update | exp.Delete, params: dict[str, Any] | None) -> None:
        """UPDATE / DELETE copy-on-write: compute the table's new rows in Spark, then replace it."""
        name = stmt.this.name
        if self.db is not None and self.output is None:
            # the rows are in the database: run the statement there, in its dialect
            self.db.execute(stmt.sql(self.db.sqlglot_dialect), params)
            return
        if not self._resolve(name):
            raise TableNotFound(f"Spark: table {name!r} not found.", hint="Create it first.")
        where = stmt.args.get("where")
        cond = exp.func("COALESCE", where.this.copy(), exp.false()) if where is not None else exp.true()
        columns = list(self.spark.table(self.quote(name)).columns)
        if isinstance(stmt, exp.Delete):
            select = exp.select("*").from_(exp.to_table(self.quote(name), dialect="spark")).where(exp.not_(cond))
        else:
            sets = {e.this.name: e.expression for e in stmt.expressions}
            select = exp.select(*(
                exp.Case().when(cond.copy(), sets[c].copy()).else_(exp.column(c, quoted=True)).as_(c, quoted=True)
                if c in sets else exp.column(c, quoted=True) for c in columns
            )).from_(exp.to_table(self.quote(name), dialect="spark"))
        new = self._sql(select.sql("spark"), params)
        with self._errors():
            current = self.spark.table(self.quote(name))
            new = new.select(*(new[c].cast(current.schema[c].dataType).alias(c) for c in columns))
            if self.output is None:
                new = new.localCheckpoint()
        self._replace(name, new)
