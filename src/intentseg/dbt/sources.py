"""The package's dbt sources: every table the feature SQL reads, under the names the settings give.

A plain install reads ``clickstream``, ``search_queries`` and ``article_views`` (source ``intentseg``); a
column mapping or a preset changes the tables (``identifier``) and the columns the sources list. Tables of
the target's schema (or ``var('intentseg_schema')``) form source ``intentseg``; a table with its own schema
(a preset's ``atomic.events``) forms source ``intentseg_<schema>``. The ``query_intents`` table intentseg
keeps is a source too: the intent classifier is Python (docs/dbt.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from ..presets.compile import referenced_columns
from ..schema import SOURCES
from . import docs

if TYPE_CHECKING:
    from ..config import Settings
    from ..features.build import SourcePlan

GROUP = "intentseg"
_CANONICAL_DOCS = {"user_id": "The user.", "timestamp": "When the event happened (UTC)."}


@dataclass
class SourceTable:
    """One table of sources.yml: ``source(group, name)`` reads ``schema.identifier``."""

    group: str
    name: str
    identifier: str
    schema: str | None
    description: str
    columns: dict[str, str] = field(default_factory=dict)
    tests: dict[str, list[str]] = field(default_factory=dict)

    @property
    def jinja(self) -> str:
        return f"{{{{ source('{self.group}', '{self.name}') }}}}"


def _add(columns: dict[str, str], name: str, doc: str) -> None:
    columns[name] = f"{columns[name]} {doc}" if name in columns and doc not in columns[name] else doc


def _source_columns(plan: SourcePlan) -> dict[str, str]:
    """The table's columns a source reads, each described by what it is read for."""
    compiled, columns = plan.compiled, dict[str, str]()
    assert compiled is not None
    for col in SOURCES[plan.mapping.source].columns:
        value = compiled.columns.get(col.name)
        doc = (col.doc[:1].upper() + col.doc[1:] + ".") if col.doc else _CANONICAL_DOCS.get(col.name, col.name)
        if isinstance(value, exp.Column) and not value.table:
            _add(columns, value.name, f"{plan.mapping.source}.{col.name}: {doc}")
        elif value is not None:
            for name in referenced_columns(value):
                _add(columns, name, f"Read for {plan.mapping.source}.{col.name} through `{value.sql('duckdb')}`.")
    for what, expr in (("filter", compiled.filter), ("heartbeat key", compiled.heartbeat_key),
                       ("heartbeat filter", compiled.heartbeat_filter)):
        if expr is not None:
            for name in referenced_columns(expr):
                _add(columns, name, f"Read by the {plan.mapping.source} {what} `{expr.sql('duckdb')}`.")
    return columns


def _describe(physical: str, users: list[SourcePlan], settings: Settings) -> tuple[str, str, dict[str, str], dict]:
    """(dbt name, description, columns, tests) of one physical table."""
    ident = physical.rsplit(".", 1)[-1]
    if users:
        name = users[0].mapping.source if len(users) == 1 else ident
        kinds = ", ".join(f"{p.mapping.source} ({docs.SOURCE_DOCS[p.mapping.source].rstrip('.').lower()})" for p in users)
        origin = users[0].mapping.origin
        columns: dict[str, str] = {}
        for plan in users:
            for col, doc in _source_columns(plan).items():
                _add(columns, col, doc)
        return name, f"Events read as {kinds}{f', {origin}' if origin else ''}.", columns, {}
    if physical == settings.output.query_intents:
        return "query_intents", docs.QUERY_INTENTS_DOC, dict(docs.QUERY_INTENTS_COLUMNS), {"query": ["unique", "not_null"]}
    interests = settings.interests
    if physical == interests.article_table:
        cols = {interests.article_id_column: "The article (article_views.article_id).",
                interests.category_column: "One of the article's categories (content interests)."}
        return ident, "Article metadata for content interests: one row per (article, category).", cols, {}
    return ident, "A table the intentseg feature SQL reads.", {}, {}


def plan_source_tables(physical: list[str], plans: dict[str, SourcePlan], settings: Settings) -> dict[str, SourceTable]:
    """physical table name -> its source table, for every table in ``physical`` (what the feature SQL reads)."""
    users: dict[str, list[SourcePlan]] = {}
    for plan in plans.values():
        if plan.present:
            users.setdefault(str(plan.mapping.table), []).append(plan)
    out: dict[str, SourceTable] = {}
    taken: set[tuple[str, str]] = set()
    for table in physical:
        *schema, ident = table.split(".")
        group = GROUP if not schema else f"{GROUP}_{re.sub(r'[^a-z0-9_]+', '_', schema[-1].lower())}"
        name, description, columns, tests = _describe(table, users.get(table, []), settings)
        base, n = name, 2
        while (group, name) in taken:
            name, n = f"{base}_{n}", n + 1
        taken.add((group, name))
        out[table] = SourceTable(group, name, ident, schema[-1] if schema else None, description, columns, tests)
    return out


def _column_entry(name: str, description: str, tests: list[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "description": description}
    if tests:
        entry["data_tests"] = list(tests)
    return entry


def sources_yml(tables: dict[str, SourceTable]) -> dict[str, Any]:
    """The content of models/sources.yml."""
    groups: dict[str, list[SourceTable]] = {}
    for table in tables.values():
        groups.setdefault(table.group, []).append(table)
    sources = []
    for group, members in groups.items():
        schema = members[0].schema
        sources.append({
            "name": group,
            "description": ("The events and the query intents intentseg reads, in the target's schema unless "
                            "var intentseg_schema names another." if schema is None else
                            f"Tables of schema {schema!r}, as the intentseg settings name them."),
            "database": "{{ var('intentseg_database', none) or target.database }}",
            "schema": "{{ var('intentseg_schema', none) or target.schema }}" if schema is None else schema,
            "tables": [
                {"name": t.name, "identifier": t.identifier, "description": t.description,
                 "columns": [_column_entry(c, d, t.tests.get(c, [])) for c, d in t.columns.items()]}
                for t in members
            ],
        })
    return {"version": 2, "sources": sources}
