"""``intentseg serve`` (the HTTP API, docs/serve.md) and ``intentseg api-key`` (a key and its config entry)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from ..config import load_settings
from ..errors import DriverMissing, InputError
from .app import app, console, out


@app.command("serve")
def serve_command(
    warehouse: str = typer.Option(None, "--warehouse", "-w", help="Warehouse URL (default: settings)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0: every interface)."),
    port: int = typer.Option(8000, "--port", help="TCP port to listen on."),
    config: Path = typer.Option(None, "--config", "-c", help="intentseg.toml with a [serve] section (API keys, limits)."),
    access_log: bool = typer.Option(False, "--access-log", help="Log every request (method, path, status)."),
    openapi: bool = typer.Option(False, "--openapi", help="Print the OpenAPI document and exit (docs/openapi.json)."),
) -> None:
    """Serve segments over HTTP: lookups, scoring, segments and runs of the latest finished run."""
    settings = load_settings(config, {"warehouse": warehouse})
    try:
        import uvicorn

        from ..serve.app import create_app, openapi_document
    except ImportError as exc:
        raise DriverMissing(f"intentseg serve needs FastAPI and uvicorn ({exc.name} is missing).",
                            hint='pip install "intentseg[serve]"') from None
    if openapi:
        sys.stdout.write(json.dumps(openapi_document(settings), indent=2) + "\n")
        return
    if not settings.serve.api_keys:
        console.print("No API keys configured: every /v1 route answers 401 (add [[serve.api_keys]], see `intentseg api-key`).")
    _log_to_stderr()
    application = create_app(settings, settings.warehouse)
    console.print(f"Serving {application.state.display_url} on http://{host}:{port} (docs/serve.md).")
    uvicorn.run(application, host=host, port=port, workers=1, access_log=access_log, log_level="info",
                server_header=False, date_header=False)


def _log_to_stderr() -> None:
    """The server's own lines (run loaded, check failed, internal error) beside uvicorn's, in its format."""
    import logging

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
    logger = logging.getLogger("intentseg.serve")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


@app.command("api-key")
def api_key_command(
    name: str = typer.Option(..., "--name", help="Who holds the key, e.g. web or crm (shown in logs and metrics)."),
    scopes: str = typer.Option("read", "--scopes", help="Comma-separated: read (lookups, segments, runs), score (POST /v1/score)."),
) -> None:
    """Make a new API key for intentseg serve: prints the key (once) and the config entry holding its SHA-256."""
    from ..serve.auth import SCOPES, hash_key, new_key

    wanted = [s.strip() for s in scopes.split(",") if s.strip()]
    unknown = sorted(set(wanted) - set(SCOPES))
    if unknown or not wanted:
        raise InputError(f"--scopes {scopes!r}: unknown scope(s) {unknown}.", hint=f"Use {', '.join(SCOPES)}.")
    key = new_key()
    console.print("Give this key to its holder; it is not stored anywhere (only its SHA-256 below):")
    out.print(key)
    console.print("Add to intentseg.toml (or INTENTSEG_SERVE__API_KEYS):")
    out.print(f'[[serve.api_keys]]\nname = {json.dumps(name)}\nsha256 = "{hash_key(key)}"\nscopes = {json.dumps(wanted)}')
