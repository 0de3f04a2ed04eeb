"""``run``: features → segmenter → assignments → write-back → report, recorded as one run.

Every run gets a ``run_id`` and a row in ``segment_runs`` (status running → ok | failed, or interrupted
when its process died). One run at a time per warehouse: a run holds the warehouse's run lock throughout
(``runs.exclusive_run``); a second one fails with RunInProgress, or waits ``wait_s`` seconds. A refit keeps
segment ids and names by matching to the previous successful run's model (stored in ``segment_runs``).

Two paths, chosen by the number of users (``segment.in_warehouse_above``):

- in memory (up to the threshold): every user's features are read into pandas, the segmenter is fitted on
  all of them, users are scored in Python and the rows written back;
- in the warehouse (above it): the segmenter is fitted on a seeded random sample of users
  (``segment.fit_sample_users``, sampled in SQL); every user is scored by the model's SQL
  (``Segmenter.to_sql``) into a staging table, and sizes and shares are counted there. Feature profiles
  and the report describe the sample (``profiles_from_sample`` in the run's metrics).
"""

from __future__ import annotations

import copy
import datetime as dt
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlglot import exp

from .config import Settings, SourceSettings, load_settings, with_overrides
from .errors import InputError, IntentsegError, NoUsersError
from .model import Segmenter
from .model.persist import from_dict, to_dict
from .model.sql import bound_scoring_sql
from .model.transform import DEFAULT_FEATURES
from .runs import exclusive_run
from .warehouse import Warehouse, connect
from .warehouse.base import Tracer, logical_type
from .writeback import PROFILE_COLUMNS, Tables, now_utc

Progress = Callable[[str], None]


@dataclass
class RunResult:
    """What one run produced; ``to_json()`` is what ``intentseg run --json`` prints."""

    run_id: str
    kind: str
    k: int
    segments: list[dict[str, Any]]
    metrics: dict[str, Any]
    tables: dict[str, str]
    row_counts: dict[str, int]
    report_path: Path | None
    model: Segmenter
    features: pd.DataFrame = field(repr=False)
    assignments: pd.DataFrame = field(repr=False)
    previous_run_id: str | None = None
    stability: dict[str, Any] | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    engine: str = ""
    warehouse: str = ""
    #: every scored user (``features`` and ``assignments`` hold only the sample in the warehouse path)
    n_users: int = 0
    #: "python" (in memory) or "warehouse" (fitted on a sample, scored in SQL)
    scored_in: str = "python"

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "status": "ok",
            "engine": self.engine,
            "warehouse": self.warehouse,
            "k": self.k,
            "k_rule": self.model.selection_.get("rule"),
            "k_fallback": bool(self.model.selection_.get("fallback", False)),
            "n_users": self.n_users,
            "scored_in": self.scored_in,
            "segments": self.segments,
            "metrics": self.metrics,
            "previous_run_id": self.previous_run_id,
            "changed_share": (self.stability or {}).get("changed_share"),
            "tables": self.tables,
            "row_counts": self.row_counts,
            "report_path": str(self.report_path) if self.report_path else None,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


def new_run_id(at: dt.datetime | None = None) -> str:
    at = at or now_utc()
    return f"{at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


class _Steps:
    """Times each step and tells the caller (a progress display) which one is running."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.seconds: dict[str, float] = {}

    @contextmanager
    def step(self, name: str, text: str) -> Iterator[None]:
        if self.progress:
            self.progress(text)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = time.perf_counter() - start


def _settings(settings: Settings | None, config: str | Path | None, overrides: dict[str, Any]) -> Settings:
    if settings is not None:  # a validated copy: the caller's settings are never changed
        return with_overrides(settings, overrides)
    return load_settings(config, overrides=overrides)


def _chosen_metrics(model: Segmenter) -> dict[str, Any]:
    metrics: dict[str, Any] = {"inertia": float(model.inertia_) if hasattr(model, "inertia_") else None}
    for row in model.selection_.get("scores", []):
        if row.get("k") == len(model.cluster_centers_):
            metrics.update({k: v for k, v in row.items() if k != "k"})
    return metrics


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
    """The model's profiles as rows of ``segment_profiles`` (without run_id)."""
    import json

    rows = []
    for p in model.profiles_:
        for feature, stats in p["features"].items():
            rows.append(
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
            )
    return pd.DataFrame(rows, columns=[c for c in PROFILE_COLUMNS if c != "run_id"])


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


