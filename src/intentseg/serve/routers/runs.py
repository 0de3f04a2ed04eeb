"""``GET /v1/runs`` and ``GET /v1/runs/{run_id}``: the run history (as ``intentseg runs``), refreshed by the
poller with each check (the server never holds the warehouse open between checks)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Request

from ...errors import NotFound
from ...results import RunSummary
from ..schemas import Runs
from . import problems, require

router = APIRouter(prefix="/v1/runs", tags=["runs"], dependencies=[Depends(require("read"))])


@router.get("", response_model=Runs, responses=problems(401, 403, 429), summary="Run history, newest first")
async def list_runs(request: Request, limit: int = Query(20, ge=1, le=100)) -> Runs:
    return Runs.model_validate({"runs": request.app.state.store.runs[:limit]})


@router.get("/{run_id}", response_model=RunSummary, responses=problems(401, 403, 404, 429), summary="One run")
async def get_run(request: Request, run_id: str = Path(max_length=200)) -> RunSummary:
    for run in request.app.state.store.runs:
        if run["run_id"] == run_id:
            return RunSummary(**run)
    raise NotFound(f"No run {run_id!r} among the last 100 runs.", hint="List runs with GET /v1/runs.")
