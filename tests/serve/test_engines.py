"""The lookup path on MariaDB and PostgreSQL (memberships and history read from the server warehouse), and
no password in any answer or log: one given in the URL, or a wrong one the server cannot use."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from intentseg.warehouse import connect

from .conftest import KEYS, _env, _with, run_pipeline, start_server, write_config

SECRET = "pw-s3cret-XYZ"


def _with_password(url: str) -> str:
    scheme, rest = url.split("://", 1)
    user, host = rest.split("@", 1)
    return f"{scheme}://{user.split(':')[0]}:{SECRET}@{host}"


@pytest.mark.slow
def test_lookups_on_a_server_warehouse(server_engine, server_warehouse_url, events_dir, tmp_path):
    url = server_warehouse_url
    subprocess.run([sys.executable, "-m", "intentseg", "ingest", str(events_dir), "--warehouse", url],
                   check=True, capture_output=True, env=_env())
    run_pipeline(url, None, 3)
    with connect(url) as wh:
        members = wh.query("SELECT user_id, segment_id, segment_name, distance, run_id FROM user_segments")
    if server_engine == "postgres":  # trust authentication ignores it: the server connects, the password is given
        url = _with_password(url)
    config = write_config(tmp_path / "intentseg.toml", rate_per_s=10000.0, burst=10000)
    for server, _ in _with(url, config, tmp_path / "server.log"):
        texts = []
        with server.client() as c:
            for row in members.sample(20, random_state=0).itertuples(index=False):
                r = c.get(f"/v1/users/{row.user_id}/segment")
                body = r.json()
                assert (body["segment_id"], body["segment_name"], body["run_id"]) == (row.segment_id, row.segment_name, row.run_id)
                assert body["distance"] == pytest.approx(row.distance) and body["since"]
                texts.append(r.text)
            texts += [c.get(p).text for p in ("/v1/runs", "/v1/segments", "/metrics", "/readyz")]
        log = server.log.read_text()
    assert all(SECRET not in t for t in texts) and SECRET not in log
    assert all(k not in log for k in KEYS.values())


@pytest.mark.slow
def test_a_wrong_password_is_a_503_naming_the_fix_and_never_shown(tmp_path):
    url = _with_password("mysql+pymysql://root@127.0.0.1:3306/test")
    config = write_config(tmp_path / "intentseg.toml", poll_interval_s=0.5)
    for server in start_server(url, config, tmp_path / "server.log"):
        r = None
        for _ in range(100):
            try:
                r = httpx.get(server.url + "/readyz", timeout=5)
                if "fix" in r.json() and "password" in r.json()["fix"].lower():
                    break
            except httpx.TransportError:
                pass
            import time

            time.sleep(0.3)
        assert r is not None and r.status_code == 503 and r.headers["retry-after"] == "1"
        body = r.json()
        assert "password" in body["fix"].lower() and SECRET not in r.text, body
        log = server.log.read_text()
        assert "***" in log and SECRET not in log and "Traceback" not in log
