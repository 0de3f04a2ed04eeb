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
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .config import OutputSettings
from .warehouse import Warehouse
from .warehouse.base import logical_type

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

    def runs(self, limit: int | None = None) -> pd.DataFrame:
        """Run history, newest first (an empty frame when nothing has run yet).

        Runs whose process died are marked ``interrupted`` first, when no run holds the lock.
        """
        if not self.warehouse.table_exists(self.names.segment_runs):
            return pd.DataFrame(columns=list(RUN_COLUMNS))
        from .runs import reap_dead_runs

        reap_dead_runs(self)
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
        seg = assignments[["user_id", "segment_id", "segment_name", "distance"]].copy()
        seg["run_id"] = run_id
        seg["scored_at"] = pd.Timestamp(scored_at)
        user_type = "id" if logical_type(seg["user_id"].dtype) == "text" else "bigint"
        types = {"user_id": user_type, "segment_name": "text", "run_id": "key"}
        staging = self.staging_table(run_id)
        self.warehouse.drop_table(staging)  # this run's own, left by a failed attempt
        self.warehouse.write_table(staging, seg, mode="create", types=types)
        return self.write_staged_results(run_id, staging, profiles, scored_at, user_type=user_type)

    def stage_assignments(
        self, run_id: str, query: str, scored_at: dt.datetime, *, user_type: str, params: dict[str, Any] | None = None
    ) -> str:
        """Fill a new staging table of ``user_segments`` from ``query`` inside the warehouse; returns its name.

        ``query`` (in the warehouse's dialect, e.g. ``model.sql.bound_scoring_sql``) yields user_id,
        segment_id, segment_name, distance; ``params`` are the values of its ``:name`` placeholders (their
        names must differ from run_id and ts). No row passes through Python.
        """
        wh = self.warehouse
        staging = self.staging_table(run_id)
        wh.drop_table(staging)  # this run's own, left by a failed attempt
        wh.create_table(staging, assignment_columns(user_type))
        try:
            wh.execute(
                f"INSERT INTO {self.q(staging)} (user_id, segment_id, segment_name, distance, run_id, scored_at) "
                f"SELECT q.user_id, q.segment_id, q.segment_name, q.distance, :run_id, :ts FROM ({query}) q",
                {**(params or {}), "run_id": run_id, "ts": scored_at},
            )
        except BaseException:
            wh.drop_table(staging)
            raise
        return staging

    def write_staged_results(
        self,
        run_id: str,
        staging: str,
        profiles: pd.DataFrame,
        scored_at: dt.datetime,
        *,
        user_type: str,
    ) -> dict[str, int]:
        """Like :meth:`write_results`, from a staging table of ``user_segments`` already in the warehouse.

        The staging table (ASSIGNMENT columns) becomes ``user_segments`` in one atomic swap, in the
        transaction that updates history, appends profiles and sets the run's ``written_at``; on failure
        it is dropped. Where DDL cannot join a transaction (MariaDB) the swap follows the commit; if it
        fails there, the staging table stays for the next run's :meth:`repair_membership`.

        History keeps one open interval per user on its current segment *and name*: a user whose
        segment id or name changed (a rename in ``[segment.names]``) gets the old interval closed and a
        new one opened.
        """
        wh = self.warehouse
        names = self.names
        self.ensure_runs_table()
        for table, columns in (
            (names.user_segment_history, _history_columns(user_type)),
            (names.segment_profiles, PROFILE_COLUMNS),
        ):
            if not wh.table_exists(table):
                wh.create_table(table, columns)
                if table == names.user_segment_history:
                    wh.create_index(table, ["user_id"])

        committed = False
        try:
            wh.create_index(staging, ["user_id"])
            n_users = wh.row_count(staging)
            prof = profiles.copy()
            prof.insert(0, "run_id", run_id)
            hist = self.q(names.user_segment_history)
            st = self.q(staging)
            with wh.transaction():
                # Close intervals of users who changed segment (or its name) or are no longer scored ...
                wh.execute(
                    f"UPDATE {hist} SET valid_to = :ts WHERE valid_to IS NULL AND NOT EXISTS "
                    f"(SELECT 1 FROM {st} s WHERE s.user_id = {hist}.user_id AND s.segment_id = {hist}.segment_id "
                    f"AND s.segment_name = {hist}.segment_name)",
                    {"ts": scored_at},
                )
                # ... and open one for every scored user without an open interval.
                wh.execute(
                    f"INSERT INTO {hist} (user_id, segment_id, segment_name, valid_from, valid_to, run_id) "
                    f"SELECT s.user_id, s.segment_id, s.segment_name, :ts, NULL, :run_id FROM {st} s "
                    f"WHERE NOT EXISTS (SELECT 1 FROM {hist} h WHERE h.user_id = s.user_id AND h.valid_to IS NULL)",
                    {"ts": scored_at, "run_id": run_id},
                )
                wh.write_table(names.segment_profiles, prof[list(PROFILE_COLUMNS)], mode="append", types=PROFILE_COLUMNS)
                # The marker repair_membership reads: this run's history is committed.
                wh.execute(
                    f"UPDATE {self.q(names.segment_runs)} SET {self.q('written_at')} = :ts WHERE {self.q('run_id')} = :r",
                    {"ts": scored_at, "r": run_id},
                )
                if wh.transactional_ddl:
                    wh.swap_in(staging, names.user_segments)
            committed = True
            if not wh.transactional_ddl:
                wh.swap_in(staging, names.user_segments)  # one atomic RENAME TABLE
        except BaseException:
            if not committed:
                wh.drop_table(staging)
            raise
        history_rows = wh.row_count(names.user_segment_history)
        return {
            names.user_segments: n_users,
            names.segment_profiles: len(prof),
            names.user_segment_history: history_rows,
        }


def _json_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (json.dumps(v, default=str) if isinstance(v, (dict, list)) else v) for k, v in row.items()
    }
