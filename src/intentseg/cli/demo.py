"""``intentseg demo``: sample data through the whole pipeline, on embedded DuckDB."""

from __future__ import annotations

from pathlib import Path

import typer

from .app import app, check_writable, k_line, out, print_json
from .pipeline import _progress, segments_table


@app.command("demo")
def demo_cmd(
    users: int = typer.Option(20_000, "--users", min=100, help="How many users to generate."),
    out_dir: Path = typer.Option(Path("demo-output"), "--out", help="Folder for events, the DuckDB file and the report (made afresh)."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the generated events."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of tables."),
) -> None:
    """Generate sample events into an embedded DuckDB file, run the whole pipeline, write the report."""
    from ..demo import run_demo

    check_writable(out_dir, "--out", folder=True)
    with _progress(as_json) as progress:
        result = run_demo(out_dir, users=users, seed=seed, progress=progress)
    r = result.run
    if as_json:
        print_json({"warehouse": result.warehouse, "ingest": result.ingest.to_dict(), "run": r.to_json()})
        return
    n_events = result.ingest.accepted
    out.print(f"Loaded {n_events:,} events of {users:,} generated users into {result.warehouse}")
    out.print(segments_table(r.segments, f"{r.k} segments (run {r.run_id})"))
    out.print(k_line(r.model.selection_))
    out.print(f"Report: {r.report_path.resolve() if r.report_path else '(none)'}")
