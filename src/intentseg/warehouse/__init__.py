"""Warehouses behind one interface, chosen by URL.

    duckdb:///events.duckdb            embedded DuckDB file (the default); duckdb:///:memory: in memory
    mysql+pymysql://user:pw@host/db    MySQL / MariaDB                    (pip install "intentseg[mysql]")
    postgresql+psycopg://user@host/db  PostgreSQL; ?schema=NAME selects one (pip install "intentseg[postgres]")
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from .base import LOGICAL_TYPES, Tracer, Warehouse, redact_url

__all__ = ["LOGICAL_TYPES", "Warehouse", "connect", "redact_url", "spark_url"]

# URL scheme (before any "+driver") -> adapter, imported lazily so optional drivers stay optional.
_SCHEMES: dict[str, tuple[str, str]] = {
    "duckdb": (".duckdb", "DuckDBWarehouse"),
    "mysql": (".sql", "MySQLWarehouse"),
    "mariadb": (".sql", "MySQLWarehouse"),
    "postgresql": (".sql", "PostgresWarehouse"),
    "postgres": (".sql", "PostgresWarehouse"),
    "spark": (".spark", "SparkWarehouse"),
}


def spark_url(master: str = "local[*]", *, jdbc: str | None = None, output: str | None = None) -> str:
    """The ``spark://`` URL for ``--engine spark``: sources over JDBC from ``jdbc`` (a SQLAlchemy URL) or
    from Parquet events; results written over JDBC, or as Parquet folders under ``output``."""
    from urllib.parse import quote

    options = [f"{k}={quote(str(v), safe='/:@+')}" for k, v in (("jdbc", jdbc), ("output", output)) if v]
    return f"spark://{master}" + ("?" + "&".join(options) if options else "")


def connect(url: "str | Warehouse | None" = None, *, tracer: Tracer | None = None, **options: Any) -> Warehouse:
    """Open the warehouse a URL names (a :class:`Warehouse` passes through unchanged).

    ``tracer(sql, params)`` is called with every statement that runs, to let users see the SQL.
    """
    if isinstance(url, Warehouse):
        return url
    if url is None:
        from ..config import DEFAULT_WAREHOUSE

        url = DEFAULT_WAREHOUSE
    scheme = url.split("://", 1)[0].split("+", 1)[0].lower() if "://" in url else ""
    if scheme not in _SCHEMES:
        raise ConfigError(
            f"Unsupported warehouse URL {redact_url(url)!r}.",
            hint="Use duckdb:///file.duckdb, mysql+pymysql://user@host:3306/db or postgresql+psycopg://user@host:5432/db.",
        )
    module_name, class_name = _SCHEMES[scheme]
    import importlib

    module = importlib.import_module(module_name, __name__)
    return getattr(module, class_name)(url, tracer=tracer, **options)
