"""Load event files (CSV, Parquet, JSON Lines) or web server access logs into a warehouse, and describe what it holds.

Every row read is either accepted into its source's table or kept in ``<table>_quarantine`` with a
reason (:data:`REASONS`): accepted + quarantined + already_loaded == rows read, always (for access logs,
+ the lines excluded as no page view, :data:`.accesslog.EXCLUDED`). User ids are whole numbers or text
as :mod:`.idtype` decides. See docs/ingest.md.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import ValidationError

from ..config import IngestSettings, Settings
from ..errors import ConfigError
from ..presets import summary_sql
from ..schema import SOURCES, get_source
from ..warehouse import Warehouse, connect
from .accesslog import LOG_FORMATS, ParsedLog, read_log
from .idtype import resolve_id_types
from .load import (
    LEDGER_TABLE,
    Target,
    already_loaded,
    ensure_ledger,
    file_hash,
    now_utc,
    quarantine_table,
    record_file,
)
from .plan import PlannedFile, plan, plan_logs
from .readers import RawBatch, iter_batches
from .report import FileResult, IngestReport, SourceCounts, SourcesReport, SourceStatus
from .validate import REASONS, Checked, Rules, SeenEvents, check, check_id_type

__all__ = ["REASONS", "IngestReport", "SourcesReport", "describe_sources", "ingest"]


def ingest(
    paths: str | Path | Sequence[str | Path],
    warehouse: str | Warehouse | None = None,
    *,
    source: str | None = None,
    settings: Settings | None = None,
    columns: Mapping[str, str] | None = None,
    time_spent_cap_s: float | None = None,
    user_id_type: str | None = None,
    batch_rows: int | None = None,
    log_format: str | None = None,
) -> IngestReport:
    """Load files (or folders of files named after their source) into ``warehouse``.

    ``source`` forces the source of every file. ``columns`` maps canonical columns to the files' names,
    e.g. ``{"user_id": "visitor_id"}`` (or ``{"clickstream.user_id": ...}`` for one source), on top of
    the config's ``[sources.NAME.columns]``. The keyword settings override ``settings.ingest``.
    Re-loading a file already in the ingest ledger does nothing; events the warehouse already holds are
    skipped and counted as ``already_loaded`` (accepted + quarantined + already_loaded == rows read).

    ``log_format`` (``combined`` or ``common``) reads web server access logs instead: each file gives
    clickstream page views and search_queries, and lines left out are counted as ``excluded`` by reason
    (:data:`intentseg.ingest.accesslog.EXCLUDED`); see docs/ingest.md.
    """
    started = time.perf_counter()
    settings = settings or Settings()
    rules_src = _ingest_settings(settings.ingest, time_spent_cap_s, user_id_type, batch_rows)
    given = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if log_format is not None:
        planned, skipped = plan_logs([Path(p) for p in given], log_format, source, dict(columns or {})), list[FileResult]()
    else:
        planned, skipped = plan([Path(p) for p in given], settings, source, dict(columns or {}))
    logs = _read_logs(planned, settings)

    if rules_src.user_id_type == "int" and not logs:
        _check_int_ids(planned, rules_src.time_spent_cap_s)  # before anything is created

    wh = connect(warehouse if warehouse is not None else settings.warehouse)
    try:
        report = IngestReport(wh.display_url)
        id_types = resolve_id_types(wh, settings, planned, rules_src.user_id_type,
                                    lambda f: _head(f, rules_src.time_spent_cap_s)) if planned else {}
        if planned:
            ensure_ledger(wh)
        targets = _prepare_targets(wh, settings, planned, id_types, report)
        for f in planned:
            rules = Rules(rules_src.time_spent_cap_s, id_types[f.source])
            log = logs.get(f.path)
            batches = (log.batches(f.source, rules_src.batch_rows) if log is not None
                       else iter_batches(f.path, f.format, rules_src.batch_rows))
            result = _load_file(wh, f, targets[f.source], rules, batches, log)
            report.files.append(result)
            report.sources[f.source].add(result)
        report.files.extend(skipped)
    finally:
        if wh is not warehouse:
            wh.close()
    report.seconds = time.perf_counter() - started
    return report


def _check_int_ids(planned: list[PlannedFile], cap_s: float) -> None:
    """With integer ids configured, a file whose first rows hold text ids stops the ingest with the fix."""
    for f in planned:
        head = next(iter_batches(f.path, f.format, 10_000), None)
        if head is not None:
            check_id_type(check(head, get_source(f.source), f.columns, Rules(cap_s, "int")),
                          str(f.path), hint='Set user_id_type = "auto" under [ingest] in intentseg.toml '
                          "(or INTENTSEG_INGEST__USER_ID_TYPE=auto): text ids then load as text.")


def _prepare_targets(wh: Warehouse, settings: Settings, planned: list[PlannedFile], id_types: dict[str, str],
                     report: IngestReport) -> dict[str, Target]:
    """One prepared target table per source, each file's columns checked against it before any load."""
    targets: dict[str, Target] = {}
    for f in planned:
        if f.source not in targets:
            targets[f.source] = Target.prepare(wh, get_source(f.source), settings.mapping(f.source), id_types[f.source])
            report.sources[f.source] = SourceCounts(f.source, targets[f.source].table)
        targets[f.source].check_file_columns(f.columns, str(f.path))
    return targets


