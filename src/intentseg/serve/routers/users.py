"""``GET /v1/users/{user_id}/segment``: a user's current segment, from memory."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Path, Request, Response

from ..schemas import Membership
from . import problems, require

router = APIRouter(prefix="/v1/users", tags=["users"])


@router.get("/{user_id}/segment", response_model=Membership, responses=problems(401, 403, 404, 429, 503),
            summary="The segment a user is in now", dependencies=[Depends(require("read"))])
async def user_segment(request: Request, user_id: str = Path(max_length=200)) -> Response:
    # a ready-made body: the lookup is the hot path, the dict already has the documented shape
    body = request.app.state.store.current().lookup(user_id)
    return Response(json.dumps(body), media_type="application/json")
