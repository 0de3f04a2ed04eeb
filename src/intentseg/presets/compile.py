"""Compile a source definition (table, filter, column names or expressions, heartbeats) to sqlglot.

Every expression is written in DuckDB's dialect (the project's one SQL dialect), parsed with sqlglot and
checked before any query runs: one row-by-row expression (no subquery, aggregate, window, alias or
placeholder), every column it names present in the table. Column references are replaced by quoted
identifiers with the table's own spelling, so the feature SQL transpiles per engine through
``warehouse.dialects`` like the rest of the SQL. Nothing a user typed is ever pasted into SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from ..errors import ConfigError, MissingColumnError
from ..schema import SOURCES, SourceMapping, is_column_name

#: Alias of the heartbeat aggregate joined to a source with ``heartbeats`` (and its two columns).
HEARTBEATS = "intentseg_heartbeats"
_HB_KEY, _HB_COUNT = "intentseg_view_key", "intentseg_beats"

# Nodes a column expression may not contain: it is evaluated row by row on the source table.
_FORBIDDEN: tuple[tuple[type, str], ...] = (
    (exp.Query, "a subquery"), (exp.Subquery, "a subquery"), (exp.DDL, "a statement"), (exp.DML, "a statement"),
    (exp.Command, "a statement"), (exp.Block, "several statements"), (exp.AggFunc, "an aggregate"),
    (exp.Window, "a window function"), (exp.Alias, "an alias (AS)"), (exp.Placeholder, "a placeholder"),
    (exp.Parameter, "a parameter"), (exp.Star, "*"),
)
_EXAMPLE = "e.g. engagement_time_msec / 1000, or event_name IN ('page_view', 'screen_view')"


def parse_expression(text: str, key: str) -> exp.Expression:
    """``text`` as one row-by-row expression, or ConfigError naming ``key`` and what is wrong."""
    try:
        parsed = sqlglot.parse(text, read="duckdb")
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f" (line {first['line']}, column {first['col']})" if first.get("line") else ""
        raise ConfigError(
            f"{key} = {text!r} is not a valid SQL expression: {first.get('description', exc)}{where}.",
            hint=f"Write one expression over the table's columns in DuckDB's SQL dialect, {_EXAMPLE}.",
        ) from None
    except SqlglotError as exc:
        raise ConfigError(
            f"{key} = {text!r} is not a valid SQL expression: {exc}.",
            hint=f"Close every quote and parenthesis; {_EXAMPLE}.",
        ) from None
    if len(parsed) != 1 or parsed[0] is None:
        raise ConfigError(f"{key} = {text!r} holds {len(parsed)} statements.", hint=f"Write one expression, {_EXAMPLE}.")
    expression = cast(exp.Expression, parsed[0])
    for node in expression.walk():
        for kind, what in _FORBIDDEN:
            if isinstance(node, kind):
                raise ConfigError(
                    f"{key} = {text!r} contains {what} ({node.sql('duckdb')[:80]!r}).",
                    hint=f"A source column is computed row by row from the table's own columns: {_EXAMPLE}.",
                )
    return expression


def referenced_columns(expression: exp.Expression) -> list[str]:
    """The column names an expression reads, in order of appearance."""
    return list(dict.fromkeys(c.name for c in expression.find_all(exp.Column)))


def bind_columns(expression: exp.Expression, available: list[str] | None) -> tuple[exp.Expression, list[str]]:
    """``expression`` with its columns quoted as the table spells them, and the names it reads that are missing.

    With ``available`` None (no warehouse at hand) every column is taken as written.
    """
    lower = {a.lower(): a for a in available} if available is not None else None
    missing: list[str] = []

    def swap(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Column):
            return node
        if node.table:
            missing.append(node.sql("duckdb"))  # a source reads one table: no qualified names
            return node
        name = node.name if lower is None else lower.get(node.name.lower())
        if name is None:
            missing.append(node.name)
            return node
        return exp.column(name, quoted=True)

    return expression.copy().transform(swap), list(dict.fromkeys(missing))


def table_expression(name: str) -> exp.Table:
    """A table reference with every part quoted (``schema.table`` part by part)."""
    *db, table = name.split(".")
    return exp.Table(
        this=exp.to_identifier(table, quoted=True),
        db=exp.to_identifier(db[-1], quoted=True) if db else None,
        catalog=exp.to_identifier(db[-2], quoted=True) if len(db) > 1 else None,
    )


@dataclass
class CompiledSource:
    """A source ready for the feature SQL: canonical column -> expression over its table (None: absent)."""

    mapping: SourceMapping
    columns: dict[str, exp.Expression | None]
    filter: exp.Expression | None = None
    heartbeat_key: exp.Expression | None = None
    heartbeat_filter: exp.Expression | None = None

    @property
    def names(self) -> dict[str, str | None]:
        """canonical -> the column read (or the expression's DuckDB SQL); None for an absent optional column."""
        out: dict[str, str | None] = {}
        for col, value in self.columns.items():
            if value is None:
                out[col] = None
            elif isinstance(value, exp.Column) and not value.table:
                out[col] = value.name
            else:
                out[col] = value.sql("duckdb")
        return out

    def from_(self, select: exp.Select) -> exp.Select:
        """``select`` reading this source: FROM its table (joined to its heartbeat counts), WHERE its filter."""
        select = select.from_(table_expression(str(self.mapping.table)))
        if self.heartbeat_key is not None:
            beats = (
                exp.select(self.heartbeat_key.copy().as_(_HB_KEY), exp.Count(this=exp.Star()).as_(_HB_COUNT))
                .from_(table_expression(str(self.mapping.table)))
                .where(self.heartbeat_filter.copy() if self.heartbeat_filter is not None else exp.true())
                .group_by(self.heartbeat_key.copy())
            )
            on = exp.column(_HB_KEY, table=HEARTBEATS, quoted=True).eq(self.heartbeat_key.copy())
            select = select.join(beats.subquery(HEARTBEATS), on=on, join_type="left")
        if self.filter is not None:
            select = select.where(exp.paren(self.filter.copy()))
        if self.mapping.defined:  # an events table holds rows of anonymous or unknown users too
            user = self.columns["user_id"]
            if user is not None:
                select = select.where(user.copy().is_(exp.null()).not_())
        return select


def _where(mapping: SourceMapping) -> str:
    return f"{mapping.origin + ', ' if mapping.origin else ''}table {mapping.table!r}"


def _strict(mapping: SourceMapping, key: str, text: str, available: list[str] | None) -> exp.Expression:
    """A user-written expression: every column it names must exist."""
    bound, missing = bind_columns(parse_expression(text, key), available)
    if missing:
        raise ConfigError(
            f"{key} = {text!r} reads column(s) {', '.join(repr(m) for m in missing)}, not in {_where(mapping)}. "
            f"Columns available: {', '.join(available or []) or '(none)'}.",
            hint=f"Correct {key} in intentseg.toml to use the columns available (unqualified names).",
        )
    return bound


def _first_fit(choices: tuple[str, ...], available: list[str] | None, key: str) -> exp.Expression | None:
    """A preset's first choice whose columns all exist (None when none fits)."""
    for text in choices:
        bound, missing = bind_columns(parse_expression(text, key), available)
        if not missing:
            return bound
    return None


def _column(mapping: SourceMapping, name: str, required: bool, available: list[str] | None) -> exp.Expression | None:
    key = f"sources.{mapping.source}.columns.{name}"
    lower = {a.lower(): a for a in available} if available is not None else None
    if name in mapping.columns:
        value = mapping.columns[name]
        if lower is not None and value.lower() in lower:
            return exp.column(lower[value.lower()], quoted=True)
        if not is_column_name(value):
            return _strict(mapping, key, value, available)
        if lower is None:
            return exp.column(value, quoted=True)
        if required:
            raise MissingColumnError(
                f"{key} = {value!r}: no such column in {_where(mapping)}. Columns found: {', '.join(available or []) or '(none)'}.",
                hint=f"Set {key} to one of the columns found, or to an expression over them ({_EXAMPLE}).",
            )
        return None  # an optional column mapped to a name that is not there: absent, as for a plain table
    if name in mapping.candidates:
        found = _first_fit(mapping.candidates[name], available, key)
        if found is None and required:
            raise MissingColumnError(
                f"{_where(mapping)}: no column for {mapping.source}.{name}; expected one of "
                f"{' / '.join(repr(c) for c in mapping.candidates[name])}. "
                f"Columns found: {', '.join(available or []) or '(none)'}.",
                hint=f"Map it in intentseg.toml: [sources.{mapping.source}.columns] {name} = \"<your column or expression>\".",
            )
        return found
    if lower is None:
        return exp.column(name, quoted=True)
    if name.lower() in lower:
        return exp.column(lower[name.lower()], quoted=True)
    if required:
        raise MissingColumnError(
            f"{_where(mapping)}: required column {name!r} of source {mapping.source!r} not found. "
            f"Columns found: {', '.join(available or []) or '(none)'}.",
            hint=f"Map it in intentseg.toml: [sources.{mapping.source}.columns] {name} = \"<your column or expression>\".",
        )
    return None


def compile_source(mapping: SourceMapping, available: list[str] | None, *, where: str | None = None) -> CompiledSource:
    """Check ``mapping`` against the table's ``available`` columns and compile it (None: assume all exist).

    A plain mapping (renamed columns only) resolves exactly as :meth:`SourceMapping.resolve` does.
    Raises ConfigError for a bad or unknown-column expression or filter, MissingColumnError for a
    required column that is not there; each names the config key and the columns available.
    """
    source = SOURCES[mapping.source]
    if not mapping.defined:
        if available is None:
            names: dict[str, str | None] = {c: mapping.physical(c) for c in source.column_names}
        else:
            names = mapping.resolve(available, where=where or f"table {mapping.table!r}")
        return CompiledSource(mapping, {c: exp.column(n, quoted=True) if n else None for c, n in names.items()})
    columns = {c.name: _column(mapping, c.name, c.required, available) for c in source.columns}
    compiled = CompiledSource(mapping, columns)
    if mapping.filter:
        compiled.filter = _strict(mapping, f"sources.{mapping.source}.filter", mapping.filter, available)
    elif mapping.filter_candidates:
        compiled.filter = _first_fit(mapping.filter_candidates, available, f"sources.{mapping.source}.filter")
        if compiled.filter is None:
            raise MissingColumnError(
                f"{_where(mapping)}: the {mapping.source} filter needs columns that are not there; expected one of "
                f"{' / '.join(repr(f) for f in mapping.filter_candidates)}. Columns found: {', '.join(available or [])}.",
                hint=f"Set [sources.{mapping.source}] filter = \"<condition over your columns>\" in intentseg.toml.",
            )
    hb = mapping.heartbeats
    if hb is not None and "time_spent" in {c.name for c in source.columns} and "time_spent" not in mapping.columns:
        base = f"sources.{mapping.source}.heartbeats"
        if not hb.required:  # a preset's: used when its columns are there, else time_spent is absent
            key, ping = _first_fit((hb.key,), available, f"{base}.key"), _first_fit((hb.filter,), available, f"{base}.filter")
            if key is None or ping is None:
                compiled.columns["time_spent"] = None
                return compiled
        compiled.heartbeat_key = _strict(mapping, f"{base}.key", hb.key, available)
        compiled.heartbeat_filter = _strict(mapping, f"{base}.filter", hb.filter, available)
        beats = exp.func("COALESCE", exp.column(_HB_COUNT, table=HEARTBEATS, quoted=True), exp.Literal.number(0))
        compiled.columns["time_spent"] = exp.Mul(this=beats, expression=exp.Literal.number(float(hb.seconds)))
    return compiled
