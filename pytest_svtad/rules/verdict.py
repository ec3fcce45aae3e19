"""The SVTAD exit-criteria verdict (Table 13.1 rows 1-8, Table 13.2, 12.6) from plan, results and issues."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from pytest_svtad.model import Outcome, PlanEntry, Result
from pytest_svtad.rules import appendix_ak as ak
from pytest_svtad.rules.counts import Counts, PlanCounts, count
from pytest_svtad.rules.criteria import Criteria, SeverityLimits
from pytest_svtad.rules.issues import TestingIssue, extant_by_epcl_entry, extant_by_severity
from pytest_svtad.ttm import Traceability, Ttm, trace

MET, NOT_MET, MANUAL = "met", "not_met", "manual"
VERDICT_SCHEMA = 1


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
class Criterion:
    id: str
    status: str
    detail: str

    @property
    def clause(self) -> str:
        return ak.CLAUSES[self.id]

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

    @property
    def met(self) -> bool:
        return all(c.status == MET for c in self.criteria if c.status != MANUAL)

    @property
    def pending(self) -> list[str]:
        return [c.id for c in self.criteria if c.status == MANUAL]

    def as_dict(self) -> dict[str, Any]:
        """verdict.json, schema 1 (DESIGN.md), with extra keys after the contract's."""
        return {
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
                "raised": len(self.issues),
                **({"per_epcl_entry": self.epcl} if self.epcl is not None else {}),
            },
            "ttm": self.traceability.as_dict(),
            "sut_version": self.sut_version,
            "interrupted": self.interrupted,
            "notes": self.notes,
        }


def _pct(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.1f}%"


def _at_least(numerator: int, denominator: int, rate: float) -> bool:
    """Exact comparison, so 9 of 10 meets 90% and 899 of 1000 does not, whatever binary floats say."""
    return Fraction(numerator, denominator) >= Fraction(str(rate))


