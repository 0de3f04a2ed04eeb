"""How each user feature is transformed before clustering: a small registry keyed by column name.

Behaviour data is heavy-tailed: a handful of users click a thousand times more than the median user.
K-Means on raw counts would spend every centre on those few, so:

============  ==================================================  =======================================
kind          which columns (first matching rule wins)             transform
============  ==================================================  =======================================
``flag``      ``has_*``                                            clipped to [0, 1], not scaled
``share``     ``*_share``                                          clipped to [0, 1], not scaled
``plain``     ``engagement_score``, ``query_words_avg``            scaled (already on a log-like scale)
``log``       ``*_s`` (durations), ``*_days``, ``clicks``,         ``ln(1 + max(x, 0))``, then scaled
              ``sessions``, ``searches``, ``article_views``,
              ``total_events``, ``distinct_*``
``plain``     anything else (and every column of a numpy array)   scaled
============  ==================================================  =======================================

Scaling (``robust``: median and inter-quartile range; ``standard``: mean and standard deviation) brings
each scaled column to a standard deviation of 0.5, the largest a [0, 1] share can have. It is
learned in ``fit`` and stored in the model, so a saved model, ``predict`` and the SQL query from
``to_sql`` all apply exactly the same arithmetic: ``(value - center) / scale``. Shares and flags stay
in [0, 1].

**Pooled shares.** A device or referrer share of a user with one or two clicks is 0 or 1: K-Means then
cuts the many light users along these coin flips instead of finding groups. When the model also uses
``clicks`` (the count the share is taken over), such a share is pooled toward the average share of the
users with clicks, as if every user had ``POOL_PSEUDO`` more clicks at that average:
``(clicks * share + POOL_PSEUDO * prior) / (clicks + POOL_PSEUDO)``; ``prior`` is learned in ``fit``
and stored with the model. Users with many clicks keep their own share; users with none get the prior.
The two average durations can be pooled the same way after their log, by the count they average over
(``click_time_avg_s`` by ``clicks``, ``article_time_avg_s`` by ``article_views``; :data:`POOLED_AVERAGES`):
the scorers and model files support it, ``fit`` does not do it by default (see the constant).

**Feature weights** (``Segmenter(weighting="dispersion")``, off by default): a weight per column,
learned with the segments (:func:`intentseg.model.selection.weighted_kmeans`), multiplies that column's
squared distances. It is folded into the scale, ``scale / sqrt(weight)``, so every scorer's arithmetic
is unchanged; ``weight`` is kept beside it to recover the unweighted space (:meth:`FeatureTransform.unweighted`)
where shares are shares again, for profiles and the engagement order.

Each rule also carries the feature's *engagement weight* (+1: more means more engaged, -1: more
means less engaged, 0: says nothing about engagement), used to order segments. The words that name and
describe segments live in :mod:`intentseg.model.naming`.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class FeatureRule:
    pattern: str  # fnmatch pattern on the column name
    kind: str  # "log" | "share" | "flag" | "plain"
    engagement: int = 0  # +1 / -1 / 0, see the module docstring


# Ordered: the first matching pattern wins.
RULES: tuple[FeatureRule, ...] = (
    FeatureRule("has_*", "flag"),
    FeatureRule("*_share", "share"),
    FeatureRule("engagement_score", "plain", engagement=+1),
    FeatureRule("query_words_avg", "plain"),
    FeatureRule("recency_days", "log", engagement=-1),
    FeatureRule("*_avg_s", "log"),
    FeatureRule("*_s", "log", engagement=+1),
    FeatureRule("*_days", "log", engagement=+1),
    FeatureRule("clicks", "log", engagement=+1),
    FeatureRule("sessions", "log", engagement=+1),
    FeatureRule("searches", "log", engagement=+1),
    FeatureRule("article_views", "log", engagement=+1),
    FeatureRule("total_events", "log", engagement=+1),
    FeatureRule("distinct_*", "log", engagement=+1),
)
DEFAULT_RULE = FeatureRule("*", "plain")

KINDS = ("log", "share", "flag", "plain")
#: Shares pooled toward their average by the count they are taken over (see the module docstring):
#: (pattern, count column). Intent shares are not pooled: "never searched" (all four at 0) is a signal.
POOLED_SHARES: tuple[tuple[str, str], ...] = (("device_*_share", "clicks"), ("referrer_*_share", "clicks"))
#: The average durations, pooled in log space by the count each averages over. NOT pooled by default:
#: on the seen datasets it raised K-Means' ARI at the true k but the k rule then found the true k on 3
#: of 16 instead of 7 (docs/adr/0004-choosing-k.md, second held-out round). Model files may carry it.
POOLED_AVERAGES: tuple[tuple[str, str], ...] = (("click_time_avg_s", "clicks"), ("article_time_avg_s", "article_views"))
#: What ``fit`` pools.
POOLED: tuple[tuple[str, str], ...] = POOLED_SHARES
#: The kinds a pooled column may have: shares, and averages pooled in log space (``ln(1 + avg)``).
POOLED_KINDS = ("share", "log")
#: Pseudo-count of the pooling: a user's share counts as much as POOL_PSEUDO clicks at the average share
#: (set on the quality suite's seen datasets, bench/results/quality.md; 1-3 were within 0.01 ARI).
POOL_PSEUDO = 2.0
#: Scaled columns get a standard deviation of 1 / SPREAD = 0.5, the largest a [0, 1] share can have, so
#: a log count does not outweigh a share just because of its units.
SPREAD = 2.0
#: For normal data the inter-quartile range is 1.349 standard deviations: robust scaling estimates the
#: standard deviation as IQR / 1.349.
IQR_PER_SD = 1.349
SCALINGS = ("robust", "standard")

#: The default model features: volume of each source, time spent, regularity, recency and the mix of
#: search intents, devices and referrers (the devices' and referrers' "other" share is left out: each
#: mix sums to 1; all four intents stay, as users who never searched have all four at 0).
#: Averages, distinct counts and the composite ``engagement_score`` are left out: they repeat what the
#: volumes already say.
DEFAULT_FEATURES: tuple[str, ...] = (
    "clicks",
    "searches",
    "article_views",
    "active_days",
    "click_time_avg_s",
    "article_time_avg_s",
    "intent_navigational_share",
    "intent_informational_share",
    "intent_transactional_share",
    "intent_commercial_share",
    "device_desktop_share",
    "device_mobile_share",
    "device_tablet_share",
    "referrer_search_share",
    "referrer_social_share",
    "referrer_direct_share",
)


#: Named feature sets (``[segment] features = "engagement+interests"``, ``--features interests``): each
#: resolves against the feature table's columns. ``interests`` is every ``interest_*_share`` column the
#: build produced (their sections depend on the data; docs/adr/0009-content-interests.md).
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "engagement": DEFAULT_FEATURES,
    "intent": ("searches", "query_words_avg", "intent_navigational_share", "intent_informational_share",
               "intent_transactional_share", "intent_commercial_share"),
    "interests": ("interest_*_share",),
}
DEFAULT_FEATURE_SET = "engagement"


def feature_set_names(spec: str) -> list[str]:
    """The set names of ``spec`` (``"engagement+interests"``), or ValueError naming the known sets."""
    parts = [p.strip().lower() for p in str(spec).split("+")]
    unknown = [p for p in parts if p not in FEATURE_SETS]
    if unknown or not parts:
        raise ValueError(f"unknown feature set(s) {unknown}; use one of {', '.join(FEATURE_SETS)} or a "
                         "combination joined by '+' (e.g. engagement+interests), or a list of columns")
    return parts


def resolve_feature_set(spec: str, columns: list[str]) -> list[str]:
    """The columns of the named sets in ``spec`` that ``columns`` holds, in set order, without repeats."""
    names: list[str] = []
    for part in feature_set_names(spec):
        for pattern in FEATURE_SETS[part]:
            for column in columns:
                if fnmatch.fnmatchcase(column, pattern) and column not in names:
                    names.append(column)
    return names


def rule_for(name: str) -> FeatureRule:
    """The registry rule for a column name (the default rule for names no pattern matches)."""
    for rule in RULES:
        if fnmatch.fnmatchcase(name, rule.pattern):
            return rule
    return DEFAULT_RULE


def pool_count_for(name: str, names: list[str]) -> str | None:
    """The count column a share or average ``name`` is pooled by, when the model has that column (else None)."""
    for pattern, count in POOLED:
        if fnmatch.fnmatchcase(name, pattern) and count in names:
            return count
    return None


@dataclass
class FeatureTransform:
    """The fitted per-column transform: ``kinds[j]``, pooling of shares by ``pool_by[j]`` (a count
    column, or None) toward ``prior[j]``, then ``(value - center[j]) / scale[j]``. ``weight[j]`` (None:
    all 1) is already folded into ``scale[j]``; it is kept to undo it (:meth:`unweighted`)."""

    names: list[str]
    kinds: list[str]
    center: np.ndarray
    scale: np.ndarray
    pool_by: list[str | None] | None = None
    prior: np.ndarray | None = None
    pseudo: float = POOL_PSEUDO
    weight: np.ndarray | None = None

    @classmethod
    def fit(cls, X: np.ndarray, names: list[str], kinds: list[str], scaling: str) -> FeatureTransform:
        pool_by = [pool_count_for(n, names) if kind in POOLED_KINDS else None for n, kind in zip(names, kinds)]
        prior = np.zeros(len(names))
        U = _unscaled(X, kinds)
        for j, count in enumerate(pool_by):
            if count is not None:
                n = X[:, names.index(count)]
                prior[j] = float(U[n > 0, j].mean()) if np.any(n > 0) else 0.0
        U = _pooled(U, X, names, pool_by, prior, POOL_PSEUDO)
        center = np.zeros(U.shape[1])
        scale = np.ones(U.shape[1])
        for j, kind in enumerate(kinds):
            if kind in ("share", "flag"):
                continue
            col = U[:, j]
            if scaling == "robust":
                q1, med, q3 = np.percentile(col, [25, 50, 75])
                center[j], sd = med, (q3 - q1) / IQR_PER_SD
                if not sd > 0:  # e.g. a count that is 0 for most users: fall back to the std
                    sd = col.std()
            else:
                center[j], sd = col.mean(), col.std()
            scale[j] = SPREAD * sd if sd > 0 else 1.0
        return cls(list(names), list(kinds), center, scale, pool_by, prior, POOL_PSEUDO)

    def apply(self, X: np.ndarray) -> np.ndarray:
        """Transformed, scaled features (the space the centres live in)."""
        U = _unscaled(X, self.kinds)
        if self.pool_by is not None and self.prior is not None:
            U = _pooled(U, X, self.names, self.pool_by, self.prior, self.pseudo)
        return (U - self.center) / self.scale

    def unscale(self, Z: np.ndarray) -> np.ndarray:
        """Undo only the scaling (log-space coordinates), to compare centres of two models."""
        return Z * self.scale + self.center

    def weighted(self, weight: np.ndarray) -> FeatureTransform:
        """This transform with feature weights (squared-distance multipliers; replaces any before)
        folded into the scale: ``apply`` then returns the weighted space."""
        weight = np.asarray(weight, dtype=float)
        before = self.weight if self.weight is not None else np.ones(len(self.names))
        return replace(self, scale=self.scale * np.sqrt(before / weight), weight=weight.copy())

    def unweighted(self, Z: np.ndarray) -> np.ndarray:
        """Points or centres of the weighted space in the unweighted one (the same array without weights)."""
        return Z if self.weight is None else Z / np.sqrt(self.weight)

    def to_dict(self) -> dict:
        d: dict = {
            "kinds": list(self.kinds),
            "center": [float(v) for v in self.center],
            "scale": [float(v) for v in self.scale],
        }
        if self.pool_by is not None and self.prior is not None and any(self.pool_by):
            d["pool"] = {"by": list(self.pool_by), "prior": [float(v) for v in self.prior],
                         "pseudo": float(self.pseudo)}
        if self.weight is not None:
            d["weight"] = [float(v) for v in self.weight]
        return d

    @classmethod
    def from_dict(cls, names: list[str], d: dict) -> FeatureTransform:
        pool = d.get("pool") or {}
        return cls(list(names), list(d["kinds"]), np.asarray(d["center"], float), np.asarray(d["scale"], float),
                   list(pool["by"]) if pool else None, np.asarray(pool["prior"], float) if pool else None,
                   float(pool.get("pseudo", POOL_PSEUDO)),
                   np.asarray(d["weight"], float) if d.get("weight") is not None else None)

    def pooled(self) -> list[tuple[int, int, float, float]]:
        """``(j, index of the count column, pseudo * prior, pseudo)`` for every pooled column j: the
        constants of ``(n * share + pseudo * prior) / (n + pseudo)`` as every scorer computes them."""
        if self.pool_by is None or self.prior is None:
            return []
        return [(j, self.names.index(c), self.pseudo * float(self.prior[j]), self.pseudo)
                for j, c in enumerate(self.pool_by) if c is not None]


def _pooled(U: np.ndarray, X: np.ndarray, names: list[str], pool_by: list[str | None], prior: np.ndarray,
            pseudo: float) -> np.ndarray:
    """Pooled shares: ``(n * share + pseudo * prior) / (n + pseudo)``, n = the raw count (>= 0; in
    this order of operations, which the SQL query and Spark repeat). Writes into ``U`` (a fresh array
    from :func:`_unscaled`), all pooled columns at once: one gather instead of a pass per column."""
    cols = [j for j, count in enumerate(pool_by) if count is not None]
    if not cols:
        return U
    n = np.asarray(X, dtype=float)[:, [names.index(str(pool_by[j])) for j in cols]]  # a copy (fancy index)
    np.maximum(np.nan_to_num(n, copy=False), 0.0, out=n)
    v = U[:, cols]
    v *= n
    v += pseudo * np.asarray(prior, dtype=float)[cols]
    n += pseudo
    v /= n
    U[:, cols] = v
    return U


def _unscaled(X: np.ndarray, kinds: list[str]) -> np.ndarray:
    U = np.array(X, dtype=float, copy=True)
    for j, kind in enumerate(kinds):
        if kind == "log":
            # log(1 + x), not log1p: the same arithmetic as LN(1 + x) in the SQL scoring query.
            U[:, j] = np.log(1.0 + np.maximum(U[:, j], 0.0))
        elif kind in ("share", "flag"):
            U[:, j] = np.clip(U[:, j], 0.0, 1.0)
    return U
