"""The interest-mix chart: each segment's mix of content sections, in the PNGs and the HTML report."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic import report_data

from intentseg.errors import MissingColumnError
from intentseg.report import charts
from intentseg.report.html import render_report


@pytest.fixture(scope="module")
def data():
    d = report_data(800, previous=False)
    d.run = {**d.run, "interests": {"clickstream": {"interest_page_culture_share": "Culture & Arts"}}}
    return d


def test_interest_mix_is_the_mean_share_of_users_with_sections(data):
    mix = charts.interest_mix(data)["page"]
    users = data.users
    has = users.filter(like="interest_page_").sum(axis=1) > 0
    seg0 = users[(users["segment_id"] == 0) & has]
    assert mix.loc[0, "Culture & Arts"] == pytest.approx(seg0["interest_page_culture_share"].mean())
    shares = mix.drop(columns="users_with_sections").to_numpy()
    np.testing.assert_allclose(shares.sum(axis=1)[mix["users_with_sections"] > 0], 1.0)


def test_the_report_holds_the_interest_chart_with_section_labels(data, tmp_path):
    index = render_report(data, tmp_path)
    html = index.read_text(encoding="utf-8")
    assert (tmp_path / "interest_mix.png").stat().st_size > 1000
    assert 'id="chart-interest_mix"' in html
    assert "Culture &amp; Arts" in html  # the feature run's label, escaped, in the chart's text alternative


def test_without_interest_columns_the_chart_is_left_out_with_a_reason(data):
    plain = data.users.drop(columns=[c for c in data.users.columns if c.startswith("interest_")])
    bare = type(data)(model=data.model, users=plain)
    with pytest.raises(MissingColumnError, match="content-interest columns"):
        charts.interest_mix(bare)
