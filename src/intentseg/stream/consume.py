"""The consumer loop: fetch a bounded batch, apply it in one warehouse transaction, then acknowledge it.

Backpressure comes from the loop's shape: the next batch is fetched only after the previous one committed,
and the broker holds everything else (at most ``max_batch`` messages are in this process at a time). A slow
warehouse therefore slows the consumer; nothing is buffered in memory without bound.

Messages at or before the checkpoint (committed, but the process died before it acknowledged them) are
acknowledged without being applied again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..config import Settings
from ..warehouse import connect
from .apply import Applier, BatchResult
from .brokers import open_source, parse_url


@dataclass
class StreamReport:
    """What one ``intentseg stream`` did, summed over its micro-batches."""

    stream: str
    warehouse: str
    batches: int = 0
    received: int = 0
    accepted: int = 0
    already_loaded: int = 0
    replayed: int = 0  # committed before a crash, acknowledged only now (not applied again)
    quarantined: dict[str, int] = field(default_factory=dict)
    users_scored: int = 0
    membership_events: int = 0
    run_id: str | None = None
    position: str | None = None
    seconds: float = 0.0
    stopped: str = ""

    def add(self, r: BatchResult) -> None:
        self.batches += 1
        self.received += r.received
        self.accepted += r.accepted
        self.already_loaded += r.already_loaded
        for why, n in r.quarantined.items():
            self.quarantined[why] = self.quarantined.get(why, 0) + n
        self.users_scored += r.users_scored
        self.membership_events += r.membership_events
        self.run_id = r.run_id or self.run_id

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def consume(
    settings: Settings,
    source: str,
    *,
    max_batch: int | None = None,
    max_wait_ms: int | None = None,
    stop_after: int | None = None,
    idle_exit_s: float | None = None,
    on_batch: Callable[[StreamReport], None] | None = None,
) -> StreamReport:
    """Read events from the broker URL ``source`` into ``settings.warehouse`` until stopped.

    Stops after ``stop_after`` messages (received or replayed), after ``idle_exit_s`` seconds without a
    message, or on KeyboardInterrupt (Ctrl-C, SIGTERM through the CLI) between batches.
    """
    cfg = settings.stream
    batch = max_batch or cfg.max_batch
    wait_s = (max_wait_ms or cfg.max_wait_ms) / 1000
    url = parse_url(source)
    started = time.perf_counter()
    with connect(settings.warehouse) as wh:
        applier = Applier(wh, settings, url.shown)
        report = StreamReport(url.shown, wh.display_url, position=applier.position)
        line = None if applier.checkpoint is None else int(applier.checkpoint["line"])
        broker = open_source(url, start_after=line, max_batch=batch, ack_wait_s=cfg.ack_wait_s)
        idle_since = time.monotonic()
        try:
            while True:
                messages = broker.fetch(batch, wait_s)
                if not messages:
                    if idle_exit_s is not None and time.monotonic() - idle_since >= idle_exit_s:
                        report.stopped = f"idle for {idle_exit_s:g} s"
                        break
                    continue
                idle_since = time.monotonic()
                done = None if applier.checkpoint is None else int(applier.checkpoint["line"])
                fresh = [m for m in messages if not broker.applied(m, done)]
                report.replayed += len(messages) - len(fresh)
                if fresh:
                    result: BatchResult = wh.retrying(partial(applier.apply, fresh))
                    applier.committed()
                    report.add(result)
                    report.position = applier.position
                broker.ack(messages)  # only now: the batch is committed
                if on_batch:
                    on_batch(report)
                if stop_after is not None and report.received + report.replayed >= stop_after:
                    report.stopped = f"{stop_after} messages"
                    break
        finally:
            broker.close()
    report.seconds = time.perf_counter() - started
    return report
