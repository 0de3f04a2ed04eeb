"""The one interface every warehouse adapter implements.

Callers speak to a :class:`Warehouse`; engine differences (quoting, types, bulk loading, how a table is
swapped atomically) live in the adapters, as class-level data where possible.
"""

from __future__ import annotations

import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, quote, unquote, unquote_plus

import pandas as pd
import pyarrow as pa
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import TokenError
from sqlglot.tokens import TokenType

from ..errors import InputError, WarehouseQueryError

Tracer = Callable[[str, dict[str, Any] | None], None]

# Logical column types used by write_table; adapters map them to their own DDL.
LOGICAL_TYPES = ("bigint", "double", "text", "key", "timestamp", "bool", "json", "id", "long_text")
#: Logical types an adapter may leave out of its ``type_map``, and the type used instead: "id" is a text
#: user id (compared exactly, ``schema.USER_ID_MAX_CHARS`` long), "long_text" an event's text value
#: (``schema.TEXT_MAX_CHARS`` long).
TYPE_FALLBACK = {"id": "key", "long_text": "text"}


#: Query parameters whose values are secrets (``?password=…`` is accepted by both SQL drivers).
SECRET_PARAMS = frozenset({"password", "passwd", "pwd", "pass", "secret", "token", "access_token",
                           "api_key", "apikey", "sslpassword"})


@dataclass(frozen=True)
class UrlParts:
    """A warehouse URL split the way people write them: ``scheme://user:password@host:port/path?query``.

    The credentials end at the *last* ``@`` before the query, so an unencoded ``@`` (or ``/``) in a
    password stays in the password; ``password`` is None when the URL has no ``:password`` part.
    """

    scheme: str
    username: str | None
    password: str | None
    host: str
    path: str
    query: str

    @property
    def params(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query, keep_blank_values=True)


