"""The package's model SQL: the library's own feature and scoring queries, speaking dbt.

Nothing here writes feature or scoring SQL. The feature query is the one :mod:`intentseg.features`
builds (so columns added there, such as content interests, come along); the scoring query is the one
:mod:`intentseg.model.sql` builds from the model file. This module only swaps, in their sqlglot trees:

* every physical table for ``{{ source(...) }}`` (the scoring query's feature table for ``{{ ref(...) }}``);
* the feature options for ``{{ var(...) }}``: the tree is built with unmistakable sentinel values, each
  sentinel node is replaced, and a sentinel left over is an error (the option's SQL changed shape).

Library SQL may hold ``{{``, ``{%`` or ``{#`` in a user's regex or literal; such text is wrapped in
``{% raw %}`` so Jinja leaves it alone, and only the swapped-in pieces are Jinja.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from sqlglot import exp

from ..features.build import FeatureOptions
from ..warehouse.dialects import render

#: dbt variables of the feature options (name -> what it sets), with the library's option names.
VARS = {
    "intentseg_session_gap_minutes": "session_gap_minutes",
    "intentseg_duration_cap_s": "duration_cap_s",
    "intentseg_since": "since",
    "intentseg_until": "until",
    "intentseg_reference_time": "reference_time",
}

# Sentinel option values: numbers and times no real setting uses (a 1901 window, a 637-day gap).
_GAP = 918_271
_CAP = 918_273.5
_SINCE, _UNTIL, _REFERENCE = (pd.Timestamp(f"1901-02-03 04:05:0{i}") for i in (1, 2, 3))
_LEFTOVER = re.compile(r"918271|918273\.5|1901-02-03")
# A token that stands for a piece of Jinja while the tree is rendered (never in SQL sqlglot writes).
_TOKEN = "\x00jinja{}\x00"
_TOKEN_RE = re.compile("\x00jinja(\\d+)\x00")
_JINJA_START = re.compile(r"\{[{%#]")


def sentinel_options(query_intents_table: str) -> FeatureOptions:
    """Feature options whose every value is a sentinel :func:`to_dbt` replaces with its dbt variable."""
    return FeatureOptions(
        session_gap_minutes=_GAP, duration_cap_s=_CAP, since=_SINCE, until=_UNTIL, reference_time=_REFERENCE,
        query_intents_table=query_intents_table,
    )


@dataclass
class _Jinja:
    """The Jinja pieces swapped into one tree, each behind a token."""

    pieces: list[str]

    def node(self, jinja: str) -> exp.Var:
        self.pieces.append(jinja)
        return exp.Var(this=_TOKEN.format(len(self.pieces) - 1))

    def text(self, sql: str) -> str:
        """``sql`` with the tokens replaced by their Jinja, every other ``{{``/``{%``/``{#`` kept raw."""
        parts = _TOKEN_RE.split(sql)
        return "".join(self.pieces[int(p)] if i % 2 else _raw(p) for i, p in enumerate(parts))


def _raw(sql: str) -> str:
    """``sql`` as Jinja text: wrapped in ``{% raw %}`` when it holds ``{{``, ``{%`` or ``{#``."""
    return "{% raw %}" + sql + "{% endraw %}" if _JINJA_START.search(sql) else sql


def _is_time(node: exp.Expression, ts: pd.Timestamp) -> bool:
    return (isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal)
            and node.this.this == ts.strftime("%Y-%m-%d %H:%M:%S"))


def _option_swapper(jinja: _Jinja, dialect: str) -> Callable[[exp.Expression], exp.Expression]:
    """The transform that puts ``{{ var(...) }}`` where the sentinel options are."""

    def window(node: exp.Expression, name: str) -> exp.Expression:
        # unset (null or empty): the condition is TRUE, as when the library's option is None
        bound = node.copy()
        bound.set("expression", exp.Var(this="\x01"))
        left, _, right = render(bound, dialect).partition("\x01")
        text = f'{_raw(left)}{{{{ intentseg_timestamp(var("{name}")) }}}}{_raw(right)}'
        return jinja.node(f'{{% if var("{name}") %}}{text}{{% else %}}TRUE{{% endif %}}')

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Literal) and node.is_number and node.this == repr(_CAP):
            return jinja.node('{{ var("intentseg_duration_cap_s") }}')
        if isinstance(node, exp.Interval) and isinstance(node.this, exp.Literal) and node.this.this == str(_GAP):
            minutes = jinja.node('{{ var("intentseg_session_gap_minutes") }}')
            return exp.paren(exp.Mul(this=minutes, expression=exp.Interval(this=exp.Literal.string("1"), unit=exp.var("MINUTE"))))
        if isinstance(node, exp.GTE) and _is_time(node.expression, _SINCE):
            return window(node, "intentseg_since")
        if isinstance(node, exp.LT) and _is_time(node.expression, _UNTIL):
            return window(node, "intentseg_until")
        if _is_time(node, _REFERENCE):
            return jinja.node('{{ intentseg_timestamp(var("intentseg_reference_time")) }}')
        return node

    return swap


def _table_swapper(jinja: _Jinja, tree: exp.Expression, tables: dict[str, str]) -> Callable[[exp.Expression], exp.Expression]:
    """The transform that puts ``tables[name]`` (a source() or ref() call) for each physical table."""
    ctes = {cte.alias for cte in tree.find_all(exp.CTE)}

    def swap(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Table) or (not node.args.get("db") and node.name in ctes):
            return node
        name = physical_name(node)
        if name not in tables:
            raise KeyError(f"the SQL reads table {name!r}, which the package declares no source for")
        new = exp.Table(this=jinja.node(tables[name]))
        if node.args.get("alias") is not None:
            new.set("alias", node.args["alias"].copy())
        return new

    return swap


def physical_name(table: exp.Table) -> str:
    """``schema.table`` (or ``table``) as the settings spell it."""
    return ".".join(p for p in (table.catalog, table.db, table.name) if p)


def physical_tables(tree: exp.Expression) -> list[str]:
    """The tables (not CTEs) a query reads, in order of appearance."""
    ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
    return list(dict.fromkeys(
        physical_name(t) for t in tree.find_all(exp.Table) if t.args.get("db") or t.name not in ctes
    ))


def to_dbt(tree: exp.Expression, dialect: str, tables: dict[str, str]) -> str:
    """``tree`` as the SQL of a dbt model: ``tables`` (physical name -> Jinja) and the option variables swapped in.

    Raises RuntimeError when a sentinel option value survives (the feature SQL changed in a way this
    module does not know: a bug to fix here, never a package that silently ignores a variable).
    """
    jinja = _Jinja([])
    swapped = tree.copy().transform(_option_swapper(jinja, dialect))
    swapped = swapped.transform(_table_swapper(jinja, swapped, tables))
    sql = render(swapped, dialect, pretty=True)
    leftover = _LEFTOVER.search(_TOKEN_RE.sub("", sql))
    if leftover:
        raise RuntimeError(f"intentseg dbt: an option value was not turned into a dbt variable ({leftover.group()!r}).")
    return jinja.text(sql)
