"""``run``, ``assign``, ``segments``, ``runs`` and ``report``: thin commands over intentseg.pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from ..config import K_RULE, features_option, k_option, load_settings
from .app import PRESET, app, check_writable, console, k_line, out, print_json

if TYPE_CHECKING:
    from ..config import Settings
    from ..warehouse import Warehouse

WAREHOUSE = typer.Option(None, "--warehouse", "-w", help="Warehouse URL (default: settings, else duckdb:///intentseg.duckdb).")
CONFIG = typer.Option(None, "--config", "-c", help="intentseg.toml with sources, mapping, features, k, output names.")
JSON = typer.Option(False, "--json", help="Print one JSON object instead of tables (quiet otherwise).")


@contextmanager
def _progress(quiet: bool) -> Iterator[Any]:
    """A Rich spinner that shows the running step on a terminal; nothing under --json."""
    if quiet or not console.is_terminal:
        yield (lambda text: None) if quiet else (lambda text: console.print(f"· {text}"))
        return
    with console.status("Starting") as status:
        yield lambda text: status.update(text)


def _load_model(path: Path | None) -> Any:
    """The model file, validated (ModelFileError, exit 2, naming the file and the field)."""
    if path is None:
        return None
    from ..model import Segmenter

    return Segmenter.load(path)


def segments_table(segments: list[dict[str, Any]], title: str) -> Table:
    """Segments, least engaged first: id, name, size, share, the most defining trait, the advice."""
    table = Table(title=title, show_lines=False, expand=False)
    table.add_column("id", justify="right")
    table.add_column("segment", min_width=18)
    table.add_column("users", justify="right")
    table.add_column("share", justify="right")
    table.add_column("most defining trait", ratio=3)
    table.add_column("targeting advice", ratio=2)
    lineage = any(s.get("since_previous") for s in segments)  # a refit: how each segment relates to the last run's
    if lineage:
        table.add_column("since last run")
    for s in segments:
        traits = s.get("traits") or [""]
        row = [str(s["segment_id"]), s["name"], f"{s['size']:,}", f"{s['share']:.1%}", traits[0], s.get("advice", "")]
        if lineage:
            row.append(_since_previous(s.get("since_previous")))
        table.add_row(*row)
    return table


def _since_previous(entry: dict[str, Any] | None) -> str:
    """``carried from 2``, ``merged from 0, 1``, ``split from 1``, ``new``."""
    if not entry:
        return ""
    sources = ", ".join(str(i) for i in entry.get("from") or [])
    return f"{entry['status']} from {sources}" if sources else str(entry["status"])


@app.command("run")
def run_cmd(
    warehouse: str | None = WAREHOUSE,
    config: Path | None = CONFIG,
    k: str | None = typer.Option(None, "--k", help=f"Number of segments: {K_RULE} (default: settings, else auto)."),
    model: Path | None = typer.Option(None, "--model", help="Score with this saved model instead of refitting."),
    previous: Path | None = typer.Option(None, "--previous", help="Keep ids and names of this model (default: the last run's)."),
    fresh: bool = typer.Option(False, "--fresh", help="Ignore the previous run: new ids and names."),
    report: Path | None = typer.Option(None, "--report", help="Write the HTML report and PNG charts to this folder."),
    model_out: Path | None = typer.Option(None, "--model-out", help="Also save the fitted model as JSON here."),
    events: Path | None = typer.Option(
        None, "--events", help="Read the sources from this folder's Parquet files in place (DuckDB or Spark; no ingest)."),
    engine: str = typer.Option("warehouse", "--engine", help="'warehouse' (compute where --warehouse points) or "
                               "'spark' (Spark reads --events or the --warehouse tables over JDBC)."),
    spark_master: str = typer.Option("local[*]", "--spark-master", help="With --engine spark: local[N] or host:port."),
    output: Path | None = typer.Option(None, "--output", help="With --engine spark and --events: write result tables "
                                       "as Parquet folders here (default: back over JDBC to --warehouse)."),
    as_json: bool = JSON,
    preset: str | None = PRESET,
    features: str | None = typer.Option(
        None, "--features", help="Model features: named sets (engagement, intent, interests, or joined by '+', "
        "e.g. engagement+interests) or comma-separated columns (default: settings, else engagement)."),
    full: bool = typer.Option(False, "--full", help="Rebuild the incremental feature state from every event "
                              "(creating it; later runs read only new days; docs/incremental.md)."),
    deliver: bool = typer.Option(False, "--deliver", help="Then send the run's membership events to the configured "
                                 "destinations (as `intentseg deliver --once`; exit 6 if some failed)."),
) -> None:
    """Build features, fit segments, write them back (with history) and report — one run."""
    from ..pipeline import run

    if engine == "spark":
        from ..warehouse import spark_url

        warehouse = spark_url(spark_master, jdbc=warehouse, output=str(output.resolve()) if output else None)
    elif engine != "warehouse":
        raise typer.BadParameter(f"--engine must be 'warehouse' or 'spark', not {engine!r}")
    prev: Any = False if fresh else (_load_model(previous) or True)  # a bad --previous file fails here too
    loaded = _load_model(model)  # a bad model file fails here, before any warehouse work
    check_writable(report, "--report", folder=True)
    check_writable(model_out, "--model-out")
    with _progress(as_json) as progress:
        result = run(warehouse, config=config, k=k_option(k), model=loaded, previous=prev,
                     settings=load_settings(config, {"preset": preset, "segment": {"features": features_option(features)}})
                     if preset or features else None,
                     report_dir=report, model_out=model_out, events=events, progress=progress, full=full)
    delivery = _deliver_after_run(warehouse, config) if deliver else None
    if as_json:
        print_json(result.to_json() | ({"delivery": delivery.to_dict()} if delivery else {}))
        if delivery:
            delivery.raise_for_failures()
        return
    out.print(segments_table(result.segments, f"Run {result.run_id}: {result.k} segments of {result.n_users:,} users"))
    if result.scored_in == "warehouse":
        out.print(f"Fitted on a sample of {result.metrics['profiles_from_sample']:,} users (profiles describe it); "
                  "every user scored inside the warehouse.")
    sil = result.metrics.get("silhouette")
    out.print(k_line(result.model.selection_) + (f"; silhouette {sil:.3f}" if sil is not None else ""))
    if result.stability:
        out.print(f"Kept ids and names of run {result.previous_run_id or 'given model'}; "
                  f"{result.stability.get('changed_share', 0):.1%} of users changed segment.")
    out.print(f"Written: {', '.join(f'{t} ({n:,} rows)' for t, n in result.row_counts.items())}")
    if result.report_path:
        out.print(f"Report: {result.report_path.resolve()}")
    if delivery:
        out.print("Delivered: " + ", ".join(f"{d.name} {d.delivered:,}" + (f" ({d.retrying:,} to retry, {d.dead:,} dead)"
                                                                           if d.retrying or d.dead else "")
                                            for d in delivery.destinations))
        delivery.raise_for_failures()


def _deliver_after_run(warehouse: str | None, config: Path | None) -> Any:
    """``run --deliver``: the run's events (and any still due) to every destination, once."""
    from ..activate.deliver import deliver

    return deliver(load_settings(config, overrides={"warehouse": warehouse}))


