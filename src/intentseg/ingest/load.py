"""Warehouse side of ingestion: the source tables, their quarantine tables, the ingest ledger.

The warehouse keeps events unique, not Python: each source table has a unique index on ``event_id``
and a batch is copied in from a staging table with the engine's insert-that-skips-duplicates
(``ON CONFLICT DO NOTHING``, ``INSERT IGNORE``, ``INSERT OR IGNORE``). Two ingests running at once,
of the same file or of overlapping ones, therefore leave each event once. A batch's quarantine rows are
written the same way (unique ``row_id``: file content, line, raw row) in the same transaction as its
events, and the transaction is run again on a deadlock. The ledger has a unique key on
(file_hash, source), so a file is listed once however many ingests load it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import sqlglot

from ..errors import MissingColumnError, WarehouseQueryError
from ..schema import TEXT_MAX_CHARS, USER_ID_MAX_CHARS, Source, SourceMapping
from ..warehouse import Warehouse

LEDGER_TABLE = "intentseg_ingest_ledger"
LEDGER_KEY = ["file_hash", "source"]
LEDGER_TYPES = {
    "file_hash": "key", "source": "key", "file": "text", "format": "text",
    "rows_read": "bigint", "accepted": "bigint", "quarantined": "bigint", "ingested_at": "timestamp",
    "already_loaded": "bigint",  # events of the file the warehouse held before (skipped, not quarantined)
    "excluded": "bigint",  # access logs: lines that are no page view (bots, static assets, …), counted only
}
QUARANTINE_TYPES = {
    "file": "text", "line": "bigint", "reason": "text", "column": "text", "raw": "json", "ingested_at": "timestamp",
    # a hash of the file's content, line and raw row: a resumed ingest does not quarantine a row twice
    "row_id": "key",
}
_KIND_TYPES = {"timestamp": "timestamp", "text": "long_text", "seconds": "double"}


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


def _ddl_tolerating_race(ddl: Callable[[], None]) -> None:
    """Run an ``IF NOT EXISTS`` statement; if it fails, run it once more.

    Two processes creating the same table or index at the same moment can both pass the "exists?"
    check, and PostgreSQL then fails the second with a duplicate key in its catalog. The second try
    sees the object the other made and does nothing.
    """
    try:
        ddl()
    except WarehouseQueryError:
        time.sleep(0.1)
        ddl()


def ensure_table(wh: Warehouse, name: str, types: dict[str, str]) -> None:
    _ddl_tolerating_race(lambda: wh.create_table(name, types, if_not_exists=True))


def ensure_unique(wh: Warehouse, table: str, columns: list[str]) -> None:
    """A unique index on ``columns``; a table that already holds copies of a key cannot get one."""
    try:
        _ddl_tolerating_race(lambda: wh.create_unique_index(table, columns))
    except WarehouseQueryError as exc:
        cols = ", ".join(columns)
        raise WarehouseQueryError(
            f"Cannot make ({cols}) unique in table {table}: {exc.message}",
            hint=f"The table holds some ({cols}) more than once (loaded by an earlier intentseg, "
            "which had no unique key). Keep one row per ({cols}) (e.g. copy SELECT DISTINCT rows to a new "
            "table and rename it), then ingest again.",
        ) from exc


def ensure_ledger(wh: Warehouse) -> None:
    ensure_table(wh, LEDGER_TABLE, LEDGER_TYPES)
    _ensure_column(wh, LEDGER_TABLE, "already_loaded", "bigint")  # a ledger of an earlier intentseg
    _ensure_column(wh, LEDGER_TABLE, "excluded", "bigint")
    ensure_unique(wh, LEDGER_TABLE, LEDGER_KEY)


def already_loaded(wh: Warehouse, digest: str, source: str) -> bool:
    if not wh.table_exists(LEDGER_TABLE):
        return False
    q = wh.quote
    n = wh.scalar(
        f"SELECT COUNT(*) FROM {wh.quote_table(LEDGER_TABLE)} WHERE {q('file_hash')} = :h AND {q('source')} = :s",
        {"h": digest, "s": source},
    )
    return bool(n)


def record_file(wh: Warehouse, row: dict[str, object]) -> bool:
    """Add a file to the ledger unless it is there already (another ingest of it finished first).

    Returns whether this call added it.
    """
    staging = wh.staging_name(LEDGER_TABLE)
    try:
        wh.write_table(staging, pd.DataFrame([row]), mode="create", types=LEDGER_TYPES)
        added = wh.retrying(lambda: wh.insert_skipping_duplicates(LEDGER_TABLE, staging, list(row), LEDGER_KEY))
    finally:
        wh.drop_table(staging)
    return bool(added)


def _column_max_chars(wh: Warehouse, table: str) -> dict[str, int]:
    """The declared character length of each text column of ``table`` that has one (VARCHAR(n))."""
    schema = sqlglot.parse_one("CURRENT_SCHEMA()", read="postgres").sql(dialect=wh.dialect)
    rows = wh.query(
        "SELECT column_name AS name, character_maximum_length AS n FROM information_schema.columns "
        f"WHERE table_schema = {schema} AND table_name = :t",
        {"t": table},
    )
    return {str(name): int(n) for name, n in zip(rows["name"], rows["n"]) if n is not None and not pd.isna(n)}


def _ensure_column(wh: Warehouse, table: str, column: str, logical: str = "key") -> None:
    """Add a column to a table made without it (by hand, or by an earlier intentseg); old rows get NULL."""
    if any(c.lower() == column for c in wh.columns(table)):
        return
    try:
        wh.execute(f"ALTER TABLE {wh.quote_table(table)} ADD COLUMN {wh.quote(column)} {wh.ddl_type(logical)}")
    except WarehouseQueryError:
        if not any(c.lower() == column for c in wh.columns(table)):  # else another ingest added it first
            raise


@dataclass
class Target:
    """Where one source's events go: its table, its columns there, and its quarantine table."""

    wh: Warehouse
    source: Source
    table: str
    columns: dict[str, str]  # canonical -> column in the table (present columns only)
    types: dict[str, str]  # column in the table -> logical type
    #: canonical column -> the longest value, in characters, that its column in the table holds
    max_chars: dict[str, int] = field(default_factory=dict)

    @classmethod
    def prepare(cls, wh: Warehouse, source: Source, mapping: SourceMapping, user_id_type: str) -> "Target":
        """Create the table (and its quarantine table) if absent; give ``event_id`` a unique index.

        A table made before intentseg (by hand, say) gets an ``event_id`` column; its old rows keep NULL,
        which a unique index allows any number of times.
        """
        table = mapping.table or source.name
        kinds = {c.name: ("bigint" if user_id_type == "int" else "id") if c.kind == "id" else _KIND_TYPES[c.kind]
                 for c in source.columns}
        if wh.table_exists(table):
            existing = wh.columns(table)
            found = mapping.resolve(existing, where=f"table {table}")
            columns = {k: v for k, v in found.items() if v is not None}
            _ensure_column(wh, table, "event_id")
        else:
            columns = {c.name: mapping.physical(c.name) for c in source.columns}
            ensure_table(wh, table, {columns[k]: kinds[k] for k in columns} | {"event_id": "key"})
        ensure_unique(wh, table, ["event_id"])
        ensure_table(wh, quarantine_table(table), QUARANTINE_TYPES)
        _ensure_column(wh, quarantine_table(table), "row_id")  # a quarantine table of an earlier intentseg
        ensure_unique(wh, quarantine_table(table), ["row_id"])
        types = {columns[k]: kinds[k] for k in columns} | {"event_id": "key"}
        # The table's own limits (a table made by hand, or by an older intentseg, may be narrower).
        declared = {c.lower(): n for c, n in _column_max_chars(wh, table).items()}
        max_chars: dict[str, int] = {}
        for col in source.columns:
            if col.name in columns and (col.kind == "text" or (col.kind == "id" and user_id_type != "int")):
                default = USER_ID_MAX_CHARS if col.kind == "id" else TEXT_MAX_CHARS
                max_chars[col.name] = min(default, declared.get(columns[col.name].lower(), default))
        return cls(wh, source, table, columns, types, max_chars)

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

    def load_batch(self, events: pa.Table, rejected: pa.Table, ingested_at: pd.Timestamp, digest: str) -> int:
        """Insert the events the table does not hold yet and quarantine ``rejected``, in one transaction.

        Returns the number of events inserted; the others were already in the table (loaded earlier, by
        this file or another, or by an ingest running at the same time). Quarantine rows are keyed by
        the file's content hash, line and raw row, so a resumed ingest does not write them twice. The
        transaction is run again when it conflicts with a concurrent writer (a deadlock); the staging
        tables are always dropped.
        """
        wh = self.wh
        stagings: list[tuple[str, str, list[str], list[str]]] = []  # (staging, target, columns, key)
        try:
            if events.num_rows:
                keep = [c for c in events.column_names if c == "event_id" or c in self.columns]
                renamed = events.select(keep).rename_columns([self.columns.get(c, c) for c in keep])
                stagings.append((wh.staging_name(self.table), self.table, renamed.column_names, ["event_id"]))
                wh.write_table(stagings[-1][0], renamed, mode="create", types=self.types)
            if rejected.num_rows:
                rows = _quarantine_rows(rejected, ingested_at, digest)
                table = quarantine_table(self.table)
                stagings.append((wh.staging_name(table), table, rows.column_names, ["row_id"]))
                wh.write_table(stagings[-1][0], rows, mode="create", types=QUARANTINE_TYPES)

            def batch() -> int:
                inserted = 0
                with wh.transaction():
                    for staging, target, columns, key in stagings:
                        n = wh.insert_skipping_duplicates(target, staging, columns, key)
                        inserted += n if target == self.table else 0
                return inserted

            return int(wh.retrying(batch)) if stagings else 0
        finally:
            for staging, *_ in stagings:
                wh.drop_table(staging)


def _quarantine_rows(rows: pa.Table, ingested_at: pd.Timestamp, digest: str) -> pa.Table:
    keys = [f"{digest}\x1f{line}\x1f{raw}" for line, raw in zip(rows.column("line").to_pylist(),
                                                                    rows.column("raw").to_pylist())]
    return rows.append_column(
        "ingested_at", pa.array([ingested_at] * rows.num_rows, pa.timestamp("us"))
    ).append_column(
        "row_id", pa.array([hashlib.blake2b(k.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest() for k in keys])
    )
