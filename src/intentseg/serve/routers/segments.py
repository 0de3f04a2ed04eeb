"""``GET /v1/segments``: the segments of the run being served."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ..schemas import Segments
from . import problems, require

router = APIRouter(prefix="/v1/segments", tags=["segments"])


@router.get("", response_model=Segments, responses=problems(401, 403, 429, 503),
            summary="Segments of the served run, least engaged first", dependencies=[Depends(require("read"))])
async def list_segments(request: Request) -> Segments:
    snap = request.app.state.store.current()
    return Segments.model_validate({"run_id": snap.run_id, "segments": snap.segments})
