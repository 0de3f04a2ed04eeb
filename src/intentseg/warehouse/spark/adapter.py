"""``SparkWarehouse``: Spark SQL over temp views of the sources, results kept by one store."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from ...errors import TableNotFound, WarehouseQueryError, WarehouseUnavailable
from ..base import Tracer, Warehouse, event_files, logical_type, redact_url
from ..dialects import SQLGLOT_DIALECTS
from . import dml
from .session import start_session
from .store import FolderStore, JdbcStore, MemoryStore
from .urls import check_jdbc_jar, check_options, jdbc_options, parse_url

_NOT_FOUND_HINT = "Pass ?events=DIR or ?jdbc=URL in the spark:// URL, or map table names in intentseg.toml."


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
        master, parsed = parse_url(url)
        given = check_options({k: str(v) for k, v in options.items() if v is not None}, "SparkWarehouse options")
        opts = {**parsed, **given}
        self.spark = session if session is not None else start_session(master)
        self.spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
        self._views: set[str] = set()  # temp views this adapter registered (sources and tables)
        #: the JDBC database the sources are read from (and, without ``output``, the store)
        self.database: JdbcStore | None = None
        if opts.get("jdbc"):
            from .. import connect

            check_jdbc_jar(opts["jdbc"])
            self.database = JdbcStore(self, connect(opts["jdbc"]), jdbc_options(opts["jdbc"]))
        self.output = Path(opts["output"]).resolve() if opts.get("output") else None
        self.store: MemoryStore = (FolderStore(self, self.output) if self.output is not None
                                   else self.database or MemoryStore(self))
        if opts.get("events"):
            self.register_events(opts["events"])

    @classmethod
    def from_session(cls, spark: Any, *, tracer: Tracer | None = None, **options: Any) -> SparkWarehouse:
        """Wrap a SparkSession the caller already has; ``options`` as in the URL (events, jdbc, output)."""
        return cls("spark://session", tracer, session=spark, **options)

    @property
    def display_url(self) -> str:
        return redact_url(self.url)

    # -- errors ----------------------------------------------------------------------------------
    @contextmanager
    def _errors(self) -> Iterator[None]:
        from pyspark.errors import AnalysisException

        try:
            yield
        except AnalysisException as exc:
            text = str(exc).strip().splitlines()[0]
            cls = TableNotFound if "TABLE_OR_VIEW_NOT_FOUND" in str(exc) else WarehouseQueryError
            raise cls(f"Spark: {text}", hint="Check the table and column names; `intentseg sql features --dialect spark` prints what runs.") from exc
        except Exception as exc:
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
        """Spark SQL, except statements on intentseg's tables, which are carried out on the store (:mod:`.dml`)."""
        dml.execute(self, sql, params)

    def spark_frame(self, table_or_sql: str, params: dict[str, Any] | None = None) -> Any:
        """A Spark DataFrame of a table (a name) or of a query (text starting with SELECT or WITH)."""
        if re.match(r"\s*(\(|select\b|with\b)", table_or_sql, re.IGNORECASE):
            return self._sql(table_or_sql, params)
        if not self._resolve(table_or_sql):
            raise TableNotFound(f"Spark: table {table_or_sql!r} not found.", hint=_NOT_FOUND_HINT)
        with self._errors():
            return self.spark.table(self.quote_table(table_or_sql))

    def table_exists(self, name: str) -> bool:
        return self._resolve(name)

    def tables(self) -> list[str]:
        with self._errors():
            names = {t.name for t in self.spark.catalog.listTables() if t.isTemporary or not t.namespace}
        return sorted(names | set(self.store.names()))

    def columns(self, name: str) -> list[str]:
        if not self._resolve(name):
            raise TableNotFound(f"Spark: table {name!r} not found.", hint=_NOT_FOUND_HINT)
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
                self._view(name, self.spark.read.option("mergeSchema", "true").parquet(*(str(f) for f in files)))
        return {name: name for name in found}

    def drop_table(self, name: str) -> None:
        self._forget(name)
        self.store.drop(name)

    def create_table(self, name: str, columns: dict[str, str], *, if_not_exists: bool = False) -> None:
        if if_not_exists and self._resolve(name):
            return
        self.store.create(name, columns)

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
        if mode == "replace":
            with self.staging(name) as staging:
                self.store.write(staging, table, schema)
        else:
            self.store.write(name, table, schema)
        return table.num_rows

    def _schema(self, columns: dict[str, str]) -> str:
        return ", ".join(f"{self.quote(c)} {self.ddl_type(t)}" for c, t in columns.items())

    def swap_in(self, staging: str, target: str) -> None:
        """Make ``staging`` the new ``target`` atomically: a link rename, a RENAME TABLE, or a view swap."""
        self.store.swap_in(staging, target)

    def run_lock(self, name: str, *, wait_s: float = 0) -> AbstractContextManager[None]:
        """Where the results go decides the lock: ``flock`` on ``<output>.<name>.lock`` beside the output folder,
        the JDBC database's own lock, or (results only in this session) a lock in this process."""
        lock = self.store.lock(name, wait_s)
        return lock if lock is not None else super().run_lock(name, wait_s=wait_s)

    def close(self) -> None:
        for name in list(self._views):
            self._forget(name)
        if self.database is not None:
            self.database.close()

    # -- views over the sources and the store ----------------------------------------------------
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

    def _resolve(self, name: str) -> bool:
        """Whether ``name`` is a table; registers a view over a stored or JDBC table not seen yet in this session."""
        if name in self._views or self.spark.catalog.tableExists(name):
            return True
        for place in dict.fromkeys((self.store, self.database)):  # the database once when it is the store
            df = place.find(name) if place is not None else None
            if df is not None:
                self._view(name, df)
                return True
        return False

    def _append(self, name: str, df: Any) -> None:
        """Add ``df``'s rows to table ``name``, cast to its column types (missing columns NULL)."""
        from pyspark.sql import functions as F

        if not self._resolve(name):
            raise TableNotFound(f"Spark: table {name!r} not found.", hint="Create it first (write_table mode='create').")
        with self._errors():
            current = self.spark.table(self.quote(name))
            df = df.select(*(df[c].cast(current.schema[c].dataType) if c in df.columns else
                             F.lit(None).cast(current.schema[c].dataType).alias(c) for c in current.columns))
        self.store.append(name, current, df)
