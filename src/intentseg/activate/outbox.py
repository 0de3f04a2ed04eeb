"""The outbox: each run's membership changes as events, written in the write-back's own transaction.

``segment_events`` gets one row per user whose membership a run changed (STYLE.md 14, the transactional
outbox): ``entered`` (a new open interval, none closed), ``exited`` (an interval closed, none opened: the
user is no longer scored) or ``moved`` (one closed and one opened: another segment id, or a renamed
segment). The rows come from ``user_segment_history`` itself, the intervals the run closed (``valid_to``
= its ``scored_at``) and opened (``valid_from`` = ``scored_at``), by one ``INSERT … SELECT`` inside the
transaction that writes them: a run rolled back leaves no event, a committed one all of its events.

``event_id`` is ``md5(run_id || ':' || user_id)`` (32 hex digits): unique, and the same on every engine.
``segment_deliveries`` holds, per event and destination, what ``intentseg deliver`` did with it.

The tables are created before the write-back transaction (MariaDB commits DDL implicitly).
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import Any

import pandas as pd
import sqlglot
from sqlglot import exp

from ..config import OutputSettings
from ..warehouse import Warehouse
from ..warehouse.dialects import render

#: the kinds of membership change
KINDS = ("entered", "exited", "moved")
#: the version of the events' JSON (docs/activate.md); a change of fields gets a new one
SCHEMA = "intentseg.segment_event/1"
DELIVERY_COLUMNS = {
    "event_id": "key",
    "destination": "key",
    "status": "key",  # pending -> delivered | dead
    "attempts": "bigint",
    "next_attempt_at": "timestamp",
    "last_error": "text",
    "delivered_at": "timestamp",
}
#: delivery statuses
PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
#: engines with an outbox: transactions, unique keys and row locks in the warehouse (Spark has none of
#: them: its runs write no events yet)
OUTBOX_DIALECTS = frozenset({"duckdb", "mysql", "postgres"})


def event_columns(user_id_type: str) -> dict[str, str]:
    """The columns of ``segment_events`` (``user_id`` of the same type as ``user_segment_history``'s)."""
    return {
        "event_id": "key",
        "run_id": "key",
        "user_id": user_id_type,
        "kind": "key",
        "from_segment_id": "bigint",
        "from_segment_name": "text",
        "to_segment_id": "bigint",
        "to_segment_name": "text",
        "occurred_at": "timestamp",
    }


def ensure_tables(wh: Warehouse, names: OutputSettings, user_id_type: str) -> None:
    """Create ``segment_events`` and ``segment_deliveries`` (with their keys) if absent. Outside any
    transaction: MariaDB's DDL would commit it."""
    if wh.dialect not in OUTBOX_DIALECTS:
        return
    if not wh.table_exists(names.segment_events):
        wh.create_table(names.segment_events, event_columns(user_id_type))
        wh.create_unique_index(names.segment_events, ["event_id"])
        wh.create_index(names.segment_events, ["run_id"])
    if not wh.table_exists(names.segment_deliveries):
        wh.create_table(names.segment_deliveries, DELIVERY_COLUMNS)
        wh.create_unique_index(names.segment_deliveries, ["event_id", "destination"])
        wh.create_index(names.segment_deliveries, ["destination", "status", "next_attempt_at", "event_id"])


def write_events(wh: Warehouse, names: OutputSettings, run_id: str, scored_at: dt.datetime) -> None:
    """Add the membership changes run ``run_id`` made to the outbox: call it inside the write-back's
    transaction, after the history intervals are closed and opened."""
    if wh.dialect not in OUTBOX_DIALECTS:
        return
    wh.execute(events_sql(wh.dialect, names), {"run_id": run_id, "ts": scored_at})


def undo_events(wh: Warehouse, names: OutputSettings, run_id: str) -> None:
    """Remove a run's events and their delivery records (its history is being rolled back)."""
    if not wh.table_exists(names.segment_events):
        return
    ev, dl, q = wh.quote_table(names.segment_events), wh.quote_table(names.segment_deliveries), wh.quote
    wh.execute(f"DELETE FROM {dl} WHERE {q('event_id')} IN "
               f"(SELECT {q('event_id')} FROM {ev} WHERE {q('run_id')} = :r)", {"r": run_id})
    wh.execute(f"DELETE FROM {ev} WHERE {q('run_id')} = :r", {"r": run_id})


def events_sql(dialect: str, names: OutputSettings) -> str:
    """The outbox ``INSERT … SELECT`` (``sql/membership_events.sql``) for ``dialect`` and the configured
    table names; ``:run_id`` and ``:ts`` stay placeholders."""
    text = resources.files(__package__).joinpath("sql", "membership_events.sql").read_text(encoding="utf-8")
    body = "".join(line for line in text.splitlines(keepends=True) if not line.lstrip().startswith("--"))
    tree = sqlglot.parse_one(body, read="duckdb")
    tables = {"history": names.user_segment_history, "events": names.segment_events}

    def rename(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.name in tables and not node.db:
            *schema, name = tables[node.name].split(".")
            return exp.table_(name, db=schema[-1] if schema else None, quoted=True, alias=node.alias or None)
        return node

    return render(tree.transform(rename), dialect)


def event_payload(row: dict[str, Any]) -> dict[str, Any]:
    """The JSON of one event (docs/activate.md), from a ``segment_events`` row."""

    def segment(prefix: str) -> dict[str, Any] | None:
        sid = row.get(f"{prefix}_segment_id")
        if sid is None or pd.isna(sid):
            return None
        return {"id": int(sid), "name": str(row.get(f"{prefix}_segment_name"))}

    user = row["user_id"]
    occurred = pd.Timestamp(row["occurred_at"])
    return {
        "schema": SCHEMA,
        "event_id": str(row["event_id"]),
        "kind": str(row["kind"]),
        "run_id": str(row["run_id"]),
        "user_id": user if isinstance(user, str) else int(user),
        "from_segment": segment("from"),
        "to_segment": segment("to"),
        "occurred_at": occurred.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
