"""The OpenAPI document: committed and current, and the live server keeps it (schemathesis finds no 5xx,
no undocumented status, no body or content type outside the schema)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from intentseg.serve.app import openapi_document

from .conftest import KEYS, _env, _with, run_pipeline, write_config

COMMITTED = Path(__file__).parents[2] / "docs" / "openapi.json"


def test_the_committed_openapi_document_is_current():
    assert json.loads(COMMITTED.read_text()) == openapi_document(), (
        "docs/openapi.json is stale: regenerate it with `intentseg serve --openapi > docs/openapi.json`")


def test_the_live_server_serves_the_committed_document(tmp_path, events_dir):
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    run_pipeline(url, events_dir, 3)
    for server, _ in _with(url, write_config(tmp_path / "c.toml"), tmp_path / "server.log"):
        with server.client(None) as c:
            assert c.get("/openapi.json").json() == json.loads(COMMITTED.read_text())


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_schema_violation(tmp_path, events_dir):
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    run_pipeline(url, events_dir, 3)
    config = write_config(tmp_path / "c.toml", rate_per_s=100000.0, burst=100000, max_batch=20)
    for server, _ in _with(url, config, tmp_path / "server.log"):
        done = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "run", f"{server.url}/openapi.json",
             "--header", f"Authorization: Bearer {KEYS['full']}", "--max-examples", "25", "--generation-deterministic",
             "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
                         "response_schema_conformance,response_headers_conformance",
             "--request-timeout", "30", "--no-color"],
            capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=600)
        log = server.log.read_text()
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert " 500 " not in log and "Traceback" not in log
