"""Values are bound, identifiers quoted once: hostile names survive every engine exactly.

Issue 10 item 10: ``:word`` anywhere in SQL text used to be rewritten (a segment ":gold" stored as
"$gold", a table ":runs" created as "$runs", MariaDB/PostgreSQL "A value is required for bind parameter").
"""

from __future__ import annotations

import pandas as pd
import pytest

from intentseg.errors import ConfigError
from intentseg.warehouse.base import bind_parameters
from intentseg.warehouse.dialects import SQLGLOT_DIALECTS, sqlglot_dialect

HOSTILE = [":gold", "$x", "O'Brien \"quoted\"", "50% off", "back\\slash", "emoji 🎯"]


# -- the binder, without a database -----------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_only_real_placeholders_are_bound(dialect):
    sql = (
        "SELECT x::INT, ':gold' AS a, \"t :runs\".\"c:x\", 'it''s :q' -- :comment\n"
        "FROM \"t :runs\" /* :block */ WHERE y = :run_id AND z = :run_id"
    )
    style = "dollar" if dialect == "duckdb" else "pyformat"
    text, bound = bind_parameters(sql, {"run_id": "r1", "unused": 1}, dialect=sqlglot_dialect(dialect), style=style)
    mark = "$run_id" if style == "dollar" else "%(run_id)s"
    assert text.count(mark) == 2
    assert "':gold'" in text and '"t :runs"' in text and '"c:x"' in text and "'it''s :q'" in text
    assert ":comment" in text and ":block" in text and "x::INT" in text
    assert bound == {"run_id": "r1"}  # only what the SQL uses


def test_mysql_strings_with_backslash_escapes_are_skipped():
    # MySQL: \' does not end a string; backticks quote identifiers; "..." is a string.
    sql = r"""SELECT 'a\' :no', `b :no`, "c :no" FROM t WHERE u = :yes"""
    text, bound = bind_parameters(sql, {"yes": 1}, dialect=sqlglot_dialect("mysql"), style="pyformat")
    assert text == r"""SELECT 'a\' :no', `b :no`, "c :no" FROM t WHERE u = %(yes)s"""
    assert bound == {"yes": 1}


def test_percent_is_doubled_for_pyformat_drivers_only():
    sql = "SELECT '50% off' WHERE a = :a"
    assert bind_parameters(sql, {"a": 1}, dialect=sqlglot_dialect("postgres"), style="pyformat")[0] == (
        "SELECT '50%% off' WHERE a = %(a)s"
    )
    assert bind_parameters(sql, {"a": 1}, dialect=sqlglot_dialect("duckdb"), style="dollar")[0] == (
        "SELECT '50% off' WHERE a = $a"
    )


def test_a_placeholder_without_value_is_a_clear_error():
    with pytest.raises(ValueError, match=":missing"):
        bind_parameters("SELECT :missing", {}, dialect=sqlglot_dialect("duckdb"), style="dollar")


def test_one_dialect_registry_for_adapters_features_and_scoring():
    from intentseg.features.build import DIALECTS
    from intentseg.warehouse.duckdb import DuckDBWarehouse
    from intentseg.warehouse.sql import MySQLWarehouse, PostgresWarehouse

    assert DIALECTS == tuple(SQLGLOT_DIALECTS)
    for cls in (DuckDBWarehouse, MySQLWarehouse, PostgresWarehouse):
        assert cls.sqlglot_dialect is SQLGLOT_DIALECTS[cls.dialect]
    assert sqlglot_dialect("MariaDB") is SQLGLOT_DIALECTS["mysql"]  # aliases reach the same dialect
    assert sqlglot_dialect("postgresql") is SQLGLOT_DIALECTS["postgres"]
    with pytest.raises(ConfigError, match="Unknown SQL dialect 'oracle'"):
        sqlglot_dialect("oracle")


# -- on every engine ----------------------------------------------------------------------------------


def test_hostile_values_round_trip_as_parameters_and_literals(warehouse):
    """Bound values come back exactly; so do string literals holding ``:name``, ``$x`` and ``%``."""
    for value in HOSTILE:
        assert warehouse.scalar("SELECT :v AS v", {"v": value}) == value
    # a literal written by sqlglot for the engine, next to a real parameter
    from sqlglot import exp

    from intentseg.warehouse.dialects import render

    for value in HOSTILE:
        select = exp.select(exp.Literal.string(value).as_("lit"), exp.Placeholder(this="p").as_("p"))
        row = warehouse.query(render(select, warehouse.dialect), {"p": value}).iloc[0]
        assert (row["lit"], row["p"]) == (value, value)


def test_quote_is_one_identifier_and_quote_table_is_qualified(warehouse):
    assert warehouse.quote("u.r.l") == f"{warehouse.quote_char}u.r.l{warehouse.quote_char}"
    q = warehouse.quote_char
    assert warehouse.quote_table("s.t") == f"{q}s{q}.{q}t{q}"
    assert warehouse.quote(f"a{q}b") == f"{q}a{q}{q}b{q}"


@pytest.mark.parametrize("table", [":runs", "my table", "p:x $y 50%"])
def test_table_and_column_names_with_colons_spaces_and_dots(warehouse, table):
    df = pd.DataFrame({"user_id": [1, 2], "u.r.l": ["/a:b", "/c"], "name :x": HOSTILE[:2]})
    warehouse.write_table(table, df)
    assert table in warehouse.tables() and warehouse.table_exists(table)
    assert warehouse.columns(table) == ["user_id", "u.r.l", "name :x"]
    assert warehouse.row_count(table) == 2
    got = warehouse.query(
        f"SELECT {warehouse.quote('u.r.l')} AS url, {warehouse.quote('name :x')} AS n "
        f"FROM {warehouse.quote_table(table)} WHERE user_id = :uid",
        {"uid": 1},
    )
    assert got.to_dict("records") == [{"url": "/a:b", "n": ":gold"}]
    warehouse.write_table(table, df.head(1))  # replace: staging + swap under the hostile name
    assert warehouse.row_count(table) == 1
