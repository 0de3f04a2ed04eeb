"""What a warehouse holds after runs, read back: the run history and the segments of a run.

``intentseg runs`` and ``intentseg segments`` print these; a notebook or an HTTP layer calls the same
functions. Values come back typed the same way from every engine (JSON columns decoded, NULL/NaN as None).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from .config import OutputSettings
from .errors import InputError
from .warehouse import Warehouse


@dataclass(frozen=True)
class RunSummary:
    """One row of ``segment_runs`` as ``intentseg runs`` shows it (the model JSON left out)."""

    run_id: str
    kind: str
    status: str
    started_at: str
    k: int | None
    n_users: int | None
    silhouette: float | None
    changed_share: float | None
    error: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RunSegments:
    """The segments of one stored run, least engaged first (the dicts of ``RunResult.segments``)."""

    run_id: str
    segments: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "segments": self.segments}


def list_runs(warehouse: Warehouse, output: OutputSettings | None = None, *, limit: int | None = 20,
              reap: bool = True) -> list[RunSummary]:
    """The run history, newest first, at most ``limit`` runs (all with ``None``); empty before any run.

    Runs whose process died are marked ``interrupted`` first, when no run holds the lock (``reap=False``: a
    pure read that never takes the run lock).
    """
    from .writeback import Tables

    frame = Tables(warehouse, output or OutputSettings()).runs(limit, reap=reap)
    return [_summary(row) for row in frame.to_dict("records")]


def segments_of(warehouse: Warehouse, run_id: str | None = None, output: OutputSettings | None = None) -> RunSegments:
    """The segments of run ``run_id`` (default: the latest successful run), from the model it stored.

    Raises InputError (exit 2) naming the warehouse when there is no such run or it stored no model.
    """
    from .model.results import segment_summaries
    from .model.segmenter import Segmenter
    from .writeback import Tables

    row = Tables(warehouse, output or OutputSettings()).run(run_id)
    if not row or not isinstance(row.get("model"), dict):
        raise InputError(
            f"No {'run ' + run_id if run_id else 'successful run'} with a model in {warehouse.display_url}.",
            hint="Run `intentseg run` first, or list runs with `intentseg runs`.",
        )
    model = Segmenter.from_dict(row["model"], where=f"run {row['run_id']}")
    return RunSegments(run_id=str(row["run_id"]), segments=segment_summaries(model))


def _summary(row: dict[str, Any]) -> RunSummary:
    metrics = _json_object(row.get("metrics"))
    error = _json_object(row.get("error"))
    silhouette = metrics.get("silhouette")
    return RunSummary(
        run_id=str(row["run_id"]),
        kind=str(row["kind"]),
        status=str(row["status"]),
        started_at=str(row["started_at"]),
        k=_whole(row.get("k")),
        n_users=_whole(row.get("n_users")),
        silhouette=float(silhouette) if isinstance(silhouette, (int, float)) else None,
        changed_share=_number(row.get("changed_share")),
        error=None if not error else str(error.get("message") or error.get("type") or error),
    )


def _json_object(value: Any) -> dict[str, Any]:
    """A JSON column as a dict, whatever the engine returned: text, a dict, NULL/NaN, or text that is
    not a JSON object (kept as its ``message``)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, (str, bytes)):
        try:
            decoded = json.loads(value)
        except ValueError:
            return {"message": value if isinstance(value, str) else value.decode("utf-8", "replace")}
        return decoded if isinstance(decoded, dict) else {"message": str(decoded)}
    return {}


def _number(value: Any) -> float | None:
    """A numeric column value; None for NULL, NaN or anything that is not a number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number


def _whole(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)
