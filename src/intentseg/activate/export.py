"""``export_audience``: the members of one segment as a file for ad platforms and CRMs (CSV or Parquet).

Columns: user_id, segment_id, segment_name, since (when the user entered the segment: the open history
interval's ``valid_from``), run_id. Without a run, the current membership (``user_segments``); with
``run_id``, the membership that run left (the history intervals open just after it was written). The
file is written next to its destination and renamed over it: a reader never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..config import OutputSettings
from ..errors import InputError, NotFound
from ..warehouse import Warehouse
from ..writeback import Tables

FORMATS = ("csv", "parquet")


@dataclass
class Audience:
    path: Path
    segment_id: int
    segment_name: str
    run_id: str
    n_users: int

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "segment_id": self.segment_id, "segment_name": self.segment_name,
                "run_id": self.run_id, "n_users": self.n_users}


def export_audience(wh: Warehouse, names: OutputSettings, segment: str, out: str | Path, *, fmt: str = "csv",
                    run_id: str | None = None) -> Audience:
    """Write the users of ``segment`` (a name, or an id) to ``out``; returns what was written."""
    if fmt not in FORMATS:
        raise InputError(f"Unknown audience format {fmt!r}.", hint=f"Use one of: {', '.join(FORMATS)}.")
    tables = Tables(wh, names)
    run = tables.run(run_id, with_model=False) if run_id else _current_run(wh, names)
    if run is None or (run_id and not run.get("written_at")):
        raise NotFound(f"No run {run_id!r} with written results in {wh.display_url}." if run_id
                       else f"No segments in {wh.display_url} yet.",
                       hint="`intentseg runs` lists the runs; `intentseg run` writes segments.")
    members = pa.Table.from_pandas(wh.query(*_members_sql(wh, names, run if run_id else None)), preserve_index=False)
    sid, name = _segment_of(members, segment, str(run["run_id"]))
    chosen = members.filter(pc.equal(members["segment_id"], sid))
    chosen = chosen.select(["user_id", "segment_id", "segment_name", "since", "run_id"])
    path = Path(out)
    _write_atomically(chosen, path, fmt)
    return Audience(path, sid, name, str(run["run_id"]), chosen.num_rows)


def _current_run(wh: Warehouse, names: OutputSettings) -> dict[str, Any] | None:
    if not wh.table_exists(names.user_segments):
        return None
    run_id = wh.scalar(f"SELECT MAX({wh.quote('run_id')}) FROM {wh.quote_table(names.user_segments)}")
    return None if run_id is None else {"run_id": str(run_id)}


def _members_sql(wh: Warehouse, names: OutputSettings, run: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """Members of every segment: of ``user_segments`` (run None), or as a run left them."""
    h, q = wh.quote_table(names.user_segment_history), wh.quote
    cols = f"h.{q('user_id')}, h.{q('segment_id')}, h.{q('segment_name')}, h.{q('valid_from')} AS since"
    if run is None:
        return (f"SELECT {cols}, m.{q('run_id')} FROM {wh.quote_table(names.user_segments)} m "
                f"JOIN {h} h ON h.{q('user_id')} = m.{q('user_id')} AND h.{q('valid_to')} IS NULL "
                f"ORDER BY h.{q('user_id')}"), {}
    return (f"SELECT {cols}, :r AS run_id FROM {h} h WHERE h.{q('valid_from')} <= :at "
            f"AND (h.{q('valid_to')} IS NULL OR h.{q('valid_to')} > :at) ORDER BY h.{q('user_id')}",
            {"r": str(run["run_id"]), "at": pd.Timestamp(run["written_at"]).to_pydatetime()})


def _segment_of(members: pa.Table, segment: str, run_id: str) -> tuple[int, str]:
    """(id, name) of ``segment``: a name, or an id; NotFound listing the segments of the run."""
    pairs = sorted({(int(i), str(n)) for i, n in zip(members["segment_id"].to_pylist(),
                                                      members["segment_name"].to_pylist())})
    for sid, name in pairs:
        if name == segment or (segment.strip().isdigit() and sid == int(segment)):
            return sid, name
    known = ", ".join(f"{sid} {name!r}" for sid, name in pairs) or "none"
    raise NotFound(f"No segment {segment!r} in run {run_id}.", hint=f"Pass --segment one of: {known}.")


def _write_atomically(table: pa.Table, path: Path, fmt: str) -> None:
    """Write to a temporary file in ``path``'s folder, then rename it over ``path`` (atomic on one file system)."""
    import pyarrow.csv
    import pyarrow.parquet

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        if fmt == "csv":
            pyarrow.csv.write_csv(table, tmp)
        else:
            pyarrow.parquet.write_table(table, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
