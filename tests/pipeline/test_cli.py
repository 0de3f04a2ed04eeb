"""The commands a scheduler runs: JSON output, exit codes, and an existing database of the original schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from intentseg.warehouse import connect
from tests.conftest import isolated_url
from tests.pipeline.conftest import load_events

ROOT = Path(__file__).parents[2]


def intentseg(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200"}
    env.pop("INTENTSEG_WAREHOUSE", None)
    return subprocess.run([sys.executable, "-m", "intentseg", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


# The original warehouse schema, exactly as the prototype's MySQL database had it.
ORIGINAL_DDL = [
    """CREATE TABLE clickstream (user_id INT, timestamp DATETIME, url VARCHAR(255),
       referrer VARCHAR(255) NULL, device VARCHAR(20), time_spent INT)""",
    "CREATE TABLE search_queries (user_id INT, timestamp DATETIME, query VARCHAR(255))",
    "CREATE TABLE article_views (user_id INT, timestamp DATETIME, article_id INT, time_spent INT)",
]


@pytest.mark.db
def test_run_segments_an_existing_mariadb_database_of_the_original_schema(events, tmp_path):
    with isolated_url("mysql", tmp_path) as url:
        with connect(url) as wh:
            for ddl in ORIGINAL_DDL:
                wh.execute(ddl)
            for name in ("clickstream", "search_queries", "article_views"):
                df = getattr(events, name).copy()
                df["timestamp"] = df["timestamp"].dt.floor("s")  # DATETIME holds whole seconds
                wh.write_table(name, df, mode="append")
            types_before = wh.query(
                "SELECT table_name, column_name, column_type FROM information_schema.columns "
                "WHERE table_schema = DATABASE() AND table_name IN ('clickstream','search_queries','article_views') "
                "ORDER BY table_name, ordinal_position"
            )
        done = intentseg("run", "--warehouse", url, "--k", "3", "--json")
        assert done.returncode == 0, done.stderr[-3000:]
        result = json.loads(done.stdout)
        assert result["k"] == 3 and result["n_users"] == len(events.ground_truth)
        assert [s["name"] for s in result["segments"]] == ["Low engagement", "Moderate engagement", "Highly engaged"]
        with connect(url) as wh:
            assert wh.row_count("user_segments") == len(events.ground_truth)
            # the source tables are read, never altered
            assert wh.query(
                "SELECT table_name, column_name, column_type FROM information_schema.columns "
                "WHERE table_schema = DATABASE() AND table_name IN ('clickstream','search_queries','article_views') "
                "ORDER BY table_name, ordinal_position"
            ).equals(types_before)

        listed = intentseg("segments", "--warehouse", url, "--json")
        assert listed.returncode == 0, listed.stderr
        assert json.loads(listed.stdout)["run_id"] == result["run_id"]
        runs = intentseg("runs", "--warehouse", url, "--json")
        assert [r["status"] for r in json.loads(runs.stdout)["runs"]] == ["ok"]


def test_json_run_then_assign_then_report_from_the_warehouse(events, tmp_path):
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    load_events(url, events)
    model = tmp_path / "model.json"
    first = intentseg("run", "--warehouse", url, "--k", "3", "--model-out", str(model), "--json")
    assert first.returncode == 0, first.stderr[-3000:]
    payload = json.loads(first.stdout)
    assert {"run_id", "k", "segments", "metrics", "tables", "report_path"} <= set(payload)
    assert first.stderr == ""  # quiet under --json

    again = intentseg("assign", "--model", str(model), "--warehouse", url, "--json")
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads(again.stdout)["kind"] == "assign"

    report = intentseg("report", "--warehouse", url, "--out", str(tmp_path / "rep"))
    assert report.returncode == 0, report.stderr[-3000:]
    html = (tmp_path / "rep" / "index.html").read_text(encoding="utf-8")
    assert "Highly engaged" in html and "transitions" in html.lower()


@pytest.mark.parametrize(
    ("args", "code", "phrase"),
    [
        (["run", "--warehouse", "mysql+pymysql://root:pw@127.0.0.1:1/x", "--json"], 3, "server running"),
        (["run", "--warehouse", "oracle://x"], 2, "Unsupported warehouse URL"),
        (["run", "--warehouse", "duckdb:///:memory:", "--k", "one"], 2, "--k"),
        (["run", "--warehouse", "duckdb:///:memory:"], 2, "[sources.<name>]"),
        (["segments", "--warehouse", "duckdb:///:memory:"], 2, "intentseg run"),
        (["run", "--config", "/nonexistent/intentseg.toml"], 2, "intentseg init"),
    ],
    ids=["unreachable", "bad-url", "bad-k", "no-users", "no-runs", "no-config"],
)
def test_exit_codes_and_messages(args, code, phrase):
    done = intentseg(*args)
    assert done.returncode == code, done.stderr
    assert "Error" in done.stderr or "Usage" in done.stderr or "Invalid" in done.stderr
    assert phrase in done.stderr
    assert "pw@" not in done.stderr and "Traceback" not in done.stderr


def test_init_writes_a_config_that_run_accepts(tmp_path, events):
    done = intentseg("init", cwd=tmp_path)
    assert done.returncode == 0 and (tmp_path / "intentseg.toml").exists()
    again = intentseg("init", cwd=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr
