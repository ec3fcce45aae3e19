"""Work Off Plans (15.1-15.2, 12.6(g)-(h)): due dates in Working Days from the Test Completion Certificate, and
whether the plans of preceding Test Phases have been completed with their tests re-run successfully.

15.1 puts *all* open Testing Issues on the plan: TAG-excluded ones too (13.20 only takes them out of the count), and
device-caused ones (they are open Testing Issues, though Table 13.2 does not count them).

Pure: the caller supplies the bank holidays (``pytest_svtad.files.calendar`` reads them from the ``holidays`` package).
A Working Day is a weekday that is not a bank holiday. "Within N Working Days of the certificate" is read as: the
Nth Working Day after the certificate date, the certificate date itself not counted.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pytest_svtad.rules import appendix_ak as ak
from pytest_svtad.rules.issues import TestingIssue


def is_working_day(day: date, bank_holidays: Container[date]) -> bool:
    return day.weekday() < 5 and day not in bank_holidays


def add_working_days(start: date, days: int, bank_holidays: Container[date]) -> date:
    """The ``days``-th Working Day after ``start``."""
    current, counted = start, 0
    while counted < days:
        current += timedelta(days=1)
        if is_working_day(current, bank_holidays):
            counted += 1
    return current


@dataclass(frozen=True, slots=True)
class WorkOffItem:
    issue_id: str
    severity: int
    title: str
    due_date: date | None
    working_days: int | None
    overdue: bool  # past due on ``today``: needs a correction plan (15.2)
    error: str = ""  # severity 1-2 still open: an error on the plan, not a date
    status: str = "open"
    counted: bool = True  # counts against the thresholds (False: TAG-excluded, 13.20, or device-caused, 13.19)
    cause: str = "undetermined"
    provider: str = ""
    tests: tuple[str, ...] = ()

    @property
    def needs_correction_plan(self) -> bool:
        return self.overdue


def work_off_plan(issues: Iterable[TestingIssue], tcc_date: date, today: date,
                  bank_holidays: Container[date]) -> list[WorkOffItem]:
    """Every open Testing Issue of the phase with its due date (15.1), worst severity first, then by id. Issues
    listed for the phase but not its own (``counted`` False: another environment's issue the TAG did not agree to
    count, 13.23) are not its Testing Issues and stay off."""
    items = []
    for issue in issues:
        if not issue.is_open or (not issue.counted and issue.origin != "test"):
            continue
        common: dict[str, Any] = {"status": issue.status, "counted": issue.extant and issue.cause != "device",
                  "cause": issue.cause, "provider": issue.provider, "tests": tuple(issue.tests)}
        days = ak.WORK_OFF_WORKING_DAYS.get(issue.severity)
        if days is None:
            items.append(WorkOffItem(issue.id, issue.severity, issue.title, None, None, False,
                                     f"severity {issue.severity} issue still open: 15.1 sets timescales for "
                                     "severities 3-5 only, so it cannot go on a Work Off Plan with a due date",
                                     **common))
            continue
        due = add_working_days(tcc_date, days, bank_holidays)
        items.append(WorkOffItem(issue.id, issue.severity, issue.title, due, days, today > due, **common))
    return sorted(items, key=lambda item: (item.severity, item.issue_id))


@dataclass(frozen=True, slots=True)
class RecordedItem:
    """One item of a recorded Work Off Plan, as it stands now."""

    issue_id: str
    severity: int
    tests: tuple[str, ...]  # the tests whose re-run completes the item (12.6(h))
    closed: bool  # the issue is closed in the store
    passed_since: frozenset[str]  # of ``tests``, those with a passed result after the plan was recorded

    @property
    def rerun(self) -> bool:
        return bool(self.tests) and set(self.tests) <= self.passed_since

    @property
    def completed(self) -> bool:
        """12.6(h): the item is worked off when its tests have been re-run successfully since the plan was
        recorded; an item with no test (an issue recorded by hand) when its issue is closed."""
        return self.rerun if self.tests else self.closed


@dataclass(frozen=True, slots=True)
class RecordedPlan:
    """A Work Off Plan recorded at a phase's exit (``svtad workoff --record``)."""

    stage: str
    release: str | None
    campaign: str | None
    recorded_at: str
    items: tuple[RecordedItem, ...]

    @property
    def phase(self) -> str:
        return " ".join(part for part in (self.stage, self.release or "", f"campaign '{self.campaign}'"
                                          if self.campaign else "") if part)

    @property
    def outstanding(self) -> list[RecordedItem]:
        return [item for item in self.items if not item.completed]

