"""Segments in action: membership events delivered to webhooks and brokers, and audience files.

- ``outbox.py``: each run's membership changes (entered, exited, moved) written as events to
  ``segment_events`` in the write-back's own transaction;
- ``queue.py``: per event and destination the delivery state (``segment_deliveries``), claimed under
  row locks so several deliverers can run at once;
- ``destinations.py``: webhook (HMAC-signed), RabbitMQ, Redis Streams, NATS JetStream;
- ``deliver.py``: ``deliver``, at least once: an event is marked delivered only once acknowledged;
- ``export.py``: ``export_audience``, a segment's members as a CSV or Parquet file.

Heavy or optional modules are imported when used: importing this package costs nothing.
"""

from __future__ import annotations

from typing import Any

__all__ = ["deliver", "export_audience"]


def __getattr__(name: str) -> Any:
    if name == "deliver":
        from .deliver import deliver

        return deliver
    if name == "export_audience":
        from .export import export_audience

        return export_audience
    raise AttributeError(name)
