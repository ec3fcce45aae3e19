"""Whether a DMC has completed DMCT testing (20.14, 20.27-20.28) and whether its EPCL entry can be recommended in a
DMCT Report (20.26), or the reasons for failure that go to the Supplier Parties (20.30).

- 20.14: without Migration Testing under the MTAD a DMC needs both DMCT MT and DMCT SRVT; with it, DMCT SRVT alone,
  once MT under the MTAD is determined complete (20.27: no DMCT Report before the Panel's determination).
- 20.28 leaves the completion rule "to be determined": it comes from the criteria file (``dmct_completion``), else
  the default rule below, and every assessment says which applied.
- An open severity 1 or 2 Testing Issue on the DMC blocks the recommendation whatever the completion rule says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from pytest_svtad.rules import appendix_ak as ak
from pytest_svtad.rules.counts import Counts
from pytest_svtad.rules.criteria import Criteria, DmctCompletion
from pytest_svtad.rules.issues import TestingIssue, extant_counts, on_dmc

DEFAULT_RULE_SOURCE = ("default rule of pytest-svtad (SVTAD 20.28 leaves the completion rule to be determined): "
                       "every pack test executed and the stage's functional pass rate met")
BLOCKING_SEVERITIES = (1, 2)


@dataclass(slots=True)
class DmctAssessment:
    dmc: str
    epcl_entry: str
    completed: bool
    rule: str
    rule_source: str
    required_stages: tuple[str, ...] = ak.DMCT_STAGES
    reasons: list[str] = field(default_factory=list)  # why it has not completed (20.29(f) / 20.30)
    basis: list[str] = field(default_factory=list)  # what the assessment read, for 20.29(f)
    open_issues: list[TestingIssue] = field(default_factory=list)

    @property
    def recommended_entry(self) -> str | None:
        return self.epcl_entry if self.completed else None

    @property
    def recommendation(self) -> str:
        if self.completed:
            return f"recommend EPCL entry {self.epcl_entry} in a DMCT Report (20.26)"
        return (f"EPCL entry {self.epcl_entry} not recommended (reasons to the Supplier Parties, 20.30): "
                + "; ".join(self.reasons))

    def as_dict(self) -> dict[str, Any]:
        """verdict.json's ``dmct`` entry for the DMC."""
        return {"completed": self.completed, "recommended_entry": self.recommended_entry,
                "reasons": list(self.reasons), "epcl_entry": self.epcl_entry,
                "required_stages": list(self.required_stages), "basis": list(self.basis),
                "rule": self.rule, "rule_source": self.rule_source}


def completion_rule(criteria: Criteria) -> tuple[DmctCompletion, str]:
    if criteria.dmct_completion is not None:
        return criteria.dmct_completion, f"criteria file {criteria.source or ''}".strip()
    return DmctCompletion(), DEFAULT_RULE_SOURCE


def _describe(rule: DmctCompletion, criteria: Criteria, stages: Iterable[str]) -> str:
    parts = []
    if rule.all_executed:
        parts.append("every planned pack test executed")
    for stage in stages:
        rate = rule.pass_rate if rule.pass_rate is not None else criteria.pass_rate_for(stage)[0]
        parts.append(f"{stage}: at least {rate * 100:g}% of planned tests passed" if rate is not None
                     else f"{stage}: pass rate not configured")
    if rule.within_epcl_thresholds:
        parts.append("the DMC's EPCL entry within the per-entry Testing Issue thresholds")
    parts.append("no open severity 1-2 Testing Issue on the DMC")
    return ", ".join(parts)


def assess(dmc: str, epcl_entry: str, stage_counts: Mapping[str, Counts | None], issues: Iterable[TestingIssue],
           criteria: Criteria, where: str = "this session") -> DmctAssessment:
    """``stage_counts`` holds the DMC's functional counts per DMCT stage that has results (``where`` says whence:
    this session, or the campaign's runs of both stages)."""
    rule, source = completion_rule(criteria)
    reasons: list[str] = []
    basis: list[str] = []
    mtad = criteria.dmct_mt_under_mtad.get(dmc)
    if mtad is not None:
        required: tuple[str, ...] = ("DMCT-SRVT",)
        if mtad.completed:
            basis.append(f"Migration Testing under the MTAD determined complete ({mtad.reference}): DMCT SRVT "
                         "alone is required (20.14, 20.27)")
        else:
            reasons.append(f"Migration Testing under the MTAD not yet determined complete ({mtad.reference}): no "
                           "DMCT Report can be issued before the Panel's determination (20.27)")
    else:
        required = ak.DMCT_STAGES
        basis.append("no Migration Testing under the MTAD recorded for this DMC: DMCT MT and DMCT SRVT are both "
                     "required (20.14)")
    for stage in required:
        counts = stage_counts.get(stage)
        if counts is None or counts.planned == 0:
            reasons.append(f"no {stage} results for this DMC in {where} (20.14)")
            continue
        basis.append(f"{stage} in {where}: {counts.passed}/{counts.planned} passed, {counts.not_run} not run")
        if rule.all_executed and counts.not_run:
            reasons.append(f"{stage}: {counts.not_run} of {counts.planned} planned tests not run")
        rate = rule.pass_rate if rule.pass_rate is not None else criteria.pass_rate_for(stage)[0]
        if rate is None:
            reasons.append(f"{stage}: no pass rate configured for the completion rule (stages.{stage}."
                           "functional_pass_rate or dmct_completion.pass_rate in the criteria file)")
        elif Fraction(counts.passed, counts.planned) < Fraction(str(rate)):
            reasons.append(f"{stage}: {counts.passed}/{counts.planned} passed, below {rate * 100:g}%")
    attribution = on_dmc(dmc, epcl_entry)
    mine = sorted((issue for issue in issues if issue.extant and any(attribution(issue))),
                  key=lambda i: (i.severity, i.id))
    if rule.within_epcl_thresholds:
        limits = criteria.epcl_thresholds.per_entry
        if limits is None:
            reasons.append("per-entry thresholds required by the completion rule are not configured")
        else:
            by_severity = extant_counts(mine, attribution, shown=(dmc,))[dmc]
            over = [f"S{s} {by_severity[s]}/{limits[s]}" for s in ak.SEVERITIES if by_severity[s] > limits[s]]
            if over:
                reasons.append("Testing Issues over the per-entry thresholds: " + ", ".join(over))
    blocking = [issue for issue in mine if issue.severity in BLOCKING_SEVERITIES]
    if blocking:
        reasons.append("open severity 1-2 Testing Issue(s) on the DMC: "
                       + ", ".join(f"{issue.id} (S{issue.severity})" for issue in blocking))
    return DmctAssessment(dmc=dmc, epcl_entry=epcl_entry, completed=not reasons,
                          rule=_describe(rule, criteria, required), rule_source=source, required_stages=required,
                          reasons=reasons, basis=basis, open_issues=mine)
