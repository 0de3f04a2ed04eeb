"""Statements Spark SQL cannot run on intentseg's tables, carried out on the store instead.

Spark has no multi-statement transactions and (outside Delta or Iceberg tables) no INSERT, UPDATE or
DELETE on views. ``CREATE TABLE … AS``, ``DROP TABLE`` and ``INSERT`` become store writes; ``UPDATE`` and
``DELETE`` run copy-on-write: the table's new rows are computed in Spark, then the table is replaced
atomically (in a JDBC store they run in the database itself, in its dialect).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp

from ...errors import TableNotFound

if TYPE_CHECKING:
    from .adapter import SparkWarehouse


def execute(wh: SparkWarehouse, sql: str, params: dict[str, Any] | None) -> None:
    """Run ``sql``: Spark SQL, except statements on intentseg's tables, which go to the store."""
    try:
        stmt = sqlglot.parse_one(sql, read="spark")
    except sqlglot.errors.ParseError:
        stmt = None
    if isinstance(stmt, exp.Create) and stmt.kind == "TABLE" and isinstance(stmt.expression, exp.Query):
        wh._trace(sql, params)
        wh.store.replace(stmt.this.name, wh._sql(stmt.expression.sql("spark"), params))
    elif isinstance(stmt, exp.Drop) and stmt.kind == "TABLE":
        wh._trace(sql, params)
        wh.drop_table(stmt.this.name)
    elif isinstance(stmt, exp.Insert) and isinstance(stmt.this, (exp.Table, exp.Schema)):
        wh._trace(sql, params)
        insert_select(wh, stmt, params)
    elif isinstance(stmt, (exp.Update, exp.Delete)):
        wh._trace(sql, params)
        rewrite(wh, stmt, params)
    else:
        wh._sql(sql, params).collect()


def insert_select(wh: SparkWarehouse, stmt: exp.Insert, params: dict[str, Any] | None) -> None:
    """``INSERT INTO t [(cols)] SELECT …`` or ``VALUES (…)`` (one row): the rows appended to ``t``."""
    target = stmt.this
    columns = [c.name for c in target.expressions] if isinstance(target, exp.Schema) else None
    name = (target.this if isinstance(target, exp.Schema) else target).name
    source = stmt.expression
    if isinstance(source, exp.Values):
        source = exp.select(*source.expressions[0].expressions)
    df = wh._sql(source.sql("spark"), params)
    with wh._errors():
        if columns:
            df = df.toDF(*columns)
    wh._append(name, df)


def rewrite(wh: SparkWarehouse, stmt: exp.Update | exp.Delete, params: dict[str, Any] | None) -> None:
    """UPDATE / DELETE copy-on-write: compute the table's new rows in Spark, then replace it."""
    if wh.store.run_dml(stmt, params):
        return
    name = stmt.this.name
    if not wh._resolve(name):
        raise TableNotFound(f"Spark: table {name!r} not found.", hint="Create it first.")
    where = stmt.args.get("where")
    cond = exp.func("COALESCE", where.this.copy(), exp.false()) if where is not None else exp.true()
    table = exp.to_table(wh.quote(name), dialect="spark")
    with wh._errors():
        current = wh.spark.table(wh.quote(name))
    if isinstance(stmt, exp.Delete):
        select = exp.select("*").from_(table).where(exp.not_(cond))
    else:
        sets = {e.this.name: e.expression for e in stmt.expressions}
        select = exp.select(*(
            exp.Case().when(cond.copy(), sets[c].copy()).else_(exp.column(c, quoted=True)).as_(c, quoted=True)
            if c in sets else exp.column(c, quoted=True) for c in current.columns
        )).from_(table)
    new = wh._sql(select.sql("spark"), params)
    with wh._errors():
        new = new.select(*(new[c].cast(current.schema[c].dataType).alias(c) for c in current.columns))
    wh.store.replace(name, new)
