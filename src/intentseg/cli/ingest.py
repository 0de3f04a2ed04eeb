"""``intentseg ingest`` and ``intentseg sources``: thin commands over :mod:`intentseg.ingest`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from ..config import load_settings
from ..errors import InputError
from ..ingest import describe_sources, ingest
from .app import PRESET, app, out, print_json

_WAREHOUSE = typer.Option(None, "--warehouse", "-w", help="Warehouse URL (default: settings, then duckdb:///intentseg.duckdb).")
_CONFIG = typer.Option(None, "--config", "-c", help="intentseg.toml with [ingest] and [sources.NAME] settings.")
_JSON = typer.Option(False, "--json", help="Print one JSON object instead of tables.")


def _parse_maps(items: list[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InputError(f"--map {item!r}: expected CANONICAL=YOUR_COLUMN.", hint="e.g. --map user_id=visitor_id")
        pairs[key.strip()] = value.strip()
    return pairs


@app.command("ingest")
def ingest_command(
    paths: list[Path] = typer.Argument(..., help="Files, or folders of files named after their source (clickstream.csv, …)."),
    source: str = typer.Option(None, "--source", "-s", help="Load every file as this source."),
    maps: list[str] = typer.Option([], "--map", help="Column mapping CANONICAL=YOURS, e.g. user_id=visitor_id (repeatable)."),
    time_spent_cap: float = typer.Option(None, "--time-spent-cap", help="Quarantine rows with time_spent above this (seconds)."),
    log_format: str = typer.Option(None, "--format", help="Read web server access logs (.log or .log.gz): combined or common (docs/ingest.md)."),
    warehouse: str = _WAREHOUSE,
    config: Path = _CONFIG,
    as_json: bool = _JSON,
) -> None:
    """Load CSV, Parquet or JSON Lines files (or access logs with --format) into the warehouse; unusable rows go to <table>_quarantine."""
    settings = load_settings(config, {"warehouse": warehouse})
    report = ingest(paths, settings=settings, source=source, columns=_parse_maps(maps), time_spent_cap_s=time_spent_cap,
                    log_format=log_format)
    if as_json:
        print_json(report.to_dict())
        return
    table = Table(title=f"Ingested into {report.warehouse} in {report.seconds:.1f} s")
    # already loaded: events the warehouse held before (skipped, not quarantined)
    for col in ("source / reason", "rows read", "accepted", "already loaded", "quarantined"):
        table.add_column(col, justify="left" if col == "source / reason" else "right")
    for s in report.sources.values():
        table.add_row(Text.assemble((s.source, "bold"), f" ({s.table})"), f"{s.rows_read:,}", f"{s.accepted:,}",
                      f"{s.already_loaded:,}", f"{s.quarantined_rows:,}")
        for why, n in sorted(s.quarantined.items()):
            table.add_row(f"  {why}", "", "", "", f"{n:,}")
        for why, n in sorted(s.excluded.items()):  # access logs: lines that are no page view (not stored)
            table.add_row(f"  excluded: {why}", f"{n:,}", "", "", "")
    out.print(table)
    for f in report.files:
        if f.status != "loaded":
            out.print(f"{f.status.replace('_', ' ')}: {f.path}" + (f" ({f.note})" if f.note else ""))


@app.command("sources")
def sources_command(warehouse: str = _WAREHOUSE, config: Path = _CONFIG, as_json: bool = _JSON, preset: str = PRESET) -> None:
    """What the warehouse holds: per source table, rows, users, time range, quarantined rows; files loaded."""
    settings = load_settings(config, {"warehouse": warehouse, "preset": preset})
    report = describe_sources(settings=settings)
    if as_json:
        print_json(report.to_dict())
        return
    table = Table(title=f"Sources in {report.warehouse}")
    for col in ("source (table)", "rows", "users", "first event", "last event"):
        table.add_column(col, justify="right" if col in ("rows", "users") else "left")
    for s in report.sources:
        if not s.exists:
            table.add_row(f"{s.source} ({s.table})", "-", "-", "no table", "")
            continue
        table.add_row(Text.assemble((s.source, "bold"), f" ({s.table})"), f"{s.rows:,}", f"{s.users:,}", s.first_event or "-", s.last_event or "-")
        for why, n in s.quarantined.items():
            table.add_row(f"  quarantined {why}", f"{n:,}", "", "", "")
    out.print(table)
    if report.files:
        files = Table(title="Files loaded (ingest ledger)")
        for col in ("ingested at", "source", "file", "rows read", "accepted", "already loaded", "quarantined", "excluded"):
            files.add_column(col)
        for f in report.files:
            already = f.get("already_loaded")  # None: loaded by an intentseg that did not count it
            excluded = f.get("excluded")  # access logs only (bots, static assets, …)
            files.add_row(str(f["ingested_at"]), f["source"], f["file"], f"{f['rows_read']:,}", f"{f['accepted']:,}",
                          "-" if already is None else f"{already:,}", f"{f['quarantined']:,}",
                          "-" if excluded is None else f"{excluded:,}")
        out.print(files)
