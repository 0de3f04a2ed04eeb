"""Report fixtures: one small synthetic run (fitted once per session) and its rendered report."""

from __future__ import annotations

import pytest
from synthetic import report_data

from intentseg.report import render_report

EVIL_NAME = "Moderate <script>window.__pwned=1</script>"
EVIL_QUERY = '<img src=x onerror="window.__pwned=1"> & <b>bold</b>'


@pytest.fixture(scope="session")
def data():
    """1,200 users in four kinds, a real Segmenter, a previous run and top queries."""
    return report_data(1200, seed=3)


@pytest.fixture(scope="session")
def evil_data():
    """Segment 1's name and a query of segment 0 are HTML/script: they must show as text."""
    return report_data(600, seed=4, names={1: EVIL_NAME}, query_text={0: EVIL_QUERY})


@pytest.fixture(scope="session")
def evil_report(evil_data, tmp_path_factory):
    return render_report(evil_data, tmp_path_factory.mktemp("evil-report"))
