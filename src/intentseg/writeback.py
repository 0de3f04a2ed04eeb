"""The output tables other jobs read, written so readers never see a half-written table.

- ``user_segments``: current membership, replaced whole by an atomic swap (staging table, then swap).
- ``user_segment_history``: membership intervals; a run closes the intervals of users who changed segment
  (or left) and opens new ones, in one transaction.
- ``segment_profiles``: per run, segment and feature (long format: easy to query in SQL).
- ``segment_runs``: one row per run: status, metrics, the model JSON, row counts, and ``written_at``,
  set in the transaction that writes history: the marker of the last run whose results were committed.

If the process dies or the connection drops mid-write, the transaction rolls back and the swap never
happens: the previous tables stay intact. The next run (holding the run lock, see ``runs.py``) marks the
dead run ``interrupted`` and drops its staging table. On MariaDB, whose DDL cannot join a transaction,
``user_segments`` is swapped just after the history commit; a crash between the two is found by the next
run (``user_segments.run_id`` older than the last ``written_at`` run) and repaired (``repair_membership``).

The same transaction adds the run's membership changes to the outbox ``segment_events``
(``activate/outbox.py``), from which ``intentseg deliver`` sends them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .activate import outbox
from .config import OutputSettings
from .errors import RunInProgress
from .warehouse import Warehouse
from .warehouse.base import logical_type

#: the run lock's name (``runs.exclusive_run``); adapters scope it to their database/schema or file
RUN_LOCK = "intentseg-run"
RUN_COLUMNS = {
    "run_id": "key",
    "kind": "key",
    "status": "key",
    "started_at": "timestamp",
    "finished_at": "timestamp",
    "engine": "key",
    "warehouse": "text",
    "k": "bigint",
    "n_users": "bigint",
    "n_events": "bigint",
    "previous_run_id": "key",
    "changed_share": "double",
    "metrics": "json",
    "model": "json",
    "row_counts": "json",
    "report_path": "text",
    "error": "json",
    "written_at": "timestamp",
}
#: run statuses: running -> ok | failed, or interrupted (its process died; set by the next run or `runs`)
INTERRUPTED = "interrupted"
PROFILE_COLUMNS = {
    "run_id": "key",
    "segment_id": "bigint",
    "segment_name": "text",
    "n_users": "bigint",
    "share": "double",
    "feature": "key",
    "mean": "double",
    "median": "double",
    "lift": "double",
    "z_score": "double",
    "traits": "json",
    "advice": "json",
}


def _history_columns(user_id_type: str) -> dict[str, str]:
    return {
        "user_id": user_id_type,
        "segment_id": "bigint",
        "segment_name": "text",
        "valid_from": "timestamp",
        "valid_to": "timestamp",
        "run_id": "key",
    }


def assignment_columns(user_id_type: str) -> dict[str, str]:
    """The columns of ``user_segments``."""
    return {
        "user_id": user_id_type,
        "segment_id": "bigint",
        "segment_name": "text",
        "distance": "double",
        "run_id": "key",
        "scored_at": "timestamp",
    }


def now_utc() -> dt.datetime:
    """Wall-clock time in UTC, naive (warehouses store UTC without a zone), to the microsecond."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass
class Tables:
    """The output tables of one warehouse and the code that writes them."""

    warehouse: Warehouse
    names: OutputSettings

    def q(self, name: str) -> str:
        """A table name (``schema.table`` allowed, as ``create_table`` takes it) or one of our column names."""
        return self.warehouse.quote_table(name)

    # -- runs --------------------------------------------------------------------------------------
    def ensure_runs_table(self) -> None:
        """Create ``segment_runs``, or add the columns a table from an older intentseg lacks."""
        wh, table = self.warehouse, self.names.segment_runs
        if not wh.table_exists(table):
            wh.create_table(table, RUN_COLUMNS)
            return
        have = set(wh.columns(table))
        for column, logical in RUN_COLUMNS.items():
            if column not in have:
                wh.execute(f"ALTER TABLE {self.q(table)} ADD COLUMN {self.q(column)} {wh.ddl_type(logical)}")

    def start_run(self, run_id: str, kind: str, started_at: dt.datetime, **fields: Any) -> None:
        self.ensure_runs_table()
        row = {c: None for c in RUN_COLUMNS} | {
            "run_id": run_id,
            "kind": kind,
            "status": "running",
            "started_at": started_at,
            "engine": self.warehouse.engine,
            "warehouse": self.warehouse.display_url,
        } | fields
        cols = ", ".join(self.q(c) for c in row)
        params = ", ".join(f":{c}" for c in row)
        self.warehouse.execute(
            f"INSERT INTO {self.q(self.names.segment_runs)} ({cols}) VALUES ({params})", _json_fields(row)
        )

    def finish_run(self, run_id: str, status: str, **fields: Any) -> None:
        fields = {"status": status, "finished_at": now_utc()} | fields
        sets = ", ".join(f"{self.q(c)} = :{c}" for c in fields)
        self.warehouse.execute(
            f"UPDATE {self.q(self.names.segment_runs)} SET {sets} WHERE {self.q('run_id')} = :run_id",
            _json_fields(fields) | {"run_id": run_id},
        )

    def runs(self, limit: int | None = None, *, reap: bool = True) -> pd.DataFrame:
        """Run history, newest first (an empty frame when nothing has run yet).

        Runs whose process died are marked ``interrupted`` first, when no run holds the lock (``reap=False``:
        a pure read that never takes the run lock, for a reader polling often such as ``intentseg serve``).
        """
        if not self.warehouse.table_exists(self.names.segment_runs):
            return pd.DataFrame(columns=list(RUN_COLUMNS))
        if reap:
            self.reap_dead_runs()
        cols = ", ".join(self.q(c) for c in RUN_COLUMNS if c != "model")
        df = self.warehouse.query(
            f"SELECT {cols} FROM {self.q(self.names.segment_runs)} ORDER BY {self.q('started_at')} DESC"
        )
        return df.head(limit) if limit else df

    def run(self, run_id: str | None = None, *, with_model: bool = True) -> dict[str, Any] | None:
        """One run's row (when ``run_id`` is None: the latest successful run, a fit or an assign)."""
        if not self.warehouse.table_exists(self.names.segment_runs):
            return None
        cols = ", ".join(self.q(c) for c in RUN_COLUMNS if with_model or c != "model")
        table = self.q(self.names.segment_runs)
        if run_id is None:
            df = self.warehouse.query(
                f"SELECT {cols} FROM {table} WHERE {self.q('status')} = 'ok' "
                f"ORDER BY {self.q('started_at')} DESC",
            ).head(1)
        else:
            df = self.warehouse.query(f"SELECT {cols} FROM {table} WHERE {self.q('run_id')} = :r", {"r": run_id})
        if df.empty:
            return None
        row = df.iloc[0].to_dict()
        for key in ("metrics", "row_counts", "error", "model"):
            if isinstance(row.get(key), str):
                row[key] = json.loads(row[key])
        return row

    # -- results ---------------------------------------------------------------------------------
    def staging_table(self, run_id: str) -> str:
        """The staging table of ``user_segments`` for one run: its name carries the run id, so a run
        cleans up only what dead runs left (never another live run's table)."""
        token = "".join(c if c.isalnum() else "_" for c in run_id.lower())
        return f"{self.names.user_segments}__staging_{token}"

    def drop_leftovers(self, keep_run: str | None = None) -> list[str]:
        """Drop staging (and MariaDB ``__old_``) tables of output tables that dead runs left behind,
        except ``keep_run``'s; returns their names. Call it only while holding the run lock: then every
        other run is dead."""
        prefixes = (self.names.user_segments, self.names.user_segment_history, self.names.segment_profiles)
        keep = self.staging_table(keep_run) if keep_run else None
        dropped = [
            t for t in self.warehouse.tables()
            if t != keep and any(t.startswith(f"{p}__staging_") or t.startswith(f"{p}__old_") for p in prefixes)
        ]
        for t in dropped:
            self.warehouse.drop_table(t)
        return dropped

    def reap_dead_runs(self) -> list[str]:
        """Mark runs whose process died ``interrupted`` if no run holds the run lock now; returns their ids.

        With a run in progress nothing is marked: that run does it when it starts (or did already).
        """
        try:
            with self.warehouse.run_lock(RUN_LOCK):
                return self.interrupt_dead_runs()
        except RunInProgress:
            return []

    def interrupt_dead_runs(self, keep_run: str | None = None) -> list[str]:
        """Mark ``running`` runs (except ``keep_run``) ``interrupted``; returns their ids. Only while holding
        the run lock: a ``running`` row whose run does not hold it belongs to a process that died."""
        table = self.q(self.names.segment_runs)
        dead = self.warehouse.query(
            f"SELECT {self.q('run_id')} FROM {table} WHERE {self.q('status')} = :s", {"s": "running"}
        )["run_id"].tolist()
        dead = [r for r in dead if r != keep_run]
        error = json.dumps({"type": "Interrupted", "internal": False, "message":
                            "The run's process died (killed, or its connection dropped) before it finished."})
        for run_id in dead:
            self.warehouse.execute(
                f"UPDATE {table} SET {self.q('status')} = :st, {self.q('finished_at')} = :at, {self.q('error')} = :e "
                f"WHERE {self.q('run_id')} = :r AND {self.q('status')} = :running",
                {"st": INTERRUPTED, "at": now_utc(), "e": error, "r": run_id, "running": "running"},
            )
        return dead

    def repair_membership(self) -> str | None:
        """Make ``user_segments`` belong to the last run whose history was committed (``written_at``).

        Only a crash between MariaDB's history commit and its ``RENAME TABLE`` can leave them apart. Then
        the dead run's staging table is swapped in (roll forward); if that table is gone, the run's
        history and profiles are undone (roll back). Returns what was done, or None. Under the run lock.
        """
        wh, names = self.warehouse, self.names
        if not wh.table_exists(names.segment_runs):
            return None
        written = wh.query(
            f"SELECT {self.q('run_id')}, {self.q('written_at')} FROM {self.q(names.segment_runs)} "
            f"WHERE {self.q('written_at')} IS NOT NULL ORDER BY {self.q('written_at')} DESC"
        )
        if written.empty:
            return None
        last, last_at = str(written["run_id"].iloc[0]), pd.Timestamp(written["written_at"].iloc[0]).to_pydatetime()
        current: list[str] = []
        if wh.table_exists(names.user_segments):
            current = [str(r) for r in wh.query(
                f"SELECT {self.q('run_id')} FROM {self.q(names.user_segments)} GROUP BY {self.q('run_id')}")["run_id"]]
        if current == [last]:
            return None
        older = set(written["run_id"].iloc[1:].astype(str))
        if current and not set(current) <= older:
            return None  # written outside a recorded run (or by hand): not ours to change
        staging = self.staging_table(last)
        if wh.table_exists(staging):
            wh.swap_in(staging, names.user_segments)
            return f"swapped in the user_segments of run {last}, whose history was committed before it died"
        hist, at = self.q(names.user_segment_history), {"r": last, "ts": last_at}
        with wh.transaction():
            wh.execute(f"DELETE FROM {hist} WHERE {self.q('run_id')} = :r AND {self.q('valid_from')} = :ts", at)
            wh.execute(f"UPDATE {hist} SET {self.q('valid_to')} = NULL WHERE {self.q('valid_to')} = :ts", {"ts": last_at})
            wh.execute(f"DELETE FROM {self.q(names.segment_profiles)} WHERE {self.q('run_id')} = :r", {"r": last})
            outbox.undo_events(wh, names, last)
            wh.execute(f"UPDATE {self.q(names.segment_runs)} SET {self.q('written_at')} = NULL "
                       f"WHERE {self.q('run_id')} = :r", {"r": last})
        return f"rolled back the history of run {last}: its user_segments were lost before the swap"

    def write_results(
        self,
        run_id: str,
        assignments: pd.DataFrame,
        profiles: pd.DataFrame,
        scored_at: dt.datetime,
    ) -> dict[str, int]:
        """Write membership, history and profiles of one run; returns row counts per table.

        ``assignments``: user_id, segment_id, segment_name, distance. ``profiles``: PROFILE_COLUMNS less run_id.
        """
        user_type = "id" if logical_type(assignments["user_id"].dtype) == "text" else "bigint"
        with self.results(run_id, scored_at, user_type=user_type) as staged:
            self.insert_assignments(staged, assignments)
            staged.profiles = profiles
        return staged.row_counts

    @contextmanager
    def results(self, run_id: str, scored_at: dt.datetime, *, user_type: str) -> Iterator[StagedResults]:
        """Write one run's results: ``with tables.results(run_id, at, user_type="bigint") as staged:``.

        The body fills ``staged.table``, the run's staging table of ``user_segments`` (ASSIGNMENT columns:
        :meth:`insert_assignments` or :meth:`insert_scored`) and sets ``staged.profiles`` (PROFILE_COLUMNS
        less run_id). On leaving, the staging table becomes ``user_segments`` in one atomic swap, in the
        transaction that updates history, appends profiles and sets the run's ``written_at``
        (:meth:`Warehouse.staging` with ``commit``); on failure it is dropped. Where DDL cannot join a
        transaction (MariaDB) the swap follows the commit; if it fails there, the staging table stays for
        the next run's :meth:`repair_membership`. ``staged.row_counts`` then holds rows per table.

        History keeps one open interval per user on its current segment *and name*: a user whose
        segment id or name changed (a rename in ``[segment.names]``) gets the old interval closed and a
        new one opened.
        """
        wh, names = self.warehouse, self.names
        self._ensure_result_tables(user_type)
        staged = StagedResults(run_id, self.staging_table(run_id), scored_at)
        with wh.staging(names.user_segments, name=staged.table, columns=assignment_columns(user_type),
                        commit=lambda: self._commit_history(staged)):
            yield staged
            if staged.profiles is None:
                raise ValueError("Set staged.profiles before the results are written.")
            wh.create_index(staged.table, ["user_id"])
            staged.row_counts[names.user_segments] = wh.row_count(staged.table)
        staged.row_counts[names.segment_profiles] = len(staged.profiles)
        staged.row_counts[names.user_segment_history] = wh.row_count(names.user_segment_history)

    def insert_assignments(self, staged: StagedResults, assignments: pd.DataFrame) -> None:
        """Add rows (user_id, segment_id, segment_name, distance) scored in Python to the staging table."""
        seg = assignments[["user_id", "segment_id", "segment_name", "distance"]].copy()
        seg["run_id"] = staged.run_id
        seg["scored_at"] = pd.Timestamp(staged.scored_at)
        self.warehouse.write_table(staged.table, seg, mode="append")  # the table has its types already

    def insert_scored(self, staged: StagedResults, query: str, params: dict[str, Any] | None = None) -> None:
        """Fill the staging table from ``query`` inside the warehouse: no row passes through Python.

        ``query`` (in the warehouse's dialect, e.g. ``model.sql.bound_scoring_sql``) yields user_id,
        segment_id, segment_name, distance; ``params`` are the values of its ``:name`` placeholders (their
        names must differ from run_id and ts).
        """
        self.warehouse.execute(
            f"INSERT INTO {self.q(staged.table)} (user_id, segment_id, segment_name, distance, run_id, scored_at) "
            f"SELECT q.user_id, q.segment_id, q.segment_name, q.distance, :run_id, :ts FROM ({query}) q",
            {**(params or {}), "run_id": staged.run_id, "ts": staged.scored_at},
        )

    def _ensure_result_tables(self, user_type: str) -> None:
        wh, names = self.warehouse, self.names
        self.ensure_runs_table()
        for table, columns in (
            (names.user_segment_history, _history_columns(user_type)),
            (names.segment_profiles, PROFILE_COLUMNS),
        ):
            if not wh.table_exists(table):
                wh.create_table(table, columns)
                if table == names.user_segment_history:
                    wh.create_index(table, ["user_id"])
        outbox.ensure_tables(wh, names, user_type)  # before the transaction: MariaDB's DDL would commit it

    def _commit_history(self, staged: StagedResults) -> None:
        """History, profiles and ``written_at`` of a staged run (inside the transaction of the swap)."""
        wh, names = self.warehouse, self.names
        hist, st = self.q(names.user_segment_history), self.q(staged.table)
        ts = {"ts": staged.scored_at}
        # Close intervals of users who changed segment (or its name) or are no longer scored ...
        wh.execute(
            f"UPDATE {hist} SET valid_to = :ts WHERE valid_to IS NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {st} s WHERE s.user_id = {hist}.user_id AND s.segment_id = {hist}.segment_id "
            f"AND s.segment_name = {hist}.segment_name)",
            ts,
        )
        # ... and open one for every scored user without an open interval.
        wh.execute(
            f"INSERT INTO {hist} (user_id, segment_id, segment_name, valid_from, valid_to, run_id) "
            f"SELECT s.user_id, s.segment_id, s.segment_name, :ts, NULL, :run_id FROM {st} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {hist} h WHERE h.user_id = s.user_id AND h.valid_to IS NULL)",
            ts | {"run_id": staged.run_id},
        )
        outbox.write_events(wh, names, staged.run_id, staged.scored_at)  # the changes above, as events
        prof = staged.profiles.copy() if staged.profiles is not None else pd.DataFrame()
        prof.insert(0, "run_id", staged.run_id)
        wh.write_table(names.segment_profiles, prof[list(PROFILE_COLUMNS)], mode="append", types=PROFILE_COLUMNS)
        # The marker repair_membership reads: this run's history is committed.
        wh.execute(
            f"UPDATE {self.q(names.segment_runs)} SET {self.q('written_at')} = :ts WHERE {self.q('run_id')} = :r",
            ts | {"r": staged.run_id},
        )


@dataclass
class StagedResults:
    """One run's results on their way in (see :meth:`Tables.results`)."""

    run_id: str
    #: the run's staging table of ``user_segments``
    table: str
    scored_at: dt.datetime
    #: the rows of ``segment_profiles`` (less run_id): set by the body of ``Tables.results``
    profiles: pd.DataFrame | None = None
    #: rows per output table, once written
    row_counts: dict[str, int] = field(default_factory=dict)


def _json_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (json.dumps(v, default=str) if isinstance(v, (dict, list)) else v) for k, v in row.items()
    }
