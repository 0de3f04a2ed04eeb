"""Streaming readers for CSV, Parquet and JSON Lines: bounded memory, a line number for every row.

A reader yields :class:`RawBatch` es of at most ``batch_rows`` rows. Values keep their file types
(Parquet) or stay text (CSV, JSON Lines); :mod:`.validate` coerces them. Rows the reader itself cannot
use (bytes that are not UTF-8, a CSV row with the wrong number of fields, a JSON line that is not an
object) come out as :class:`RejectedRow` s so that every row read is accounted for.

Line numbers: CSV counts the header as line 1, so the first data row is line 2 (a quoted field that
spans lines shifts later numbers; rejected rows carry the parser's own physical line number). JSON
Lines uses the physical line. Parquet has no lines: ``line`` is the 1-based row number.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import InputError

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def file_format(path: Path) -> str | None:
    """``csv`` / ``parquet`` / ``jsonl`` from the file's extension, or None if it is not one we read."""
    return FORMATS.get(path.suffix.lower())


@dataclass
class RejectedRow:
    line: int
    reason: str  # "invalid_utf8" | "malformed_row"
    column: str | None
    raw: str  # the row as JSON text (undecodable bytes shown as \\xNN escapes)


@dataclass
class RawBatch:
    table: pa.Table  # the file's own columns; invalid UTF-8 values already set to null
    lines: np.ndarray  # int64, one per row of ``table``
    rejected: list[RejectedRow] = field(default_factory=list)
    #: row index in ``table`` -> (reason, column) for rows the reader flagged but kept in place
    flagged: dict[int, tuple[str, str]] = field(default_factory=dict)
    #: row index -> the raw row as JSON text, where the table no longer holds it (undecodable bytes)
    raw_text: dict[int, str] = field(default_factory=dict)

    @property
    def rows_read(self) -> int:
        return self.table.num_rows + len(self.rejected)


def read_columns(path: Path, fmt: str) -> list[str]:
    """The column names of a file, read without loading it (the header, schema or first object)."""
    if fmt == "parquet":
        return list(pq.ParquetFile(path).schema_arrow.names)
    with open(path, "rb") as fh:
        first = fh.readline()
        while fmt == "jsonl" and first and not first.strip():
            first = fh.readline()
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: the first line is not UTF-8 text ({exc.reason} at byte {exc.start}).",
            hint="Re-encode the file as UTF-8 (e.g. iconv -f latin1 -t utf-8).",
        ) from None
    if fmt == "csv":
        return next(csv.reader([text]), [])
    try:
        obj = json.loads(text)
    except ValueError:
        raise InputError(
            f"{path}: line 1 is not a JSON object.", hint="JSON Lines files hold one JSON object per line."
        ) from None
    if not isinstance(obj, dict):
        raise InputError(f"{path}: line 1 is not a JSON object.", hint="JSON Lines files hold one JSON object per line.")
    return list(obj)


def iter_batches(path: Path, fmt: str, batch_rows: int) -> Iterator[RawBatch]:
    """Stream a file as batches of at most ``batch_rows`` rows."""
    if fmt == "parquet":
        yield from _parquet(path, batch_rows)
    elif fmt == "csv":
        yield from _rebatch(_csv(path), batch_rows)
    else:
        yield from _jsonl(path, batch_rows)


# -- Parquet -----------------------------------------------------------------------------------------
def _parquet(path: Path, batch_rows: int) -> Iterator[RawBatch]:
    start = 1
    for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows):
        n = batch.num_rows
        raw = RawBatch(pa.Table.from_batches([batch]), np.arange(start, start + n, dtype=np.int64))
        # Binary columns (text written without the UTF-8 annotation) may hold bytes that do not decode.
        yield _decode_utf8(raw, batch.schema.names) if any(map(_is_binary, batch.schema.types)) else raw
        start += n


def _is_binary(t: pa.DataType) -> bool:
    return pa.types.is_binary(t) or pa.types.is_large_binary(t)


# -- CSV ---------------------------------------------------------------------------------------------
def _csv(path: Path) -> Iterator[RawBatch]:
    names = read_columns(path, "csv")
    rejected: list[RejectedRow] = []

    def on_invalid(row: Any) -> str:
        # Called by the parser for a row with the wrong number of fields: keep it aside, go on.
        rejected.append(
            RejectedRow(
                line=int(row.number) if row.number is not None else -1,
                reason="malformed_row",
                column=None,
                raw=json.dumps(
                    {"_text": str(row.text), "_fields": f"{row.actual_columns} of {row.expected_columns}"},
                    ensure_ascii=False,
                ),
            )
        )
        return "skip"

    reader = pacsv.open_csv(
        path,
        # use_threads=False: the parser then knows the physical line number of a rejected row
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=False, block_size=8 << 20),
        parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
        # Binary, not string: a row with bytes that are not UTF-8 must not fail the whole file.
        convert_options=pacsv.ConvertOptions(column_types={n: pa.binary() for n in names}),
    )
    skipped_lines: list[int] = []  # physical lines of rejected rows, ascending
    good = 0  # good rows yielded so far
    for batch in reader:
        table = pa.Table.from_batches([batch])
        skipped_lines.extend(r.line for r in rejected if r.line > 0)
        # The k-th good row sits on line 2 + k, pushed down by every rejected line before it.
        gaps = np.asarray(skipped_lines, dtype=np.int64) - 2 - np.arange(len(skipped_lines))
        k = np.arange(good, good + table.num_rows, dtype=np.int64)
        lines = 2 + k + np.searchsorted(gaps, k, side="right")
        good += table.num_rows
        yield _decode_utf8(RawBatch(table, lines, rejected=list(rejected)), names)
        rejected.clear()
    if rejected:
        empty = pa.table({n: pa.array([], pa.string()) for n in names})
        yield RawBatch(empty, np.array([], np.int64), list(rejected))


