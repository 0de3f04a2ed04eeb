"""The README documents every command, and every command has help text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

import intentseg.cli  # noqa: F401 - registers the commands
from intentseg.cli.app import app

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def _commands() -> list[tuple[str, object]]:
    root = typer.main.get_command(app)
    found = []
    for name, cmd in root.commands.items():
        sub = getattr(cmd, "commands", None)
        if sub:
            found += [(f"{name} {s}", c) for s, c in sub.items()]
        else:
            found.append((name, cmd))
    return sorted(found)


def test_the_cli_has_the_commands_we_document():
    names = {n for n, _ in _commands()}
    assert {"init", "generate"} <= names


@pytest.mark.parametrize("name,cmd", _commands(), ids=[n for n, _ in _commands()])
def test_every_command_has_help_and_is_in_the_readme(name, cmd):
    assert (cmd.help or "").strip(), f"`intentseg {name}` has no help text"
    assert f"`intentseg {name}" in README, f"`intentseg {name}` is not documented in README.md"


def test_readme_first_screen_shows_the_two_commands():
    first_screen = "\n".join(README.splitlines()[:25])
    assert "make demo" in first_screen and "make test" in first_screen


def test_readme_exit_codes_match_the_error_classes():
    from intentseg import errors

    documented = {int(m) for m in re.findall(r"^\| (\d) \|", README, flags=re.M)}
    used = {cls.exit_code for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.IntentsegError)}
    assert used | {0} == documented
