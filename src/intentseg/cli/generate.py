"""``intentseg generate``: write synthetic events with planted personas (a thin wrapper over
:func:`intentseg.generate.write_events`)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer
from rich.table import Table

from ..generate import DEFAULT_END, write_events
from .app import app, out, print_json


class FileFormat(str, Enum):
    parquet = "parquet"
    csv = "csv"
    jsonl = "jsonl"


@app.command("generate")
def generate(
    users: int = typer.Option(10_000, "--users", "-n", min=1, help="Number of users to generate."),
    out_dir: Path = typer.Option(Path("events"), "--out", "-o", help="Directory to write the four files into."),
    file_format: FileFormat = typer.Option(FileFormat.parquet, "--format", "-f", help="Output file format."),
    seed: int = typer.Option(0, "--seed", help="Random seed: the same seed and --users give the same files."),
    days: int = typer.Option(30, "--days", min=1, help="Length of the event window in days."),
    end: str = typer.Option(DEFAULT_END, "--end", help="End of the window (UTC, exclusive), e.g. 2026-10-01."),
    chunk_users: int = typer.Option(
        200_000, "--chunk-users", min=1, help="Users generated and written per chunk (bounds memory)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
) -> None:
    """Generate synthetic clickstream, search and article events with five planted personas.

    Writes clickstream, search_queries, article_views and ground_truth (each user's persona) into --out.
    """
    result = write_events(
        out_dir, users, seed=seed, fmt=file_format.value, days=days, end=end, chunk_users=chunk_users
    )
    if as_json:
        print_json(result.to_dict())
        return
    table = Table(title=f"Generated {result.n_users:,} users in {result.seconds:.1f} s")
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("file")
    for name, path in result.paths.items():
        table.add_row(name, f"{result.rows[name]:,}", str(path))
    out.print(table)
