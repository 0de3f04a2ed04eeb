"""Interactive (Plotly) versions of the charts where hovering helps: the two scatter plots, the profile
heatmap, the k scan and the transition matrix. The HTML report shows these on screen and the PNGs in print.

Every string that comes from data (segment names) is HTML-escaped before it reaches Plotly: Plotly
renders a subset of HTML in names and labels, and decodes ``&lt;`` back to ``<`` as plain text.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import charts
from .data import ReportData

#: Users drawn in an interactive scatter plot (SVG, so the page stays light and needs no WebGL).
SCATTER_SAMPLE = 4_000
FONT = dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size=13, color="#222")
CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def _layout(fig: go.Figure, height: int, **kwargs: Any) -> go.Figure:
    fig.update_layout(template="plotly_white", font=FONT, height=height, margin=dict(l=10, r=10, t=40, b=10),
                      hoverlabel=dict(font_size=12), **kwargs)
    return fig


def _names(data: ReportData) -> list[str]:
    return [html.escape(n) for n in data.segment_names]


def _wrapped(label: str) -> str:
    """An escaped label broken into short lines (Plotly's ``<br>``), for heatmap axes."""
    return "<br>".join(html.escape(line) for line in charts._wrap(label).split("\n"))


def figure_classic(data: ReportData) -> go.Figure:
    users = data.users
    rows = charts.sample_rows(users, SCATTER_SAMPLE)
    clicks = users["clicks"].to_numpy(float)[rows]
    reading = users["article_time_avg_s"].to_numpy(float)[rows]
    x, y = charts._jitter(clicks, seed=1), charts._jitter(reading, seed=2)
    seg = users["segment_id"].to_numpy()[rows]
    uid = users["user_id"].to_numpy()[rows] if "user_id" in users else rows
    colors, names = charts.segment_colors(data.k), _names(data)
    fig = go.Figure()
    for s in range(data.k):
        m = seg == s
        fig.add_trace(go.Scatter(
            x=x[m], y=y[m], mode="markers", name=names[s], marker=dict(color=colors[s], size=5, opacity=0.5),
            customdata=np.c_[uid[m].astype(str), clicks[m], reading[m]],
            hovertemplate="user %{customdata[0]}<br>clicks %{customdata[1]:,.0f}<br>"
                          "reading %{customdata[2]:,.0f} s per article<extra>%{fullData.name}</extra>"))
    for axis, vmax in (("xaxis", users["clicks"].max()), ("yaxis", users["article_time_avg_s"].max())):
        ticks = charts.log1p_ticks(float(vmax))
        fig.update_layout({axis: dict(tickvals=np.log1p(ticks).tolist(), ticktext=[charts.tick_text(t) for t in ticks],
                                      zeroline=False)})
    fig.update_xaxes(title="total clicks (log scale, 0 included)")
    fig.update_yaxes(title="average time per article view, s")
    return _layout(fig, 520, legend=dict(title="Segment", itemsizing="constant"))


def figure_projection(data: ReportData) -> go.Figure:
    proj = charts.projection(data, SCATTER_SAMPLE)
    colors, names = charts.segment_colors(data.k), _names(data)
    fig = go.Figure()
    for s in range(data.k):
        m = proj.segment == s
        fig.add_trace(go.Scatter(
            x=proj.points[m, 0], y=proj.points[m, 1], mode="markers", name=names[s], legendgroup=str(s),
            marker=dict(color=colors[s], size=5, opacity=0.5), customdata=proj.user_id[m].astype(str),
            hovertemplate="user %{customdata}<extra>%{fullData.name}</extra>"))
    fig.add_trace(go.Scatter(
        x=proj.centres[:, 0], y=proj.centres[:, 1], mode="markers+text", name="centres",
        text=[str(s) for s in range(data.k)], textposition="top right",
        marker=dict(symbol="x", size=16, color=colors, line=dict(color="black", width=1.5)),
        hovertext=[f"centre of {n}" for n in names], hoverinfo="text"))
    fig.update_xaxes(title=f"principal component 1 ({proj.explained[0]:.0%} of variance)")
    fig.update_yaxes(title=f"principal component 2 ({proj.explained[1]:.0%} of variance)")
    return _layout(fig, 520, legend=dict(title="Segment", itemsizing="constant"))


def figure_profiles(data: ReportData) -> go.Figure:
    features = list(data.model.feature_names_)
    profiles = sorted(data.model.profiles_, key=lambda p: p["segment_id"])
    z = [[p["features"][f]["z"] for p in profiles] for f in features]
    stats = [[p["features"][f] for p in profiles] for f in features]
    text = [["–" if s["lift"] is None else charts._times(s["lift"]) for s in row] for row in stats]
    custom = [[[s["mean"], s["overall_mean"]] for s in row] for row in stats]
    limit = max(1.0, min(3.0, float(np.nanmax(np.abs(z))) if len(z) else 1.0))
    fig = go.Figure(go.Heatmap(
        z=z, x=[_wrapped(f"{s}: {n}") for s, n in enumerate(data.segment_names)], y=[charts.feature_label(f, charts.interest_labels(data)) for f in features],
        text=text, texttemplate="%{text}", customdata=custom, colorscale="PuOr", reversescale=True, zmid=0,
        zmin=-limit, zmax=limit, colorbar=dict(title=dict(text="z-score", side="right")),
        hovertemplate="%{x}<br>%{y}<br>mean %{customdata[0]:,.3g} vs %{customdata[1]:,.3g} overall"
                      "<br>lift %{text}, z %{z:.2f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(side="top", tickangle=0)
    return _layout(fig, 28 * len(features) + 200)


def figure_k_selection(data: ReportData) -> go.Figure | None:
    selection = getattr(data.model, "selection_", None) or {}
    scores = pd.DataFrame(selection.get("scores") or [])
    if len(scores) < 2:
        return None
    k = int(selection.get("k", data.k))
    panels = (("silhouette", "Silhouette (higher is better)"),
              ("calinski_harabasz", "Calinski-Harabasz (higher is better)"),
              ("davies_bouldin", "Davies-Bouldin (lower is better)"),
              ("inertia", "Inertia (look for the elbow)"))
    fig = make_subplots(rows=2, cols=2, subplot_titles=[t for _, t in panels], shared_xaxes=True,
                        vertical_spacing=0.14, horizontal_spacing=0.1)
    for i, (column, title) in enumerate(panels):
        row, col = i // 2 + 1, i % 2 + 1
        fig.add_trace(go.Scatter(x=scores["k"], y=scores[column], mode="lines+markers", name=title,
                                 line=dict(color="#0072B2"), showlegend=False,
                                 hovertemplate="k = %{x}<br>%{y:,.4g}<extra></extra>"), row=row, col=col)
        chosen = scores[scores["k"] == k]
        fig.add_trace(go.Scatter(x=chosen["k"], y=chosen[column], mode="markers", showlegend=False,
                                 marker=dict(size=14, color="rgba(0,0,0,0)", line=dict(color="#D55E00", width=2.5)),
                                 hovertemplate="chosen k = %{x}<br>%{y:,.4g}<extra></extra>"), row=row, col=col)
        fig.add_vline(x=k, line=dict(color="#D55E00", dash="dash", width=1), row=row, col=col)
    fig.update_xaxes(dtick=1)
    fig.update_xaxes(title="k (number of segments)", row=2)
    return _layout(fig, 520)


def figure_transitions(data: ReportData) -> go.Figure | None:
    if data.previous is None:
        return None
    table = charts.transition_table(data)
    counts = table.to_numpy()
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    text = [[f"{c:,}<br>{s:.0%}" for c, s in zip(rc, rs)] for rc, rs in zip(counts, share)]
    fig = go.Figure(go.Heatmap(
        z=share, x=[_wrapped(c) for c in table.columns], y=[_wrapped(r) for r in table.index], text=text,
        texttemplate="%{text}", colorscale="Blues", zmin=0, zmax=1, customdata=counts,
        colorbar=dict(title=dict(text="share of row", side="right")),
        hovertemplate="from %{y}<br>to %{x}<br>%{customdata:,} users (%{z:.1%} of the row)<extra></extra>"))
    fig.update_yaxes(autorange="reversed", title="previous run")
    fig.update_xaxes(side="top", title="this run", tickangle=0)
    return _layout(fig, 60 * len(table.index) + 200)


#: Chart key (as in :data:`charts.CHARTS`) -> builder of its interactive version.
FIGURES: dict[str, Callable[[ReportData], go.Figure | None]] = {
    "classic": figure_classic,
    "profiles": figure_profiles,
    "k_selection": figure_k_selection,
    "projection": figure_projection,
    "transitions": figure_transitions,
}
