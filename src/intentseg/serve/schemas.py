"""The request and response bodies of the HTTP API (they make the OpenAPI document, docs/openapi.json)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from ..results import RunSummary  # a run as `intentseg runs` shows it (a dataclass pydantic reads)

UserId = int | Annotated[str, StringConstraints(min_length=1, max_length=200)]
_Text = Field(default=None, max_length=2000)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Membership(BaseModel):
    user_id: UserId
    segment_id: int
    segment_name: str
    distance: float = Field(description="distance to the segment's centre, in the model's transformed space")
    run_id: str = Field(description="the run that assigned it")
    since: str | None = Field(description="when the user entered this segment (ISO 8601, UTC): valid_from of the "
                              "open interval in user_segment_history")


class Segment(BaseModel):
    segment_id: int
    name: str
    size: int
    share: float
    traits: list[str]
    advice: Any


class Segments(BaseModel):
    run_id: str
    segments: list[Segment]


class Runs(BaseModel):
    runs: list[RunSummary]


class UserFeatures(_Strict):
    user_id: UserId
    features: dict[str, float] = Field(description="feature name -> value; every feature of the current model")


def _in_range(value: dt.datetime) -> dt.datetime:
    if value.year < 1970 or value.year > 2200:
        raise ValueError("timestamp must be between 1970 and 2200")
    return value


class Click(_Strict):
    user_id: UserId
    timestamp: dt.datetime
    url: str = Field(min_length=1, max_length=2000)
    referrer: str | None = _Text
    device: str | None = Field(default=None, max_length=50)
    time_spent: float | None = Field(default=None, ge=0, le=1e7, description="seconds")

    _ts = field_validator("timestamp")(_in_range)


class Search(_Strict):
    user_id: UserId
    timestamp: dt.datetime
    query: str = Field(min_length=1, max_length=500)

    _ts = field_validator("timestamp")(_in_range)


class ArticleView(_Strict):
    user_id: UserId
    timestamp: dt.datetime
    article_id: int | Annotated[str, StringConstraints(min_length=1, max_length=200)]
    time_spent: float | None = Field(default=None, ge=0, le=1e7, description="seconds")

    _ts = field_validator("timestamp")(_in_range)


class Events(_Strict):
    clickstream: list[Click] = Field(default_factory=list)
    search_queries: list[Search] = Field(default_factory=list)
    article_views: list[ArticleView] = Field(default_factory=list)


class ScoreRequest(_Strict):
    """Either ``users`` (their features) or ``events`` (their raw recent events), not both."""

    users: list[UserFeatures] | None = None
    events: Events | None = None


class Score(BaseModel):
    user_id: UserId
    segment_id: int
    segment_name: str
    distance: float


class Scores(BaseModel):
    run_id: str
    scores: list[Score]


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    run_id: str
    users: int


class Problem(BaseModel):
    """RFC 9457 problem details; ``fix`` says what to do."""

    type: str
    title: str
    status: int
    detail: str
    fix: str | None = None
