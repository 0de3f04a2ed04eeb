"""Warehouse side of ingestion: the source tables, their quarantine tables, the ingest ledger, dedupe.

Events are deduplicated by ``event_id``: each batch goes to a staging table, ids already in the target
are quarantined as ``duplicate``, and the rest are inserted with ``NOT EXISTS`` against the target. A
file whose content hash is in the ledger for a source is not read again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import MissingColumnError
from ..schema import Source, SourceMapping
from ..warehouse import Warehouse

LEDGER_TABLE = "intentseg_ingest_ledger"
LEDGER_TYPES = {
    "file_hash": "key", "source": "key", "file": "text", "format": "text",
    "rows_read": "bigint", "accepted": "bigint", "quarantined": "bigint", "ingested_at": "timestamp",
}
QUARANTINE_TYPES = {
    "file": "text", "line": "bigint", "reason": "text", "column": "text", "raw": "json", "ingested_at": "timestamp",
}
_KIND_TYPES = {"timestamp": "timestamp", "text": "text", "seconds": "double"}


def quarantine_table(table: str) -> str:
    return f"{table}_quarantine"


def file_hash(path: Path) -> str:
    """SHA-256 of the file's bytes (the ledger's key, with the source)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def now_utc() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC").tz_localize(None).floor("us")


def already_loaded(wh: Warehouse, digest: str, source: str) -> bool:
    if not wh.table_exists(LEDGER_TABLE):
        return False
    q = wh.quote
    n = wh.scalar(
        f"SELECT COUNT(*) FROM {q(LEDGER_TABLE)} WHERE {q('file_hash')} = :h AND {q('source')} = :s",
        {"h": digest, "s": source},
    )
    return bool(n)


def record_file(wh: Warehouse, row: dict[str, object]) -> None:
    if not wh.table_exists(LEDGER_TABLE):
        wh.create_table(LEDGER_TABLE, LEDGER_TYPES)
    wh.write_table(LEDGER_TABLE, pd.DataFrame([row]), mode="append", types=LEDGER_TYPES)


@dataclass
class Target:
    """Where one source's events go: its table, its columns there, and its quarantine table."""

    wh: Warehouse
    source: Source
    table: str
    columns: dict[str, str]  # canonical -> column in the table (present columns only)
    types: dict[str, str]  # column in the table -> logical type

    @classmethod
    def prepare(cls, wh: Warehouse, source: Source, mapping: SourceMapping, user_id_type: str) -> "Target":
        """Create the table (and its quarantine table) if absent; add ``event_id`` to a table without it."""
        table = mapping.table or source.name
        kinds = {c.name: ("bigint" if user_id_type == "int" else "text") if c.kind == "id" else _KIND_TYPES[c.kind]
                 for c in source.columns}
        if wh.table_exists(table):
            existing = wh.columns(table)
            found = mapping.resolve(existing, where=f"table {table}")
            columns = {k: v for k, v in found.items() if v is not None}
            if not any(c.lower() == "event_id" for c in existing):
                # A table made before intentseg (by hand, say): its old rows keep a NULL event_id.
                wh.execute(f"ALTER TABLE {wh.quote(table)} ADD COLUMN {wh.quote('event_id')} {wh.ddl_type('key')}")
                wh.create_index(table, ["event_id"])
        else:
            columns = {c.name: mapping.physical(c.name) for c in source.columns}
            wh.create_table(table, {columns[k]: kinds[k] for k in columns} | {"event_id": "key"})
            wh.create_index(table, ["event_id"])
        if not wh.table_exists(quarantine_table(table)):
            wh.create_table(quarantine_table(table), QUARANTINE_TYPES)
        types = {columns[k]: kinds[k] for k in columns} | {"event_id": "key"}
        return cls(wh, source, table, columns, types)

    def check_file_columns(self, file_columns: dict[str, str | None], where: str) -> None:
        """A file column the table has no place for would be lost: refuse before anything is written."""
        for canonical, physical in file_columns.items():
            if physical is not None and canonical not in self.columns:
                raise MissingColumnError(
                    f"{where}: column {physical!r} ({canonical}) has no column in table {self.table} "
                    f"(its columns: {', '.join(self.columns.values())}).",
                    hint=f"ALTER TABLE {self.table} ADD COLUMN {self.source.column(canonical).name} ..., "
                    "or load into another table ([sources.NAME] table = ... in intentseg.toml).",
                )

    def insert(
        self, events: pa.Table, duplicates: Callable[[np.ndarray], pa.Table], ingested_at: pd.Timestamp
    ) -> tuple[int, int]:
        """Insert the events not yet in the table and quarantine the others, in one transaction.

        ``duplicates(positions)`` builds the quarantine rows for events (by position) already there.
        Returns (rows inserted, rows quarantined as duplicates).
        """
        if events.num_rows == 0:
            return 0, 0
        wh, q = self.wh, self.wh.quote
        keep = [c for c in events.column_names if c == "event_id" or c in self.columns]
        renamed = events.select(keep).rename_columns([self.columns.get(c, c) for c in keep])
        staging = wh.staging_name(self.table)
        wh.write_table(staging, renamed, mode="create", types=self.types)
        try:
            exists = f"EXISTS (SELECT 1 FROM {q(self.table)} t WHERE t.{q('event_id')} = s.{q('event_id')})"
            cols = ", ".join(q(c) for c in renamed.column_names)
            scols = ", ".join(f"s.{q(c)}" for c in renamed.column_names)
            with wh.transaction():
                seen = wh.query(f"SELECT s.{q('event_id')} FROM {q(staging)} s WHERE {exists}")
                wh.execute(f"INSERT INTO {q(self.table)} ({cols}) SELECT {scols} FROM {q(staging)} s WHERE NOT {exists}")
                dup = np.array([], np.int64)
                if len(seen):
                    ids = events.column("event_id").to_numpy(zero_copy_only=False)
                    dup = np.flatnonzero(np.isin(ids, seen.iloc[:, 0].to_numpy()))
                    self.quarantine(duplicates(dup), ingested_at)
        finally:
            wh.drop_table(staging)
        return events.num_rows - len(dup), len(dup)

    def quarantine(self, rows: pa.Table, ingested_at: pd.Timestamp) -> None:
        if rows.num_rows:
            rows = rows.append_column("ingested_at", pa.array([ingested_at] * rows.num_rows, pa.timestamp("us")))
            self.wh.write_table(quarantine_table(self.table), rows, mode="append", types=QUARANTINE_TYPES)
