"""``POST /v1/score``: features, or raw recent events, of up to ``serve.max_batch`` users → their segments
under the current model (the numbers ``Segmenter.predict`` gives)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ...errors import InputError, Unavailable
from ..limits import check_batch
from ..schemas import ScoreRequest, Scores
from ..scoring import score_events, score_features
from . import problems, require

router = APIRouter(prefix="/v1/score", tags=["score"])


@router.post("", response_model=Scores, responses=problems(400, 401, 403, 413, 422, 429, 503),
             summary="Segments for users' features or raw events", dependencies=[Depends(require("score"))])
def score(request: Request, body: ScoreRequest) -> Scores:
    state = request.app.state
    if (body.users is None) == (body.events is None):
        raise InputError("Send either `users` (features) or `events` (raw events), not both and not neither.",
                         hint='e.g. {"users": [{"user_id": 1, "features": {...}}]}')
    snap = state.store.current()
    if body.users is not None:
        check_batch(len(body.users), state.settings.serve.max_batch)
        users = [u.model_dump() for u in body.users]
    else:
        events = body.events.model_dump()  # type: ignore[union-attr]
        check_batch(len({str(e["user_id"]) for rows in events.values() for e in rows}), state.settings.serve.max_batch)
    if not (users if body.users is not None else any(events.values())):
        return Scores(run_id=snap.run_id, scores=[])
    if not state.scoring.acquire(timeout=5):
        raise Unavailable("Too many scoring requests in progress.", hint="Retry after the Retry-After seconds.")
    try:
        scores = score_features(snap.model, users) if body.users is not None else score_events(snap.model, events, state.settings)
    finally:
        state.scoring.release()
    return Scores.model_validate({"run_id": snap.run_id, "scores": scores})
