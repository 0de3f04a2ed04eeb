"""One micro-batch of broker messages applied to the warehouse in one transaction.

In that transaction: the events go into their source tables (deduplicated by ``event_id``, as ingest does),
bad messages into quarantine (keyed by stream and position, so a message sent again is quarantined once),
the touched users' features are recomputed from their events and written to ``user_features``, the users
are scored with the newest successful run's model (``assignments_of``, the numbers ``predict`` gives), their
rows in ``user_segments`` and ``user_segment_history`` replaced and closed/opened, their membership
changes added to the outbox ``segment_events``, and the stream's position saved in the checkpoint table.
A crash anywhere rolls all of it back; the broker is acknowledged only after the commit.

Features are recomputed per touched user from the raw events (the feature SQL restricted to those users),
not merged from the per-day state of ``features/incremental.py``: that state re-opens whole days for every
user, while a micro-batch touches a few users; a recomputation is also idempotent (applying a batch twice
changes nothing), which is what makes a replay after kill -9 safe. ``recency_days`` is measured to
``features.reference_time`` when set, else to the latest event in the warehouse at the batch's commit.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlglot import exp

from ..activate import outbox
from ..config import Settings
from ..errors import ConfigError
from ..features.build import (
    _CTE_NAMES,
    FeatureOptions,
    _bind,
    _hoist,
    _parse,
    _plan_interests,
    _rename_tables,
    _source_cte,
    _typed,
    _values,
    plan_sources,
    refresh_query_intents,
    render,
)
from ..features.interests import add_interests
from ..ingest.idtype import existing_id_types
from ..ingest.load import QUARANTINE_TYPES, Target, _quarantine_rows, ensure_table, ensure_unique, now_utc
from ..ingest.validate import Rules
from ..model.results import assignments_of
from ..model.segmenter import Segmenter
from ..presets.compile import table_expression as _table
from ..schema import SOURCES
from ..warehouse import Warehouse
from ..writeback import Tables, assignment_columns
from .messages import Message, decode, validate

CHECKPOINT_COLUMNS = {
    "stream": "key", "position": "text", "line": "bigint", "batches": "bigint", "received": "bigint",
    "accepted": "bigint", "already_loaded": "bigint", "quarantined": "bigint", "users_scored": "bigint",
    "membership_events": "bigint", "run_id": "key", "updated_at": "timestamp",
}
_COUNTS = ("batches", "received", "accepted", "already_loaded", "quarantined", "users_scored", "membership_events")


@dataclass
class BatchResult:
    """What one micro-batch did."""

    received: int = 0
    accepted: int = 0  # new events written
    already_loaded: int = 0  # valid events the warehouse held already (a message sent twice)
    quarantined: dict[str, int] = field(default_factory=dict)
    users_scored: int = 0
    membership_events: int = 0
    run_id: str | None = None
    seconds: float = 0.0


def read_checkpoint(wh: Warehouse, table: str, stream: str) -> dict[str, Any] | None:
    """The stream's saved position and counts, or None when it never committed a batch."""
    if not wh.table_exists(table):
        return None
    df = wh.query(f"SELECT * FROM {wh.quote_table(table)} WHERE {wh.quote('stream')} = :s", {"s": stream})
    return None if df.empty else df.iloc[0].to_dict()


