"""``deliver`` and ``export``: thin commands over intentseg.activate (docs/activate.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from ..config import load_settings
from .app import app, check_writable, console, out, print_json
from .pipeline import CONFIG, JSON, WAREHOUSE, _warehouse

if TYPE_CHECKING:
    from ..activate.deliver import DeliveryReport


def delivery_table(report: "DeliveryReport") -> Table:
    table = Table(title="Delivery")
    for col in ("destination", "where", "delivered", "to retry", "dead", "pending now", "last error"):
        table.add_column(col, overflow="fold")
    for d in report.destinations:
        table.add_row(d.name, d.where, f"{d.delivered:,}", f"{d.retrying:,}", f"{d.dead:,}",
                      f"{d.status.get('pending', 0):,}", d.last_error or "")
    return table


def deliver_and_report(settings: Any, *, destination: str | None = None, follow: bool = False,
                       as_json: bool = False) -> None:
    """Deliver (``intentseg deliver``, ``run --deliver``), print the counts, exit 6 if an event failed."""
    from ..activate.deliver import deliver

    def progress(report: "DeliveryReport") -> None:
        if follow and not as_json:
            moved = sum(d.delivered for d in report.destinations)
            console.print(f"· pass {report.passes}: {moved:,} delivered so far"
                          + (f" (warehouse not reachable: {report.waiting})" if report.waiting else ""))

    try:
        report = deliver(settings, destination=destination, follow=follow, progress=progress)
    except KeyboardInterrupt:  # --follow ends with Ctrl-C or SIGTERM: what is not marked is sent again later
        console.print("Stopped.")
        return
    if as_json:
        print_json(report.to_dict())
    else:
        out.print(delivery_table(report))
    report.raise_for_failures()


@app.command("deliver")
def deliver_cmd(
    warehouse: str | None = WAREHOUSE,
    config: Path | None = CONFIG,
    destination: str | None = typer.Option(None, "--destination", "-d", help="Only this configured destination."),
    once: bool = typer.Option(True, "--once/--follow",
                              help="--once: send what is due now, then exit (default); --follow: keep polling."),
    as_json: bool = JSON,
) -> None:
    """Send membership events (entered, exited, moved) to webhooks, RabbitMQ, Redis Streams, NATS, at least once."""
    import signal

    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a scheduler's stop ends --follow like Ctrl-C
    settings = load_settings(config, overrides={"warehouse": warehouse})
    deliver_and_report(settings, destination=destination, follow=not once, as_json=as_json)


@app.command("export")
def export_cmd(
    segment: str = typer.Option(..., "--segment", "-s", help="The segment: its name (or its id)."),
    out_path: Path = typer.Option(..., "--out", "-o", help="The file to write (replaced atomically)."),
    fmt: str = typer.Option("csv", "--format", "-f", help="csv or parquet."),
    run_id: str | None = typer.Option(None, "--run", help="The membership a run left (default: the current one)."),
    warehouse: str | None = WAREHOUSE,
    config: Path | None = CONFIG,
    as_json: bool = JSON,
) -> None:
    """Write an audience file: the user ids of one segment, with segment id, name and since when."""
    from ..activate.export import export_audience

    check_writable(out_path, "--out")
    with _warehouse(warehouse, config) as (wh, settings):
        audience = export_audience(wh, settings.output, segment, out_path, fmt=fmt, run_id=run_id)
    if as_json:
        print_json(audience.to_dict())
        return
    out.print(f"Wrote {audience.n_users:,} users of segment {audience.segment_id} {audience.segment_name!r} "
              f"(run {audience.run_id}) to {audience.path}")
