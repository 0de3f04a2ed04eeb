"""Incremental features: per-user, per-day partial aggregates kept in state tables inside the warehouse.

A full build reads every event; an incremental one reads only the days it re-opens and merges the state.
Per present source the state is two tables (``<prefix><source>_days``, ``<prefix><source>_seen``):

- ``_days``: one row per user and day with the mergeable parts of the source's aggregates (``sql/state/
  <source>_days.sql``): counts, sums, the count of known durations, first and last timestamps, session breaks
  inside the day, and how many of the source's distinct items (pages, queries, articles) the user saw first
  that day;
- ``_seen``: the (user, item) pairs with the day each was first seen, so distinct counts stay exact (a
  distinct count over 30 days is not a sum of daily distinct counts; it is the sum of items new per day).

A watermark per source (``<prefix>watermarks``: the latest event timestamp in the state) says what the state
holds. An update looks at the days from ``watermark - features.lateness_hours`` (floored to midnight) on and
re-opens from the first whose events differ from the state's in number or in content (``sql/state/changed_days.sql``:
late events, the rest of the watermark's day, a new day, an event corrected in place: :func:`_row_check`): deletes
those days' state rows and first-seen pairs, and
rebuilds them from the raw events of those days only. Events later than the watermark are new; late events
within the lateness window are counted in their own day; events older than the window are not seen until a
``--full`` rebuild (docs/incremental.md).

The per-user rows come from the ``_days`` tables (``sql/state/<source>_merge.sql``) and the same
``combine.sql`` a full build runs, so every feature is the full build's, exactly: no feature is approximate.
Sessions crossing midnight merge when the gap from the previous active day's last click is within the
session gap. The state is rebuilt from scratch when what it was built with changes (session gap, duration
cap, the source's columns, the query classifier: the ``fingerprint``).

The per-user rows are the feature table's own: an update merges again the users with state rows in the
re-opened days and replaces their rows in place, then measures recency (which moves for every user) again.
A feature table that does not hold the previous update's features (``<prefix>outputs`` says which table holds
which update's: a new state, another output table, one a full build wrote) is written whole from every user's
day rows instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import json
import time
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd
import sqlglot
from sqlglot import exp

from ..config import Settings
from ..presets.compile import table_expression as _table
from ..schema import SOURCES
from ..warehouse import Warehouse, connect
from .build import (
    _CTE_NAMES,
    _INSIDE,
    FEATURE_COLUMNS,
    FeatureOptions,
    FeatureRun,
    SourcePlan,
    _bind,
    _hoist,
    _parse,
    _rename_tables,
    _run_info,
    _source_cte,
    _values,
    forget_features_table,
    plan_sources,
    refresh_query_intents,
    render,
    write_features,
)
from .intents import IntentClassifier, RuleIntentClassifier

#: The feature columns the state covers: every default column (FEATURE_COLUMNS of this version). A feature
#: build asking for more (or a time window: since/until) is a full build.
COVERED_COLUMNS = frozenset({
    "user_id", "clicks", "distinct_pages", "sessions", "click_time_total_s", "click_time_avg_s", "click_active_days",
    "device_desktop_share", "device_mobile_share", "device_tablet_share", "device_other_share",
    "referrer_search_share", "referrer_social_share", "referrer_direct_share", "referrer_other_share",
    "has_clickstream", "searches", "distinct_queries", "query_words_avg", "intent_navigational_share",
    "intent_informational_share", "intent_transactional_share", "intent_commercial_share", "has_search_queries",
    "article_views", "distinct_articles", "article_time_total_s", "article_time_avg_s", "has_article_views",
    "total_events", "active_days", "first_seen", "last_seen", "recency_days", "engagement_score",
})
#: per source: the CTE that holds its items, one row per event, and the column whose distinct values it counts (the
#: normalised query of search_queries.sql's own rows; the others as the events have them)
_ROWS = {"clickstream": ("clickstream_events", "url"), "search_queries": ("search_rows", "query"),
         "article_views": ("article_events", "article_id")}
#: per source: the column of its day rows that counts the day's events
_DAY_EVENTS = {"clickstream": "clicks", "search_queries": "searches", "article_views": "article_views"}
#: bumped when the state tables' layout changes (a state of another version is rebuilt)
STATE_VERSION = 7
#: a duration's part of an event's content check is clamped to this many seconds (so sums of many stay in BIGINT)
_CHECK_SECONDS = 10**7
_EARLIEST = dt.date(1000, 1, 1)  # re-open from here: every day (MariaDB's DATE starts at 1000-01-01)


@cache
def _state_sql(name: str) -> exp.Select:
    text = resources.files(__package__).joinpath("sql", "state", f"{name}.sql").read_text(encoding="utf-8")
    return sqlglot.parse_one(text, read="duckdb")  # type: ignore[return-value]


def _state(name: str) -> exp.Select:
    return _state_sql(name).copy()


_feature_sql = cache(_parse)


def _features(name: str) -> exp.Select:
    """A feature .sql file of a full build (sql/<name>.sql), parsed once per process: the state's queries use each
    several times."""
    return _feature_sql(name).copy()


@dataclass(frozen=True)
class StateTables:
    """The names of the state tables (``features.state_prefix`` + a fixed suffix)."""

    prefix: str

    def days(self, source: str) -> str:
        return f"{self.prefix}{source}_days"

    def seen(self, source: str) -> str:
        return f"{self.prefix}{source}_seen"

    @property
    def watermarks(self) -> str:
        return f"{self.prefix}watermarks"

    @property
    def touched(self) -> str:
        """The users with state rows in the re-opened days (before and after the update)."""
        return f"{self.prefix}touched"

    @property
    def outputs(self) -> str:
        """The feature tables written from the state, each with the generation (update) whose features it holds."""
        return f"{self.prefix}outputs"


@dataclass
class IncrementalRun(FeatureRun):
    """A :class:`FeatureRun` built from the state: ``mode`` full (state rebuilt) or incremental, and per source
    the day it re-opened from and the watermark after."""

    mode: str = "incremental"
    reopened_from: dict[str, str | None] = field(default_factory=dict)
    watermarks: dict[str, str | None] = field(default_factory=dict)
    state_seconds: float = 0.0
    #: whether the feature table was kept up to date in place (else written whole from every user's day rows)
    in_place: bool = False


def _fingerprint(plans: dict[str, SourcePlan], opts: FeatureOptions, classifier: IntentClassifier) -> str:
    """What the state depends on besides the events: a change means a rebuild from scratch. (A classifier of
    another name replaces the whole ``query_intents`` table: refresh_query_intents.)"""
    what = {"version": STATE_VERSION, "session_gap_minutes": opts.session_gap_minutes,
            "duration_cap_s": opts.duration_cap_s, "classifier": classifier.name,
            "sources": {n: (render(_source_cte(n, plans, None), "duckdb") if p.present else None)
                        for n, p in plans.items()}}
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:16]


_MARKS = ["source", "watermark_ts", "fingerprint", "generation"]


def read_watermarks(wh: Warehouse, tables: StateTables) -> pd.DataFrame:
    """The watermark table (source, watermark_ts, fingerprint, generation: how many updates the state has had);
    empty when there is no state."""
    if not wh.table_exists(tables.watermarks):
        return pd.DataFrame(columns=_MARKS)
    # a state of an older layout has no generation (NaN): its fingerprint differs too, so it is rebuilt
    return wh.query(f"SELECT * FROM {wh.quote_table(tables.watermarks)}").reindex(columns=_MARKS)


def state_present(warehouse: Warehouse, settings: Settings) -> bool:
    """Whether the warehouse holds a feature state (an incremental run is possible)."""
    return not read_watermarks(warehouse, StateTables(settings.features.state_prefix)).empty


def incremental_applies(settings: Settings) -> str | None:
    """Why the features of ``settings`` need a full build (no state), or None when the state covers them."""
    fs = settings.features
    if fs.since or fs.until:
        return "a time window (features.since / until) is set"
    missing = set(FEATURE_COLUMNS) - COVERED_COLUMNS
    if missing:
        return f"the state does not cover {', '.join(sorted(missing))}"
    if settings.interest_settings().enabled and importlib.util.find_spec(f"{__package__}.interests") is not None:
        return "content interests are on (interests.enabled): the state does not cover interest_* columns"
    return None


# -- the SQL ----------------------------------------------------------------------------------------------


def _with(select: exp.Select, ctes: list[tuple[str, exp.Expression]]) -> exp.Select:
    for alias, body in ctes:
        select = select.with_(alias, as_=body, copy=False)  # built here for one query: no copy per CTE
    return select


def _row_check(name: str) -> exp.Expression:
    """An integer per event from every column of the source but the user and the day: what a correction in place
    changes. Each column adds (prime) * (0 when NULL, else 1 + its value's length, its milliseconds, or its second
    of the day), so a filled NULL, a longer or shorter text, another duration or another time of day moves the day's
    sum. The same expression on the same engine for the state and for the check: nothing to agree across engines.
    Not seen: a text replaced by another of the same length, values swapped between two events of one day."""
    terms: list[exp.Expression] = []
    primes = iter((3, 5, 7, 11, 13, 17, 19, 23))
    for col in SOURCES[name].columns:
        if col.name == "user_id":
            continue
        column = exp.column(_INSIDE.get(col.name, col.name))
        if col.kind == "timestamp":
            value = sqlglot.parse_one("EXTRACT(HOUR FROM ts) * 3600 + EXTRACT(MINUTE FROM ts) * 60 "
                                      "+ FLOOR(EXTRACT(SECOND FROM ts))", read="duckdb")
        elif col.kind == "seconds":
            clamped = exp.Least(this=exp.Greatest(this=column.copy(), expressions=[exp.Literal.number(-_CHECK_SECONDS)]),
                                expressions=[exp.Literal.number(_CHECK_SECONDS)])
            value = exp.Round(this=exp.Mul(this=clamped, expression=exp.Literal.number(1000)))
        else:  # text, or an id: its text's length
            value = exp.Length(this=exp.cast(column.copy(), "VARCHAR"))
        part = exp.If(this=column.copy().is_(exp.null()), true=exp.Literal.number(0),
                      false=exp.Add(this=exp.Literal.number(1), expression=exp.cast(value, "BIGINT")))
        terms.append(exp.Mul(this=exp.Literal.number(next(primes)), expression=exp.Paren(this=part)))
    total: exp.Expression = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return exp.cast(total, "BIGINT")


def _checks(name: str, plans: dict[str, SourcePlan], window: FeatureOptions) -> exp.Select:
    """The window's events of the source as (user_id, ts, check): see :func:`_row_check`."""
    return exp.select("user_id", "ts", _row_check(name).as_("row_check")).from_(
        _source_cte(name, plans, window).subquery("e"))


