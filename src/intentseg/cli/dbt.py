"""``intentseg dbt``: write a dbt package that computes the features and scores users with a saved model."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import typer

from ..config import load_settings
from .app import PRESET, app, out, print_json


@app.command("dbt")
def dbt_command(
    model: str = typer.Option(..., "--model", help="A model file (--model-out of run/segment), or 'latest': the newest "
                              "successful run's model in --warehouse."),
    out_dir: Path = typer.Option(..., "--out", help="Folder of the package (created; a package intentseg wrote there is replaced)."),
    dialect: str = typer.Option(None, "--dialect", "-d", help="duckdb or postgres: the dbt adapter the package runs on "
                                "(default: the --warehouse engine, else duckdb)."),
    warehouse: str = typer.Option(None, "--warehouse", "-w", help="Resolve the sources against this warehouse (absent "
                                  "columns, content-interest sections); needed by --model latest."),
    config: Path = typer.Option(None, "--config", "-c", help="intentseg.toml with the sources, feature options and output names."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object describing the package."),
    preset: str = PRESET,
) -> None:
    """Write a dbt package: user features, segments (the model's scoring SQL) and segment sizes as dbt models."""
    from ..dbt import build_package, load_model, write_package
    from ..warehouse import connect

    settings = load_settings(config, {"warehouse": warehouse, "preset": preset})
    use_warehouse = warehouse is not None or model == "latest"
    with connect(settings.warehouse) if use_warehouse else nullcontext() as wh:
        loaded, run_id = load_model(Path(model) if model != "latest" else model, wh, settings)
        package = build_package(loaded, settings, dialect=dialect or (wh.dialect if wh else "duckdb"),
                                warehouse=wh, run_id=run_id)
    write_package(package, out_dir)
    if as_json:
        print_json(package.to_dict())
        return
    source = f"the model of run {run_id}" if run_id else model
    out.print(f"dbt package for {package.dialect} written to {out_dir} from {source}: "
              f"{len(package.segments)} segments, models {', '.join(package.to_dict()['models'])}.")
    out.print(f"Run it: cd {out_dir} && dbt build   (a profile named intentseg; docs/dbt.md)")
