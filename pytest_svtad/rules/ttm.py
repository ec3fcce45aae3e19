"""Test Traceability Matrix (11.1-11.3; 19.4(a)): requirements of SEC Sections F, G, H, L, N and P mapped to tests.

Pure data and functions; reading a TTM file is ``pytest_svtad.files.datafiles.load_ttm``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from pytest_svtad.model import PlanEntry


@dataclass(frozen=True, slots=True)
class Requirement:
    requirement_id: str
    functional_group: str
    title: str
    section: str = ""
    clause: str = ""
    severity: int | None = None
    # the stages whose packs must cover the requirement; empty means every stage
    stages: tuple[str, ...] = ()
    url: str = ""  # the requirement in the programme's requirement tool (the TTM's url column): Allure links it

    def in_scope(self, stage: str | None) -> bool:
        return stage is None or not self.stages or stage in self.stages


@dataclass(frozen=True, slots=True)
class Ttm:
    source: str
    requirements: dict[str, Requirement]
    # the TTM's header: which matrix, which version, when and by whom the DCC assured it (11.2; 12.5(c))
    ttm_id: str | None = None
    version: str | None = None
    assured_on: date | None = None
    assured_by: str | None = None

    def __contains__(self, requirement_id: object) -> bool:
        return requirement_id in self.requirements

    def group_of(self, requirement_id: str) -> str | None:
        requirement = self.requirements.get(requirement_id)
        return requirement.functional_group if requirement else None


@dataclass(slots=True)
class Traceability:
    """What 19.4(a) asks to demonstrate: every requirement covered by planned tests, every planned test traced."""

    requirements: int
    covered: int
    uncovered: list[str]
    unknown: list[str]  # ids on tests that the TTM lacks (normally a collection error already)
    untraced_tests: list[str]  # planned tests carrying no TTM id
    tests_by_requirement: dict[str, list[str]] = field(default_factory=dict)
    out_of_scope: int = 0  # requirements the TTM scopes to other stages: not counted above

    def as_dict(self) -> dict[str, object]:
        return {"requirements": self.requirements, "covered": self.covered, "uncovered": self.uncovered,
                "unknown": self.unknown, "untraced_tests": self.untraced_tests, "out_of_scope": self.out_of_scope}


def trace(ttm: Ttm | None, plan: Iterable[PlanEntry], stage: str | None = None) -> Traceability:
    """Map requirements to planned (not de-scoped) tests. A requirement covered only by de-scoped tests is
    uncovered: it will not be demonstrated in this phase. Requirements the TTM scopes to other stages than
    ``stage`` are left out of the counts (tests may still trace to them)."""
    by_requirement: dict[str, list[str]] = {rid: [] for rid in (ttm.requirements if ttm else ())}
    unknown: set[str] = set()
    untraced: list[str] = []
    for entry in plan:
        if entry.descoped is not None:
            continue
        if not entry.ttm:
            untraced.append(entry.nodeid)
        for rid in entry.ttm:
            if ttm is not None and rid not in ttm:
                unknown.add(rid)
                continue
            by_requirement.setdefault(rid, []).append(entry.nodeid)
    traceability = traceability_of(ttm, {rid: len(tests) for rid, tests in by_requirement.items()}, unknown,
                                   untraced, stage)
    traceability.tests_by_requirement = {rid: sorted(tests) for rid, tests in by_requirement.items()}
    return traceability


def traceability_of(ttm: Ttm | None, covering: Mapping[str, int], unknown: Iterable[str], untraced: Iterable[str],
                    stage: str | None = None) -> Traceability:
    """The Traceability of tallies: ``covering`` counts the planned, not de-scoped tests per requirement id; for a
    campaign read from the store in one pass (``tests_by_requirement`` stays empty there: no output reads it)."""
    requirement_ids = [rid for rid, req in ttm.requirements.items() if req.in_scope(stage)] if ttm else []
    uncovered = [rid for rid in requirement_ids if not covering.get(rid)]
    return Traceability(
        out_of_scope=len(ttm.requirements) - len(requirement_ids) if ttm else 0,
        requirements=len(requirement_ids),
        covered=len(requirement_ids) - len(uncovered),
        uncovered=uncovered,
        unknown=sorted(unknown),
        untraced_tests=sorted(untraced),
    )
