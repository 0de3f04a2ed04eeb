"""Benchmark of the report at scale (run on demand; not a test).

Builds a synthetic user feature table of --users users (the fake of ``tests/report/synthetic.py``: four
kinds of heavy-tailed users, every contract column), fits a Segmenter on a 50,000-user sample (k scanned
over 2..8) and scores everyone, with a previous run for the transition chart. Then times, --repeats
times each (median reported):

* every chart function plus its PNG encoding (what a notebook user or ``render_report`` pays per chart);
* the whole ``render_report`` (all PNGs, the interactive Plotly figures, the HTML with Plotly's JS).

    .venv/bin/python bench/bench_report.py                  # 1M users
    .venv/bin/python bench/bench_report.py --users 100000

Writes bench/results/report.json and bench/results/report.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE.parent / "tests" / "report"))  # the synthetic feature table lives with the tests

from synthetic import report_data  # noqa: E402

from intentseg.report import charts, render_report  # noqa: E402


def timed(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    started = time.perf_counter()
    data = report_data(args.users, seed=0, fit_sample=50_000, k_range=(2, 8))
    setup_s = time.perf_counter() - started
    print(f"setup (features, fit on 50k, score {args.users:,}): {setup_s:.1f} s; k = {data.k}", flush=True)

    per_chart = {}
    for key, (plot, _) in charts.CHARTS.items():
        seconds, _ = timed(lambda: charts.figure_png(plot(data)), args.repeats)
        per_chart[key] = round(seconds, 3)
        print(f"  {key:<12} {seconds:6.2f} s", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        total, index = timed(lambda: render_report(data, tmp), args.repeats)
        html_mb = Path(index).stat().st_size / 1e6
    print(f"render_report: {total:.2f} s, index.html {html_mb:.1f} MB", flush=True)

    result = {
        "users": args.users,
        "k": data.k,
        "repeats": args.repeats,
        "setup_s": round(setup_s, 1),
        "chart_s": per_chart,
        "charts_total_s": round(sum(per_chart.values()), 3),
        "render_report_s": round(total, 3),
        "index_html_mb": round(html_mb, 2),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "processor": platform.processor() or platform.machine()},
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "report.json").write_text(json.dumps(result, indent=2) + "\n")
    rows = "\n".join(f"| {key} | {s:.2f} |" for key, s in per_chart.items())
    (RESULTS / "report.md").write_text(
        f"# Report benchmark: {args.users:,} users, k = {data.k}\n\n"
        f"Median of {args.repeats} runs; synthetic feature table (tests/report/synthetic.py), "
        f"Segmenter fitted on a 50,000-user sample and scoring all users.\n\n"
        "| chart (function + PNG) | seconds |\n|---|---:|\n"
        f"{rows}\n| **all charts** | **{result['charts_total_s']:.2f}** |\n"
        f"| **render_report** (PNGs + Plotly + HTML) | **{total:.2f}** |\n\n"
        f"index.html: {html_mb:.1f} MB (Plotly's JS is about 4.8 MB of it). "
        f"Python {platform.python_version()} on {platform.platform()}.\n"
    )
    print(f"wrote {RESULTS / 'report.json'} and {RESULTS / 'report.md'}")


if __name__ == "__main__":
    main()
