"""Content interests: each user's share of views per content section, computed per source in SQL.

Two sources can say what a user reads (docs/features.md, "Content interests"; docs/adr/0009):

* ``page`` — the clickstream's URL path: the configured rules (``[[interests.rules]]``: a path prefix or a
  regular expression -> a section), else the first path segment, lower-cased (``/sports/x`` -> ``sports``).
  Pages without one (the home page ``/``) count in no section.
* ``article`` — the article views joined to an article metadata table (``article_id -> category``). An
  article with several categories splits its view equally among them (1/n each); views of articles
  without a category count in no section.

Per source the top N sections (by views over all users in the window) get a share column each, the rest
one ``other`` column: ``interest_page_<section>_share`` ... ``interest_page_other_share``. A user's shares
of one source sum to 1, or are all 0 when the user has no view with a section there.

Section labels are data: they reach SQL only as string literals that sqlglot quotes, and column names are
sanitised ASCII slugs (:func:`slug`) quoted like every identifier; the label of each column is kept in
:attr:`SourceInterests.columns` (the feature run carries it to names and the report).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from ..errors import ConfigError
from ..presets.compile import table_expression

if TYPE_CHECKING:
    from ..config import InterestSettings
    from ..warehouse import Warehouse

#: source -> the kind of interest it gives (the column prefix ``interest_<kind>_``).
KINDS = {"clickstream": "page", "article_views": "article"}
PREFIX = "interest_"
OTHER = "other"
#: slugs are cut to this many characters so ``interest_article_<slug>_share`` stays under 63 (PostgreSQL).
SLUG_MAX = 32


def slug(label: str) -> str:
    """An ASCII identifier part for ``label``: accents dropped, anything else an underscore, lower case.

    A label with no ASCII letter or digit (``"日本"``) becomes ``s_`` and 8 hex digits of its SHA-1.
    """
    ascii_text = unicodedata.normalize("NFKD", str(label)).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")[:SLUG_MAX].strip("_")
    return text or "s_" + hashlib.sha1(str(label).encode("utf-8")).hexdigest()[:8]


def column_name(kind: str, part: str) -> str:
    return f"{PREFIX}{kind}_{part}_share"


def interest_columns(kind: str, labels: list[str]) -> dict[str, str]:
    """``{column: label}`` for the top ``labels`` (in rank order) and, last, ``other``; slugs made unique."""
    used = {OTHER}
    out: dict[str, str] = {}
    for label in labels:
        base = part = slug(label)
        n = 2
        while part in used:
            part, n = f"{base}_{n}", n + 1
        used.add(part)
        out[column_name(kind, part)] = label
    out[column_name(kind, OTHER)] = OTHER
    return out


def is_interest(column: str) -> bool:
    return column.startswith(PREFIX) and column.endswith("_share")


def kind_of(column: str) -> str | None:
    """``page`` / ``article`` for an interest column, else None."""
    for kind in KINDS.values():
        if column.startswith(f"{PREFIX}{kind}_"):
            return kind
    return None


def fallback_label(column: str) -> str:
    """A readable label from the column name alone (when the feature run's labels are not at hand)."""
    kind = kind_of(column) or ""
    return column.removeprefix(f"{PREFIX}{kind}_").removesuffix("_share").replace("_", " ")


@dataclass
class SourceInterests:
    """The interest columns of one source: ``columns`` maps each column to its section label."""

    source: str
    labels: list[str]
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return KINDS[self.source]

    @property
    def cte(self) -> str:
        return f"{self.kind}_interests"


@dataclass
class InterestPlan:
    """The interest columns of a build, per source (empty: no interest columns)."""

    sources: dict[str, SourceInterests] = field(default_factory=dict)
    rows: dict[str, exp.Select] = field(default_factory=dict, repr=False)

    @property
    def columns(self) -> dict[str, str]:
        return {c: label for s in self.sources.values() for c, label in s.columns.items()}

    def to_dict(self) -> dict[str, dict[str, str]]:
        """``{source: {column: label}}``: what the feature run records."""
        return {name: dict(s.columns) for name, s in self.sources.items()}


# -- the section of each event -------------------------------------------------------------------------
def _regexp_replace(value: exp.Expr, pattern: str, replacement: str = "") -> exp.Expr:
    # no back-references in the replacement: they are written differently in Spark ($1) and elsewhere (\1)
    return exp.func("REGEXP_REPLACE", value, exp.Literal.string(pattern), exp.Literal.string(replacement))


def url_path(url: exp.Expr) -> exp.Expr:
    """The path (and query) of a URL: scheme and host removed when present."""
    return _regexp_replace(url, "^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*")


def first_segment(path: exp.Expr) -> exp.Expr:
    """The first path segment, lower-cased; NULL when there is none (``/``, ``/?q=x``) or when the path is
    one file name (``/index.html``, ``/page.php?id=3``: a page, not a section)."""
    trimmed = _regexp_replace(path, "^/+")
    segment = exp.func("NULLIF", exp.func("LOWER", _regexp_replace(trimmed.copy(), "[/?#].*$")), exp.Literal.string(""))
    a_file = exp.RegexpLike(this=trimmed, expression=exp.Literal.string("^[^/?#]*[.][^/?#]*([?#].*)?$"))
    return exp.Case().when(a_file, exp.null()).else_(segment)


def page_section(url: exp.Expr, settings: InterestSettings) -> exp.Expr:
    """The section of a page view: the first matching rule's section, else the first path segment."""
    path = url_path(url)
    fallback = first_segment(path.copy())
    if not settings.rules:
        return fallback
    case = exp.Case()
    for rule in settings.rules:
        if rule.prefix is not None:
            prefix = exp.Literal.string(rule.prefix)
            test: exp.Expression = exp.EQ(
                this=exp.func("SUBSTRING", path.copy(), exp.Literal.number(1), exp.func("LENGTH", prefix.copy())),
                expression=prefix,
            )
        else:
            test = exp.RegexpLike(this=path.copy(), expression=exp.Literal.string(str(rule.regex)))
        case = case.when(test, exp.Literal.string(rule.section))
    return case.else_(fallback)


def page_rows(settings: InterestSettings) -> exp.Select:
    """(user_id, section, weight) of each click, read from ``clickstream_events``."""
    return exp.select(
        exp.column("user_id"),
        page_section(exp.column("url"), settings).as_("section"),
        exp.cast(exp.Literal.number(1), "DOUBLE").as_("weight"),
    ).from_("clickstream_events")


def article_rows(settings: InterestSettings) -> exp.Select:
    """(user_id, section, weight) of each categorised article view: 1/n to each of n categories."""
    table = settings.article_table
    assert table is not None
    article = exp.cast(exp.column(settings.article_id_column, table="m", quoted=True), "VARCHAR")
    category = exp.func("TRIM", exp.cast(exp.column(settings.category_column, table="m", quoted=True), "VARCHAR"))
    pairs = (exp.select(article.as_("article_id"), category.as_("category")).distinct()
             .from_(table_expression(table).as_("m"))
             .where(exp.and_(category.copy().is_(exp.null()).not_(), exp.NEQ(this=category.copy(), expression=exp.Literal.string("")))))
    per_article = exp.Window(this=exp.Count(this=exp.Star()), partition_by=[exp.column("article_id")])
    weights = exp.select(
        "article_id", "category",
        exp.Div(this=exp.cast(exp.Literal.number(1), "DOUBLE"), expression=per_article).as_("weight"),
    ).from_(pairs.subquery("p"))
    return (
        exp.select(exp.column("user_id", table="e"), exp.column("category", table="c").as_("section"),
                   exp.column("weight", table="c"))
        .from_(exp.to_table("article_events").as_("e"))
        .join(weights.subquery("c"), on=exp.EQ(this=exp.column("article_id", table="c"),
                                              expression=exp.cast(exp.column("article_id", table="e"), "VARCHAR")))
    )


def top_sections_query(rows: exp.Select, n: int) -> exp.Select:
    """The ``n`` sections with the most (weighted) views over all users; ties in label order."""
    # views to 6 decimals (FLOOR(x + 0.5): PostgreSQL has no ROUND of a double), so that sums of 1/n
    # adding up in another order on another engine still tie and fall back to label order
    scaled = exp.Mul(this=exp.Sum(this=exp.column("weight")), expression=exp.Literal.number(1_000_000))
    weight = exp.func("FLOOR", exp.Add(this=scaled, expression=exp.Literal.number(0.5)))
    return (
        exp.select(exp.column("section"), weight.as_("views"))
        .from_(rows.subquery("r"))
        .where(exp.column("section").is_(exp.null()).not_())
        .group_by(exp.column("section"))
        .order_by(exp.Ordered(this=exp.column("views"), desc=True), exp.column("section"))
        .limit(n)
    )


def per_user_query(interests: SourceInterests, rows_cte: str) -> exp.Select:
    """One row per user with a section: the share of each top section, and of the others."""
    total = exp.Sum(this=exp.column("weight"))
    select = exp.select(exp.column("user_id"))
    top = list(interests.columns.values())[:-1]
    for column, label in list(interests.columns.items())[:-1]:
        picked = exp.Case().when(exp.EQ(this=exp.column("section"), expression=exp.Literal.string(label)),
                                 exp.column("weight")).else_(exp.Literal.number(0))
        select = select.select(exp.Div(this=exp.cast(exp.Sum(this=picked), "DOUBLE"), expression=total.copy())
                               .as_(column, quoted=True))
    if top:
        in_top: exp.Expression = exp.In(this=exp.column("section"), expressions=[exp.Literal.string(t) for t in top])
        rest: exp.Expr = exp.Case().when(in_top, exp.Literal.number(0)).else_(exp.column("weight"))
    else:
        rest = exp.column("weight")
    other = list(interests.columns)[-1]
    select = select.select(exp.Div(this=exp.cast(exp.Sum(this=rest), "DOUBLE"), expression=total.copy())
                           .as_(other, quoted=True))
    return (select.from_(rows_cte).where(exp.column("section").is_(exp.null()).not_())
            .group_by(exp.column("user_id")))


# -- planning ------------------------------------------------------------------------------------------
def source_rows(settings: InterestSettings, present: dict[str, bool], warehouse: Warehouse | None) -> dict[str, exp.Select]:
    """The (user_id, section, weight) query of each source that can give interests here."""
    rows: dict[str, exp.Select] = {}
    if not settings.enabled:
        return rows
    if present.get("clickstream") and settings.pages:
        rows["clickstream"] = page_rows(settings)
    if present.get("article_views") and settings.article_table:
        if warehouse is not None:
            _check_article_table(warehouse, settings)
        rows["article_views"] = article_rows(settings)
    return rows


def _check_article_table(warehouse: Warehouse, settings: InterestSettings) -> None:
    table = str(settings.article_table)
    if not warehouse.table_exists(table):
        raise ConfigError(
            f"interests.article_table = {table!r}: no such table in the warehouse.",
            hint="Load the article metadata (article_id, category) with `intentseg ingest`, or remove the key.",
        )
    columns = warehouse.columns(table)
    for key in ("article_id_column", "category_column"):
        name = getattr(settings, key)
        if name not in columns:
            raise ConfigError(
                f"interests.{key} = {name!r}: table {table!r} has no such column. Available: {', '.join(columns)}.",
                hint=f"Set interests.{key} to one of the table's columns.",
            )


def plan_interests(
    warehouse: Warehouse | None,
    settings: InterestSettings,
    present: dict[str, bool],
    with_events: Any,
) -> InterestPlan:
    """Choose each source's top sections (one query per source) and name their columns.

    ``present``: which sources exist; ``with_events(source, select)`` adds the source's time-windowed
    CTE to a query and renders it for the warehouse. Without a warehouse no section is known: the plan is empty (no interest columns).
    """
    plan = InterestPlan(rows=source_rows(settings, present, warehouse))
    if warehouse is None:
        return plan
    for source, rows in plan.rows.items():
        query = with_events(source, top_sections_query(rows.copy(), settings.top_n))
        labels = [str(v) for v in warehouse.query(query)["section"].tolist()]
        if labels:
            plan.sources[source] = SourceInterests(source, labels, interest_columns(KINDS[source], labels))
    return plan


def add_interests(final: exp.Select, plan: InterestPlan, ctes: list[tuple[str, exp.Expression]]) -> exp.Select:
    """The combined query with each source's interest columns LEFT JOINed (0 for users without a section)."""
    for source, interests in plan.sources.items():
        rows_cte = f"{interests.kind}_interest_rows"
        ctes.append((rows_cte, plan.rows[source].copy()))
        ctes.append((interests.cte, per_user_query(interests, rows_cte)))
        alias = f"i_{interests.kind}"
        for column in interests.columns:
            value = exp.func("COALESCE", exp.column(column, table=alias, quoted=True), exp.Literal.number(0))
            final = final.select(value.as_(column, quoted=True))
        final = final.join(
            exp.to_table(interests.cte).as_(alias),
            on=exp.EQ(this=exp.column("user_id", table=alias), expression=exp.column("user_id", table="u")),
            join_type="LEFT",
        )
    return final
