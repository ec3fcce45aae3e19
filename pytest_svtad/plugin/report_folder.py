"""The report folder (``--svtad-report``): checked at the start of the session, and held by one session at a time.

Two sessions writing one folder would interleave (or truncate) each other's results.jsonl while each verdict claims
its own results are stored; the controller therefore holds an exclusive ``flock`` on ``<report>/.svtad-lock`` for
the whole session, and a second session is refused with the holder's pid. A folder that exists but cannot be
written (read-only, full) is not refused: the tests still run, and the ``evidence`` criterion says what could not be
stored.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, the folder is not guarded
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".svtad-lock"


class ReportFolderLock:
    """The session's hold on its report folder; released by ``release`` (or when the process ends)."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the descriptor releases the flock; the file stays (removing it would race)


def claim_report_folder(folder: Path) -> ReportFolderLock | None:
    """Create ``folder`` if needed and lock it for this session.

    A path that is a file or cannot be created is a ``pytest.UsageError`` (one line naming the path), and so is a
    folder another live session holds. ``None`` when the folder cannot be locked (it cannot be written, or the file
    system has no locks): the session carries on and its verdict says what could not be written."""
    if folder.exists() and not folder.is_dir():
        raise pytest.UsageError(f"svtad: report folder {folder} is a file, not a folder (--svtad-report)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise pytest.UsageError(f"svtad: report folder {folder} cannot be created: {exc.strerror or exc} "
                                "(--svtad-report)") from None
    if fcntl is None:
        return None
    lock_path = folder / LOCK_NAME
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return None  # read-only or full: nothing this session writes there can clash with another's
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise pytest.UsageError(f"svtad: report folder {folder} is in use by another session"
                                f"{f' (pid {holder})' if holder else ''}: give each session its own "
                                "--svtad-report") from None
    except OSError:
        os.close(fd)
        return None  # e.g. a network file system without locks
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
    except OSError:
        pass  # the lock holds without the pid; only the message to a second session loses it
    return ReportFolderLock(lock_path, fd)


def _holder(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
