"""``create_app(settings, warehouse_url)``: the FastAPI application of ``intentseg serve``.

Layers, outermost first: ``Edge`` (in-flight cap → 503, body size → 413, metrics, last-resort 500),
CORS when ``serve.cors_origins`` names origins, then the routers; a route's ``require(scope)`` dependency
checks the API key (401/403) and its rate (429). Every error leaves as ``application/problem+json``.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from .. import __version__
from ..config import Settings
from ..errors import IntentsegError
from ..warehouse.base import redact_url, scrub
from .auth import KeyRing
from .limits import Edge, RateLimiter
from .metrics import Metrics
from .problems import MEDIA_TYPE, http_problem, problem_response
from .store import Poller, Store

DESCRIPTION = """Segments of users, served from memory: lookups, scoring, segments and runs of the latest
finished run of an intentseg warehouse. Errors are RFC 9457 problem details (`application/problem+json`)."""


def create_app(settings: Settings, warehouse_url: str, *, poll: bool = True) -> FastAPI:
    """The application serving ``warehouse_url``'s latest finished run. ``poll=False``: no poller thread
    (the caller fills ``app.state.store``, as the OpenAPI export does)."""
    from .routers import health, runs, score, segments, users

    store, metrics = Store(), Metrics()
    poller = Poller(store, warehouse_url, settings.output, settings.serve.poll_interval_s,
                    on_load=lambda s: metrics.loaded(s.run_id, s.users), on_failure=metrics.failed_reload)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if poll:
            poller.start()
        yield
        if poll:
            poller.stop()

    app = FastAPI(title="intentseg", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.state.settings, app.state.store, app.state.metrics, app.state.poller = settings, store, metrics, poller
    app.state.keys = KeyRing(settings.serve.api_keys)
    serve = settings.serve
    per_key = {k.name: (k.rate_per_s or serve.rate_per_s, k.burst or serve.burst) for k in serve.api_keys
               if k.rate_per_s or k.burst}
    app.state.limiter = RateLimiter(serve.rate_per_s, serve.burst, per_key)
    app.state.scoring = threading.BoundedSemaphore(settings.serve.score_concurrency)
    for module in (users, score, segments, runs, health):
        app.include_router(module.router)
    app.router.routes[:0] = users.FAST_ROUTES  # the hot path, ahead of its documented FastAPI twin
    _handlers(app)
    app.openapi = lambda: _document(app)  # type: ignore[method-assign]
    if settings.serve.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=settings.serve.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"])
    secrets_of = warehouse_url
    app.add_middleware(Edge, max_inflight=settings.serve.max_inflight, max_body_bytes=settings.serve.max_body_bytes,
                       metrics=metrics, scrub=lambda text: scrub(text, secrets_of))
    app.state.display_url = redact_url(warehouse_url)
    return app


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(IntentsegError)
    async def intentseg_error(_: Request, exc: IntentsegError) -> Response:
        return problem_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> Response:
        import json

        detail = exc.detail if isinstance(exc.detail, str) else "Request refused."
        return Response(json.dumps(http_problem(exc.status_code, detail)), status_code=exc.status_code,
                        media_type=MEDIA_TYPE, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> Response:
        import json

        where = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors()[:5])
        body = http_problem(422, f"Invalid request: {where}", "Correct the fields named (see docs/openapi.json).")
        body["type"] = "urn:intentseg:problem:invalid-input"
        return Response(json.dumps(body), status_code=422, media_type=MEDIA_TYPE)


def _document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's OpenAPI document with every error as a problem: FastAPI documents its validation errors
    as ``application/json`` of its own shape; ours leave as ``application/problem+json`` ``Problem``. Any
    route may answer 503 (in-flight cap) and 422 (invalid parameters)."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    problem = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in doc["paths"].values():
        for op in operations.values():
            responses = op["responses"]
            responses.setdefault("503", {"description": "Overloaded (see Retry-After)"})
            if op.get("parameters") or "requestBody" in op:
                responses.setdefault("422", {"description": "Invalid input"})
            for code, response in responses.items():
                if code[0] in "45":
                    response["content"] = problem
                    if code == "422":
                        response["description"] = "Invalid input"
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    from .schemas import Problem

    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    app.openapi_schema = doc
    return doc


def openapi_document(settings: Settings | None = None) -> dict[str, Any]:
    """The OpenAPI document (``docs/openapi.json``; ``intentseg serve --openapi`` prints it)."""
    return create_app(settings or Settings(), "duckdb:///:memory:", poll=False).openapi()