def _finish(select: exp.Expression, opts: FeatureOptions, names: dict[str, str]) -> exp.Expression:
    """Bind the settings built here and the ``:reopen_from`` parameter (bound by the driver); name the tables."""
    values = {**_values(opts), "reopen_from": exp.Placeholder(this="reopen_from")}
    return _rename_tables(_bind(select, values), {"query_intents": opts.query_intents_table, **names})


def _rows_ctes(name: str, plans: dict[str, SourcePlan], window: FeatureOptions) -> list[tuple[str, exp.Expression]]:
    """The source's events of the window and the per-event CTEs of its own .sql file (the final SELECT unused)."""
    ctes: list[tuple[str, exp.Expression]] = [(_CTE_NAMES[name], _source_cte(name, plans, window))]
    _hoist(_features(name), ctes)
    return ctes


def first_seen_query(name: str, plans: dict[str, SourcePlan], window: FeatureOptions, tables: StateTables,
                     *, fresh: bool, narrow: bool = True) -> exp.Expression:
    """The (user, item) pairs first seen in the window (``fresh``: every pair, for a new table).

    ``narrow``: keep the NOT EXISTS probe's ``IN (SELECT user_id FROM items)``, which lets DuckDB and PostgreSQL
    read only the window's users' kept pairs. MariaDB runs it as a dependent subquery that reads the window's
    events again for every event (20k users: over 90 s against 0.5 s without it): there the probe is the
    (user_id, item) index lookup alone, which the condition adds nothing to (``Warehouse.semi_join_in_subqueries``).
    """
    rows, item = _ROWS[name]
    ctes = _rows_ctes(name, plans, window)
    ctes.append(("items", exp.select("user_id", "ts", exp.column(item).as_("item")).from_(rows)))
    select = _state("first_seen")
    if fresh:  # no table yet to compare with: drop the NOT EXISTS condition
        select = select.where(select.args["where"].this.this, append=False)
    elif not narrow:
        exists = select.find(exp.Exists)
        assert exists is not None, "first_seen.sql has its NOT EXISTS probe"
        probe = exists.this  # SELECT 1 FROM state_seen WHERE ... AND s.user_id IN (...)
        probe.set("where", exp.Where(this=probe.args["where"].this.this))
    return _finish(_with(select, ctes), window, {"state_seen": tables.seen(name)})


