"""A campaign's view over many runs (SVTAD 12.6(a), Table 13.1 rows 1-2, 13.18): pure.

- The plan is every (test, DMC) any run of the campaign planned, with the tags of the latest run that planned it.
- A planned test's result is its latest executed result (passed or failed) in any run; a later run that did not
  execute it (skipped, interrupted, not selected) does not undo it. With no executed result it is not run.
- Regression tests count only results from runs on the stage-exit SUT version (Table 13.1 row 2): the newest
  run's version unless one is named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pytest_svtad.model import Outcome, PlanEntry, Result


@dataclass(frozen=True, slots=True)
class CampaignRun:
    run_id: int
    sut_version: str | None
    plan: Sequence[PlanEntry]
    results: Mapping[str, Result]


@dataclass(slots=True)
class CampaignView:
    plan: list[PlanEntry]
    results: dict[str, Result]
    exit_version: str | None
    runs: int


def combine(runs: Sequence[CampaignRun], exit_version: str | None = None) -> CampaignView:
    """``runs`` oldest first."""
    if exit_version is None and runs:
        exit_version = runs[-1].sut_version
    plan: dict[str, PlanEntry] = {}
    for run in runs:
        for entry in run.plan:
            plan[entry.nodeid] = entry  # latest tags win (the position stays the first run's)
    results: dict[str, Result] = {}
    newest_first = list(reversed(runs))
    on_exit_version = [run for run in newest_first if run.sut_version == exit_version]
    not_run = Outcome.NOT_RUN
    for nodeid, entry in plan.items():
        latest: Result | None = None
        for run in on_exit_version if entry.regression else newest_first:
            result = run.results.get(nodeid)
            if result is not None and result.outcome is not not_run:
                latest = result
                break
        if latest is None:
            why = (f"not executed on the stage-exit SUT version {exit_version or '(unstated)'}" if entry.regression
                   else "not executed in any run of the campaign")
            latest = Result(nodeid, Outcome.NOT_RUN, reason=why)
        results[nodeid] = latest
    return CampaignView(list(plan.values()), results, exit_version, len(runs))
