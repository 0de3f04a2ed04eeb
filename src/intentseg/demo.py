"""``intentseg demo``: the whole job on sample data, on the embedded default warehouse."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .generate import write_events
from .ingest import ingest
from .ingest.report import IngestReport
from .pipeline import Progress, RunResult, run

DEFAULT_USERS = 20_000


@dataclass
class DemoResult:
    events_dir: Path
    warehouse: str
    ingest: IngestReport
    run: RunResult


def run_demo(
    out_dir: str | Path = "demo-output",
    *,
    users: int = DEFAULT_USERS,
    seed: int = 0,
    progress: Progress | None = None,
) -> DemoResult:
    """Generate ``users`` users' events, load them into ``out_dir/intentseg.duckdb``, run, report.

    The folder is made afresh each time, so the demo always shows one run on fresh data.
    """
    out = Path(out_dir)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    events = out / "events"
    warehouse = f"duckdb:///{out / 'intentseg.duckdb'}"
    if progress:
        progress(f"Generating events for {users:,} users")
    write_events(events, users, seed=seed, fmt="parquet")
    if progress:
        progress("Loading events into the embedded DuckDB warehouse")
    loaded = ingest(events, warehouse)
    result = run(warehouse, report_dir=out / "report", progress=progress)
    return DemoResult(events_dir=events, warehouse=warehouse, ingest=loaded, run=result)
