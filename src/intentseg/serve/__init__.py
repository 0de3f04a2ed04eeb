"""``intentseg serve``: the HTTP API, one more thin face over the library (docs/serve.md, ADR 0008).

- ``app.py``: ``create_app(settings, warehouse_url)``, the FastAPI application;
- ``store.py``: the current run's memberships and model in memory, swapped whole when a newer run finishes;
- ``auth.py``: API keys (SHA-256 of random keys) with scopes; ``limits.py``: body, batch, rate and overload
  limits; ``problems.py``: ``IntentsegError`` classes as RFC 9457 ``application/problem+json``;
- ``routers/``: one router per resource (users, score, segments, runs, health).

FastAPI, Starlette, uvicorn and prometheus-client are the optional extra ``intentseg[serve]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)
