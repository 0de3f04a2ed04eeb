"""The three sources, their columns, and the mapping from a warehouse's own names.

The canonical schema is the original warehouse's (PRODUCT.md). A site whose tables or columns have
other names maps them in configuration; optional columns may be absent and a whole source may be
absent or empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import ConfigError, InputError, MissingColumnError


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "id" | "timestamp" | "text" | "seconds"
    required: bool = True
    doc: str = ""


@dataclass(frozen=True)
class Source:
    name: str
    columns: tuple[Column, ...]
    doc: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


CLICKSTREAM = Source(
    "clickstream",
    (
        Column("user_id", "id", doc="who clicked"),
        Column("timestamp", "timestamp", doc="when (stored as UTC)"),
        Column("url", "text", doc="the page clicked"),
        Column("referrer", "text", required=False, doc="where the visit came from (NULL = direct)"),
        Column("device", "text", required=False, doc="desktop / mobile / tablet / other"),
        Column("time_spent", "seconds", required=False, doc="dwell time on the page, seconds"),
    ),
    doc="one row per page click",
)
SEARCH_QUERIES = Source(
    "search_queries",
    (
        Column("user_id", "id"),
        Column("timestamp", "timestamp"),
        Column("query", "text", doc="the text typed into site search"),
    ),
    doc="one row per site search",
)
ARTICLE_VIEWS = Source(
    "article_views",
    (
        Column("user_id", "id"),
        Column("timestamp", "timestamp"),
        Column("article_id", "text", doc="the article read"),
        Column("time_spent", "seconds", required=False, doc="reading time, seconds"),
    ),
    doc="one row per article read",
)

SOURCES: dict[str, Source] = {s.name: s for s in (CLICKSTREAM, SEARCH_QUERIES, ARTICLE_VIEWS)}

#: The longest text user id, in characters, on every engine and in every table that holds user ids
#: (the sources and the output tables): ingest quarantines longer ids as ``user_id_too_long``, so a user
#: that is loaded can always be written back. Whole-number ids are BIGINT (up to 2**63 - 1).
USER_ID_MAX_CHARS = 128
#: The longest event text value (url, referrer, device, query, article_id), in characters, on every
#: engine; ingest quarantines longer values as ``text_too_long`` (MariaDB stores them as MEDIUMTEXT).
TEXT_MAX_CHARS = 65_535


def get_source(name: str) -> Source:
    try:
        return SOURCES[name]
    except KeyError:
        raise ConfigError(
            f"Unknown source {name!r}.", hint=f"Use one of: {', '.join(SOURCES)}."
        ) from None


@dataclass(frozen=True)
class Heartbeats:
    """Dwell time from heartbeat events (Snowplow's ``page_ping``): pings per key x ``seconds``.

    ``filter`` picks the heartbeat rows of the same table, ``key`` (a column or expression) ties a
    heartbeat to its page view (``page_view_id``); ``time_spent`` = number of heartbeats x ``seconds``.
    """

    filter: str
    key: str
    seconds: float
    required: bool = True  # False for a preset's: without the key column, time_spent is absent


@dataclass
class SourceMapping:
    """Where one source lives and what its columns are called there.

    ``columns`` maps canonical name -> the warehouse's (or file's) name, e.g. ``{"user_id": "visitor_id"}``,
    or -> an expression over the table's columns in DuckDB's dialect (``engagement_time_msec / 1000``).
    A source read from a shared events table also has a ``filter`` (a condition in DuckDB's dialect),
    and may take ``time_spent`` from ``heartbeats``. ``candidates`` are a preset's choices per column,
    tried in order (the first whose columns all exist is used; none: an optional column is absent).
    ``origin`` says where the definition came from, for messages (``preset 'snowplow'``).
    See :mod:`intentseg.presets` and docs/presets.md.
    """

    source: str
    table: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    filter: str | None = None
    heartbeats: Heartbeats | None = None
    enabled: bool = True
    candidates: dict[str, tuple[str, ...]] = field(default_factory=dict)
    filter_candidates: tuple[str, ...] = ()
    origin: str = ""

    @property
    def defined(self) -> bool:
        """Whether this source is more than a renamed table (a filter, expressions, heartbeats, a preset)."""
        return bool(self.filter or self.filter_candidates or self.heartbeats or self.candidates or self.origin) or any(
            not is_column_name(v) for v in self.columns.values()
        )

    def __post_init__(self) -> None:
        src = get_source(self.source)
        self.table = self.table or src.name
        unknown = sorted((set(self.columns) | set(self.candidates)) - set(src.column_names))
        if unknown:
            raise ConfigError(
                f"sources.{self.source}.columns has unknown canonical column(s) {unknown}.",
                hint=f"Map only {src.column_names} (canonical name = name in your data).",
            )

    def physical(self, canonical: str) -> str:
        return self.columns.get(canonical, canonical)

    def resolve(self, available: list[str], *, where: str) -> dict[str, str | None]:
        """Match canonical columns to ``available`` physical names (case-insensitively).

        Returns canonical -> physical name, with ``None`` for an absent optional column. A missing
        required column raises :class:`MissingColumnError` naming the column, what was found, and the
        mapping option that fixes it.
        """
        src = get_source(self.source)
        lower = {a.lower(): a for a in available}
        out: dict[str, str | None] = {}
        for col in src.columns:
            want = self.physical(col.name)
            found = lower.get(want.lower())
            same = [a for a in available if a.lower() == want.lower()]
            if len(same) > 1:  # which one holds the values? (pyarrow would fail with a KeyError)
                raise InputError(
                    f"{where}: column {want!r} of source {self.source!r} appears {len(same)} times "
                    f"({', '.join(repr(a) for a in same)}).",
                    hint="Rename or remove the duplicate column in the file's header, then ingest it again.",
                )
            if found is None and col.required:
                raise MissingColumnError(
                    f"{where}: required column {want!r} of source {self.source!r} not found. "
                    f"Columns found: {', '.join(available) or '(none)'}.",
                    hint=(
                        f"If it has another name, map it: --map {col.name}=<your column> on the command "
                        f"line, or [sources.{self.source}.columns] {col.name} = \"<your column>\" in intentseg.toml."
                    ),
                )
            out[col.name] = found
        return out


def is_column_name(value: str) -> bool:
    """Whether ``value`` reads as a column name (``visitor_id``, ``visitor id``, ``u.r.l``), not an expression.

    Text that does not parse counts as an (invalid) expression, to be reported; a column whose odd name
    does not parse is still found, since a table's own column names are matched before parsing.
    """
    import sqlglot  # only configs with mapped columns need the parser
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        parsed = sqlglot.parse(value, read="duckdb")
    except SqlglotError:
        return False
    if len(parsed) != 1 or parsed[0] is None:
        return len(parsed) < 2  # empty: a (missing) name; several statements: a bad expression
    node = parsed[0]
    if isinstance(node, exp.Alias):  # "visitor id" parses as `visitor AS id`: a name with a space
        node = node.this
    return isinstance(node, (exp.Column, exp.Identifier))
