"""Scoring in the warehouse: one query that applies the transform and finds each user's nearest centre.

The query is built as a sqlglot expression tree (never by pasting strings) and written for each engine
by the dialect of the one registry (``warehouse.dialects``). It repeats the Python arithmetic step by
step, so it assigns the same ids as ``Segmenter.predict``:

* ``log`` columns: ``LN(1 + GREATEST(x, 0))`` (never ``LN(0)``, which is NULL on MariaDB); shares and
  flags: ``LEAST(GREATEST(x, 0), 1)``; pooled shares (and pooled averages, after their ``LN``)
  ``(n * share + pseudo * prior) / (n + pseudo)`` with n = ``GREATEST(count, 0)``; then ``(value - center) / scale``. NULL counts as 0, the
  features contract's value for "no rows in that source".
* squared distances summed feature by feature; the first id whose distance is <= every later one wins,
  i.e. the lowest id among ties, as ``argmin`` does.
* model numbers are literals with ``repr`` precision; identifiers are quoted by sqlglot. Segment names
  are bound parameters (:func:`bound_scoring_sql`, what the pipeline runs) or, in the text users copy
  (``Segmenter.to_sql``), string literals escaped by sqlglot for the dialect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlglot import exp

from ..warehouse.dialects import render

if TYPE_CHECKING:
    from .segmenter import Segmenter


def _number(x: float) -> exp.Expression:
    text = repr(float(x))
    lit = exp.Literal.number(text)
    return exp.paren(lit) if text.startswith("-") else lit


def _table(name: str) -> exp.Table:
    """``features_table`` may be qualified: ``schema.table`` is quoted part by part."""
    *db, table = name.split(".")
    return exp.Table(
        this=exp.to_identifier(table, quoted=True),
        db=exp.to_identifier(db[-1], quoted=True) if db else None,
        catalog=exp.to_identifier(db[-2], quoted=True) if len(db) > 1 else None,
    )


def _col(name: str) -> exp.Column:
    """One column, quoted as one identifier (a column ``u.r.l`` is not split)."""
    return exp.column(name, quoted=True)


def _sum(terms: list[exp.Expression]) -> exp.Expression:
    total = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return total


def _value(name: str) -> exp.Expression:
    """The column as DOUBLE, NULL as 0."""
    v: exp.Expression = exp.func("COALESCE", exp.cast(_col(name), "DOUBLE"), exp.Literal.number(0))
    return v


def _transformed(name: str, kind: str, center: float, scale: float,
                 pool: tuple[str, float, float] | None = None) -> exp.Expression:
    """``(f(value) - center) / scale`` of one feature column, as ``Transform`` computes it; ``pool``:
    (count column, pseudo * prior, pseudo) of a pooled share or log average,
    ``(n * value + pseudo * prior) / (n + pseudo)``."""
    v: exp.Expression = _value(name)
    if kind == "log":
        v = exp.func("LN", exp.Add(this=exp.Literal.number(1), expression=exp.func("GREATEST", v, exp.Literal.number(0))))
    elif kind in ("share", "flag"):
        v = exp.func("LEAST", exp.func("GREATEST", v, exp.Literal.number(0)), exp.Literal.number(1))
    if pool is not None:
        count, weighted_prior, pseudo = pool
        n = exp.func("GREATEST", _value(count), exp.Literal.number(0))
        top = exp.Add(this=exp.Mul(this=n, expression=v), expression=_number(weighted_prior))
        v = exp.Div(this=exp.paren(top), expression=exp.paren(exp.Add(this=n.copy(), expression=_number(pseudo))))
    return exp.Div(this=exp.paren(exp.Sub(this=v, expression=_number(center))), expression=_number(scale))


def scoring_query(
    model: Segmenter, *, features_table: str, user_id: str = "user_id", bind_names: bool = True
) -> tuple[exp.Select, dict[str, Any]]:
    """The scoring query as a sqlglot tree, and the values of its parameters.

    With ``bind_names`` the segment names are placeholders ``:segment_name_<id>`` whose values are
    returned; otherwise they are string literals (and the parameters are empty).
    """
    t = model.transform_
    centers = model.cluster_centers_
    k, d = centers.shape
    params: dict[str, Any] = {}

    z = exp.select(_col(user_id).as_("user_id")).from_(_table(features_table))
    pools = {j: (t.names[c], wp, m) for j, c, wp, m in t.pooled()}
    for j, (name, kind) in enumerate(zip(t.names, t.kinds)):
        z = z.select(_transformed(name, kind, t.center[j], t.scale[j], pools.get(j)).as_(f"z{j}"))

    dist = exp.select("user_id").from_("z")
    for s in range(k):
        terms: list[exp.Expression] = []
        for j in range(d):
            diff = exp.paren(exp.Sub(this=exp.column(f"z{j}"), expression=_number(centers[s, j])))
            terms.append(exp.Mul(this=diff, expression=diff.copy()))
        dist = dist.select(_sum(terms).as_(f"d{s}"))

    nearest: exp.Expression = exp.Literal.number(0)
    if k > 1:
        case = exp.Case()
        for s in range(k - 1):
            cond = exp.and_(*(exp.column(f"d{s}") <= exp.column(f"d{u}") for u in range(s + 1, k)))
            case = case.when(cond, exp.Literal.number(s))
        nearest = case.else_(exp.Literal.number(k - 1))
    assign = exp.select("user_id", *(f"d{s}" for s in range(k))).select(nearest.as_("segment_id")).from_("d")

    names = exp.Case(this=exp.column("segment_id"))
    for s, segment_name in enumerate(model.segment_names_):
        if bind_names:
            params[f"segment_name_{s}"] = str(segment_name)
            value: exp.Expression = exp.cast(exp.Placeholder(this=f"segment_name_{s}"), "VARCHAR")
        else:
            value = exp.Literal.string(str(segment_name))
        names = names.when(exp.Literal.number(s), value)
    distance = exp.Case(this=exp.column("segment_id"))
    for s in range(k):
        distance = distance.when(exp.Literal.number(s), exp.column(f"d{s}"))

    query = (
        exp.select("user_id", "segment_id", names.as_("segment_name"), exp.func("SQRT", distance).as_("distance"))
        .from_("a")
        .with_("z", as_=z)
        .with_("d", as_=dist)
        .with_("a", as_=assign)
    )
    return query, params


def scoring_sql(model: Segmenter, *, dialect: str, features_table: str, user_id: str) -> str:
    """The scoring query as text for ``dialect``, segment names as escaped literals (``Segmenter.to_sql``)."""
    query, _ = scoring_query(model, features_table=features_table, user_id=user_id, bind_names=False)
    return render(query, dialect, pretty=True)


def bound_scoring_sql(
    model: Segmenter, *, dialect: str, features_table: str, user_id: str = "user_id"
) -> tuple[str, dict[str, Any]]:
    """The scoring query for ``dialect`` with ``:segment_name_<id>`` parameters, and their values: what
    the pipeline runs through ``Warehouse.query``/``execute``, so no name is pasted into SQL text."""
    query, params = scoring_query(model, features_table=features_table, user_id=user_id, bind_names=True)
    return render(query, dialect, pretty=False), params
