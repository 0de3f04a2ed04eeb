"""Choosing the number of segments with evidence, or saying that there is none.

Every k in the range is fitted (K-Means, ``SCAN_N_INIT`` starts) on a seeded random sample of at most
``sample_size`` users and scored:

* **silhouette** (how well each user sits in its own segment rather than the next one), on a
  stratified sample of at most ``silhouette_sample_size`` users;
* **reference silhouette**: the same k fitted on a *reference* sample drawn from one Gaussian cloud with
  the data's mean and covariance, i.e. the same shape and spread but no groups. Splitting a single
  elongated cloud gives a high silhouette by itself (silhouette alone favours k = 2 whenever one axis,
  such as activity volume, dominates); what a real group structure adds is the **excess**
  ``silhouette - reference silhouette`` (the idea of the gap statistic, with the silhouette as the
  measure and the data's own covariance as the null);
* **minimum segment share** (the smallest segment's share of the sample);
* Calinski-Harabasz, Davies-Bouldin and inertia, kept for the report and the elbow chart (not voted:
  on heavy-tailed behaviour data they lean to few and to many segments respectively).

**The rule** (:func:`choose_k`):

1. Candidates are the k whose smallest segment holds at least ``MIN_SHARE`` of the users.
2. A k is *supported* when its excess is at least ``MIN_EXCESS``.
3. Among the supported candidates within ``NEAR_BEST`` of the best excess (differences that small are
   sampling noise of the silhouette sample), the chosen k is the smallest after which one more segment
   adds less than ``STEP_GAIN`` of excess: the first k where the curve levels off near its top. Fewer
   segments are easier to act on, and a spike at a large k (a split of a discrete count lattice, a
   lucky silhouette sample) does not pull the choice up.
4. The chosen k must be *stable*: K-Means refitted on two disjoint halves of the scan sample must agree
   (adjusted Rand index of their assignments of the whole sample at least ``MIN_STABILITY``).
5. Otherwise (no supported k, or the chosen one is not stable) the model falls back to
   **k = 3, the classic three engagement tiers** (low, moderate, highly engaged), and says so:
   ``fallback`` is true and ``reason`` tells why, in words the CLI, the JSON output and the report show.

The constants were set on intentseg's own generator (``bench/quality``) and then frozen before the
held-out generators were run; ``bench/results/quality.md`` reports how the rule fares on all of them.

**Feature weights** (``Segmenter(weighting="dispersion")``, off by default; ADR 0004, third held-out
round): Huang et al.'s (2005) weighted K-Means, :func:`weighted_kmeans`. K-Means and a weight per
feature alternate: K-Means in the space where column v is multiplied by ``sqrt(weight[v])``, then
``weight[v] = w[v] ** WEIGHT_BETA`` with ``w[v]`` proportional to ``1 / d[v] ** (1 / (WEIGHT_BETA - 1))``
and ``d[v]`` the share of column v's variance left *within* the segments (Huang's dispersion divided by
the column's total, so a share's units do not count). Features the segments explain get more weight,
pure within-group noise less. A weight is a rescaling of its column, so the model stays a K-Means
model (the weights are folded into the transform's scale). With weights the scan learns them for every
k and scores each k in its own weighted space, as it scores the unweighted one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score
from threadpoolctl import threadpool_limits

MIN_SHARE = 0.015
MIN_EXCESS = 0.08
NEAR_BEST = 0.03
STEP_GAIN = 0.015
MIN_STABILITY = 0.6
FALLBACK_K = 3
#: K-Means starts per k while scanning (fewer starts gave noisy scores: a k fitted into a poor local optimum)
SCAN_N_INIT = 10
#: Threads for the scan's fits: on a 10k-user sample, thread start-up per K-Means start costs more than it saves
SCAN_THREADS = 1
#: ``Segmenter(weighting=...)``: "none" (plain K-Means) or "dispersion" (:func:`weighted_kmeans`).
WEIGHTINGS = ("none", "dispersion")
#: Huang's beta: 8 spreads the weights less than 2-4 did on the seen datasets (at 2 a few 0/1-like
#: shares took all the weight); at beta -> infinity a weight is 1 / the within-segment share of variance.
WEIGHT_BETA = 8.0
#: The within-segment share of variance ``d`` is counted as at least this, so no weight exceeds another
#: by more than ``(1 / MIN_DISPERSION) ** (WEIGHT_BETA / (WEIGHT_BETA - 1))`` = 2.2. Weights learned from
#: a K-Means partition confirm that partition, right or wrong; unbounded (0.01) they lost 0.05 ARI at
#: the true k on the seen datasets, 0.1 / 0.25 / 0.5 lost 0.047 / 0.019 / 0.006 (ADR 0004, third round).
MIN_DISPERSION = 0.5
#: Rounds of weights and K-Means at most (each round stops early once the segments stay).
WEIGHT_ROUNDS = 20


@dataclass(frozen=True)
class Choice:
    """What :func:`choose_k` decided: k, whether it is the fallback, and why, in words."""

    k: int
    fallback: bool
    reason: str
    stability: float | None = None


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


def scan_sample(Z: np.ndarray, sample_size: int, seed: int) -> np.ndarray:
    """The seeded random sample of at most ``sample_size`` rows that the scan fits (all rows if fewer)."""
    if len(Z) <= sample_size:
        return Z
    rng = np.random.default_rng(seed)
    return Z[np.sort(rng.choice(len(Z), sample_size, replace=False))]


def reference_cloud(S: np.ndarray, seed: int) -> np.ndarray:
    """A sample of one Gaussian cloud with the mean and covariance of ``S``: its shape, no groups."""
    rng = np.random.default_rng(seed + 1)
    cov = np.atleast_2d(np.cov(S, rowvar=False))  # one feature: a 1 x 1 covariance
    return rng.multivariate_normal(S.mean(axis=0), cov, size=len(S), method="eigh")


def silhouette(X: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette (as :func:`sklearn.metrics.silhouette_score`, Euclidean), from one distance matrix:
    the per-segment distance sums are a matrix product, several times faster on a few thousand rows."""
    uniq, idx = np.unique(labels, return_inverse=True)
    if not 2 <= len(uniq) <= len(X) - 1:
        return float("nan")
    X = np.asarray(X, dtype=np.float32)  # half the memory traffic; silhouettes agree to ~1e-6
    sq = np.einsum("ij,ij->i", X, X)
    D = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2.0 * (X @ X.T), 0.0))  # BLAS, not a pairwise loop
    onehot = np.zeros((len(X), len(uniq)), dtype=np.float32)
    onehot[np.arange(len(X)), idx] = 1.0
    sums, counts = (D @ onehot).astype(np.float64), onehot.sum(axis=0).astype(np.float64)
    own = counts[idx]
    a = sums[np.arange(len(X)), idx] / np.maximum(own - 1, 1)
    others = sums / counts
    others[np.arange(len(X)), idx] = np.inf
    b = others.min(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(own > 1, (b - a) / np.maximum(a, b), 0.0)
    return float(np.nan_to_num(s).mean())


def _silhouette(X: np.ndarray, labels: np.ndarray, size: int, rng: np.random.Generator) -> float:
    if len(np.unique(labels)) < 2:
        return float("nan")
    rows = stratified_sample(labels, size, rng)
    return silhouette(X[rows], labels[rows])


def scan_k(
    Z: np.ndarray,
    k_values: list[int],
    *,
    n_init: int,
    max_iter: int,
    seed: int,
    sample_size: int,
    silhouette_sample_size: int,
    reference: bool = True,
    fitted: dict[int, KMeans] | None = None,
    weighting: str = "none",
) -> list[dict]:
    """Fit and score every k; one dict per k (see the module docstring for the columns).

    When the scan sample is all of ``Z`` and ``fitted`` is given, the K-Means models are left in it
    (k -> model). ``reference=False`` skips the reference cloud (k given: nothing to choose).
    ``weighting="dispersion"``: each k is fitted by :func:`weighted_kmeans` and scored in its own
    weighted space (the reference cloud takes that space's shape); its row holds the ``weights``, and
    nothing is left in ``fitted`` (those models live in a space of their own).
    """
    S = scan_sample(Z, sample_size, seed)
    weighted = weighting == "dispersion"
    R = reference_cloud(S, seed) if reference and not weighted else None
    rng = np.random.default_rng(seed)
    rows = []
    with threadpool_limits(SCAN_THREADS):
        for k in k_values:
            if weighted:
                km, weights = weighted_kmeans(S, k, n_init=n_init, max_iter=max_iter, seed=seed)
                W = S * np.sqrt(weights)
                row = _score_k(W, reference_cloud(W, seed) if reference else None, k, n_init, max_iter, seed,
                               silhouette_sample_size, rng, None, km)
                rows.append({**row, "weights": [float(v) for v in weights]})
            else:
                rows.append(_score_k(S, R, k, n_init, max_iter, seed, silhouette_sample_size, rng,
                                     fitted if S is Z else None))
    return rows


def _score_k(S: np.ndarray, R: np.ndarray | None, k: int, n_init: int, max_iter: int, seed: int,
             silhouette_sample_size: int, rng: np.random.Generator, fitted: dict[int, KMeans] | None,
             km: KMeans | None = None) -> dict:
    """One row of :func:`scan_k`: the fit of k on the sample ``S`` (``km`` when already fitted; and
    the fit on the reference ``R``), scored."""
    if km is None:
        km = KMeans(n_clusters=k, n_init=n_init, max_iter=max_iter, random_state=seed).fit(S)
    if fitted is not None:
        fitted[k] = km
    labels = km.labels_
    row = {"k": k, "silhouette": float("nan"), "calinski_harabasz": float("nan"),
           "davies_bouldin": float("nan"), "inertia": float(km.inertia_),
           "min_share": float(np.bincount(labels, minlength=k).min() / len(labels))}
    if len(np.unique(labels)) >= 2:  # degenerate data (e.g. all rows equal): no index is defined
        row.update(silhouette=_silhouette(S, labels, silhouette_sample_size, rng),
                   calinski_harabasz=float(calinski_harabasz_score(S, labels)),
                   davies_bouldin=float(davies_bouldin_score(S, labels)))
    if R is not None:
        ref = KMeans(n_clusters=k, n_init=1, max_iter=max_iter, random_state=seed).fit(R)
        row["silhouette_reference"] = _silhouette(R, ref.labels_, silhouette_sample_size, rng)
        row["excess"] = row["silhouette"] - row["silhouette_reference"]
    return row


def dispersion_weights(Z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Huang's feature weights for the segments ``labels`` of ``Z`` (see the module docstring), as
    distance weights with a mean of 1. A column with no variance carries no group structure: it counts
    as unexplained (``d = 1``)."""
    total = ((Z - Z.mean(axis=0)) ** 2).sum(axis=0)
    within = np.zeros(Z.shape[1])
    for s in np.unique(labels):
        rows = Z[labels == s]
        within += ((rows - rows.mean(axis=0)) ** 2).sum(axis=0)
    d = np.ones(Z.shape[1])
    varies = total > 1e-12 * max(float(total.max()), 1e-300)
    d[varies] = np.clip(within[varies] / total[varies], MIN_DISPERSION, 1.0)
    w = d ** (-1.0 / (WEIGHT_BETA - 1.0))
    weights = (w / w.sum()) ** WEIGHT_BETA
    return weights / weights.mean()


def weighted_kmeans(Z: np.ndarray, k: int, *, n_init: int, max_iter: int, seed: int) -> tuple[KMeans, np.ndarray]:
    """Huang's W-K-Means: K-Means (``n_init`` starts) on ``Z``, then weights from its segments and
    K-Means again in the weighted space from the segments' means, until the segments stop changing.

    Returns the last K-Means (fitted on ``Z * sqrt(weights)``: its centres live in the weighted space)
    and the weights (:func:`dispersion_weights`, mean 1)."""
    km = KMeans(n_clusters=k, n_init=n_init, max_iter=max_iter, random_state=seed).fit(Z)
    weights = np.ones(Z.shape[1])
    for _ in range(WEIGHT_ROUNDS):
        labels, before = km.labels_, weights
        weights = dispersion_weights(Z, labels)
        W = Z * np.sqrt(weights)
        # each segment's mean in the new space (an empty segment: its centre, rescaled)
        init = np.stack([W[labels == s].mean(axis=0) if np.any(labels == s)
                         else km.cluster_centers_[s] * np.sqrt(weights / before) for s in range(k)])
        km = KMeans(n_clusters=k, init=init, n_init=1, max_iter=max_iter, random_state=seed).fit(W)
        if np.array_equal(km.labels_, labels):
            break
    return km, weights


def stability(S: np.ndarray, k: int, *, n_init: int, max_iter: int, seed: int) -> float | None:
    """Adjusted Rand index between K-Means fitted on two disjoint random halves of ``S``, both
    assigning all of ``S``: 1 = the same segments whichever users are seen, ~0 = arbitrary.
    ``None`` when a half is too small to tell (fewer than 10 users per segment)."""
    if len(S) // 2 < 10 * k:
        return None
    rng = np.random.default_rng(seed + 2)
    order = rng.permutation(len(S))
    halves = order[: len(S) // 2], order[len(S) // 2:]
    with threadpool_limits(SCAN_THREADS):
        labels = [KMeans(n_clusters=k, n_init=n_init, max_iter=max_iter, random_state=seed + i).fit(S[h]).predict(S)
                  for i, h in enumerate(halves)]
    return float(adjusted_rand_score(labels[0], labels[1]))


def choose_k(scores: list[dict], stability_of=None) -> Choice:
    """Apply the rule in the module docstring to the rows from :func:`scan_k`.

    ``stability_of(k) -> float`` checks the chosen k (step 4); without it the check is skipped.
    """
    ks = [r["k"] for r in scores]
    lo, hi = (min(ks), max(ks)) if ks else (FALLBACK_K, FALLBACK_K)
    where = f"k = {lo}..{hi}" if lo != hi else f"k = {lo}"
    fallback = f"fallback to k = {FALLBACK_K}, the classic three engagement tiers: "
    candidates = [r for r in scores if r["min_share"] >= MIN_SHARE and np.isfinite(r.get("excess", np.nan))]
    if not candidates:
        return Choice(FALLBACK_K, True, fallback + f"every {where} left a segment under {MIN_SHARE:.1%} of users"
                      if ks else fallback + "too few users to compare any k")
    best = max(r["excess"] for r in candidates)
    if best < MIN_EXCESS:
        return Choice(FALLBACK_K, True, fallback + (
            f"no {where} shows clearly more structure than one cloud of the same shape "
            f"(best silhouette excess {best:.3f} < {MIN_EXCESS})"))
    excess = {r["k"]: r["excess"] for r in candidates}
    near = sorted(k for k, e in excess.items() if e >= max(best - NEAR_BEST, MIN_EXCESS))
    # the first k near the top after which one more segment no longer clearly adds structure
    k = next(k for k in near if excess.get(k + 1, -np.inf) < excess[k] + STEP_GAIN or k == near[-1])
    stable = stability_of(k) if stability_of is not None else None
    if stable is not None and stable < MIN_STABILITY:
        return Choice(FALLBACK_K, True, fallback + (
            f"k = {k} had the best support but its segments change with the users sampled "
            f"(refits on two halves agree at ARI {stable:.2f} < {MIN_STABILITY})"), stable)
    return Choice(k, False, (
        f"k = {k}: silhouette excess over one cloud of the same shape {excess[k]:.3f} (best {best:.3f}), "
        f"k + 1 adds less than {STEP_GAIN}, smallest segment >= {MIN_SHARE:.1%}"
        + (f", stable on refits (ARI {stable:.2f})" if stable is not None else "")), stable)