def _load_model(model: Segmenter | str | Path) -> Segmenter:
    # a copy: the run renames and re-counts it, and the caller's model must stay as it was
    return copy.deepcopy(model) if isinstance(model, Segmenter) else Segmenter.load(model)


def _previous_model(tables: Tables, previous: Segmenter | str | Path | bool | None) -> tuple[Segmenter | None, str | None]:
    """The model whose ids and names a refit keeps: given, or the latest successful run's (``True``)."""
    if previous is None or previous is False:
        return None, None
    if previous is True:
        row = tables.run()
        if not row or not row.get("model"):
            return None, None
        return from_dict(row["model"], where=f"segment_runs run {row['run_id']}"), row["run_id"]
    return _load_model(previous), None


def _with_event_views(settings: Settings, views: dict[str, str]) -> Settings:
    """Settings whose sources read the views ``register_events`` made (column mappings kept)."""
    sources = {name: s.model_copy() for name, s in settings.sources.items()}
    for name, view in views.items():
        sources[name] = (sources.get(name) or SourceSettings()).model_copy(update={"table": view})
    return settings.model_copy(update={"sources": sources})


def _unfitted_segmenter(
    settings: Settings, tables: Tables, previous: Segmenter | str | Path | bool | None, columns: list[str]
) -> tuple[Segmenter, Segmenter | None, str | None]:
    """The segmenter to fit, and the previous model (and its run) whose ids and names it keeps."""
    prev, previous_run_id = _previous_model(tables, previous)
    chosen = settings.segment.features
    if prev is not None:
        # A refit keeps the previous model's features unless others are asked for; with a
        # different feature set (or columns gone) identity cannot carry over.
        kept = list(prev.feature_names_)
        if chosen is None and set(kept) <= set(columns):
            chosen = kept
        if chosen != kept:
            prev, previous_run_id = None, None
    seg = Segmenter(
        n_segments=settings.segment.k,
        k_range=tuple(settings.segment.k_range),
        features=chosen,
        scaling=settings.segment.scaling,
        n_init=settings.segment.n_init,
        random_state=settings.segment.random_state,
    )
    return seg, prev, previous_run_id


def _sample_query(wh: Warehouse, table: str, columns: list[str], n: int, seed: int) -> str:
    """A seeded, uniform random sample of ``n`` users of ``table``, chosen in SQL on every engine.

    Users are ordered by the MD5 of seed and id (a hash every supported engine has), so the same seed
    picks the same users on any engine and for any row order.
    """
    from .features.build import render

    *schema, name = table.split(".")
    source = exp.table_(name, db=schema[-1] if schema else None, quoted=True)
    key = exp.func("MD5", exp.func("CONCAT", exp.Literal.string(f"{seed}:"),
                                   exp.cast(exp.column("user_id", quoted=True), "VARCHAR")))
    select = exp.select(*(exp.column(c, quoted=True) for c in columns)).from_(source).order_by(key).limit(n)
    return render(select, wh.dialect, pretty=False)


def _model_columns(seg: Segmenter, columns: list[str]) -> list[str]:
    """The feature columns a fit of ``seg`` uses (what the sample must hold)."""
    if seg.features is not None:
        return list(seg.features)
    return [f for f in DEFAULT_FEATURES if f in columns] or [c for c in columns if c != "user_id"]


def _count_sizes(model: Segmenter, sizes: pd.DataFrame) -> None:
    """Replace the sample's segment sizes and shares in the model's profiles with counts of every user."""
    counts = {int(s): int(n) for s, n in zip(sizes["segment_id"], sizes["n"])}
    total = sum(counts.values())
    for p in model.profiles_:
        p["size"] = counts.get(p["segment_id"], 0)
        p["share"] = p["size"] / total if total else 0.0


