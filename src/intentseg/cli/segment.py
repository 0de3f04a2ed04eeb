"""``intentseg segment``: fit the segmenter on the user features of a warehouse."""

from __future__ import annotations

from pathlib import Path

import typer

from ..config import K_RULE, features_option, k_option, load_settings
from ..errors import InputError
from ..warehouse import connect
from .app import PRESET, app, check_writable, console, k_line, out, print_json


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
    features: str = typer.Option(None, "--features", help="Model features: named sets (engagement, intent, "
                                 "interests, or joined by '+', e.g. engagement+interests) or comma-separated columns "
                                 "(default: engagement)."),
    model_out: Path = typer.Option(None, "--model-out", help="Write the fitted model to this JSON file."),
    config: Path = typer.Option(None, "--config", "-c", help="intentseg.toml with segment settings."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object with the segments and k scores."),
    preset: str = PRESET,
) -> None:
    """Segment users: features from the user_features table (built if absent), k chosen with evidence."""
    from ..fit import fit_segments

    segment = {
        "k": k_option(k),
        "k_range": _parse_range(k_range),
        "features": features_option(features),
    }
    settings = load_settings(config, {"warehouse": warehouse, "segment": segment, "preset": preset})
    check_writable(model_out, "--model-out")
    with connect(settings.warehouse) as wh:
        fit = fit_segments(wh, settings, model_out=model_out)
    if as_json:
        print_json(fit.to_dict())
        return
    console.print(f"Features: {fit.features_from} in {fit.warehouse}; {fit.n_users:,} users.", highlight=False)
    sel = fit.model.selection_
    if len(sel["scores"]) > 1:
        out.print(k_line(sel) + ":")
        for r in sel["scores"]:
            out.print(f"  k={r['k']:<3} silhouette {r['silhouette']:.3f}  Calinski-Harabasz {r['calinski_harabasz']:,.0f}"
                      f"  Davies-Bouldin {r['davies_bouldin']:.3f}")
    for seg in fit.segments:
        out.print(f"{seg['segment_id']}  {seg['name']}: {seg['users']:,} users ({seg['share']:.0%})")
        out.print(f"   {'; '.join(seg['traits'])}")
        out.print(f"   {seg['advice']}")
    if fit.model_out is not None:
        out.print(f"Model written to {fit.model_out}.")
