"""One router per resource; ``require(scope)`` is the dependency that checks the key and its rate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..auth import ApiKey
from ..problems import MEDIA_TYPE
from ..schemas import Problem

#: the security scheme OpenAPI shows; the check itself is KeyRing's (so a missing key is our 401 problem)
bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer isk_…` (intentseg api-key)")
_CREDENTIALS = Security(bearer)

_DESCRIPTIONS = {400: "The body is not JSON", 401: "No API key, or an unknown one", 403: "The key lacks the scope", 404: "No such resource",
                 413: "Body or batch too large", 422: "Invalid input", 429: "Rate limit reached (see Retry-After)",
                 503: "Overloaded or no run loaded yet (see Retry-After)"}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the problem statuses a route can answer."""
    return {code: {"model": Problem, "description": _DESCRIPTIONS[code], "content": {MEDIA_TYPE: {}}} for code in codes}


def require(scope: str) -> Callable[..., Any]:
    """A dependency: the caller's key must exist and have ``scope``, and its bucket a token left."""

    async def check(request: Request, _: HTTPAuthorizationCredentials | None = _CREDENTIALS) -> ApiKey:
        state = request.app.state
        key = state.keys.check(request.headers.get("authorization"), scope)
        state.limiter.take(key.name)
        return key

    return check