def days_query(name: str, plans: dict[str, SourcePlan], window: FeatureOptions, tables: StateTables,
               *, fresh: bool) -> exp.Expression:
    """The state rows (one per user and day) of the window's days (``fresh``: every day, for a new table)."""
    ctes = _rows_ctes(name, plans, window)
    if name in ("clickstream", "article_views"):  # the events again for the capped durations: a second read of
        ctes.append(("durations", _source_cte(name, plans, window)))  # them costs DuckDB less than keeping them
    ctes.append(("content_checks", exp.select("user_id", exp.cast(exp.column("ts"), "DATE").as_("day"),
                                              exp.func("SUM", exp.column("row_check")).as_("content"))
                 .from_(_checks(name, plans, window).subquery("c"))
                 .group_by("user_id", exp.cast(exp.column("ts"), "DATE"))))
    select = _hoist(_state(f"{name}_days"), ctes)
    if fresh:  # no day kept before the window (nor a table yet to read it from)
        ctes = [(alias, exp.select("user_id", "last_ts").from_("days").where(exp.false()) if alias == "kept_last" else body)
                for alias, body in ctes]
    return _finish(_with(select, ctes), window, {"state_seen": tables.seen(name), "state_days": tables.days(name)})


def merged_query(plans: dict[str, SourcePlan], opts: FeatureOptions, tables: StateTables,
                 *, touched_only: bool = False) -> exp.Expression:
    """combine.sql over the state: per source its days merged to one row per user (``touched_only``: of the
    users in the touched table), then combined as a full build combines them: over every user, the feature
    table itself (recency too); over the touched ones, their rows but recency (measured to their latest event).

    combine.sql reads ``<source>_events`` only for the users' active days and the latest timestamp: the state's
    (user, last_ts) per day gives both. An absent source keeps the full build's empty CTEs.
    """
    ctes: list[tuple[str, exp.Expression]] = []
    for name in SOURCES:
        if plans[name].present:
            rows = exp.select("*").from_(_table(tables.days(name)))
            if touched_only:
                rows = rows.where(exp.column("user_id").isin(query=exp.select("user_id").from_(_table(tables.touched))))
            ctes.append((f"{name}_state", rows))
            ctes.append((_CTE_NAMES[name], exp.select("user_id", exp.column("last_ts").as_("ts")).from_(f"{name}_state")))
            merged = _rename_tables(_state(f"{name}_merge"), {"state_days": f"{name}_state"})
            ctes.append((f"{name}_per_user", _hoist(merged, ctes)))  # type: ignore[arg-type]
        else:
            ctes.append((_CTE_NAMES[name], _source_cte(name, plans, opts)))
            ctes.append((f"{name}_per_user", _hoist(_features(name), ctes)))
    final = _hoist(_features("combine"), ctes)
    return _finish(_with(final, ctes), opts, {})


