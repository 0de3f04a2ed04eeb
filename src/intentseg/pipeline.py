"""``run``: features → segmenter → assignments → write-back → report, recorded as one run.

Every run gets a ``run_id`` and a row in ``segment_runs`` (status running → ok | failed, or interrupted
when its process died). One run at a time per warehouse: a run holds the warehouse's run lock throughout
(``runs.exclusive_run``); a second one fails with RunInProgress, or waits ``wait_s`` seconds. A refit keeps
segment ids and names by matching to the previous successful run's model (stored in ``segment_runs``).

``run`` is a short sequence of steps over one :class:`_Run` (``_features``, ``_segmenter``, ``_fit``,
``_write_back``, ``_report``, ``_finish``). The scorer is chosen once, by the number of users
(``segment.in_warehouse_above``):

- :class:`_InMemory` (up to the threshold): every user's features are read into pandas, the segmenter is
  fitted on all of them, users are scored in Python (``model.results.assignments_of``) and the rows
  written back;
- :class:`_InWarehouse` (above it): the segmenter is fitted on a seeded random sample of users
  (``segment.fit_sample_users``, sampled in SQL; MLlib on every user where the engine fits in place); every
  user is scored by the model's SQL (``model.sql.bound_scoring_sql``) into the staging table. Feature
  profiles and the report describe the sample (``profiles_from_sample`` in the run's metrics).

Either way, sizes and shares are counted in the staging table the run swaps in.
"""

from __future__ import annotations

import copy
import datetime as dt
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
from sqlglot import exp

from .config import Settings, SourceSettings, load_settings, with_overrides
from .errors import InputError, IntentsegError, NoUsersError
from .features import FEATURE_COLUMNS, read_features
from .features.incremental import write_run_features
from .fit import segmenter_for
from .model import Segmenter
from .model.persist import to_dict
from .model.results import assignments_of, chosen_metrics, count_sizes, profile_rows, segment_summaries
from .model.sql import bound_scoring_sql
from .model.transform import DEFAULT_FEATURES, resolve_feature_set
from .runs import exclusive_run
from .warehouse import Warehouse, connect
from .warehouse.base import Tracer, logical_type
from .warehouse.dialects import render
from .writeback import StagedResults, Tables, now_utc

Progress = Callable[[str], None]
#: what ``previous=`` takes: True (the latest successful run's model), False (start afresh) or a model
Previous = bool | Segmenter


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


@dataclass
class _Run:
    """One run as its steps fill it in: what was asked, then what each step found or made."""

    wh: Warehouse
    settings: Settings
    tables: Tables
    steps: _Steps
    run_id: str
    started: dt.datetime
    given: Segmenter | str | Path | None  # score with this model (or file), no refit: an assign run
    previous: Previous
    report_dir: str | Path | None
    full: bool = False  # rebuild the feature state from every event (docs/incremental.md)
    # filled by the steps
    table: str = ""
    feature_run: dict[str, Any] = field(default_factory=dict)
    scorer: _Scorer | None = None
    features: pd.DataFrame = field(default_factory=pd.DataFrame)
    model: Segmenter | None = None
    prev: Segmenter | None = None
    previous_run_id: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    previous_members: pd.DataFrame | None = None
    assignments: pd.DataFrame = field(default_factory=pd.DataFrame)
    row_counts: dict[str, int] = field(default_factory=dict)
    report_path: Path | None = None

    @property
    def kind(self) -> str:
        return "assign" if self.given is not None else "fit"

    @property
    def seg(self) -> Segmenter:
        assert self.model is not None, "the segmenter step has not run"
        return self.model


class _Scorer:
    """Where a run's users are read, fitted and scored: chosen once per run (see the module docstring)."""

    name: ClassVar[str]

    def columns(self, r: _Run) -> list[str]:
        """The feature table's columns (what a refit may keep)."""
        raise NotImplementedError

    def read(self, r: _Run) -> pd.DataFrame:
        """The users the fit (and the report) sees."""
        raise NotImplementedError

    def fit(self, r: _Run) -> Segmenter:
        return r.seg.fit(r.features, previous=r.prev)

    def members_sql(self, r: _Run) -> str:
        """The previous membership of the users in ``r.features`` (for the report's transitions)."""
        return f"SELECT user_id, segment_id, segment_name FROM {r.wh.quote_table(r.settings.output.user_segments)}"

    def fill(self, r: _Run, staged: StagedResults) -> None:
        """Score every user into the run's staging table of ``user_segments``."""
        raise NotImplementedError

    def n_events(self, r: _Run) -> Any:
        raise NotImplementedError


