"""MySQL/MariaDB and PostgreSQL through SQLAlchemy 2.

The two engines differ only in data held on their classes (quoting, DDL types, error codes and hints,
how rows are bulk-loaded, how a table is swapped in); the rest is shared.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import pandas as pd
import pyarrow as pa

from ..errors import (
    ConfigError,
    DriverMissing,
    IntentsegError,
    TableNotFound,
    WarehouseQueryError,
    WarehouseUnavailable,
)
from ..schema import USER_ID_MAX_CHARS
from .base import Tracer, Warehouse, redact_url, scrub, split_url
from .dialects import SQLGLOT_DIALECTS

_INSERT_CHUNK = 20_000


class _Rule:
    """One driver-error pattern -> an intentseg error class and a fix hint."""

    def __init__(self, match: tuple[Any, ...], error: type[IntentsegError], hint: str) -> None:
        self.match, self.error, self.hint = match, error, hint

    def applies(self, codes: set[Any], text: str) -> bool:
        """``match`` holds error codes (ints, SQLSTATEs) or phrases of the driver's message."""
        return any(m in codes or (isinstance(m, str) and m.lower() in text.lower()) for m in self.match)


class SQLAlchemyWarehouse(Warehouse):
    """Shared code for warehouses reached through SQLAlchemy."""

    driver_extra: ClassVar[str]
    #: how a URL of this engine looks, for hints
    default_url_example: ClassVar[str]
    default_driver: ClassVar[str]
    error_rules: ClassVar[tuple[_Rule, ...]]

    def __init__(self, url: str, tracer: Tracer | None = None, **engine_kwargs: Any) -> None:
        super().__init__(url, tracer)
        try:
            import sqlalchemy as sa
        except ImportError as exc:  # pragma: no cover - sqlalchemy is a core dependency
            raise DriverMissing("SQLAlchemy is not installed.", hint='pip install "intentseg"') from exc
        self._sa = sa
        sa_url, connect_args = self._prepare(url)
        try:
            self.engine_ = sa.create_engine(
                sa_url, pool_pre_ping=True, connect_args=connect_args, **engine_kwargs
            )
        except (ImportError, ModuleNotFoundError) as exc:
            raise DriverMissing(
                f"The driver for {redact_url(url)} is not installed ({scrub(str(exc), url)}).",
                hint=f'pip install "intentseg[{self.driver_extra}]"',
            ) from exc
        except sa.exc.NoSuchModuleError as exc:
            raise DriverMissing(
                f"No SQLAlchemy driver {sa_url.drivername!r} for {redact_url(url)}.",
                hint=f"Use {self.default_url_example}, or install the package that provides that driver.",
            ) from exc
        except (sa.exc.ArgumentError, ValueError, TypeError) as exc:
            raise ConfigError(
                f"Warehouse URL {redact_url(url)!r} cannot be used: {scrub(str(exc), url)}.",
                hint=f"Write it like {self.default_url_example}.",
            ) from exc
        self._conn: Any = None
        with self._errors():
            with self.engine_.connect() as conn:
                self._on_connect(conn)

    # -- engine specifics (overridden as data or small hooks) ------------------------------------
    def _prepare(self, url: str) -> tuple[Any, dict[str, Any]]:
        return self._sa_url(url), {}

    def _sa_url(self, url: str, *, driver: str | None = None, drop: tuple[str, ...] = ()) -> Any:
        """The URL as a SQLAlchemy ``URL`` built from its parts (see :func:`split_url`): an unencoded
        ``@`` in the password stays in the password, a bad port fails with exit 2. ``driver`` is added to
        a scheme without one; query keys in ``drop`` are intentseg's own and not passed to the driver."""
        from urllib.parse import unquote

        parts = split_url(url)
        if parts is None:
            raise ConfigError(f"Warehouse URL {redact_url(url)!r} has no scheme://.",
                              hint=f"Write it like {self.default_url_example}.")
        scheme = parts.scheme if "+" in parts.scheme or driver is None else f"{parts.scheme}+{driver}"
        host, port = parts.host, None
        head, colon, tail = host.rpartition(":") if not host.endswith("]") else ("", "", host)
        if colon:
            host = head
            if not tail.isdigit() or not 0 < int(tail) < 65536:
                raise ConfigError(
                    f"Warehouse URL {redact_url(url)!r}: port {tail!r} is not a port number.",
                    hint="Write the port as digits after the host, e.g. @127.0.0.1:3306, or leave it out.",
                )
            port = int(tail)
        query = {key: value for key, value in parts.params if key not in drop}
        return self._sa.engine.URL.create(
            scheme,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            host=unquote(host.strip("[]")) or None,
            port=port,
            database=unquote(parts.path.lstrip("/")) or None,
            query=query,
        )

    def _on_connect(self, conn: Any) -> None:
        """Called once, to check the server answers (and prepare, e.g. a schema)."""
        conn.exec_driver_sql("SELECT 1")

    # -- errors ------------------------------------------------------------------------------------
    def _translate(self, exc: Exception) -> IntentsegError:
        orig = getattr(exc, "orig", None) or exc
        args = getattr(orig, "args", None) or (None,)
        codes = {args[0] if isinstance(args[0], int) else None, getattr(orig, "sqlstate", None)} - {None}
        text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
        text = scrub(text, self.url)  # a driver may echo what it was given
        where = f"{self.engine} at {self.display_url}"
        for rule in self.error_rules:
            if rule.applies(codes, str(orig)):
                return rule.error(f"{where}: {text}", hint=rule.hint.format(url=self.display_url))
        if isinstance(exc, self._sa.exc.OperationalError) and self._conn is None and "connect" in text.lower():
            return WarehouseUnavailable(f"{where}: {text}", hint="Check the server is running and the URL.")
        return WarehouseQueryError(
            f"{where}: {text}", hint="Run with --debug to see the SQL; `intentseg sql features` prints what runs."
        )

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except IntentsegError:
            raise
        except self._sa.exc.SQLAlchemyError as exc:
            raise self._translate(exc) from exc
        except (ImportError, ModuleNotFoundError) as exc:
            raise DriverMissing(
                f"The driver for {self.display_url} is not installed ({exc}).",
                hint=f'pip install "intentseg[{self.driver_extra}]"',
            ) from exc

    # -- connections -------------------------------------------------------------------------------
    @contextmanager
    def _connection(self) -> Iterator[Any]:
        if self._conn is not None:
            yield self._conn
            return
        with self._errors(), self.engine_.begin() as conn:
            yield conn

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._conn is not None:
            yield
            return
        with self._errors(), self.engine_.begin() as conn:
            self._conn = conn
            try:
                yield
            finally:
                self._conn = None

    # -- the interface -------------------------------------------------------------------------
    def _run(self, conn: Any, sql: str, params: dict[str, Any] | None) -> Any:
        """Send ``sql`` in the driver's own paramstyle (never through ``text()``, whose ``:name`` search
        does not know string literals or quoted identifiers)."""
        self._trace(sql, params)
        text, bound = self._bind(sql, params)
        return conn.exec_driver_sql(text, bound)

    def query(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        with self._connection() as conn, self._errors():
            result = self._run(conn, sql, params)
            df = pd.DataFrame.from_records(result.fetchall(), columns=list(result.keys()))
        return _decimals_to_float(df)

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> None:
        with self._connection() as conn, self._errors():
            self._run(conn, sql, params)

    def _inspector(self, conn: Any) -> Any:
        return self._sa.inspect(conn)

    def table_exists(self, name: str) -> bool:
        schema, _, table = name.rpartition(".")  # schema.table (MariaDB: database.table), or the URL's own
        with self._connection() as conn, self._errors():
            return self._inspector(conn).has_table(table, schema=schema or None)

    def tables(self) -> list[str]:
        with self._connection() as conn, self._errors():
            return sorted(self._inspector(conn).get_table_names())

    def columns(self, name: str) -> list[str]:
        schema, _, table = name.rpartition(".")
        with self._connection() as conn, self._errors():
            insp = self._inspector(conn)
            if not insp.has_table(table, schema=schema or None):
                raise TableNotFound(
                    f"{self.engine} at {self.display_url}: table {name!r} not found.",
                    hint="Load events with `intentseg ingest`, or map table names in intentseg.toml.",
                )
            return [c["name"] for c in insp.get_columns(table, schema=schema or None)]

    def _insert(self, name: str, data: pa.Table) -> None:
        cols = data.column_names
        with self._connection() as conn, self._errors():
            for batch in data.to_batches(max_chunksize=_INSERT_CHUNK):
                rows = list(zip(*(col.to_pylist() for col in batch.columns)))
                self._bulk_load(conn, name, cols, rows)

    def _bulk_load(self, conn: Any, name: str, cols: list[str], rows: list[tuple[Any, ...]]) -> None:
        placeholders = ", ".join(["%s"] * len(cols))
        col_sql = ", ".join(self.quote(c) for c in cols)
        # positional %s for executemany: a "%" in a name must be doubled, as the driver formats the text
        sql = f"INSERT INTO {self.quote_table(name)} ({col_sql}) VALUES (".replace("%", "%%")
        conn.exec_driver_sql(f"{sql}{placeholders})", rows)

    # -- one run at a time: a server-side lock on a connection held for the run ------------------
    #: SQL giving the database (and schema) the lock is scoped to
    lock_scope_sql: ClassVar[str]
    #: SQL taking the lock ``:name`` without waiting: a true value when taken
    lock_sql: ClassVar[str]
    #: SQL releasing it
    unlock_sql: ClassVar[str]

    @contextmanager
    def run_lock(self, name: str, *, wait_s: float = 0) -> Iterator[None]:
        """The server's own lock (``pg_try_advisory_lock`` / ``GET_LOCK``), scoped to this database and
        schema, held on a dedicated autocommit connection for as long as the block runs. The server
        releases it when the connection drops, so a killed run frees it at once."""
        import time

        from .locks import POLL_S, in_progress

        text = self._sa.text
        with self._errors():
            conn = self.engine_.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            with self._errors():
                scope = conn.execute(text(self.lock_scope_sql)).scalar()
                key = _lock_name(f"intentseg:{scope}:{name}")
                deadline = time.monotonic() + wait_s
                while True:
                    self._trace(self.lock_sql, {"name": key})
                    if conn.execute(text(self.lock_sql), {"name": key}).scalar():
                        break
                    if time.monotonic() >= deadline:
                        raise in_progress(f"{self.engine} at {self.display_url}")
                    time.sleep(POLL_S)
            try:
                yield
            finally:
                self._trace(self.unlock_sql, {"name": key})
                try:
                    conn.execute(text(self.unlock_sql), {"name": key})
                except Exception:  # noqa: BLE001 - a dropped connection has released the lock already
                    conn.invalidate()
        finally:
            conn.close()

    def _execute_rowcount(self, sql: str) -> int:
        self._trace(sql, None)
        with self._connection() as conn, self._errors():
            return int(conn.exec_driver_sql(sql).rowcount)

    def close(self) -> None:
        self.engine_.dispose()


def _lock_name(name: str) -> str:
    """Lock names stay within MySQL's 64 characters (a digest of longer ones)."""
    import hashlib

    return name if len(name) <= 64 else "intentseg:" + hashlib.sha1(name.encode()).hexdigest()


def _decimals_to_float(df: pd.DataFrame) -> pd.DataFrame:
    """MySQL returns DECIMAL for averages and sums; callers want floats."""
    for col in df.columns:
        if df[col].dtype == object:
            first = df[col].dropna().head(1)
            if len(first) and isinstance(first.iloc[0], decimal.Decimal):
                df[col] = df[col].astype(float)
    return df


#: a deadlock or serialization failure that outlived its retries (Warehouse.retrying)
_CONFLICT_HINT = ("Another job was writing the same rows at the same time, and running the transaction again "
                  "did not get past it: run the command again, or schedule the jobs one after the other.")
_UNREACHABLE_HINT = "Is the server running and listening at {url}? Start it, or fix host/port in the URL."


class MySQLWarehouse(SQLAlchemyWarehouse):
    """MySQL and MariaDB (the original warehouse) through PyMySQL."""

    dialect = "mysql"
    sqlglot_dialect = SQLGLOT_DIALECTS["mysql"]
    engine = "mysql"
    quote_char = "`"
    transactional_ddl = False
    semi_join_in_subqueries = False
    driver_extra = "mysql"
    default_url_example = "mysql+pymysql://user:password@host:3306/db"
    type_map = {
        "bigint": "BIGINT",
        "double": "DOUBLE",
        "text": "VARCHAR(1024)",
        "key": "VARCHAR(128)",
        "timestamp": "DATETIME(6)",
        "bool": "BOOLEAN",
        "json": "LONGTEXT",
        # Text user ids compare byte for byte ("Alice", "alice", "Alicé" are three users), as elsewhere.
        "id": f"VARCHAR({USER_ID_MAX_CHARS}) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
        "long_text": "MEDIUMTEXT",
    }
    # 1213: deadlock; 1205: lock wait timeout. Both roll the transaction back; running it again is safe.
    transient_errors = (1213, 1205)
    # IGNORE skips rows whose unique key is present (ingest checks lengths first, so nothing is truncated).
    insert_skip_sql = "INSERT IGNORE INTO {table} ({cols}) SELECT {cols} FROM {staging} ORDER BY {key}"
    error_rules = (
        _Rule((1045, 1698), WarehouseUnavailable, "Wrong user or password: check the user:password part of {url}."),
        _Rule((1044,), WarehouseUnavailable,
              "This user may not use that database: GRANT it access (GRANT ALL ON db.* TO 'user'@'%'), "
              "or fix the user or database in {url}."),
        _Rule((1049,), WarehouseUnavailable, "The database does not exist: CREATE DATABASE it, or fix the name in {url}."),
        _Rule((2003, 2002, 2013, 2006), WarehouseUnavailable, _UNREACHABLE_HINT),
        _Rule((1146,), TableNotFound, "Load events with `intentseg ingest`, or map table names in intentseg.toml."),
        _Rule((1213, 1205), WarehouseQueryError, _CONFLICT_HINT),
    )

    lock_scope_sql = "SELECT DATABASE()"
    lock_sql = "SELECT GET_LOCK(:name, 0)"
    unlock_sql = "SELECT RELEASE_LOCK(:name)"

    def insert_skipping_duplicates(self, table: str, staging: str, columns: list[str], key: list[str]) -> int:
        """``INSERT IGNORE`` skips duplicate keys, but would also store a value it had to change (a character
        a latin1 column cannot hold becomes ``?``) with only a warning: any warning beyond one per skipped
        row fails the statement instead, and the transaction rolls back."""
        with self.transaction():  # one connection, so that the warnings read are this INSERT's
            inserted = super().insert_skipping_duplicates(table, staging, columns, key)
            warnings = int(self.scalar("SELECT @@warning_count"))  # before any statement resets them
            shown = self.query("SHOW WARNINGS") if warnings else pd.DataFrame(columns=["Code", "Message"])
            skipped = int(self.scalar(f"SELECT COUNT(*) FROM {self.quote_table(staging)}")) - inserted
            if warnings > skipped:
                other = shown[shown["Code"] != 1062]
                said = str(other["Message"].iloc[0]) if len(other) else f"{warnings - skipped} warning(s)"
                raise WarehouseQueryError(
                    f"{self.engine} at {self.display_url}: inserting into {table} would change values: {said}",
                    hint=f"Make the column hold them, e.g. ALTER TABLE {table} CONVERT TO CHARACTER SET utf8mb4; "
                    "then run again.",
                )
        return inserted

    def _index_column(self, table: str, column: str) -> str:
        # InnoDB keys are at most 3072 bytes: index long text columns by a 255-character prefix.
        length = self.scalar(
            "SELECT character_maximum_length FROM information_schema.columns "
            "WHERE table_schema = DATABASE() AND table_name = :t AND column_name = :c",
            {"t": table, "c": column},
        )
        long_text = length is not None and not pd.isna(length) and int(length) > 255
        return f"{self.quote(column)}(255)" if long_text else self.quote(column)

    def _prepare(self, url: str) -> tuple[Any, dict[str, Any]]:
        return self._sa_url(url, driver="pymysql"), {"charset": "utf8mb4", "connect_timeout": 10}

    def swap_in(self, staging: str, target: str) -> None:
        # MySQL DDL commits implicitly; RENAME TABLE of several tables is one atomic step.
        if self.table_exists(target):
            old = f"{target}__old_{staging.rsplit('_', 1)[-1]}"
            self.execute(
                f"RENAME TABLE {self.quote_table(target)} TO {self.quote_table(old)}, "
                f"{self.quote_table(staging)} TO {self.quote_table(target)}"
            )
            self.drop_table(old)
        else:
            self.execute(f"RENAME TABLE {self.quote_table(staging)} TO {self.quote_table(target)}")


class PostgresWarehouse(SQLAlchemyWarehouse):
    """PostgreSQL through psycopg 3. ``?schema=NAME`` in the URL selects (and creates) a schema."""

    dialect = "postgres"
    sqlglot_dialect = SQLGLOT_DIALECTS["postgres"]
    engine = "postgres"
    driver_extra = "postgres"
    default_url_example = "postgresql+psycopg://user:password@host:5432/db"
    type_map = {
        "bigint": "BIGINT",
        "double": "DOUBLE PRECISION",
        "text": "TEXT",
        "key": "VARCHAR(128)",
        "timestamp": "TIMESTAMP",
        "bool": "BOOLEAN",
        "json": "TEXT",
        "id": f"VARCHAR({USER_ID_MAX_CHARS})",
    }
    # 40P01: deadlock detected; 40001: serialization failure.
    transient_errors = ("40P01", "40001")
    error_rules = (
        _Rule(("password authentication failed", "role \""), WarehouseUnavailable,
              "Wrong user or password: check the user:password part of {url} (and pg_hba.conf)."),
        _Rule(("database \"",), WarehouseUnavailable,
              "The database does not exist: createdb it, or fix the name in {url}."),
        _Rule(("connection refused", "could not connect", "connection failed", "no such file or directory",
               "failed to resolve host", "could not translate host name", "name or service not known",
               "connection timeout expired", "timeout expired"),
              WarehouseUnavailable, _UNREACHABLE_HINT),
        _Rule(("42P01", "42S02"), TableNotFound, "Load events with `intentseg ingest`, or map table names in intentseg.toml."),
        _Rule(("40P01", "40001"), WarehouseQueryError, _CONFLICT_HINT),
    )

    lock_scope_sql = "SELECT current_database() || '.' || current_schema()"
    lock_sql = "SELECT pg_try_advisory_lock(hashtextextended(:name, 0))"
    unlock_sql = "SELECT pg_advisory_unlock(hashtextextended(:name, 0))"

    def _prepare(self, url: str) -> tuple[Any, dict[str, Any]]:
        scheme, sep, rest = url.partition("://")
        if scheme.split("+", 1)[0] == "postgres":  # Heroku-style alias SQLAlchemy no longer accepts
            url = "postgresql" + scheme[len("postgres"):] + sep + rest
        sa_url = self._sa_url(url, driver="psycopg", drop=("schema",))
        self.schema = dict(split_url(url).params).get("schema") or None  # type: ignore[union-attr]
        connect_args: dict[str, Any] = {"connect_timeout": 10}
        if self.schema:
            # quoted, or PostgreSQL folds it to lower case (a schema "Adv_Upper" would never be found);
            # libpq splits options at spaces unless escaped with a backslash.
            path = self.quote(self.schema).replace("\\", "\\\\").replace(" ", "\\ ")
            connect_args["options"] = f"-c search_path={path}"
        return sa_url, connect_args

    def _on_connect(self, conn: Any) -> None:
        if self.schema:
            conn.exec_driver_sql(*self._bind(f"CREATE SCHEMA IF NOT EXISTS {self.quote(self.schema)}", None))
            conn.commit()
        conn.exec_driver_sql("SELECT 1")

    def _bulk_load(self, conn: Any, name: str, cols: list[str], rows: list[tuple[Any, ...]]) -> None:
        col_sql = ", ".join(self.quote(c) for c in cols)
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {self.quote_table(name)} ({col_sql}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