def run(
    warehouse: str | Warehouse | None = None,
    *,
    settings: Settings | None = None,
    config: str | Path | None = None,
    k: int | str | None = None,
    model: Segmenter | str | Path | None = None,
    previous: Segmenter | str | Path | bool | None = True,
    report_dir: str | Path | None = None,
    model_out: str | Path | None = None,
    events: str | Path | None = None,
    progress: Progress | None = None,
    tracer: Tracer | None = None,
    wait_s: float = 0,
) -> RunResult:
    """Build features, fit (or reuse ``model``), assign, write back, and report; returns a RunResult.

    ``previous``: ``True`` (default) keeps ids and names of the latest successful run; a model or path
    keeps that model's; ``None``/``False`` starts afresh. ``model``: score with this model, no refit.
    ``events``: a folder of Parquet files read in place (DuckDB) instead of the warehouse's tables.
    Above ``segment.in_warehouse_above`` users the fit uses a sample and scoring runs in SQL.
    ``wait_s``: how long to wait for another run holding the warehouse's run lock (RunInProgress after).
    """
    from .features import FEATURE_COLUMNS, read_features, write_features

    settings = _settings(settings, config, {"warehouse": warehouse if isinstance(warehouse, str) else None,
                                            "segment": {"k": k}})
    wh = connect(warehouse if isinstance(warehouse, Warehouse) else settings.warehouse, tracer=tracer)
    tables = Tables(wh, settings.output)
    steps = _Steps(progress)
    kind = "assign" if model is not None else "fit"
    run_id = new_run_id()
    started = now_utc()
    lock = ExitStack()
    try:
        lock.enter_context(exclusive_run(tables, run_id, wait_s=wait_s))  # RunInProgress when held
    except BaseException:
        if not isinstance(warehouse, Warehouse):
            wh.close()
        raise
    tables.start_run(run_id, kind, started)
    try:
        with steps.step("features", "Building user features inside the warehouse"):
            if events is not None:
                settings = _with_event_views(settings, wh.register_events(events))
            # Materialised inside the warehouse (other jobs read it), then read back once.
            feature_run = write_features(wh, settings)
            table = feature_run.table or settings.features.output_table
            in_warehouse = feature_run.users > settings.segment.in_warehouse_above
            features = pd.DataFrame() if in_warehouse else read_features(wh, table)
            if feature_run.users == 0 or (not in_warehouse and features.empty):
                raise NoUsersError(
                    "No users: every source is absent or empty (or the time window holds no events).",
                    hint="Load events with `intentseg ingest`, or widen --since/--until.",
                )
        previous_run_id = None
        prev = None
        if model is not None:
            seg = _load_model(model)
        else:
            columns = wh.columns(table) if in_warehouse else list(features.columns)
            seg, prev, previous_run_id = _unfitted_segmenter(settings, tables, previous, columns)
        if in_warehouse:
            with steps.step("sample", "Sampling users for the fit"):
                wanted = list(FEATURE_COLUMNS) if report_dir else (
                    ["user_id", *(seg.feature_names_ if model is not None else _model_columns(seg, columns))])
                sql = _sample_query(wh, table, wanted, settings.segment.fit_sample_users, settings.segment.random_state)
                features = wh.query(sql).sort_values("user_id", kind="stable").reset_index(drop=True)
        # what the build found missing: no segment name or trait may come from it (model/naming.py)
        features.attrs["run"] = feature_run.to_dict()
        with steps.step("fit", "Fitting segments" if model is None else "Loading the model"):
            if model is None and in_warehouse and wh.fits_in_engine:
                from .model.mllib import fit_mllib  # K-Means on every user where the data lives; the sample profiles

                seg = fit_mllib(wh.spark_frame(table), seg, previous=prev, sample=features)
            elif model is None:
                seg.fit(features, previous=prev)
            if settings.segment.names:
                seg.rename({int(s): name for s, name in settings.segment.names.items()})
        metrics = _chosen_metrics(seg)
        previous_members = None
        if report_dir and wh.table_exists(settings.output.user_segments):
            members_sql = f"SELECT user_id, segment_id, segment_name FROM {wh.quote_table(settings.output.user_segments)}"
            if in_warehouse:  # only the sample's users: the report describes the sample
                members_sql = (f"SELECT m.user_id, m.segment_id, m.segment_name FROM {wh.quote_table(settings.output.user_segments)} m"
                               f" JOIN ({_sample_query(wh, table, ['user_id'], len(features), settings.segment.random_state)}) s"
                               " ON s.user_id = m.user_id")
            previous_members = wh.query(members_sql)
        if in_warehouse:
            user_type = "id" if logical_type(features["user_id"].dtype) == "text" else "bigint"
            with steps.step("assign", "Scoring users inside the warehouse"):
                scored_at = now_utc()
                scoring, names = bound_scoring_sql(seg, dialect=wh.dialect, features_table=table)
                staging = tables.stage_assignments(run_id, scoring, scored_at, user_type=user_type, params=names)
                try:
                    _count_sizes(seg, wh.query(
                        f"SELECT segment_id, COUNT(*) AS n FROM {wh.quote_table(staging)} GROUP BY segment_id"))
                except BaseException:
                    wh.drop_table(staging)
                    raise
                assignments = assignments_of(seg, features)
            metrics["profiles_from_sample"] = int(len(features))
            seg.metadata_["profiles_from_sample"] = int(len(features))
            with steps.step("write", "Writing segments back to the warehouse"):
                row_counts = tables.write_staged_results(run_id, staging, profile_rows(seg), scored_at,
                                                         user_type=user_type)
            n_users = row_counts[settings.output.user_segments]
            n_events = wh.scalar(f"SELECT SUM(total_events) FROM {wh.quote_table(table)}")
        else:
            with steps.step("assign", "Assigning users to segments"):
                assignments = assignments_of(seg, features)
                if model is not None:  # report the users scored here, not the model's training sizes
                    _count_sizes(seg, assignments.groupby("segment_id").size().rename("n").reset_index())
            with steps.step("write", "Writing segments back to the warehouse"):
                row_counts = tables.write_results(run_id, assignments, profile_rows(seg), now_utc())
            n_users = int(len(features))
            n_events = features["total_events"].sum() if "total_events" in features else None
        if model_out:
            seg.save(model_out)
        report_path = None
        if report_dir:
            with steps.step("report", "Rendering the report"):
                from .runreport import render_for_run

                report_path = render_for_run(wh, settings, run_id, seg, features, assignments, previous_members,
                                             report_dir, started=started, metrics=metrics)
        result = RunResult(
            run_id=run_id,
            kind=kind,
            k=len(seg.cluster_centers_),
            segments=segment_summaries(seg, (seg.stability_ or {}).get("lineage") if model is None else None),
            metrics=metrics,
            tables={
                "user_segments": settings.output.user_segments,
                "segment_profiles": settings.output.segment_profiles,
                "segment_runs": settings.output.segment_runs,
                "user_segment_history": settings.output.user_segment_history,
                "user_features": settings.features.output_table,
            },
            row_counts=row_counts,
            report_path=report_path,
            model=seg,
            features=features,
            assignments=assignments,
            previous_run_id=previous_run_id,
            stability=seg.stability_ if model is None else None,
            seconds=steps.seconds,
            engine=wh.engine,
            warehouse=wh.display_url,
            n_users=n_users,
            scored_in="warehouse" if in_warehouse else "python",
        )
        tables.finish_run(
            run_id,
            "ok",
            k=result.k,
            n_users=n_users,
            n_events=None if n_events is None or pd.isna(n_events) else int(n_events),
            previous_run_id=previous_run_id,
            changed_share=(result.stability or {}).get("changed_share"),
            metrics=result.metrics,
            model=to_dict(seg),
            row_counts=row_counts,
            report_path=str(report_path) if report_path else None,
        )
        return result
    except BaseException as exc:
        _record_failure(tables, run_id, exc)
        raise
    finally:
        lock.close()
        if not isinstance(warehouse, Warehouse):
            wh.close()


def _record_failure(tables: Tables, run_id: str, exc: BaseException) -> None:
    """Best effort: the warehouse itself may be what failed."""
    try:
        error = {
            "type": type(exc).__name__,
            "message": getattr(exc, "message", None) or str(exc) or type(exc).__name__,
            "internal": not isinstance(exc, IntentsegError),
        }
        if error["internal"]:
            error["traceback"] = traceback.format_exc(limit=5)
        tables.finish_run(run_id, "failed", error=error)
    except Exception:  # noqa: BLE001 - never hide the original error
        pass


def assign(
    warehouse: str | Warehouse | None = None,
    *,
    model: Segmenter | str | Path,
    settings: Settings | None = None,
    config: str | Path | None = None,
    progress: Progress | None = None,
    tracer: Tracer | None = None,
    wait_s: float = 0,
) -> RunResult:
    """Score users with an existing model (no refit) and write the results back (under the run lock)."""
    if model is None:
        raise InputError("assign needs a model.", hint="Pass --model model.json (written by `intentseg segment --model-out`).")
    return run(warehouse, settings=settings, config=config, model=model, previous=None, progress=progress, tracer=tracer,
               wait_s=wait_s)