class _InMemory(_Scorer):
    name = "python"

    def columns(self, r: _Run) -> list[str]:
        return r.wh.columns(r.table) if r.table else list(FEATURE_COLUMNS)  # interest columns vary by data

    def read(self, r: _Run) -> pd.DataFrame:
        return read_features(r.wh, r.table)

    def fill(self, r: _Run, staged: StagedResults) -> None:
        r.tables.insert_assignments(staged, r.assignments)

    def n_events(self, r: _Run) -> Any:
        return r.features["total_events"].sum() if "total_events" in r.features else None


class _InWarehouse(_Scorer):
    name = "warehouse"

    def columns(self, r: _Run) -> list[str]:
        return r.wh.columns(r.table)

    def read(self, r: _Run) -> pd.DataFrame:
        """A seeded sample of ``segment.fit_sample_users`` users: the model's columns, or all for a report."""
        wanted = self.columns(r) if r.report_dir else ["user_id", *_model_columns(r.seg, self.columns(r))]
        sql = _sample_query(r.wh, r.table, wanted, r.settings.segment.fit_sample_users, r.settings.segment.random_state)
        return r.wh.query(sql).sort_values("user_id", kind="stable").reset_index(drop=True)

    def fit(self, r: _Run) -> Segmenter:
        if not r.wh.fits_in_engine:
            return super().fit(r)
        from .model.mllib import fit_mllib  # K-Means on every user where the data lives; the sample profiles

        return fit_mllib(r.wh.spark_frame(r.table), r.seg, previous=r.prev, sample=r.features)

    def members_sql(self, r: _Run) -> str:
        sample = _sample_query(r.wh, r.table, ["user_id"], len(r.features), r.settings.segment.random_state)
        return (f"SELECT m.user_id, m.segment_id, m.segment_name FROM "
                f"{r.wh.quote_table(r.settings.output.user_segments)} m JOIN ({sample}) s ON s.user_id = m.user_id")

    def fill(self, r: _Run, staged: StagedResults) -> None:
        scoring, params = bound_scoring_sql(r.seg, dialect=r.wh.dialect, features_table=r.table)
        r.tables.insert_scored(staged, scoring, params)
        r.metrics["profiles_from_sample"] = r.seg.metadata_["profiles_from_sample"] = int(len(r.features))

    def n_events(self, r: _Run) -> Any:
        return r.wh.scalar(f"SELECT SUM(total_events) FROM {r.wh.quote_table(r.table)}")


def _settings(settings: Settings | None, config: str | Path | None, overrides: dict[str, Any]) -> Settings:
    if settings is not None:  # a validated copy: the caller's settings are never changed
        return with_overrides(settings, overrides)
    return load_settings(config, overrides=overrides)


def _load_model(model: Segmenter | str | Path) -> Segmenter:
    # a copy: the run renames and re-counts it, and the caller's model must stay as it was
    return copy.deepcopy(model) if isinstance(model, Segmenter) else Segmenter.load(model)


def _previous_model(tables: Tables, previous: Previous) -> tuple[Segmenter | None, str | None]:
    """The model whose ids and names a refit keeps: given, or the latest successful run's (``True``)."""
    if isinstance(previous, Segmenter):
        return copy.deepcopy(previous), None
    row = tables.run() if previous else None
    if not row or not row.get("model"):
        return None, None
    return Segmenter.from_dict(row["model"], where=f"segment_runs run {row['run_id']}"), row["run_id"]


def _with_event_views(settings: Settings, views: dict[str, str]) -> Settings:
    """Settings whose sources read the views ``register_events`` made (column mappings kept)."""
    sources = {name: s.model_copy() for name, s in settings.sources.items()}
    for name, view in views.items():
        sources[name] = (sources.get(name) or SourceSettings()).model_copy(update={"table": view})
    return settings.model_copy(update={"sources": sources})


def _sample_query(wh: Warehouse, table: str, columns: list[str], n: int, seed: int) -> str:
    """A seeded, uniform random sample of ``n`` users of ``table``, chosen in SQL on every engine.

    Users are ordered by the MD5 of seed and id (a hash every supported engine has), so the same seed
    picks the same users on any engine and for any row order.
    """
    *schema, name = table.split(".")
    source = exp.table_(name, db=schema[-1] if schema else None, quoted=True)
    key = exp.func("MD5", exp.func("CONCAT", exp.Literal.string(f"{seed}:"),
                                   exp.cast(exp.column("user_id", quoted=True), "VARCHAR")))
    select = exp.select(*(exp.column(c, quoted=True) for c in columns)).from_(source).order_by(key).limit(n)
    return render(select, wh.dialect, pretty=False)