def _listing(items: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _functional_execution(counts: PlanCounts, criteria: Criteria) -> Criterion:
    total = counts.functional
    cid = "functional-execution"
    if total.planned == 0:
        return Criterion(cid, NOT_MET, "no functional tests planned: nothing to measure execution against")
    detail = (f"{total.executed} of {total.planned} planned functional tests executed"
              f" ({_pct(total.execution_rate)}; required {_pct(criteria.functional_execution_rate)})")
    if total.descoped:
        detail += f"; {total.descoped} de-scoped"
    if _at_least(total.executed, total.planned, criteria.functional_execution_rate):
        return Criterion(cid, MET, detail)
    short = [f"{dmc} {c.not_run}" for dmc, c in counts.functional_by_dmc.items() if c.not_run]
    return Criterion(cid, NOT_MET, f"{detail}; not run by DMC: {_listing(short)}")


def _functional_pass_rate(counts: PlanCounts, criteria: Criteria) -> Criterion:
    cid = "functional-pass-rate"
    measured = {dmc: c for dmc, c in counts.functional_by_dmc.items() if c.planned}
    if not measured:
        return Criterion(cid, NOT_MET, "no functional tests planned on any DMC")
    required = _pct(criteria.functional_pass_rate)
    below = [f"{dmc} {_pct(c.pass_rate)} ({c.passed}/{c.planned})" for dmc, c in measured.items()
             if not _at_least(c.passed, c.planned, criteria.functional_pass_rate)]
    if below:
        return Criterion(cid, NOT_MET, f"below {required} of planned tests passed on "
                         f"{len(below)} of {len(measured)} DMCs: {_listing(below)}")
    lowest = min(measured.items(), key=lambda item: (item[1].pass_rate, item[0]))
    return Criterion(cid, MET, f"every DMC at or above {required} of its planned tests passed "
                     f"({len(measured)} DMCs; lowest {lowest[0]} {_pct(lowest[1].pass_rate)})")


def _regression(regression: Counts, criteria: Criteria, sut_version: str | None) -> Criterion:
    cid = "regression"
    version = f"SUT version {sut_version}" if sut_version else "an unstated SUT version (--svtad-sut-version)"
    if regression.planned == 0:
        return Criterion(cid, MET, "no regression tests planned in this session: nothing to execute"
                         + (f" ({regression.descoped} de-scoped)" if regression.descoped else ""))
    excused = regression.known_defects if criteria.regression_allows_known_defects else 0
    executed_ok = _at_least(regression.executed, regression.planned, criteria.regression_execution_rate)
    passed_ok = _at_least(regression.passed + excused, regression.planned, criteria.regression_pass_rate)
    detail = (f"{regression.executed}/{regression.planned} planned regression tests executed on {version}, "
              f"{regression.passed} passed, {regression.failed} failed")
    if regression.known_defects:
        detail += (f" ({regression.known_defects} known defects, "
                   + ("excused by the criteria file (MT-SIT alignment change 12)" if excused else
                      "not excused: set regression_allows_known_defects to apply MT-SIT alignment change 12")
                   + ")")
    return Criterion(cid, MET if executed_ok and passed_ok else NOT_MET, detail)


def _limits_text(extant: Mapping[int, int], limits: Mapping[int, int]) -> str:
    return ", ".join(f"S{s} {extant.get(s, 0)}/{limits[s]}" + (" OVER" if extant.get(s, 0) > limits[s] else "")
                     for s in ak.SEVERITIES)


def _issue_thresholds(stage: str, issues: list[TestingIssue], criteria: Criteria
                      ) -> tuple[Criterion, SeverityLimits | None, str, dict[str, Any] | None]:
    cid = "issue-thresholds"
    extant = extant_by_severity(issues)
    if criteria.per_epcl_entry:
        per_entry_limits, aggregate_limits = criteria.epcl_thresholds.per_entry, criteria.epcl_thresholds.aggregate
        by_entry = extant_by_epcl_entry(issues)
        epcl = {"limits": per_entry_limits, "aggregate_limits": aggregate_limits,
                "extant": {entry: {str(s): n for s, n in c.items()} for entry, c in by_entry.items()}}
        if per_entry_limits is None or aggregate_limits is None:
            return (Criterion(cid, NOT_MET, "per-EPCL-entry thresholds (MT-SIT alignment change 13, new Table 13.3)"
                              " not configured: set epcl_thresholds.per_entry and .aggregate in the criteria file;"
                              " the seeds give no numbers"), None, "not configured", epcl)
        over = [entry for entry, c in by_entry.items() if any(c[s] > per_entry_limits[s] for s in ak.SEVERITIES)]
        aggregate_over = any(extant[s] > aggregate_limits[s] for s in ak.SEVERITIES)
        detail = f"aggregate {_limits_text(extant, aggregate_limits)}"
        if over:
            detail += f"; EPCL entries over their limit: {_listing(over)}"
        status = NOT_MET if over or aggregate_over else MET
        return Criterion(cid, status, detail), aggregate_limits, "criteria file (per EPCL entry)", epcl
    limits, source = criteria.thresholds_for(stage)
    if limits is None:
        return (Criterion(cid, NOT_MET, f"Testing Issue thresholds for {stage} not configured: they come from "
                          f"{source}; set thresholds.{stage} in the criteria file"), None, source, None)
    exceeded = any(extant[s] > limits[s] for s in ak.SEVERITIES)
    detail = f"extant Testing Issues against {source} limits for {stage}: {_limits_text(extant, limits)}"
    return Criterion(cid, NOT_MET if exceeded else MET, detail), limits, source, None


def _evidence(plan: Sequence[PlanEntry], results: Mapping[str, Result], outputs: Outputs) -> Criterion:
    cid = "evidence"
    if outputs.report_dir is None:
        return Criterion(cid, NOT_MET, "no report directory (--svtad-report): results and evidence are not stored")
    if outputs.results_error:
        return Criterion(cid, NOT_MET, f"results could not be stored: {outputs.results_error}")
    if outputs.evidence_errors:
        return Criterion(cid, NOT_MET, f"{len(outputs.evidence_errors)} evidence files could not be stored: "
                         f"{_listing(list(outputs.evidence_errors), limit=3)}")
    if outputs.all_stored:
        executed_count = sum(1 for r in results.values() if r.outcome is not Outcome.NOT_RUN)
        return Criterion(cid, MET, f"{executed_count} executed results stored with their evidence in the store")
    executed = [e.nodeid for e in plan if e.nodeid in results and results[e.nodeid].executed]
    missing = [nodeid for nodeid in executed if nodeid not in outputs.stored_results]
    if missing:
        return Criterion(cid, NOT_MET, f"{len(missing)} executed tests have no stored result: {_listing(missing)}")
    return Criterion(cid, MET, f"{len(executed)} executed results stored with their evidence "
                     f"in {outputs.report_dir}/results.jsonl")


def _issue_logs(issues: list[TestingIssue], outputs: Outputs) -> Criterion:
    cid = "issue-logs"
    if outputs.report_dir is None:
        return Criterion(cid, NOT_MET, "no report directory (--svtad-report): no Testing Issue log written")
    if not outputs.issue_log_written:
        return Criterion(cid, NOT_MET, f"Testing Issue log not written: {outputs.issue_log_error or 'unknown error'}")
    return Criterion(cid, MET, f"{len(issues)} Testing Issues logged in {outputs.report_dir}/testing-issues.csv")


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
             counts: PlanCounts | None = None) -> Verdict:
    """Evaluate Table 13.1 rows 1-7 (row 8 is always ``manual``) for one stage. ``counts`` may be given when the
    caller has counted the same plan and results already."""
    counts = counts or count(plan, results, dmcs)
    traceability = trace(ttm, plan, stage)
    thresholds_criterion, limits, source, epcl = _issue_thresholds(stage, issues, criteria)
    criteria_list = [
        _functional_execution(counts, criteria),
        _functional_pass_rate(counts, criteria),
        _regression(counts.regression, criteria, sut_version),
        thresholds_criterion,
        _evidence(plan, results, outputs),
        _issue_logs(issues, outputs),
        _ttm_traceability(ttm, traceability),
        _heatmap(ttm, traceability, outputs),
        Criterion("assurance-report", MANUAL, "TAB approval of the DCC assurance report (9.6) is a human decision; "
                  "the harness supplies the evidence"),
    ]
    notes = []
    if criteria.source:
        notes.append(f"criteria overridden by {criteria.source}")
    if interrupted:
        notes.append("session interrupted: tests that never reported count as not run")
    return Verdict(stage=stage, release=release, sut_version=sut_version, counts=counts, issues=issues,
                   traceability=traceability, criteria=criteria_list, extant=extant_by_severity(issues),
                   thresholds=limits, thresholds_source=source, epcl=epcl, interrupted=interrupted, notes=notes)
