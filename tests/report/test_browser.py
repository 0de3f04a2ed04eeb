"""The report in a real browser: headless Chromium (Debian's package) driven by Playwright.

Outside CI the tests skip when /usr/bin/chromium is missing; with CI=true they must run. A full-page
screenshot is saved under test-artifacts/ (gitignored) for a person to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import EVIL_NAME, EVIL_QUERY

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("INTENTSEG_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found: install it with `apt-get install -y chromium`"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true requires the browser tests: {reason}")
        pytest.skip(reason)
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (no browser download)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


def open_report(browser, index: Path):
    """The loaded page, and what it tried: console errors, page errors and requests that left the file."""
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    problems: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))

    def route(r):
        url = r.request.url
        if url == index.as_uri() or url.startswith("data:"):
            r.continue_()
        else:
            outside.append(url)
            r.abort()

    page.route("**/*", route)
    page.on("request", lambda req: None if req.url == index.as_uri() or req.url.startswith("data:")
            else outside.append(req.url))
    page.goto(index.as_uri(), wait_until="load")
    page.wait_for_function("[...document.querySelectorAll('.report-plot')].every(d => d.querySelector('.main-svg'))")
    return page, problems, outside


def test_report_renders_offline_without_errors(browser, evil_data, evil_report):
    page, problems, outside = open_report(browser, evil_report)
    try:
        assert problems == []
        assert outside == [], f"requests left the file: {outside}"
        # Every chart rendered: PNGs decoded, every Plotly div holds an SVG.
        widths = page.eval_on_selector_all("img.static", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
        assert len(widths) == 8 and all(w > 0 for w in widths)
        plots = page.eval_on_selector_all(".report-plot", "ds => ds.map(d => d.querySelectorAll('svg').length)")
        assert plots and all(n > 0 for n in plots)
        # The cards are the run's segments, in id order, with their sizes.
        names = page.eval_on_selector_all(".segment-card .segment-name", "es => es.map(e => e.textContent)")
        sizes = page.eval_on_selector_all(".segment-card .segment-size", "es => es.map(e => e.textContent)")
        assert names == evil_data.segment_names
        assert sizes == [f"{n:,}" for n in evil_data.segment_sizes()]
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    finally:
        page.close()


def test_script_in_names_and_queries_is_shown_not_run(browser, evil_report):
    page, problems, outside = open_report(browser, evil_report)
    try:
        assert page.evaluate("typeof window.__pwned") == "undefined"
        name = page.locator(".segment-name", has_text="window.__pwned")
        assert name.inner_text() == EVIL_NAME and name.is_visible()
        assert page.locator("td.query", has_text="onerror").first.inner_text() == EVIL_QUERY
        # Plotly shows the name as text too (legend of the interactive scatter plot).
        legend = page.eval_on_selector_all("#plot-classic .legendtext", "es => es.map(e => e.textContent)")
        assert EVIL_NAME in legend
        assert outside == [] and problems == []
    finally:
        page.close()
