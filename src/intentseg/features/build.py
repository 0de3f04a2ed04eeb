"""Build the per-user feature table inside the warehouse.

The feature SQL lives in ``sql/*.sql``, written once in DuckDB's dialect: one file per source aggregates
that source to one row per user, and ``combine.sql`` joins the three per-user aggregates (never the raw
events: joining raw sources on user_id multiplies rows, see docs/adr/0001). Python only assembles the
files into one query — the mapped source tables as CTEs, the settings as literals it builds itself — and
transpiles it with sqlglot for the warehouse's engine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd
import sqlglot
from pydantic import ValidationError
from sqlglot import exp

from ..config import FeatureSettings, Settings
from ..errors import ConfigError, NoUsersError
from ..presets.compile import CompiledSource, compile_source
from ..presets.compile import table_expression as _table
from ..schema import SOURCES, SourceMapping
from ..warehouse import Warehouse, connect, dialects
from ..warehouse.dialects import sqlglot_dialect
from .intents import IntentClassifier, RuleIntentClassifier, classify_queries, count_words
from .interests import InterestPlan, add_interests, is_interest, plan_interests

#: The dialects the feature SQL is written for (the one registry's names).
DIALECTS = dialects.DIALECTS

#: The output columns, in order, with their kind ("id", "count", "float", "timestamp").
FEATURE_COLUMNS: dict[str, str] = {
    "user_id": "id",
    "clicks": "count", "distinct_pages": "count", "sessions": "count",
    "click_time_total_s": "float", "click_time_avg_s": "float", "click_active_days": "count",
    "device_desktop_share": "float", "device_mobile_share": "float",
    "device_tablet_share": "float", "device_other_share": "float",
    "referrer_search_share": "float", "referrer_social_share": "float",
    "referrer_direct_share": "float", "referrer_other_share": "float",
    "has_clickstream": "count",
    "searches": "count", "distinct_queries": "count", "query_words_avg": "float",
    "intent_navigational_share": "float", "intent_informational_share": "float",
    "intent_transactional_share": "float", "intent_commercial_share": "float",
    "has_search_queries": "count",
    "article_views": "count", "distinct_articles": "count",
    "article_time_total_s": "float", "article_time_avg_s": "float", "has_article_views": "count",
    "total_events": "count", "active_days": "count",
    "first_seen": "timestamp", "last_seen": "timestamp",
    "recency_days": "float", "engagement_score": "float",
}

# The columns each source CTE exposes to the .sql files (canonical name -> name inside the SQL, SQL type
# used when the column is absent). "timestamp" is called ts inside, to stay clear of the keyword.
_CTE_NAMES = {"clickstream": "clickstream_events", "search_queries": "search_events", "article_views": "article_events"}
_INSIDE = {"timestamp": "ts"}
_NULL_TYPES = {"id": "BIGINT", "timestamp": "TIMESTAMP", "text": "VARCHAR", "seconds": "DOUBLE"}


@cache
def _sql_text(name: str) -> str:
    return resources.files(__package__).joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


def _parse(name: str) -> exp.Select:
    return sqlglot.parse_one(_sql_text(name), read="duckdb")  # type: ignore[return-value]


def _timestamp(value: str | None, key: str) -> pd.Timestamp | None:
    """A setting's time as a naive UTC timestamp (how events are stored)."""
    if value in (None, ""):
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ConfigError(
            f"features.{key} = {value!r} is not a date or time.",
            hint="Use ISO 8601, e.g. 2026-09-01 or 2026-09-01T12:00:00Z.",
        ) from None
    if ts is pd.NaT:
        raise ConfigError(f"features.{key} = {value!r} is not a date or time.", hint="Use ISO 8601, e.g. 2026-09-01.")
    return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo else ts


def _timestamp_literal(ts: pd.Timestamp) -> exp.Expression:
    text = ts.strftime("%Y-%m-%d %H:%M:%S.%f" if ts.microsecond else "%Y-%m-%d %H:%M:%S")
    return exp.cast(exp.Literal.string(text), "TIMESTAMP")


