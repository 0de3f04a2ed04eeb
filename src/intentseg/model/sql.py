"""Scoring in the warehouse: one query that applies the transform and finds each user's nearest centre.

The query is written once in DuckDB's dialect and transpiled with sqlglot to the others. It repeats
the Python arithmetic step by step, so it assigns the same ids as ``Segmenter.predict``:

* ``log`` columns: ``LN(1 + GREATEST(x, 0))`` (never ``LN(0)``, which is NULL on MariaDB); shares and
  flags: ``LEAST(GREATEST(x, 0), 1)``; then ``(value - center) / scale``. NULL counts as 0, the
  features contract's value for "no rows in that source".
* squared distances summed feature by feature; the first id whose distance is <= every later one wins,
  i.e. the lowest id among ties, as ``argmin`` does.
* model numbers are written as literals with ``repr`` precision; identifiers and names are quoted by
  sqlglot, never pasted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp

from ..errors import InputError

if TYPE_CHECKING:
    from .segmenter import Segmenter

DIALECTS = {"duckdb": "duckdb", "mysql": "mysql", "mariadb": "mysql", "postgres": "postgres",
            "postgresql": "postgres", "spark": "spark"}


def quote(name: str) -> str:
    """The one quoting function: an identifier in DuckDB's dialect (transpiled later)."""
    return exp.to_identifier(name, quoted=True).sql("duckdb")


def _table(name: str) -> str:
    return ".".join(quote(part) for part in name.split("."))


def _num(x: float) -> str:
    text = repr(float(x))
    return f"({text})" if text.startswith("-") else text


def _str(s: str) -> str:
    return exp.Literal.string(s).sql("duckdb")


def scoring_sql(model: Segmenter, *, dialect: str, features_table: str, user_id: str) -> str:
    try:
        target = DIALECTS[dialect.lower()]
    except KeyError:
        raise InputError(f"Unknown SQL dialect {dialect!r}.", hint=f"Use one of: {', '.join(DIALECTS)}.") from None
    t = model.transform_
    centers = model.cluster_centers_
    k, d = centers.shape

    zcols = []
    for j, (name, kind) in enumerate(zip(t.names, t.kinds)):
        v = f"COALESCE(CAST({quote(name)} AS DOUBLE), 0)"
        if kind == "log":
            v = f"LN(1 + GREATEST({v}, 0))"
        elif kind in ("share", "flag"):
            v = f"LEAST(GREATEST({v}, 0), 1)"
        zcols.append(f"({v} - {_num(t.center[j])}) / {_num(t.scale[j])} AS z{j}")

    dcols = []
    for s in range(k):
        terms = " + ".join(f"(z{j} - {_num(centers[s, j])}) * (z{j} - {_num(centers[s, j])})" for j in range(d))
        dcols.append(f"{terms} AS d{s}")

    whens = []
    for s in range(k - 1):
        cond = " AND ".join(f"d{s} <= d{u}" for u in range(s + 1, k))
        whens.append(f"WHEN {cond} THEN {s}")
    nearest = f"CASE {' '.join(whens)} ELSE {k - 1} END" if k > 1 else "0"
    names = " ".join(f"WHEN {s} THEN {_str(n)}" for s, n in enumerate(model.segment_names_))
    dist = " ".join(f"WHEN {s} THEN d{s}" for s in range(k))
    uid = quote(user_id)
    sql = f"""
WITH z AS (
  SELECT {uid} AS user_id, {', '.join(zcols)}
  FROM {_table(features_table)}
), d AS (
  SELECT user_id, {', '.join(dcols)}
  FROM z
), a AS (
  SELECT user_id, {', '.join(f'd{s}' for s in range(k))}, {nearest} AS segment_id
  FROM d
)
SELECT user_id, segment_id, CASE segment_id {names} END AS segment_name,
  SQRT(CASE segment_id {dist} END) AS distance
FROM a
"""
    return sqlglot.transpile(sql, read="duckdb", write=target, pretty=True)[0]
