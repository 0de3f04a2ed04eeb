"""The README's "Use it" examples run, line by line, as the ``intentseg`` command runs them.

How a fenced block of the "Use it" section is run (the rule, so the README can stay readable):
- each block starts in a fresh temporary folder, the working directory of every line: relative paths
  (``events/``, ``report/``, ``duckdb:///intentseg.duckdb``) land there;
- ``--users N`` becomes ``--users 300`` (SMALL_USERS): the same commands on less data;
- a MariaDB or PostgreSQL URL becomes a fresh test database on that server (``isolated_url`` of
  tests/conftest.py, which skips with the reason when the server is unreachable, and fails with CI=true).
  The README says such a warehouse already holds the events, so the test first generates 300 users'
  events (unless the block does) and ingests them there;
- a line that is not an ``intentseg`` command is skipped only if SKIPPED names it, with the reason; any
  other line fails the test, so a new kind of example needs a decision here;
- every line must exit 0; with ``--json`` its output must be one JSON object; with ``--report DIR`` the
  folder must hold ``index.html``.
"""

from __future__ import annotations

import json
import re
import shlex
from contextlib import ExitStack
from pathlib import Path

import pytest

from intentseg.cli import run_app
from tests.conftest import isolated_url

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
SMALL_USERS = 300
#: lines of the examples that are not run, and why
SKIPPED = {
    "pip install": "installs the package: the test runs the intentseg already installed in this environment",
}
SERVER_URL = re.compile(r"^(mysql\+pymysql|postgresql\+psycopg)://\S+$")
ENGINE_OF = {"mysql+pymysql": "mysql", "postgresql+psycopg": "postgres"}


def _use_it_blocks() -> list[list[str]]:
    """The fenced blocks between "## Use it" and the next "## " heading, as lines without comments."""
    section = README.split("\n## Use it\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", section, flags=re.M | re.S)
    return [[shlex.join(shlex.split(line, comments=True)) for line in block.splitlines() if line.strip()]
            for block in blocks]


def _engine(block: list[str]) -> str:
    servers = {ENGINE_OF[m.group(1)] for line in block for token in shlex.split(line) if (m := SERVER_URL.match(token))}
    assert len(servers) <= 1, f"a README block uses more than one server: {block}"
    return servers.pop() if servers else "duckdb"


BLOCKS = _use_it_blocks()


def _params() -> list:
    params = []
    for i, block in enumerate(BLOCKS, 1):
        engine = _engine(block)
        params.append(pytest.param(block, id=f"block{i}-{engine}", marks=[pytest.mark.db] if engine != "duckdb" else []))
    return params


def _invoke(argv: list[str], capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        run_app(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _substituted(argv: list[str], server: str | None) -> list[str]:
    out = []
    for i, token in enumerate(argv):
        if i and argv[i - 1] == "--users":
            token = str(SMALL_USERS)
        elif SERVER_URL.match(token):
            assert server is not None
            token = server
        out.append(token)
    return out


def test_the_use_it_section_has_runnable_examples():
    commands = [line for block in BLOCKS for line in block if line.startswith("intentseg ")]
    assert len(BLOCKS) >= 2 and len(commands) >= 5, BLOCKS
    assert any(_engine(b) != "duckdb" for b in BLOCKS), "the README shows no server warehouse example"


@pytest.mark.parametrize("block", _params())
def test_readme_example_block_runs(block, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INTENTSEG_WAREHOUSE", raising=False)
    monkeypatch.delenv("INTENTSEG_CONFIG", raising=False)
    engine = _engine(block)
    with ExitStack() as stack:
        server = stack.enter_context(isolated_url(engine, tmp_path)) if engine != "duckdb" else None
        if server is not None:  # the README's server already holds the events: put them there
            setup = [["generate", "--users", str(SMALL_USERS), "--out", "events/"]] if not any(
                line.startswith("intentseg generate") for line in block) else []
            setup.append(["ingest", "events/", "--warehouse", server])
            for argv in setup:
                code, _, err = _invoke(argv, capsys)
                assert code == 0, f"setup `intentseg {shlex.join(argv)}` failed:\n{err}"
        ran = 0
        for line in block:
            if not line.startswith("intentseg "):
                reason = next((why for prefix, why in SKIPPED.items() if line.startswith(prefix)), None)
                assert reason, f"README line {line!r} is neither an intentseg command nor in SKIPPED (with the reason)"
                continue
            argv = _substituted(shlex.split(line)[1:], server)
            code, out, err = _invoke(argv, capsys)
            assert code == 0, f"README line {line!r} (run as {shlex.join(argv)}) exited {code}:\n{err[-3000:]}"
            ran += 1
            if "--json" in argv:
                payload = json.loads(out)
                if argv[0] == "run":
                    assert payload["n_users"] == SMALL_USERS and sum(s["size"] for s in payload["segments"]) == SMALL_USERS
            else:
                assert out.strip(), f"README line {line!r} printed nothing"
            if "--report" in argv:
                assert (tmp_path / argv[argv.index("--report") + 1] / "index.html").is_file()
        assert ran, f"no intentseg line in block {block}"