@dataclass
class FeatureOptions:
    """Everything the feature SQL depends on besides the sources."""

    session_gap_minutes: int = 30
    duration_cap_s: float = 1800.0
    since: pd.Timestamp | None = None
    until: pd.Timestamp | None = None
    reference_time: pd.Timestamp | None = None
    query_intents_table: str = "query_intents"

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> "FeatureOptions":
        fs: FeatureSettings = settings.features
        values = {k: overrides.get(k) if overrides.get(k) is not None else getattr(fs, k)
                  for k in ("since", "until", "reference_time", "session_gap_minutes", "duration_cap_s")}
        try:
            checked = FeatureSettings(**{**fs.model_dump(), **values})
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))} = {e.get('input')!r}: {e['msg']}" for e in exc.errors())
            raise ConfigError(f"Invalid feature option: {problems}.", hint="See `intentseg features --help`.") from None
        opts = cls(
            session_gap_minutes=checked.session_gap_minutes,
            duration_cap_s=float(checked.duration_cap_s),
            since=_timestamp(checked.since, "since"),
            until=_timestamp(checked.until, "until"),
            reference_time=_timestamp(checked.reference_time, "reference_time"),
            query_intents_table=settings.output.query_intents,
        )
        if opts.since is not None and opts.until is not None and opts.since >= opts.until:
            raise ConfigError(
                f"--since {opts.since} is not before --until {opts.until}.", hint="Swap them, or widen the window."
            )
        return opts


@dataclass
class SourcePlan:
    """Where one source is read from: its table and physical columns (None: absent optional column).

    ``compiled`` is the source's definition as sqlglot expressions (a plain table, or a filtered events
    table with column expressions: see intentseg.presets); None when the source is absent.
    """

    mapping: SourceMapping
    columns: dict[str, str | None] | None  # None: the whole source is absent
    compiled: CompiledSource | None = None

    @property
    def present(self) -> bool:
        return self.columns is not None


def plan_sources(mappings: dict[str, SourceMapping], warehouse: Warehouse | None = None) -> dict[str, SourcePlan]:
    """Resolve each source against the warehouse (or assume every mapped column exists, without one)."""
    plans: dict[str, SourcePlan] = {}
    for name, mapping in mappings.items():
        if not mapping.enabled or (warehouse is not None and not warehouse.table_exists(mapping.table)):
            plans[name] = SourcePlan(mapping, None)
            continue
        available = None if warehouse is None else warehouse.columns(mapping.table)
        compiled = compile_source(mapping, available, where=f"table {mapping.table!r}")
        plans[name] = SourcePlan(mapping, compiled.names, compiled)
    if not any(p.present for p in plans.values()):
        tables = ", ".join(p.mapping.table for p in plans.values())
        raise NoUsersError(
            f"None of the source tables ({tables}) exists in the warehouse.",
            hint="Load events with `intentseg ingest`, or map table names in intentseg.toml ([sources.<name>] table = ...).",
        )
    return plans


def _source_cte(name: str, plans: dict[str, SourcePlan], opts: FeatureOptions | None) -> exp.Select:
    """SELECT the source's columns under canonical names, within the time window (``opts``)."""
    plan = plans[name]
    if not plan.present:
        # An absent source: no rows, with the user_id type of a present source so UNIONs type-check.
        other = next(p for p in plans.values() if p.present).compiled
        assert other is not None
        select = exp.select(other.columns["user_id"].copy().as_("user_id"))  # type: ignore[union-attr]
        for col in SOURCES[name].columns[1:]:
            select = select.select(exp.cast(exp.null(), _NULL_TYPES[col.kind]).as_(_INSIDE.get(col.name, col.name)))
        return other.from_(select).where(exp.false())
    compiled = plan.compiled
    assert compiled is not None
    select = exp.select()
    for col in SOURCES[name].columns:
        value = compiled.columns[col.name]
        value = value.copy() if value is not None else exp.cast(exp.null(), _NULL_TYPES[col.kind])
        select = select.select(value.as_(_INSIDE.get(col.name, col.name)))
    ts = compiled.columns["timestamp"]
    assert ts is not None
    select = compiled.from_(select).where(ts.copy().is_(exp.null()).not_())
    if opts is not None and opts.since is not None:
        select = select.where(ts.copy() >= _timestamp_literal(opts.since))
    if opts is not None and opts.until is not None:
        select = select.where(ts.copy() < _timestamp_literal(opts.until))
    return select


def _hoist(query: exp.Select, ctes: list[tuple[str, exp.Expression]]) -> exp.Select:
    """Move a query's own WITH clauses to the top level (MariaDB and Spark dislike nested WITH)."""
    with_ = query.args.get("with_") or query.args.get("with")
    if with_ is not None:
        for cte in with_.expressions:
            ctes.append((cte.alias, cte.this))
        query.set("with_" if "with_" in query.args else "with", None)
    return query


