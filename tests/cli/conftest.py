"""The real command line, in process: ``run_app(argv)`` is what ``intentseg`` runs, exit codes included."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import pytest

from intentseg.cli import run_app
from intentseg.generate import generate_events
from tests.pipeline.conftest import load_events

cli_app = importlib.import_module("intentseg.cli.app")  # the module (the package exports the Typer ``app``)


@dataclass
class Done:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def cli(capsys, monkeypatch):
    """``cli("run", "--warehouse", url)`` -> Done(code, stdout, stderr), on wide consoles (no wrapping)."""
    monkeypatch.delenv("INTENTSEG_WAREHOUSE", raising=False)
    monkeypatch.delenv("INTENTSEG_CONFIG", raising=False)
    for console in (cli_app.console, cli_app.out):
        monkeypatch.setattr(console, "_width", 250)

    def invoke(*args: str) -> Done:
        capsys.readouterr()
        try:
            run_app([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Done(code, captured.out, captured.err)

    return invoke


@pytest.fixture(scope="session")
def small_events():
    """Generated events of 300 users: enough for 3 segments, quick on every engine."""
    return generate_events(300, seed=11)


@pytest.fixture
def loaded_url(warehouse_url, small_events) -> str:
    """An isolated warehouse (per engine) holding the three sources as plain tables."""
    load_events(warehouse_url, small_events)
    return warehouse_url
