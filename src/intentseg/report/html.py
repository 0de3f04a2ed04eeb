"""``render_report``: every chart as a PNG, plus one self-contained HTML file that opens offline.

The HTML embeds Plotly's JavaScript once, the PNGs as base64 ``data:`` URIs and the interactive
figures as JSON in ``<script type="application/json">`` blocks; it loads nothing from the network.
Everything from data goes through Jinja2's autoescaping; JSON inside ``<script>`` is escaped with
:func:`script_json` so that no value can close the script element.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import re
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import plotly.io as pio
from markupsafe import Markup

from .. import __version__
from ..errors import InputError
from . import charts, interactive
from .data import ReportData

COLOR_NAMES = {"#E69F00": "orange", "#56B4E9": "sky blue", "#009E73": "green", "#0072B2": "blue",
               "#D55E00": "vermillion", "#CC79A7": "pink", "#000000": "black", "#F0E442": "yellow"}
TOP_QUERIES = 5

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("intentseg.report", "templates"),
    autoescape=True,  # every {{ value }} is HTML-escaped unless it is Markup we built ourselves
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_report(data: ReportData, out_dir: str | Path) -> Path:
    """Write ``out_dir/index.html`` and one PNG per chart (``classic.png``, ``sizes.png``, ...).

    Charts that cannot be drawn from the data given (no previous run, a missing column) are left out
    and the report says why. Returns the path of ``index.html``.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / ".intentseg-write-check").touch()
        (out / ".intentseg-write-check").unlink()
    except OSError as exc:
        raise InputError(f"Cannot write the report to {out}: {exc.strerror or exc}.",
                         hint="Choose a folder you can write (it is created if absent).") from None
    figures = [_chart(data, key, plot, title, out) for key, (plot, title) in charts.CHARTS.items()]
    html = render_html(data, figures)
    index = out / "index.html"
    index.write_text(html, encoding="utf-8")
    return index


