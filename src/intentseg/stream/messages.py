"""Broker messages to events: decode each message's JSON, validate it exactly as ``intentseg ingest`` does.

A message is one JSON object, one event (docs/stream.md)::

    {"source": "clickstream", "event_id": "c-0001", "user_id": 42, "timestamp": "2026-11-25T10:00:00Z",
     "url": "/sports/a", "referrer": "google.com", "device": "mobile", "time_spent": 31}

``source`` is one of the three sources; the other keys are that source's columns (schema.py), optional
ones may be left out. ``event_id`` is optional: when given it is the event's id in the warehouse (the
producer's own id, deduplicated on), else the id is the hash ingest computes from the event's values.

A message that is no JSON object, or names no known source, is quarantined in the stream's own table
(``stream.quarantine_table``); a message of a known source whose values break an ingest rule goes to that
source's ``<table>_quarantine`` with ingest's reason. Every message ends up in exactly one place.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from ..ingest.readers import RawBatch, _json_batch
from ..ingest.validate import Checked, Rules, check
from ..schema import SOURCES

#: reasons of the stream's own quarantine table (the others are ingest's, validate.REASONS)
STREAM_REASONS = {
    "invalid_utf8": "the message is not UTF-8 text",
    "malformed_row": "the message is not one JSON object",
    "unknown_source": "the message's source is missing or not clickstream, search_queries or article_views",
}


@dataclass(frozen=True)
class Message:
    """One broker message: its position in the broker's words (a NATS stream sequence, a Redis entry id, a
    RabbitMQ message id), the same as a whole number (``line``, kept with a quarantined message), its bytes."""

    position: str
    line: int
    data: bytes


@dataclass
class Decoded:
    """A batch of messages split by source, with what could not be read at all."""

    by_source: dict[str, RawBatch] = field(default_factory=dict)
    #: the producer's event ids, per source, per row of ``by_source[source].table`` (None: computed)
    event_ids: dict[str, list[str | None]] = field(default_factory=dict)
    #: (line, reason, raw text) of messages that name no source or are not JSON objects
    unreadable: list[tuple[int, str, str]] = field(default_factory=list)


def _raw_text(data: bytes) -> str:
    return json.dumps({"_text": data.decode("utf-8", "backslashreplace")}, ensure_ascii=False)


def decode(messages: Sequence[Message]) -> Decoded:
    """Parse each message; group the JSON objects by their ``source``."""
    rows: dict[str, list[dict[str, Any]]] = {}
    lines: dict[str, list[int]] = {}
    out = Decoded()
    for m in messages:
        try:
            obj = json.loads(m.data.decode("utf-8"))
        except UnicodeDecodeError:
            out.unreadable.append((m.line, "invalid_utf8", _raw_text(m.data)))
            continue
        except ValueError:
            obj = None
        if not isinstance(obj, dict):
            out.unreadable.append((m.line, "malformed_row", _raw_text(m.data)))
            continue
        source = obj.pop("source", None)
        if not isinstance(source, str) or source not in SOURCES:
            obj["source"] = source
            out.unreadable.append((m.line, "unknown_source", json.dumps(obj, ensure_ascii=False, default=str)))
            continue
        producer_id = obj.pop("event_id", None)
        known = {c.name for c in SOURCES[source].columns}
        row = {k: v for k, v in obj.items() if k in known}
        rows.setdefault(source, []).append(row)
        lines.setdefault(source, []).append(m.line)
        out.event_ids.setdefault(source, []).append(None if producer_id in (None, "") else str(producer_id))
    for source, source_rows in rows.items():
        out.by_source[source] = _json_batch(source_rows, lines[source], [])
    return out


def validate(batch: RawBatch, source: str, rules: Rules, producer_ids: list[str | None]) -> Checked:
    """Ingest's validation of one source's messages; producer event ids replace the computed ones."""
    columns = {c.name: (c.name if c.name in batch.table.column_names else None) for c in SOURCES[source].columns}
    checked = check(batch, SOURCES[source], columns, rules)
    return _swap_ids(checked, producer_ids) if any(producer_ids) else checked


def _swap_ids(checked: Checked, producer_ids: list[str | None]) -> Checked:
    """Replace the computed event ids by the producer's where given; a repeat of a producer id inside the
    batch is quarantined as ``duplicate``, as ingest does with a repeated event."""
    ids = checked.events.column("event_id").to_pylist()
    chosen = [producer_ids[r] or ids[j] for j, r in enumerate(checked.event_rows.tolist())]
    seen: set[str] = set()
    keep = np.ones(len(chosen), bool)
    for j, key in enumerate(chosen):
        if key in seen:
            keep[j] = False
            checked.reason[checked.event_rows[j]] = "duplicate"
        seen.add(key)
    events = checked.events.set_column(checked.events.column_names.index("event_id"), "event_id",
                                       pa.array(chosen, pa.string()))
    checked.events = events.filter(pa.array(keep))
    checked.event_rows = checked.event_rows[keep]
    return checked
