"""Run locks the engine cannot hold itself: an OS file lock, or a lock inside this process.

PostgreSQL and MariaDB hold their run lock in the server (``pg_try_advisory_lock``, ``GET_LOCK``; see
``sql.py``). A DuckDB file or a Spark output folder has no server: there the lock is ``flock`` on a file
next to it (``<target>.<name>.lock``), which the kernel releases when the process dies (kill -9 included). ``flock`` locks belong
to an open file, so two runs in one process exclude each other too.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import RunInProgress

#: how often a waiting run retries a held lock
POLL_S = 0.25

_local_locks: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()


def in_progress(where: str, holder: str = "") -> RunInProgress:
    """The error a run gets when another run holds the lock of ``where``."""
    return RunInProgress(
        f"Another intentseg run is writing to {where}{holder}; one run at a time per warehouse.",
        hint="Wait for it to finish and retry (`intentseg runs` shows it as running), or schedule runs so they do not overlap.",
    )


def lock_path(target: str | Path, name: str) -> Path:
    """The file of lock ``name`` of a DuckDB file or an output folder: ``<target>.<name>.lock`` beside it."""
    target = Path(target)
    return target.with_name(f"{target.name}.{name}.lock")


def held_locks(target: str | Path) -> list[Path]:
    """The lock files of ``target`` another open file holds right now."""
    target = Path(target)
    return [p for p in sorted(target.parent.glob(f"{target.name}.*.lock")) if is_file_locked(p)]


@contextmanager
def file_lock(path: str | Path, where: str, *, wait_s: float = 0) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if absent); raise RunInProgress when another
    holder keeps it longer than ``wait_s`` seconds. The file records the holder's pid, for messages."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
                    raise in_progress(where, f" (pid {holder})" if holder.isdigit() else "") from None
                time.sleep(POLL_S)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def is_file_locked(path: str | Path) -> bool:
    """Whether another open file holds ``path``'s flock right now (False when the file is absent)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


@contextmanager
def local_lock(key: str, where: str, *, wait_s: float = 0) -> Iterator[None]:
    """A lock inside this process, for stores no other process can reach (DuckDB in memory, a Spark
    session's temp views)."""
    with _local_guard:
        lock = _local_locks.setdefault(key, threading.Lock())
    acquired = lock.acquire(timeout=wait_s) if wait_s > 0 else lock.acquire(blocking=False)
    if not acquired:
        raise in_progress(where)
    try:
        yield
    finally:
        lock.release()
