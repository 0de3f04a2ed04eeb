"""Choosing the number of segments with evidence.

Every k in the range is fitted (K-Means, ``n_init`` starts) on a random sample of at most
``sample_size`` users and scored with three indices:

* silhouette (higher is better), computed on a sample of at most ``silhouette_sample_size`` users
  stratified by segment, so small segments are represented and millions of users stay cheap;
* Calinski-Harabasz (higher is better) and Davies-Bouldin (lower is better), on the whole scan sample;
* inertia (within-segment sum of squares), kept for the elbow chart in the report.

**The rule.** The highest silhouette wins (how well each user sits in its own segment rather than the
next one is what a segmentation is for); candidates within ``SILHOUETTE_TIE`` of the best count as
tied (about the sampling noise of a 10k-user silhouette) and the smallest tied k wins: fewer
segments are easier to act on. Calinski-Harabasz and Davies-Bouldin are kept next to it in
``selection_`` for the report: they often disagree by a step (Calinski-Harabasz leans to few segments,
Davies-Bouldin to many), which is why they are not voted.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

SILHOUETTE_TIE = 0.005


def stratified_sample(labels: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Row indices of a sample of about ``size`` rows with each label's share preserved (>= 2 per label)."""
    n = len(labels)
    if n <= size:
        return np.arange(n)
    picked = []
    for lab in np.unique(labels):
        rows = np.flatnonzero(labels == lab)
        take = min(len(rows), max(2, int(round(size * len(rows) / n))))
        picked.append(rng.choice(rows, take, replace=False))
    return np.sort(np.concatenate(picked))


def scan_k(
    Z: np.ndarray,
    k_values: list[int],
    *,
    n_init: int,
    max_iter: int,
    seed: int,
    sample_size: int,
    silhouette_sample_size: int,
    fitted: dict[int, KMeans] | None = None,
) -> list[dict]:
    """Fit and score every k; one dict per k: k, silhouette, calinski_harabasz, davies_bouldin, inertia.

    When the scan sample is all of ``Z`` and ``fitted`` is given, the K-Means models are left in it
    (k -> model), so the final fit of the chosen k need not be repeated.
    """
    rng = np.random.default_rng(seed)
    S = Z if len(Z) <= sample_size else Z[np.sort(rng.choice(len(Z), sample_size, replace=False))]
    rows = []
    for k in k_values:
        km = KMeans(n_clusters=k, n_init=n_init, max_iter=max_iter, random_state=seed).fit(S)
        if fitted is not None and S is Z:
            fitted[k] = km
        labels = km.labels_
        if len(np.unique(labels)) < 2:  # degenerate data (e.g. all rows equal): no index is defined
            rows.append({"k": k, "silhouette": float("nan"), "calinski_harabasz": float("nan"),
                         "davies_bouldin": float("nan"), "inertia": float(km.inertia_)})
            continue
        sil_rows = stratified_sample(labels, silhouette_sample_size, rng)
        rows.append(
            {
                "k": k,
                "silhouette": float(silhouette_score(S[sil_rows], labels[sil_rows])),
                "calinski_harabasz": float(calinski_harabasz_score(S, labels)),
                "davies_bouldin": float(davies_bouldin_score(S, labels)),
                "inertia": float(km.inertia_),
            }
        )
    return rows


def choose_k(scores: list[dict]) -> int:
    """Apply the rule in the module docstring to the rows from :func:`scan_k`."""
    ks = np.array([r["k"] for r in scores])
    sil = np.nan_to_num(np.array([r["silhouette"] for r in scores], dtype=float), nan=-np.inf)
    tied = ks[sil >= sil.max() - SILHOUETTE_TIE]
    return int(tied.min())
