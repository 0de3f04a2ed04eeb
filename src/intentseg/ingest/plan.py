"""Which files to load as which source, checked before anything is written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..errors import ConfigError, InputError
from ..schema import SOURCES, SourceMapping, get_source
from .readers import FORMATS, file_format, read_columns
from .report import FileResult


@dataclass
class PlannedFile:
    path: Path
    source: str
    format: str
    columns: dict[str, str | None]  # canonical -> the file's column (None: optional and absent)


def file_mapping(settings: Settings, source: str, overrides: Mapping[str, str]) -> SourceMapping:
    """The config's mapping for ``source`` with ``--map`` overrides on top.

    An override key is a canonical column (``user_id``: every source that has it) or ``source.column``.
    """
    base = settings.mapping(source)
    columns = dict(base.columns)
    names = get_source(source).column_names
    for key, value in overrides.items():
        src, _, col = key.rpartition(".")
        if (not src or src == source) and col in names:
            columns[col] = value
    return SourceMapping(source, base.table, columns)


def check_overrides(overrides: Mapping[str, str]) -> None:
    known = {c for s in SOURCES.values() for c in s.column_names}
    for key in overrides:
        src, _, col = key.rpartition(".")
        if src and src not in SOURCES:
            raise ConfigError(f"--map {key}=…: unknown source {src!r}.", hint=f"Use one of: {', '.join(SOURCES)}.")
        cols = get_source(src).column_names if src else sorted(known)
        if col not in cols:
            raise ConfigError(
                f"--map {key}=…: {col!r} is not a canonical column{' of ' + src if src else ''}.",
                hint=f"Map one of: {', '.join(cols)} (e.g. --map user_id=visitor_id).",
            )


def _source_of(path: Path, settings: Settings) -> str | None:
    """The source a file is named after (its name without extension = a source or its mapped table)."""
    stem = path.name[: -len(path.suffix)].lower() if path.suffix else path.name.lower()
    for name in SOURCES:
        if stem in (name, (settings.mapping(name).table or name).lower()):
            return name
    return None


def plan_logs(paths: Sequence[Path], fmt: str, source: str | None, overrides: Mapping[str, str]) -> list[PlannedFile]:
    """An access log (or each file of a folder) gives two sources: page views and site searches.

    The reader yields canonical columns, so the files need no mapping (a table's own names still come
    from ``[sources.NAME]``).
    """
    from .accesslog import LOG_FORMATS

    if fmt not in LOG_FORMATS:
        raise ConfigError(f"--format {fmt!r}: unknown format.", hint=f"Use one of: {', '.join(LOG_FORMATS)}.")
    if source is not None or overrides:
        raise ConfigError(f"--format {fmt}: --source and --map do not apply to access logs.",
                          hint="An access log always gives clickstream and search_queries; leave them out.")
    planned: list[PlannedFile] = []
    for given in paths:
        if not given.exists():
            raise InputError(f"{given}: no such file or folder.", hint="Check the path.")
        files = sorted(p for p in given.iterdir() if p.is_file() and not p.name.startswith(".")) if given.is_dir() else [given]
        for path in files:
            if path.stat().st_size == 0:
                raise InputError(f"{path} is empty (0 bytes); nothing was written.", hint="Leave the file out.")
            for src in ("clickstream", "search_queries"):
                planned.append(PlannedFile(path, src, fmt, {c: c for c in get_source(src).column_names}))
    return planned


def plan(
    paths: Sequence[Path], settings: Settings, source: str | None, overrides: Mapping[str, str]
) -> tuple[list[PlannedFile], list[FileResult]]:
    """Files to load, and files skipped (in a folder: not a supported format or not named after a source).

    Raises InputError for a path that does not exist, an empty file, a file given by name whose source
    cannot be told, and MissingColumnError for a file without a required column.
    """
    if source is not None:
        get_source(source)
    check_overrides(overrides)
    planned: list[PlannedFile] = []
    skipped: list[FileResult] = []
    for given in paths:
        if not given.exists():
            raise InputError(f"{given}: no such file or folder.", hint="Check the path.")
        in_folder = given.is_dir()
        files = sorted(p for p in given.iterdir() if p.is_file() and not p.name.startswith(".")) if in_folder else [given]
        for path in files:
            fmt = file_format(path)
            src = source or _source_of(path, settings)
            if fmt is None or src is None:
                why = (f"not {', '.join(sorted(set(FORMATS)))}" if fmt is None
                       else f"not named after a source ({', '.join(f'{s}.*' for s in SOURCES)})")
                if in_folder:
                    skipped.append(FileResult(str(path), src, fmt, "skipped", note=why))
                    continue
                hint = ("Use a .csv, .parquet or .jsonl file, or pass --format combined for a web server access log."
                        if fmt is None
                        else "Name the file after its source (e.g. clickstream.csv) or pass --source clickstream.")
                raise InputError(f"{path}: cannot load it: {why}.", hint=hint)
            if path.stat().st_size == 0:
                raise InputError(
                    f"{path} is empty (0 bytes); nothing was written.",
                    hint="Check the export that produced it, or leave the file out.",
                )
            columns = file_mapping(settings, src, overrides).resolve(read_columns(path, fmt), where=str(path))
            planned.append(PlannedFile(path, src, fmt, columns))
    return planned, skipped
