"""Testing Issues raised by a set of results, and the extant counts that the thresholds limit (13.18-13.23).

- A Testing Issue belongs to the Test Phase (stage + release) and campaign in which it was raised (13.18): its id is
  derived from them and from the test, so the same failure in another phase is another issue.
- One test failing in one run raises one issue listing every DMC it failed on; a device-caused issue is split per
  DMC (the device change is per DMC, 20.19(c)). Failures carrying ``known_defect(X)`` are the one issue X.
- Table 13.2 counts, per DCC Service Provider, the extant issues that arose as a consequence of the DCC or the
  Modified DCC Total System (13.19): cause ``dcc``, and ``undetermined`` (conservatively). Device-caused issues do
  not count there; in DMCT they count for their DMC (20.19(c)).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_svtad.model import Outcome, PlanEntry, Result
from pytest_svtad.rules import appendix_ak as ak

ORIGINS = ("test", "environment", "production", "participant")  # 13.23 (a)-(c): where an issue was identified


@dataclass(slots=True)
class TestingIssue:
    """A Testing Issue (13.19). ``open`` and ``excluded`` issues are open; ``excluded`` leaves the count only when
    the TAG agreed (13.20), which ``tag_agreed`` records. ``counted`` is False for an issue that is listed for a
    phase but not counted in it (an issue from another environment or production the TAG has not agreed to count,
    13.23(ii))."""

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
    cause: str = ak.DEFAULT_CAUSE
    provider: str = ak.DEFAULT_PROVIDER
    stage: str = ""
    release: str | None = None
    campaign: str | None = None
    test_key: str = ""
    origin: str = "test"
    related: list[str] = field(default_factory=list)  # the same test's issues in other phases
    count_in: list[dict[str, Any]] = field(default_factory=list)  # agreements to count it in another phase
    counted: bool = True
    counted_because: str = ""  # why it counts in the phase being judged, when not raised there (13.18, 13.22, 13.23)

    @property
    def is_open(self) -> bool:
        return self.status != "closed"

    @property
    def extant(self) -> bool:
        """Open and counted in the phase being judged (13.18; 13.20 exclusions agreed by the TAG leave the count)."""
        if not self.counted or self.status == "closed":
            return False
        return not (self.status == "excluded" and self.tag_agreed)

    def counts_against(self, stage: str) -> bool:
        """Whether the issue counts against ``stage``'s thresholds: extant, and for every stage but DMCT not
        device-caused (13.19; DMCT counts device issues for their DMC, 20.19(c))."""
        return self.extant and (stage in ak.DMCT_STAGES or self.cause != "device")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "severity": self.severity, "known_defect": self.known_defect,
                "status": self.status, "tag_agreed": self.tag_agreed, "rationale": self.rationale,
                "dmcs": self.dmcs, "tests": self.tests, "epcl_entries": self.epcl_entries, "cause": self.cause,
                "provider": self.provider, "stage": self.stage, "release": self.release, "campaign": self.campaign,
                "test_key": self.test_key, "origin": self.origin, "related": self.related,
                "count_in": self.count_in, "counted": self.counted, "counted_because": self.counted_because}


def issue_id_for(test_key: str, stage: str, release: str | None, campaign: str | None, dmc: str | None = None) -> str:
    """A stable id for the issue a failing test raises in one Test Phase and campaign (13.18): the same failure in
    a later run of the same phase keeps its id; in another phase or campaign it is another issue."""
    key = "\x1f".join((stage, release or "", campaign or "", test_key, dmc or ""))
    return "TI-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:8].upper()


def raise_issues(plan: Iterable[PlanEntry], results: Mapping[str, Result],
                 epcl_entry_of: Mapping[str, str] | None = None, *, stage: str = "", release: str | None = None,
                 campaign: str | None = None, default_provider: str = ak.DEFAULT_PROVIDER) -> list[TestingIssue]:
    """The issues this plan's failures raise in the phase ``stage`` + ``release`` of ``campaign``, sorted by id so
    the same results give the same list. Severity is the worst any of its failures carries."""
    epcl_entry_of = epcl_entry_of or {}
    issues: dict[str, TestingIssue] = {}
    for entry in plan:
        result = results.get(entry.nodeid)
        if entry.descoped is not None or result is None or result.outcome is not Outcome.FAILED:
            continue
        cause = entry.cause or ak.DEFAULT_CAUSE
        provider = entry.provider or default_provider
        if entry.known_defect:
            issue_id, title, key = entry.known_defect, f"Known defect {entry.known_defect}", entry.known_defect
        else:
            key = entry.test_key
            issue_id = issue_id_for(key, stage, release, campaign, entry.dmc if cause == "device" else None)
            reason = result.reason.splitlines()[0] if result.reason else "failed"
            title = f"{key}" + (f" on {entry.dmc}" if cause == "device" and entry.dmc else "") + f": {reason}"
        issue = issues.get(issue_id)
        if issue is None:
            issue = issues[issue_id] = TestingIssue(
                id=issue_id, title=title[:200], severity=entry.severity, known_defect=bool(entry.known_defect),
                cause=cause, provider=provider, stage=stage, release=release, campaign=campaign, test_key=key)
        issue.severity = min(issue.severity, entry.severity)
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


def _zero() -> dict[int, int]:
    return dict.fromkeys(ak.SEVERITIES, 0)


def extant_by_severity(issues: Iterable[TestingIssue], stage: str = "") -> dict[int, int]:
    """Extant issues per severity that count against ``stage``'s thresholds (every extant one without a stage)."""
    counts = _zero()
    for issue in issues:
        if issue.counts_against(stage) if stage else issue.extant:
            counts[issue.severity] += 1
    return counts


def extant_by_provider(issues: Iterable[TestingIssue], stage: str,
                       providers: Iterable[str] = (ak.DEFAULT_PROVIDER,)) -> dict[str, dict[int, int]]:
    """Table 13.2 is per DCC Service Provider (13.19): the counted issues of each provider, every configured
    provider shown (an issue attributed to another provider shows under that name)."""
    by_provider = {name: _zero() for name in providers}
    for issue in issues:
        if issue.counts_against(stage):
            by_provider.setdefault(issue.provider, _zero())[issue.severity] += 1
    return by_provider


def extant_by_epcl_entry(issues: Iterable[TestingIssue], stage: str = "") -> dict[str, dict[int, int]]:
    """Extant issues per planned EPCL entry; an issue seen on several entries counts on each."""
    per_entry: dict[str, dict[int, int]] = {}
    for issue in issues:
        if not (issue.counts_against(stage) if stage else issue.extant):
            continue
        for entry in issue.epcl_entries:
            per_entry.setdefault(entry, _zero())[issue.severity] += 1
    return dict(sorted(per_entry.items()))


def by_cause(issues: Iterable[TestingIssue]) -> dict[str, int]:
    """Extant issues per cause, for the reader: which counted, which did not (13.19)."""
    counts = dict.fromkeys(ak.CAUSES, 0)
    for issue in issues:
        if issue.extant:
            counts[issue.cause] = counts.get(issue.cause, 0) + 1
    return counts