def _ingest_settings(base: IngestSettings, cap: float | None, id_type: str | None, batch: int | None) -> IngestSettings:
    given = {"time_spent_cap_s": cap, "user_id_type": id_type, "batch_rows": batch}
    try:
        return IngestSettings.model_validate(base.model_dump() | {k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))} = {e.get('input')!r}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"ingest settings: {problems}.", hint="Correct the value.") from None


def _read_logs(planned: list[PlannedFile], settings: Settings) -> dict[Path, ParsedLog]:
    """Each access log of the plan, parsed once for its two sources (before anything is written)."""
    logs: dict[Path, ParsedLog] = {}
    salt = settings.ingest.visitor_salt
    for f in planned:
        if f.format in LOG_FORMATS and f.path not in logs:
            logs[f.path] = read_log(
                f.path, f.format, salt=salt.get_secret_value() if salt is not None else None,
                search_params=settings.ingest.search_params,
                session_gap_s=settings.features.session_gap_minutes * 60.0,
                duration_cap_s=settings.features.duration_cap_s,
            )
    return logs


def _head(f: PlannedFile, cap: float) -> Checked | None:
    """The first 10,000 rows of a file validated as whole-number ids (how many are not whole numbers);
    None for an access log, an empty file, or ids typed as numbers (Parquet)."""
    if f.format in LOG_FORMATS:
        return None
    head = next(iter_batches(f.path, f.format, 10_000), None)
    physical = f.columns.get("user_id")
    if head is None or physical is None:
        return None
    kind = head.table.schema.field(physical).type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return None
    return check(head, get_source(f.source), f.columns, Rules(cap, "int"))


