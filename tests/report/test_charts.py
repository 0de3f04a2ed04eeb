"""Each chart is a matplotlib Figure: it renders a non-blank PNG with the segment names in its legend."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from PIL import Image

from intentseg.errors import InputError, MissingColumnError
from intentseg.model import Segmenter
from intentseg.report import ReportData, charts, segment_colors


def legend_texts(fig: Figure) -> list[str]:
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()] + list(fig.legends)
    return [t.get_text() for legend in legends for t in legend.get_texts()]


def assert_not_blank(fig: Figure) -> None:
    image = np.asarray(Image.open(io.BytesIO(charts.figure_png(fig))).convert("L"), dtype=float)
    assert image.shape[0] > 200 and image.shape[1] > 400
    assert (image < 250).mean() > 0.02, "the PNG is (almost) all white"


@pytest.mark.parametrize("key", list(charts.CHARTS))
def test_every_chart_renders_a_non_blank_png(data, key):
    plot, _ = charts.CHARTS[key]
    fig = plot(data)
    assert isinstance(fig, Figure)
    assert_not_blank(fig)


def test_classic_chart_legend_names_the_segments_in_engagement_colours(data):
    fig = charts.plot_classic(data)
    assert legend_texts(fig) == data.segment_names
    ax = fig.axes[0]
    handles = ax.get_legend().legend_handles
    assert [h.get_color() for h in handles] == segment_colors(data.k)
    assert "log" in ax.get_xlabel() and ax.get_xticklabels()[0].get_text() == "0"


def test_projection_and_intent_mix_legends(data):
    assert legend_texts(charts.plot_projection(data)) == [f"{s}: {n}" for s, n in enumerate(data.segment_names)]
    assert legend_texts(charts.plot_intent_mix(data)) == list(charts.INTENTS)


def test_segment_colours_are_stable_and_colour_blind_safe():
    assert segment_colors(3) == segment_colors(5)[:3] == list(charts.OKABE_ITO[:3])
    assert len(set(segment_colors(10))) == 10  # beyond Okabe-Ito: viridis, still distinct


def test_transitions_without_a_previous_run_raise_a_clear_error(data):
    alone = dataclasses.replace(data, previous=None)
    with pytest.raises(InputError, match="no previous run"):
        charts.plot_transitions(alone)


def test_transition_table_counts_every_user_of_both_runs(data):
    table = charts.transition_table(data)
    everyone = set(data.users["user_id"]) | set(data.previous["user_id"])
    assert table.to_numpy().sum() == len(everyone)
    assert table.loc["new users"].sum() == len(set(data.users["user_id"]) - set(data.previous["user_id"]))
    assert list(table.columns[: data.k]) == data.segment_names


def test_intent_mix_shares_sum_to_one_for_segments_that_searched(data):
    mix = charts.intent_mix(data)
    sums = mix[list(charts.INTENTS)].sum(axis=1)
    assert np.allclose(sums[mix["searches"] > 0], 1.0)


def test_k_given_shows_a_note_instead_of_curves():
    # Three obvious groups, k fixed: the scan holds one row, so there is no curve to draw.
    users = pd.DataFrame({"user_id": range(30), "clicks": np.repeat([1, 10, 100], 10) + np.tile(range(10), 3)})
    model = Segmenter(n_segments=3, random_state=0).fit(users)
    users["segment_id"] = model.labels_
    fig = charts.plot_k_selection(ReportData(model=model, users=users))
    assert len(fig.axes) == 1 and "k = 3 was given" in fig.axes[0].texts[0].get_text()


def test_a_missing_column_names_the_column(data):
    thin = dataclasses.replace(data, users=data.users.drop(columns=["article_time_avg_s"]))
    with pytest.raises(MissingColumnError, match="article_time_avg_s"):
        charts.plot_classic(thin)


def test_scatter_sample_keeps_small_segments():
    # 100,000 users in segment 0 and 50 in segment 1: the sample must still show segment 1.
    users = pd.DataFrame({"segment_id": np.r_[np.zeros(100_000, int), np.ones(50, int)]})
    rows = charts.sample_rows(users, 5_000)
    assert len(rows) <= 5_100
    assert (users["segment_id"].to_numpy()[rows] == 1).sum() == 50


def test_log1p_ticks_are_round_and_cover_the_range():
    assert charts.log1p_ticks(250) == [0, 1, 3, 10, 30, 100]  # the axis itself runs to 250
    assert charts.tick_text(3000) == "3k"


MATH_NAMES = {0: r"$\frac{$ spenders", 1: "[/oops] closers", 2: "$x$ and $y$"}


@pytest.fixture(scope="module")
def math_data():
    """Segment names that matplotlib would parse as mathtext ($…$) and one that Rich would parse as markup."""
    from synthetic import report_data

    return report_data(400, seed=5, names=MATH_NAMES)


@pytest.mark.parametrize("key", list(charts.CHARTS))
def test_names_with_dollars_are_drawn_literally(math_data, key):
    plot, _ = charts.CHARTS[key]
    fig = plot(math_data)
    png = charts.figure_png(fig)  # the math parser would raise on "$\frac{$"
    assert png.startswith(b"\x89PNG")
    texts = [t for t in fig.findobj(lambda a: hasattr(a, "get_parse_math"))]
    shown = [t.get_text() for t in texts]
    assert any("$" in s or "[/oops]" in s for s in shown) or key in ("k_selection",)
    assert not [t.get_text() for t in texts if "$" in t.get_text() and t.get_parse_math()]


def test_legend_keeps_the_literal_dollar_names(math_data):
    fig = charts.plot_classic(math_data)
    assert legend_texts(fig)[:3] == [MATH_NAMES[0], MATH_NAMES[1], MATH_NAMES[2]]
    charts.figure_png(fig)
