"""``/healthz`` (the process answers), ``/readyz`` (a run is loaded) and ``/metrics`` (Prometheus): open."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ..schemas import Health, Ready
from . import problems

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Ready, responses=problems(503), summary="A run's memberships and model are loaded")
async def readyz(request: Request) -> Ready:
    snap = request.app.state.store.current()
    return Ready(status="ready", run_id=snap.run_id, users=snap.users)


@router.get("/metrics", summary="Prometheus metrics (text format)",
            responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text exposition format"}})
async def metrics(request: Request) -> Response:
    body, media_type = request.app.state.metrics.render()
    return Response(body, media_type=media_type)
