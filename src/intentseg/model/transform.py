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

Each rule also carries the feature's *engagement weight* (+1: more means more engaged, -1: more
means less engaged, 0: says nothing about engagement), used to order segments. The words that name and
describe segments live in :mod:`intentseg.model.naming`.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

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


def rule_for(name: str) -> FeatureRule:
    """The registry rule for a column name (the default rule for names no pattern matches)."""
    for rule in RULES:
        if fnmatch.fnmatchcase(name, rule.pattern):
            return rule
    return DEFAULT_RULE


@dataclass
class FeatureTransform:
    """The fitted per-column transform: ``kinds[j]`` then ``(value - center[j]) / scale[j]``."""

    names: list[str]
    kinds: list[str]
    center: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray, names: list[str], kinds: list[str], scaling: str) -> FeatureTransform:
        U = _unscaled(X, kinds)
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
        return cls(list(names), list(kinds), center, scale)

    def apply(self, X: np.ndarray) -> np.ndarray:
        """Transformed, scaled features (the space the centres live in)."""
        return (_unscaled(X, self.kinds) - self.center) / self.scale

    def unscale(self, Z: np.ndarray) -> np.ndarray:
        """Undo only the scaling (log-space coordinates), to compare centres of two models."""
        return Z * self.scale + self.center

    def to_dict(self) -> dict:
        return {
            "kinds": list(self.kinds),
            "center": [float(v) for v in self.center],
            "scale": [float(v) for v in self.scale],
        }

    @classmethod
    def from_dict(cls, names: list[str], d: dict) -> FeatureTransform:
        return cls(list(names), list(d["kinds"]), np.asarray(d["center"], float), np.asarray(d["scale"], float))


def _unscaled(X: np.ndarray, kinds: list[str]) -> np.ndarray:
    U = np.array(X, dtype=float, copy=True)
    for j, kind in enumerate(kinds):
        if kind == "log":
            # log(1 + x), not log1p: the same arithmetic as LN(1 + x) in the SQL scoring query.
            U[:, j] = np.log(1.0 + np.maximum(U[:, j], 0.0))
        elif kind in ("share", "flag"):
            U[:, j] = np.clip(U[:, j], 0.0, 1.0)
    return U
