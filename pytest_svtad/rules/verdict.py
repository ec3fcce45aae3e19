"""The SVTAD exit-criteria verdict from plan, results and issues, stage by stage.

SIT is judged by Table 13.1 (rows 1-8), Table 13.2 and 12.6; PIT by 12.6 and Table 13.2 with its own pass-rate
minimum and regression rule from the criteria file (12.6(b), (f)); every other stage by what its Testing Approach
Document sets (12.3), taken from the criteria file, and "not configured" until given. Each criterion cites its
stage's source.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from pytest_svtad.model import Outcome, PlanEntry, Result
from pytest_svtad.rules import appendix_ak as ak
from pytest_svtad.rules.counts import Counts, PlanCounts, count
from pytest_svtad.rules.criteria import Criteria, SeverityLimits
from pytest_svtad.rules.dmct import DmctAssessment
from pytest_svtad.rules.entry_criteria import CLAUSE as ENTRY_CLAUSE
from pytest_svtad.rules.entry_criteria import EntryAssessment
from pytest_svtad.rules.issues import (
    AGGREGATE,
    TestingIssue,
    by_cause,
    by_epcl_entry,
    by_provider,
    extant_by_severity,
    extant_counts,
    over_limits,
)
from pytest_svtad.rules.ttm import Traceability, Ttm, trace
from pytest_svtad.rules.workoff import RecordedPlan
from pytest_svtad.wording import counted

MET, NOT_MET, MANUAL = "met", "not_met", "manual"
VERDICT_SCHEMA = 2


@dataclass(slots=True)
class Outputs:
    """What the plugin managed to store; rows 4, 5 and 7 are about evidence existing, not about test outcomes."""

    report_dir: str | None = None
    stored_results: frozenset[str] = frozenset()  # node ids whose result line reached results.jsonl
    all_stored: bool = False  # every result came from the store (a campaign): nothing to check one by one
    results_error: str | None = None
    evidence_errors: tuple[str, ...] = ()  # "<node id>: <file>: <reason>" for evidence that could not be stored
    issue_log_written: bool = False
    issue_log_error: str | None = None
    heatmap_written: bool = False
    heatmap_error: str | None = None


@dataclass(slots=True)
class WorkOffCheck:
    """The Work Off Plans of preceding Test Phases found in the store (12.6(h)); ``store`` None when there is no
    store to look in."""

    store: str | None
    plans: list[RecordedPlan] = field(default_factory=list)


@dataclass(slots=True)
class Criterion:
    id: str
    status: str
    detail: str
    clause: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "clause": self.clause, "status": self.status, "detail": self.detail}


@dataclass(slots=True)
class Verdict:
    stage: str
    release: str | None
    sut_version: str | None
    counts: PlanCounts
    issues: list[TestingIssue]
    traceability: Traceability
    criteria: list[Criterion]
    extant: dict[int, int]
    thresholds: SeverityLimits | None
    thresholds_source: str
    epcl: dict[str, Any] | None
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)
    by_provider: dict[str, dict[int, int]] = field(default_factory=dict)
    dmct: dict[str, DmctAssessment] | None = None
    entry: EntryAssessment | None = None  # the Entry Criteria found at the session's start (12.5)

    @property
    def met(self) -> bool:
        return all(c.status == MET for c in self.criteria if c.status != MANUAL)

    @property
    def pending(self) -> list[str]:
        return [c.id for c in self.criteria if c.status == MANUAL]

    def as_dict(self) -> dict[str, Any]:
        """verdict.json, schema 2 (docs/verdict-schema.md), with extra keys after the contract's."""
        not_counted = [i for i in self.issues if i.is_open and not i.counts_against(self.stage)]
        data = {
            "schema": VERDICT_SCHEMA,
            "stage": self.stage,
            "release": self.release,
            "verdict": MET if self.met else NOT_MET,
            "pending": self.pending,
            "criteria": [c.as_dict() for c in self.criteria],
            "dmcs": {dmc: c.as_dict() for dmc, c in self.counts.functional_by_dmc.items()},
            "regression": self.counts.regression.as_dict(regression=True),
            "issues": {
                "extant": {str(s): n for s, n in self.extant.items()},
                "thresholds": None if self.thresholds is None else {str(s): n for s, n in self.thresholds.items()},
                "thresholds_source": self.thresholds_source,
                # raised by this phase's tests (not the ones counted here from other phases or releases)
                "raised": sum(1 for i in self.issues if i.origin == "test" and not i.counted_because),
                "by_provider": {name: {str(s): n for s, n in c.items()} for name, c in self.by_provider.items()},
                "by_cause": by_cause(self.issues),
                "not_counted": sorted(i.id for i in not_counted),
                **({"per_epcl_entry": self.epcl} if self.epcl is not None else {}),
            },
            "ttm": self.traceability.as_dict(),
            "sut_version": self.sut_version,
            "interrupted": self.interrupted,
            "notes": self.notes,
        }
        if self.entry is not None:
            data["entry_criteria"] = self.entry.as_dict()
        if self.dmct is not None:
            data["dmct"] = {dmc: assessment.as_dict() for dmc, assessment in sorted(self.dmct.items())}
        return data


