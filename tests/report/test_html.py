"""The HTML report: one self-contained file, every value from data escaped, charts written as PNGs."""

from __future__ import annotations

import dataclasses
import html as html_lib
import json
import re

from intentseg.report import render_report
from intentseg.report.data import redact_url
from intentseg.report.html import script_json

CHART_FILES = {"classic", "sizes", "profiles", "k_selection", "projection", "intent_mix", "interest_mix", "transitions"}


def test_render_report_writes_index_and_one_png_per_chart(data, tmp_path):
    index = render_report(data, tmp_path / "report")
    assert index == tmp_path / "report" / "index.html"
    assert {p.stem for p in index.parent.glob("*.png")} == CHART_FILES
    assert all(p.stat().st_size > 10_000 for p in index.parent.glob("*.png"))


def test_the_report_is_self_contained(evil_report):
    html = evil_report.read_text()
    # Nothing is fetched: no external script, stylesheet, image or font in the markup (Plotly's embedded
    # code mentions URLs in strings; the browser test proves it requests none of them).
    markup = re.sub(r"<script>.*?</script>", "", html, flags=re.S)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", markup, re.IGNORECASE)
    assert "<link" not in markup.lower() and "<script src" not in markup.lower()
    assert markup.count('src="data:image/png;base64,') == len(CHART_FILES)
    assert html.count("plotly.js v") >= 1  # Plotly's own code, embedded once
    assert html.count("* plotly.js v") == 1


def test_summary_cards_and_sql_are_in_the_page(evil_data, evil_report):
    html = evil_report.read_text()
    for s, n in enumerate(evil_data.segment_sizes()):
        assert f'data-segment-id="{s}" data-size="{n}"' in html
    assert "analyst:***@db.example" in html and "s3cret" not in html
    assert "<details>" in html and "FROM clickstream" in html
    assert "WHERE url &lt;&gt; &#39;&lt;b&gt;&#39;" in html  # the SQL is text too
    assert html_lib.escape(evil_data.model.selection_["rule"]) in html  # the rule is text too (">=" escaped)


def test_values_from_data_are_escaped_everywhere(evil_report):
    html = evil_report.read_text()
    assert "<script>window.__pwned" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html  # card, legend alt texts
    assert '<img src=x onerror' not in html
    assert "&lt;img src=x onerror=&#34;window.__pwned=1&#34;&gt;" in html or \
           "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in html
    # JSON in <script> blocks never contains a raw '<' that could close the element.
    for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S):
        assert "<" not in block and ">" not in block
        json.loads(block)


def test_without_a_previous_run_the_transitions_chart_is_left_out(data, tmp_path):
    index = render_report(dataclasses.replace(data, previous=None), tmp_path)
    html = index.read_text()
    assert not (tmp_path / "transitions.png").exists()
    assert "Not shown: There is no previous run to compare with." in html


def test_script_json_escapes_everything_that_could_end_a_script():
    text = script_json({"name": "</script><script>alert(1)</script>", "amp": "a & b", "ls": "\u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text)["name"] == "</script><script>alert(1)</script>"


def test_passwords_in_warehouse_urls_are_masked():
    assert redact_url("mysql+pymysql://root:pw@127.0.0.1:3306/db") == "mysql+pymysql://root:***@127.0.0.1:3306/db"
    assert redact_url("duckdb:///events.duckdb") == "duckdb:///events.duckdb"
    assert redact_url("postgresql://u:***@h/db") == "postgresql://u:***@h/db"


def test_charts_of_sources_the_warehouse_lacks_are_left_out_with_the_reason(data, tmp_path):
    # ratings-only data (MovieLens as article views): no clicks, no reading time, no searches. The classic chart
    # would be a cloud of jitter around (0, 0) and the intent mix all "no searches": both are left out, said why
    users = data.users.copy()
    users[["clicks", "article_time_avg_s", "searches"]] = 0
    users[[c for c in users.columns if c.startswith("intent_") and c.endswith("_share")]] = 0.0
    html = render_report(dataclasses.replace(data, users=users), tmp_path).read_text()
    assert not (tmp_path / "classic.png").exists() and not (tmp_path / "intent_mix.png").exists()
    assert "Not shown: no user has a click or a timed article view" in html
    assert "Not shown: no user searched" in html
    assert (tmp_path / "sizes.png").exists() and (tmp_path / "projection.png").exists()


def test_the_classic_chart_stays_when_one_axis_has_data(data, tmp_path):
    users = data.users.copy()
    users["article_time_avg_s"] = 0  # purchases only: clicks but no reading time, still a chart along clicks
    render_report(dataclasses.replace(data, users=users), tmp_path)
    assert (tmp_path / "classic.png").exists()
