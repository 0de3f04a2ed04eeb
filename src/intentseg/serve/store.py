"""What the server answers from: the current run's memberships and model, in memory.

A ``Snapshot`` is built whole (memberships of one run, that run's model, its segments) and then published
with one reference assignment (``Store.snapshot = new``); a request reads ``store.snapshot`` once and
uses only that object, so it sees the old run or the new one, never a mix and never a half-loaded table.
The ``Poller`` thread checks ``segment_runs`` every ``serve.poll_interval_s`` and loads a newer finished
run, or the same run again when ``intentseg stream`` committed a batch since (its checkpoint table's time);
it opens the warehouse for each check and closes it (an embedded DuckDB file allows one writer: the
server must not hold it while ``intentseg run`` writes).

Memory: per user a position in a ``pandas.Index`` of ids and three small arrays (segment id, distance,
code of the ``since`` time); names, run ids and times are kept once per distinct value.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ..config import OutputSettings
from ..errors import IntentsegError, NotFound, Unavailable
from ..model.segmenter import Segmenter
from ..warehouse import Warehouse, connect

log = logging.getLogger("intentseg.serve")
_WHOLE = re.compile(r"-?\d{1,18}")


@dataclass(frozen=True)
class Snapshot:
    """One run's memberships and model, immutable once built (see :func:`load_snapshot`)."""

    run_id: str
    model: Segmenter
    segments: list[dict[str, Any]]
    index: pd.Index
    segment_ids: np.ndarray
    distances: np.ndarray
    since_codes: np.ndarray
    since_values: list[str | None]
    names: dict[int, str] = field(default_factory=dict)
    #: when ``intentseg stream`` last committed a batch before this snapshot was read (None: no stream)
    stream_mark: str | None = None

    @property
    def users(self) -> int:
        return len(self.index)

    def lookup(self, user_id: str) -> dict[str, Any]:
        """The membership of ``user_id`` (NotFound when it has none)."""
        key: Any = user_id
        if self.index.dtype.kind in "iu":  # whole-number ids: text that is not one is no user
            key = int(user_id) if _WHOLE.fullmatch(user_id) else None
        try:
            i = self.index.get_loc(key) if key is not None else None
        except (KeyError, TypeError):
            i = None
        if not isinstance(i, (int, np.integer)):
            raise NotFound(f"No segment for user {user_id!r} in run {self.run_id}.",
                           hint="Check the user id; users first seen after that run get one in the next run, "
                                "or score them now with POST /v1/score.")
        segment = int(self.segment_ids[i])
        found = self.index[i]
        return {"user_id": int(found) if self.index.dtype.kind in "iu" else str(found),
                "segment_id": segment, "segment_name": self.names[segment], "distance": float(self.distances[i]),
                "run_id": self.run_id, "since": self.since_values[self.since_codes[i]]}


def read_memberships(warehouse: Warehouse, output: OutputSettings) -> pd.DataFrame:
    """``user_segments`` with each user's open history interval's ``valid_from`` as ``since``, in one
    statement (one consistent read: a run committing meanwhile is wholly in or wholly out)."""
    from ..writeback import Tables

    q = Tables(warehouse, output).q
    s, h = q(output.user_segments), q(output.user_segment_history)
    return warehouse.query(
        f"SELECT s.{q('user_id')} AS user_id, s.{q('segment_id')} AS segment_id, s.{q('segment_name')} AS segment_name, "
        f"s.{q('distance')} AS distance, s.{q('run_id')} AS run_id, h.{q('valid_from')} AS since "
        f"FROM {s} s LEFT JOIN {h} h ON h.{q('user_id')} = s.{q('user_id')} AND h.{q('valid_to')} IS NULL"
    )