def _decode_utf8(batch: RawBatch, names: list[str]) -> RawBatch:
    """Binary columns -> UTF-8 strings; rows with bytes that do not decode are flagged ``invalid_utf8``."""
    columns = []
    for name, col in zip(names, batch.table.columns):
        if not _is_binary(col.type):  # a Parquet column of numbers or timestamps stays as it is
            columns.append(col)
            continue
        try:
            columns.append(pc.cast(col, pa.string()))
            continue
        except pa.ArrowInvalid:
            pass
        values = []
        for i, raw in enumerate(col.to_pylist()):
            try:
                values.append(None if raw is None else raw.decode("utf-8"))
            except UnicodeDecodeError:
                values.append(None)
                batch.flagged.setdefault(i, ("invalid_utf8", name))
        columns.append(pa.chunked_array([pa.array(values, pa.string())]))
    # The raw row of a flagged row shows its bytes as they were (\\xNN escapes), not the null put in.
    for i in batch.flagged:
        batch.raw_text[i] = json.dumps(
            {n: _shown(c[i].as_py()) for n, c in zip(names, batch.table.columns)}, ensure_ascii=False, default=str
        )
    batch.table = pa.Table.from_arrays(columns, names=names)
    return batch


def _shown(value: Any) -> Any:
    return value.decode("utf-8", "backslashreplace") if isinstance(value, bytes) else value


def _rebatch(batches: Iterator[RawBatch], batch_rows: int) -> Iterator[RawBatch]:
    """Cut the reader's blocks into batches of at most ``batch_rows`` rows."""
    for b in batches:
        n = b.table.num_rows
        if n <= batch_rows:
            yield b
            continue
        for start in range(0, n, batch_rows):
            stop = min(start + batch_rows, n)
            yield RawBatch(
                b.table.slice(start, stop - start),
                b.lines[start:stop],
                rejected=b.rejected if start == 0 else [],
                flagged={i - start: v for i, v in b.flagged.items() if start <= i < stop},
                raw_text={i - start: v for i, v in b.raw_text.items() if start <= i < stop},
            )


# -- JSON Lines --------------------------------------------------------------------------------------
def _jsonl(path: Path, batch_rows: int) -> Iterator[RawBatch]:
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    rejected: list[RejectedRow] = []
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue  # blank lines are not rows
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                shown = raw.rstrip(b"\r\n").decode("utf-8", "backslashreplace")
                rejected.append(RejectedRow(number, "invalid_utf8", None, json.dumps({"_text": shown}, ensure_ascii=False)))
            else:
                try:
                    obj = json.loads(text)
                except ValueError:
                    obj = None
                if isinstance(obj, dict) and "\\ud" in text.lower() and not _encodable(obj):
                    # a "\ud800" escape: a lone surrogate is no character, no warehouse can store it
                    rejected.append(RejectedRow(number, "invalid_utf8", None,
                                                json.dumps({"_text": text.rstrip("\r\n")}, ensure_ascii=False)))
                elif isinstance(obj, dict):
                    rows.append(obj)
                    lines.append(number)
                else:
                    rejected.append(RejectedRow(number, "malformed_row", None,
                                                json.dumps({"_text": text.rstrip("\r\n")}, ensure_ascii=False)))
            if len(rows) >= batch_rows:
                yield _json_batch(rows, lines, rejected)
                rows, lines, rejected = [], [], []
    if rows or rejected:
        yield _json_batch(rows, lines, rejected)


def _encodable(obj: dict[str, Any]) -> bool:
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)  # nested objects and lists stay JSON text


def _json_batch(rows: list[dict[str, Any]], lines: list[int], rejected: list[RejectedRow]) -> RawBatch:
    names: dict[str, None] = {}
    for r in rows:
        names.update(dict.fromkeys(r))
    table = pa.table({n: pa.array([_json_text(r.get(n)) for r in rows], pa.string()) for n in names})
    return RawBatch(table, np.array(lines, dtype=np.int64), rejected=list(rejected))


def raw_row(batch: RawBatch, i: int) -> str:
    """Row ``i`` of a batch as JSON text, for the quarantine table."""
    if i in batch.raw_text:
        return batch.raw_text[i]
    values = {name: batch.table.column(name)[i].as_py() for name in batch.table.column_names}
    return json.dumps(values, ensure_ascii=False, default=str)
