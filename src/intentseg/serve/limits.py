"""Limits of the HTTP API: body size and batch size (413), a per-key token bucket (429 with Retry-After),
and overload shedding (503 once more than ``max_inflight`` requests are in progress).

``Edge`` is one plain ASGI middleware (no per-request task or copy, unlike Starlette's BaseHTTPMiddleware):
it counts requests in progress, refuses large bodies, times each request for the metrics and turns any
unexpected exception into a 500 problem with one log line (no traceback, secrets scrubbed).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ..errors import RateLimited, TooLarge, Unavailable
from .metrics import Metrics
from .problems import problem_bytes, problem_of

log = logging.getLogger("intentseg.serve")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class RateLimiter:
    """One token bucket per API key: ``rate_per_s`` tokens a second, at most ``burst`` saved up."""

    def __init__(self, rate_per_s: float, burst: int, per_key: dict[str, tuple[float, int]] | None = None) -> None:
        self.rate, self.burst = rate_per_s, float(burst)
        self.per_key = {name: (rate, float(b)) for name, (rate, b) in (per_key or {}).items()}
        self._buckets: dict[str, tuple[float, float]] = {}  # key name -> (tokens, when)
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        """Spend one token of ``key``'s bucket, or raise RateLimited saying when one will be there."""
        rate, burst = self.per_key.get(key, (self.rate, self.burst))
        now = time.monotonic()
        with self._lock:
            tokens, when = self._buckets.get(key, (burst, now))
            tokens = min(burst, tokens + (now - when) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return
            self._buckets[key] = (tokens, now)
        wait = (1.0 - tokens) / rate
        raise RateLimited(f"Rate limit of {rate:g} requests/s for this API key reached.",
                          hint="Retry after the Retry-After seconds, or raise serve.rate_per_s.", retry_after_s=wait)


def check_batch(n: int, max_batch: int) -> None:
    """TooLarge (413) when a request carries more than ``max_batch`` users."""
    if n > max_batch:
        raise TooLarge(f"{n} users in one request; at most {max_batch}.",
                       hint="Split the batch, or raise serve.max_batch.")


class Edge:
    """The outermost layer of the application: in-flight cap, body size, metrics, last-resort 500."""

    def __init__(self, app: Callable[..., Awaitable[None]], *, max_inflight: int, max_body_bytes: int,
                 metrics: Metrics, scrub: Callable[[str], str]) -> None:
        self.app, self.max_inflight, self.max_body = app, max_inflight, max_body_bytes
        self.metrics, self.scrub = metrics, scrub
        self.inflight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [0]  # 0 until the response starts

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        if self.inflight >= self.max_inflight:
            await self._problem(send_status, Unavailable(
                f"Over {self.max_inflight} requests in progress.", hint="Retry after the Retry-After seconds."))
        else:
            self.inflight += 1
            try:
                await self._guarded(scope, receive, send_status, status)
            finally:
                self.inflight -= 1
        route = scope.get("route")
        self.metrics.observe(scope["method"], getattr(route, "path", "other"), status[0] or 500,
                             time.perf_counter() - started)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, status: list[int]) -> None:
        length = _content_length(scope)
        if length is not None and length > self.max_body:
            await self._problem(send, _too_large(self.max_body))
            return
        if length is None and scope["method"] in ("POST", "PUT", "PATCH"):
            # no Content-Length (chunked): read it here, up to the limit, and hand the app the whole body
            body = await _read_at_most(receive, self.max_body)
            if body is None:
                await self._problem(send, _too_large(self.max_body))
                return
            receive = _replay(body)
        try:
            await self.app(scope, receive, send)
        except Exception as exc:  # noqa: BLE001 - the last resort: one line, no traceback, no secrets
            log.error("Internal error on %s %s: %s: %s", scope["method"], scope["path"], type(exc).__name__,
                      self.scrub(str(exc))[:300])
            if not status[0]:
                await self._problem(send, exc)

    @staticmethod
    async def _problem(send: Send, exc: Exception) -> None:
        code, body, headers = problem_bytes(*problem_of(exc))
        await send({"type": "http.response.start", "status": code, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _read_at_most(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None once it passes ``limit`` bytes."""
    parts, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
        if not message.get("more_body"):
            return b"".join(parts)


def _replay(body: bytes) -> Receive:
    sent = [False]

    async def receive() -> Message:
        if not sent[0]:
            sent[0] = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


def _too_large(limit: int) -> TooLarge:
    return TooLarge(f"Request body above {limit:,} bytes.", hint="Send less per request, or raise serve.max_body_bytes.")