def _bind(node: exp.Expression, values: dict[str, exp.Expression]) -> exp.Expression:
    """Replace the .sql files' ``:name`` placeholders with expressions built here (never user text)."""

    def swap(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Placeholder):
            if n.name not in values:
                raise KeyError(f"no value for placeholder :{n.name}")
            return values[n.name].copy()
        return n

    return node.transform(swap)


def _rename_tables(node: exp.Expression, names: dict[str, str]) -> exp.Expression:
    def swap(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Table) and not n.args.get("db") and n.name in names:
            new = _table(names[n.name])
            if n.alias:
                new.set("alias", n.args["alias"])
            return new
        return n

    return node.transform(swap)


def _values(opts: FeatureOptions) -> dict[str, exp.Expression]:
    return {
        "duration_cap_s": exp.Literal.number(opts.duration_cap_s),
        "session_gap": exp.Interval(this=exp.Literal.string(str(opts.session_gap_minutes)), unit=exp.var("MINUTE")),
        "reference_time": (_timestamp_literal(opts.reference_time) if opts.reference_time is not None
                           else exp.cast(exp.null(), "TIMESTAMP")),
    }


def feature_query(plans: dict[str, SourcePlan], opts: FeatureOptions, interests: InterestPlan | None = None) -> exp.Select:
    """The whole feature query as a sqlglot expression (DuckDB dialect until generated); ``interests``
    adds the content-interest columns of :mod:`intentseg.features.interests`."""
    ctes: list[tuple[str, exp.Expression]] = [(_CTE_NAMES[n], _source_cte(n, plans, opts)) for n in SOURCES]
    for name in SOURCES:
        ctes.append((f"{name}_per_user", _hoist(_parse(name), ctes)))
    final = _hoist(_parse("combine"), ctes)
    if interests is not None:
        final = add_interests(final, interests, ctes)
    for alias, body in ctes:
        final = final.with_(alias, as_=body)
    final = _bind(final, _values(opts))
    return _rename_tables(final, {"query_intents": opts.query_intents_table})  # type: ignore[return-value]


def render(query: exp.Expression, dialect: str, *, pretty: bool = True) -> str:
    """SQL text of ``query`` for ``dialect`` (duckdb, mysql — MariaDB-compatible —, postgres, spark),
    written by the dialect of the one registry (``warehouse.dialects``) the adapters use too."""
    return dialects.render(query, dialect, pretty=pretty)


def feature_sql(
    dialect: str = "duckdb",
    settings: Settings | None = None,
    *,
    warehouse: Warehouse | None = None,
    **options: Any,
) -> str:
    """The feature SQL for ``dialect``, exactly as :func:`build_features` runs it.

    Without a ``warehouse`` every mapped column is assumed present; with one, absent optional columns
    and absent sources are resolved as when building. ``options`` override ``settings.features``
    (since, until, reference_time, session_gap_minutes, duration_cap_s).
    """
    settings = settings or Settings()
    sqlglot_dialect(dialect)
    plans = plan_sources(settings.mappings(), warehouse)
    opts = FeatureOptions.from_settings(settings, **options)
    interests = _plan_interests(warehouse, settings, plans, opts)
    return render(feature_query(plans, opts, interests), dialect) + ";\n"


def _plan_interests(
    warehouse: Warehouse | None, settings: Settings, plans: dict[str, SourcePlan], opts: FeatureOptions
) -> InterestPlan:
    """The content-interest columns: each source's top sections in the window (none without a warehouse)."""

    def with_events(source: str, select: exp.Select) -> str:
        assert warehouse is not None
        return render(select.with_(_CTE_NAMES[source], as_=_source_cte(source, plans, opts)), warehouse.dialect, pretty=False)

    present = {name: plan.present for name, plan in plans.items()}
    return plan_interests(warehouse, settings.interest_settings(), present, with_events)


# -- query intents ---------------------------------------------------------------------------------------


