"""Fit the segmenter on a warehouse's user features without writing anything back (``intentseg segment``).

A whole recorded run (write-back, history, report) is :func:`intentseg.pipeline.run`; this is the quick look:
which k the evidence supports and what the segments are, optionally saved as a model file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .config import Settings
from .model import Segmenter
from .warehouse import Warehouse


@dataclass
class SegmentFit:
    """A fitted segmenter and where its features came from."""

    model: Segmenter
    warehouse: str  # the warehouse's display URL (no password)
    features_from: str  # "table user_features" or "built from events (no user_features table)"
    n_users: int
    model_out: Path | None = None

    @property
    def segments(self) -> list[dict[str, Any]]:
        """Per segment, least engaged first: id, name, users, share, traits, advice."""
        return [
            {"segment_id": p["segment_id"], "name": self.model.segment_names_[p["segment_id"]], "users": int(p["size"]),
             "share": float(p["share"]), "traits": list(p["traits"]), "advice": p["advice"]}
            for p in self.model.profiles_
        ]

    def to_dict(self) -> dict[str, Any]:
        return {"warehouse": self.warehouse, "features": self.features_from, "users": self.n_users,
                "k": self.model.selection_["k"], "selection": self.model.selection_, "segments": self.segments,
                "model_out": str(self.model_out) if self.model_out else None}


def segmenter_for(settings: Settings, features: list[str] | None = None) -> Segmenter:
    """An unfitted segmenter configured by ``settings.segment`` (k, k range, features, scaling, seed);
    ``features`` replaces the configured feature list (a refit keeping the previous model's)."""
    s = settings.segment
    return Segmenter(n_segments=s.k, k_range=s.k_range, features=s.features if features is None else features,
                     scaling=s.scaling, n_init=s.n_init, random_state=s.random_state)


def fit_segments(warehouse: Warehouse, settings: Settings, *, model_out: str | Path | None = None) -> SegmentFit:
    """Fit on the feature table ``settings.features.output_table`` (built from the events, not stored, when
    the warehouse has no such table); apply ``segment.names``; save the model to ``model_out`` if given."""
    from .features import build_features

    table = settings.features.output_table
    if warehouse.table_exists(table):
        frame, origin = _read_table(warehouse, table), f"table {table}"
    else:
        frame, origin = build_features(warehouse, settings), f"built from events (no {table} table)"
    model = segmenter_for(settings).fit(frame)
    if settings.segment.names:
        model.rename({int(i): name for i, name in settings.segment.names.items()})
    if model_out is not None:
        model.save(model_out)
    return SegmentFit(model=model, warehouse=warehouse.display_url, features_from=origin, n_users=len(frame),
                      model_out=Path(model_out) if model_out is not None else None)


def _read_table(warehouse: Warehouse, table: str) -> pd.DataFrame:
    """Every column of a feature table (its own, perhaps not intentseg's), in user order when it has
    ``user_id``: rows in the same order on every engine, so the same seed gives the same segments."""
    columns = warehouse.columns(table)
    order = f" ORDER BY {warehouse.quote('user_id')}" if "user_id" in columns else ""
    select = ", ".join(warehouse.quote(c) for c in columns)
    return warehouse.query(f"SELECT {select} FROM {warehouse.quote_table(table)}{order}")