def changed_days_query(name: str, plans: dict[str, SourcePlan], window: FeatureOptions,
                       tables: StateTables) -> exp.Expression:
    """The first day of the window whose events the state does not count as they are (``sql/state/changed_days.sql``)."""
    def day_events(node: exp.Expression) -> exp.Expression:
        return exp.column(_DAY_EVENTS[name]) if isinstance(node, exp.Column) and node.name == "day_events" else node

    select = _with(_state("changed_days"), [("source_events", _checks(name, plans, window))])
    return _finish(select.transform(day_events), window, {"state_days": tables.days(name)})


# -- keeping the state --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StateUpdate:
    """What an update does: per present source the first day it re-opens (None: every day, the source rebuilt
    from scratch), the fingerprint it writes, and the state's generation after it (1 + the updates before)."""

    mode: str
    starts: dict[str, dt.date | None]
    fingerprint: str
    generation: int

    @property
    def every_user(self) -> bool:
        return any(start is None for start in self.starts.values())


def plan_update(wh: Warehouse, settings: Settings, plans: dict[str, SourcePlan], opts: FeatureOptions,
                classifier: IntentClassifier, *, full: bool = False) -> StateUpdate:
    """From scratch when ``full``, when there is no state, or when its fingerprint differs; else per source
    from the first day, within ``features.lateness_hours`` before its watermark or after, whose events changed."""
    tables = StateTables(settings.features.state_prefix)
    fingerprint = _fingerprint(plans, opts, classifier)
    marks = read_watermarks(wh, tables).set_index("source")
    stale = full or marks.empty or set(marks["fingerprint"]) != {fingerprint} or set(marks.index) != set(SOURCES)
    starts = {name: None if stale else _reopen_from(wh, name, plans, opts, tables, marks.loc[name, "watermark_ts"],
                                                     settings.features.lateness_hours)
              for name in SOURCES if plans[name].present}
    generation = marks["generation"].max() if not marks.empty else None
    return StateUpdate("full" if stale else "incremental", starts, fingerprint,
                       1 + (0 if generation is None or pd.isna(generation) else int(generation)))