def stream_mark(wh: Warehouse, table: str = "intentseg_stream_checkpoints") -> str | None:
    """When any stream last committed a batch (None without one): a reader holding ``user_segments`` in
    memory (``intentseg serve``) reloads when this changes."""
    if not wh.table_exists(table):
        return None
    value = wh.scalar(f"SELECT MAX({wh.quote('updated_at')}) FROM {wh.quote_table(table)}")
    return None if value is None or pd.isna(value) else str(pd.Timestamp(value))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Applier:
    """Applies micro-batches of one stream (``stream``: its name in the checkpoint table) to a warehouse."""

    def __init__(self, wh: Warehouse, settings: Settings, stream: str) -> None:
        if not wh.transactional_ddl:
            raise ConfigError(f"intentseg stream needs a warehouse whose DDL joins transactions; {wh.engine} commits it.",
                              hint="Stream into DuckDB or PostgreSQL; on MariaDB load files with `intentseg ingest`.")
        self.wh, self.settings, self.stream = wh, settings, stream
        self.names = settings.output
        self.tables = Tables(wh, self.names)
        cfg = settings.stream
        self.checkpoint_table, self.quarantine = cfg.checkpoint_table, cfg.quarantine_table
        self.id_type = self._id_type()
        self.targets = {name: Target.prepare(wh, SOURCES[name], settings.mapping(name), self.id_type) for name in SOURCES}
        self.rules = Rules(settings.ingest.time_spent_cap_s, self.id_type)
        ensure_table(wh, self.quarantine, QUARANTINE_TYPES)
        ensure_unique(wh, self.quarantine, ["row_id"])
        ensure_table(wh, self.checkpoint_table, CHECKPOINT_COLUMNS)
        ensure_unique(wh, self.checkpoint_table, ["stream"])
        user_type = "bigint" if self.id_type == "int" else "id"
        outbox.ensure_tables(wh, self.names, user_type)
        self.user_type = user_type
        self.checkpoint = read_checkpoint(wh, self.checkpoint_table, stream)
        self._model: tuple[str, Segmenter] | None = None
        self._plans: dict[str, Any] | None = None
        self._sql: tuple[str, str] | None = None  # (what it was built for, the features SQL)
        self._latest_sql: list[str] | None = None
        self._pending_checkpoint: dict[str, Any] | None = None
        self._new_queries = True  # whether the batch holds search queries (else no query to classify)
        self._touched = f"intentseg_stream_users_{uuid.uuid4().hex[:8]}"

    def _id_type(self) -> str:
        setting = self.settings.ingest.user_id_type
        if setting != "auto":
            return setting
        return next(iter(existing_id_types(self.wh, self.settings).values()), "int")

    @property
    def position(self) -> str | None:
        return None if self.checkpoint is None else str(self.checkpoint["position"])

    # -- one batch -------------------------------------------------------------------------------------
    def apply(self, messages: list[Message]) -> BatchResult:
        """Everything a batch changes, and the stream's new position, in one transaction."""
        started = time.perf_counter()
        result = BatchResult(received=len(messages))
        at = now_utc()
        digest = _digest(self.stream)
        decoded = decode(messages)
        with self.wh.transaction():
            self._quarantine_unreadable(decoded.unreadable, at, digest, result)
            users: list[pa.Array] = []
            for name, raw in decoded.by_source.items():
                target = self.targets[name]
                checked = validate(raw, name, Rules(self.rules.time_spent_cap_s, self.id_type, target.max_chars),
                                   decoded.event_ids[name])
                rejected = checked.quarantined(self.stream)
                inserted = target.load_batch(checked.events, rejected, at, digest)
                result.accepted += inserted
                result.already_loaded += checked.events.num_rows - inserted
                for why in rejected.column("reason").to_pylist():
                    result.quarantined[why] = result.quarantined.get(why, 0) + 1
                if checked.events.num_rows:
                    users.append(checked.events.column("user_id").combine_chunks())
            if users:
                self._new_queries = "search_queries" in decoded.by_source
                self._score_users(pa.concat_arrays(users).unique(), at, messages[-1], result)
            self._save_checkpoint(messages[-1], at, result)
        assert result.accepted + result.already_loaded + sum(result.quarantined.values()) == result.received, result
        result.seconds = time.perf_counter() - started
        return result

    def _quarantine_unreadable(self, rows: list[tuple[int, str, str]], at: pd.Timestamp, digest: str,
                               result: BatchResult) -> None:
        if not rows:
            return
        table = pa.table({
            "file": pa.array([self.stream] * len(rows), pa.string()),
            "line": pa.array([r[0] for r in rows], pa.int64()),
            "reason": pa.array([r[1] for r in rows], pa.string()),
            "column": pa.nulls(len(rows), pa.string()),
            "raw": pa.array([r[2] for r in rows], pa.string()),
        })
        staging = self.wh.staging_name(self.quarantine)
        self.wh.write_table(staging, _quarantine_rows(table, at, digest), mode="create", types=QUARANTINE_TYPES)
        try:
            self.wh.insert_skipping_duplicates(self.quarantine, staging, list(QUARANTINE_TYPES), ["row_id"])
        finally:
            self.wh.drop_table(staging)
        for _, why, _ in rows:
            result.quarantined[why] = result.quarantined.get(why, 0) + 1

    def _save_checkpoint(self, last: Message, at: pd.Timestamp, result: BatchResult) -> None:
        before = self.checkpoint or {c: 0 for c in _COUNTS}
        counts = {"batches": 1, "received": result.received, "accepted": result.accepted,
                  "already_loaded": result.already_loaded, "quarantined": sum(result.quarantined.values()),
                  "users_scored": result.users_scored, "membership_events": result.membership_events}
        row = {"stream": self.stream, "position": last.position, "line": last.line,
               **{c: int(before[c] or 0) + counts[c] for c in _COUNTS}, "run_id": result.run_id,
               "updated_at": at.to_pydatetime()}
        q, table = self.wh.quote, self.wh.quote_table(self.checkpoint_table)
        if self.checkpoint is None:
            cols = ", ".join(q(c) for c in row)
            self.wh.execute(f"INSERT INTO {table} ({cols}) VALUES ({', '.join(f':{c}' for c in row)})", row)
        else:
            sets = ", ".join(f"{q(c)} = :{c}" for c in row if c != "stream")
            self.wh.execute(f"UPDATE {table} SET {sets} WHERE {q('stream')} = :stream", row)
        self._pending_checkpoint = row

    def committed(self) -> None:
        """Call after the batch's transaction committed: the in-memory checkpoint follows the table."""
        self.checkpoint = self._pending_checkpoint or self.checkpoint

    # -- features and segments of the touched users ------------------------------------------------------
    def current_model(self) -> tuple[str, Segmenter] | None:
        """The newest successful run's id and model (re-read when a newer run finished)."""
        latest = self.tables.run(None, with_model=False)
        if latest is None:
            return None
        run_id = str(latest["run_id"])
        if self._model is None or self._model[0] != run_id:
            row = self.tables.run(run_id)
            if not row or not isinstance(row.get("model"), dict):
                return None
            self._model = (run_id, Segmenter.from_dict(row["model"], where=f"run {run_id}"))
        return self._model

    def _score_users(self, users: pa.Array, at: pd.Timestamp, last: Message, result: BatchResult) -> None:
        wh, names = self.wh, self.names
        touched = self._touched
        wh.write_table(touched, pa.table({"user_id": users}), mode="create",
                       types={"user_id": self.user_type})
        try:
            features = self.touched_features(touched)
            self._write_features(features, touched)
            model = self.current_model()
            if model is None or not wh.table_exists(names.user_segments) or features.empty:
                return  # no run yet: the events and features wait for the first `intentseg run`
            run_id, seg = model
            scored = assignments_of(seg, features)
            result.users_scored, result.run_id = len(scored), run_id
            result.membership_events = self._write_memberships(scored, touched, run_id, at, last)
        finally:
            wh.drop_table(touched)

    def touched_features(self, touched: str) -> pd.DataFrame:
        """The features of the users in table ``touched`` (one row each), from all their events: the feature
        SQL of a full build with each source restricted to those users; content interests planned over every
        event, as a full build plans them. The SQL is built once (recency's reference time is a parameter) and
        again only when the interest columns move."""
        wh, settings = self.wh, self.settings
        if self._plans is None:
            self._plans = plan_sources(settings.mappings(), wh)
        plans = self._plans
        if self._new_queries or not wh.table_exists(settings.output.query_intents):
            refresh_query_intents(wh, settings, plans=plans)  # classify the queries not seen before
        opts = FeatureOptions.from_settings(settings)
        reference = opts.reference_time if opts.reference_time is not None else self._latest_event(plans)
        interests = _plan_interests(wh, settings, plans, opts)
        key = f"{touched}:{json.dumps(interests.to_dict(), sort_keys=True)}"
        if self._sql is None or self._sql[0] != key:
            self._sql = (key, self._features_sql(plans, opts, touched, interests))
        params = {"reference_ts": None if reference is None else pd.Timestamp(reference).to_pydatetime()}
        return _typed(wh.query(self._sql[1], params))

    def _features_sql(self, plans: dict[str, Any], opts: FeatureOptions, touched: str, interests: Any) -> str:
        ctes: list[tuple[str, exp.Expression]] = []
        for name in SOURCES:
            cte = _source_cte(name, plans, opts)
            compiled = plans[name].compiled
            if plans[name].present and compiled is not None:
                uid = compiled.columns["user_id"]
                assert uid is not None
                cte = cte.where(uid.copy().isin(query=exp.select("user_id").from_(_table(touched))))
            ctes.append((_CTE_NAMES[name], cte))
        for name in SOURCES:
            ctes.append((f"{name}_per_user", _hoist(_parse(name), ctes)))
        final = add_interests(_hoist(_parse("combine"), ctes), interests, ctes)
        for alias, body in ctes:
            final = final.with_(alias, as_=body)
        values = {**_values(opts), "reference_time": exp.cast(exp.Placeholder(this="reference_ts"), "TIMESTAMP")}
        query = _rename_tables(_bind(final, values), {"query_intents": opts.query_intents_table})
        return render(query, self.wh.dialect, pretty=False)

    def _latest_event(self, plans: dict[str, Any]) -> pd.Timestamp | None:
        if self._latest_sql is None:
            self._latest_sql = [
                render(exp.select(exp.Max(this=exp.column("ts")).as_("ts")).from_("e")
                       .with_("e", as_=_source_cte(name, plans, None)), self.wh.dialect, pretty=False)
                for name in SOURCES if plans[name].present]
        latest = [pd.Timestamp(v) for v in (self.wh.scalar(sql) for sql in self._latest_sql)
                  if v is not None and not pd.isna(v)]
        return max(latest) if latest else None

    def _write_features(self, features: pd.DataFrame, touched: str) -> None:
        """Replace the touched users' rows of the feature table (when it has the same columns: a change of the
        content-interest columns waits for the next run's rebuild)."""
        wh, table = self.wh, self.settings.features.output_table
        if features.empty or not wh.table_exists(table):
            return
        columns = wh.columns(table)
        if set(columns) != set(features.columns):
            return
        wh.execute(f"DELETE FROM {wh.quote_table(table)} WHERE {wh.quote('user_id')} IN "
                   f"(SELECT {wh.quote('user_id')} FROM {wh.quote_table(touched)})")
        wh.write_table(table, features[columns], mode="append")

    def _write_memberships(self, scored: pd.DataFrame, touched: str, run_id: str, at: pd.Timestamp,
                           last: Message) -> int:
        """user_segments rows replaced, history intervals closed and opened, changes to the outbox."""
        wh, names, q = self.wh, self.names, self.tables.q
        seg, hist, t = q(names.user_segments), q(names.user_segment_history), q(touched)
        before = wh.query(f"SELECT user_id, segment_id, segment_name FROM {seg} WHERE user_id IN (SELECT user_id FROM {t})")
        rows = scored.assign(run_id=run_id, scored_at=at)
        staged = wh.staging_name(names.user_segments)
        wh.write_table(staged, rows, mode="create", types=assignment_columns(self.user_type))
        try:
            cols = ", ".join(q(c) for c in assignment_columns(self.user_type))
            wh.execute(f"DELETE FROM {seg} WHERE user_id IN (SELECT user_id FROM {t})")
            wh.execute(f"INSERT INTO {seg} ({cols}) SELECT {cols} FROM {q(staged)}")
            ts = {"ts": at.to_pydatetime()}
            wh.execute(
                f"UPDATE {hist} SET valid_to = :ts WHERE valid_to IS NULL AND user_id IN (SELECT user_id FROM {t}) "
                f"AND NOT EXISTS (SELECT 1 FROM {q(staged)} s WHERE s.user_id = {hist}.user_id "
                f"AND s.segment_id = {hist}.segment_id AND s.segment_name = {hist}.segment_name)", ts)
            wh.execute(
                f"INSERT INTO {hist} (user_id, segment_id, segment_name, valid_from, valid_to, run_id) "
                f"SELECT s.user_id, s.segment_id, s.segment_name, :ts, NULL, :run_id FROM {q(staged)} s "
                f"WHERE NOT EXISTS (SELECT 1 FROM {hist} h WHERE h.user_id = s.user_id AND h.valid_to IS NULL)",
                ts | {"run_id": run_id})
        finally:
            wh.drop_table(staged)
        return self._write_events(before, scored, run_id, at, last)

    def _write_events(self, before: pd.DataFrame, scored: pd.DataFrame, run_id: str, at: pd.Timestamp,
                      last: Message) -> int:
        """The touched users whose segment (id or name) changed, as outbox events (entered or moved)."""
        if self.wh.dialect not in outbox.OUTBOX_DIALECTS:
            return 0
        old = before.rename(columns={"segment_id": "from_segment_id", "segment_name": "from_segment_name"})
        old["user_id"] = old["user_id"].astype(scored["user_id"].dtype)
        both = scored.merge(old, on="user_id", how="left")
        changed = both[both["from_segment_id"].isna() | (both["from_segment_id"] != both["segment_id"])
                       | (both["from_segment_name"] != both["segment_name"])]
        if changed.empty:
            return 0
        key = f"stream:{self.stream}:{last.position}:"
        events = pd.DataFrame({
            "event_id": [hashlib.md5(f"{key}{u}".encode()).hexdigest() for u in changed["user_id"]],
            "run_id": run_id,
            "user_id": changed["user_id"].to_numpy(),
            "kind": ["entered" if pd.isna(f) else "moved" for f in changed["from_segment_id"]],
            "from_segment_id": changed["from_segment_id"].astype("Int64").to_numpy(),
            "from_segment_name": changed["from_segment_name"].astype(object).to_numpy(),
            "to_segment_id": changed["segment_id"].astype("int64").to_numpy(),
            "to_segment_name": changed["segment_name"].astype(object).to_numpy(),
            "occurred_at": at,
        })
        self.wh.write_table(self.names.segment_events, events, mode="append",
                            types=outbox.event_columns(self.user_type))
        return len(events)
