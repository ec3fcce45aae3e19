"""Writing one test's evidence files (``svtad_evidence``, the ``smets1`` transcript and pcap): safe, distinct file
names, a size cap, and write problems that are reported, never raised.

- Names: only ``A-Z a-z 0-9 . _ -`` survive; an empty result (``""``, ``".."``) is ``evidence``; at most
  ``MAX_NAME`` characters, the extension kept; a name already used by the test gets ``-2``, ``-3``... (compared
  without case, for case-insensitive file systems): nothing attached is overwritten.
- Size: evidence over the cap (``--svtad-evidence-max-bytes``, default ``DEFAULT_MAX_BYTES``) keeps its head and
  its tail, with a line in between saying how much was left out and why; the result says so too.
- A write that fails (full disk, read-only folder) leaves the test's outcome alone: the result lists the evidence
  as not stored, with the reason, and the evidence criterion sees it missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # 10 MiB: hours of transcript; a test producing more is logging by mistake
MIN_MAX_BYTES = 1024
MAX_NAME = 100
_UNITS = {"": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024 ** 2, "mb": 1024 ** 2, "mib": 1024 ** 2,
          "g": 1024 ** 3, "gb": 1024 ** 3, "gib": 1024 ** 3}


def parse_size(text: str) -> int | None:
    """``10485760``, ``512k``, ``10M``, ``1GiB`` -> bytes (binary units); None when it is not a size."""
    match = re.fullmatch(r"\s*(\d+)\s*([A-Za-z]*)\s*", text)
    if not match or match.group(2).lower() not in _UNITS:
        return None
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def safe_name(name: str, taken: set[str]) -> str:
    """A file name for ``name`` that is safe on every file system and not in ``taken`` (lower-case names); it is
    added to ``taken``."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "evidence"
    stem, dot, extension = base.rpartition(".")
    if not dot or not stem or len(extension) > 10:
        stem, extension = base, ""
    suffix = f".{extension}" if extension else ""
    stem = stem[:MAX_NAME - len(suffix)]
    candidate, number = stem + suffix, 1
    while candidate.lower() in taken:
        number += 1
        tag = f"-{number}"
        candidate = stem[:MAX_NAME - len(suffix) - len(tag)] + tag + suffix
    taken.add(candidate.lower())
    return candidate


def cap_marker(left_out: int, total: int, limit: int) -> bytes:
    return (f"\n\n[svtad: {left_out:,} of {total:,} bytes left out here: evidence is capped at {limit:,} bytes "
            "(--svtad-evidence-max-bytes); the head and the tail are kept]\n\n").encode()


def capped(data: bytes, limit: int) -> tuple[bytes, int]:
    """``data`` within ``limit`` bytes (head, a marker, tail) and how many bytes were left out (0: all kept)."""
    if len(data) <= limit:
        return data, 0
    marker_room = len(cap_marker(len(data), len(data), limit))
    keep = max(limit - marker_room, 0)
    head, tail = keep - keep // 2, keep // 2
    left_out = len(data) - head - tail
    return data[:head] + cap_marker(left_out, len(data), limit) + (data[len(data) - tail:] if tail else b""), left_out


def read_capped(path: Path, limit: int) -> tuple[bytes, int]:
    """A file's bytes within ``limit``, reading only the head and the tail of a big file."""
    size = path.stat().st_size
    if size <= limit:
        return path.read_bytes(), 0
    marker_room = len(cap_marker(size, size, limit))
    keep = max(limit - marker_room, 0)
    head, tail = keep - keep // 2, keep // 2
    with path.open("rb") as handle:
        first = handle.read(head)
        handle.seek(size - tail)
        last = handle.read(tail) if tail else b""
    left_out = size - head - tail
    return first + cap_marker(left_out, size, limit) + last, left_out


@dataclass(frozen=True, slots=True)
class Written:
    reference: str  # what the result lists: the path under the report folder, or the name and why it is not there
    note: str | None = None  # a second line for the result when the evidence was capped or not stored
    error: str | None = None  # the write failed: the evidence criterion lists it


def write_evidence(report_dir: Path | None, folder: Path | None, name: str, data: bytes, left_out: int,
                   total: int) -> Written:
    """Write one evidence file; never raises for a write problem."""
    if report_dir is None or folder is None:
        return Written(f"{name} (not stored: no --svtad-report)")
    path = folder / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        problem = f"evidence {name} could not be written to {folder}: {reason}"
        return Written(f"{name} (not stored: {reason})", problem, problem)
    reference = path.relative_to(report_dir).as_posix()
    if left_out:
        return Written(reference, f"evidence {reference} capped: {left_out:,} of {total:,} bytes left out "
                                  "(head and tail kept; --svtad-evidence-max-bytes)")
    return Written(reference)