def _window(opts: FeatureOptions, reopen_from: dt.date | None) -> FeatureOptions:
    since = None if reopen_from is None else pd.Timestamp(reopen_from)
    return FeatureOptions(session_gap_minutes=opts.session_gap_minutes, duration_cap_s=opts.duration_cap_s,
                          since=since, reference_time=opts.reference_time, query_intents_table=opts.query_intents_table)


def _reopen_from(wh: Warehouse, name: str, plans: dict[str, SourcePlan], opts: FeatureOptions, tables: StateTables,
                 watermark: Any, lateness_hours: float) -> dt.date | None:
    """The first day to re-open: of the days from ``watermark - lateness_hours`` (floored to midnight) on, the
    first whose events changed; the day after the watermark's when none did (nothing to re-open). None (every
    day) without a watermark."""
    if watermark is None or pd.isna(watermark):
        return None
    earliest = (pd.Timestamp(watermark) - pd.Timedelta(hours=lateness_hours)).date()
    query = changed_days_query(name, plans, _window(opts, earliest), tables)
    first = wh.scalar(render(query, wh.dialect, pretty=False), {"reopen_from": earliest})
    if first is None or pd.isna(first):
        return pd.Timestamp(watermark).date() + dt.timedelta(days=1)
    return pd.Timestamp(first).date()


