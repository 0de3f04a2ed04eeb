"""``intentseg init``: write a commented example configuration."""

from __future__ import annotations

from pathlib import Path

import typer

from ..config import example_config
from ..errors import InputError
from .app import app, check_writable, console


@app.command("init")
def init(
    path: Path = typer.Argument(Path("intentseg.toml"), help="Where to write the example configuration."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write a commented example intentseg.toml with every key and its default."""
    if path.exists() and not force:
        raise InputError(f"{path} already exists.", hint="Pass --force to overwrite it, or choose another path.")
    check_writable(path, "init")
    path.write_text(example_config(), encoding="utf-8")
    console.print(f"Wrote {path}. Edit it, then run: intentseg run --config {path}")
