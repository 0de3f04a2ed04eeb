"""`runs` after failed runs, and user-chosen names shown literally by every command (issue 10, items 8 and 9)."""

from __future__ import annotations

import json

from intentseg.warehouse import connect

# Rich would read "[/oops]" as a closing tag and ":smile:" as an emoji; matplotlib would read "$...$" as math.
NAMES = {0: "[/oops] closers", 1: r"$\frac{$ spenders", 2: "[bold]loud[/bold] :smile: readers"}


def test_runs_lists_failed_runs_whatever_their_error_looks_like(cli, loaded_url, tmp_path):
    assert cli("run", "--warehouse", loaded_url, "--k", "3").code == 0
    failed = cli("run", "--warehouse", loaded_url, "--events", tmp_path / "no-such-folder")
    assert failed.code == 2, failed.output
    done = cli("runs", "--warehouse", loaded_url, "--json")
    assert done.code == 0, done.output
    runs = json.loads(done.stdout)["runs"]
    assert [r["status"] for r in runs] == ["failed", "ok"]
    assert "no-such-folder" in runs[0]["error"] and runs[0]["k"] is None and runs[0]["silhouette"] is None
    assert runs[1]["k"] == 3 and runs[1]["n_users"] == 300 and runs[1]["error"] is None

    # Rows written by other versions or by hand: an error that is plain text, metrics that are a list.
    with connect(loaded_url) as wh:
        wh.execute("UPDATE segment_runs SET error = :e, metrics = :m WHERE status = 'failed'",
                   {"e": "plain text, not JSON", "m": "[1, 2]"})
    table = cli("runs", "--warehouse", loaded_url)
    assert table.code == 0, table.output
    assert "plain text, not JSON" in table.stdout and "failed" in table.stdout
    assert json.loads(cli("runs", "--warehouse", loaded_url, "--json").stdout)["runs"][0]["error"] == "plain text, not JSON"


def test_names_with_markup_and_dollars_are_shown_literally(cli, loaded_url, tmp_path):
    config = tmp_path / "intentseg.toml"
    config.write_text("[segment.names]\n" + "".join(f"{i} = '{n}'\n" for i, n in NAMES.items()), encoding="utf-8")
    report = tmp_path / "report"
    done = cli("run", "--warehouse", loaded_url, "--config", config, "--k", "3", "--report", report)
    assert done.code == 0, done.output
    for name in NAMES.values():
        assert name in done.stdout, f"{name!r} not shown literally in:\n{done.stdout}"
    segments = cli("segments", "--warehouse", loaded_url, "--config", config)
    assert segments.code == 0, segments.output
    assert all(name in segments.stdout for name in NAMES.values())
    html = (report / "index.html").read_text(encoding="utf-8")
    assert all(name in html for name in NAMES.values())  # nothing HTML-special in them: shown as is
    assert (report / "sizes.png").stat().st_size > 1000
    runs = cli("runs", "--warehouse", loaded_url)
    assert runs.code == 0 and "ok" in runs.stdout
