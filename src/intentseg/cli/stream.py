"""``intentseg stream``: a thin command over intentseg.stream.consume (docs/stream.md)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ..config import load_settings
from .app import app, console, out, print_json
from .pipeline import CONFIG, JSON, WAREHOUSE


@app.command("stream")
def stream_command(
    source: str = typer.Option(..., "--from", help="nats://HOST:4222/SUBJECT, redis://HOST:6379/STREAM or "
                                                   "amqp://USER:PW@HOST:5672/QUEUE."),
    warehouse: str | None = WAREHOUSE,
    config: Path | None = CONFIG,
    max_batch: int | None = typer.Option(None, "--max-batch", min=1, max=100_000,
                                         help="Messages per micro-batch and in flight (default: stream.max_batch)."),
    max_wait_ms: int | None = typer.Option(None, "--max-wait-ms", min=1,
                                           help="How long a micro-batch waits to fill (default: stream.max_wait_ms)."),
    stop_after: int | None = typer.Option(None, "--stop-after", min=1, help="Stop after this many messages."),
    idle_exit: float | None = typer.Option(None, "--idle-exit", min=0, help="Stop after this many seconds without a message."),
    as_json: bool = JSON,
) -> None:
    """Apply events from a broker in micro-batches: validate, load, update the users' features and segments, outbox."""
    import signal

    from ..stream import StreamReport, consume

    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a scheduler's stop ends it like Ctrl-C
    settings = load_settings(config, overrides={"warehouse": warehouse})

    def progress(report: StreamReport) -> None:
        if not as_json and report.batches % 20 == 1:
            console.print(f"· {report.batches:,} batches: {report.received:,} messages, {report.accepted:,} new events, "
                          f"{sum(report.quarantined.values()):,} quarantined, position {report.position}")

    try:
        report = consume(settings, source, max_batch=max_batch, max_wait_ms=max_wait_ms, stop_after=stop_after,
                         idle_exit_s=idle_exit, on_batch=progress)
    except KeyboardInterrupt:  # between or inside a batch: what was not committed is sent again by the broker
        console.print("Stopped.")
        return
    if as_json:
        print_json(report.to_dict())
        return
    table = Table(title=f"Stream {report.stream}")
    for col in ("batches", "messages", "new events", "already loaded", "replayed", "quarantined", "users scored",
                "membership events", "position"):
        table.add_column(col)
    table.add_row(f"{report.batches:,}", f"{report.received:,}", f"{report.accepted:,}", f"{report.already_loaded:,}",
                  f"{report.replayed:,}", f"{sum(report.quarantined.values()):,}", f"{report.users_scored:,}",
                  f"{report.membership_events:,}", str(report.position))
    out.print(table)
    if report.quarantined:
        out.print("Quarantined: " + ", ".join(f"{k} {v:,}" for k, v in sorted(report.quarantined.items())))