def refresh_query_intents(
    warehouse: Warehouse,
    settings: Settings | None = None,
    classifier: IntentClassifier | None = None,
    *,
    plans: dict[str, SourcePlan] | None = None,
    since: pd.Timestamp | None = None,
) -> int:
    """Classify the distinct search queries not yet in the ``query_intents`` table; return how many.

    The table holds ``query`` (lower-cased, trimmed), ``intent``, ``query_words`` and ``classifier``.
    Queries already classified by the same classifier are kept; a different classifier (another name)
    replaces the whole table. ``since``: look for new queries only in the searches from then on (an
    incremental update's re-opened days; the older ones were classified when their days were built).
    """
    settings = settings or Settings()
    classifier = classifier or RuleIntentClassifier()
    table = settings.output.query_intents
    plans = plans or plan_sources(settings.mappings(), warehouse)
    reuse = warehouse.table_exists(table) and set(
        warehouse.query(f"SELECT DISTINCT classifier FROM {warehouse.quote_table(table)}")["classifier"]
    ) <= {classifier.name}
    if plans["search_queries"].present:
        select = _parse("distinct_queries")
        if not reuse:  # classify everything: drop the "not yet classified" condition
            select = select.where(select.args["where"].this.this, append=False)
        window = FeatureOptions(since=since) if reuse and since is not None else None
        select = select.with_(_CTE_NAMES["search_queries"], as_=_source_cte("search_queries", plans, window))
        select = _rename_tables(select, {"query_intents": table})
        queries = warehouse.query(render(select, warehouse.dialect, pretty=False))["query"].astype(object)
    else:
        queries = pd.Series([], dtype=object)
    if reuse and queries.empty:
        return 0
    rows = pd.DataFrame({
        "query": queries.to_numpy(),
        "intent": classify_queries(classifier, queries).to_numpy(),
        "query_words": count_words(queries).to_numpy(),
        "classifier": classifier.name,
    }).astype({"query": object, "intent": object, "query_words": "int64", "classifier": object})
    types = {"query": "text", "intent": "text", "query_words": "bigint", "classifier": "text"}
    warehouse.write_table(table, rows, mode="append" if reuse else "replace", types=types)
    if not reuse:
        warehouse.create_index(table, ["query"])
    return len(rows)


# -- running --------------------------------------------------------------------------------------------


