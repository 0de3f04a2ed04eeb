"""Where a Spark warehouse keeps the tables it writes: memory, Parquet folders, or a JDBC database.

Each store replaces a table atomically for readers (``replace``), swaps a staging table in
(``swap_in``), appends, drops, lists its tables and finds one the session has no view of yet. The adapter
(:mod:`.adapter`) chooses one store, once, from the URL.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from sqlglot import exp

from ..base import Warehouse
from ..locks import file_lock, lock_path

if TYPE_CHECKING:
    from .adapter import SparkWarehouse


#: Spark type name -> the logical type a JDBC table's column gets (``Warehouse.write_table``'s types).
_LOGICAL = {
    "long": "bigint", "integer": "bigint", "short": "bigint", "byte": "bigint",
    "double": "double", "float": "double", "decimal": "double", "string": "text", "boolean": "bool",
    "timestamp": "timestamp", "timestamp_ntz": "timestamp", "date": "timestamp",
}


class MemoryStore:
    """Temporary views of materialised DataFrames, gone when the session stops (notebooks, tests)."""

    def __init__(self, wh: SparkWarehouse) -> None:
        self.wh = wh

    def names(self) -> list[str]:
        """Tables kept by the store that the session may not have a view of."""
        return []

    def find(self, name: str) -> Any | None:
        """A DataFrame of the stored table ``name``, or None when the store has no such table."""
        return None

    def materialise(self, df: Any) -> Any:
        """``df`` computed now: a view over it must not re-read the table it replaces."""
        with self.wh._errors():
            return df.localCheckpoint()

    def replace(self, name: str, df: Any) -> None:
        """Make ``df`` the rows of table ``name``, atomically for readers."""
        self.wh._view(name, self.materialise(df))

    def write(self, name: str, table: pa.Table, schema: dict[str, str]) -> None:
        """``table`` as table ``name`` in one write, each column cast to its logical type."""
        wh = self.wh
        with wh._errors():
            df = wh._frame(table) if table.num_rows else wh.spark.createDataFrame([], wh._schema(schema))
            df = df.select(*(df[c].cast(wh.ddl_type(t)).alias(c) for c, t in schema.items()))
        self.replace(name, df)

    def create(self, name: str, columns: dict[str, str]) -> None:
        with self.wh._errors():
            empty = self.wh.spark.createDataFrame([], self.wh._schema(columns))
        self.replace(name, empty)

    def append(self, name: str, current: Any, rows: Any) -> None:
        """Add ``rows`` (already in the columns and types of ``current``, the table's rows) to ``name``."""
        with self.wh._errors():
            combined = current.unionByName(rows)
        self.replace(name, combined)

    def swap_in(self, staging: str, target: str) -> None:
        with self.wh._errors():
            self.wh._view(target, self.wh.spark.table(self.wh.quote(staging)))
        self.wh._forget(staging)

    def drop(self, name: str) -> None:
        """Nothing beyond the view, which the adapter drops."""

    def lock(self, name: str, wait_s: float) -> AbstractContextManager[None] | None:
        """The store's run lock, or None for a lock in this process."""
        return None

    def run_dml(self, stmt: exp.Update | exp.Delete, params: dict[str, Any] | None) -> bool:
        """Run UPDATE/DELETE where the rows live, if that is not Spark; False: Spark rewrites the table."""
        return False

    def close(self) -> None:
        """Nothing to release."""


class FolderStore(MemoryStore):
    """One Parquet folder per table: ``<output>/<name>`` is a symbolic link to a complete version folder
    ``<output>/.versions/<name>/<id>/``; a replace writes a new version, then renames a fresh link over the
    old one (atomic on POSIX). A replaced version is kept for ``retired_grace_s`` after it stops being
    current (and the previous one always), so a reader still reading its files is not cut off."""

    #: how long a replaced version stays on disk for readers that listed its files before the swap
    retired_grace_s: float = 300.0

    def __init__(self, wh: SparkWarehouse, output: Path) -> None:
        super().__init__(wh)
        self.output = output

    def names(self) -> list[str]:
        if not self.output.is_dir():
            return []
        return [p.name for p in self.output.iterdir() if not p.name.startswith(".") and p.is_dir()]

    def find(self, name: str) -> Any | None:
        return self._read((self.output / name).resolve()) if (self.output / name).is_dir() else None

    def materialise(self, df: Any) -> Any:
        return df  # the rows are written to a new version folder before the link moves

    def replace(self, name: str, df: Any) -> None:
        version = self.output / ".versions" / name / uuid.uuid4().hex[:12]
        with self.wh._errors():
            df.write.parquet(str(version))
        self._point(name, version)

    def swap_in(self, staging: str, target: str) -> None:
        # the staging version (read by no one) moves under the target's versions, then the link swaps
        version = self.output / ".versions" / target / (self.output / staging).resolve().name
        version.parent.mkdir(parents=True, exist_ok=True)
        os.rename((self.output / staging).resolve(), version)
        (self.output / staging).unlink()
        shutil.rmtree(self.output / ".versions" / staging, ignore_errors=True)
        self._point(target, version)
        self.wh._forget(staging)

    def drop(self, name: str) -> None:
        link = self.output / name
        if link.is_symlink():
            link.unlink()
            shutil.rmtree(self.output / ".versions" / name, ignore_errors=True)
        elif link.is_dir():
            shutil.rmtree(link)

    def lock(self, name: str, wait_s: float) -> AbstractContextManager[None] | None:
        return file_lock(lock_path(self.output, name), f"Spark output folder {self.output}", wait_s=wait_s)

    def _point(self, name: str, version: Path) -> None:
        """Make ``version`` the table ``name``: the link, the session's view, and the older versions pruned."""
        old = (self.output / name).resolve() if (self.output / name).is_symlink() else None
        tmp = self.output / f".{name}.{uuid.uuid4().hex[:8]}.link"
        os.symlink(version, tmp, target_is_directory=True)
        os.replace(tmp, self.output / name)  # one atomic rename of a fresh link
        self.wh._view(name, self._read(version))
        if old is not None:
            os.utime(old)  # its mtime now says when it was retired
            retired_before = time.time() - self.retired_grace_s
            for folder in (self.output / ".versions" / name).glob("*"):
                if folder not in (version, old) and folder.stat().st_mtime < retired_before:
                    shutil.rmtree(folder, ignore_errors=True)

    def _read(self, folder: Path) -> Any:
        with self.wh._errors():
            return self.wh.spark.read.parquet(str(folder))


class JdbcStore(MemoryStore):
    """Tables in a MySQL/MariaDB or PostgreSQL database: DDL and the atomic swap by its SQLAlchemy adapter
    (``db``), rows by Spark's JDBC writer in one partition (one transaction). Table names are quoted the
    database's way (backticks on MariaDB, double quotes on PostgreSQL), never Spark's."""

    def __init__(self, wh: SparkWarehouse, db: Warehouse, options: dict[str, str]) -> None:
        super().__init__(wh)
        self.db = db
        self.options = options

    def names(self) -> list[str]:
        return self.db.tables()

    def find(self, name: str) -> Any | None:
        return self.read(name) if self.db.table_exists(name) else None

    def read(self, name: str) -> Any:
        """A Spark DataFrame over the database table ``name`` (read when an action runs)."""
        with self.wh._errors():
            return self.wh.spark.read.format("jdbc").options(**self.options, dbtable=self.db.quote_table(name)).load()

    def replace(self, name: str, df: Any) -> None:
        """The rows into a staging table made with the database's own DDL (Spark's JDBC writer would pick
        its own types: ``TIMESTAMP WITH TIME ZONE`` on PostgreSQL), then swapped in."""
        columns = {f.name: _LOGICAL.get(f.dataType.typeName(), "text") for f in df.schema.fields}
        with self.wh._errors():
            df = df.select(*(df[c].cast(self.wh.ddl_type(t)).alias(c) for c, t in columns.items()))
        with self.wh.staging(name, columns=columns) as staging:  # the adapter's: views follow the swap
            self._write(df, staging, "append")

    def write(self, name: str, table: pa.Table, schema: dict[str, str]) -> None:
        self.create(name, schema)  # the database's DDL types, then the rows over JDBC
        if table.num_rows:
            self.wh._insert(name, table)

    def create(self, name: str, columns: dict[str, str]) -> None:
        self.db.create_table(name, columns)
        self.wh._view(name, self.read(name))

    def append(self, name: str, current: Any, rows: Any) -> None:
        self._write(rows, name, "append")

    def swap_in(self, staging: str, target: str) -> None:
        self.db.swap_in(staging, target)
        self.wh._view(target, self.read(target))
        self.wh._forget(staging)

    def drop(self, name: str) -> None:
        self.db.drop_table(name)

    def lock(self, name: str, wait_s: float) -> AbstractContextManager[None] | None:
        return self.db.run_lock(name, wait_s=wait_s)

    def run_dml(self, stmt: exp.Update | exp.Delete, params: dict[str, Any] | None) -> bool:
        self.db.execute(stmt.sql(self.db.sqlglot_dialect), params)  # the rows are there: run it in its dialect
        return True

    def close(self) -> None:
        self.db.close()

    def _write(self, df: Any, table: str, mode: str) -> None:
        """Spark's JDBC writer, in one partition: it commits each partition in its own transaction.

        Timestamps go as TIMESTAMP_NTZ: their wall-clock value (naive UTC, as intentseg stores them), with
        no conversion through the JVM's time zone.
        """
        with self.wh._errors():
            df = df.select(*(df[f.name].cast("timestamp_ntz").alias(f.name) if f.dataType.typeName() == "timestamp"
                             else df[f.name] for f in df.schema.fields))
            df.coalesce(1).write.jdbc(self.options["url"], self.db.quote_table(table), mode=mode,
                                      properties=self.options)
