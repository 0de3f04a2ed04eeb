"""``intentseg features`` and ``intentseg sql features``: thin commands over :mod:`intentseg.features`."""

from __future__ import annotations

from pathlib import Path

import typer

from ..config import load_settings
from ..features import DIALECTS, feature_sql, write_features
from ..features.incremental import IncrementalRun, write_incremental_features
from ..warehouse import connect
from .app import PRESET, app, console, out, print_json

sql_app = typer.Typer(help="Print the SQL intentseg runs, for dbt, Airflow or a SQL console.", no_args_is_help=True)
app.add_typer(sql_app, name="sql")

_WAREHOUSE_HELP = "Warehouse URL (default: settings, then duckdb:///intentseg.duckdb)."
_CONFIG = typer.Option(None, "--config", "-c", help="intentseg.toml with features and sources settings.")
_SINCE = typer.Option(None, "--since", help="Only events at or after this time (ISO 8601, e.g. 2026-09-01).")
_UNTIL = typer.Option(None, "--until", help="Only events before this time (ISO 8601).")
_REFERENCE = typer.Option(None, "--reference-time", help="Measure recency to this time (default: the latest event).")
_GAP = typer.Option(None, "--session-gap-minutes", help="Inactivity that starts a new session (default 30).")
_CAP = typer.Option(None, "--duration-cap", help="Cap durations above this many seconds (default 1800).")


def _overrides(since, until, reference_time, gap, cap, **more) -> dict:
    features = {k: v for k, v in dict(since=since, until=until, reference_time=reference_time,
                                       session_gap_minutes=gap, duration_cap_s=cap).items() if v is not None}
    return {**more, "features": features or None}


@app.command("features")
def features_command(
    warehouse: str = typer.Option(None, "--warehouse", "-w", help=_WAREHOUSE_HELP),
    output_table: str = typer.Option(None, "--output-table", "-o", help="Table to write (default: user_features)."),
    since: str = _SINCE,
    until: str = _UNTIL,
    reference_time: str = _REFERENCE,
    session_gap_minutes: int = _GAP,
    duration_cap: float = _CAP,
    config: Path = _CONFIG,
    preset: str = PRESET,
    show_sql: bool = typer.Option(False, "--show-sql", help="Print every statement as it runs (on stderr)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object with the run summary."),
    incremental: bool = typer.Option(
        False, "--incremental", help="Keep per-day state tables and read only the days since the last build "
        "(the first build creates them; docs/incremental.md)."),
    full: bool = typer.Option(False, "--full", help="With --incremental: rebuild the state from every event."),
) -> None:
    """Build the per-user feature table inside the warehouse (one row per user; see docs/features.md)."""
    settings = load_settings(config, _overrides(since, until, reference_time, session_gap_minutes, duration_cap,
                                                warehouse=warehouse, preset=preset))
    tracer = (lambda sql, params: console.print(sql + ";", markup=False, highlight=False)) if show_sql else None
    with connect(settings.warehouse, tracer=tracer) as wh:
        if incremental or full:
            run = write_incremental_features(wh, settings, full=full, output_table=output_table)
        else:
            run = write_features(wh, settings, output_table=output_table)
        where = wh.display_url
    if as_json:
        print_json({**run.to_dict(), "warehouse": where})
        return
    out.print(f"Wrote {run.users:,} users to {run.table} in {where} ({run.seconds:.1f} s).")
    if isinstance(run, IncrementalRun):
        reopened = ", ".join(f"{src} from {day or 'the first day'}" for src, day in run.reopened_from.items())
        out.print(f"State: {run.mode} update ({reopened}).")
    capped = ", ".join(f"{n:,} in {src}" for src, n in run.capped_durations.items()) or "none"
    out.print(f"Durations capped at {run.duration_cap_s:g} s: {capped}.")
    if run.queries_classified:
        out.print(f"Classified {run.queries_classified:,} new distinct queries into {settings.output.query_intents}.")
    for src, columns in (getattr(run, "interests", None) or {}).items():
        sections = list(columns.values())[:-1]  # the last column is the other share
        out.print(f"Interests from {src}: {', '.join(sections)} and other (docs/features.md).", highlight=False)
    for src in run.absent_sources:
        out.print(f"Source {src} is absent: its counts are 0 and has_{src} = 0.")
    for src, cols in run.absent_columns.items():
        out.print(f"{src} has no {', '.join(cols)} column(s): treated as NULL (see docs/features.md).")


@sql_app.command("features")
def sql_features_command(
    dialect: str = typer.Option("duckdb", "--dialect", "-d", help=f"SQL dialect: {', '.join(DIALECTS)}."),
    warehouse: str = typer.Option(
        None, "--warehouse", "-w", help="Resolve absent sources and optional columns against this warehouse."
    ),
    since: str = _SINCE,
    until: str = _UNTIL,
    reference_time: str = _REFERENCE,
    session_gap_minutes: int = _GAP,
    duration_cap: float = _CAP,
    config: Path = _CONFIG,
    preset: str = PRESET,
) -> None:
    """Print the feature SQL exactly as `intentseg features` runs it (it reads the query_intents table)."""
    settings = load_settings(config, _overrides(since, until, reference_time, session_gap_minutes, duration_cap, preset=preset))
    if warehouse:
        with connect(warehouse) as wh:
            text = feature_sql(dialect, settings, warehouse=wh)
    else:
        text = feature_sql(dialect, settings)
    out.print(text, end="", markup=False, highlight=False)
