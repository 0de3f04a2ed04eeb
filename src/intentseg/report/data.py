"""What a report is made from: :class:`ReportData`, built by the pipeline (or by hand in a notebook)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, MissingColumnError
from ..warehouse.base import redact_url

#: Columns ``users`` must have besides the model's feature columns.
USER_COLUMNS = ("user_id", "segment_id")



@dataclass
class ReportData:
    """Everything one report shows. Only ``model`` and ``users`` are required.

    Attributes
    ----------
    run : dict
        Run metadata, every key optional: ``run_id``, ``engine``, ``warehouse`` (URL; a password in it
        is masked again here, to be safe), ``started_at``, ``finished_at``, ``n_users``, ``n_events``,
        ``events_per_source`` (``{source: count}``), ``first_event``, ``last_event``, ``k``, ``why_k``
        (the selection rule in words) and ``metrics`` (``{name: number}``).
    model : Segmenter
        The fitted segmenter (``segment_names_``, ``profiles_``, ``selection_``, ``transform_``,
        ``cluster_centers_``, ``feature_names_``).
    users : DataFrame
        One row per user: the user feature columns plus ``segment_id`` (and usually ``segment_name``,
        ``distance``). The classic chart needs ``clicks`` and ``article_time_avg_s``; the projection
        needs the model's features; the intent mix needs ``intent_*_share`` (and ``searches``).
    previous : DataFrame or None
        The previous run's membership: ``user_id``, ``segment_id`` (``segment_name`` optional). Enables
        the transition chart.
    top_queries : DataFrame or None
        ``segment_id``, ``query``, ``searches``: the most frequent queries of each segment.
    feature_sql : str
        The feature SQL that ran, shown in the report.
    settings : dict
        The settings of the run, shown in the report.
    """

    model: Any
    users: pd.DataFrame
    run: dict[str, Any] = field(default_factory=dict)
    previous: pd.DataFrame | None = None
    top_queries: pd.DataFrame | None = None
    feature_sql: str = ""
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not hasattr(self.model, "segment_names_"):
            raise InputError("The report needs a fitted segmenter.", hint="Call Segmenter.fit(...) first.")
        missing = [c for c in USER_COLUMNS if c not in self.users.columns]
        if missing:
            raise MissingColumnError(
                f"users is missing column(s) {missing}. Available: {', '.join(map(str, self.users.columns))}.",
                hint="Add the segment of each user, e.g. users['segment_id'] = model.predict(users).",
            )
        ids = self.users["segment_id"].to_numpy()
        if len(ids) and (ids.min() < 0 or ids.max() >= self.k):
            raise InputError(
                f"users.segment_id holds ids outside 0..{self.k - 1}.",
                hint="Score the users with the same model the report is given.",
            )
        if self.previous is not None:
            missing = [c for c in USER_COLUMNS if c not in self.previous.columns]
            if missing:
                raise MissingColumnError(
                    f"previous is missing column(s) {missing}.",
                    hint="Pass the previous run's user_id and segment_id, or previous=None.",
                )
        if self.top_queries is not None:
            missing = [c for c in ("segment_id", "query", "searches") if c not in self.top_queries.columns]
            if missing:
                raise MissingColumnError(
                    f"top_queries is missing column(s) {missing}.",
                    hint="Pass segment_id, query and searches, or top_queries=None.",
                )
        if "warehouse" in self.run:
            self.run = {**self.run, "warehouse": redact_url(str(self.run["warehouse"]))}

    @property
    def k(self) -> int:
        """Number of segments."""
        return len(self.model.segment_names_)

    @property
    def segment_names(self) -> list[str]:
        """Name of each segment id (0 = least engaged)."""
        return list(self.model.segment_names_)

    def segment_sizes(self) -> np.ndarray:
        """Users per segment id, counted from ``users`` (the run's assignments)."""
        return np.bincount(self.users["segment_id"].to_numpy(dtype=np.int64), minlength=self.k)