def _model_columns(seg: Segmenter, columns: list[str]) -> list[str]:
    """The feature columns a fit of ``seg`` uses, or a fitted ``seg`` scores (what the sample must hold)."""
    if hasattr(seg, "feature_names_"):
        return list(seg.feature_names_)
    if isinstance(seg.features, str):
        return resolve_feature_set(seg.features, columns)
    if seg.features is not None:
        return list(seg.features)
    return [f for f in DEFAULT_FEATURES if f in columns] or [c for c in columns if c != "user_id"]


# -- the steps of a run ------------------------------------------------------------------------------
def _features(r: _Run, events: str | Path | None) -> None:
    """Materialise the feature table inside the warehouse (other jobs read it) and choose the scorer."""
    with r.steps.step("features", "Building user features inside the warehouse"):
        if events is not None:
            r.settings = _with_event_views(r.settings, r.wh.register_events(events))
        feature_run = write_run_features(r.wh, r.settings, full=r.full)  # from the state when there is one
        r.table = feature_run.table or r.settings.features.output_table
        # what the build found missing: no segment name or trait may come from it (model/naming.py)
        r.feature_run = feature_run.to_dict()
        if feature_run.users == 0:
            raise NoUsersError(
                "No users: every source is absent or empty (or the time window holds no events).",
                hint="Load events with `intentseg ingest`, or widen --since/--until.",
            )
        r.scorer = _InWarehouse() if feature_run.users > r.settings.segment.in_warehouse_above else _InMemory()


def _segmenter(r: _Run) -> None:
    """The model to score with: the given one, or an unfitted segmenter and the previous model it keeps
    ids and names of (a refit keeps the previous features unless others are asked for; with a different
    feature set, or columns gone, identity cannot carry over)."""
    assert r.scorer is not None
    if r.given is not None:
        r.model = _load_model(r.given)  # a bad model file fails the run, recorded
        return
    prev, r.previous_run_id = _previous_model(r.tables, r.previous)
    chosen = r.settings.segment.features
    if prev is not None:
        kept = list(prev.feature_names_)
        if chosen is None and set(kept) <= set(r.scorer.columns(r)):
            chosen = kept
        # named feature sets stay named in the model; they keep ids when they hold the same columns now
        columns = resolve_feature_set(chosen, r.scorer.columns(r)) if isinstance(chosen, str) else chosen
        if columns != kept:
            prev, r.previous_run_id = None, None
    r.prev = prev
    r.model = segmenter_for(r.settings, chosen)


def _fit(r: _Run) -> None:
    """Read the users the fit sees, fit (unless a model was given), apply ``[segment.names]``."""
    assert r.scorer is not None
    with r.steps.step("read", "Reading users for the fit"):
        r.features = r.scorer.read(r)
        r.features.attrs["run"] = r.feature_run
    with r.steps.step("fit", "Fitting segments" if r.given is None else "Loading the model"):
        if r.given is None:
            r.model = r.scorer.fit(r)
        if r.settings.segment.names:
            r.seg.rename({int(s): name for s, name in r.settings.segment.names.items()})
    r.metrics = chosen_metrics(r.seg)
    if r.report_dir and r.wh.table_exists(r.settings.output.user_segments):
        r.previous_members = r.wh.query(r.scorer.members_sql(r))  # before the write-back replaces them


def _write_back(r: _Run) -> None:
    """Score every user into the run's staging table, count sizes there, swap it in with history."""
    assert r.scorer is not None
    user_type = "id" if logical_type(r.features["user_id"].dtype) == "text" else "bigint"
    with r.steps.step("write", "Scoring users and writing segments back to the warehouse"):
        r.assignments = assignments_of(r.seg, r.features)
        with r.tables.results(r.run_id, now_utc(), user_type=user_type) as staged:
            r.scorer.fill(r, staged)
            count_sizes(r.seg, r.wh.query(f"SELECT segment_id, COUNT(*) AS n FROM {r.wh.quote_table(staged.table)} "
                                          "GROUP BY segment_id"))
            staged.profiles = profile_rows(r.seg)
        r.row_counts = staged.row_counts


def _report(r: _Run) -> None:
    if not r.report_dir:
        return
    with r.steps.step("report", "Rendering the report"):
        from .report.render import render_for_run  # matplotlib: loaded only for a report

        r.report_path = render_for_run(r.wh, r.settings, r.run_id, r.seg, r.features, r.assignments,
                                       r.previous_members, r.report_dir, started=r.started, metrics=r.metrics)


