"""Coerce a batch of file rows to a source's canonical columns; set aside every row that cannot be used.

Each row either becomes an accepted event or a quarantined row with one reason (the first that applies,
in the order of :data:`REASONS`). Timestamps: ISO 8601 with or without an offset, or epoch seconds (a
plain number); offsets are converted to UTC and a timestamp without one is taken as UTC. Stored
timestamps are UTC without a zone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ..schema import Source
from .readers import RawBatch, raw_row

#: Why a row was quarantined, in the order they are checked.
REASONS = {
    "invalid_utf8": "a value holds bytes that are not UTF-8",
    "malformed_row": "the row cannot be parsed (wrong number of CSV fields, a JSON line that is not an object)",
    "missing_user_id": "user_id is empty",
    "invalid_user_id": "user_id is not a whole number from -2**63 to 2**63 - 1 (the table's user_id is a whole number)",
    "user_id_too_long": "a text user_id is longer than schema.USER_ID_MAX_CHARS (128) characters",
    "nul_byte": "a text value holds a NUL character (\\x00), which PostgreSQL cannot store",
    "text_too_long": "a text value is longer than its column holds (schema.TEXT_MAX_CHARS, 65,535 characters)",
    "invalid_timestamp": "timestamp is empty, neither ISO 8601 nor epoch seconds, or before the year 1000",
    "invalid_time_spent": "time_spent is not a number",
    "negative_time_spent": "time_spent is below 0",
    "time_spent_above_cap": "time_spent is above ingest.time_spent_cap_s",
    "duplicate": "the same event appears earlier in the same batch of the file",
}

_INT = r"^[+-]?\d+$"
_INT64_MAX = 2**63 - 1
_EARLIEST = pd.Timestamp("1000-01-01")
_NUMBER = r"[+-]?(\d+\.?\d*|\.\d+)"


@dataclass(frozen=True)
class Rules:
    """The ingest settings validation needs."""

    time_spent_cap_s: float
    user_id_type: str  # "int" | "string" ("auto" is resolved before validation: ids_type)
    #: canonical text column -> the longest value its table column holds (characters); absent: no limit
    max_chars: Mapping[str, int] = field(default_factory=dict)


@dataclass
class Checked:
    """One batch after validation."""

    raw: RawBatch
    events: pa.Table  # canonical columns present in the file + event_id, accepted rows only
    event_rows: np.ndarray  # row index in ``raw.table`` of each event
    reason: np.ndarray  # per row of ``raw.table``: reason or None
    column: np.ndarray  # per row: the file column the reason is about, or None
    non_integer_ids: int = 0  # non-empty ids that are not whole numbers (int mode)
    ids_seen: int = 0

    def quarantined(self, file: str, rows: np.ndarray | None = None, reason: str | None = None) -> pa.Table:
        """Quarantine records: the rows validation rejected (or ``rows`` with ``reason``), plus reader rejects."""
        if rows is None:
            idx = np.flatnonzero(pd.notna(self.reason))
            reasons, cols = self.reason[idx].tolist(), self.column[idx].tolist()
            rejected = self.raw.rejected
        else:
            idx, reasons, cols, rejected = rows, [reason] * len(rows), [None] * len(rows), []
        return pa.table(
            {
                "file": pa.array([file] * (len(idx) + len(rejected)), pa.string()),
                "line": pa.array(self.raw.lines[idx].tolist() + [r.line for r in rejected], pa.int64()),
                "reason": pa.array(reasons + [r.reason for r in rejected], pa.string()),
                "column": pa.array(cols + [r.column for r in rejected], pa.string()),
                "raw": pa.array([raw_row(self.raw, int(i)) for i in idx] + [r.raw for r in rejected], pa.string()),
            }
        )


def check(batch: RawBatch, source: Source, columns: dict[str, str | None], rules: Rules) -> Checked:
    """Validate and coerce ``batch``; ``columns`` maps canonical name -> the file's column (None if absent)."""
    n = batch.table.num_rows
    reason = np.full(n, None, dtype=object)
    column = np.full(n, None, dtype=object)

    def flag(mask: np.ndarray, why: str, col: str | None) -> None:
        hit = mask & pd.isna(reason)
        reason[hit] = why
        column[hit] = col

    for i, (why, col) in batch.flagged.items():
        reason[i], column[i] = why, col

    values: dict[str, pd.Series] = {}
    non_integer = seen = 0
    for col in source.columns:
        physical = columns.get(col.name)
        if physical is None:
            continue
        arr = batch.table.column(physical)
        if col.kind == "id":
            ids, missing, invalid = _user_ids(arr, rules.user_id_type)
            flag(missing, "missing_user_id", physical)
            flag(invalid, "invalid_user_id", physical)
            if rules.user_id_type == "string":
                _flag_text(flag, ids, physical, rules.max_chars.get(col.name), "user_id_too_long")
            non_integer, seen = int(invalid.sum()), int((~missing).sum())
            values[col.name] = ids
        elif col.kind == "timestamp":
            # before year 1000 MariaDB's DATETIME cannot hold it: the same rule on every engine
            ts = _timestamps(arr).where(lambda t: t >= _EARLIEST)
            flag(ts.isna().to_numpy(), "invalid_timestamp", physical)
            values[col.name] = ts
        elif col.kind == "seconds":
            secs, invalid = _seconds(arr)
            flag(invalid, "invalid_time_spent", physical)
            flag((secs < 0).fillna(False).to_numpy(bool), "negative_time_spent", physical)
            flag((secs > rules.time_spent_cap_s).fillna(False).to_numpy(bool), "time_spent_above_cap", physical)
            values[col.name] = secs
        else:
            values[col.name] = _text(arr)
            _flag_text(flag, values[col.name], physical, rules.max_chars.get(col.name), "text_too_long")

    ok = np.flatnonzero(pd.isna(reason))
    events = _events(source, {k: v.iloc[ok].reset_index(drop=True) for k, v in values.items()}, rules)
    # The same event twice within the batch: keep the first, quarantine the rest.
    dup = pd.Series(events.column("event_id").to_numpy(zero_copy_only=False)).duplicated().to_numpy()
    if dup.any():
        reason[ok[dup]] = "duplicate"
        events, ok = events.filter(pa.array(~dup)), ok[~dup]
    return Checked(batch, events, ok, reason, column, non_integer, seen)


