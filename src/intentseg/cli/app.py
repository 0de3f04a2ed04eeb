"""The Typer application and the one place errors become messages and exit codes."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from ..errors import InputError, IntentsegError

# Typer vendors click; its ClickException is the base of usage errors.
_ClickException = typer.BadParameter.__mro__[2]

app = typer.Typer(
    name="intentseg",
    help="Intent-based user segmentation: features in SQL inside your warehouse, named K-Means segments, reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Names, URLs, paths and messages come from users and warehouses: both consoles show text literally
# (no Rich markup, no :emoji: codes). The few styled lines opt in with ``markup=True`` and escape().
console = Console(stderr=True, markup=False, emoji=False)
out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)

_state: dict[str, Any] = {"debug": False}

#: ``--preset NAME``, on the commands that read the sources (see docs/presets.md).
PRESET = typer.Option(
    None, "--preset", help="Read the sources from an event schema: segment, rudderstack, snowplow or ga4 (docs/presets.md)."
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on error."),
) -> None:
    _state["debug"] = debug


def check_writable(path: Path | None, option: str, *, folder: bool = False) -> None:
    """Fail before any work (InputError, exit 2) when an output ``path`` cannot be written: the folder
    (``folder=True``, created if absent) or the file's folder must take a new file."""
    if path is None:
        return
    target = path if folder else path.parent
    try:
        if folder:
            target.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=target):
            pass
    except OSError as exc:
        raise InputError(f"{option} {path}: cannot write there ({exc.strerror or exc}).",
                         hint="Choose a path in a folder that exists and that you can write.") from None


def print_json(obj: Any) -> None:
    """Print one JSON object on stdout (for ``--json``)."""
    sys.stdout.write(json.dumps(obj, default=str, indent=2) + "\n")


def run_app(argv: list[str]) -> None:
    """Run the CLI; convert intentseg errors into ``Error: …`` and their exit codes."""
    debug = "--debug" in argv
    try:
        app(args=argv, standalone_mode=False)
    except IntentsegError as exc:
        if debug:
            console.print_exception()
        console.print(f"[bold red]Error:[/] {escape(exc.message)}", markup=True, highlight=False)
        if exc.hint:
            console.print(f"  [bold]Fix:[/] {escape(exc.hint)}", markup=True, highlight=False)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        console.print("Aborted.")
        sys.exit(130)
    except _ClickException as exc:  # usage errors: unknown option, bad value, missing argument
        exc.show()
        sys.exit(2 if exc.exit_code == 2 else exc.exit_code)
    except Exception:
        if debug:
            raise
        console.print_exception(max_frames=3)
        console.print("[bold red]Internal error[/] (a bug in intentseg). Rerun with --debug and report it.", markup=True)
        sys.exit(1)


def k_line(selection: dict) -> str:
    """How k was chosen, in one line: the rule's own words (which name k), or ``k = N (given)``."""
    rule = str(selection.get("rule") or "")
    k = selection.get("k")
    return rule if rule.startswith(f"k = {k}") else f"k = {k} ({rule})"
