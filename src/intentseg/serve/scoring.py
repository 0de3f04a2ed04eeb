"""Scoring for ``POST /v1/score``: features, or raw events, of a few users → segments of the current model.

Features go straight to the model (``assignments_of``: the same numbers as ``Segmenter.predict``). Raw
events are loaded into a private in-memory DuckDB and turned into features by the library's own feature SQL
(``build_features``), so a scored user gets exactly the features a run would compute from the same events.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..config import Settings
from ..errors import InputError, WarehouseQueryError
from ..model.segmenter import Segmenter

#: the columns of each source that a request may send (schema.py's canonical names)
EVENT_COLUMNS = {
    "clickstream": ["user_id", "timestamp", "url", "referrer", "device", "time_spent"],
    "search_queries": ["user_id", "timestamp", "query"],
    "article_views": ["user_id", "timestamp", "article_id", "time_spent"],
}


def score_features(model: Segmenter, users: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``users``: ``{"user_id": …, "features": {name: value}}``; every model feature must be given."""
    needed = list(model.feature_names_)
    missing = sorted({f for u in users for f in needed if f not in u["features"]})
    if missing:
        raise InputError(f"Missing model feature(s): {', '.join(missing)}.",
                         hint=f"Send every feature of the current model: {', '.join(needed)}.")
    frame = pd.DataFrame([{f: u["features"][f] for f in needed} for u in users], columns=needed, dtype="float64")
    frame.insert(0, "user_id", [u["user_id"] for u in users])
    return _assign(model, frame)


def score_events(model: Segmenter, events: dict[str, list[dict[str, Any]]], settings: Settings) -> list[dict[str, Any]]:
    """Features of the users in ``events`` (per source, canonical columns) by the feature SQL, then scores."""
    from ..features.build import build_features
    from ..warehouse import connect

    plain = Settings(features=settings.features)  # canonical tables and columns, the server's feature options
    with connect("duckdb:///:memory:?threads=1") as wh:
        for source, rows in events.items():
            if rows:
                wh.write_table(source, _event_frame(source, rows))
        try:
            features = build_features(wh, plain)
        except WarehouseQueryError as exc:
            raise InputError(f"These events cannot be turned into features: {exc.message}",
                             hint="Check the events' timestamps and values.") from None
    return _assign(model, features)


def _event_frame(source: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    columns = [c for c in EVENT_COLUMNS[source] if any(r.get(c) is not None for r in rows) or c in ("user_id", "timestamp")]
    frame = pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True).dt.tz_localize(None).astype("datetime64[us]")
    frame["user_id"] = frame["user_id"].astype(str)
    if "article_id" in frame:  # numbers or text, as the client sent them: one type for the SQL
        frame["article_id"] = frame["article_id"].astype(str)
    return frame


def _assign(model: Segmenter, features: pd.DataFrame) -> list[dict[str, Any]]:
    from ..model.results import assignments_of

    scored = assignments_of(model, features)
    if not np.isfinite(scored["distance"].to_numpy(dtype="float64")).all():
        raise InputError("Feature values out of range: a distance is not a finite number.",
                         hint="Send feature values of the size a run computes (see docs/features.md).")
    return [{"user_id": u, "segment_id": int(s), "segment_name": str(n), "distance": float(d)}
            for u, s, n, d in scored[["user_id", "segment_id", "segment_name", "distance"]].itertuples(index=False)]