def check_id_type(checked: Checked, where: str, hint: str | None = None) -> None:
    """Fail when most user ids of a file are not whole numbers: the file has string ids."""
    if checked.ids_seen and checked.non_integer_ids * 2 > checked.ids_seen:
        raise InputError(
            f"{where}: {checked.non_integer_ids:,} of the first {checked.ids_seen:,} user ids are not whole "
            "numbers: this file has text user ids. Nothing was loaded.",
            hint=hint or 'Set user_id_type = "auto" (or "string") under [ingest] in intentseg.toml '
            "(or INTENTSEG_INGEST__USER_ID_TYPE=auto).",
        )


# -- coercion -----------------------------------------------------------------------------------------
def _stripped(arr: pa.ChunkedArray) -> pd.Series:
    """Text values with surrounding blanks removed; empty -> null."""
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pc.cast(arr, pa.string())
    arr = pc.utf8_trim_whitespace(arr)
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
    return arr.to_pandas().astype(object).where(lambda s: s.notna(), None)


def _user_ids(arr: pa.ChunkedArray, id_type: str) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """(ids, missing mask, invalid mask). Whole-number ids run from -2**63 to 2**63 - 1 (BIGINT)."""
    if id_type == "int" and pa.types.is_integer(arr.type):
        invalid = np.zeros(len(arr), bool)
        if pa.types.is_uint64(arr.type):  # above 2**63 - 1 does not fit BIGINT: quarantined, not a crash
            big = pc.fill_null(pc.greater(arr, pa.scalar(_INT64_MAX, pa.uint64())), False)
            invalid = big.to_numpy(zero_copy_only=False)
            arr = pc.if_else(big, pa.scalar(None, arr.type), arr)
        s = _int64_series(pc.cast(arr, pa.int64()))
        return s, s.isna().to_numpy() & ~invalid, invalid
    if id_type == "int" and pa.types.is_floating(arr.type):
        f = pd.Series(arr.to_pandas(), dtype="float64")
        missing = f.isna().to_numpy()
        whole = (f == np.floor(f)) & (f.abs() < 2**63)
        invalid = ~missing & ~whole.to_numpy(bool)
        return f.where(whole).astype("Int64"), missing, invalid
    text = _stripped(arr)
    missing = text.isna().to_numpy()
    if id_type == "string":
        return text, missing, np.zeros(len(text), bool)
    arr = pa.array(text, pa.string(), from_pandas=True)
    whole = np.array(pc.fill_null(pc.match_substring_regex(arr, _INT), False).to_numpy(zero_copy_only=False))
    # Within BIGINT: fewer than 19 digits, or 19 that compare (as text) at most 2**63 - 1 (2**63 if negative).
    digits = pc.utf8_ltrim(pc.utf8_ltrim(arr, "+-"), "0")
    n = pc.fill_null(pc.utf8_length(digits), 0).to_numpy(zero_copy_only=False)
    edge = np.flatnonzero(whole & (n >= 19))
    if len(edge):
        limit = [str(_INT64_MAX + 1) if v.startswith("-") else str(_INT64_MAX) for v in arr.take(edge).to_pylist()]
        whole[edge] = [len(d) == 19 and d <= m for d, m in zip(digits.take(edge).to_pylist(), limit)]
    # through Arrow, not float: 19-digit ids must stay exact
    ids = pc.cast(pc.if_else(pa.array(whole), arr, pa.scalar(None, pa.string())), pa.int64())
    return _int64_series(ids), missing, ~missing & ~whole


