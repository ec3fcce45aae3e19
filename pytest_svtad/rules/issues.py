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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from pytest_svtad.model import Outcome, PlanEntry, Result
from pytest_svtad.rules import appendix_ak as ak

ORIGINS = ("test", "environment", "production", "participant")  # 13.23 (a)-(c): where an issue was identified


PHASE_VIEW: dict[str, Any] = {"phase_view": True}  # field metadata: set for the phase being judged, never stored


@dataclass(slots=True)
class TestingIssue:
    """A Testing Issue (13.19): the one record of an issue. The store's row, the store-fallback line, the issue log
    and the JSON forms are all built from these fields by name (``STORED_FIELDS``, ``to_dict``, ``from_dict``).

    ``open`` and ``excluded`` issues are open; ``excluded`` leaves the count only when the TAG agreed (13.20), which
    ``tag_agreed`` records. ``counted`` is False for an issue that is listed for a phase but not counted in it (an
    issue from another environment or production the TAG has not agreed to count, 13.23(ii)). Changes to an issue
    are the transitions of :mod:`pytest_svtad.rules.issue_lifecycle`."""

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
    counted: bool = field(default=True, metadata=PHASE_VIEW)
    # why it counts in the phase being judged, when not raised there (13.18, 13.22, 13.23)
    counted_because: str = field(default="", metadata=PHASE_VIEW)

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
        """Every field by name, in the record's order (the store-fallback line and the JSON forms)."""
        return {name: getattr(self, name) for name in FIELDS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TestingIssue:
        """The record from ``to_dict``'s form or a store row: the record's fields by name (a row's other columns,
        its key and timestamps, are the store's); lists copied. ValueError names a missing field."""
        missing = [name for name in REQUIRED_FIELDS if name not in data]
        if missing:
            raise ValueError(f"a Testing Issue needs {', '.join(missing)}")
        values = {name: data[name] for name in FIELDS if name in data}
        for name in LIST_FIELDS:
            if name in values:
                values[name] = list(values[name] or [])
        return cls(**values)


FIELDS: tuple[str, ...] = tuple(f.name for f in fields(TestingIssue))
STORED_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(TestingIssue) if not f.metadata.get("phase_view"))
LIST_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(TestingIssue) if f.default_factory is list)
REQUIRED_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(TestingIssue)
                                         if f.default is MISSING and f.default_factory is MISSING)


def stored_values(issue: TestingIssue) -> dict[str, Any]:
    """The record's stored fields by name: the columns of its store row (the store adds its own bookkeeping)."""
    return {name: getattr(issue, name) for name in STORED_FIELDS}


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


# -- counting against thresholds (Table 13.2; per EPCL entry, MT-SIT alignment change 13; per DMC, 20.28) ---------

Attribution = Callable[[TestingIssue], Iterable[str]]
"""Whom an issue is attributed to for a threshold: the keys it counts under (none, one, or several)."""

AGGREGATE = "aggregate"


def aggregate(issue: TestingIssue) -> tuple[str, ...]:
    """Every issue counts once in the aggregate."""
    return (AGGREGATE,)


def by_provider(issue: TestingIssue) -> tuple[str, ...]:
    """Table 13.2 is per DCC Service Provider (13.19)."""
    return (issue.provider,)


def by_epcl_entry(issue: TestingIssue) -> list[str]:
    """Per planned EPCL entry; an issue seen on several entries counts on each."""
    return issue.epcl_entries


def on_dmc(dmc: str, epcl_entry: str) -> Attribution:
    """One DMC's issues (DMCT, 20.28): on the DMC or on its EPCL entry."""
    def keys(issue: TestingIssue) -> tuple[str, ...]:
        return (dmc,) if dmc in issue.dmcs or epcl_entry in issue.epcl_entries else ()
    return keys


def _zero() -> dict[int, int]:
    return dict.fromkeys(ak.SEVERITIES, 0)


def extant_counts(issues: Iterable[TestingIssue], attribution: Attribution = aggregate, stage: str = "",
                  shown: Iterable[str] = (), sort: bool = False) -> dict[str, dict[int, int]]:
    """Extant issues per severity under each key ``attribution`` gives them: those that count against ``stage``'s
    thresholds (every extant one without a stage). ``shown`` keys appear even with nothing counted, first; the
    others in the order met, or sorted."""
    counts = {key: _zero() for key in shown}
    for issue in issues:
        if not (issue.counts_against(stage) if stage else issue.extant):
            continue
        for key in attribution(issue):
            counts.setdefault(key, _zero())[issue.severity] += 1
    return dict(sorted(counts.items())) if sort else counts


def extant_by_severity(issues: Iterable[TestingIssue], stage: str = "") -> dict[int, int]:
    """The aggregate: extant issues per severity that count against ``stage``'s thresholds."""
    return extant_counts(issues, aggregate, stage, shown=(AGGREGATE,))[AGGREGATE]


def over_limits(counts: Mapping[str, Mapping[int, int]], limits: Mapping[int, int]) -> list[str]:
    """The keys whose count exceeds the limit at some severity."""
    return [key for key, by_severity in counts.items() if any(by_severity[s] > limits[s] for s in ak.SEVERITIES)]


def of_cause(issue: TestingIssue) -> tuple[str, ...]:
    """13.19: which issues arose from the DCC (``dcc``), from a device, or are not yet known (``undetermined``)."""
    return (issue.cause,)


def by_cause(issues: Iterable[TestingIssue]) -> dict[str, int]:
    """Extant issues per cause, for the reader: which counted, which did not (13.19)."""
    return {cause: sum(counts.values()) for cause, counts in extant_counts(issues, of_cause, shown=ak.CAUSES).items()}