def _rebuild_source(wh: Warehouse, name: str, plans: dict[str, SourcePlan], opts: FeatureOptions,
                    tables: StateTables) -> None:
    """The source's state from all its events (its tables replaced)."""
    window = _window(opts, None)
    params = {"reopen_from": _EARLIEST}
    for table, query in ((tables.seen(name), first_seen_query(name, plans, window, tables, fresh=True)),
                         (tables.days(name), days_query(name, plans, window, tables, fresh=True))):
        wh.drop_table(table)  # the seen pairs first: the days count the items first seen on each
        wh.execute(render(exp.Create(this=_table(table), kind="TABLE", expression=query), wh.dialect), params)
    wh.create_index(tables.seen(name), ["user_id", "item"])
    wh.create_index(tables.seen(name), ["first_day"])
    wh.create_index(tables.days(name), ["day"])


def _update_source(wh: Warehouse, name: str, plans: dict[str, SourcePlan], opts: FeatureOptions,
                   tables: StateTables, reopen_from: dt.date) -> None:
    """Re-open the days from ``reopen_from``: their state rows and first-seen pairs rebuilt from their events."""
    window = _window(opts, reopen_from)
    params = {"reopen_from": reopen_from}
    seen, days = wh.quote_table(tables.seen(name)), wh.quote_table(tables.days(name))
    wh.execute(f"DELETE FROM {seen} WHERE first_day >= :reopen_from", params)
    wh.execute(f"DELETE FROM {days} WHERE day >= :reopen_from", params)
    narrow = wh.semi_join_in_subqueries  # see first_seen_query
    for table, query in ((tables.seen(name), first_seen_query(name, plans, window, tables, fresh=False, narrow=narrow)),
                         (tables.days(name), days_query(name, plans, window, tables, fresh=False))):
        wh.execute(render(exp.Insert(this=_table(table), expression=query), wh.dialect), params)


def _capped_counts(wh: Warehouse, plans: dict[str, SourcePlan], tables: StateTables) -> dict[str, int]:
    """How many durations (per source) exceeded the cap, as a full build reports them: summed over the day rows."""
    return {name: int(wh.scalar(f"SELECT SUM(capped) FROM {wh.quote_table(tables.days(name))}") or 0)
            for name in ("clickstream", "article_views") if (plans[name].columns or {}).get("time_spent")}


def _watermark(wh: Warehouse, tables: StateTables, name: str) -> pd.Timestamp | None:
    value = wh.scalar(f"SELECT MAX(last_ts) FROM {wh.quote_table(tables.days(name))}")
    return None if value is None or pd.isna(value) else pd.Timestamp(value)


def update_state(wh: Warehouse, plans: dict[str, SourcePlan], opts: FeatureOptions, tables: StateTables,
                 update: StateUpdate, target: str) -> bool:
    """Bring the state up to date as ``update`` says, and the feature table ``target`` with it when it holds the
    previous update's features (returns whether it did; else it is to be written whole: :func:`_write_every_user`).

    In place, the users with state rows in the re-opened days (before or after) are merged again and their rows
    replaced. One transaction where the engine has transactional DDL; on MariaDB the changes commit before the
    watermarks are written (a CREATE TABLE commits implicitly) and the generation of ``target`` is written last,
    so an interrupted update leaves the table agreeing with the state, or a generation behind: written whole next.
    """
    in_place = not update.every_user and _holds_generation(wh, tables, target, update.generation - 1)
    with wh.transaction():
        if update.every_user:
            forget_features_table(wh, tables.prefix, None)  # a new state: no table holds its features yet
            wh.drop_table(f"{tables.prefix}users")  # the per-user rows states before version 4 kept
        if in_place:  # first: on MariaDB a CREATE TABLE commits the changes before it
            _note_touched(wh, tables, update.starts, create=True)
        for name, start in update.starts.items():
            if start is None:
                _rebuild_source(wh, name, plans, opts, tables)
            else:
                _update_source(wh, name, plans, opts, tables, start)
        if in_place:
            _note_touched(wh, tables, update.starts, create=False)
            _merge_touched(wh, plans, opts, tables, target)
            wh.execute(render(_finish(_state("recency"), opts, {"features": target}), wh.dialect))
        _write_watermarks(wh, tables, plans, update)
        if in_place:
            _record_output(wh, tables, target, update.generation)
            wh.drop_table(tables.touched)
    return in_place