def render_html(data: ReportData, figures: list[dict[str, Any]]) -> str:
    """The report page, from the chart entries :func:`render_report` prepared."""
    interactive_used = any(f.get("plot_json") for f in figures)
    template = _env.get_template("report.html.j2")
    return template.render(
        title=f"Segments of run {data.run.get('run_id', '')}".strip(),
        summary=_summary(data),
        segments=_segments(data),
        figures=figures,
        scores=_scores(data),
        metrics=_metrics(data),
        settings=[(k, _plain(v)) for k, v in (data.settings or {}).items()],
        feature_sql=data.feature_sql or "",
        plotly_js=Markup(_plotly_js()) if interactive_used else None,
        plotly_config=Markup(script_json(interactive.CONFIG)),
        version=__version__,
        generated_at=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def script_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: ``<``, ``>``, ``&`` and line separators escaped."""
    text = value if isinstance(value, str) else json.dumps(value, default=_plain)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# ------------------------------------------------------------------------------------------ parts
def _chart(data: ReportData, key: str, plot, title: str, out: Path) -> dict[str, Any]:
    entry: dict[str, Any] = {"key": key, "title": title, "png": None, "plot_json": None, "skipped": None}
    try:
        fig = plot(data)
    except InputError as exc:
        entry["skipped"] = exc.message
        return entry
    png = charts.figure_png(fig)
    (out / f"{key}.png").write_bytes(png)
    entry["png"] = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    entry["alt"] = _alt_text(data, key)
    entry["caption"] = _caption(data, key)
    builder = interactive.FIGURES.get(key)
    plotly_figure = builder(data) if builder else None
    if plotly_figure is not None:
        entry["plot_json"] = Markup(script_json(pio.to_json(plotly_figure, validate=False)))
    return entry


def _summary(data: ReportData) -> list[tuple[str, str]]:
    run, sizes = data.run, data.segment_sizes()
    per_source = run.get("events_per_source") or {}
    rows = [
        ("Run", run.get("run_id")),
        ("Users", _count(run.get("n_users", int(sizes.sum())))),
        ("Events", _count(run.get("n_events"))),
        ("Sources", ", ".join(f"{name} ({_count(n)})" for name, n in per_source.items()) or None),
        ("Time range", _range(run.get("first_event"), run.get("last_event"))),
        ("Engine", run.get("engine")),
        ("Warehouse", run.get("warehouse")),
        ("Segments", f"k = {run.get('k', data.k)}"),
        ("Why this k", run.get("why_k") or (getattr(data.model, "selection_", None) or {}).get("rule")),
        ("Ran", _range(run.get("started_at"), run.get("finished_at"))),
    ]
    return [(label, str(value)) for label, value in rows if value not in (None, "")]


def _segments(data: ReportData) -> list[dict[str, Any]]:
    sizes, colors = data.segment_sizes(), charts.segment_colors(data.k)
    total = max(int(sizes.sum()), 1)
    profiles = {p["segment_id"]: p for p in getattr(data.model, "profiles_", [])}
    queries = data.top_queries
    result = []
    for s, name in enumerate(data.segment_names):
        profile = profiles.get(s, {})
        top: list[tuple[str, str]] = []
        if queries is not None:
            mine = queries[queries["segment_id"] == s].sort_values("searches", ascending=False).head(TOP_QUERIES)
            top = [(str(q), _count(n)) for q, n in zip(mine["query"], mine["searches"])]
        result.append({
            "id": s, "name": name, "color": colors[s], "size": _count(int(sizes[s])),
            "size_raw": int(sizes[s]), "share": f"{sizes[s] / total:.1%}",
            "traits": list(profile.get("traits", [])), "advice": profile.get("advice", ""), "queries": top,
            "text_color": "#fff" if colors[s] in ("#0072B2", "#D55E00", "#000000", "#009E73") else "#111",
        })
    return result


def _scores(data: ReportData) -> dict[str, Any]:
    selection = getattr(data.model, "selection_", None) or {}
    rows = []
    for r in selection.get("scores") or []:
        rows.append({"k": int(r["k"]), "chosen": int(r["k"]) == int(selection.get("k", -1)),
                     "values": [_number(r.get(c)) for c in ("silhouette", "calinski_harabasz",
                                                            "davies_bouldin", "inertia")]})
    return {"rule": selection.get("rule", ""), "k": selection.get("k", data.k), "rows": rows}


def _metrics(data: ReportData) -> list[tuple[str, str]]:
    rows = [(name.replace("_", " "), _number(v)) for name, v in (data.run.get("metrics") or {}).items()]
    stability = getattr(data.model, "stability_", None)
    if stability and stability.get("changed_share") is not None:
        rows.append(("users who changed segment (refit)", f"{stability['changed_share']:.1%}"))
    if stability and stability.get("centre_drift"):
        drift = stability["centre_drift"]
        rows.append(("largest centre drift", f"{max(drift.values()):.3g} (segment {max(drift, key=drift.get)})"))
    if data.previous is not None:
        rows.append(("users who changed segment since the previous run", f"{charts.changed_share(data):.1%}"))
    return rows


def _alt_text(data: ReportData, key: str) -> str:
    colors = charts.segment_colors(data.k)
    legend = "; ".join(f"{n} ({COLOR_NAMES.get(c, c)})" for n, c in zip(data.segment_names, colors))
    sizes = data.segment_sizes()
    total = max(int(sizes.sum()), 1)
    if key == "classic":
        return ("Scatter plot of total clicks (horizontal, log scale) against average time per article view "
                f"(vertical, log scale), one point per user, coloured by segment: {legend}.")
    if key == "sizes":
        return "Bar chart of segment sizes: " + "; ".join(
            f"{n}: {int(v):,} users ({v / total:.1%})" for n, v in zip(data.segment_names, sizes)) + "."
    if key == "profiles":
        parts = [f"{p['name']}: {', '.join(p['traits'][:2])}" for p in data.model.profiles_]
        return "Heatmap of how each segment differs from all users, feature by feature. " + "; ".join(parts) + "."
    if key == "k_selection":
        ks = [r["k"] for r in (data.model.selection_.get("scores") or [])]
        span = f"k = {min(ks)} to {max(ks)}" if ks else "the given k"
        return (f"Four line charts of silhouette, Calinski-Harabasz, Davies-Bouldin and inertia for {span}; "
                f"k = {data.model.selection_.get('k', data.k)} is marked as chosen.")
    if key == "projection":
        return f"Scatter plot of users in the first two principal components, coloured by segment ({legend}); " \
               "crosses mark the segment centres."
    if key == "intent_mix":
        mix = charts.intent_mix(data)
        parts = [f"{n}: " + ", ".join(f"{mix[i].iloc[s]:.0%} {i}" for i in charts.INTENTS)
                 for s, n in enumerate(data.segment_names)]
        return "Stacked bars of the search intents of each segment. " + "; ".join(parts) + "."
    if key == "interest_mix":
        parts = []
        for kind, mix in charts.interest_mix(data).items():
            for s, n in enumerate(data.segment_names):
                top = mix.drop(columns="users_with_sections").iloc[s].sort_values(ascending=False).head(3)
                parts.append(f"{charts.INTEREST_TITLES.get(kind, kind)}, {n}: "
                             + ", ".join(f"{v:.0%} {label}" for label, v in top.items()))
        return "Stacked bars of each segment's mix of content sections. " + "; ".join(parts) + "."
    if key == "transitions":
        return ("Matrix of user counts from each segment of the previous run (rows) to each segment of this run "
                f"(columns); {charts.changed_share(data):.1%} of returning users changed segment.")
    return key


def _caption(data: ReportData, key: str) -> str:
    n = len(data.users)
    scatter = charts.SCATTER_SAMPLE
    sample = f" A stratified sample of {scatter:,} of the {n:,} users is drawn." if n > scatter else ""
    return {
        "classic": "Both axes are log(1 + x) so users with no clicks or no article views show on the axis "
                   "lines; points are jittered slightly so equal values do not hide each other." + sample,
        "sizes": "Segments are ordered by engagement, least engaged first.",
        "profiles": "Colour: z-score of the segment's mean (model scale) against all users, orange above and "
                    "purple below average. Text: lift, the segment's mean divided by the overall mean.",
        "k_selection": "Each k is fitted on a sample and scored; the chosen k is marked. Rule: "
                       + str((getattr(data.model, "selection_", None) or {}).get("rule") or "not recorded") + ".",
        "projection": "The model's transformed features projected on their first two principal components."
                      + sample,
        "intent_mix": "Intent shares weighted by the number of searches; on the right, the share of the "
                      "segment's users who searched at all.",
        "interest_mix": "Mean share of each content section among the segment's users who viewed a page or "
                        "article with a section (top sections over all users, the rest as other); on the "
                        "right, the share of the segment's users who did.",
        "transitions": "Rows: segment in the previous run (or new users); columns: segment in this run "
                       "(or left). Cells: users and share of the row.",
    }.get(key, "")


# ---------------------------------------------------------------------------------------- helpers
_PLOTLY_JS: str | None = None


def _plotly_js() -> str:
    global _PLOTLY_JS
    if _PLOTLY_JS is None:
        from plotly.offline import get_plotlyjs

        _PLOTLY_JS = re.sub(r"</(script)", r"<\\/\1", get_plotlyjs(), flags=re.IGNORECASE)
    return _PLOTLY_JS


def _count(value: Any) -> str | None:
    return None if value is None else f"{int(value):,}"


def _number(value: Any) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return f"{value:,.4g}" if abs(value) < 1e5 else f"{value:,.0f}"
    return str(value)


def _range(first: Any, last: Any) -> str | None:
    if first is None and last is None:
        return None
    return f"{_when(first)} → {_when(last)}"


def _when(value: Any) -> str:
    """A timestamp to the second (datetimes, pandas Timestamps or ISO text); '?' when unknown."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "?"
    if isinstance(value, str):
        try:
            value = _dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if hasattr(value, "strftime"):
        zone = " UTC" if getattr(value, "utcoffset", lambda: None)() == _dt.timedelta(0) else ""
        return value.strftime("%Y-%m-%d %H:%M:%S") + zone
    return str(value)


def _plain(value: Any) -> Any:
    """JSON-friendly numpy/pandas values (and settings shown as text)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, default=str)
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
