"""Errors as RFC 9457 ``application/problem+json``, from the same ``IntentsegError`` classes the CLI turns
into exit codes: the class decides the HTTP status (``STATUS``, most specific class first), its message
becomes ``detail`` and its hint ``fix``. Anything else is a bug: 500 with a fixed text, never a traceback.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..errors import (
    ConfigError,
    Forbidden,
    InputError,
    IntentsegError,
    NotFound,
    RateLimited,
    RunInProgress,
    TooLarge,
    Unauthenticated,
    Unavailable,
    WarehouseQueryError,
    WarehouseUnavailable,
)

MEDIA_TYPE = "application/problem+json"
#: error class -> (HTTP status, problem type slug); the first class the error is an instance of wins
STATUS: list[tuple[type[IntentsegError], int, str]] = [
    (NotFound, 404, "not-found"),
    (Forbidden, 403, "forbidden"),
    (Unauthenticated, 401, "unauthenticated"),
    (TooLarge, 413, "too-large"),
    (RateLimited, 429, "rate-limited"),
    (ConfigError, 500, "server-configuration"),
    (InputError, 422, "invalid-input"),
    (Unavailable, 503, "unavailable"),
    (WarehouseUnavailable, 503, "warehouse-unavailable"),
    (RunInProgress, 503, "run-in-progress"),
    (WarehouseQueryError, 503, "warehouse-query-failed"),
    (IntentsegError, 500, "internal"),
]
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
          413: "Content Too Large", 415: "Unsupported Media Type", 422: "Unprocessable Content",
          429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}
TYPE_PREFIX = "urn:intentseg:problem:"


def problem_of(exc: BaseException) -> tuple[int, dict[str, Any], dict[str, str]]:
    """The status, problem body and extra headers of an exception."""
    if not isinstance(exc, IntentsegError):
        return 500, _body(500, "internal", "Internal error (a bug in intentseg).",
                          "Retry; if it persists, report it with the server log's line."), {}
    status, slug = next((s, t) for cls, s, t in STATUS if isinstance(exc, cls))
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = retry_after(exc.retry_after_s)
    elif status == 503:
        headers["Retry-After"] = "1"
    elif status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="intentseg"'
    return status, _body(status, slug, exc.message, exc.hint), headers


def retry_after(seconds: float) -> str:
    """A Retry-After value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))


def http_problem(status: int, detail: str, hint: str | None = None) -> dict[str, Any]:
    """A problem body for statuses the framework raises (405, 415, a malformed body)."""
    return _body(status, f"http-{status}", detail, hint)


def _body(status: int, slug: str, detail: str, hint: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": TYPE_PREFIX + slug, "title": TITLES.get(status, "Error"), "status": status,
                            "detail": detail}
    if hint:
        body["fix"] = hint
    return body


def problem_bytes(status: int, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    """The status, encoded body and raw ASGI headers of a problem response."""
    data = json.dumps(body).encode("utf-8")
    raw = [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(data)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    return status, data, raw


def problem_response(exc: BaseException) -> Any:
    """A Starlette response for ``exc`` (the exception handlers of ``app.py``)."""
    from starlette.responses import Response

    status, body, headers = problem_of(exc)
    return Response(json.dumps(body), status_code=status, media_type=MEDIA_TYPE, headers=headers)