def _note_touched(wh: Warehouse, tables: StateTables, starts: dict[str, dt.date | None], *, create: bool) -> None:
    """The users with state rows in the re-opened days: noted before the update (``create``) and after."""
    selects = [exp.select("user_id").from_(_table(tables.days(name)))
               .where(exp.column("day") >= exp.Placeholder(this=f"from_{i}")) for i, name in enumerate(starts)]
    union = selects[0]
    for select in selects[1:]:
        union = union.union(select, distinct=False)  # type: ignore[assignment]
    params = {f"from_{i}": start for i, start in enumerate(starts.values())}
    if create:
        wh.drop_table(tables.touched)
        wh.execute(render(exp.Create(this=_table(tables.touched), kind="TABLE", expression=union), wh.dialect), params)
    else:
        wh.execute(render(exp.Insert(this=_table(tables.touched), expression=union), wh.dialect), params)


def _merge_touched(wh: Warehouse, plans: dict[str, SourcePlan], opts: FeatureOptions, tables: StateTables,
                   target: str) -> None:
    """The touched users' rows of the feature table replaced by their day rows merged again. (DELETE and
    INSERT cost DuckDB less than an UPDATE of every column: measured at 1M users.)"""
    table, touched = wh.quote_table(target), wh.quote_table(tables.touched)
    if wh.semi_join_in_subqueries:
        wh.execute(f"DELETE FROM {table} WHERE user_id IN (SELECT user_id FROM {touched})")
    else:  # MariaDB 10 would run the IN once per row (233 s of a 100k-user update): a multi-table DELETE joins
        wh.execute(f"DELETE f FROM {table} AS f JOIN (SELECT DISTINCT user_id FROM {touched}) AS t ON f.user_id = t.user_id")
    query = merged_query(plans, opts, tables, touched_only=True)
    columns = exp.Schema(this=_table(target), expressions=[exp.to_identifier(c) for c in FEATURE_COLUMNS])
    wh.execute(render(exp.Insert(this=columns, expression=query), wh.dialect))


def _write_watermarks(wh: Warehouse, tables: StateTables, plans: dict[str, SourcePlan], update: StateUpdate) -> None:
    rows = pd.DataFrame({
        "source": list(SOURCES),
        "watermark_ts": [_watermark(wh, tables, n) if plans[n].present else None for n in SOURCES],
        "fingerprint": update.fingerprint,
        "generation": update.generation,
    }).astype({"watermark_ts": "datetime64[us]", "generation": "int64"})
    if update.every_user:
        wh.drop_table(tables.watermarks)  # its layout may be an older version's
    wh.create_table(tables.watermarks, {"source": "key", "watermark_ts": "timestamp", "fingerprint": "text",
                                        "generation": "bigint"}, if_not_exists=True)
    wh.execute(f"DELETE FROM {wh.quote_table(tables.watermarks)}")
    wh.write_table(tables.watermarks, rows, mode="append")


# -- the feature table ------------------------------------------------------------------------------------------


def _holds_generation(wh: Warehouse, tables: StateTables, target: str, generation: int) -> bool:
    """Whether the feature table ``target`` holds the features of the state's ``generation``."""
    if not wh.table_exists(tables.outputs) or not wh.table_exists(target):
        return False
    held = wh.scalar(f"SELECT generation FROM {wh.quote_table(tables.outputs)} WHERE table_name = :table",
                     {"table": target})
    return held is not None and not pd.isna(held) and int(held) == generation


def _record_output(wh: Warehouse, tables: StateTables, target: str, generation: int) -> None:
    wh.create_table(tables.outputs, {"table_name": "key", "generation": "bigint"}, if_not_exists=True)
    forget_features_table(wh, tables.prefix, target)
    wh.write_table(tables.outputs, pd.DataFrame({"table_name": [target], "generation": [generation]}), mode="append")


