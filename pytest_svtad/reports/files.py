"""verdict.json and testing-issues.csv."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from pytest_svtad.rules.issues import TestingIssue
from pytest_svtad.rules.verdict import Verdict

ISSUE_COLUMNS = ("issue_id", "title", "severity", "status", "known_defect", "tag_agreed", "rationale", "dmcs",
                 "epcl_entries", "tests", "stage", "release", "cause", "provider", "counted", "campaign", "related")


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_verdict(path: Path, verdict: Verdict) -> None:
    write_atomic(path, json.dumps(verdict.as_dict(), indent=2) + "\n")


def write_issue_log(path: Path, issues: list[TestingIssue], stage: str, release: str | None) -> None:
    """The Testing Issue log (Table 13.1 row 5): one row per issue identified."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ISSUE_COLUMNS)
        for issue in issues:
            writer.writerow([issue.id, issue.title, issue.severity, issue.status, str(issue.known_defect).lower(),
                             str(issue.tag_agreed).lower(), issue.rationale, ";".join(issue.dmcs),
                             ";".join(issue.epcl_entries), ";".join(issue.tests), issue.stage or stage,
                             issue.release or release or "", issue.cause, issue.provider,
                             str(issue.counts_against(stage)).lower(), issue.campaign or "", ";".join(issue.related)])
