"""Testing Issues raised by a set of results, and the extant counts that Table 13.2 limits (13.18-13.20)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pytest_svtad.model import Outcome, PlanEntry, Result
from pytest_svtad.rules import appendix_ak as ak


@dataclass(slots=True)
class TestingIssue:
    """A Testing Issue (13.19). Status ``open`` counts as extant; ``excluded`` only leaves the count when the TAG
    agreed (13.20), which ``tag_agreed`` records."""

    __test__ = False  # not a pytest test class

    id: str
    title: str
    severity: int
    known_defect: bool = False
    status: str = "open"
    tag_agreed: bool = False
    rationale: str = ""
    dmcs: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    epcl_entries: list[str] = field(default_factory=list)

    @property
    def extant(self) -> bool:
        if self.status == "closed":
            return False
        if self.status == "excluded" and self.tag_agreed:
            return False
        return True

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "title": self.title, "severity": self.severity, "known_defect": self.known_defect,
                "status": self.status, "tag_agreed": self.tag_agreed, "rationale": self.rationale,
                "dmcs": self.dmcs, "tests": self.tests, "epcl_entries": self.epcl_entries}


def issue_id_for(nodeid: str) -> str:
    """A stable id for the issue a failing (test, DMC) raises: the same failure keeps the same id across runs."""
    return "TI-" + hashlib.sha1(nodeid.encode("utf-8")).hexdigest()[:8].upper()


def raise_issues(plan: Iterable[PlanEntry], results: Mapping[str, Result],
                 epcl_entry_of: Mapping[str, str] | None = None) -> list[TestingIssue]:
    """One issue per failed (test, DMC), except that failures carrying ``known_defect(X)`` are the one issue X,
    at the worst severity any of them carries. Sorted by id, so the same results give the same list."""
    epcl_entry_of = epcl_entry_of or {}
    issues: dict[str, TestingIssue] = {}
    for entry in plan:
        result = results.get(entry.nodeid)
        if entry.descoped is not None or result is None or result.outcome is not Outcome.FAILED:
            continue
        if entry.known_defect:
            issue = issues.get(entry.known_defect)
            if issue is None:
                issue = issues[entry.known_defect] = TestingIssue(
                    id=entry.known_defect, title=f"Known defect {entry.known_defect}", severity=entry.severity,
                    known_defect=True)
            issue.severity = min(issue.severity, entry.severity)
        else:
            reason = result.reason.splitlines()[0] if result.reason else "failed"
            issue_id = issue_id_for(entry.nodeid)
            issue = issues[issue_id] = TestingIssue(id=issue_id, title=f"{entry.nodeid}: {reason}"[:200],
                                                    severity=entry.severity)
        if entry.dmc and entry.dmc not in issue.dmcs:
            issue.dmcs.append(entry.dmc)
        issue.tests.append(entry.nodeid)
        epcl = epcl_entry_of.get(entry.dmc_key, entry.dmc_key)
        if epcl not in issue.epcl_entries:
            issue.epcl_entries.append(epcl)
    for issue in issues.values():
        issue.dmcs.sort()
        issue.tests.sort()
        issue.epcl_entries.sort()
    return [issues[key] for key in sorted(issues)]


def extant_by_severity(issues: Iterable[TestingIssue]) -> dict[int, int]:
    counts = dict.fromkeys(ak.SEVERITIES, 0)
    for issue in issues:
        if issue.extant:
            counts[issue.severity] += 1
    return counts


def extant_by_epcl_entry(issues: Iterable[TestingIssue]) -> dict[str, dict[int, int]]:
    """Extant issues per planned EPCL entry; an issue seen on several entries counts on each."""
    per_entry: dict[str, dict[int, int]] = {}
    for issue in issues:
        if not issue.extant:
            continue
        for entry in issue.epcl_entries:
            per_entry.setdefault(entry, dict.fromkeys(ak.SEVERITIES, 0))[issue.severity] += 1
    return dict(sorted(per_entry.items()))