def _write_every_user(wh: Warehouse, plans: dict[str, SourcePlan], opts: FeatureOptions, tables: StateTables,
                      target: str, generation: int) -> None:
    """The feature table written whole: every user's day rows merged (``merged_query``).

    The users in the order of their latest event: an update replaces the rows of the users active since, mostly
    recently active ones, so its deletes fall in fewer of DuckDB's row groups (fewer rewritten at commit: 0.3
    CPU s less per update at 1M users); the replaced rows go to the end, which keeps the order.
    """
    query = merged_query(plans, opts, tables).order_by("last_seen")  # type: ignore[attr-defined]
    with wh.staging(target) as staging:
        wh.execute(render(exp.Create(this=_table(staging), kind="TABLE", expression=query), wh.dialect))
    wh.create_index(target, ["user_id"])
    with wh.transaction():
        _record_output(wh, tables, target, generation)


# -- building features from the state -------------------------------------------------------------------------


def write_incremental_features(
    warehouse: "Warehouse | str",
    settings: Settings | None = None,
    *,
    full: bool = False,
    output_table: str | None = None,
    classifier: IntentClassifier | None = None,
) -> FeatureRun:
    """Bring the feature state up to date (from scratch when ``full``), then the feature table with it.

    The same table as :func:`write_features` (same columns, same values), built from the per-day state instead
    of every event. When the state cannot cover the settings (:func:`incremental_applies`) this is
    :func:`write_features`.
    """
    if not isinstance(warehouse, Warehouse):  # a URL: open it for this call only
        with connect(warehouse) as wh:
            return write_incremental_features(wh, settings, full=full, output_table=output_table, classifier=classifier)
    settings = settings or Settings()
    if incremental_applies(settings) is not None:
        return write_features(warehouse, settings, output_table=output_table, classifier=classifier)
    started = time.perf_counter()
    wh = warehouse
    opts = FeatureOptions.from_settings(settings)
    plans = plan_sources(settings.mappings(), wh)
    classifier = classifier or RuleIntentClassifier()
    update = plan_update(wh, settings, plans, opts, classifier, full=full)
    # new queries only in the re-opened days: the older days' queries were classified when they were built
    searches_from = update.starts.get("search_queries")
    classified = refresh_query_intents(wh, settings, classifier, plans=plans,
                                       since=None if searches_from is None else pd.Timestamp(searches_from))
    tables = StateTables(settings.features.state_prefix)
    target = output_table or settings.features.output_table
    in_place = update_state(wh, plans, opts, tables, update, target)
    state_seconds = time.perf_counter() - started
    if not in_place:
        _write_every_user(wh, plans, opts, tables, target, update.generation)
    absent, absent_cols = _run_info(plans)
    marks = read_watermarks(wh, tables)
    return IncrementalRun(
        users=wh.row_count(target), table=target, seconds=time.perf_counter() - started,
        duration_cap_s=opts.duration_cap_s, capped_durations=_capped_counts(wh, plans, tables),
        queries_classified=classified, absent_sources=absent, absent_columns=absent_cols,
        mode=update.mode, reopened_from={name: None if start is None else start.isoformat()
                                         for name, start in update.starts.items()},
        state_seconds=state_seconds, in_place=in_place,
        watermarks={r.source: (None if pd.isna(r.watermark_ts) else str(pd.Timestamp(r.watermark_ts)))
                    for r in marks.itertuples()},
    )


def write_run_features(warehouse: Warehouse, settings: Settings, *, full: bool = False) -> FeatureRun:
    """The feature step of a run: from the state when there is one (or ``features.incremental``, or ``full``:
    the state rebuilt from every event), else a plain full build without a state."""
    if full or settings.features.incremental or state_present(warehouse, settings):
        return write_incremental_features(warehouse, settings, full=full)
    return write_features(warehouse, settings)
