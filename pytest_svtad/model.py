"""Plain records shared by the plugin, the rules and the reports: what was planned, and what happened.

Plain dataclasses with ``to_dict``/``from_dict`` so they cross xdist, files and the store unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

NO_DMC = "(no DMC)"  # key for planned tests that do not run against a DMC


class Outcome(StrEnum):
    """SVTAD outcome of one planned (test, DMC): executed = passed + failed."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_RUN = "not_run"


SECRETARY_OF_STATE = "Secretary of State"
TAB = "TAB"


@dataclass(frozen=True, slots=True)
class Descoping:
    """An approved de-scoping (12.6(a)): the test leaves the planned counts and is listed in reports.

    ``approved_by`` names who approved it: 12.6(a) needs the TAB's approval, and for SIT the Secretary of State's
    approval of the TAB's recommendation (the verdict lists SIT de-scopings without it as an unmet condition)."""

    reason: str
    approval: str
    approved_by: tuple[str, ...] = ()

    @property
    def secretary_of_state_approved(self) -> bool:
        return SECRETARY_OF_STATE in self.approved_by

    def to_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "approval": self.approval, "approved_by": list(self.approved_by)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Descoping:
        return cls(str(data["reason"]), str(data["approval"]), tuple(data.get("approved_by") or ()))


@dataclass(slots=True)
class PlanEntry:
    """One planned (test, DMC) pair with its SVTAD tags. Treat as immutable (not frozen only because a million of
    them are built when a campaign is read, and frozen construction is five times slower)."""

    nodeid: str
    dmc: str | None = None
    ttm: tuple[str, ...] = ()
    srv: str | None = None
    functional_group: str = "Ungrouped"
    regression: bool = False
    severity: int = 3
    known_defect: str | None = None
    descoped: Descoping | None = None
    witnessed: str | None = None  # set (possibly "") when the test is in the witnessed subset (13.11-13.13)
    cause: str | None = None  # the cause a failure's Testing Issue is attributed to (13.19), when the test says
    provider: str | None = None  # the DCC Service Provider a failure's Testing Issue is attributed to

    @property
    def test_key(self) -> str:
        """The test without its DMC: one test failing on several DMCs is one Testing Issue (13.19)."""
        return test_key(self.nodeid, self.dmc)

    @property
    def dmc_key(self) -> str:
        return self.dmc or NO_DMC

    @property
    def test_set(self) -> str:
        return "regression" if self.regression else "functional"

    def to_dict(self) -> dict[str, Any]:
        descoped = self.descoped
        return {"nodeid": self.nodeid, "dmc": self.dmc, "ttm": list(self.ttm), "srv": self.srv,
                "functional_group": self.functional_group, "regression": self.regression,
                "severity": self.severity, "known_defect": self.known_defect,
                "descoped": descoped.to_dict() if descoped else None,
                "witnessed": self.witnessed, "cause": self.cause, "provider": self.provider}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlanEntry:
        descoped = data.get("descoped")
        return cls(
            nodeid=data["nodeid"],
            dmc=data.get("dmc"),
            ttm=tuple(data.get("ttm") or ()),
            srv=data.get("srv"),
            functional_group=data.get("functional_group") or "Ungrouped",
            regression=bool(data.get("regression")),
            severity=int(data.get("severity", 3)),
            known_defect=data.get("known_defect"),
            descoped=Descoping.from_dict(descoped) if descoped else None,
            witnessed=data.get("witnessed"),
            cause=data.get("cause"),
            provider=data.get("provider"),
        )


def test_key(nodeid: str, dmc: str | None) -> str:
    """``m.py::test_x[DMC-001]`` -> ``m.py::test_x``; ``m.py::test_x[3-DMC-001]`` -> ``m.py::test_x[3]``: the node id
    with the DMC's parameter id taken out of the parameter ids pytest joined with ``-``."""
    if not dmc or not nodeid.endswith("]") or "[" not in nodeid:
        return nodeid
    head, _, params = nodeid[:-1].partition("[")
    if params == dmc:
        return head
    if params.startswith(f"{dmc}-"):
        return f"{head}[{params[len(dmc) + 1:]}]"
    if params.endswith(f"-{dmc}"):
        return f"{head}[{params[:-len(dmc) - 1]}]"
    middle = f"-{dmc}-"
    if middle in params:
        return f"{head}[{params.replace(middle, '-', 1)}]"
    return nodeid


@dataclass(slots=True)
class Result:
    """What happened to one planned test, merged over its setup, call and teardown reports."""

    nodeid: str
    outcome: Outcome = Outcome.NOT_RUN
    error: bool = False  # failed outside the test body (setup/teardown error, crashed worker)
    xfailed: bool = False  # failed as an expected failure
    crashed: bool = False  # took its xdist worker down
    reason: str = ""
    duration: float = 0.0
    evidence: list[str] = field(default_factory=list)  # results read back from the store may share one empty tuple

    @property
    def executed(self) -> bool:
        return self.outcome is not Outcome.NOT_RUN

    def to_dict(self) -> dict[str, Any]:
        return {"nodeid": self.nodeid, "outcome": self.outcome.value, "error": self.error, "xfailed": self.xfailed,
                "crashed": self.crashed, "reason": self.reason, "duration": self.duration,
                "evidence": list(self.evidence)}


def result_line(entry: PlanEntry, result: Result, common: dict[str, Any]) -> str:
    """One line of ``results.jsonl``: the planned test's tags, its result and the run's fields (stage, release, SUT
    version, seed); the same from a live session and from the store."""
    return json.dumps({**entry.to_dict(), **result.to_dict(), **common}, sort_keys=True, default=str)
