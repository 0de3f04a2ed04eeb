"""intentseg: intent-based user segmentation.

    import intentseg
    wh = intentseg.connect("duckdb:///events.duckdb")
    intentseg.ingest("events/", wh)
    features = intentseg.build_features(wh)                 # one row per user, computed in the warehouse
    seg = intentseg.Segmenter(n_segments="auto", random_state=0).fit(features)
    result = intentseg.run(wh, report_dir="report/")         # the whole pipeline, written back
    intentseg.list_runs(wh), intentseg.segments_of(wh)     # run history; the latest run's segments

Names are imported on first use, so ``import intentseg`` stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "connect": ".warehouse",
    "Warehouse": ".warehouse",
    "Settings": ".config",
    "load_settings": ".config",
    "generate_events": ".generate",
    "write_events": ".generate",
    "ingest": ".ingest",
    "describe_sources": ".ingest",
    "build_features": ".features",
    "write_features": ".features",
    "read_features": ".features",
    "feature_sql": ".features",
    "RuleIntentClassifier": ".features",
    "Segmenter": ".model",
    "run": ".pipeline",
    "assign": ".pipeline",
    "RunResult": ".pipeline",
    "fit_segments": ".fit",
    "list_runs": ".results",
    "segments_of": ".results",
    "render_report": ".report.html",
    "ReportData": ".report",
    "plot_classic": ".report",
    "plot_sizes": ".report",
    "plot_profiles": ".report",
    "plot_k_selection": ".report",
    "plot_projection": ".report",
    "plot_intent_mix": ".report",
    "plot_transitions": ".report",
    "IntentsegError": ".errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'intentseg' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
