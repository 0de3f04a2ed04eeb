"""``intentseg segment``: fit the segmenter on the user features of a warehouse."""

from __future__ import annotations

from pathlib import Path

import typer

from ..config import K_RULE, k_option, load_settings
from ..errors import InputError
from ..warehouse import connect
from .app import PRESET, app, check_writable, console, out, print_json


def _parse_range(text: str | None) -> list[int] | None:
    if text is None:
        return None
    lo, sep, hi = text.partition(":")
    if not (sep and lo.isdigit() and hi.isdigit() and 2 <= int(lo) <= int(hi)):
        raise InputError(f"--k-range {text!r} is not a range.", hint="Write it as LOW:HIGH, e.g. --k-range 2:10.")
    return [int(lo), int(hi)]


@app.command("segment")
def segment_command(
    warehouse: str = typer.Option(None, "--warehouse", "-w", help="Warehouse URL (default: settings)."),
    k: str = typer.Option(None, "--k", help=f"Number of segments: {K_RULE} (default: settings, else auto)."),
    k_range: str = typer.Option(None, "--k-range", help="k values scanned by --k auto, LOW:HIGH (default 2:10)."),
    features: str = typer.Option(None, "--features", help="Comma-separated model features (default: the built-in set)."),
    model_out: Path = typer.Option(None, "--model-out", help="Write the fitted model to this JSON file."),
    config: Path = typer.Option(None, "--config", "-c", help="intentseg.toml with segment settings."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object with the segments and k scores."),
    preset: str = PRESET,
) -> None:
    """Segment users: features from the user_features table (built if absent), k chosen with evidence."""
    from ..model import Segmenter

    segment = {
        "k": k_option(k),
        "k_range": _parse_range(k_range),
        "features": [f.strip() for f in features.split(",") if f.strip()] if features else None,
    }
    settings = load_settings(config, {"warehouse": warehouse, "segment": segment, "preset": preset})
    check_writable(model_out, "--model-out")
    s = settings.segment
    with connect(settings.warehouse) as wh:
        table = settings.features.output_table
        if wh.table_exists(table):
            frame, origin = wh.query(f"SELECT * FROM {wh.quote_table(table)}"), f"table {table}"
        else:
            from ..features import build_features

            frame, origin = build_features(wh, settings), "built from events (no user_features table)"
        where = wh.display_url
    model = Segmenter(
        n_segments=s.k, k_range=tuple(s.k_range), features=s.features, scaling=s.scaling,
        n_init=s.n_init, random_state=s.random_state,
    ).fit(frame)
    if s.names:
        model.rename({int(i): name for i, name in s.names.items()})
    if model_out is not None:
        model.save(model_out)

    segments = [
        {"segment_id": p["segment_id"], "name": p["name"], "users": p["size"], "share": p["share"],
         "traits": p["traits"], "advice": p["advice"]}
        for p in model.profiles_
    ]
    if as_json:
        print_json({"warehouse": where, "features": origin, "users": len(frame), "k": model.selection_["k"],
                    "selection": model.selection_, "segments": segments,
                    "model_out": str(model_out) if model_out else None})
        return
    console.print(f"Features: {origin} in {where}; {len(frame):,} users.", highlight=False)
    sel = model.selection_
    if len(sel["scores"]) > 1:
        out.print(f"k = {sel['k']} ({sel['rule']}):")
        for r in sel["scores"]:
            out.print(f"  k={r['k']:<3} silhouette {r['silhouette']:.3f}  Calinski-Harabasz {r['calinski_harabasz']:,.0f}"
                      f"  Davies-Bouldin {r['davies_bouldin']:.3f}")
    for seg in segments:
        out.print(f"{seg['segment_id']}  {seg['name']}: {seg['users']:,} users ({seg['share']:.0%})")
        out.print(f"   {'; '.join(seg['traits'])}")
        out.print(f"   {seg['advice']}")
    if model_out is not None:
        out.print(f"Model written to {model_out}.")