def _pct(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.1f}%"


def _at_least(numerator: int, denominator: int, rate: float) -> bool:
    """Exact comparison, so 9 of 10 meets 90% and 899 of 1000 does not, whatever binary floats say."""
    return Fraction(numerator, denominator) >= Fraction(str(rate))


def _listing(items: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _functional_execution(stage: str, plan: Sequence[PlanEntry], counts: PlanCounts,
                          criteria: Criteria) -> Criterion:
    total = counts.functional
    cid = "functional-execution"
    if total.planned == 0:
        return Criterion(cid, NOT_MET, "no functional tests planned: nothing to measure execution against")
    rate, source = criteria.execution_rate_for(stage)
    detail = (f"{total.executed} of {total.planned} planned functional tests executed"
              f" ({_pct(total.execution_rate)}; required {_pct(rate)}, {source})")
    if total.descoped:
        detail += f"; {total.descoped} de-scoped"
    problems = []
    if not _at_least(total.executed, total.planned, rate):
        short = [f"{dmc} {c.not_run}" for dmc, c in counts.functional_by_dmc.items() if c.not_run]
        problems.append(f"not run by DMC: {_listing(short)}")
    if stage == "SIT":
        # 12.6(a): in SIT a test is de-scoped only if the Secretary of State approves the TAB's recommendation
        unapproved = sorted({e.test_key for e in plan if e.descoped is not None and not e.regression
                             and not e.descoped.secretary_of_state_approved})
        if unapproved:
            problems.append(f"{counted(len(unapproved), 'de-scoped test')} without the Secretary of State's approval "
                            f"(12.6(a); descoped(..., approved_by=...)): {_listing(unapproved)}")
    if problems:
        return Criterion(cid, NOT_MET, f"{detail}; " + "; ".join(problems))
    return Criterion(cid, MET, detail)


def _functional_pass_rate(stage: str, counts: PlanCounts, criteria: Criteria) -> Criterion:
    cid = "functional-pass-rate"
    rate, source = criteria.pass_rate_for(stage)
    if rate is None:
        return Criterion(cid, NOT_MET, f"not configured: the minimum is set in the {stage}'s Testing Approach "
                         f"Document ({source}); set stages.{stage}.functional_pass_rate in the criteria file")
    measured = {dmc: c for dmc, c in counts.functional_by_dmc.items() if c.planned}
    if not measured:
        return Criterion(cid, NOT_MET, "no functional tests planned on any DMC")
    required = _pct(rate)
    below = [f"{dmc} {_pct(c.pass_rate)} ({c.passed}/{c.planned})" for dmc, c in measured.items()
             if not _at_least(c.passed, c.planned, rate)]
    if below:
        return Criterion(cid, NOT_MET, f"below {required} ({source}) of planned tests passed on "
                         f"{len(below)} of {len(measured)} DMCs: {_listing(below)}")
    lowest = min(measured.items(), key=lambda item: (item[1].pass_rate, item[0]))
    return Criterion(cid, MET, f"every DMC at or above {required} ({source}) of its planned tests passed "
                     f"({len(measured)} DMC{'s' if len(measured) != 1 else ''}; lowest {lowest[0]} "
                     f"{_pct(lowest[1].pass_rate)})")


def _regression(stage: str, regression: Counts, criteria: Criteria, sut_version: str | None) -> Criterion:
    cid = "regression"
    rule, source = criteria.regression_for(stage)
    version = f"SUT version {sut_version}" if sut_version else "an unstated SUT version (--svtad-sut-version)"
    descoped = ""
    if regression.descoped:
        descoped = (f"; {regression.descoped} de-scoped" + (
            " (Table 13.1 row 2 makes no provision for de-scoping regression tests)" if stage == "SIT" else ""))
    if rule is None:
        return Criterion(cid, NOT_MET, f"not configured: the regression rule is set in the {stage}'s Testing "
                         f"Approach Document ({source}); set stages.{stage}.regression in the criteria file "
                         f"(required: false if the stage needs none){descoped}")
    if not rule.required:
        ran = (f"; {regression.executed}/{regression.planned} planned regression tests executed, "
               f"{regression.passed} passed" if regression.planned else "")
        return Criterion(cid, MET, f"not required for {stage}: the criteria file's choice ({source}){ran}{descoped}")
    if regression.planned == 0:
        why = ("Table 13.1 row 2 needs the planned regression set executed on the stage-exit versions"
               if stage == "SIT" else f"{source} requires a regression set")
        return Criterion(cid, NOT_MET, f"no regression test planned: {why}{descoped}")
    excused = regression.known_defects if rule.allows_known_defects else 0
    executed_ok = _at_least(regression.executed, regression.planned, rule.execution_rate)
    passed_ok = _at_least(regression.passed + excused, regression.planned, rule.pass_rate)
    detail = (f"{regression.executed}/{regression.planned} planned regression tests executed on {version}, "
              f"{regression.passed} passed, {regression.failed} failed (required {_pct(rule.execution_rate)} "
              f"executed, {_pct(rule.pass_rate)} passed, {source})")
    if regression.known_defects:
        detail += (f" ({counted(regression.known_defects, 'known defect')}, "
                   + ("excused by the criteria file (MT-SIT alignment change 12)" if excused else
                      "not excused: set regression_allows_known_defects to apply MT-SIT alignment change 12")
                   + ")")
    return Criterion(cid, MET if executed_ok and passed_ok else NOT_MET, detail + descoped)


def _limits_text(extant: Mapping[int, int], limits: Mapping[int, int]) -> str:
    return ", ".join(f"S{s} {extant.get(s, 0)}/{limits[s]}" + (" OVER" if extant.get(s, 0) > limits[s] else "")
                     for s in ak.SEVERITIES)


def _not_counted_text(stage: str, issues: Sequence[TestingIssue]) -> str:
    parts = []
    device = [i for i in issues if i.extant and i.cause == "device"]
    if device and stage not in ak.DMCT_STAGES:
        parts.append(f"{len(device)} device-caused not counted (13.19)")
    excluded = [i for i in issues if i.status == "excluded" and i.tag_agreed and i.counted]
    if excluded:
        parts.append(f"{len(excluded)} excluded with TAG agreement (13.20)")
    listed = [i for i in issues if not i.counted and i.is_open]
    if listed:
        parts.append(f"{len(listed)} presented but not agreed to count (13.23(ii))")
    undetermined = [i for i in issues if i.counts_against(stage) and i.cause == "undetermined"]
    if undetermined:
        parts.append(f"{len(undetermined)} of undetermined cause counted conservatively")
    agreed = [i for i in issues if i.counts_against(stage) and i.counted_because]
    if agreed:
        reasons = sorted({i.counted_because for i in agreed})
        parts.append(f"{len(agreed)} counted from other phases ({'; '.join(reasons)})")
    return ("; " + "; ".join(parts)) if parts else ""


def _issue_thresholds(stage: str, issues: list[TestingIssue], criteria: Criteria
                      ) -> tuple[Criterion, SeverityLimits | None, str, dict[str, Any] | None,
                                 dict[str, dict[int, int]]]:
    """Table 13.2 per DCC Service Provider (13.19); per EPCL entry with an aggregate limit when the criteria file
    applies the MT-SIT alignment (change 13); a DMCT stage's limits over all its issues. Each is the same count
    (:func:`extant_counts`) over another attribution, checked by :func:`over_limits`."""
    cid = "issue-thresholds"
    extant = extant_by_severity(issues, stage)
    providers = extant_counts(issues, by_provider, stage, shown=criteria.providers)
    notes = _not_counted_text(stage, issues)
    if criteria.per_epcl_entry:
        per_entry_limits, aggregate_limits = criteria.epcl_thresholds.per_entry, criteria.epcl_thresholds.aggregate
        by_entry = extant_counts(issues, by_epcl_entry, stage, sort=True)
        epcl = {"limits": per_entry_limits, "aggregate_limits": aggregate_limits,
                "extant": {entry: {str(s): n for s, n in c.items()} for entry, c in by_entry.items()}}
        if per_entry_limits is None or aggregate_limits is None:
            return (Criterion(cid, NOT_MET, "per-EPCL-entry thresholds (MT-SIT alignment change 13, new Table 13.3)"
                              " not configured: set epcl_thresholds.per_entry and .aggregate in the criteria file;"
                              " the seeds give no numbers"), None, "not configured", epcl, providers)
        entries_over = over_limits(by_entry, per_entry_limits)
        aggregate_over = over_limits({AGGREGATE: extant}, aggregate_limits)
        detail = f"aggregate {_limits_text(extant, aggregate_limits)}"
        if entries_over:
            detail += f"; EPCL entries over their limit: {_listing(entries_over)}"
        return (Criterion(cid, NOT_MET if entries_over or aggregate_over else MET, detail + notes), aggregate_limits,
                "criteria file (per EPCL entry)", epcl, providers)
    limits, source = criteria.thresholds_for(stage)
    if limits is None:
        return (Criterion(cid, NOT_MET, f"Testing Issue thresholds for {stage} not configured: they come from "
                          f"{source}; set thresholds.{stage} in the criteria file"), None, source, None, providers)
    if stage in ak.DMCT_STAGES:  # DMCT thresholds are the DMC's, not a DCC Service Provider's
        over = over_limits({AGGREGATE: extant}, limits)
        detail = f"extant Testing Issues against {source} limits for {stage}: {_limits_text(extant, limits)}"
    else:
        over = over_limits(providers, limits)
        per_provider = "; ".join(f"{name} {_limits_text(c, limits)}" for name, c in providers.items())
        detail = f"extant Testing Issues per DCC Service Provider against {source} limits for {stage}: {per_provider}"
        if over:
            detail += f"; over the limits: {', '.join(over)}"
    return Criterion(cid, NOT_MET if over else MET, detail + notes), limits, source, None, providers


def _work_off_plans(stage: str, release: str | None, check: WorkOffCheck | None) -> Criterion:
    cid = "work-off-plans"
    if check is None or check.store is None:
        return Criterion(cid, MANUAL, "no campaign store to read preceding phases' Work Off Plans from: 12.6(h) "
                         "(their completion and the re-run of their tests) is to be confirmed by hand")
    if not check.plans:
        return Criterion(cid, MET, f"no Work Off Plan of a phase preceding {stage}"
                         f"{' ' + release if release else ''} recorded in {check.store} (svtad workoff --record); "
                         "this phase's own plan is produced at exit (12.6(g))")
    outstanding = [(plan, item) for plan in check.plans for item in plan.outstanding]
    items = sum(len(plan.items) for plan in check.plans)
    if outstanding:
        shown = [f"{item.issue_id} of {plan.phase} ("
                 + ("issue open" if not item.tests else
                    f"{len(item.passed_since)}/{len(item.tests)} tests re-run and passed since {plan.recorded_at}")
                 + ")" for plan, item in outstanding]
        return Criterion(cid, NOT_MET, f"{len(outstanding)} of {items} items of preceding phases' Work Off Plans "
                         f"not worked off (12.6(h)): {_listing(shown)}")
    phases = ", ".join(plan.phase for plan in check.plans)
    return Criterion(cid, MET, f"every item of the preceding Work Off Plans ({phases}) worked off, their tests "
                     "re-run and passed since each plan was recorded (12.6(h))")


def _evidence(plan: Sequence[PlanEntry], results: Mapping[str, Result], outputs: Outputs,
              executed_count: int | None = None) -> Criterion:
    cid = "evidence"
    if outputs.report_dir is None:
        return Criterion(cid, NOT_MET, "no report directory (--svtad-report): results and evidence are not stored")
    if outputs.results_error:
        return Criterion(cid, NOT_MET, f"results could not be stored: {outputs.results_error}")
    if outputs.evidence_errors:
        return Criterion(cid, NOT_MET, f"{counted(len(outputs.evidence_errors), 'evidence file')} could not be stored: "
                         f"{_listing(list(outputs.evidence_errors), limit=3)}")
    if outputs.all_stored:
        if executed_count is None:
            executed_count = sum(1 for r in results.values() if r.outcome is not Outcome.NOT_RUN)
        return Criterion(cid, MET, f"{counted(executed_count, 'executed result')} stored with their evidence in the "
                         "store")
    executed = [e.nodeid for e in plan if e.nodeid in results and results[e.nodeid].executed]
    missing = [nodeid for nodeid in executed if nodeid not in outputs.stored_results]
    if missing:
        return Criterion(cid, NOT_MET, f"{counted(len(missing), 'executed test')} without a stored result: "
                         f"{_listing(missing)}")
    return Criterion(cid, MET, f"{counted(len(executed), 'executed result')} stored with their evidence "
                     f"in {outputs.report_dir}/results.jsonl")


def _issue_logs(issues: list[TestingIssue], outputs: Outputs) -> Criterion:
    cid = "issue-logs"
    if outputs.report_dir is None:
        return Criterion(cid, NOT_MET, "no report directory (--svtad-report): no Testing Issue log written")
    if not outputs.issue_log_written:
        return Criterion(cid, NOT_MET, f"Testing Issue log not written: {outputs.issue_log_error or 'unknown error'}")
    return Criterion(cid, MET, f"{counted(len(issues), 'Testing Issue')} logged in "
                     f"{outputs.report_dir}/testing-issues.csv")


def _ttm_traceability(ttm: Ttm | None, traceability: Traceability) -> Criterion:
    cid = "ttm-traceability"
    if ttm is None:
        return Criterion(cid, NOT_MET, "no TTM loaded (--svtad-ttm): traceability to requirements not demonstrated")
    if traceability.unknown:
        return Criterion(cid, NOT_MET, f"tests name ids absent from the TTM: {_listing(traceability.unknown)}")
    if traceability.uncovered:
        return Criterion(cid, NOT_MET, f"{len(traceability.uncovered)} of {traceability.requirements} TTM "
                         f"requirements in scope have no planned test: {_listing(traceability.uncovered)}")
    scope = (f" ({traceability.out_of_scope} more are scoped to other stages)" if traceability.out_of_scope else "")
    return Criterion(cid, MET, f"all {traceability.requirements} requirements of {ttm.source} in scope map to "
                     f"planned tests{scope}")


def _heatmap(ttm: Ttm | None, traceability: Traceability, outputs: Outputs) -> Criterion:
    cid = "heatmap"
    if not outputs.heatmap_written:
        why = outputs.heatmap_error or "needs a report directory (--svtad-report)"
        return Criterion(cid, NOT_MET, f"no heatmap written: {why}")
    if ttm is None:
        return Criterion(cid, NOT_MET, "heatmap written but not traceable: no TTM loaded (--svtad-ttm)")
    if traceability.untraced_tests:
        return Criterion(cid, NOT_MET, f"{len(traceability.untraced_tests)} planned tests carry no TTM id: "
                         f"{_listing(traceability.untraced_tests)}")
    return Criterion(cid, MET, "heatmap of coverage and success by functional group and DMC, every planned test "
                     "traced to the TTM")


def evaluate(*, stage: str, release: str | None, plan: Sequence[PlanEntry], results: Mapping[str, Result],
             criteria: Criteria, issues: list[TestingIssue], ttm: Ttm | None, outputs: Outputs,
             dmcs: Iterable[str] = (), sut_version: str | None = None, interrupted: bool = False,
             counts: PlanCounts | None = None, work_off: WorkOffCheck | None = None,
             dmct: Mapping[str, DmctAssessment] | None = None, entry: EntryAssessment | None = None,
             traceability: Traceability | None = None, executed: int | None = None) -> Verdict:
    """Evaluate the stage's exit criteria (for SIT Table 13.1 rows 1-7; row 8 is always ``manual``). ``counts``
    may be given when the caller has counted the same plan and results already; ``work_off`` is what the store
    knows of preceding phases' Work Off Plans (PIT and SIT, 12.6(h)); ``dmct`` the DMCT assessments (DMCT stages);
    ``entry`` the Entry Criteria found at the session's start: the criterion ``entry-criteria``, first (12.5).

    A campaign judged from tallies (``pytest_svtad.rules.campaign.CampaignSummary``) gives ``counts``,
    ``traceability`` and ``executed`` (executed results, for the evidence row when every result is stored), and
    as ``plan`` only its de-scoped entries: with those given, the plan is read for de-scopings alone."""
    counts = counts or count(plan, results, dmcs)
    traceability = traceability or trace(ttm, plan, stage)
    thresholds_criterion, limits, source, epcl, providers = _issue_thresholds(stage, issues, criteria)
    criteria_list = [
        _functional_execution(stage, plan, counts, criteria),
        _functional_pass_rate(stage, counts, criteria),
        _regression(stage, counts.regression, criteria, sut_version),
        thresholds_criterion,
        *([_work_off_plans(stage, release, work_off)] if stage in ak.WORK_OFF_STAGES else []),
        _evidence(plan, results, outputs, executed),
        _issue_logs(issues, outputs),
        _ttm_traceability(ttm, traceability),
        _heatmap(ttm, traceability, outputs),
        Criterion("assurance-report", MANUAL, "TAB approval of the DCC assurance report (9.6) is a human decision; "
                  "the harness supplies the evidence"),
    ]
    for criterion in criteria_list:
        criterion.clause = ak.clause(stage, criterion.id)
    if entry is not None:
        criteria_list.insert(0, Criterion("entry-criteria", entry.status, entry.detail(), ENTRY_CLAUSE))
    notes = []
    if criteria.source:
        notes.append(f"criteria overridden by {criteria.source}")
    if interrupted:
        notes.append("session interrupted: tests that never reported count as not run")
    return Verdict(stage=stage, release=release, sut_version=sut_version, counts=counts, issues=issues,
                   traceability=traceability, criteria=criteria_list, extant=extant_by_severity(issues, stage),
                   thresholds=limits, thresholds_source=source, epcl=epcl, interrupted=interrupted, notes=notes,
                   by_provider=providers, dmct=dict(dmct) if dmct is not None else None, entry=entry)
