"""The segmenter: transforms + K-Means as a scikit-learn estimator, with ordered, named segments."""

from __future__ import annotations

import datetime as _dt
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.cluster import KMeans
from sklearn.utils import check_array, check_random_state
from sklearn.utils.validation import check_is_fitted

from ..errors import InputError, MissingColumnError
from . import naming, persist, selection
from .transform import DEFAULT_FEATURES, SCALINGS, FeatureTransform, resolve_feature_set, rule_for


class Segmenter(ClusterMixin, TransformerMixin, BaseEstimator):
    """K-Means segments of users, ordered by engagement and named, with profiles and advice.

    Parameters
    ----------
    n_segments : "auto" or int
        Number of segments. ``"auto"`` scans ``k_range`` and picks k by the rule in
        :mod:`intentseg.model.selection` (silhouette in excess of a same-shaped single cloud, a minimum
        segment share, stability on refits; k = 3 with a stated reason when no k is clearly supported).
    k_range : (int, int)
        Smallest and largest k scanned by ``"auto"`` (inclusive).
    features : list of str, str or None
        Model columns of a DataFrame. ``None``: the :data:`~intentseg.model.transform.DEFAULT_FEATURES`
        present in the frame (or, when none is, every numeric column). A string names feature sets of
        :data:`~intentseg.model.transform.FEATURE_SETS` (``"engagement+interests"``), resolved against
        the frame's columns; the resolved columns are ``feature_names_``. Other columns (``user_id``,
        timestamps) are ignored. A numpy array is used whole, its columns named ``x0..xN``.
    scaling : "standard" or "robust"
        How transformed columns are scaled (mean/std, or median/IQR when outliers survive the log);
        shares and flags stay in [0, 1].
    n_init, max_iter : int
        K-Means starts and iterations, for the k scan and the final fit.
    random_state : int, RandomState or None
        Seed for every random choice (samples, K-Means starts): same seed, same segments.
    sample_size : int
        The k scan fits each candidate on a random sample of at most this many users (the chosen k is
        then fitted on every user with ``n_init`` starts).
    silhouette_sample_size : int
        The silhouette is computed on a stratified sample of at most this many users.
    weighting : "none" or "dispersion"
        ``"dispersion"``: learn a weight per feature with the segments (Huang's weighted K-Means,
        :func:`intentseg.model.selection.weighted_kmeans`): features the segments explain count more,
        within-group noise less. Still a K-Means model: the weights are folded into the transform's
        scale, so ``predict``, ``to_sql`` and Spark score as before. Off by default (ADR 0004).

    Attributes
    ----------
    labels_ : ndarray of shape (n_users,)
        Segment id of each training user; 0 = least engaged (see ``engagement_``).
    cluster_centers_ : ndarray of shape (k, n_features)
        Segment centres in the transformed space, row = segment id.
    segment_names_ : list of str
        Name of each segment id.
    profiles_ : list of dict
        Per segment: size, share, per-feature statistics (mean, median, lift, z, effect_size), up to three
        traits that pass the effect-size rule of :mod:`intentseg.model.naming`, advice.
    selection_ : dict
        How k was chosen: ``k``, ``fallback`` (True when no k was clearly supported and k = 3 was
        taken), ``reason`` and ``rule`` (the same words), ``stability`` and ``scores`` (one row per k).
    engagement_ : ndarray of shape (k,)
        Engagement score of each centre: the mean of its engagement-weighted coordinates.
    stability_ : dict or None
        With ``previous=``: ``previous_id`` and ``centre_drift`` of carried segments, the share of users
        who changed segment, and ``lineage``: per segment id ``{"status": "carried" | "split" | "merged" |
        "new", "from": [old ids], "jaccard": ...}`` (rules in ``docs/adr/0002``).
    feature_names_ : list of str
        Model features, in order. ``feature_names_in_`` is the same, set when fitted on a DataFrame.
    transform_ : FeatureTransform
        The fitted feature transform.
    n_features_in_, inertia_, n_iter_, metadata_
        As in scikit-learn; ``metadata_`` records when and with what the model was trained.
    """

    # Learned state, declared for type checkers only (no class-level values: fit sets every one of them).
    labels_: np.ndarray
    cluster_centers_: np.ndarray
    segment_names_: list[str]
    profiles_: list[dict[str, Any]]
    selection_: dict[str, Any]
    engagement_: np.ndarray
    stability_: dict[str, Any] | None
    feature_names_: list[str]
    feature_names_in_: np.ndarray
    transform_: FeatureTransform
    n_features_in_: int
    inertia_: float
    n_iter_: int
    metadata_: dict[str, Any]

    def __init__(
        self,
        n_segments: int | str = "auto",
        *,
        k_range: tuple[int, int] = (2, 10),
        features: list[str] | str | None = None,
        scaling: str = "standard",
        n_init: int = 10,
        max_iter: int = 300,
        random_state: Any = None,
        sample_size: int = 10_000,
        silhouette_sample_size: int = 3_000,
        weighting: str = "none",
    ) -> None:
        self.n_segments = n_segments
        self.k_range = k_range
        self.features = features
        self.scaling = scaling
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state
        self.sample_size = sample_size
        self.silhouette_sample_size = silhouette_sample_size
        self.weighting = weighting

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any = None, previous: Segmenter | None = None) -> Segmenter:
        """Learn the transform, choose k, fit K-Means, order and name the segments.

        ``previous``: a fitted segmenter whose ids and names should persist (centres are matched with
        the Hungarian algorithm); its drift report lands in ``stability_``.
        """
        self._validate_params_()
        names, raw, from_frame = self._columns_for_fit(X)
        n = len(raw)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

        kinds = [rule_for(f).kind for f in names] if from_frame else ["plain"] * len(names)
        self.transform_ = FeatureTransform.fit(raw, names, kinds, self.scaling)
        Z = self.transform_.apply(raw)

        self.selection_ = self._select_k(Z, n, seed)
        k = self.selection_["k"]
        fitted = self.selection_.pop("_fitted")
        if self.weighting == "dispersion":  # centres and weights learned together; Z becomes the weighted space
            km, weights = selection.weighted_kmeans(Z, k, n_init=self.n_init, max_iter=self.max_iter, seed=seed)
            self.transform_ = self.transform_.weighted(weights)
            Z = self.transform_.apply(raw)
        else:
            # With k given, the scan fitted k on all users (same starts) when they fit in its sample: reused.
            km = fitted.get(k) or KMeans(n_clusters=k, n_init=self.n_init, max_iter=self.max_iter,
                                         random_state=seed).fit(Z)
        return self._finish(km.cluster_centers_, X, raw, Z, kinds, from_frame=from_frame, previous=previous,
                            inertia=float(km.inertia_), n_iter=int(km.n_iter_),
                            metadata={"n_users": int(n), "seed": seed})

    def _finish(self, centers: np.ndarray, X: Any, raw: np.ndarray, Z: np.ndarray, kinds: list[str], *,
                from_frame: bool, previous: Segmenter | None, inertia: float, n_iter: int,
                metadata: dict[str, Any], sizes: np.ndarray | None = None) -> Segmenter:
        """The end of every fit (scikit-learn here, MLlib in :mod:`intentseg.model.mllib`), given K-Means centres.

        Orders the centres by engagement (0 = least engaged), matches them to ``previous``, labels ``X``,
        profiles and names the segments from ``raw``/``Z`` (the same users), and records the metadata.
        ``sizes``: users per centre (in ``centers`` order) counted on more users than ``X`` holds.
        ``Z`` and ``centers`` are in the transform's space (weighted, with feature weights); engagement
        and profiles are read in the unweighted one.
        """
        names = self.feature_names_
        weights = self._engagement_weights(names, from_frame)
        unweighted = self.transform_.unweighted
        # a model without engagement features (e.g. interests alone) is ordered by its members' engagement_score
        by_members = from_frame and not any(rule_for(f).engagement for f in names) and _has_score(X)
        key = _member_engagement(Z, centers, X) if by_members else unweighted(centers) @ weights
        order = np.argsort(key, kind="stable")  # 0 = least engaged
        centers = centers[order]
        sizes = sizes[order] if sizes is not None else None

        inherited: dict[int, str] = {}
        self.stability_ = None
        if previous is not None:
            unmatched = centers
            centers, inherited, matched, drift = self._match_previous(previous, centers, X)
            sizes = _follow(unmatched, centers, sizes) if sizes is not None else None
        self.cluster_centers_ = centers
        self.labels_ = self.predict(X)
        self.engagement_ = (_member_engagement(Z, centers, X, self.labels_) if by_members
                            else unweighted(centers) @ weights)
        self.inertia_ = inertia
        self.n_iter_ = n_iter

        k = len(centers)
        labels = {f: label for f, label in _labels_in(X).items() if f in names}
        profiles = naming.build_profiles(raw, unweighted(Z), self.labels_, k, names, kinds,
                                         supported=naming.supported_features(raw, names, **_absent_in(X)),
                                         sections=labels)
        if sizes is not None:
            for p in profiles:
                p["size"] = int(sizes[p["segment_id"]])
                p["share"] = float(sizes[p["segment_id"]] / sizes.sum()) if sizes.sum() else 0.0
        self.segment_names_ = naming.name_and_advise(profiles, names, inherited, self.engagement_, k)
        self.profiles_ = profiles

        if previous is not None:
            self.stability_ = self._stability(previous, X, matched, drift)
        self.metadata_ = {
            "fitted_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "inertia": self.inertia_,
            "scikit_learn": sklearn.__version__,
            **metadata,
        }
        if labels:  # the section label of each interest feature, for names and the report
            self.metadata_["feature_labels"] = labels
        return self

    def _select_k(self, Z: np.ndarray, n: int, seed: int) -> dict:
        """k given, or chosen by the rule of :mod:`intentseg.model.selection` on a sample with few starts."""
        fitted: dict[int, KMeans] = {}
        common = dict(max_iter=self.max_iter, seed=seed, sample_size=self.sample_size,
                      silhouette_sample_size=self.silhouette_sample_size, weighting=self.weighting)
        if self.n_segments != "auto":
            k = int(self.n_segments)
            if k > n:
                raise ValueError(f"n_segments={k} is larger than the number of users ({n}).")
            scores = (selection.scan_k(Z, [k], n_init=self.n_init, reference=False, fitted=fitted, **common)
                      if 1 < k < n else [])
            return {"rule": "given", "k": k, "fallback": False, "reason": "given", "scores": scores,
                    "_fitted": fitted}
        # Scores need 2 <= k <= n - 1; with fewer users than that, k is the smallest candidate.
        k_values = list(range(int(self.k_range[0]), min(int(self.k_range[1]), n - 1) + 1))
        if not k_values:
            k = min(int(self.k_range[0]), n)
            return {"rule": "too few users to compare k", "k": k, "fallback": False, "scores": [],
                    "reason": "too few users to compare k", "_fitted": fitted}
        n_scan = min(self.n_init, selection.SCAN_N_INIT)
        scores = selection.scan_k(Z, k_values, n_init=n_scan, fitted=fitted, **common)
        S = selection.scan_sample(Z, self.sample_size, seed)
        # with feature weights, each k is checked in its own weighted space (the scan's weights for k)
        space = {r["k"]: np.sqrt(np.asarray(r["weights"])) if "weights" in r else 1.0 for r in scores}
        choice = selection.choose_k(
            scores, lambda k: selection.stability(S * space[k], k, n_init=n_scan, max_iter=self.max_iter, seed=seed))
        k = min(choice.k, n)
        # the scan's fit of the chosen k is the final fit when it saw every user with the same starts
        return {"rule": choice.reason, "k": k, "fallback": choice.fallback, "reason": choice.reason,
                "stability": choice.stability, "scores": scores,
                "_fitted": fitted if n_scan == self.n_init else {}}

    # ------------------------------------------------------------ scoring
    def transform(self, X: Any) -> np.ndarray:
        """Euclidean distance of each user to every segment centre, in the transformed space."""
        return np.sqrt(self._squared_distances(X))

    def predict(self, X: Any) -> np.ndarray:
        """Segment id of each user: the nearest centre (ties go to the lowest id)."""
        return np.argmin(self._squared_distances(X), axis=1)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "cluster_centers_")
        return np.asarray([f"distance_{s}" for s in range(len(self.cluster_centers_))], dtype=object)

    def _squared_distances(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "cluster_centers_")
        Z = self.transform_.apply(self._columns_for_scoring(X))
        # Column by column, in feature order: the same arithmetic as the SQL query of to_sql.
        d2 = np.zeros((len(Z), len(self.cluster_centers_)))
        for s, c in enumerate(self.cluster_centers_):
            for j in range(Z.shape[1]):
                diff = Z[:, j] - c[j]
                d2[:, s] += diff * diff
        return d2

    # ------------------------------------------------------- names, I/O
    def rename(self, names: dict[int, str] | list[str]) -> Segmenter:
        """Override segment names (a list for all ids, or ``{id: name}``); names must stay unique."""
        check_is_fitted(self, "segment_names_")
        new = list(self.segment_names_)
        items = enumerate(names) if isinstance(names, list) else names.items()
        for s, name in items:
            if not 0 <= int(s) < len(new):
                raise InputError(f"No segment {s}.", hint=f"Segment ids are 0..{len(new) - 1}.")
            new[int(s)] = str(name)
        if len(set(new)) != len(new):
            raise InputError(f"Segment names must be unique, got {new}.", hint="Give each segment its own name.")
        self.segment_names_ = new
        for p in self.profiles_:
            p["name"] = new[p["segment_id"]]
        return self

    def save(self, path: str | Path) -> None:
        """Write the model as a versioned JSON file (see :mod:`intentseg.model.persist`)."""
        persist.save(self, path)

    @classmethod
    def load(cls, path: str | Path) -> Segmenter:
        """Read a model written by :meth:`save`; it predicts exactly what the original did."""
        return cls.from_dict(persist.read(path), where=str(path))

    @classmethod
    def from_dict(cls, d: Any, where: str = "model") -> Segmenter:
        """A fitted model from a model file's contents (``persist.to_dict``), checked field by field."""
        return persist.restore(d, cls, where)

    def to_sql(self, dialect: str = "duckdb", features_table: str = "user_features", user_id: str = "user_id") -> str:
        """One query that scores every row of ``features_table`` inside the warehouse.

        Output columns: user_id, segment_id, segment_name, distance (see :mod:`intentseg.model.sql`).
        """
        from .sql import scoring_sql

        check_is_fitted(self, "cluster_centers_")
        return scoring_sql(self, dialect=dialect, features_table=features_table, user_id=user_id)

    def profile_table(self) -> pd.DataFrame:
        """The profiles as one tidy frame: a row per segment and feature."""
        check_is_fitted(self, "profiles_")
        rows = [
            {"segment_id": p["segment_id"], "segment_name": p["name"], "size": p["size"], "share": p["share"],
             "feature": f, **stats}
            for p in self.profiles_
            for f, stats in p["features"].items()
        ]
        return pd.DataFrame(rows)

    # ------------------------------------------------------------ helpers
    def _validate_params_(self) -> None:
        k = self.n_segments
        if not (k == "auto" or (isinstance(k, Integral) and not isinstance(k, bool) and k >= 1)):
            raise ValueError(f"n_segments must be 'auto' or an integer >= 1, got {k!r}.")
        lo, hi = self.k_range
        if not (isinstance(lo, Integral) and isinstance(hi, Integral) and 2 <= lo <= hi):
            raise ValueError(f"k_range must be (low, high) with 2 <= low <= high, got {self.k_range!r}.")
        if self.scaling not in SCALINGS:
            raise ValueError(f"scaling must be one of {SCALINGS}, got {self.scaling!r}.")
        if self.weighting not in selection.WEIGHTINGS:
            raise ValueError(f"weighting must be one of {selection.WEIGHTINGS}, got {self.weighting!r}.")
        for p in ("n_init", "max_iter", "sample_size", "silhouette_sample_size"):
            v = getattr(self, p)
            if not isinstance(v, Integral) or v < 1:
                raise ValueError(f"{p} must be a positive integer, got {v!r}.")

    def _columns_for_fit(self, X: Any) -> tuple[list[str], np.ndarray, bool]:
        if hasattr(self, "feature_names_in_"):  # a refit on a numpy array must not keep a frame's names
            del self.feature_names_in_
        if isinstance(X, pd.DataFrame):
            if isinstance(self.features, str):
                names = resolve_feature_set(self.features, [str(c) for c in X.columns])
                if not names:
                    raise InputError(
                        f"The feature set {self.features!r} matches no column of the feature table.",
                        hint="'interests' needs content-interest columns ([interests] in intentseg.toml, "
                             "docs/features.md); or choose another set, e.g. engagement.")
            elif self.features is not None:
                names = list(self.features)
            else:
                names = [f for f in DEFAULT_FEATURES if f in X.columns] or [
                    c for c in X.columns
                    if isinstance(c, str) and c != "user_id" and pd.api.types.is_numeric_dtype(X[c])
                    and not pd.api.types.is_bool_dtype(X[c])
                ]
            raw = self._frame_values(X, names)
            raw = check_array(raw, ensure_min_samples=2, estimator=self)
            self.feature_names_in_ = np.asarray(names, dtype=object)
            from_frame = True
        else:
            raw = check_array(X, ensure_min_samples=2, estimator=self)
            names = [f"x{j}" for j in range(raw.shape[1])]
            from_frame = False
        if not names:
            raise InputError("No numeric feature columns to segment on.", hint="Pass features=[...] naming them.")
        self.feature_names_ = names
        self.n_features_in_ = len(names)
        return names, raw, from_frame

    def _columns_for_scoring(self, X: Any) -> np.ndarray:
        if isinstance(X, pd.DataFrame) and all(f in X.columns for f in self.feature_names_):
            return check_array(self._frame_values(X, self.feature_names_), estimator=self)
        if isinstance(X, pd.DataFrame) and hasattr(self, "feature_names_in_"):
            self._frame_values(X, self.feature_names_)  # raises, naming the missing columns
        raw = check_array(X.to_numpy() if isinstance(X, pd.DataFrame) else X, estimator=self)
        if raw.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {raw.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        return raw

    @staticmethod
    def _frame_values(X: pd.DataFrame, names: list[str]) -> np.ndarray:
        missing = [f for f in names if f not in X.columns]
        if missing:
            raise MissingColumnError(
                f"Feature column(s) {missing} not found. Available: {', '.join(map(str, X.columns))}.",
                hint="Build the features with intentseg.features.build_features, or pass features=[...].",
            )
        bad = [f for f in names if not pd.api.types.is_numeric_dtype(X[f])]
        if bad:
            raise InputError(f"Feature column(s) {bad} are not numeric.", hint="Pass numeric columns in features=[...].")
        return X[names].to_numpy(dtype=float)

    @staticmethod
    def _engagement_weights(names: list[str], from_frame: bool) -> np.ndarray:
        """Engagement of a centre = mean of its coordinates weighted +1/-1 by the registry.

        Numpy input (or a frame with no engagement feature) counts every coordinate +1.
        """
        w = np.array([rule_for(f).engagement for f in names], dtype=float) if from_frame else np.zeros(len(names))
        if not w.any():
            w = np.ones(len(names))
        return w / np.abs(w).sum()

    def _match_previous(self, previous: Segmenter, centers: np.ndarray, X: Any = None):
        """Ids and names for new centres (in engagement order) from ``previous``, by who is in them.

        Both models score the users of ``X``. A new segment *carries* an old one's id and name when
        their member sets overlap closely (Jaccard >= ``CARRY_JACCARD``) and the old segment's tier
        (from its name, else its engagement rank) is the new segment's tier: a carried name never lies.
        Carried segments keep their old id when it exists among the new ids; the other segments take
        the free ids in engagement order. Without ``X`` nothing is carried. Returns the centres in id
        order, the carried names, ``{new id: old id}`` of carried segments and their centre drift (in
        the previous model's transformed space).
        """
        check_is_fitted(previous, "cluster_centers_")
        if list(previous.feature_names_) != list(self.feature_names_):
            raise InputError(
                f"The previous model uses features {previous.feature_names_}, this fit {self.feature_names_}.",
                hint="Fit with features=previous.feature_names_ to keep segment ids, or drop previous=.",
            )
        k_new, k_old = len(centers), len(previous.cluster_centers_)
        carried: dict[int, int] = {}  # new centre (engagement rank) -> old id
        if X is not None:
            Z = self.transform_.apply(self._columns_for_scoring(X))
            now = np.argmin(np.stack([((Z - c) ** 2).sum(axis=1) for c in centers], axis=1), axis=1)
            J = _jaccard(_overlap(previous.predict(X), now, k_old, k_new))
            old_ranks = naming.engagement_ranks(previous.engagement_)
            for j in range(k_new):
                i = int(np.argmax(J[:, j]))
                old_name = previous.segment_names_[i]
                old_tier = naming.tier_in_name(old_name)
                old_tier = naming.tier_of(int(old_ranks[i]), k_old) if old_tier is None else old_tier
                if J[i, j] >= CARRY_JACCARD and old_tier == naming.tier_of(j, k_new):
                    carried[j] = i  # Jaccard > 0.5 pairs are one-to-one
        new_id = {j: i for j, i in carried.items() if i < k_new}
        free = iter(sorted(set(range(k_new)) - set(new_id.values())))
        new_id.update({j: next(free) for j in range(k_new) if j not in new_id})  # j ascends: engagement order
        reordered = np.empty_like(centers)
        for j, s in new_id.items():
            reordered[s] = centers[j]
        mine = (self.transform_.unscale(centers) - previous.transform_.center) / previous.transform_.scale
        cost = np.linalg.norm(previous.cluster_centers_[:, None, :] - mine[None, :, :], axis=2)
        inherited = {new_id[j]: previous.segment_names_[i] for j, i in carried.items()}
        matched = {new_id[j]: i for j, i in carried.items()}
        drift = {new_id[j]: float(cost[i, j]) for j, i in carried.items()}
        return reordered, inherited, matched, drift

    def _stability(self, previous: Segmenter, X: Any, matched: dict[int, int], drift: dict[int, float]) -> dict:
        """How the segments relate to ``previous`` on the users of ``X`` (see :func:`_lineage`)."""
        k = len(self.cluster_centers_)
        try:
            before = previous.predict(X)
        except (InputError, ValueError):
            changed, lineage = None, None
        else:
            old_id = np.array([matched.get(s, -1) for s in range(k)])
            changed = float(np.mean(old_id[self.labels_] != before))
            C = _overlap(before, self.labels_, len(previous.cluster_centers_), k)
            lineage = _lineage(C, matched)
            for s, i in matched.items():
                lineage[s]["name_kept"] = self.segment_names_[s] == previous.segment_names_[i]
        return {
            "previous_id": {int(s): int(i) for s, i in sorted(matched.items())},
            "centre_drift": {int(s): d for s, d in sorted(drift.items())},
            "changed_share": changed,
            "lineage": lineage,
            "rule": (f"carried: member Jaccard >= {CARRY_JACCARD} and the same tier; merged: >= 2 old segments "
                     f"each sent over {MAJORITY:.0%} of their users here; split: over {MAJORITY:.0%} of these "
                     f"users came from one old segment that sent >= {SPLIT_PART:.0%} of its users to another "
                     "new segment; new: anything else"),
        }


#: Identity across refits (``Segmenter._match_previous``, ``_lineage``; docs/adr/0002): a new segment
#: continues an old one when their member sets (users scored by both models) have a Jaccard index of at
#: least CARRY_JACCARD; MAJORITY and SPLIT_PART define "merged" and "split".
CARRY_JACCARD = 0.7
MAJORITY = 0.5
SPLIT_PART = 0.2


def _overlap(old: np.ndarray, new: np.ndarray, k_old: int, k_new: int) -> np.ndarray:
    """Users in old segment i and new segment j, as a k_old x k_new matrix."""
    C = np.zeros((k_old, k_new), dtype=np.int64)
    np.add.at(C, (np.asarray(old, dtype=int), np.asarray(new, dtype=int)), 1)
    return C


def _jaccard(C: np.ndarray) -> np.ndarray:
    union = C.sum(axis=1)[:, None] + C.sum(axis=0)[None, :] - C
    return np.divide(C, union, out=np.zeros(C.shape), where=union > 0)


def _lineage(C: np.ndarray, carried: dict[int, int]) -> dict[int, dict]:
    """Per new segment: ``status`` (carried / merged / split / new), ``from`` (old ids) and ``jaccard``.

    ``C``: the users of old segment i (rows) in new segment j (columns); ``carried``: new id -> old id.
    carried — it continues old segment ``from[0]`` (Jaccard >= CARRY_JACCARD, same tier);
    merged — two or more old segments each sent over MAJORITY of their users here (``from``: those);
    split — over MAJORITY of its users came from one old segment (``from``) that also sent at least
    SPLIT_PART of its users to another new segment;
    new — anything else (``from``: old segments that gave it at least SPLIT_PART of its users).
    """
    old_size, new_size = C.sum(axis=1), C.sum(axis=0)
    J = _jaccard(C)
    out: dict[int, dict] = {}
    for j in range(C.shape[1]):
        col = C[:, j]
        best = int(np.argmax(J[:, j])) if len(col) else 0
        into = [i for i in range(len(col)) if old_size[i] and col[i] > MAJORITY * old_size[i]]
        top = int(np.argmax(col)) if len(col) else 0
        elsewhere = [o for o in range(C.shape[1]) if o != j and old_size[top] and C[top, o] >= SPLIT_PART * old_size[top]]
        if j in carried:
            status, sources = "carried", [carried[j]]
        elif len(into) >= 2:
            status, sources = "merged", into
        elif new_size[j] and col[top] > MAJORITY * new_size[j] and elsewhere:
            status, sources = "split", [top]
        else:
            status = "new"
            sources = [i for i in np.argsort(-col, kind="stable").tolist()
                       if new_size[j] and col[i] >= SPLIT_PART * new_size[j]]
        out[j] = {"status": status, "from": [int(i) for i in sources],
                  "jaccard": round(float(J[best, j]), 3) if len(col) else 0.0}
    return out


def _absent_in(X: Any) -> dict:
    """Sources and columns the feature build found missing (``build_features`` puts them in ``attrs``)."""
    run = getattr(X, "attrs", {}).get("run") if isinstance(X, pd.DataFrame) else None
    if not isinstance(run, dict):
        return {}
    return {"absent_sources": list(run.get("absent_sources") or []),
            "absent_columns": dict(run.get("absent_columns") or {})}


def _has_score(X: Any) -> bool:
    return isinstance(X, pd.DataFrame) and "engagement_score" in X.columns


def _member_engagement(Z: np.ndarray, centers: np.ndarray, X: pd.DataFrame, labels: np.ndarray | None = None) -> np.ndarray:
    """Mean ``engagement_score`` of the users nearest each centre (0 for a centre nobody is nearest)."""
    if labels is None:
        labels = np.argmin(np.stack([((Z - c) ** 2).sum(axis=1) for c in centers], axis=1), axis=1)
    score = X["engagement_score"].to_numpy(dtype=float)
    total = np.bincount(labels, weights=score, minlength=len(centers))
    count = np.bincount(labels, minlength=len(centers))
    return np.divide(total, count, out=np.zeros(len(centers)), where=count > 0)


def _labels_in(X: Any) -> dict[str, str]:
    """Section labels of interest columns (``build_features`` puts them in ``attrs["run"]["interests"]``)."""
    run = getattr(X, "attrs", {}).get("run") if isinstance(X, pd.DataFrame) else None
    if not isinstance(run, dict) or not isinstance(run.get("interests"), dict):
        return {}
    return {str(c): str(label) for columns in run["interests"].values() for c, label in columns.items()}


def _follow(before: np.ndarray, after: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` per row of ``before``, reordered as the same rows appear in ``after``."""
    index = [int(np.flatnonzero((before == row).all(axis=1))[0]) for row in after]
    return values[index]
