"""Delivery state in the warehouse: per event and destination a ``segment_deliveries`` row.

- :func:`enqueue` adds a ``pending`` row for every outbox event a destination has none for, under the
  destination's advisory lock (the run-lock kind: ``pg_try_advisory_lock``, ``GET_LOCK``, ``flock``), so
  two deliverers never insert the same row; the unique key (event_id, destination) guards it too.
- :func:`claimed` takes a batch of due rows in a transaction. Where the engine has row locks
  (``FOR UPDATE SKIP LOCKED``: PostgreSQL, MariaDB 10.6+) a second deliverer skips the rows the first
  holds and takes others; elsewhere (DuckDB) the caller holds the destination's lock for the batch. The
  batch is marked in the same transaction once its events were sent: a process killed before the commit
  leaves its rows ``pending`` (they are sent again: at least once).
- :func:`mark` records each outcome: ``delivered`` with its time, or another try after an exponential
  backoff with jitter, or ``dead`` (the dead letter, kept with its last error) after ``max_attempts``
  tries or a failure no retry can help.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..config import DestinationSettings, OutputSettings
from ..warehouse import Warehouse
from .destinations import Failure
from .outbox import DEAD, DELIVERED, PENDING, event_payload

#: the row-locking clause of engines whose deliverers share work (engine differences as data)
ROW_LOCKS = {"postgres": " FOR UPDATE SKIP LOCKED", "mysql": " FOR UPDATE SKIP LOCKED"}
#: said first in a claim's transaction: MariaDB's default REPEATABLE READ takes gap locks on the index the
#: claim scans, and two deliverers marking their batches then deadlock; READ COMMITTED (PostgreSQL's
#: default) locks the claimed rows alone
CLAIM_ISOLATION = {"mysql": "SET TRANSACTION ISOLATION LEVEL READ COMMITTED"}


def lock_name(destination: str) -> str:
    """The advisory lock of one destination's queue (safe as a file name: destination names are checked)."""
    return f"intentseg-deliver-{destination}"


@dataclass
class Claim:
    """One claimed event: its JSON and the tries before this one."""

    event: dict[str, Any]
    attempts: int


