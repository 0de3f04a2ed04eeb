"""The README and the CLI agree, both ways.

- every registered command has help text and is documented in README.md;
- every command line the README shows (inline ```intentseg …``` spans and fenced lines) names a command that
  exists, whose ``--help`` works, with options that command (or the root, before it) accepts;
- the option groups the README lists (``--preset`` commands and names, ``--dialect`` values, exit codes)
  are the ones the code has.

The README's "Use it" examples are run by tests/test_readme_examples.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import intentseg.cli  # noqa: F401 - registers the commands
from intentseg.cli.app import app

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
ROOT = typer.main.get_command(app)


def _commands() -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for name, cmd in ROOT.commands.items():  # type: ignore[attr-defined]
        sub = getattr(cmd, "commands", None)
        if sub:
            found += [(f"{name} {s}", c) for s, c in sub.items()]
        else:
            found.append((name, cmd))
    return sorted(found, key=lambda item: item[0])


COMMANDS = dict(_commands())


def _documented_lines() -> list[str]:
    """Every ``intentseg …`` command line of the README: inline code spans and lines of fenced blocks."""
    spans = re.findall(r"`(intentseg [^`]*)`", README)
    fenced = [line.split("#", 1)[0].strip() for block in re.findall(r"^```[^\n]*\n(.*?)^```", README, flags=re.M | re.S)
              for line in block.splitlines()]
    return sorted({s.replace("\\|", "|") for s in spans} | {line for line in fenced if line.startswith("intentseg ")})


def _parse(line: str) -> tuple[list[str], str | None, list[str]]:
    """``intentseg [root options] COMMAND [SUB] [options]`` -> (root options, command or None, its options).

    Placeholders (``COMMAND``, ``PATH...``, ``[PATH]``) are not commands; brackets around options are
    stripped (``[--seed S]`` -> ``--seed``), values are ignored."""
    tokens = [t.strip("[]") for t in line.split()[1:]]
    root_opts = []
    while tokens and tokens[0].startswith("--"):
        root_opts.append(tokens.pop(0))
    if not tokens or tokens[0].isupper():
        return root_opts, None, []
    name = tokens.pop(0)
    if name in ROOT.commands and getattr(ROOT.commands[name], "commands", None) and tokens:  # type: ignore[attr-defined]
        name = f"{name} {tokens.pop(0)}"
    options = [t.split("=", 1)[0] for t in tokens if t.startswith("--")]
    return root_opts, name, options


def _option_names(cmd: Any) -> set[str]:
    return {opt for p in cmd.params for opt in (*p.opts, *p.secondary_opts)} | {"--help"}


def test_the_readme_documents_command_lines():
    assert len(_documented_lines()) >= len(COMMANDS)


@pytest.mark.parametrize("name,cmd", _commands(), ids=[n for n, _ in _commands()])
def test_every_command_has_help_and_is_in_the_readme(name, cmd):
    assert (cmd.help or "").strip(), f"`intentseg {name}` has no help text"
    assert f"`intentseg {name}" in README, f"`intentseg {name}` is not documented in README.md"


@pytest.mark.parametrize("line", _documented_lines())
def test_every_documented_command_line_exists_with_its_options(line):
    root_opts, name, options = _parse(line)
    unknown_root = set(root_opts) - _option_names(ROOT)
    assert not unknown_root, f"README line {line!r}: intentseg has no option {sorted(unknown_root)}"
    if name is None:
        return
    assert name in COMMANDS, f"README line {line!r}: there is no command `intentseg {name}` (commands: {sorted(COMMANDS)})"
    unknown = set(options) - _option_names(COMMANDS[name])
    assert not unknown, f"README line {line!r}: `intentseg {name}` has no option {sorted(unknown)}"
    result = CliRunner().invoke(app, [*name.split(), "--help"])
    assert result.exit_code == 0 and "Usage" in result.output, result.output


def test_the_parser_rejects_what_does_not_exist():
    """The check above can fail: an unknown command or option is caught (guards the parser itself)."""
    assert _parse("intentseg segmnet --k 3")[1] not in COMMANDS
    _, name, options = _parse("intentseg run --warehouse URL [--kk 3]")
    assert name == "run" and set(options) - _option_names(COMMANDS[name]) == {"--kk"}
    assert _parse("intentseg --debug COMMAND") == (["--debug"], None, [])
    assert _parse("intentseg sql features --dialect mysql") == ([], "sql features", ["--dialect"])


def test_the_preset_row_lists_exactly_the_commands_and_presets_that_take_one():
    from intentseg.config import PRESETS

    row = next(line for line in README.splitlines() if "`intentseg run --preset" in line)
    documented = {"run", *re.findall(r"`([a-z ]+)`", row.split("also on", 1)[1].split(")", 1)[0])}
    with_preset = {name for name, cmd in COMMANDS.items() if "--preset" in _option_names(cmd)}
    assert documented == with_preset
    names = re.search(r"--preset ([a-z0-9|\\]+)", row).group(1).replace("\\", "").split("|")  # type: ignore[union-attr]
    assert set(names) == set(PRESETS)


def test_the_documented_dialects_are_the_supported_ones():
    from intentseg.features import DIALECTS

    line = next(s for s in _documented_lines() if s.startswith("intentseg sql features --dialect"))
    assert line.split("--dialect ", 1)[1].split()[0].split("|") == list(DIALECTS)


def test_readme_first_screen_shows_the_two_commands():
    first_screen = "\n".join(README.splitlines()[:25])
    assert "make demo" in first_screen and "make test" in first_screen


def test_readme_exit_codes_match_the_error_classes():
    from intentseg import errors

    documented = {int(m) for m in re.findall(r"^\| (\d) \|", README, flags=re.M)}
    used = {cls.exit_code for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.IntentsegError)}
    assert used | {0} == documented


def test_the_layout_section_names_every_module_and_package_and_nothing_else():
    """README's "How the code is laid out" lists src/intentseg/ one entry a line: exactly what the tree holds."""
    package = Path(__file__).parents[1] / "src" / "intentseg"
    section = README.split("### How the code is laid out\n", 1)[1]
    listing = re.search(r"^```\n(.*?)^```", section, flags=re.M | re.S).group(1)  # type: ignore[union-attr]
    documented = {line.split()[0] for line in listing.splitlines() if line.startswith("  ") and line.strip()}
    in_tree = {p.name for p in package.glob("*.py") if p.name != "__main__.py"} | {
        f"{p.name}/" for p in package.iterdir() if (p / "__init__.py").is_file()}
    assert documented == in_tree, (f"listed but absent: {sorted(documented - in_tree)}; "
                                   f"absent from the list: {sorted(in_tree - documented)}")
    for line in listing.splitlines():
        if line and not line.startswith(" ") and line.split()[0] != "src/intentseg/":
            assert (package.parents[1] / line.split()[0]).is_dir(), line
