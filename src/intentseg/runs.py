"""One run at a time per warehouse, and the clean-up after runs whose process died.

A run (``intentseg run`` or ``assign``) holds the warehouse's run lock (:meth:`Warehouse.run_lock`: an
advisory lock on PostgreSQL, ``GET_LOCK`` on MariaDB, ``flock`` beside a DuckDB file) from before its
``segment_runs`` row is written until it has finished. A second run meanwhile fails fast with
:class:`~intentseg.errors.RunInProgress` (exit 5), or waits ``wait_s`` seconds for the lock.

The lock dies with its holder, so whoever holds it knows every other run is dead: a ``running`` row is a
process that was killed. Taking the lock, a run first repairs what such a run may have left —
``user_segments`` out of step with the committed history (MariaDB), staging tables — and marks it
``interrupted``. ``intentseg runs`` marks dead runs too, when no run holds the lock
(``Tables.reap_dead_runs``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from .writeback import RUN_LOCK, Tables

__all__ = ["RUN_LOCK", "Recovery", "exclusive_run", "recover"]


@dataclass
class Recovery:
    """What a run found and fixed when it took the lock."""

    interrupted: list[str] = field(default_factory=list)
    repaired: str | None = None
    dropped: list[str] = field(default_factory=list)


def recover(tables: Tables, run_id: str | None = None) -> Recovery:
    """Repair after dead runs (the caller holds the run lock; ``run_id`` is its own run, if any)."""
    repaired = tables.repair_membership()  # before dropping: it may need a dead run's staging table
    dropped = tables.drop_leftovers(keep_run=run_id)
    interrupted = tables.interrupt_dead_runs(keep_run=run_id) if tables.warehouse.table_exists(
        tables.names.segment_runs) else []
    return Recovery(interrupted=interrupted, repaired=repaired, dropped=dropped)


@contextmanager
def exclusive_run(tables: Tables, run_id: str, *, wait_s: float = 0) -> Iterator[Recovery]:
    """Hold the run lock for ``run_id`` and clean up after dead runs; yields what was cleaned."""
    with tables.warehouse.run_lock(RUN_LOCK, wait_s=wait_s):
        yield recover(tables, run_id)
