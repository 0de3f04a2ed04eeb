"""``spark://`` URLs and the JDBC side of them: options, driver jars, and each database's table quoting."""

from __future__ import annotations

import warnings
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ...errors import DriverMissing, InputError
from ..base import redact_url

#: JDBC driver per SQLAlchemy scheme: (JDBC URL scheme, driver class, Debian package, jar, default port).
#: With the MariaDB driver the URL must say ``jdbc:mysql:``: ``jdbc:mariadb:`` makes Spark pick its
#: generic dialect, which quotes identifiers with ``"`` and fails on MariaDB.
JDBC_DRIVERS = {
    "mysql": ("mysql", "org.mariadb.jdbc.Driver", "libmariadb-java", "/usr/share/java/mariadb-java-client.jar", 3306),
    "mariadb": ("mysql", "org.mariadb.jdbc.Driver", "libmariadb-java", "/usr/share/java/mariadb-java-client.jar", 3306),
    "postgresql": ("postgresql", "org.postgresql.Driver", "libpostgresql-jdbc-java", "/usr/share/java/postgresql.jar", 5432),
    "postgres": ("postgresql", "org.postgresql.Driver", "libpostgresql-jdbc-java", "/usr/share/java/postgresql.jar", 5432),
}
OPTIONS = ("events", "jdbc", "output")
#: Options that once meant something and are now ignored, with what decides instead.
RETIRED = {"mllib_above": "segment.in_warehouse_above (intentseg.toml or INTENTSEG_SEGMENT__IN_WAREHOUSE_ABOVE) "
                          "decides when MLlib fits"}


def parse_url(url: str) -> tuple[str, dict[str, str]]:
    """``spark://MASTER?k=v&...`` -> (master, options); urlsplit is not used: ``local[2]`` is no host."""
    rest = url.split("://", 1)[1]
    where, _, query = rest.partition("?")
    options: dict[str, str] = {}
    for pair in filter(None, query.split("&")):
        key, _, value = pair.partition("=")
        options[key] = unquote(value)
    master = where.strip("/") or "local[*]"
    if not master.startswith("local") and master != "session":
        master = f"spark://{master}"
    return master, check_options(options, redact_url(url))


def check_options(options: dict[str, str], where: str) -> dict[str, str]:
    """``options`` without retired ones (each warned about); an unknown one raises, naming the known ones."""
    for key in [k for k in options if k in RETIRED]:
        warnings.warn(f"The Spark option {key!r} in {where} is ignored: {RETIRED[key]}.", FutureWarning, stacklevel=4)
        del options[key]
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise InputError(f"Unknown Spark URL option {unknown[0]!r} in {where}.",
                         hint=f"Use {', '.join(OPTIONS)}, e.g. spark://local[*]?events=/data/events.")
    return options


def jdbc_options(sqlalchemy_url: str) -> dict[str, str]:
    """Spark JDBC options (url, driver, user, password) for a SQLAlchemy URL of MySQL/MariaDB or PostgreSQL."""
    parts = urlsplit(sqlalchemy_url)
    scheme = parts.scheme.split("+", 1)[0].lower()
    if scheme not in JDBC_DRIVERS:
        raise InputError(f"Spark cannot read {redact_url(sqlalchemy_url)} over JDBC.",
                         hint="Use jdbc=mysql+pymysql://user@host:3306/db or jdbc=postgresql+psycopg://user@host:5432/db.")
    jdbc_scheme, driver, _package, _jar, port = JDBC_DRIVERS[scheme]
    url = f"jdbc:{jdbc_scheme}://{parts.hostname or '127.0.0.1'}:{parts.port or port}{parts.path}"
    query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    if jdbc_scheme == "postgresql" and "schema" in query:
        url += f"?currentSchema={query['schema']}"
    options = {"url": url, "driver": driver, "user": unquote(parts.username or "")}
    if parts.password is not None:
        options["password"] = unquote(parts.password)
    return options


def check_jdbc_jar(sqlalchemy_url: str) -> None:
    """Raise DriverMissing, naming the Debian package, when the database's JDBC jar is not installed."""
    scheme = sqlalchemy_url.split("://", 1)[0].split("+", 1)[0].lower()
    _s, _d, package, jar, _p = JDBC_DRIVERS[scheme]
    if not Path(jar).exists():
        raise DriverMissing(f"The JDBC driver {jar} is missing (Spark cannot download jars here).",
                            hint=f"apt-get install {package}")


def driver_jars() -> list[str]:
    """The installed JDBC driver jars, for ``spark.jars``."""
    return sorted({jar for _s, _d, _p, jar, _port in JDBC_DRIVERS.values() if Path(jar).exists()})