def load_snapshot(warehouse: Warehouse, output: OutputSettings) -> Snapshot:
    """The run in ``user_segments`` with its model, built whole; Unavailable when there is none yet."""
    from ..model.results import segment_summaries
    from ..writeback import Tables

    if not warehouse.table_exists(output.user_segments):
        raise Unavailable(f"No {output.user_segments} table in {warehouse.display_url} yet.",
                          hint="Run `intentseg run` on this warehouse; the server loads it within serve.poll_interval_s.")
    frame = read_memberships(warehouse, output).drop_duplicates("user_id", keep="first")
    run_ids = frame["run_id"].astype(str).unique().tolist()
    if len(run_ids) != 1:
        raise Unavailable(f"{output.user_segments} holds {len(run_ids)} runs ({', '.join(run_ids[:3])}), not one.",
                          hint="Wait for the running run to finish, or run `intentseg run` again.")
    row = Tables(warehouse, output).run(run_ids[0])
    if not row or not isinstance(row.get("model"), dict):
        raise Unavailable(f"Run {run_ids[0]} stored no model.", hint="Run `intentseg run` again.")
    model = Segmenter.from_dict(row["model"], where=f"run {run_ids[0]}")
    since = pd.to_datetime(frame["since"])
    codes, values = pd.factorize(since, use_na_sentinel=True)
    texts: list[str | None] = [pd.Timestamp(v).isoformat() for v in values] + [None]  # code -1: no open interval
    ids = frame["user_id"]
    index = pd.Index(ids.astype("int64") if ids.dtype.kind in "iuf" else ids.astype(str), copy=False)
    return Snapshot(
        run_id=run_ids[0], model=model, segments=segment_summaries(model), index=index,
        segment_ids=frame["segment_id"].to_numpy(dtype="int16"), distances=frame["distance"].to_numpy(dtype="float64"),
        since_codes=np.where(codes < 0, len(texts) - 1, codes).astype("int32"), since_values=texts,
        names=dict(enumerate(model.segment_names_)),
    )


class Store:
    """The published snapshot and run list; ``snapshot`` is replaced, never changed."""

    def __init__(self) -> None:
        self.snapshot: Snapshot | None = None
        self.runs: list[dict[str, Any]] = []
        self.last_error: str | None = None

    def current(self) -> Snapshot:
        """The published snapshot, or Unavailable (503) before the first load."""
        snap = self.snapshot
        if snap is None:
            raise Unavailable("No run loaded yet.", hint=self.last_error or "Wait for the first load (GET /readyz).")
        return snap


class Poller:
    """Keeps a Store fresh: loads the latest finished run at start, then every ``interval_s`` if it changed."""

    def __init__(self, store: Store, url: str, output: OutputSettings, interval_s: float, on_load: Any = None,
                 on_failure: Any = None) -> None:
        self.store, self.url, self.output, self.interval_s = store, url, output, interval_s
        self.on_load, self.on_failure = on_load, on_failure
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="intentseg-poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.poll_once()
            self._stop.wait(self.interval_s)

    def poll_once(self) -> bool:
        """Check once; returns True when a newer run was published. Failures keep the current snapshot."""
        try:
            return self._poll()
        except IntentsegError as exc:
            self.store.last_error = exc.message
            log.warning("Keeping run %s: %s", getattr(self.store.snapshot, "run_id", None), exc.message)
        except Exception as exc:  # noqa: BLE001 - a bug must not stop the poller; logged without a traceback
            self.store.last_error = "internal error while loading"
            log.error("Keeping the loaded run after an internal error: %s", type(exc).__name__)
        if self.on_failure:
            self.on_failure()
        return False

    def _poll(self) -> bool:
        from ..results import list_runs
        from ..stream.apply import stream_mark
        from ..writeback import Tables

        with connect(self.url) as wh:
            self.store.runs = [r.to_dict() for r in list_runs(wh, self.output, limit=100, reap=False)]
            latest = Tables(wh, self.output).run(None, with_model=False)
            mark = stream_mark(wh)  # a streamed batch changed some users' rows: reload them too
            current = self.store.snapshot
            if latest is None or (current is not None and str(latest["run_id"]) == current.run_id
                                  and mark == current.stream_mark):
                return False
            snapshot = replace(load_snapshot(wh, self.output), stream_mark=mark)
        self.store.snapshot = snapshot  # the one assignment that publishes it
        self.store.last_error = None
        log.info("Serving run %s: %d users.", snapshot.run_id, snapshot.users)
        if self.on_load:
            self.on_load(snapshot)
        return True
