"""Counting planned tests against what happened (Table 13.1 rows 1-2; 9.4(a)-(c))."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pytest_svtad.model import NO_DMC, Outcome, PlanEntry, Result


@dataclass(slots=True)
class Counts:
    """Counts of one slice of the plan. ``planned`` excludes de-scoped tests (12.6(a)); pass rate = passed / planned."""

    planned: int = 0
    executed: int = 0
    passed: int = 0
    failed: int = 0
    not_run: int = 0
    descoped: int = 0
    known_defects: int = 0  # failed results that are an agreed known defect


    def tally(self, status: str, n: int) -> None:
        """Add ``n`` planned tests of one status: descoped, not_run, passed, failed, or known (a failed known
        defect)."""
        if status == "descoped":
            self.descoped += n
            return
        self.planned += n
        if status == "not_run":
            self.not_run += n
            return
        self.executed += n
        if status == "passed":
            self.passed += n
        else:
            self.failed += n
            if status == "known":
                self.known_defects += n

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.planned if self.planned else None

    @property
    def execution_rate(self) -> float | None:
        return self.executed / self.planned if self.planned else None

    def as_dict(self, *, regression: bool = False) -> dict[str, int | float | None]:
        if regression:
            return {"planned": self.planned, "executed": self.executed, "passed": self.passed,
                    "failed": self.failed, "not_run": self.not_run, "descoped": self.descoped,
                    "known_defects": self.known_defects}
        rate = self.pass_rate
        return {"planned": self.planned, "executed": self.executed, "passed": self.passed, "failed": self.failed,
                "not_run": self.not_run, "descoped": self.descoped,
                "pass_rate": None if rate is None else round(rate, 6)}


@dataclass(slots=True)
class PlanCounts:
    functional_by_dmc: dict[str, Counts]
    functional: Counts
    regression: Counts
    by_group_and_dmc: dict[tuple[str, str], Counts]  # heatmap cells, both sets


Tally = Mapping[tuple[bool, str, str, str], int]
"""Planned tests by (regression, DMC, functional group, status): all a count needs (a campaign's verdict builds it
in one pass over the store's rows, ``pytest_svtad.store.campaign_pass``, without a record per test)."""


def status_of(descoped: bool, outcome: Outcome, known_defect: str | None) -> str:
    """A planned test's status for the counts: descoped, not_run, passed, failed, or known (a failed known defect)."""
    if descoped:
        return "descoped"
    return outcome.value if outcome is not Outcome.FAILED or not known_defect else "known"


def count(plan: Iterable[PlanEntry], results: Mapping[str, Result], dmcs: Iterable[str] = ()) -> PlanCounts:
    """Count the plan. ``dmcs`` lists DMCs selected for the session, so one with nothing planned still shows.

    One pass tallies (set, DMC, group, status); the Counts are built from the small tally (a campaign can hold a
    million planned tests)."""
    tally: Counter[tuple[bool, str, str, str]] = Counter()
    no_dmc, not_run = NO_DMC, Outcome.NOT_RUN
    for entry in plan:
        result = results.get(entry.nodeid)
        status = status_of(entry.descoped is not None, result.outcome if result is not None else not_run,
                           entry.known_defect)
        tally[(entry.regression, entry.dmc or no_dmc, entry.functional_group, status)] += 1
    return counts_from_tally(tally, dmcs)


def counts_from_tally(tally: Tally, dmcs: Iterable[str] = ()) -> PlanCounts:
    """The Counts of a tally (see ``count``)."""
    by_dmc: dict[str, Counts] = {dmc: Counts() for dmc in dmcs}
    functional, regression = Counts(), Counts()
    cells: dict[tuple[str, str], Counts] = {}
    for (is_regression, dmc, group, status), n in tally.items():
        targets = [regression] if is_regression else [functional, by_dmc.setdefault(dmc, Counts())]
        targets.append(cells.setdefault((group, dmc), Counts()))
        for counts in targets:
            counts.tally(status, n)
    return PlanCounts(dict(sorted(by_dmc.items())), functional, regression, cells)