def _finish(r: _Run) -> RunResult:
    """The run's result, recorded ``ok`` in ``segment_runs``."""
    assert r.scorer is not None
    refit = r.given is None
    n_users = r.row_counts[r.settings.output.user_segments]
    n_events = r.scorer.n_events(r)
    result = RunResult(
        run_id=r.run_id, kind=r.kind, k=len(r.seg.cluster_centers_),
        segments=segment_summaries(r.seg, (r.seg.stability_ or {}).get("lineage") if refit else None),
        metrics=r.metrics, tables=_table_names(r.settings), row_counts=r.row_counts, report_path=r.report_path,
        model=r.seg, features=r.features, assignments=r.assignments, previous_run_id=r.previous_run_id,
        stability=r.seg.stability_ if refit else None, seconds=r.steps.seconds, engine=r.wh.engine,
        warehouse=r.wh.display_url, n_users=n_users, scored_in=r.scorer.name,
    )
    r.tables.finish_run(
        r.run_id, "ok", k=result.k, n_users=n_users,
        n_events=None if n_events is None or pd.isna(n_events) else int(n_events),
        previous_run_id=r.previous_run_id, changed_share=(result.stability or {}).get("changed_share"),
        metrics=result.metrics, model=to_dict(r.seg), row_counts=r.row_counts,
        report_path=str(r.report_path) if r.report_path else None,
    )
    return result


def _table_names(settings: Settings) -> dict[str, str]:
    out = settings.output
    return {"user_segments": out.user_segments, "segment_profiles": out.segment_profiles,
            "segment_runs": out.segment_runs, "user_segment_history": out.user_segment_history,
            "user_features": settings.features.output_table}


@contextmanager
def _open(r: _Run, *, wait_s: float) -> Iterator[None]:
    """Hold the run lock and the run's ``segment_runs`` row: a failure inside is recorded ``failed``."""
    with exclusive_run(r.tables, r.run_id, wait_s=wait_s):  # RunInProgress when held
        r.tables.start_run(r.run_id, r.kind, r.started)
        try:
            yield
        except BaseException as exc:
            _record_failure(r.tables, r.run_id, exc)
            raise


def run(
    warehouse: str | Warehouse | None = None,
    *,
    settings: Settings | None = None,
    config: str | Path | None = None,
    k: int | str | None = None,
    model: Segmenter | str | Path | None = None,
    previous: Previous = True,
    report_dir: str | Path | None = None,
    model_out: str | Path | None = None,
    events: str | Path | None = None,
    progress: Progress | None = None,
    tracer: Tracer | None = None,
    wait_s: float = 0,
    full: bool = False,
) -> RunResult:
    """Build features, fit (or reuse ``model``), assign, write back, and report; returns a RunResult.

    ``previous``: ``True`` (default) keeps ids and names of the latest successful run; a :class:`Segmenter`
    keeps that model's (``Segmenter.load(path)`` for a file); ``False`` starts afresh. ``model``: score
    with this model (or model file), no refit. ``events``: a folder of Parquet files read in place
    (DuckDB) instead of the warehouse's tables. Above ``segment.in_warehouse_above`` users the fit uses a
    sample and scoring runs in SQL. ``wait_s``: how long to wait for another run holding the warehouse's
    run lock (RunInProgress after). Features come from the incremental state when the warehouse holds one
    (docs/incremental.md); ``full`` rebuilds that state from every event.
    """
    if not isinstance(previous, (bool, Segmenter)):
        raise InputError(
            f"previous= takes True, False or a Segmenter, not {type(previous).__name__}.",
            hint="Load a model file with Segmenter.load(path); previous=False starts afresh.",
        )
    settings = _settings(settings, config, {"warehouse": warehouse if isinstance(warehouse, str) else None,
                                            "segment": {"k": k}})
    wh = connect(warehouse if isinstance(warehouse, Warehouse) else settings.warehouse, tracer=tracer)
    r = _Run(wh=wh, settings=settings, tables=Tables(wh, settings.output), steps=_Steps(progress),
             run_id=new_run_id(), started=now_utc(), given=model, previous=previous, report_dir=report_dir,
             full=full)
    try:
        with _open(r, wait_s=wait_s):
            _features(r, events)
            _segmenter(r)
            _fit(r)
            _write_back(r)
            if model_out:
                r.seg.save(model_out)
            _report(r)
            return _finish(r)
    finally:
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
    return run(warehouse, settings=settings, config=config, model=model, previous=False, progress=progress, tracer=tracer,
               wait_s=wait_s)