@dataclass
class FeatureRun:
    """What one build did: for the CLI's summary and ``--json``."""

    users: int
    table: str | None
    seconds: float
    duration_cap_s: float
    capped_durations: dict[str, int] = field(default_factory=dict)
    queries_classified: int = 0
    absent_sources: list[str] = field(default_factory=list)
    absent_columns: dict[str, list[str]] = field(default_factory=dict)
    #: content-interest columns per source: ``{source: {column: section label}}``
    interests: dict[str, dict[str, str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _capped_counts(warehouse: Warehouse, plans: dict[str, SourcePlan], opts: FeatureOptions) -> dict[str, int]:
    """How many durations (per source) exceeded the cap in the window: reported, since they were changed."""
    counts: dict[str, int] = {}
    for name in ("clickstream", "article_views"):
        plan = plans[name]
        if not plan.present or not plan.columns.get("time_spent"):
            continue
        select = (exp.select(exp.Count(this=exp.Star()).as_("n")).from_(_CTE_NAMES[name])
                  .where(exp.column("time_spent") > exp.Literal.number(opts.duration_cap_s))
                  .with_(_CTE_NAMES[name], as_=_source_cte(name, plans, opts)))
        counts[name] = int(warehouse.scalar(render(select, warehouse.dialect, pretty=False)) or 0)
    return counts


def _prepare(
    warehouse: "Warehouse | str",
    settings: Settings | None,
    classifier: IntentClassifier | None,
    options: dict[str, Any],
) -> tuple[Warehouse, Settings, dict[str, SourcePlan], FeatureOptions, int, InterestPlan]:
    wh = connect(warehouse)
    settings = settings or Settings()
    opts = FeatureOptions.from_settings(settings, **options)
    plans = plan_sources(settings.mappings(), wh)
    classified = refresh_query_intents(wh, settings, classifier, plans=plans)
    return wh, settings, plans, opts, classified, _plan_interests(wh, settings, plans, opts)


def _run_info(plans: dict[str, SourcePlan]) -> tuple[list[str], dict[str, list[str]]]:
    absent = [n for n, p in plans.items() if not p.present]
    cols = {n: [c for c, v in p.columns.items() if v is None] for n, p in plans.items() if p.present}
    return absent, {n: c for n, c in cols.items() if c}


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """The same dtypes from every engine: counts int64, the rest float64, times datetime64."""
    kinds = {**FEATURE_COLUMNS, **{c: "float" for c in df.columns if is_interest(str(c))}}
    df = df[list(kinds)]
    for col, kind in kinds.items():
        if kind == "count":
            df[col] = df[col].astype("int64")
        elif kind == "float":
            df[col] = df[col].astype("float64")
        elif kind == "timestamp":
            df[col] = pd.to_datetime(df[col]).astype("datetime64[us]")
    return df.reset_index(drop=True)


def build_features(
    warehouse: "Warehouse | str",
    settings: Settings | None = None,
    *,
    classifier: IntentClassifier | None = None,
    since: str | None = None,
    until: str | None = None,
    reference_time: str | None = None,
    session_gap_minutes: int | None = None,
    duration_cap_s: float | None = None,
) -> pd.DataFrame:
    """One row per user with the features of docs/features.md, computed inside the warehouse.

    Refreshes the ``query_intents`` table first (new distinct queries only). Keyword options override
    ``settings.features``. ``df.attrs`` holds the run summary (cap, capped durations, absent sources).
    """
    if not isinstance(warehouse, Warehouse):  # a URL: open it for this call only
        with connect(warehouse) as wh:
            return build_features(wh, settings, classifier=classifier, since=since, until=until, reference_time=reference_time,
                                  session_gap_minutes=session_gap_minutes, duration_cap_s=duration_cap_s)
    started = time.perf_counter()
    wh, settings, plans, opts, classified, interests = _prepare(
        warehouse, settings, classifier,
        dict(since=since, until=until, reference_time=reference_time,
             session_gap_minutes=session_gap_minutes, duration_cap_s=duration_cap_s),
    )
    # sorted here, not in SQL: an ORDER BY over every user costs the warehouse more than pandas' sort
    df = wh.query(render(feature_query(plans, opts, interests), wh.dialect, pretty=False))
    df = _typed(df.sort_values("user_id", kind="stable"))
    absent, absent_cols = _run_info(plans)
    df.attrs["run"] = FeatureRun(
        users=len(df), table=None, seconds=time.perf_counter() - started, duration_cap_s=opts.duration_cap_s,
        capped_durations=_capped_counts(wh, plans, opts), queries_classified=classified,
        absent_sources=absent, absent_columns=absent_cols, interests=interests.to_dict(),
    ).to_dict()
    return df


def write_features(
    warehouse: "Warehouse | str",
    settings: Settings | None = None,
    *,
    output_table: str | None = None,
    classifier: IntentClassifier | None = None,
    since: str | None = None,
    until: str | None = None,
    reference_time: str | None = None,
    session_gap_minutes: int | None = None,
    duration_cap_s: float | None = None,
) -> FeatureRun:
    """Materialise the features as a table inside the warehouse (no rows pass through Python).

    The table is built under a staging name and swapped in atomically, so readers never see a
    half-written table. Returns a summary of the run.
    """
    if not isinstance(warehouse, Warehouse):  # a URL: open it for this call only
        with connect(warehouse) as wh:
            return write_features(wh, settings, output_table=output_table, classifier=classifier, since=since, until=until, reference_time=reference_time,
                                  session_gap_minutes=session_gap_minutes, duration_cap_s=duration_cap_s)
    started = time.perf_counter()
    wh, settings, plans, opts, classified, interests = _prepare(
        warehouse, settings, classifier,
        dict(since=since, until=until, reference_time=reference_time,
             session_gap_minutes=session_gap_minutes, duration_cap_s=duration_cap_s),
    )
    target = output_table or settings.features.output_table
    forget_features_table(wh, settings.features.state_prefix, target)
    with wh.staging(target) as staging:
        create = exp.Create(this=_table(staging), kind="TABLE", expression=feature_query(plans, opts, interests))
        wh.execute(render(create, wh.dialect, pretty=False))
    wh.create_index(target, ["user_id"])
    absent, absent_cols = _run_info(plans)
    return FeatureRun(
        users=wh.row_count(target), table=target, seconds=time.perf_counter() - started,
        duration_cap_s=opts.duration_cap_s, capped_durations=_capped_counts(wh, plans, opts),
        queries_classified=classified, absent_sources=absent, absent_columns=absent_cols,
        interests=interests.to_dict(),
    )


def forget_features_table(warehouse: Warehouse, state_prefix: str, table: str | None) -> None:
    """A feature state (features/incremental.py) no longer counts on ``table`` (None: any table) holding its
    latest update's features, so its next update writes the table whole: a full build is about to write it."""
    outputs = f"{state_prefix}outputs"  # StateTables.outputs
    if warehouse.table_exists(outputs):
        where, params = ("", None) if table is None else (" WHERE table_name = :table", {"table": table})
        warehouse.execute(f"DELETE FROM {warehouse.quote_table(outputs)}{where}", params)


def read_features(warehouse: "Warehouse | str", table: str = "user_features") -> pd.DataFrame:
    """Read a feature table written by :func:`write_features`, typed as :func:`build_features` returns it."""
    wh = connect(warehouse)
    df = wh.query(f"SELECT * FROM {wh.quote_table(table)}")
    return _typed(df.sort_values("user_id", kind="stable"))
