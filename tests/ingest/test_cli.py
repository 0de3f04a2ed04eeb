"""The ingest and sources commands: output, --json, and exit code 2 with `Error:` for a missing column."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import intentseg.cli  # noqa: F401 - registers every command
import intentseg.cli.ingest  # noqa: F401 - the ingest commands, also before cli/__init__ imports them
from intentseg.cli.app import app, run_app

from .conftest import csv_lines, write

runner = CliRunner()


def test_ingest_prints_counts_per_source_and_reason(duck_url, tmp_path):
    path = write(tmp_path / "clickstream.csv", csv_lines("1,2026-09-01,/a,,,", ",2026-09-01,/b,,,"))
    result = runner.invoke(app, ["ingest", str(path), "--warehouse", duck_url])
    assert result.exit_code == 0, result.output
    assert "clickstream" in result.output and "missing_user_id" in result.output


def test_ingest_json_map_and_cap_flags(duck_url, tmp_path):
    path = write(tmp_path / "events.csv", csv_lines("1,2026-09-01,/a,5", "2,2026-09-01,/b,50",
                                                     header="visitor_id,timestamp,url,time_spent"))
    result = runner.invoke(app, ["ingest", str(path), "--source", "clickstream", "--map", "user_id=visitor_id",
                                 "--time-spent-cap", "10", "--warehouse", duck_url, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["accepted"] == 1 and data["sources"]["clickstream"]["quarantined"] == {"time_spent_above_cap": 1}


def test_ingest_shows_events_already_loaded(duck_url, tmp_path):
    runner.invoke(app, ["ingest", str(write(tmp_path / "a" / "clickstream.csv", csv_lines("1,2026-09-01,/a,,,"))),
                        "--warehouse", duck_url])
    # another file with the same event and a new one: 1 accepted, 1 already loaded, nothing quarantined
    again = write(tmp_path / "b" / "clickstream.csv", csv_lines("1,2026-09-01,/a,,,", "2,2026-09-01,/b,,,"))
    result = runner.invoke(app, ["ingest", str(again), "--warehouse", duck_url, "--json"])
    data = json.loads(result.stdout)
    assert (data["accepted"], data["already_loaded"], data["quarantined"]) == (1, 1, 0)
    table = runner.invoke(app, ["ingest", str(write(tmp_path / "c" / "clickstream.csv",
                                                    csv_lines("1,2026-09-01,/a,,,"))), "--warehouse", duck_url])
    assert table.exit_code == 0 and "already loaded" in table.output


def test_sources_lists_tables_and_ledger(duck_url, tmp_path):
    runner.invoke(app, ["ingest", str(write(tmp_path / "clickstream.csv", csv_lines("1,2026-09-01,/a,,,"))),
                        "--warehouse", duck_url])
    result = runner.invoke(app, ["sources", "--warehouse", duck_url, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["sources"][0]["rows"] == 1 and len(data["files"]) == 1
    assert "clickstream" in runner.invoke(app, ["sources", "--warehouse", duck_url]).output


def test_missing_column_exits_2_with_error_message(duck_url, tmp_path, capsys):
    path = write(tmp_path / "clickstream.csv", csv_lines("1,2026-09-01", header="visitor_id,timestamp"))
    with pytest.raises(SystemExit) as exit_:
        run_app(["ingest", str(path), "--warehouse", duck_url])
    assert exit_.value.code == 2


@pytest.mark.skipif("import ingest" not in open(intentseg.cli.__file__).read(),
                    reason="cli/__init__.py does not import cli.ingest yet")
def test_missing_column_through_the_real_command(duck_url, tmp_path):
    path = write(tmp_path / "clickstream.csv", csv_lines("1,2026-09-01", header="visitor_id,timestamp"))
    proc = subprocess.run([sys.executable, "-m", "intentseg", "ingest", str(path), "--warehouse", duck_url],
                          capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 2, proc.stderr
    assert "Error:" in proc.stderr and "'user_id'" in proc.stderr and "visitor_id" in proc.stderr
    assert "--map user_id=" in proc.stderr