def _int64_series(arr: pa.Array | pa.ChunkedArray) -> pd.Series:
    """A nullable Int64 series, exact (``to_pandas`` alone turns int64 with nulls into float64)."""
    return pd.Series(arr.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get), dtype="Int64")


def _flag_text(flag: Callable[[np.ndarray, str, str | None], None], values: pd.Series, column: str,
               max_chars: int | None, too_long: str) -> None:
    """NUL characters and values longer than the column: quarantined row by row, never a failed batch."""
    arr = pa.array(values, pa.string(), from_pandas=True)
    flag(pc.fill_null(pc.match_substring(arr, "\x00"), False).to_numpy(zero_copy_only=False), "nul_byte", column)
    if max_chars is not None:
        longer = pc.fill_null(pc.greater(pc.utf8_length(arr), max_chars), False)
        flag(longer.to_numpy(zero_copy_only=False), too_long, column)


def _timestamps(arr: pa.ChunkedArray) -> pd.Series:
    """UTC timestamps without a zone (datetime64[us]); NaT where a value cannot be read."""
    t = arr.type
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        s = pd.to_datetime(pd.Series(arr.to_pandas()), utc=True, errors="coerce")
    elif pa.types.is_integer(t) or pa.types.is_floating(t):
        s = _epoch(pd.Series(arr.to_pandas(), dtype="float64"))
    else:
        text = _stripped(arr)
        epoch = text.str.fullmatch(_NUMBER).fillna(False).astype(bool)
        s = pd.to_datetime(text.where(~epoch), format="ISO8601", utc=True, errors="coerce")
        if epoch.any():
            s = s.where(~epoch, _epoch(pd.to_numeric(text.where(epoch), errors="coerce")))
    return s.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")


def _epoch(seconds: pd.Series) -> pd.Series:
    # Beyond year 9999 (e.g. milliseconds given as seconds) is not a timestamp.
    seconds = seconds.where(seconds.abs() < 253_402_300_800)
    return pd.to_datetime(seconds * 1_000_000, unit="us", utc=True, errors="coerce")


def _seconds(arr: pa.ChunkedArray) -> tuple[pd.Series, np.ndarray]:
    """(seconds as float, invalid mask); empty values are NULL (time_spent is optional)."""
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type) or pa.types.is_decimal(arr.type):
        s = pd.Series(pc.cast(arr, pa.float64()).to_pandas(), dtype="float64")
        return s, np.zeros(len(s), bool)
    text = _stripped(arr)
    s = pd.to_numeric(text, errors="coerce").astype("float64")
    invalid = (text.notna() & s.isna()).to_numpy()
    return s, invalid


