"""The README's "Serve segments over HTTP" block, run as written: ``intentseg api-key`` makes the key whose
entry goes into intentseg.toml, ``intentseg serve`` starts (on a free port instead of 8000) on a warehouse
holding a run, and each ``curl`` line answers 200 with JSON."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI

from .conftest import Server, _env, free_port, run_pipeline

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def _block() -> list[str]:
    section = README.split("### Serve segments over HTTP\n", 1)[1]
    block = re.search(r"^```\n(.*?)^```", section, flags=re.M | re.S).group(1)  # type: ignore[union-attr]
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_the_readme_serve_examples_run(tmp_path, events_dir):
    if shutil.which("curl") is None:
        (pytest.fail if IN_CI else pytest.skip)("curl is not installed (apt-get install curl)")
    lines = _block()
    assert [line.split()[0] for line in lines] == ["intentseg", "intentseg"] + ["curl"] * (len(lines) - 2)
    run_pipeline("duckdb:///intentseg.duckdb".replace("///", f"///{tmp_path}/"), events_dir, 3)
    made = subprocess.run([sys.executable, "-m", *shlex.split(lines[0])], capture_output=True, text=True,
                          env=_env(), cwd=tmp_path, check=True)
    key, entry = made.stdout.split("\n", 1)
    (tmp_path / "intentseg.toml").write_text(entry)
    port = str(free_port())
    serve = [t.replace("8000", port) for t in shlex.split(lines[1])]
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", *serve], stdout=log, stderr=subprocess.STDOUT, env=_env(), cwd=tmp_path)
    try:
        Server(f"http://127.0.0.1:{port}", tmp_path / "server.log", process).wait_for_run()
        for line in lines[2:]:
            command = line.replace(":8000/", f":{port}/").replace("curl -s", "curl -s -f")
            done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, cwd=tmp_path,
                                  env={**_env(), "KEY": key.strip()}, timeout=60)
            assert done.returncode == 0, f"{line}\n{done.stdout}{done.stderr}"
            assert isinstance(json.loads(done.stdout), dict), done.stdout
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