@app.command("assign")
def assign_cmd(
    model: Path = typer.Option(..., "--model", help="A model saved by `intentseg segment --model-out` or `run --model-out`."),
    warehouse: str | None = WAREHOUSE,
    config: Path | None = CONFIG,
    as_json: bool = JSON,
) -> None:
    """Score users with an existing model (no refit) and write user_segments and history."""
    from ..pipeline import assign

    loaded = _load_model(model)  # a bad model file fails here, before any warehouse work
    with _progress(as_json) as progress:
        result = assign(warehouse, model=loaded, config=config, progress=progress)
    if as_json:
        print_json(result.to_json())
        return
    out.print(segments_table(result.segments, f"Run {result.run_id}: users scored with {model}"))


@contextmanager
def _warehouse(warehouse: str | None, config: Path | None) -> Iterator[tuple["Warehouse", "Settings"]]:
    """The warehouse the options name and the settings (for the output table names); closed afterwards."""
    from ..warehouse import connect

    settings = load_settings(config, overrides={"warehouse": warehouse})
    with connect(settings.warehouse) as wh:
        yield wh, settings


@app.command("segments")
def segments_cmd(
    warehouse: str | None = WAREHOUSE,
    config: Path | None = CONFIG,
    run_id: str | None = typer.Option(None, "--run", help="A run id (default: the latest successful run)."),
    as_json: bool = JSON,
) -> None:
    """List segments of a run: name, size, share, key traits, targeting advice."""
    from ..results import segments_of

    with _warehouse(warehouse, config) as (wh, settings):
        found = segments_of(wh, run_id, settings.output)
    if as_json:
        print_json(found.to_dict())
        return
    out.print(segments_table(found.segments, f"Segments of run {found.run_id}"))


@app.command("runs")
def runs_cmd(
    warehouse: str | None = WAREHOUSE,
    config: Path | None = CONFIG,
    limit: int = typer.Option(20, "--limit", help="How many runs, newest first."),
    as_json: bool = JSON,
) -> None:
    """Run history with status, k, users and metrics."""
    from ..results import list_runs

    with _warehouse(warehouse, config) as (wh, settings):
        runs = list_runs(wh, settings.output, limit=limit)
    if as_json:
        print_json({"runs": [r.to_dict() for r in runs]})
        return
    table = Table(title="Runs (newest first)")
    for col in ("run_id", "kind", "status", "started_at", "k", "users", "silhouette", "changed", "error"):
        table.add_column(col, overflow="fold")
    for r in runs:
        table.add_row(
            r.run_id, r.kind, r.status, r.started_at[:19], str(r.k or ""),
            f"{r.n_users:,}" if r.n_users else "",
            f"{r.silhouette:.3f}" if r.silhouette is not None else "",
            f"{r.changed_share:.1%}" if r.changed_share is not None else "",
            r.error or "",
        )
    out.print(table)


@app.command("report")
def report_cmd(
    out_dir: Path = typer.Option(Path("report"), "--out", "-o", help="Folder for index.html and the PNG charts."),
    warehouse: str | None = WAREHOUSE,
    config: Path | None = CONFIG,
    run_id: str | None = typer.Option(None, "--run", help="A run id (default: the latest successful run)."),
) -> None:
    """Write the HTML report and PNG charts of a run (index.html opens offline)."""
    from ..report.render import render_from_warehouse

    check_writable(out_dir, "--out", folder=True)
    with _warehouse(warehouse, config) as (wh, settings):
        path = render_from_warehouse(wh, settings, out_dir, run_id)
    out.print(f"Report: {path.resolve()}")
