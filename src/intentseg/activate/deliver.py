"""``deliver``: send the outbox's events to the configured destinations, at least once.

For each destination: add a delivery row for every new event (:meth:`Queue.enqueue`), then claim due
events in batches, send them, and mark each batch in the transaction that claimed it. An event is marked
``delivered`` only after the destination acknowledged it; a process killed before that commit leaves it
``pending``, and the next ``deliver`` sends it again. Consumers dedupe on ``event_id``.

``once`` (the default) sends every event that is due now and returns; ``follow`` keeps polling the
outbox every ``deliver.poll_s`` seconds until interrupted. Following, the warehouse is connected afresh
for each pass, so a DuckDB file is free for ``intentseg run`` in between.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from ..config import Settings, load_settings
from ..errors import ConfigError, DeliveryFailed, RunInProgress, WarehouseQueryError, WarehouseUnavailable
from ..warehouse import Warehouse, connect
from ..writeback import now_utc
from .destinations import Destination, open_destination
from .queue import ROW_LOCKS, Queue, lock_name

#: how long a deliverer waits for another one's short enqueue step
ENQUEUE_WAIT_S = 30.0
#: deadlocks between deliverers one pass rides out (each resends its batch) before it gives up
MAX_CONFLICTS = 5


@dataclass
class DestinationReport:
    """What one ``deliver`` did for one destination, and where its queue stands."""

    name: str
    where: str
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    #: rows per status after the last pass (pending, delivered, dead)
    status: dict[str, int] = field(default_factory=dict)
    last_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"destination": self.name, "where": self.where, "delivered": self.delivered, "retrying": self.retrying,
                "dead": self.dead, "status": self.status, "last_error": self.last_error}


@dataclass
class DeliveryReport:
    destinations: list[DestinationReport]
    passes: int = 0
    #: following: why the last pass could not reach the warehouse (it is tried again next pass)
    waiting: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"passes": self.passes, "destinations": [d.to_dict() for d in self.destinations]}

    def raise_for_failures(self) -> None:
        """DeliveryFailed (exit 6) when an event failed in this ``deliver``: it waits for a retry or is dead."""
        failed = [d for d in self.destinations if d.retrying or d.dead]
        if failed:
            parts = "; ".join(f"{d.name}: {d.retrying} to retry, {d.dead} dead (last error: {d.last_error})" for d in failed)
            raise DeliveryFailed(
                f"Some events were not delivered: {parts}.",
                hint="Fix the destination (URL, credentials, the receiving side); pending events are retried by the "
                     "next `intentseg deliver`, dead ones are kept in segment_deliveries with their last error.",
            )


def _destinations(settings: Settings, only: str | None) -> dict[str, Any]:
    configured = settings.deliver.destinations
    if not configured:
        raise ConfigError("No destinations configured: nothing to deliver to.",
                          hint="Add a [deliver.destinations.NAME] section to intentseg.toml (docs/activate.md).")
    if only is not None and only not in configured:
        raise ConfigError(f"No destination named {only!r}.", hint=f"Configured: {', '.join(sorted(configured))}.")
    return {n: s for n, s in configured.items() if only is None or n == only}


def deliver_pass(wh: Warehouse, settings: Settings, dest: Destination, report: DestinationReport) -> None:
    """Send every event of ``dest`` that is due now (one pass)."""
    queue = Queue(wh, settings.output, dest.name)
    if not queue.ready():
        return
    row_locks = wh.dialect in ROW_LOCKS
    with wh.run_lock(lock_name(dest.name), wait_s=ENQUEUE_WAIT_S):
        queue.enqueue()
    # without row locks, one deliverer per destination at a time: the lock is held for the whole pass
    with nullcontext() if row_locks else wh.run_lock(lock_name(dest.name), wait_s=ENQUEUE_WAIT_S):
        started = now_utc()  # events that fail now come due after it: this pass does not retry them
        conflicts = 0
        while True:
            try:
                with queue.claimed(settings.deliver.batch_size, started) as batch:
                    if not batch:
                        break
                    outcomes = dest.send([c.event for c in batch])
                    counts = queue.mark(batch, outcomes, dest.settings, now_utc())
            except WarehouseQueryError as exc:
                # a deadlock between deliverers rolled the marks back: the batch stays pending and is sent
                # again (at least once); any other error, or conflicts that persist, end the pass
                conflicts += 1
                if not wh.is_transient(exc) or conflicts > MAX_CONFLICTS:
                    raise
                continue
            report.delivered += counts["delivered"]
            report.retrying += counts["retrying"]
            report.dead += counts["dead"]
            errors = [o.error for o in outcomes if o is not None]
            report.last_error = errors[-1] if errors else report.last_error
    report.status = queue.counts()


@contextmanager
def _opened(settings: Settings, only: str | None) -> Iterator[list[Destination]]:
    opened: list[Destination] = []
    try:
        for name, dest_settings in _destinations(settings, only).items():
            opened.append(open_destination(name, dest_settings))
        yield opened
    finally:
        for dest in opened:
            dest.close()


def deliver(
    settings: Settings | None = None,
    *,
    warehouse: str | Warehouse | None = None,
    destination: str | None = None,
    follow: bool = False,
    should_stop: Callable[[], bool] | None = None,
    progress: Callable[[DeliveryReport], None] | None = None,
) -> DeliveryReport:
    """Send the outbox's events to the configured destinations (or only ``destination``).

    ``follow``: keep polling every ``deliver.poll_s`` seconds until ``should_stop()`` is true (or the
    process is interrupted); ``progress`` is called after each pass. Returns counts per destination;
    :meth:`DeliveryReport.raise_for_failures` turns failures into an error.
    """
    settings = settings or load_settings(overrides={"warehouse": warehouse if isinstance(warehouse, str) else None})
    url = warehouse if isinstance(warehouse, str) else settings.warehouse
    with _opened(settings, destination) as dests:
        report = DeliveryReport([DestinationReport(d.name, d.where) for d in dests])
        while True:
            report.waiting = None
            try:
                _one_pass(warehouse if isinstance(warehouse, Warehouse) else url, settings, dests, report)
            except (RunInProgress, WarehouseUnavailable) as exc:  # following: a run holds the file, a server restarts
                if not follow:
                    raise
                report.waiting = exc.message
            report.passes += 1
            if progress is not None:
                progress(report)
            if not follow or (should_stop is not None and should_stop()):
                return report
            time.sleep(settings.deliver.poll_s)


def _one_pass(warehouse: str | Warehouse, settings: Settings, dests: list[Destination],
              report: DeliveryReport) -> None:
    wh = warehouse if isinstance(warehouse, Warehouse) else connect(warehouse)
    try:
        for dest, dest_report in zip(dests, report.destinations):
            deliver_pass(wh, settings, dest, dest_report)
    finally:
        if not isinstance(warehouse, Warehouse):
            wh.close()