def _text(arr: pa.ChunkedArray) -> pd.Series:
    """Text as given (numbers become their text, e.g. article_id 123 -> "123"); empty -> NULL."""
    if pa.types.is_floating(arr.type):
        # 123.0 read from a float column is the article "123"
        f = pd.Series(arr.to_pandas(), dtype="float64")
        return f.map(lambda x: None if pd.isna(x) else str(int(x)) if x.is_integer() else repr(x)).astype(object)
    s = arr if pa.types.is_string(arr.type) else pc.cast(arr, pa.string())
    s = pc.if_else(pc.equal(pc.utf8_trim_whitespace(s), ""), pa.scalar(None, pa.string()), s)
    return s.to_pandas().astype(object).where(lambda v: v.notna(), None)


# -- events ---------------------------------------------------------------------------------------
def _events(source: Source, values: dict[str, pd.Series], rules: Rules) -> pa.Table:
    """The accepted rows as canonical columns plus ``event_id``."""
    cols: dict[str, pa.Array] = {}
    for col in source.columns:
        if col.name not in values:
            continue
        v = values[col.name]
        if col.kind == "id":
            cols[col.name] = pa.array(v, pa.int64() if rules.user_id_type == "int" else pa.string(), from_pandas=True)
        elif col.kind == "timestamp":
            cols[col.name] = pa.array(v, pa.timestamp("us"), from_pandas=True)
        elif col.kind == "seconds":
            cols[col.name] = pa.array(v, pa.float64(), from_pandas=True)
        else:
            cols[col.name] = pa.array(v, pa.string(), from_pandas=True)
    table = pa.table(cols) if cols else pa.table({})
    return table.append_column("event_id", event_ids(source, table))


def event_ids(source: Source, table: pa.Table) -> pa.Array:
    """A deterministic id per event: a hash of the source and the event's canonical values.

    Absent optional columns count as NULL, so the same event from a file with and without an empty
    ``referrer`` column gets the same id.
    """
    n = table.num_rows
    parts = [pa.array([source.name] * n, pa.string())]
    for col in source.columns:
        if col.name not in table.column_names:
            parts.append(pa.nulls(n, pa.string()))
            continue
        arr = table.column(col.name)
        if col.kind == "timestamp":
            arr = pc.cast(pc.cast(arr, pa.int64()), pa.string())  # microseconds since the epoch, UTC
        elif col.kind == "seconds":
            arr = pc.cast(arr, pa.string())
        elif col.kind == "id":
            arr = pc.cast(arr, pa.string())
        parts.append(arr)
    keys = pc.binary_join_element_wise(*parts, "\x1f", null_handling="replace", null_replacement="\x00")
    digest = [hashlib.blake2b(k.encode(), digest_size=16).hexdigest() for k in keys.to_pylist()]
    return pa.array(digest, pa.string())


class SeenEvents:
    """The events of one file so far, to tell a repeat inside the file from an event loaded before.

    Holds each event id as its 16 bytes in one sorted array (16 bytes a row, exact): a batch is looked
    up by binary search and merged in, so a file costs O(n log n), never a comparison of every pair.
    """

    def __init__(self) -> None:
        self._ids = np.empty(0, dtype="S16")

    def repeated(self, event_ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """Per id: whether an earlier batch of the file had it (and remember the new ones)."""
        if len(event_ids) == 0:
            return np.zeros(0, bool)
        keys = np.frombuffer(bytes.fromhex("".join(event_ids.to_pylist())), dtype="S16")
        pos = np.searchsorted(self._ids, keys)
        hit = np.zeros(len(keys), bool)
        inside = pos < len(self._ids)
        hit[inside] = self._ids[pos[inside]] == keys[inside]
        new = np.sort(keys[~hit])  # ids are unique within a batch already
        self._ids = np.insert(self._ids, np.searchsorted(self._ids, new), new)
        return hit
