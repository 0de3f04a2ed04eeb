"""The one registry of SQL dialects: a warehouse dialect name -> the sqlglot dialect that writes its SQL.

Every adapter takes its ``sqlglot_dialect`` from here, and so do the feature SQL (``features.render``)
and the scoring SQL (``Segmenter.to_sql``): one name means one dialect everywhere.
"""

from __future__ import annotations

from functools import cache

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.dialects.mysql import MySQL
from sqlglot.generator import Generator

from ..errors import ConfigError


class MariaDB(MySQL):
    """MySQL's dialect, adjusted where MariaDB 10.11 lacks what sqlglot emits."""

    class Generator(MySQL.Generator):
        TRANSFORMS = {
            **MySQL.Generator.TRANSFORMS,
            # MariaDB has no REGEXP_LIKE(); its REGEXP operator does the same.
            exp.RegexpLike: lambda self, e: self.binary(e, "REGEXP"),
            # DATEDIFF() in MySQL counts days only; TIMESTAMPDIFF takes the unit.
            exp.DateDiff: lambda self, e: self.func(
                "TIMESTAMPDIFF", exp.var((e.unit.name if e.unit else "DAY").upper()), e.expression, e.this
            ),
            # MariaDB has no ->> operator; JSON_VALUE reads one scalar (JSON text is LONGTEXT there).
            exp.JSONExtractScalar: lambda self, e: self.func("JSON_VALUE", e.this, e.expression),
        }

        def cast_sql(self, expression: exp.Cast, safe_prefix: str | None = None) -> str:
            # MariaDB has no CAST(... AS JSON): JSON is text there, read as it is.
            if expression.to.is_type(exp.DataType.Type.JSON):
                return self.sql(expression, "this")
            return super().cast_sql(expression, safe_prefix)


#: warehouse dialect name -> sqlglot dialect (engine differences as data).
SQLGLOT_DIALECTS: dict[str, Dialect] = {
    "duckdb": Dialect.get_or_raise("duckdb"),
    "mysql": MariaDB(),
    "postgres": Dialect.get_or_raise("postgres"),
    "spark": Dialect.get_or_raise("spark"),
}
#: the dialect names intentseg writes SQL for.
DIALECTS: tuple[str, ...] = tuple(SQLGLOT_DIALECTS)
#: other spellings accepted for them (as in URL schemes).
ALIASES = {"mariadb": "mysql", "postgresql": "postgres"}


def dialect_name(name: str) -> str:
    """The registry's name for ``name`` (case-insensitive; ``mariadb`` and ``postgresql`` accepted)."""
    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    if key not in SQLGLOT_DIALECTS:
        raise ConfigError(f"Unknown SQL dialect {name!r}.", hint=f"Use one of: {', '.join(DIALECTS)}.")
    return key


def sqlglot_dialect(name: str) -> Dialect:
    """The sqlglot dialect that writes SQL for the warehouse dialect ``name`` (raises ConfigError)."""
    return SQLGLOT_DIALECTS[dialect_name(name)]


@cache
def _colon_generator(generator_class: type[Generator]) -> type[Generator]:
    """``generator_class`` writing placeholders as ``:name``, the form every ``Warehouse`` binds."""

    def placeholder_sql(self: Generator, expression: exp.Placeholder) -> str:
        if not expression.name:
            raise ValueError("SQL placeholders must be named (:name) to be bound by a warehouse.")
        return f":{expression.name}"

    return type(generator_class.__name__, (generator_class,), {"placeholder_sql": placeholder_sql})


def render(expression: exp.Expression, dialect: str | Dialect, *, pretty: bool = False) -> str:
    """SQL text of a sqlglot ``expression`` for ``dialect`` (a registry name or a sqlglot dialect).

    Placeholders (``exp.Placeholder``) come out as ``:name`` in every dialect, for
    :meth:`Warehouse.query` / :meth:`Warehouse.execute` to bind in the driver's own paramstyle.
    """
    d = sqlglot_dialect(dialect) if isinstance(dialect, str) else dialect
    return _colon_generator(d.generator_class)(dialect=d, pretty=pretty).generate(expression)
