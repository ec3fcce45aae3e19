"""Work Off Plans (15.1-15.2): due dates in Working Days from the Test Completion Certificate.

Pure: the caller supplies the bank holidays (``pytest_svtad.calendar`` reads them from the ``holidays`` package).
A Working Day is a weekday that is not a bank holiday. "Within N Working Days of the certificate" is read as: the
Nth Working Day after the certificate date, the certificate date itself not counted.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

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

    @property
    def needs_correction_plan(self) -> bool:
        return self.overdue


def work_off_plan(issues: Iterable[TestingIssue], tcc_date: date, today: date,
                  bank_holidays: Container[date]) -> list[WorkOffItem]:
    """Every extant issue with its due date (15.1), worst severity first, then by id."""
    items = []
    for issue in issues:
        if not issue.extant:
            continue
        days = ak.WORK_OFF_WORKING_DAYS.get(issue.severity)
        if days is None:
            items.append(WorkOffItem(issue.id, issue.severity, issue.title, None, None, False,
                                     f"severity {issue.severity} issue still open: Table 13.2 allows none at exit; "
                                     "it cannot go on a Work Off Plan"))
            continue
        due = add_working_days(tcc_date, days, bank_holidays)
        items.append(WorkOffItem(issue.id, issue.severity, issue.title, due, days, today > due))
    return sorted(items, key=lambda item: (item.severity, item.issue_id))
