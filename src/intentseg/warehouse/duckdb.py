"""Embedded DuckDB: the default warehouse (a file, or in memory)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import duckdb
import pandas as pd
import pyarrow as pa

from ..errors import InputError, TableNotFound, WarehouseQueryError, WarehouseUnavailable
from .base import Tracer, Warehouse, event_files
from .dialects import SQLGLOT_DIALECTS


class DuckDBWarehouse(Warehouse):
    dialect = "duckdb"
    sqlglot_dialect = SQLGLOT_DIALECTS["duckdb"]
    paramstyle = "dollar"
    engine = "duckdb"
    uses_indexes = False
    type_map = {
        "bigint": "BIGINT",
        "double": "DOUBLE",
        "text": "VARCHAR",
        "key": "VARCHAR",
        "timestamp": "TIMESTAMP",
        "bool": "BOOLEAN",
        "json": "VARCHAR",
    }
    # Two connections inserting the same new key: the second statement or commit fails (DuckDB does not
    # wait for the first), and a retry skips the key.
    transient_errors = ("write-write conflict", "failed to commit", "conflict on tuple", "violates unique constraint")
    insert_skip_sql = "INSERT OR IGNORE INTO {table} ({cols}) SELECT {cols} FROM {staging}"

    def __init__(self, url: str, tracer: Tracer | None = None) -> None:
        super().__init__(url, tracer)
        parts = urlsplit(url)
        path = (parts.netloc + parts.path).lstrip("/") if parts.path not in ("", "/") else ""
        if url.startswith("duckdb:////"):
            path = "/" + path  # absolute path: duckdb:////abs/file.duckdb
        self.path = path if path and path != ":memory:" else ":memory:"
        config = dict(parse_qsl(parts.query))
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self.con = _open(self.path, config)
        except OSError as exc:  # the folder cannot be made: a file in the way, no permission, read-only
            raise WarehouseUnavailable(
                f"Cannot create the folder of DuckDB file {self.path}: {exc.strerror or exc}.",
                hint="Point --warehouse at a file in a folder you can write (e.g. duckdb:///intentseg.duckdb).",
            ) from exc
        except duckdb.IOException as exc:
            raise WarehouseUnavailable(
                f"Cannot open DuckDB file {self.path}: {exc}",
                hint="Check that its folder exists and is writable; another process may also hold the file open "
                     "(DuckDB allows one writer): close it or use another file.",
            ) from exc
        except duckdb.Error as exc:
            raise WarehouseUnavailable(
                f"Cannot open DuckDB {self.path}: {exc}",
                hint="Check the URL options (e.g. duckdb:///file.duckdb?memory_limit=4GB&threads=2).",
            ) from exc
        self.con.execute("SET enable_progress_bar = false")  # intentseg shows its own progress
        self._tx_depth = 0

    @classmethod
    def from_connection(cls, con: duckdb.DuckDBPyConnection, tracer: Tracer | None = None) -> "DuckDBWarehouse":
        """Wrap a DuckDB connection the caller already has (a notebook's, say)."""
        self = cls.__new__(cls)
        Warehouse.__init__(self, "duckdb:///:connection:", tracer)
        self.path, self.con, self._tx_depth = ":connection:", con, 0
        return self

    def _run(self, sql: str, params: dict[str, Any] | None) -> duckdb.DuckDBPyConnection:
        self._trace(sql, params)
        try:
            text, bound = self._bind(sql, params)
            return self.con.execute(text, bound or None)
        except duckdb.CatalogException as exc:
            msg = str(exc).splitlines()[0]
            if "does not exist" in msg and ("Table" in msg or "table" in msg):
                raise TableNotFound(f"DuckDB: {msg}", hint=_missing_table_hint()) from exc
            raise WarehouseQueryError(f"DuckDB: {msg}", hint="Check the table and column names.") from exc
        except duckdb.Error as exc:
            raise WarehouseQueryError(
                f"DuckDB: {str(exc).splitlines()[0]}",
                hint="Run with --debug to see the SQL; `intentseg sql features` prints what runs.",
            ) from exc

    def query(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        return self._run(sql, params).df()

    def query_arrow(self, sql: str, params: dict[str, Any] | None = None) -> pa.Table:
        return self._run(sql, params).to_arrow_table()

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> None:
        self._run(sql, params)

    def table_exists(self, name: str) -> bool:
        if "." in name:  # schema.table (e.g. a preset's table_schema): look in that schema
            schema, table = name.rsplit(".", 1)
            row = self.con.execute(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, table]
            ).fetchone()
            return bool(row and row[0])
        return name in self.tables()

    def tables(self) -> list[str]:
        rows = self.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
            "ORDER BY table_name"
        ).fetchall()
        return [r[0] for r in rows]

    def columns(self, name: str) -> list[str]:
        schema, _, table = name.rpartition(".")  # schema.table, or a table of the current schema
        rows = self.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = COALESCE(?, current_schema()) "
            "AND table_name = ? ORDER BY ordinal_position",
            [schema or None, table],
        ).fetchall()
        if not rows:
            raise TableNotFound(f"DuckDB: table {name!r} not found in {self.path}.", hint=_missing_table_hint())
        return [r[0] for r in rows]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._tx_depth:
            self._tx_depth += 1
            try:
                yield
            finally:
                self._tx_depth -= 1
            return
        self.con.begin()
        self._tx_depth = 1
        try:
            yield
        except BaseException:
            self.con.rollback()
            raise
        else:
            try:
                self.con.commit()
            except duckdb.Error as exc:  # e.g. another connection committed the same key first
                raise WarehouseQueryError(
                    f"DuckDB: {str(exc).splitlines()[0]}",
                    hint="Another writer changed the same rows at the same time; run the command again.",
                ) from exc
        finally:
            self._tx_depth = 0

    def _execute_rowcount(self, sql: str) -> int:
        row = self._run(sql, None).fetchone()
        return int(row[0]) if row else 0

    def _insert(self, name: str, data: pa.Table) -> None:
        view = f"_intentseg_in_{id(data)}"
        self.con.register(view, data)
        try:
            cols = ", ".join(self.quote(c) for c in data.column_names)
            self.execute(f"INSERT INTO {self.quote_table(name)} ({cols}) SELECT {cols} FROM {self.quote(view)}")
        finally:
            self.con.unregister(view)

    def register_events(self, path: str | Path) -> dict[str, str]:
        """Temporary views over the folder's Parquet files: nothing is copied, nothing outlives the connection."""
        found = event_files(path)
        for name, files in found.items():
            shadowed = self.con.execute(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() "
                "AND table_catalog <> 'temp' AND table_name = ?", [name],
            ).fetchall()
            if shadowed:
                raise InputError(
                    f"DuckDB {self.path} already holds a table {name!r}; --events would hide it.",
                    hint="Run --events against a new DuckDB file, or drop the ingested tables.",
                )
            # The paths are values: a relation binds them and becomes a temporary view (DuckDB cannot
            # prepare CREATE VIEW with parameters, and no path is pasted into SQL text).
            paths = [str(f) for f in files]
            self._trace(f"CREATE OR REPLACE TEMP VIEW {self.quote(name)} AS "
                        "SELECT * FROM read_parquet(:paths, union_by_name = true)", {"paths": paths})
            try:
                self.con.register(name, self.con.read_parquet(paths, union_by_name=True))
            except duckdb.Error as exc:
                raise InputError(
                    f"DuckDB cannot read the Parquet files of {name} in {path}: {str(exc).splitlines()[0]}",
                    hint="Check the files are Parquet (e.g. `intentseg generate --format parquet`).",
                ) from exc
        return {name: name for name in found}

    def run_lock(self, name: str, *, wait_s: float = 0) -> AbstractContextManager[None]:
        """``flock`` on ``<file>.<name>.lock`` beside the DuckDB file (DuckDB's own file lock only keeps other
        processes out, not a second run or an ``assign`` in this one); in memory, a lock in this process."""
        from .locks import file_lock, local_lock, lock_path

        if self.path in (":memory:", ":connection:"):
            return local_lock(f"duckdb:{id(self.con)}:{name}", f"DuckDB {self.path}", wait_s=wait_s)
        return file_lock(lock_path(self.path, name), f"DuckDB file {self.path}", wait_s=wait_s)

    def close(self) -> None:
        if self.path != ":connection:":
            self.con.close()


def _open(path: str, config: dict[str, str]) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file; when another process holds it because an intentseg run is writing to it (its
    lock file beside it is held), raise RunInProgress instead of a bare "could not set lock"."""
    from .locks import held_locks, in_progress

    deadline = time.monotonic() + _OPEN_RETRY_S
    while True:
        try:
            return duckdb.connect(path, config=config)
        except duckdb.IOException as exc:
            if path == ":memory:" or "lock" not in str(exc).lower():
                raise
            if held_locks(path):
                raise in_progress(f"DuckDB file {path}") from None
            if time.monotonic() >= deadline:  # held by a process that is not an intentseg run
                raise
            time.sleep(0.1)  # the holder may be a run about to take its lock: look again


#: how long opening a locked DuckDB file waits to learn whether a run holds it
_OPEN_RETRY_S = 2.0


def _missing_table_hint() -> str:
    return "Load events first with `intentseg ingest FILES --warehouse URL`, or map table names in intentseg.toml."
