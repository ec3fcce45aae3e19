"""A campaign's view over many runs (SVTAD 12.6(a), Table 13.1 rows 1-2, 13.18): pure.

- The plan is every (test, DMC) any run of the campaign planned, with the tags of the latest run that planned it.
- A planned test's result is its latest executed result (passed or failed) in any run; a later run that did not
  execute it (skipped, interrupted, not selected) does not undo it. With no executed result it is not run.
- Regression tests count only results from runs on the stage-exit SUT version (Table 13.1 row 2): the newest
  run's version unless one is named.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pytest_svtad.model import Outcome, PlanEntry, Result
from pytest_svtad.rules.counts import PlanCounts, counts_from_tally
from pytest_svtad.rules.ttm import Traceability, Ttm, traceability_of


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
            latest = Result(nodeid, Outcome.NOT_RUN, reason=not_run_reason(entry.regression, exit_version))
        results[nodeid] = latest
    return CampaignView(list(plan.values()), results, exit_version, len(runs))


def not_run_reason(regression: bool, exit_version: str | None) -> str:
    """Why a planned test of the campaign has no result: no executed result (on the exit version, for regression)."""
    return (f"not executed on the stage-exit SUT version {exit_version or '(unstated)'}" if regression
            else "not executed in any run of the campaign")


@dataclass(slots=True)
class CampaignSummary:
    """What a campaign's verdict needs of its combined plan and results, as tallies (``combine``'s view, counted):
    built in one pass over the store's rows (``pytest_svtad.store.campaign_pass``) instead of a record per test.

    ``tally``: planned tests by (regression, DMC, group, status), as ``rules.counts`` counts them; ``covering``:
    planned, not de-scoped tests per TTM requirement id; ``untraced``: node ids of planned, not de-scoped tests
    with no TTM id; ``descoped``: the de-scoped plan entries whole (the SIT approval check reads them, 12.6(a));
    ``executed``: planned tests whose result is executed; ``dmcs``: the DMC ids planned."""

    exit_version: str | None
    runs: int
    tally: Counter[tuple[bool, str, str, str]] = field(default_factory=Counter)
    covering: Counter[str] = field(default_factory=Counter)
    untraced: list[str] = field(default_factory=list)
    descoped: list[PlanEntry] = field(default_factory=list)
    executed: int = 0
    planned: int = 0
    dmcs: set[str] = field(default_factory=set)

    def merge(self, other: CampaignSummary) -> None:
        """Add another part of the same campaign (a pass over another range of node ids)."""
        self.tally.update(other.tally)
        self.covering.update(other.covering)
        self.untraced.extend(other.untraced)
        self.descoped.extend(other.descoped)
        self.executed += other.executed
        self.planned += other.planned
        self.dmcs |= other.dmcs

    def counts(self, dmcs: Iterable[str] = ()) -> PlanCounts:
        return counts_from_tally(self.tally, dmcs)

    def traceability(self, ttm: Ttm | None, stage: str | None = None) -> Traceability:
        """``rules.ttm.trace`` over the combined plan, from the tallies."""
        unknown = [rid for rid in self.covering if ttm is not None and rid not in ttm]
        return traceability_of(ttm, self.covering, unknown, self.untraced, stage)
