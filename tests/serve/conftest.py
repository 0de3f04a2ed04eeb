"""The server as a real process (``python -m intentseg serve``) on a free port, against a warehouse that
holds a finished run; called with httpx. Every test that changes its warehouse makes its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from intentseg.serve.auth import hash_key, new_key

USERS = 200
#: keys of the test servers: full access, read only, and one with a tiny rate for the 429 test
KEYS = {"full": new_key(), "reader": new_key(), "slow": new_key()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(path: Path, **serve: object) -> Path:
    """An intentseg.toml with the three test keys and ``serve`` options (TOML values as Python repr)."""
    lines = ["[serve]"] + [f"{k} = {v!r}".replace("'", '"') for k, v in serve.items()]
    for name, scopes in (("full", ["read", "score"]), ("reader", ["read"]), ("slow", ["read"])):
        lines += ["[[serve.api_keys]]", f'name = "{name}"', f'sha256 = "{hash_key(KEYS[name])}"',
                  f"scopes = {scopes!r}".replace("'", '"')]
        if name == "slow":  # 1 request a second, 3 at once: the fourth in a row gets 429
            lines += ["rate_per_s = 1.0", "burst = 3"]
    path.write_text("\n".join(lines) + "\n")
    return path


def run_pipeline(url: str, events: Path | None, k: int) -> None:
    """``intentseg run`` in its own process (as a scheduler would), k given; sources from ``events`` files
    in place, or (None) from the warehouse's own tables."""
    cmd = [sys.executable, "-m", "intentseg", "run", "--warehouse", url, "--k", str(k)]
    done = subprocess.run(cmd + (["--events", str(events)] if events else []), capture_output=True, text=True, env=_env())
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


@dataclass
class Server:
    url: str
    log: Path
    process: subprocess.Popen

    def client(self, key: str | None = "full") -> httpx.Client:
        headers = {"Authorization": f"Bearer {KEYS[key]}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def wait_for_run(self, run_id: str | None = None, timeout_s: float = 90) -> dict:
        """Until /readyz is 200 (and serves ``run_id``, when given); its body."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited ({self.process.returncode}):\n{self.log.read_text()[-3000:]}")
            try:
                r = httpx.get(self.url + "/readyz", timeout=5)
                if r.status_code == 200 and (run_id is None or r.json()["run_id"] == run_id):
                    return r.json()
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"no run {run_id or ''} served after {timeout_s} s:\n{self.log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def events_dir(tmp_path_factory) -> Path:
    """Parquet events of USERS users (3 sources), made once."""
    out = tmp_path_factory.mktemp("events") / "events"
    subprocess.run([sys.executable, "-m", "intentseg", "generate", "--users", str(USERS), "--out", str(out),
                    "--format", "parquet", "--seed", "7"], check=True, capture_output=True, env=_env())
    return out


def start_server(warehouse_url: str, config: Path, log: Path) -> Iterator[Server]:
    port = free_port()
    handle = log.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "intentseg", "serve", "--warehouse", warehouse_url, "--port", str(port),
         "--config", str(config), "--access-log"], stdout=handle, stderr=subprocess.STDOUT, env=_env())
    try:
        yield Server(f"http://127.0.0.1:{port}", log, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        handle.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory, events_dir) -> Iterator[tuple[Server, str]]:
    """A DuckDB warehouse with one run (k = 3) and a server on it (limits small enough to reach in a test)."""
    folder = tmp_path_factory.mktemp("served")
    url = f"duckdb:///{folder / 'w.duckdb'}"
    run_pipeline(url, events_dir, 3)
    config = write_config(folder / "intentseg.toml", rate_per_s=1000.0, burst=1000, max_batch=50,
                          max_body_bytes=20000, poll_interval_s=1.0)
    yield from _with(url, config, folder / "server.log")


def _with(url: str, config: Path, log: Path) -> Iterator[tuple[Server, str]]:
    for server in start_server(url, config, log):
        server.wait_for_run()
        yield server, url
