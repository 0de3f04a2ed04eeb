"""Clustering at scale: Spark MLlib's K-Means, returned as the same :class:`Segmenter` (and JSON model).

Only the centres come from MLlib. Everything else is the scikit-learn path's own code, run on a random
sample of users collected to the driver (the pipeline passes its ``segment.fit_sample_users`` sample;
without one, at most ``segmenter.sample_size`` users are drawn in Spark):

1. The scikit-learn segmenter is fitted on the sample: the feature transform (centre and scale of every
   column: medians/IQRs or means/stds *of the sample*, which at 100,000 users are within a percent of
   the full data's) and, with ``n_segments="auto"``, k, chosen by the same k selection.
2. Spark applies that transform to every user, with the arithmetic of :mod:`intentseg.model.transform`
   (``LN(1 + GREATEST(x, 0))`` for log columns, ``LEAST(GREATEST(x, 0), 1)`` for shares and flags, then
   ``(value - center) / scale``; NULL counts as 0, as in the SQL scoring query), and MLlib fits K-Means
   with k-means|| initialisation on all users, ``n_init`` times (different seeds), keeping the lowest cost.
3. MLlib's centres replace the sample's in ``Segmenter._finish``, the step that ends ``Segmenter.fit``:
   ordered by engagement, matched to a ``previous`` model, named, and profiled on the sample (feature
   means, medians, traits) with sizes and shares counted on every user. ``labels_`` are the sample's
   labels; score everyone with ``to_sql("spark")``.

So downstream — names, reports, SQL scoring, history, ``persist.to_dict`` — cannot tell the two paths
apart, except for ``metadata_["fitted_with"] == "spark-mllib"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils import check_random_state

from .segmenter import Segmenter
from .transform import DEFAULT_FEATURES, FeatureTransform, resolve_feature_set


def _feature_names(model: Segmenter, columns: list[str], dtypes: dict[str, str]) -> list[str]:
    """The model columns, chosen as ``Segmenter`` chooses them for a DataFrame."""
    if isinstance(model.features, str):  # named feature sets
        return resolve_feature_set(model.features, list(columns))
    if model.features is not None:
        return list(model.features)
    numeric = ("tinyint", "smallint", "int", "bigint", "float", "double", "decimal")
    return [f for f in DEFAULT_FEATURES if f in columns] or [
        c for c in columns if c != "user_id" and dtypes[c].split("(")[0] in numeric
    ]


def transform_columns(transform: FeatureTransform) -> list[Any]:
    """Spark columns ``z0..zN``: the fitted transform, with the same arithmetic as NumPy and the SQL query."""
    from pyspark.sql import functions as F

    out = []
    pools = {j: (transform.names[c], wp, m) for j, c, wp, m in transform.pooled()}
    for j, (name, kind) in enumerate(zip(transform.names, transform.kinds)):
        v = F.coalesce(F.col(f"`{name}`").cast("double"), F.lit(0.0))
        if kind == "log":
            v = F.log(F.lit(1.0) + F.greatest(v, F.lit(0.0)))
        elif kind in ("share", "flag"):
            v = F.least(F.greatest(v, F.lit(0.0)), F.lit(1.0))
        if j in pools:  # a pooled share or log average: (n * value + pseudo * prior) / (n + pseudo)
            count, weighted_prior, pseudo = pools[j]
            n = F.greatest(F.coalesce(F.col(f"`{count}`").cast("double"), F.lit(0.0)), F.lit(0.0))
            v = (n * v + F.lit(weighted_prior)) / (n + F.lit(pseudo))
        out.append(((v - F.lit(float(transform.center[j]))) / F.lit(float(transform.scale[j]))).alias(f"z{j}"))
    return out


def fit_mllib(features: Any, segmenter: Segmenter, previous: Segmenter | None = None, *,
              sample: pd.DataFrame | None = None) -> Segmenter:
    """Fit ``segmenter`` (unfitted; its parameters are used) on a Spark DataFrame of user features.

    ``features`` holds one row per user (the ``user_features`` table; ``Warehouse.spark_frame`` gives
    it). ``sample``: users already collected to the driver (the pipeline's ``segment.fit_sample_users``
    sample, with ``user_id`` and the model columns); None draws at most ``segmenter.sample_size`` users
    in Spark. Returns a fitted :class:`Segmenter` whose centres are MLlib's; see the module docstring.
    """
    model = clone(segmenter)
    # the sample holds only user_id and the model columns, so the sample fit picks these same names
    names = _feature_names(model, features.columns, dict(features.dtypes))
    seed = int(check_random_state(model.random_state).randint(np.iinfo(np.int32).max))
    if sample is None:
        sample = _spark_sample(features, names, model.sample_size, seed)
    sample = _as_numbers(sample[["user_id", *names]].copy(), names)

    # 1. transform and k, from the sample, by the scikit-learn code
    model.fit(sample)
    # 2. every user transformed in Spark, K-Means|| on all of them
    km = _kmeans(features, model, seed)
    sizes = np.asarray(km.summary.clusterSizes, dtype=np.int64)
    # 3. MLlib's centres in the sample model's place: ordered, matched, named, profiled by Segmenter._finish
    raw = sample[names].to_numpy(dtype=float)
    return model._finish(
        np.asarray(km.clusterCenters(), dtype=float), sample, raw, model.transform_.apply(raw),
        model.transform_.kinds, from_frame=True, previous=previous, inertia=float(km.summary.trainingCost),
        n_iter=int(km.summary.numIter), sizes=sizes,
        metadata={"n_users": int(sizes.sum()), "seed": seed, "fitted_with": "spark-mllib",
                  "profile_sample_users": len(sample)},
    )


def _spark_sample(features: Any, names: list[str], size: int, seed: int) -> pd.DataFrame:
    """At most ``size`` random users with their model columns, collected to the driver."""
    fraction = min(1.0, 1.1 * size / max(features.count(), 1))
    sample = features.select("user_id", *(f"`{c}`" for c in names)).sample(fraction=fraction, seed=seed)
    return sample.limit(size).toPandas()


def _kmeans(features: Any, model: Segmenter, seed: int) -> Any:
    """MLlib K-Means (k-means|| starts) with the sample model's k on every user, in its transformed space.

    ``n_init`` starts, the lowest cost wins (as in scikit-learn): one k-means|| start lands in a worse
    local optimum often enough (ARI 0.72-0.82 against the best on generated personas) to matter.
    """
    from pyspark.ml.clustering import KMeans
    from pyspark.ml.feature import VectorAssembler

    transform = model.transform_
    z = features.select(*transform_columns(transform))
    columns = [f"z{j}" for j in range(len(transform.names))]
    assembled = VectorAssembler(inputCols=columns, outputCol="z").transform(z).select("z").persist()
    try:
        fits = [KMeans(k=model.selection_["k"], initMode="k-means||", seed=seed + i, maxIter=model.max_iter,
                       featuresCol="z").fit(assembled) for i in range(model.n_init)]
    finally:
        assembled.unpersist()
    return min(fits, key=lambda f: f.summary.trainingCost)


def _as_numbers(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Spark DECIMAL columns arrive as objects; the segmenter wants floats (NULL as 0, as in SQL scoring)."""
    for c in names:
        frame[c] = pd.to_numeric(frame[c], errors="coerce").astype(float).fillna(0.0)
    return frame

