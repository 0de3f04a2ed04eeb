"""Versioned JSON model files: everything needed to score users, and nothing executable.

Layout (``format_version`` 1)::

    {"format": "intentseg.segmenter", "format_version": 1,
     "params": {...Segmenter parameters...},
     "feature_names": [...], "fitted_on_frame": true,
     "transform": {"kinds": [...], "center": [...], "scale": [...],
                   "pool": {"by": [count column | null, ...], "prior": [...], "pseudo": 2.0},  # optional
                   "weight": [...]},  # optional: feature weights, already folded into scale
     "centers": [[...], ...], "segment_names": [...], "engagement": [...],
     "profiles": [...], "selection": {...}, "stability": {...} | null,
     "metrics": {"inertia": ..., "n_iter": ...}, "metadata": {...}}

``transform.pool`` (pooled device and referrer shares, :mod:`intentseg.model.transform`) came within
version 1: files without it load and score as before, but a reader older than it ignores it and would
score such a file differently. Pooled average durations (``click_time_avg_s``, ``article_time_avg_s``;
``log`` columns in ``pool.by``) came later within version 1: files that pool only shares score as before;
a reader from before them rejects a file that pools averages (ModelFileError) rather than misscore it.
``transform.weight`` (feature weights, ``Segmenter(weighting="dispersion")``) came later still: the
weights are folded into ``scale``, so any scorer of version 1 scores such a file right; ``weight`` only
lets profiles and the engagement order undo them. A reader from before it rejects a weighted file, for
the unknown parameter ``weighting`` (ModelFileError); an unweighted file leaves ``weighting`` out
(its default, ``"none"``), so it loads there as before.

Floats are written with ``repr`` precision by :mod:`json`, so a loaded model predicts exactly what the
original did. A file with another format, a newer version or missing fields raises
:class:`~intentseg.errors.ModelFileError`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import __version__
from ..errors import InputError, ModelFileError
from .transform import KINDS, POOLED_KINDS, FeatureTransform

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
    if params["features"] is not None and not isinstance(params["features"], str):  # a str names feature sets
        params["features"] = list(params["features"])
    if params.get("weighting") == "none":  # the default: left out, so readers from before weighting load the file
        del params["weighting"]
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


_EDITED = "The file is damaged or was edited by hand; save the model again (Segmenter.save or --model-out)."


def _bad(where: str, what: str) -> ModelFileError:
    return ModelFileError(f"{where}: {what}.", hint=_EDITED)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite_matrix(value: Any, rows: int | None, cols: int, field: str, where: str) -> np.ndarray:
    """``value`` as a finite float matrix of ``rows`` x ``cols`` (numbers only: ``"1e999"`` is text)."""
    if not isinstance(value, list) or not all(isinstance(r, list) for r in value):
        raise _bad(where, f"{field} must be a list of lists of numbers, got {type(value).__name__}")
    if rows is not None and len(value) != rows:
        raise _bad(where, f"{field} has {len(value)} rows; expected {rows}")
    for i, row in enumerate(value):
        if len(row) != cols:
            raise _bad(where, f"{field}[{i}] has {len(row)} values; expected {cols} (one per feature)")
        for j, v in enumerate(row):
            if not _number(v) or not math.isfinite(v):
                raise _bad(where, f"{field}[{i}][{j}] is {v!r}; every value must be a finite number")
    return np.asarray(value, dtype=float).reshape(len(value), cols)


def _finite_vector(value: Any, n: int, field: str, where: str, *, positive: bool = False) -> np.ndarray:
    """``value`` as ``n`` finite floats (above 0 when ``positive``)."""
    if not isinstance(value, list) or len(value) != n:
        got = f"{len(value)} values" if isinstance(value, list) else type(value).__name__
        raise _bad(where, f"{field} must be a list of {n} numbers, got {got}")
    for j, v in enumerate(value):
        if not _number(v) or not math.isfinite(v) or (positive and v <= 0):
            need = "a finite number above 0" if positive else "a finite number"
            raise _bad(where, f"{field}[{j}] is {v!r}; every value must be {need}")
    return np.asarray(value, dtype=float)


def _unique_texts(value: Any, n: int | None, field: str, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _bad(where, f"{field} must be a list of non-empty texts")
    if n is not None and len(value) != n:
        raise _bad(where, f"{field} has {len(value)} entries; expected {n}")
    dupes = sorted({v for v in value if value.count(v) > 1})
    if dupes:
        raise _bad(where, f"{field} repeats {dupes}; each must be unique")
    return list(value)


def _profiles(value: Any, k: int, where: str) -> list[dict[str, Any]]:
    """The profiles as the pipeline reads them: one dict per segment id 0..k-1."""
    if not isinstance(value, list) or len(value) != k or not all(isinstance(p, dict) for p in value):
        got = f"{len(value)} entries" if isinstance(value, list) else repr(value)[:40]
        raise _bad(where, f"profiles must be a list of {k} objects (one per segment), got {got}")
    ids = [p.get("segment_id") for p in value]
    if sorted(i for i in ids if isinstance(i, int) and not isinstance(i, bool)) != list(range(k)):
        raise _bad(where, f"profiles have segment ids {ids}; expected each of 0..{k - 1} once")
    for p in value:
        s = p["segment_id"]
        if not (_number(p.get("size")) and p["size"] >= 0 and _number(p.get("share")) and 0 <= p["share"] <= 1):
            raise _bad(where, f"profile {s}: size must be a count and share a number in [0, 1]")
        if not isinstance(p.get("traits"), list) or not all(isinstance(t, str) for t in p["traits"]):
            raise _bad(where, f"profile {s}: traits must be a list of texts")
        if not isinstance(p.get("advice"), str):
            raise _bad(where, f"profile {s}: advice must be a text")
        features = p.get("features")
        if not isinstance(features, dict) or not all(isinstance(v, dict) for v in features.values()):
            raise _bad(where, f"profile {s}: features must map each feature to its statistics")
    return value


def _check_header(d: Any, where: str) -> None:
    """A model file of this format version, with every required field."""
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


def _check_sections(d: dict[str, Any], where: str) -> None:
    """params, selection, metrics, metadata and stability of the right shapes."""
    if not isinstance(d["params"], dict) or not isinstance(d["params"].get("k_range"), list):
        raise _bad(where, "params must be an object with k_range [low, high]")
    for field in ("selection", "metrics", "metadata"):
        if not isinstance(d[field], dict):
            raise _bad(where, f"{field} must be an object, got {type(d[field]).__name__}")
    if d.get("stability") is not None and not isinstance(d["stability"], dict):
        raise _bad(where, "stability must be an object or null")
    metrics = d["metrics"]
    if not _number(metrics.get("inertia")) or not isinstance(metrics.get("n_iter"), int):
        raise _bad(where, "metrics must hold a number inertia and a whole n_iter")


def _check_pool(pool: Any, names: list[str], kinds: list[str], where: str) -> None:
    """``transform.pool`` (optional; files written before pooled shares have none): per feature the
    count column it is pooled by (a model feature) or null, a finite prior (in [0, 1] for a share, >= 0 for
    an average pooled in log space), a positive pseudo."""
    if pool is None:
        return
    n = len(names)
    if not isinstance(pool, dict) or not {"by", "prior", "pseudo"} <= set(pool):
        raise _bad(where, "transform.pool must hold by, prior and pseudo")
    by = pool["by"]
    if not isinstance(by, list) or len(by) != n or not all(
            b is None or (b in names and kinds[j] in POOLED_KINDS) for j, b in enumerate(by)):
        raise _bad(where, f"transform.pool.by must give, per feature ({n}), null or the model column a share "
                          f"or average is pooled by, got {by!r}"[:300])
    prior = _finite_vector(pool["prior"], n, "transform.pool.prior", where)
    shares = np.array([k == "share" for k in kinds])
    if np.any(prior < 0) or np.any(shares & (prior > 1)):
        raise _bad(where, "transform.pool.prior must be >= 0 (and at most 1 for a share)")
    if not (_number(pool["pseudo"]) and math.isfinite(pool["pseudo"]) and pool["pseudo"] > 0):
        raise _bad(where, f"transform.pool.pseudo must be a positive number, got {pool['pseudo']!r}")


def restore(d: Any, cls: type[Segmenter], where: str = "model") -> Segmenter:
    """A fitted ``cls`` (a Segmenter) from a model file's contents, checked field by field.

    The class is passed in (``Segmenter.from_dict`` does) so that this module never imports the estimator.

    Every number that scoring uses must be finite, shapes must agree (k centres of n features, one scale
    and centre per feature, one name and profile per segment), names unique, transforms known; anything
    else raises :class:`ModelFileError` (exit 2) naming the file and the field.
    """
    _check_header(d, where)
    names = _unique_texts(d["feature_names"], None, "feature_names", where)
    n = len(names)
    if not n:
        raise _bad(where, "feature_names is empty")
    transform = d["transform"]
    if not isinstance(transform, dict) or not {"kinds", "center", "scale"} <= set(transform):
        raise _bad(where, "transform must hold kinds, center and scale")
    kinds = transform["kinds"]
    if not isinstance(kinds, list) or len(kinds) != n or not all(k in KINDS for k in kinds):
        raise _bad(where, f"transform.kinds must list one of {list(KINDS)} per feature ({n}), got {kinds!r}"[:300])
    center = _finite_vector(transform["center"], n, "transform.center", where)
    scale = _finite_vector(transform["scale"], n, "transform.scale", where, positive=True)
    _check_pool(transform.get("pool"), names, kinds, where)
    if transform.get("weight") is not None:
        transform = {**transform, "weight": _finite_vector(transform["weight"], n, "transform.weight", where,
                                                           positive=True).tolist()}
    centers = _finite_matrix(d["centers"], None, n, "centers", where)
    k = len(centers)
    if k < 1:
        raise _bad(where, "centers is empty; a model has at least one segment centre")
    segment_names = _unique_texts(d["segment_names"], k, "segment_names", where)
    engagement = _finite_vector(d["engagement"], k, "engagement", where)
    profiles = _profiles(d["profiles"], k, where)
    _check_sections(d, where)
    metrics = d["metrics"]
    try:
        params = dict(d["params"])
        params["k_range"] = tuple(params["k_range"])
        model = cls(**params)
    except TypeError as exc:
        raise _bad(where, f"params are not Segmenter parameters ({exc})") from None
    model.feature_names_ = names
    model.n_features_in_ = n
    if d["fitted_on_frame"]:
        model.feature_names_in_ = np.asarray(names, dtype=object)
    model.transform_ = FeatureTransform.from_dict(list(names), {**transform, "center": center, "scale": scale})
    model.cluster_centers_ = centers
    model.segment_names_ = segment_names
    model.engagement_ = engagement
    model.profiles_ = profiles
    model.selection_ = d["selection"]
    model.stability_ = d.get("stability")
    model.inertia_ = float(metrics["inertia"])
    model.n_iter_ = int(metrics["n_iter"])
    model.metadata_ = d["metadata"]
    return model


def save(model: Segmenter, path: str | Path) -> None:
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model, "cluster_centers_")
    text = json.dumps(to_dict(model), indent=1, allow_nan=True) + "\n"
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"Cannot write the model file {path}: {exc.strerror or exc}.",
                         hint="Choose a path in a folder that exists and that you can write.") from None


def read(path: str | Path) -> Any:
    """The parsed JSON of a model file, or ModelFileError naming the file and the fix."""
    p = Path(path)
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFileError(f"Model file {p} not found.", hint="Check the path, or train one with `intentseg segment --model-out`.") from None
    except IsADirectoryError:
        raise ModelFileError(f"Model file {p} is a folder.", hint="Pass the model's .json file.") from None
    except OSError as exc:
        raise ModelFileError(f"Model file {p} cannot be read: {exc.strerror or exc}.",
                             hint="Check the path and its permissions.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{p} is not valid JSON ({exc}).",
                             hint="Model files are JSON written by Segmenter.save; pickles are not accepted.") from None
    except RecursionError:
        raise ModelFileError(f"{p} is nested too deeply to be a model file.", hint=_EDITED) from None
    return d