def split_url(url: str) -> UrlParts | None:
    """``url`` in parts, or None when it has no ``scheme://``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return None
    userinfo = None
    if not rest.startswith("/"):  # duckdb:///path has no credentials
        at = rest.split("?", 1)[0].rfind("@")
        if at < 0:  # a "?" inside the password: the first "@" before any "/"
            at = rest.find("@")
            if "/" in rest[: max(at, 0)]:
                at = -1
        if at >= 0:
            userinfo, rest = rest[:at], rest[at + 1:]
    before, _, query = rest.partition("?")
    host, slash, path = before.partition("/")
    username = password = None
    if userinfo is not None:
        username, colon, pw = userinfo.partition(":")
        password = pw if colon else None
    return UrlParts(scheme, username, password, host, slash + path, query)


def _redact_query(query: str) -> str:
    items = []
    for item in query.split("&"):
        key, eq, value = item.partition("=")
        if unquote_plus(key).strip().lower() in SECRET_PARAMS:
            value = "***"
        elif "://" in unquote(value):  # a nested URL (spark://…?jdbc=mysql+pymysql://user:pw@…)
            value = quote(redact_url(unquote(value)), safe="/:@+*[]=,;~")
        items.append(key + eq + value)
    return "&".join(items)


def redact_url(url: str) -> str:
    """The URL with every password replaced by ``***`` (credentials are never printed).

    Covers ``user:password@``, ``:password@`` (no user), an unencoded ``@`` in the password,
    ``?password=…`` (and other secret query parameters) and URLs nested in query parameters.
    """
    parts = split_url(url)
    if parts is None:
        return url
    userinfo = ""
    if parts.username is not None:
        userinfo = parts.username + (":***" if parts.password is not None else "") + "@"
    query = "?" + _redact_query(parts.query) if parts.query else ""
    return f"{parts.scheme}://{userinfo}{parts.host}{parts.path}{query}"


def url_secrets(url: str) -> list[str]:
    """Every secret in a URL (passwords, secret query values, also of nested URLs), as written and decoded."""
    parts = split_url(url)
    if parts is None:
        return []
    found = [parts.password] if parts.password else []
    for key, value in parts.params:
        if key.strip().lower() in SECRET_PARAMS and value:
            found.append(value)
        elif "://" in value:
            found.extend(url_secrets(value))
    found += [unquote(s) for s in found] + [quote(s, safe="") for s in found]
    return sorted({s for s in found if s}, key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    """``text`` (a driver's error message, say) with the URL's secrets replaced by ``***``."""
    for secret in url_secrets(url):
        text = text.replace(secret, "***")
    return text


_PARAM_NAME = re.compile(r"[A-Za-z_]\w*")


def bind_parameters(
    sql: str, params: dict[str, Any] | None, *, dialect: Dialect, style: str
) -> tuple[str, dict[str, Any]]:
    """``sql`` with its ``:name`` placeholders written in a driver's paramstyle, and the values they use.

    Placeholders are found by sqlglot's tokenizer for ``dialect``, so ``:name`` inside a string literal,
    a quoted identifier or a comment stays text (no regular expression over SQL). ``style`` is
    ``"dollar"`` (``$name``, DuckDB) or ``"pyformat"`` (``%(name)s``; every other ``%`` is doubled, since
    PyMySQL and psycopg format the whole text). Raises ValueError for a placeholder without a value.
    """
    params = params or {}
    pieces: list[str] = []
    used: dict[str, Any] = {}
    pos = 0
    if ":" in sql:
        try:
            tokens = dialect.tokenize(sql)
        except TokenError as exc:
            raise WarehouseQueryError(
                f"Cannot read the SQL to bind its parameters: {exc}",
                hint="Run with --debug to see the SQL; this is a bug in intentseg if the SQL is its own.",
            ) from exc
        for colon, word in zip(tokens, tokens[1:]):
            if colon.token_type != TokenType.COLON or word.start != colon.end + 1:
                continue
            name = sql[word.start : word.end + 1]
            if not _PARAM_NAME.fullmatch(name):
                continue
            if name not in params:
                raise ValueError(f"No value given for the SQL parameter :{name}.")
            used[name] = params[name]
            text = sql[pos : colon.start]
            pieces.append(text.replace("%", "%%") if style == "pyformat" else text)
            pieces.append(f"%({name})s" if style == "pyformat" else f"${name}")
            pos = word.end + 1
    rest = sql[pos:]
    pieces.append(rest.replace("%", "%%") if style == "pyformat" else rest)
    return "".join(pieces), used


def logical_type(dtype: Any) -> str:
    """The logical type of a pandas or Arrow dtype."""
    if isinstance(dtype, pa.DataType):
        if pa.types.is_integer(dtype):
            return "bigint"
        if pa.types.is_floating(dtype) or pa.types.is_decimal(dtype):
            return "double"
        if pa.types.is_boolean(dtype):
            return "bool"
        if pa.types.is_timestamp(dtype) or pa.types.is_date(dtype):
            return "timestamp"
        return "text"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(dtype):
        return "double"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "timestamp"
    return "text"


def event_files(path: "str | Path") -> dict[str, list[Path]]:
    """The Parquet files of each source in an events folder: ``<source>*.parquet`` and the files under
    ``<source>*/`` sub-folders. Raises InputError when the folder or every source is missing."""
    from ..errors import InputError
    from ..schema import SOURCES

    folder = Path(path)
    if not folder.is_dir():
        raise InputError(f"Events folder {folder} not found.", hint="Pass --events a folder of Parquet files.")
    found: dict[str, list[Path]] = {}
    for source in SOURCES:
        files = [f for f in folder.glob(f"{source}*.parquet") if f.is_file()]
        for sub in folder.glob(f"{source}*"):
            if sub.is_dir():
                files.extend(sub.rglob("*.parquet"))
        if files:
            found[source] = sorted(f.resolve() for f in files)
    if not found:
        raise InputError(
            f"No Parquet files named {', '.join(f'{n}*' for n in SOURCES)} in {folder}.",
            hint="Write them with `intentseg generate --format parquet`, or name your files after the sources.",
        )
    return found


class Warehouse(ABC):
    """A place where events live and results are written, addressed by a URL.

    Parameters in SQL are named ``:name`` and always bound, never formatted into the text: values
    (names, paths, labels) travel as parameters, identifiers go through :meth:`quote`.
    """

    #: dialect name of the engine ("duckdb", "mysql", "postgres", "spark"), a key of ``dialects.DIALECTS``.
    dialect: ClassVar[str]
    #: the sqlglot dialect that writes and reads the engine's SQL (from the one registry, ``dialects``).
    sqlglot_dialect: ClassVar[Dialect]
    #: how the driver wants bound parameters ("dollar": ``$name``; "pyformat": ``%(name)s``).
    paramstyle: ClassVar[str] = "pyformat"
    #: engine name for people and for ``segment_runs.engine``.
    engine: ClassVar[str]
    #: identifier quote character.
    quote_char: ClassVar[str] = '"'
    #: logical type -> DDL type.
    type_map: ClassVar[dict[str, str]]
    #: whether DDL (CREATE/DROP/RENAME) can be rolled back inside a transaction.
    transactional_ddl: ClassVar[bool] = True
    #: whether an ``IN (subquery)`` inside a correlated subquery or a single-table DELETE runs as a semi-join;
    #: False: once per outer row (MariaDB 10), so such a condition is left out or written as a join instead.
    semi_join_in_subqueries: ClassVar[bool] = True
    #: whether secondary indexes help joins (DuckDB hash-joins without them, and cannot rename an
    #: indexed table, so it skips them).
    uses_indexes: ClassVar[bool] = True
    #: whether the engine can fit K-Means where the data lives: it gives :meth:`spark_frame`, and the
    #: pipeline fits with :mod:`intentseg.model.mllib` above ``segment.in_warehouse_above`` users; the
    #: others fit scikit-learn on the sample the pipeline collects.
    fits_in_engine: ClassVar[bool] = False

    def __init__(self, url: str, tracer: Tracer | None = None) -> None:
        self.url = url
        self.tracer = tracer

    # -- identity --------------------------------------------------------------------------------
    @property
    def display_url(self) -> str:
        return redact_url(self.url)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.display_url}>"

    def quote(self, identifier: str) -> str:
        """Quote ONE identifier: a column ``u.r.l`` stays one name (dots, quotes, ``:`` are kept)."""
        q = self.quote_char
        return q + identifier.replace(q, q + q) + q

    def quote_table(self, name: str) -> str:
        """Quote a table name that may be qualified: ``schema.table`` is quoted part by part."""
        return ".".join(self.quote(part) for part in name.split("."))

    def _bind(self, sql: str, params: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
        """``sql`` and ``params`` as this engine's driver takes them (see :func:`bind_parameters`)."""
        return bind_parameters(sql, params, dialect=self.sqlglot_dialect, style=self.paramstyle)

    def _trace(self, sql: str, params: dict[str, Any] | None) -> None:
        if self.tracer is not None:
            self.tracer(sql, params)

    # -- the interface ---------------------------------------------------------------------------
    @abstractmethod
    def query(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Run a query and return its rows as a DataFrame."""

    def query_arrow(self, sql: str, params: dict[str, Any] | None = None) -> pa.Table:
        """Run a query and return its rows as an Arrow table."""
        return pa.Table.from_pandas(self.query(sql, params), preserve_index=False)

    def scalar(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        df = self.query(sql, params)
        return None if df.empty else df.iat[0, 0]

    @abstractmethod
    def execute(self, sql: str, params: dict[str, Any] | None = None) -> None:
        """Run a statement that returns no rows."""

    @abstractmethod
    def table_exists(self, name: str) -> bool: ...

    @abstractmethod
    def tables(self) -> list[str]:
        """Names of the tables in the current database/schema."""

    @abstractmethod
    def columns(self, name: str) -> list[str]:
        """Column names of a table, in order (raises TableNotFound)."""

    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Statements inside run in one transaction: all or nothing."""

    @abstractmethod
    def _insert(self, name: str, data: pa.Table) -> None:
        """Append rows (columns already match the table) as fast as the engine allows."""

    def register_events(self, path: str | Path) -> dict[str, str]:
        """Read the sources straight from a folder of Parquet files, without copying them in.

        Files named ``clickstream*``, ``search_queries*`` and ``article_views*`` (``.parquet``, or folders
        of them) become views under the canonical source names; returns ``{source: view}`` for the
        sources found. Engines that cannot read files in place raise :class:`InputError`.
        """
        raise InputError(
            f"{self.engine} cannot read events from files in place ({path}).",
            hint=f"Load them first with `intentseg ingest {path} --warehouse {self.display_url}`, then run without --events.",
        )

    def spark_frame(self, table_or_sql: str, params: dict[str, Any] | None = None) -> Any:
        """A Spark DataFrame of a table or a query, for work done in the engine (``fits_in_engine``)."""
        raise NotImplementedError(f"{type(self).__name__} has no Spark DataFrames (fits_in_engine is False).")

    def close(self) -> None:  # noqa: B027 - optional for adapters
        """Release connections."""

    def __enter__(self) -> "Warehouse":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- shared behaviour built on the interface ------------------------------------------------
    def ddl_type(self, logical: str) -> str:
        return self.type_map.get(logical) or self.type_map[TYPE_FALLBACK.get(logical, logical)]

    def create_table(self, name: str, columns: dict[str, str], *, if_not_exists: bool = False) -> None:
        """Create a table from ``{column: logical type}``."""
        cols = ", ".join(f"{self.quote(c)} {self.ddl_type(t)}" for c, t in columns.items())
        ine = "IF NOT EXISTS " if if_not_exists else ""
        self.execute(f"CREATE TABLE {ine}{self.quote_table(name)} ({cols})")

    def create_index(self, table: str, columns: list[str]) -> None:
        """Create an index (if absent) to speed joins and look-ups on ``columns``."""
        if not self.uses_indexes:
            return
        name = self.quote(f"ix_{table}_{'_'.join(columns)}"[:60])
        cols = ", ".join(self._index_column(table, c) for c in columns)
        self.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {self.quote_table(table)} ({cols})")

    def _index_column(self, table: str, column: str) -> str:
        return self.quote(column)

    def drop_table(self, name: str) -> None:
        self.execute(f"DROP TABLE IF EXISTS {self.quote_table(name)}")

    def write_table(
        self,
        name: str,
        data: pd.DataFrame | pa.Table,
        *,
        mode: str = "replace",
        types: dict[str, str] | None = None,
    ) -> int:
        """Write rows to a table. ``mode``: "replace" (atomically), "append" (create if absent) or "create".

        ``types`` overrides the logical type of some columns (see LOGICAL_TYPES), e.g. ``{"model": "json"}``.
        Returns the number of rows written.
        """
        table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
        schema = {f.name: (types or {}).get(f.name) or logical_type(f.type) for f in table.schema}
        if mode == "replace":
            with self.staging(name, columns=schema) as staging:
                if table.num_rows:
                    self._insert(staging, table)
        elif mode in ("append", "create"):
            if mode == "create" or not self.table_exists(name):
                self.create_table(name, schema)
            if table.num_rows:
                self._insert(name, table)
        else:
            raise ValueError(f"mode must be replace, append or create, not {mode!r}")
        return table.num_rows

    @staticmethod
    def staging_name(name: str) -> str:
        return f"{name}__staging_{uuid.uuid4().hex[:8]}"

    @contextmanager
    def staging(
        self,
        target: str,
        *,
        name: str | None = None,
        columns: dict[str, str] | None = None,
        commit: Callable[[], None] | None = None,
    ) -> Iterator[str]:
        """Replace ``target`` whole through a staging table: ``with wh.staging("t", columns=...) as st:``.

        The staging table (``name``, default a fresh :meth:`staging_name`) is dropped if an earlier attempt
        left it, created from ``{column: logical type}`` when ``columns`` is given (else the body creates
        it, e.g. with ``CREATE TABLE … AS``), and its name yielded. When the body succeeds it is swapped in
        as ``target`` (:meth:`swap_in`); when the body or the swap fails it is dropped.

        ``commit``: work that must take effect with the swap (it runs after the body, so it may use what
        the body made). Where DDL is transactional it runs in one transaction with the swap; elsewhere
        (MariaDB) its transaction commits first and the swap follows, and if the swap then fails the
        staging table is kept: the committed work promised it (``writeback.Tables.repair_membership``).
        """
        staging = name or self.staging_name(target)
        self.drop_table(staging)
        committed = False
        try:
            if columns is not None:
                self.create_table(staging, columns)
            yield staging
            if commit is None:
                self.swap_in(staging, target)
            elif self.transactional_ddl:
                with self.transaction():
                    commit()
                    self.swap_in(staging, target)
            else:
                with self.transaction():
                    commit()
                committed = True
                self.swap_in(staging, target)  # one atomic RENAME TABLE, just after the commit
        except BaseException:
            if not committed:
                self.drop_table(staging)
            raise

    def swap_in(self, staging: str, target: str) -> None:
        """Make ``staging`` the new ``target`` in one atomic step; readers never see a half-written table."""
        with self.transaction():
            self.execute(f"DROP TABLE IF EXISTS {self.quote_table(target)}")
            self.execute(f"ALTER TABLE {self.quote_table(staging)} RENAME TO {self.quote(target.split('.')[-1])}")

    def row_count(self, name: str) -> int:
        return int(self.scalar(f"SELECT COUNT(*) FROM {self.quote_table(name)}"))

    # -- one run at a time ----------------------------------------------------------------------
    def run_lock(self, name: str, *, wait_s: float = 0) -> AbstractContextManager[None]:
        """Hold the warehouse-wide lock ``name`` for a run (``with wh.run_lock("intentseg-run"): ...``).

        Raises :class:`~intentseg.errors.RunInProgress` when another holder keeps it longer than
        ``wait_s`` seconds. The lock dies with its holder (a killed process releases it). This default
        only excludes runs inside this process; adapters whose store other processes reach override it
        with the engine's own lock (advisory locks, ``GET_LOCK``, a file lock).
        """
        from .locks import local_lock

        return local_lock(f"{type(self).__name__}:{self.display_url}:{name}", self.display_url, wait_s=wait_s)

    # -- loading without duplicates ---------------------------------------------------------------
    #: Driver error codes, SQLSTATEs or message phrases of conflicts between concurrent writers that go
    #: away when the transaction runs again (a deadlock, a serialization failure, a concurrent commit of
    #: the same key). :meth:`retrying` runs the work again on these, a bounded number of times.
    transient_errors: ClassVar[tuple[Any, ...]] = ()
    #: ``INSERT … SELECT`` that skips rows whose unique key the table already holds; its row count is the
    #: number of rows inserted. Placeholders: {table}, {staging}, {cols}, {key} (already quoted).
    insert_skip_sql: ClassVar[str] = (
        "INSERT INTO {table} ({cols}) SELECT {cols} FROM {staging} ORDER BY {key} ON CONFLICT DO NOTHING"
    )

    def create_unique_index(self, table: str, columns: list[str]) -> None:
        """Make ``columns`` unique in ``table`` (if not yet): the warehouse then refuses a second copy of a
        key, whoever writes it. Created on every engine (DuckDB too: it backs ``INSERT OR IGNORE``)."""
        name = self.quote(f"ux_{table}_{'_'.join(columns)}"[:60])
        cols = ", ".join(self.quote(c) for c in columns)
        self.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS {name} ON {self.quote_table(table)} ({cols})")

    def insert_skipping_duplicates(self, table: str, staging: str, columns: list[str], key: list[str]) -> int:
        """Copy the rows of ``staging`` into ``table``, skipping rows whose unique ``key`` (see
        :meth:`create_unique_index`) is already there, committed by anyone; returns the rows inserted.

        Rows go in key order, so concurrent writers take their row locks in the same order.
        """
        sql = self.insert_skip_sql.format(
            table=self.quote_table(table),
            staging=self.quote_table(staging),
            cols=", ".join(self.quote(c) for c in columns),
            key=", ".join(self.quote(c) for c in key),
        )
        return self._execute_rowcount(sql)

    def _execute_rowcount(self, sql: str) -> int:
        """Run a statement and return the number of rows it changed (adapters that load events override it)."""
        raise NotImplementedError(f"{self.engine}: loading events with intentseg ingest is not supported.")

    def is_transient(self, exc: BaseException) -> bool:
        """Whether ``exc`` (a translated error, or the driver's own) is a conflict worth running again."""
        cause = exc.__cause__ if exc.__cause__ is not None else exc
        orig = getattr(cause, "orig", None) or cause
        args = getattr(orig, "args", None) or (None,)
        codes = {args[0] if isinstance(args[0], int) else None, getattr(orig, "sqlstate", None)} - {None}
        text = str(orig).lower()
        return any(m in codes or (isinstance(m, str) and m.lower() in text) for m in self.transient_errors)

    def retrying(self, work: Callable[[], Any], *, attempts: int = 5) -> Any:
        """``work()`` (one transaction), run again up to ``attempts`` times in all while it fails with a
        transient conflict (:attr:`transient_errors`); any other error, or the last conflict, is raised."""
        import random
        import time

        from ..errors import WarehouseQueryError

        for attempt in range(1, attempts + 1):
            try:
                return work()
            except WarehouseQueryError as exc:
                if attempt == attempts or not self.is_transient(exc):
                    raise
                time.sleep(random.uniform(0.05, 0.25) * attempt)  # let the other writer commit
        raise AssertionError("unreachable")  # pragma: no cover
