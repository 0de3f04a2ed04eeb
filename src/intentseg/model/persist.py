"""Versioned JSON model files: everything needed to score users, and nothing executable.

Layout (``format_version`` 1)::

    {"format": "intentseg.segmenter", "format_version": 1,
     "params": {...Segmenter parameters...},
     "feature_names": [...], "fitted_on_frame": true,
     "transform": {"kinds": [...], "center": [...], "scale": [...]},
     "centers": [[...], ...], "segment_names": [...], "engagement": [...],
     "profiles": [...], "selection": {...}, "stability": {...} | null,
     "metrics": {"inertia": ..., "n_iter": ...}, "metadata": {...}}

Floats are written with ``repr`` precision by :mod:`json`, so a loaded model predicts exactly what the
original did. A file with another format, a newer version or missing fields raises
:class:`~intentseg.errors.ModelFileError`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import __version__
from ..errors import ModelFileError
from .transform import FeatureTransform

if TYPE_CHECKING:
    from .segmenter import Segmenter

FORMAT = "intentseg.segmenter"
FORMAT_VERSION = 1
REQUIRED = ("params", "feature_names", "fitted_on_frame", "transform", "centers", "segment_names",
            "engagement", "profiles", "selection", "metrics", "metadata")


def to_dict(model: Segmenter) -> dict:
    params = model.get_params()
    if not isinstance(params["random_state"], (int, type(None))):
        params["random_state"] = None  # a RandomState object is not portable; the seed used is in metadata
    params["k_range"] = list(params["k_range"])
    params["features"] = None if params["features"] is None else list(params["features"])
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "params": params,
        "feature_names": list(model.feature_names_),
        "fitted_on_frame": hasattr(model, "feature_names_in_"),
        "transform": model.transform_.to_dict(),
        "centers": model.cluster_centers_.tolist(),
        "segment_names": list(model.segment_names_),
        "engagement": [float(v) for v in model.engagement_],
        "profiles": model.profiles_,
        "selection": model.selection_,
        "stability": model.stability_,
        "metrics": {"inertia": model.inertia_, "n_iter": model.n_iter_},
        "metadata": {**model.metadata_, "intentseg": __version__},
    }


def from_dict(d: dict, where: str = "model") -> Segmenter:
    from .segmenter import Segmenter

    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise ModelFileError(f"{where} is not an intentseg model file.",
                             hint="Pass a file written by Segmenter.save or `intentseg segment --model-out`.")
    version = d.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{where} has model format version {version!r}; this intentseg ({__version__}) reads version {FORMAT_VERSION}.",
            hint="Upgrade intentseg to read newer model files, or retrain the model with this version.",
        )
    missing = [k for k in REQUIRED if k not in d]
    if missing:
        raise ModelFileError(f"{where} lacks field(s) {missing}.",
                             hint="The file is incomplete or was edited by hand; save the model again.")
    try:
        params = dict(d["params"])
        params["k_range"] = tuple(params["k_range"])
        model = Segmenter(**params)
        names = list(d["feature_names"])
        model.feature_names_ = names
        model.n_features_in_ = len(names)
        if d["fitted_on_frame"]:
            model.feature_names_in_ = np.asarray(names, dtype=object)
        model.transform_ = FeatureTransform.from_dict(names, d["transform"])
        model.cluster_centers_ = np.asarray(d["centers"], dtype=float).reshape(-1, len(names))
        model.segment_names_ = list(d["segment_names"])
        model.engagement_ = np.asarray(d["engagement"], dtype=float)
        model.profiles_ = d["profiles"]
        model.selection_ = d["selection"]
        model.stability_ = d.get("stability")
        model.inertia_ = float(d["metrics"]["inertia"])
        model.n_iter_ = int(d["metrics"]["n_iter"])
        model.metadata_ = d["metadata"]
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{where} has a malformed field: {exc}.",
                             hint="The file is damaged or was edited by hand; save the model again.") from None
    k = len(model.cluster_centers_)
    if len(model.segment_names_) != k or len(model.transform_.kinds) != len(names):
        raise ModelFileError(f"{where} is inconsistent: {k} centres, {len(model.segment_names_)} names.",
                             hint="The file is damaged or was edited by hand; save the model again.")
    return model


def save(model: Segmenter, path: str | Path) -> None:
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model, "cluster_centers_")
    Path(path).write_text(json.dumps(to_dict(model), indent=1, allow_nan=True) + "\n", encoding="utf-8")


def load(path: str | Path) -> Segmenter:
    p = Path(path)
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFileError(f"Model file {p} not found.", hint="Check the path, or train one with `intentseg segment --model-out`.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{p} is not valid JSON ({exc}).",
                             hint="Model files are JSON written by Segmenter.save; pickles are not accepted.") from None
    return from_dict(d, where=str(p))