class Queue:
    """The deliveries of one destination in one warehouse."""

    def __init__(self, wh: Warehouse, names: OutputSettings, destination: str) -> None:
        self.wh, self.names, self.destination = wh, names, destination
        self.events, self.deliveries = wh.quote_table(names.segment_events), wh.quote_table(names.segment_deliveries)

    def ready(self) -> bool:
        """Whether the outbox exists (a run has written to this warehouse)."""
        return self.wh.table_exists(self.names.segment_events) and self.wh.table_exists(self.names.segment_deliveries)

    def enqueue(self) -> None:
        """A ``pending`` row for each event this destination has none for (call it holding :func:`lock_name`)."""
        q = self.wh.quote
        self.wh.execute(
            f"INSERT INTO {self.deliveries} ({q('event_id')}, {q('destination')}, {q('status')}, {q('attempts')}, "
            f"{q('next_attempt_at')}, {q('last_error')}, {q('delivered_at')}) "
            f"SELECT e.{q('event_id')}, :d, :pending, 0, e.{q('occurred_at')}, NULL, NULL FROM {self.events} e "
            f"WHERE NOT EXISTS (SELECT 1 FROM {self.deliveries} x WHERE x.{q('event_id')} = e.{q('event_id')} "
            f"AND x.{q('destination')} = :d2)",  # two names: PostgreSQL deduces a type per use
            {"d": self.destination, "d2": self.destination, "pending": PENDING},
        )

    @contextmanager
    def claimed(self, limit: int, now: dt.datetime) -> Iterator[list[Claim]]:
        """Up to ``limit`` due events, oldest first, locked until the block ends (and its marks commit)."""
        q, wh = self.wh.quote, self.wh
        with wh.transaction():
            if wh.dialect in CLAIM_ISOLATION:
                wh.execute(CLAIM_ISOLATION[wh.dialect])
            rows = wh.query(
                f"SELECT {q('event_id')}, {q('attempts')} FROM {self.deliveries} WHERE {q('destination')} = :d "
                f"AND {q('status')} = :pending AND {q('next_attempt_at')} <= :now "
                f"ORDER BY {q('next_attempt_at')}, {q('event_id')} LIMIT {int(limit)}{ROW_LOCKS.get(wh.dialect, '')}",
                {"d": self.destination, "pending": PENDING, "now": now},
            )
            if rows.empty:
                yield []
                return
            ids = [str(e) for e in rows["event_id"]]
            marks, params = _in_list(ids)
            found = wh.query(f"SELECT * FROM {self.events} WHERE {q('event_id')} IN ({marks})", params)
            by_id = {str(r["event_id"]): r for r in found.to_dict("records")}
            attempts = dict(zip(ids, (int(a) for a in rows["attempts"])))
            yield [Claim(event_payload(by_id[e]), attempts[e]) for e in ids if e in by_id]

    def mark(self, claims: list[Claim], outcomes: list[Failure | None], settings: DestinationSettings,
             now: dt.datetime) -> dict[str, int]:
        """Record each claim's outcome (inside :meth:`claimed`); returns counts: delivered, retrying, dead."""
        q, wh = self.wh.quote, self.wh
        done = [c.event["event_id"] for c, o in zip(claims, outcomes) if o is None]
        counts = {"delivered": len(done), "retrying": 0, "dead": 0}
        if done:
            marks, params = _in_list(done)
            wh.execute(
                f"UPDATE {self.deliveries} SET {q('status')} = :st, {q('attempts')} = {q('attempts')} + 1, "
                f"{q('delivered_at')} = :now, {q('last_error')} = NULL "
                f"WHERE {q('destination')} = :d AND {q('event_id')} IN ({marks})",
                params | {"st": DELIVERED, "now": now, "d": self.destination},
            )
        for claim, failure in zip(claims, outcomes):
            if failure is None:
                continue
            tries = claim.attempts + 1
            dead = failure.permanent or tries >= settings.max_attempts
            counts["dead" if dead else "retrying"] += 1
            wh.execute(
                f"UPDATE {self.deliveries} SET {q('status')} = :st, {q('attempts')} = :n, "
                f"{q('next_attempt_at')} = :next, {q('last_error')} = :err "
                f"WHERE {q('destination')} = :d AND {q('event_id')} = :e",
                {"st": DEAD if dead else PENDING, "n": tries, "err": failure.error[:1000], "d": self.destination,
                 "next": now + dt.timedelta(seconds=backoff_s(tries, settings, failure.retry_after_s)),
                 "e": claim.event["event_id"]},
            )
        return counts

    def counts(self) -> dict[str, int]:
        """Rows per status of this destination."""
        q = self.wh.quote
        df = self.wh.query(f"SELECT {q('status')} AS status, COUNT(*) AS n FROM {self.deliveries} "
                           f"WHERE {q('destination')} = :d GROUP BY {q('status')}", {"d": self.destination})
        return {str(s): int(n) for s, n in zip(df["status"], df["n"])}

    def dead_letters(self, limit: int = 20) -> pd.DataFrame:
        """Dead events of this destination with their last error, newest first."""
        q = self.wh.quote
        return self.wh.query(
            f"SELECT {q('event_id')}, {q('attempts')}, {q('last_error')}, {q('next_attempt_at')} FROM {self.deliveries} "
            f"WHERE {q('destination')} = :d AND {q('status')} = :dead ORDER BY {q('next_attempt_at')} DESC "
            f"LIMIT {int(limit)}",
            {"d": self.destination, "dead": DEAD},
        )


def backoff_s(tries: int, settings: DestinationSettings, retry_after_s: float | None = None) -> float:
    """Seconds before try ``tries + 1``: ``backoff_s * 2**(tries-1)`` capped at ``backoff_max_s``, then a
    random 50-100 % of it (jitter: deliverers that failed together do not retry together); at least what
    the destination asked for (``Retry-After``)."""
    base = min(settings.backoff_max_s, settings.backoff_s * 2 ** max(0, tries - 1))
    return max(base * random.uniform(0.5, 1.0), retry_after_s or 0.0)


def _in_list(values: list[str]) -> tuple[str, dict[str, Any]]:
    params = {f"v{i}": v for i, v in enumerate(values)}
    return ", ".join(f":{k}" for k in params), params
