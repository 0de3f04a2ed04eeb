"""What a fitted segmenter says about users and segments, as rows: assignments, profiles, summaries.

Used by the pipeline (a run's results), ``intentseg.results`` (a stored run's segments) and the report.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from .segmenter import Segmenter

#: the columns of ``profile_rows`` (``segment_profiles`` without run_id)
PROFILE_FIELDS = ("segment_id", "segment_name", "n_users", "share", "feature", "mean", "median", "lift",
                  "z_score", "traits", "advice")


def segment_summaries(model: Segmenter, lineage: dict | None = None) -> list[dict[str, Any]]:
    """One dict per segment; ``lineage`` (a refit's ``stability_["lineage"]``) adds ``since_previous``."""
    return [
        {
            "segment_id": p["segment_id"],
            "name": model.segment_names_[p["segment_id"]],
            "size": int(p["size"]),
            "share": float(p["share"]),
            "traits": list(p["traits"]),
            "advice": p["advice"],
            **({"since_previous": lineage.get(p["segment_id"])} if lineage else {}),
        }
        for p in model.profiles_
    ]


def profile_rows(model: Segmenter) -> pd.DataFrame:
    """The model's profiles as rows of ``segment_profiles`` (without run_id): one per segment and feature."""
    rows = [
        {
            "segment_id": p["segment_id"],
            "segment_name": model.segment_names_[p["segment_id"]],
            "n_users": int(p["size"]),
            "share": float(p["share"]),
            "feature": feature,
            "mean": stats.get("mean"),
            "median": stats.get("median"),
            "lift": stats.get("lift"),
            "z_score": stats.get("z"),
            "traits": json.dumps(p["traits"]),
            "advice": json.dumps(p["advice"]),
        }
        for p in model.profiles_
        for feature, stats in p["features"].items()
    ]
    return pd.DataFrame(rows, columns=list(PROFILE_FIELDS))


def assignments_of(model: Segmenter, features: pd.DataFrame) -> pd.DataFrame:
    """Each user's segment id, name and distance to its centre."""
    distances = model.transform(features)
    ids = np.argmin(distances, axis=1)
    names = np.asarray(model.segment_names_, dtype=object)
    return pd.DataFrame(
        {
            "user_id": features["user_id"].to_numpy(),
            "segment_id": ids.astype("int64"),
            "segment_name": names[ids],
            "distance": distances[np.arange(len(ids)), ids],
        }
    )


def chosen_metrics(model: Segmenter) -> dict[str, Any]:
    """Inertia and the k-selection scores (silhouette, ...) of the k the model has."""
    metrics: dict[str, Any] = {"inertia": float(model.inertia_) if hasattr(model, "inertia_") else None}
    for row in model.selection_.get("scores", []):
        if row.get("k") == len(model.cluster_centers_):
            metrics.update({k: v for k, v in row.items() if k != "k"})
    return metrics


def count_sizes(model: Segmenter, sizes: pd.DataFrame) -> None:
    """Set the sizes and shares in the model's profiles to counts of scored users (``segment_id``, ``n``)."""
    counts = {int(s): int(n) for s, n in zip(sizes["segment_id"], sizes["n"])}
    total = sum(counts.values())
    for p in model.profiles_:
        p["size"] = counts.get(p["segment_id"], 0)
        p["share"] = p["size"] / total if total else 0.0
