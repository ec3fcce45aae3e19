"""Counting planned tests against what happened (Table 13.1 rows 1-2; 9.4(a)-(c))."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pytest_svtad.model import Outcome, PlanEntry, Result


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

    def add(self, entry: PlanEntry, result: Result | None) -> None:
        if entry.descoped is not None:
            self.descoped += 1
            return
        self.planned += 1
        outcome = result.outcome if result else Outcome.NOT_RUN
        if outcome is Outcome.NOT_RUN:
            self.not_run += 1
            return
        self.executed += 1
        if outcome is Outcome.PASSED:
            self.passed += 1
        else:
            self.failed += 1
            if entry.known_defect:
                self.known_defects += 1

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


def count(plan: Iterable[PlanEntry], results: Mapping[str, Result], dmcs: Iterable[str] = ()) -> PlanCounts:
    """Count the plan. ``dmcs`` lists DMCs selected for the session, so one with nothing planned still shows."""
    by_dmc: dict[str, Counts] = {dmc: Counts() for dmc in dmcs}
    functional, regression = Counts(), Counts()
    cells: dict[tuple[str, str], Counts] = {}
    for entry in plan:
        result = results.get(entry.nodeid)
        if entry.regression:
            regression.add(entry, result)
        else:
            functional.add(entry, result)
            by_dmc.setdefault(entry.dmc_key, Counts()).add(entry, result)
        cells.setdefault((entry.functional_group, entry.dmc_key), Counts()).add(entry, result)
    return PlanCounts(dict(sorted(by_dmc.items())), functional, regression, cells)
