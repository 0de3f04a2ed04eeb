"""The output tables other jobs read, written so readers never see a half-written table.

- ``user_segments``: current membership, replaced whole by an atomic swap (staging table, then swap).
- ``user_segment_history``: membership intervals; a run closes the intervals of users who changed segment
  (or left) and opens new ones, in one transaction.
- ``segment_profiles``: per run, segment and feature (long format: easy to query in SQL).
- ``segment_runs``: one row per run: status, metrics, the model JSON, row counts.

If the process dies or the connection drops mid-write, the transaction rolls back and the swap never
happens: the previous tables stay intact, and the left-over staging table is dropped by the next run.
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
}
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
        return self.warehouse.quote(name)

    # -- runs --------------------------------------------------------------------------------------
    def ensure_runs_table(self) -> None:
        if not self.warehouse.table_exists(self.names.segment_runs):
            self.warehouse.create_table(self.names.segment_runs, RUN_COLUMNS)

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
        """Run history, newest first (an empty frame when nothing has run yet)."""
        if not self.warehouse.table_exists(self.names.segment_runs):
            return pd.DataFrame(columns=list(RUN_COLUMNS))
        cols = ", ".join(self.q(c) for c in RUN_COLUMNS if c != "model")
        df = self.warehouse.query(
            f"SELECT {cols} FROM {self.q(self.names.segment_runs)} ORDER BY {self.q('started_at')} DESC"
        )
        return df.head(limit) if limit else df

    def run(self, run_id: str | None = None, *, with_model: bool = True) -> dict[str, Any] | None:
        """One run's row (the latest successful fit when ``run_id`` is None)."""
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
    def drop_leftovers(self) -> list[str]:
        """Drop staging tables a killed run left behind; returns their names."""
        prefixes = (self.names.user_segments, self.names.user_segment_history, self.names.segment_profiles)
        dropped = [
            t for t in self.warehouse.tables()
            if any(t.startswith(f"{p}__staging_") or t.startswith(f"{p}__old_") for p in prefixes)
        ]
        for t in dropped:
            self.warehouse.drop_table(t)
        return dropped

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
        user_type = "key" if logical_type(seg["user_id"].dtype) == "text" else "bigint"
        types = {"user_id": user_type, "segment_name": "text", "run_id": "key"}
        staging = self.warehouse.staging_name(self.names.user_segments)
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
        staging = wh.staging_name(self.names.user_segments)
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
        transaction that updates history and appends profiles; on failure it is dropped.
        """
        wh = self.warehouse
        names = self.names
        for table, columns in (
            (names.user_segment_history, _history_columns(user_type)),
            (names.segment_profiles, PROFILE_COLUMNS),
        ):
            if not wh.table_exists(table):
                wh.create_table(table, columns)
                if table == names.user_segment_history:
                    wh.create_index(table, ["user_id"])

        try:
            wh.create_index(staging, ["user_id"])
            n_users = wh.row_count(staging)
            prof = profiles.copy()
            prof.insert(0, "run_id", run_id)
            hist = self.q(names.user_segment_history)
            st = self.q(staging)
            with wh.transaction():
                # Close intervals of users who changed segment or are no longer scored ...
                wh.execute(
                    f"UPDATE {hist} SET valid_to = :ts WHERE valid_to IS NULL AND NOT EXISTS "
                    f"(SELECT 1 FROM {st} s WHERE s.user_id = {hist}.user_id AND s.segment_id = {hist}.segment_id)",
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
                if wh.transactional_ddl:
                    wh.swap_in(staging, names.user_segments)
            if not wh.transactional_ddl:
                wh.swap_in(staging, names.user_segments)  # one atomic RENAME TABLE
        except BaseException:
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
