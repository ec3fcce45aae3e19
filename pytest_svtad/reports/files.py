"""verdict.json and testing-issues.csv."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from pytest_svtad.rules.issues import TestingIssue
from pytest_svtad.rules.verdict import Verdict

# The issue log's columns: the record's fields by name, in the log's order (``counted``: against this phase's
# thresholds); only ``id`` is headed otherwise.
ISSUE_LOG_FIELDS = ("id", "title", "severity", "status", "known_defect", "tag_agreed", "rationale", "dmcs",
                    "epcl_entries", "tests", "stage", "release", "cause", "provider", "counted", "campaign", "related")
ISSUE_LOG_HEADINGS = {"id": "issue_id"}
ISSUE_COLUMNS = tuple(ISSUE_LOG_HEADINGS.get(name, name) for name in ISSUE_LOG_FIELDS)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    return "" if value is None else str(value)


def issue_log_row(issue: TestingIssue, stage: str, release: str | None) -> list[str]:
    """One issue as the log shows it in the phase ``stage`` ``release``."""
    shown = replace(issue, stage=issue.stage or stage, release=issue.release or release,
                    counted=issue.counts_against(stage))
    return [_cell(getattr(shown, name)) for name in ISSUE_LOG_FIELDS]


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_lines_atomic(path: Path, lines: Iterable[str]) -> None:
    """``write_atomic`` for text too large to hold twice: lines (without their newlines) streamed to the file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            batch: list[str] = []
            for line in lines:
                batch.append(line)
                if len(batch) >= 10_000:
                    handle.write("\n".join(batch) + "\n")
                    batch.clear()
            if batch:
                handle.write("\n".join(batch) + "\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_verdict(path: Path, verdict: Verdict) -> None:
    write_atomic(path, json.dumps(verdict.as_dict(), indent=2) + "\n")


def write_issue_log(path: Path, issues: list[TestingIssue], stage: str, release: str | None) -> None:
    """The Testing Issue log (Table 13.1 row 5): one row per issue identified."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ISSUE_COLUMNS)
        writer.writerows(issue_log_row(issue, stage, release) for issue in issues)
