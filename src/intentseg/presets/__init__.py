"""Sources from event tables sites already have: Segment, RudderStack, Snowplow, GA4 (docs/presets.md).

A preset is a set of source definitions (table, filter, column expressions) chosen by name with
``--preset NAME`` or ``preset = "NAME"`` in intentseg.toml. Whatever ``[sources.NAME]`` says in the
config is laid over the preset's definition, key by key, so a site can rename a table or compute one
column differently and keep the rest. :mod:`.compile` turns a definition into the SQL the features read.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from ..schema import Heartbeats, SourceMapping
from .catalog import PRESETS, Preset, like
from .compile import CompiledSource, compile_source, is_column_name, parse_expression

__all__ = ["PRESETS", "Preset", "CompiledSource", "compile_source", "get_preset", "is_column_name", "rows_sql", "summary_sql",
           "parse_expression", "preset_mapping"]


def get_preset(name: str) -> Preset:
    """The preset called ``name`` (case-insensitive), or ConfigError listing the presets."""
    try:
        return PRESETS[str(name).strip().lower()]
    except KeyError:
        raise ConfigError(
            f"Unknown preset {name!r}.", hint=f"Use --preset (or preset = \"...\") with one of: {', '.join(PRESETS)}."
        ) from None


def _qualified(table: str, schema: str | None) -> str:
    return f"{schema}.{table}" if schema and "." not in table else table


def preset_mapping(name: str, source: str, options: Any, override: Any | None = None) -> SourceMapping:
    """The mapping of ``source`` under preset ``name``, with the ``[sources.<source>]`` settings laid over it.

    ``options`` is the ``[preset_options]`` section (user_id, table_schema, events_table,
    heartbeat_seconds, article_path_like); ``override`` the source's own settings, or None.
    """
    preset = get_preset(name)
    template = preset.sources.get(source)
    columns = dict(override.columns) if override is not None else {}
    user_filter = override.filter if override is not None else None
    # the example config's `table = "<source>"` is the default, not a choice of table
    user_table = override.table if override is not None and override.table != source else None
    enabled = override.enabled if override is not None else True
    if template is None:
        return SourceMapping(source, user_table, columns, filter=user_filter, enabled=False, origin=f"preset {preset.name!r}")
    pattern = options.article_path_like
    if template.articles and not pattern and not (user_table or user_filter):
        enabled = False  # article reads only where the site says which pages are articles
    table = user_table or _qualified(template.table.replace("{events}", options.events_table or preset.events_table),
                                     options.table_schema)
    filters = template.filters
    if template.articles and pattern:
        paths = [like(column, pattern) for column in preset.article_path]
        filters = tuple(f"({f}) AND {p}" for f in filters for p in paths) if filters else tuple(paths)
    heartbeats = None
    if override is not None and override.heartbeats is not None:
        hb = override.heartbeats
        heartbeats = Heartbeats(hb.filter, hb.key, hb.seconds)
    elif template.heartbeats is not None:
        heartbeats = Heartbeats(*template.heartbeats, seconds=options.heartbeat_seconds, required=False)
    candidates = {**template.columns, "user_id": (preset.user_ids[options.user_id],)}
    return SourceMapping(
        source, table, columns, filter=user_filter, heartbeats=heartbeats, enabled=enabled,
        candidates=candidates, filter_candidates=filters, origin=f"preset {preset.name!r}",
    )


def rows_sql(warehouse: Any, mapping: SourceMapping, columns: list[str]) -> str:
    """SQL of a defined source's rows with the canonical ``columns``, read through its definition
    (filter, expressions, heartbeats) like the features read it; for a subquery ``FROM (...) s``."""
    from sqlglot import exp

    from ..warehouse.dialects import render

    compiled = compile_source(mapping, warehouse.columns(mapping.table), where=f"table {mapping.table!r}")
    select = exp.select()
    for name in columns:
        value = compiled.columns[name]
        select = select.select((value.copy() if value is not None else exp.null()).as_(name))
    return render(compiled.from_(select), warehouse.dialect)


def summary_sql(warehouse: Any, mapping: SourceMapping) -> str:
    """SQL of a defined source's rows, distinct users and first/last event (``intentseg sources``)."""
    rows = rows_sql(warehouse, mapping, ["user_id", "timestamp"])
    user, ts = warehouse.quote("user_id"), warehouse.quote("timestamp")
    return (f"SELECT COUNT(*) AS n, COUNT(DISTINCT {user}) AS users, MIN({ts}) AS first, MAX({ts}) AS last "
            f"FROM ({rows}) source_rows")
