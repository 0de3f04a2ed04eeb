"""Which user id type each source's table gets: whole numbers (BIGINT) or text. docs/adr/0007-text-user-ids.md.

``user_id_type = "auto"`` (the default) decides per source, in this order:
1. the source's table exists: its user_id column's type (a warehouse of the original schema keeps BIGINT);
2. another source's table exists: that table's type, so the sources join on user ids of one type;
3. nothing exists yet: whole numbers only if every user id read (the first 10,000 rows of every file of
   the ingest) is one; any other id (a UUID, a cookie, ``u7``) makes the ids text. A column typed as numbers
   (Parquet) stays whole numbers: ``2.5`` there is a bad id, not a text one.
Access logs always give text ids (a hash). ``"int"`` and ``"string"`` force a type, as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import sqlglot

from ..config import Settings
from ..errors import InputError
from ..schema import SOURCES
from ..warehouse import Warehouse
from .plan import PlannedFile
from .validate import Checked

_INTEGER = re.compile(r"^(u?(tiny|small|medium|big|huge)?int(eger)?\d*|int\d+|long|short|byte)\b", re.IGNORECASE)


def table_id_type(wh: Warehouse, table: str, column: str) -> str | None:
    """"int" or "string" for ``table.column`` as the warehouse declares it; None if it cannot tell."""
    schema = sqlglot.parse_one("CURRENT_SCHEMA()", read="postgres").sql(dialect=wh.dialect)
    rows = wh.query(
        "SELECT column_name AS name, data_type AS type FROM information_schema.columns "
        f"WHERE table_schema = {schema} AND table_name = :t",
        {"t": table},
    )
    for name, declared in zip(rows["name"], rows["type"]):
        if str(name).lower() == column.lower():
            return "int" if _INTEGER.match(str(declared).strip()) else "string"
    return None


def existing_id_types(wh: Warehouse, settings: Settings) -> dict[str, str]:
    """Source -> "int" / "string" for each source table the warehouse already holds."""
    found: dict[str, str] = {}
    for name in SOURCES:
        mapping = settings.mapping(name)
        if mapping.defined or not mapping.table or not wh.table_exists(mapping.table):
            continue
        kind = table_id_type(wh, mapping.table, mapping.physical("user_id"))
        if kind is not None:
            found[name] = kind
    return found


def resolve_id_types(
    wh: Warehouse,
    settings: Settings,
    planned: Sequence[PlannedFile],
    setting: str,
    head: Callable[[PlannedFile], Checked | None],
) -> dict[str, str]:
    """Source -> "int" / "string" for every planned source. ``head`` validates a file's first rows as int ids
    (None for a file whose id column is typed as numbers, e.g. Parquet: those ids are whole numbers or bad)."""
    sources = list(dict.fromkeys(f.source for f in planned))
    logs = [f for f in planned if f.format not in ("csv", "parquet", "jsonl")]
    if setting != "auto":
        if setting == "int" and logs:
            raise InputError(
                f"{logs[0].path}: access log visitors have text ids (a hash), but user_id_type is \"int\".",
                hint='Set user_id_type = "auto" (or "string") under [ingest] in intentseg.toml.',
            )
        return dict.fromkeys(sources, setting)
    existing = existing_id_types(wh, settings)
    sibling = next(iter(existing.values()), None)
    if sibling is None:  # nothing yet: whole numbers only if every id read is one
        text = bool(logs) or any((c := head(f)) is not None and c.non_integer_ids > 0 for f in planned)
        sibling = "string" if text else "int"
    types = {s: existing.get(s, sibling) for s in sources}
    for f in planned:
        if types[f.source] != "int":
            continue
        table = settings.mapping(f.source).table
        how = (f"ALTER TABLE {table} (and the other source tables) to hold text user ids "
               f"(VARCHAR(128)), or load into a new warehouse")
        if f in logs:
            raise InputError(
                f"{f.path}: access log visitors have text ids (a hash), but table {table} holds whole-number user ids.",
                hint=f"{how[0].upper()}{how[1:]}.",
            )
        checked = head(f)
        if checked is not None and checked.ids_seen and checked.non_integer_ids * 2 > checked.ids_seen:
            from .validate import check_id_type

            check_id_type(checked, f"{f.path} (table {table} holds whole-number user ids)",
                          hint=f"{how[0].upper()}{how[1:]}; or fix the ids of the file.")
    return types
