"""The report's charts, one function per chart, each returning a matplotlib :class:`~matplotlib.figure.Figure`.

Figures are built without pyplot (``Figure()`` + the Agg canvas), so they are thread-safe, never open a
window, and show inline when a notebook cell returns one. Segment ``s`` has colour
``segment_colors(k)[s]`` in every chart (and in the HTML): colours follow engagement order.

Large runs stay fast: the two scatter plots draw a sample of users stratified by segment (every
segment keeps at least a few hundred points; captions say how many were drawn) and everything else is
computed from per-segment aggregates.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pandas as pd
from matplotlib import colormaps, rc_context
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from ..errors import InputError, MissingColumnError
from ..features.interests import KINDS, OTHER, is_interest, kind_of
from ..model.naming import label_of, section_of
from .data import ReportData

#: Okabe & Ito's colour-blind safe palette, in the order segments take it (yellow late: weak on white).
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#000000", "#F0E442")
#: Shades of one blue for the four search intents, so they never look like a segment's colour.
INTENT_COLORS = ("#1F3A5F", "#4A6FA5", "#8FAACC", "#D3DEEC")
INTENTS = ("navigational", "informational", "transactional", "commercial")
#: Content sections take a qualitative palette unlike the segments' (their "other" share is grey).
SECTION_CMAP = "tab20"
OTHER_COLOR = "#C8C8C8"
INTEREST_TITLES = {"page": "Page sections (URL path)", "article": "Article categories"}

SCATTER_SAMPLE = 30_000
PROJECTION_SAMPLE = 20_000
DPI = 120
_SEED = 0

_F = TypeVar("_F", bound=Callable[..., object])


def _literal_text(fn: _F) -> _F:
    """Segment names, queries and titles are user text: draw them literally, never as mathtext.

    A name like ``$\\frac{$ spenders`` would otherwise go to matplotlib's math parser (and fail). Every
    Text made while ``fn`` runs keeps ``parse_math=False``; tick labels are created when set, inside ``fn``.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        with rc_context({"text.parse_math": False}):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def segment_colors(k: int) -> list[str]:
    """Colour of each segment id: Okabe-Ito up to 8 segments, viridis (in engagement order) beyond."""
    if k <= len(OKABE_ITO):
        return list(OKABE_ITO[:k])
    cmap = colormaps["viridis"]
    return [_hex(cmap(i / (k - 1))) for i in range(k)]


def feature_label(name: str, sections: dict[str, str] | None = None) -> str:
    """A feature's name in words, for axes and heatmap rows (``sections``: interest columns' labels)."""
    for prefix, what in (("intent_", "intent"), ("device_", "device"), ("referrer_", "referrer")):
        if name.startswith(prefix) and name.endswith("_share"):
            return f"{what}: {name[len(prefix):-len('_share')]} (share)"
    return label_of(name, sections)


# --------------------------------------------------------------------------------------------- charts
@_literal_text
def plot_classic(data: ReportData) -> Figure:
    """Total clicks vs average time on articles, one colour per named segment.

    Both axes are log(1 + x), so users with zero clicks or no article views still show (on the axis
    lines); points are jittered a little so that equal values do not hide each other, and at most
    :data:`SCATTER_SAMPLE` users (stratified by segment) are drawn.
    """
    users = _require(data.users, ["clicks", "article_time_avg_s"], "the classic chart")
    if not (users["clicks"].to_numpy(float) > 0).any() and not (users["article_time_avg_s"].to_numpy(float) > 0).any():
        # every point would sit at (0, 0), spread by the jitter alone: a cloud that shows nothing but noise
        raise InputError("no user has a click or a timed article view (this warehouse has no clickstream and no "
                         "article time_spent), so every user would sit at (0, 0).",
                         hint="The segment profiles and the 2-D projection show these segments.")
    rows = sample_rows(users, SCATTER_SAMPLE)
    x = _jitter(users["clicks"].to_numpy(float)[rows], seed=1)
    y = _jitter(users["article_time_avg_s"].to_numpy(float)[rows], seed=2)
    seg = users["segment_id"].to_numpy()[rows]
    colors, names = segment_colors(data.k), data.segment_names

    fig = Figure(figsize=(9.5, 5.6), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    sizes = data.segment_sizes()
    for s in np.argsort(-sizes, kind="stable"):  # biggest first, so small segments stay visible on top
        mine = seg == s
        ax.scatter(x[mine], y[mine], s=6, color=colors[s], alpha=0.35, linewidths=0, rasterized=True)
    _log1p_axis(ax, "x", users["clicks"].max())
    _log1p_axis(ax, "y", users["article_time_avg_s"].max())
    ax.set_xlabel("total clicks (log scale, 0 included)")
    ax.set_ylabel("average time per article view, s (log scale, 0 included)")
    shown = f"{len(rows):,} of {len(users):,} users" if len(rows) < len(users) else f"{len(users):,} users"
    ax.set_title(f"Clicks vs reading time by segment ({shown})", loc="left")
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    handles = [Line2D([], [], marker="o", linestyle="", color=colors[s], markersize=8) for s in range(data.k)]
    ax.legend(handles, names, title="Segment (least → most engaged)", loc="upper left",
              bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


@_literal_text
def plot_sizes(data: ReportData) -> Figure:
    """Users and share of each segment, least engaged at the top."""
    sizes = data.segment_sizes()
    total = max(int(sizes.sum()), 1)
    fig = Figure(figsize=(9.5, 0.55 * data.k + 1.4), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    ids = np.arange(data.k)
    ax.barh(ids, sizes, color=segment_colors(data.k), edgecolor="#333333", linewidth=0.5)
    ax.set_yticks(ids, [_wrap(n) for n in data.segment_names])
    ax.invert_yaxis()
    top = sizes.max() if sizes.max() > 0 else 1
    for s, n in enumerate(sizes):
        ax.text(n + top * 0.01, s, f"{n:,} users · {n / total:.1%}", va="center", fontsize=9)
    ax.set_xlim(0, top * 1.3)
    ax.set_xlabel("users")
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(f"Segment sizes ({total:,} users)", loc="left")
    return fig


@_literal_text
def plot_profiles(data: ReportData) -> Figure:
    """Heatmap: colour = z-score of each segment's mean feature (transformed space); text = lift."""
    features = list(data.model.feature_names_)
    profiles = sorted(data.model.profiles_, key=lambda p: p["segment_id"])
    z = np.array([[p["features"][f]["z"] for p in profiles] for f in features], dtype=float)
    lift = [[p["features"][f]["lift"] for p in profiles] for f in features]
    limit = max(1.0, min(3.0, float(np.nanmax(np.abs(z))) if z.size else 1.0))

    fig = Figure(figsize=(max(7.5, 1.35 * data.k + 3.6), 0.34 * len(features) + 2.4), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(np.clip(z, -limit, limit), cmap="PuOr_r", norm=TwoSlopeNorm(0, -limit, limit), aspect="auto")
    for i in range(len(features)):
        for j in range(data.k):
            text = "–" if lift[i][j] is None else _times(lift[i][j])
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if abs(z[i, j]) > 0.6 * limit else "#222222")
    ax.set_yticks(range(len(features)), [feature_label(f, interest_labels(data)) for f in features])
    ax.set_xticks(range(data.k), [_wrap(n) for n in data.segment_names], fontsize=9)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    for j, color in enumerate(segment_colors(data.k)):  # a colour strip above each segment's column
        ax.add_patch(Rectangle((j - 0.5, -0.5), 1, -0.35, color=color, clip_on=False, transform=ax.transData))
    ax.set_ylim(len(features) - 0.5, -0.85)
    ax.spines[:].set_visible(False)
    bar = fig.colorbar(image, ax=ax, shrink=0.6, pad=0.02)
    bar.set_label("z-score vs all users (below ← 0 → above)")
    ax.set_title("Segment profiles: colour = z-score, text = lift (segment mean / overall mean)",
                 loc="left", fontsize=10)
    return fig


@_literal_text
def plot_k_selection(data: ReportData) -> Figure:
    """Silhouette, Calinski-Harabasz, Davies-Bouldin and inertia across the k scanned; chosen k marked."""
    selection = getattr(data.model, "selection_", None) or {}
    scores = pd.DataFrame(selection.get("scores") or [])
    k = int(selection.get("k", data.k))
    fig = Figure(figsize=(9.5, 5.6), dpi=DPI, layout="constrained")
    if len(scores) < 2:  # k was given: nothing to compare, say so (with the scores of that k)
        ax = fig.add_subplot()
        ax.axis("off")
        note = f"k = {k} was given; no range of k was scanned."
        if len(scores):
            r = scores.iloc[0]
            note += (f"\nsilhouette {r['silhouette']:.3f} · Calinski-Harabasz {r['calinski_harabasz']:,.0f}"
                     f" · Davies-Bouldin {r['davies_bouldin']:.3f}")
        ax.text(0.5, 0.5, note, ha="center", va="center", fontsize=12)
        return fig
    panels = (
        ("silhouette", "Silhouette (higher is better)"),
        ("calinski_harabasz", "Calinski-Harabasz (higher is better)"),
        ("davies_bouldin", "Davies-Bouldin (lower is better)"),
        ("inertia", "Inertia (look for the elbow)"),
    )
    axes = fig.subplots(2, 2, sharex=True)
    chosen = scores["k"] == k
    for ax, (column, title) in zip(axes.flat, panels):
        ax.plot(scores["k"], scores[column], marker="o", color="#0072B2", linewidth=1.5)
        ax.plot(scores.loc[chosen, "k"], scores.loc[chosen, column], marker="o", markersize=11,
                markerfacecolor="none", markeredgecolor="#D55E00", markeredgewidth=2, linestyle="")
        ax.axvline(k, color="#D55E00", linestyle="--", linewidth=1)
        ax.set_title(title, loc="left", fontsize=10)
        ax.grid(True, color="#e5e5e5", linewidth=0.6)
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_xticks(scores["k"])
    for ax in axes[1]:
        ax.set_xlabel("k (number of segments)")
    rule = selection.get("rule", "")
    fig.suptitle(f"Choosing k: k = {k}" + (f" ({rule})" if rule else ""), x=0.01, ha="left", fontsize=11)
    return fig


@_literal_text
def plot_projection(data: ReportData) -> Figure:
    """Users in the first two principal components of the model's space, centres marked with ×."""
    proj = projection(data)
    colors = segment_colors(data.k)
    fig = Figure(figsize=(9.5, 5.6), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    order = np.argsort(-data.segment_sizes(), kind="stable")
    for s in order:
        mine = proj.segment == s
        ax.scatter(proj.points[mine, 0], proj.points[mine, 1], s=6, color=colors[s], alpha=0.35,
                   linewidths=0, rasterized=True)
    for s in range(data.k):
        cx, cy = proj.centres[s]
        ax.scatter([cx], [cy], marker="X", s=170, color=colors[s], edgecolors="black", linewidths=1.2, zorder=3)
        ax.annotate(str(s), (cx, cy), xytext=(7, 7), textcoords="offset points", fontsize=9, weight="bold")
    ax.set_xlabel(f"principal component 1 ({proj.explained[0]:.0%} of variance)")
    ax.set_ylabel(f"principal component 2 ({proj.explained[1]:.0%} of variance)")
    ax.grid(True, color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)
    shown = f"{len(proj.segment):,} of {len(data.users):,} users"
    ax.set_title(f"2-D projection (PCA) of the model space, {shown}; × = segment centres", loc="left", fontsize=10)
    handles = [Line2D([], [], marker="o", linestyle="", color=colors[s], markersize=8) for s in range(data.k)]
    ax.legend(handles, [f"{s}: {n}" for s, n in enumerate(data.segment_names)], title="Segment",
              loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


@_literal_text
def plot_intent_mix(data: ReportData) -> Figure:
    """Share of each search intent in every segment's searches, and the share of users who searched."""
    mix = intent_mix(data)
    if not (mix["searches"] > 0).any():
        raise InputError("no user searched (this warehouse has no search queries), so there is no intent to show.",
                         hint="Load site searches into search_queries to see each segment's search intents.")
    fig = Figure(figsize=(9.5, 0.55 * data.k + 1.8), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    left = np.zeros(data.k)
    for i, intent in enumerate(INTENTS):
        values = mix[intent].to_numpy()
        ax.barh(mix.index, values, left=left, color=INTENT_COLORS[i], label=intent, edgecolor="white", linewidth=0.6)
        for s, (v, l) in enumerate(zip(values, left)):
            if v >= 0.07:
                ax.text(l + v / 2, s, f"{v:.0%}", ha="center", va="center", fontsize=8,
                        color="white" if i < 2 else "#222222")
        left += values
    for s in range(data.k):
        note = f"{mix['searched'].iloc[s]:.0%} searched" if mix["searches"].iloc[s] > 0 else "no searches"
        ax.text(1.02, s, note, va="center", fontsize=9)
    _mix_axes(ax, data, "share of the segment's searches")
    ax.legend(title="Query intent", ncols=4, loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False)
    return fig


def _mix_axes(ax, data: ReportData, xlabel: str) -> None:
    """A stacked-share bar chart's frame: one row per segment (framed in its colour), 0-100% across."""
    ax.set_yticks(range(data.k), [_wrap(n) for n in data.segment_names])
    for tick, color in zip(ax.get_yticklabels(), segment_colors(data.k)):
        tick.set_bbox(dict(facecolor="none", edgecolor=color, linewidth=2, boxstyle="round,pad=0.25"))
    ax.invert_yaxis()
    ax.set_xlim(0, 1.2)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    ax.set_xlabel(xlabel)
    ax.spines[["top", "right"]].set_visible(False)


@_literal_text
def plot_interest_mix(data: ReportData) -> Figure:
    """Per segment, the mean share of each content section, one panel per source (pages, articles)."""
    mixes = interest_mix(data)
    fig = Figure(figsize=(10.5, (0.5 * data.k + 1.9) * len(mixes) + 0.3), dpi=DPI, layout="constrained")
    axes = fig.subplots(len(mixes), 1, squeeze=False)[:, 0]
    cmap = colormaps[SECTION_CMAP]
    for ax, (kind, mix) in zip(axes, mixes.items()):
        left = np.zeros(data.k)
        sections = [c for c in mix.columns if c != "users_with_sections"]
        for i, section in enumerate(sections):
            values = mix[section].to_numpy()
            color = OTHER_COLOR if section == OTHER and i == len(sections) - 1 else _hex(cmap(i % cmap.N))
            ax.barh(mix.index, values, left=left, color=color, label=section, edgecolor="white", linewidth=0.6)
            for s, (v, start) in enumerate(zip(values, left)):
                if v >= 0.08:
                    ax.text(start + v / 2, s, f"{v:.0%}", ha="center", va="center", fontsize=8, color="#222222")
            left += values
        for s in range(data.k):
            ax.text(1.02, s, f"{mix['users_with_sections'].iloc[s]:.0%} of users", va="center", fontsize=9)
        _mix_axes(ax, data, "mean share of the views of users with a section")
        ax.set_title(INTEREST_TITLES.get(kind, kind), loc="left")
        ax.legend(ncols=min(len(sections), 5), loc="lower left", bbox_to_anchor=(0, 1.08), frameon=False, fontsize=8)
    return fig


@_literal_text
def plot_transitions(data: ReportData) -> Figure:
    """From-segment (previous run) → to-segment (this run) user counts, with row percentages.

    Raises :class:`~intentseg.errors.InputError` when ``data.previous`` is None (there is nothing to
    compare with); :func:`~intentseg.report.render_report` then leaves the chart out.
    """
    table = transition_table(data)
    counts = table.to_numpy()
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig = Figure(figsize=(max(7.5, 1.3 * counts.shape[1] + 3.5), 0.5 * counts.shape[0] + 2.6), dpi=DPI,
                 layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            ax.text(j, i, f"{counts[i, j]:,}\n{share[i, j]:.0%}", ha="center", va="center", fontsize=8,
                    color="white" if share[i, j] > 0.55 else "#222222")
    ax.set_yticks(range(len(table.index)), [_wrap(n) for n in table.index], fontsize=9)
    ax.set_xticks(range(len(table.columns)), [_wrap(n) for n in table.columns], fontsize=9)
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.set_xlabel("this run")
    ax.set_ylabel("previous run")
    ax.tick_params(length=0)
    bar = fig.colorbar(image, ax=ax, shrink=0.6, pad=0.02)
    bar.set_label("share of the previous segment's users")
    moved = changed_share(data)
    ax.set_title(f"Transitions between runs: {moved:.1%} of returning users changed segment", loc="left",
                 fontsize=10, pad=12)
    return fig


#: Every chart of the report, in order: file stem -> (function, title).
CHARTS: dict[str, tuple[Callable[[ReportData], Figure], str]] = {
    "classic": (plot_classic, "Clicks vs reading time"),
    "sizes": (plot_sizes, "Segment sizes"),
    "profiles": (plot_profiles, "Segment profiles"),
    "k_selection": (plot_k_selection, "Choosing k"),
    "projection": (plot_projection, "2-D projection"),
    "intent_mix": (plot_intent_mix, "Intent mix"),
    "interest_mix": (plot_interest_mix, "Interest mix"),
    "transitions": (plot_transitions, "Transitions since the previous run"),
}


@_literal_text
def figure_png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


# ------------------------------------------------------------------------- data behind the charts
class Projection:
    """Sampled users and segment centres in the first two principal components of the model space."""

    def __init__(self, points: np.ndarray, segment: np.ndarray, centres: np.ndarray, explained: np.ndarray,
                 user_id: np.ndarray) -> None:
        self.points, self.segment, self.centres, self.explained, self.user_id = (
            points, segment, centres, explained, user_id)


def projection(data: ReportData, sample: int = PROJECTION_SAMPLE) -> Projection:
    """PCA (fitted on a stratified sample) of the model's transformed features, plus the centres."""
    from sklearn.decomposition import PCA

    model = data.model
    users = _require(data.users, list(model.feature_names_), "the projection")
    rows = sample_rows(users, sample)
    Z = model.transform_.apply(users[list(model.feature_names_)].to_numpy(dtype=float)[rows])
    n_components = min(2, Z.shape[1], len(Z))
    pca = PCA(n_components=n_components, random_state=_SEED).fit(Z)
    points, centres = pca.transform(Z), pca.transform(np.asarray(model.cluster_centers_))
    explained = pca.explained_variance_ratio_
    if n_components < 2:  # a single feature: pad a flat second axis
        points, centres = np.c_[points, np.zeros(len(points))], np.c_[centres, np.zeros(len(centres))]
        explained = np.r_[explained, 0.0]
    user_id = users["user_id"].to_numpy()[rows] if "user_id" in users else rows
    return Projection(points, users["segment_id"].to_numpy()[rows], centres, explained, user_id)


def intent_mix(data: ReportData) -> pd.DataFrame:
    """Per segment id: share of searches by intent (weighted by searches), ``searches``, ``searched``."""
    columns = [f"intent_{i}_share" for i in INTENTS]
    users = _require(data.users, columns, "the intent mix")
    weight = users["searches"].to_numpy(float) if "searches" in users else np.ones(len(users))
    shares = users[columns].to_numpy(float) * weight[:, None]
    frame = pd.DataFrame(shares, columns=list(INTENTS))
    frame["searches"] = weight
    frame["searched"] = (weight > 0).astype(float)
    frame["segment_id"] = users["segment_id"].to_numpy()
    sums = frame.groupby("segment_id").agg({**{i: "sum" for i in INTENTS}, "searches": "sum", "searched": "mean"})
    sums = sums.reindex(range(data.k), fill_value=0.0)
    totals = sums[list(INTENTS)].sum(axis=1).replace(0, np.nan)
    sums[list(INTENTS)] = sums[list(INTENTS)].div(totals, axis=0).fillna(0.0)
    return sums


def interest_labels(data: ReportData) -> dict[str, str]:
    """Section label of each interest column: the feature run's (``run["interests"]``), else the model's."""
    labels = dict((getattr(data.model, "metadata_", None) or {}).get("feature_labels") or {})
    for columns in (data.run.get("interests") or {}).values():
        labels.update(columns)
    return labels


def interest_mix(data: ReportData) -> dict[str, pd.DataFrame]:
    """Per interest kind (``page``, ``article``): rows = segment ids, columns = section labels (mean share
    over the segment's users who have a section there) and ``users_with_sections`` (their share)."""
    columns = [c for c in data.users.columns if is_interest(str(c)) and kind_of(str(c))]
    if not columns:
        raise MissingColumnError(
            "the interest mix needs content-interest columns (interest_*_share) in users; there are none.",
            hint="Build features with [interests] on (the default) from a clickstream with URL paths, or an "
                 "article_table (docs/features.md).")
    labels = interest_labels(data)
    out: dict[str, pd.DataFrame] = {}
    for kind in KINDS.values():
        mine = [c for c in columns if kind_of(str(c)) == kind]
        if not mine:
            continue
        shares = data.users[mine].to_numpy(float)
        has = shares.sum(axis=1) > 0
        frame = pd.DataFrame(shares[has], columns=[section_of(c, labels) for c in mine])
        frame["segment_id"] = data.users["segment_id"].to_numpy()[has]
        mix = frame.groupby("segment_id").mean().reindex(range(data.k), fill_value=0.0)
        with_sections = pd.Series(has).groupby(data.users["segment_id"].to_numpy()).mean()
        mix["users_with_sections"] = with_sections.reindex(range(data.k), fill_value=0.0).to_numpy()
        out[kind] = mix
    return out


def transition_table(data: ReportData) -> pd.DataFrame:
    """Users by previous segment (rows, plus "new users") and current segment (columns, plus "left")."""
    if data.previous is None:
        raise InputError("There is no previous run to compare with.",
                         hint="Pass previous= (user_id, segment_id of the previous run) to ReportData.")
    prev = data.previous
    prev_names = _previous_names(prev)
    now = data.users[["user_id", "segment_id"]]
    merged = now.merge(prev[["user_id", "segment_id"]], on="user_id", how="outer", suffixes=("", "_prev"))
    NEW, LEFT = -1, -1
    before = merged["segment_id_prev"].fillna(NEW).astype(np.int64).to_numpy()
    after = merged["segment_id"].fillna(LEFT).astype(np.int64).to_numpy()
    row_ids = sorted(prev_names) + [NEW]
    col_ids = list(range(data.k)) + [LEFT]
    row_pos = {s: i for i, s in enumerate(row_ids)}
    col_pos = {s: j for j, s in enumerate(col_ids)}
    counts = np.zeros((len(row_ids), len(col_ids)), dtype=np.int64)
    np.add.at(counts, (np.vectorize(row_pos.get)(before) if len(before) else before,
                       np.vectorize(col_pos.get)(after) if len(after) else after), 1)
    index = [prev_names[s] for s in row_ids[:-1]] + ["new users"]
    columns = data.segment_names + ["left"]
    table = pd.DataFrame(counts, index=index, columns=columns)
    keep_rows = [i for i, s in enumerate(row_ids) if s != NEW or counts[i].sum() > 0]
    keep_cols = [j for j, s in enumerate(col_ids) if s != LEFT or counts[:, j].sum() > 0]
    return table.iloc[keep_rows, keep_cols]


# ---------------------------------------------------------------------------------------- helpers
def sample_rows(users: pd.DataFrame, size: int, seed: int = _SEED) -> np.ndarray:
    """Sorted row positions of at most about ``size`` users, stratified by segment.

    Every segment keeps its share, but at least ``min(its size, size // 50)`` rows, so small segments
    stay visible. All rows when there are no more than ``size``.
    """
    n = len(users)
    if n <= size:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    labels = users["segment_id"].to_numpy()
    floor = max(1, size // 50)
    picked = []
    for s in np.unique(labels):
        rows = np.flatnonzero(labels == s)
        take = min(len(rows), max(floor, int(round(size * len(rows) / n))))
        picked.append(rng.choice(rows, take, replace=False))
    return np.sort(np.concatenate(picked))


def _require(users: pd.DataFrame, columns: list[str], what: str) -> pd.DataFrame:
    missing = [c for c in columns if c not in users.columns]
    if missing:
        raise MissingColumnError(
            f"{what} needs column(s) {missing} in users. Available: {', '.join(map(str, users.columns))}.",
            hint="Pass the user feature table (build_features) joined with the segments as ReportData.users.",
        )
    return users


def _jitter(values: np.ndarray, width: float = 0.12, seed: int = _SEED) -> np.ndarray:
    """log(1 + x) plus a small uniform jitter (in log units), to spread users with equal values."""
    rng = np.random.default_rng(seed)
    return np.log1p(np.maximum(values, 0.0)) + rng.uniform(-width, width, len(values))


def log1p_ticks(vmax: float) -> list[float]:
    """Round tick values 0, 1, 3, 10, 30, ... up to ``vmax`` (for log(1 + x) axes)."""
    ticks, base = [0.0, 1.0], 1.0
    while base * 3 <= vmax * 1.05 or base * 10 <= vmax * 1.05:
        for m in (3, 10):
            if base * m <= vmax * 1.05:
                ticks.append(base * m)
        base *= 10
    return ticks


def tick_text(v: float) -> str:
    return f"{v / 1000:g}k" if v >= 1000 else f"{v:g}"


def _log1p_axis(ax, axis: str, vmax: float) -> None:
    ticks = log1p_ticks(float(vmax) if np.isfinite(vmax) else 1.0)
    set_ticks = ax.set_xticks if axis == "x" else ax.set_yticks
    set_ticks(np.log1p(ticks), [tick_text(t) for t in ticks])
    set_lim = ax.set_xlim if axis == "x" else ax.set_ylim
    set_lim(-0.25, np.log1p(max(ticks[-1], float(vmax) if np.isfinite(vmax) else 1.0)) + 0.25)


def _previous_names(prev: pd.DataFrame) -> dict[int, str]:
    ids = sorted(int(s) for s in pd.unique(prev["segment_id"].dropna()))
    names = {s: f"segment {s}" for s in ids}
    if "segment_name" in prev.columns:
        first = prev.dropna(subset=["segment_id"]).drop_duplicates("segment_id")
        names.update({int(s): str(n) for s, n in zip(first["segment_id"], first["segment_name"])})
    return {s: f"{names[s]} (before)" for s in ids}


def changed_share(data: ReportData) -> float:
    """Share of the users present in both runs whose segment id changed (ids are stable across runs)."""
    if data.previous is None:
        return 0.0
    both = data.users[["user_id", "segment_id"]].merge(
        data.previous[["user_id", "segment_id"]], on="user_id", suffixes=("", "_prev"))
    return float((both["segment_id"] != both["segment_id_prev"]).mean()) if len(both) else 0.0


def _times(lift: float) -> str:
    return f"{lift:.0f}×" if lift >= 10 else f"{lift:.1f}×"


def _wrap(name: str, width: int = 18) -> str:
    """Break a long segment name at spaces (greedily) so tick labels stay narrow."""
    lines, line = [], ""
    for word in name.split(" "):
        candidate = f"{line} {word}".strip()
        if len(candidate) > width and line:
            lines.append(line)
            line = word
        else:
            line = candidate
    lines.append(line)
    return "\n".join(lines)


def _hex(rgba: tuple[float, ...]) -> str:
    return "#{:02X}{:02X}{:02X}".format(*(int(round(c * 255)) for c in rgba[:3]))
