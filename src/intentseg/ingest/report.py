"""What an ingest did, and what the warehouse holds: plain dataclasses with ``to_dict`` for ``--json``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class FileResult:
    """One file: loaded, already loaded (same content hash and source in the ledger), or skipped."""

    path: str
    source: str | None
    format: str | None
    status: str  # "loaded" | "already_loaded" | "skipped"
    rows_read: int = 0
    accepted: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)  # reason -> rows
    #: rows whose event the warehouse already held (skipped, not quarantined)
    already_loaded: int = 0
    note: str = ""
    #: access logs: lines that are no page view, by reason (bot, static_asset, …); counted, not stored
    excluded: dict[str, int] = field(default_factory=dict)


@dataclass
class SourceCounts:
    """Totals for one source over the files of an ingest."""

    source: str
    table: str
    rows_read: int = 0
    accepted: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)  # reason -> rows
    #: rows whose event the warehouse already held (skipped, not quarantined)
    already_loaded: int = 0
    #: access logs: lines that are no page view, by reason; accepted + quarantined + already_loaded + excluded
    excluded: dict[str, int] = field(default_factory=dict)

    @property
    def quarantined_rows(self) -> int:
        return sum(self.quarantined.values())

    @property
    def excluded_rows(self) -> int:
        return sum(self.excluded.values())

    def add(self, result: FileResult) -> None:
        """Count one loaded file's rows into these totals."""
        self.rows_read += result.rows_read
        self.accepted += result.accepted
        self.already_loaded += result.already_loaded
        for why, n in result.excluded.items():
            self.excluded[why] = self.excluded.get(why, 0) + n
        for why, n in result.quarantined.items():
            self.quarantined[why] = self.quarantined.get(why, 0) + n


@dataclass
class IngestReport:
    """The result of :func:`intentseg.ingest`: per source and per file, rows accepted and quarantined by reason.

    For every file and source, ``accepted + quarantined + already_loaded (+ excluded) == rows_read``; only
    access logs exclude rows (a bot, a static asset, …).
    """

    warehouse: str
    sources: dict[str, SourceCounts] = field(default_factory=dict)
    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows_read(self) -> int:
        return sum(s.rows_read for s in self.sources.values())

    @property
    def accepted(self) -> int:
        return sum(s.accepted for s in self.sources.values())

    @property
    def quarantined(self) -> int:
        return sum(s.quarantined_rows for s in self.sources.values())

    @property
    def already_loaded(self) -> int:
        return sum(s.already_loaded for s in self.sources.values())

    @property
    def excluded(self) -> int:
        return sum(s.excluded_rows for s in self.sources.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "warehouse": self.warehouse,
            "rows_read": self.rows_read,
            "accepted": self.accepted,
            "quarantined": self.quarantined,
            "already_loaded": self.already_loaded,
            "excluded": self.excluded,
            "seconds": round(self.seconds, 3),
            "sources": {k: asdict(v) for k, v in self.sources.items()},
            "files": [asdict(f) for f in self.files],
        }


@dataclass
class SourceStatus:
    """One source as it is in the warehouse."""

    source: str
    table: str
    exists: bool
    rows: int = 0
    users: int = 0
    first_event: str | None = None
    last_event: str | None = None
    quarantined: dict[str, int] = field(default_factory=dict)  # reason -> rows in <table>_quarantine


@dataclass
class SourcesReport:
    """The result of :func:`intentseg.describe_sources`: the sources, and the files in the ingest ledger."""

    warehouse: str
    sources: list[SourceStatus] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)  # the ingest ledger, oldest first

    def to_dict(self) -> dict[str, Any]:
        return {"warehouse": self.warehouse, "sources": [asdict(s) for s in self.sources], "files": self.files}