def _load_file(wh: Warehouse, f: PlannedFile, target: Target, rules: Rules, batches: Iterator[RawBatch],
               log: ParsedLog | None = None) -> FileResult:
    result = FileResult(str(f.path), f.source, f.format, "loaded")
    digest = file_hash(f.path)
    if already_loaded(wh, digest, f.source):
        result.status, result.note = "already_loaded", "same content already loaded (ingest ledger)"
        return result
    if log is not None and f.source == "clickstream":  # lines that are no page view: counted, not stored
        result.excluded = dict(sorted(log.excluded.items()))
        result.rows_read += sum(log.excluded.values())
    elif log is not None:
        result.note = "rows read: the page views whose query string holds a search (ingest.search_params)"
    ingested_at = now_utc()
    src = get_source(f.source)
    rules = replace(rules, max_chars=target.max_chars)
    seen = SeenEvents()
    for batch in batches:
        checked = check(batch, src, f.columns, rules)
        rejected = checked.quarantined(str(f.path))
        events = checked.events
        again = seen.repeated(events.column("event_id"))
        if again.any():  # the same event in an earlier batch of this file
            repeats = checked.quarantined(str(f.path), rows=checked.event_rows[again], reason="duplicate")
            rejected, events = pa.concat_tables([rejected, repeats]), events.filter(pa.array(~again))
        inserted = target.load_batch(events, rejected, ingested_at, digest)
        result.rows_read += batch.rows_read
        result.accepted += inserted
        # Events the table held already (an interrupted earlier run of this file, an overlapping file,
        # an ingest running at the same time): counted, not quarantined; the warehouse keeps one copy.
        result.already_loaded += events.num_rows - inserted
        for why in rejected.column("reason").to_pylist():
            result.quarantined[why] = result.quarantined.get(why, 0) + 1
    # The invariant the whole design serves: every row read is accounted for.
    assert (result.accepted + sum(result.quarantined.values()) + result.already_loaded
            + sum(result.excluded.values()) == result.rows_read), result
    added = record_file(wh, {
        "file_hash": digest, "source": f.source, "file": str(f.path), "format": f.format,
        "rows_read": result.rows_read, "accepted": result.accepted,
        "quarantined": sum(result.quarantined.values()), "ingested_at": ingested_at,
        "already_loaded": result.already_loaded, "excluded": sum(result.excluded.values()),
    })
    if not added:
        result.note = "another ingest of the same content finished first; the ledger lists it once"
    return result


def describe_sources(warehouse: str | Warehouse | None = None, settings: Settings | None = None) -> SourcesReport:
    """Per source: table, whether it exists, rows, distinct users, first/last event, quarantined rows by
    reason; and the ingest ledger. Works on tables made without intentseg (no event_id, no quarantine)."""
    settings = settings or Settings()
    wh = connect(warehouse if warehouse is not None else settings.warehouse)
    try:
        q = wh.quote
        tables = set(wh.tables())
        report = SourcesReport(wh.display_url)
        for name in SOURCES:
            mapping = settings.mapping(name)
            table = mapping.table or name
            status = SourceStatus(name, table, table in tables and mapping.enabled)
            if status.exists and mapping.defined:  # rows of a shared events table (intentseg.presets)
                row = wh.query(summary_sql(wh, mapping)).iloc[0]
            elif status.exists:
                found = mapping.resolve(wh.columns(table), where=f"table {table}")
                uid, ts = q(found["user_id"] or "user_id"), q(found["timestamp"] or "timestamp")
                row = wh.query(
                    f"SELECT COUNT(*) AS n, COUNT(DISTINCT {uid}) AS users, MIN({ts}) AS first, MAX({ts}) AS last "
                    f"FROM {wh.quote_table(table)}"
                ).iloc[0]
            if status.exists:
                status.rows, status.users = int(row["n"]), int(row["users"])
                status.first_event, status.last_event = _iso(row["first"]), _iso(row["last"])
            if quarantine_table(table) in tables:
                counts = wh.query(
                    f"SELECT {q('reason')} AS reason, COUNT(*) AS n FROM {wh.quote_table(quarantine_table(table))} "
                    f"GROUP BY {q('reason')} ORDER BY {q('reason')}"
                )
                status.quarantined = {str(r): int(n) for r, n in zip(counts["reason"], counts["n"])}
            report.sources.append(status)
        if LEDGER_TABLE in tables:
            ledger = wh.query(f"SELECT * FROM {wh.quote_table(LEDGER_TABLE)} ORDER BY {q('ingested_at')}, {q('file')}")
            report.files = [
                {k: _iso(v) if k == "ingested_at" else _plain(v) for k, v in r.items()}
                for r in ledger.to_dict("records")
            ]
    finally:
        if wh is not warehouse:
            wh.close()
    return report


def _plain(value: object) -> object:
    """A ledger value as JSON takes it: NULL (e.g. ``already_loaded`` of a file an older intentseg
    loaded) -> None, a whole-number float (the NULL made pandas use floats) -> int."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    value = value.item() if isinstance(value, np.generic) else value
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _iso(value: object) -> str | None:
    if value is None or pd.isna(value):
        return None
    return value if isinstance(value, str) else pd.Timestamp(value).isoformat(sep=" ")
