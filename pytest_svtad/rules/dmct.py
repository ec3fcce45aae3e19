"""When a DMC has completed DMCT testing (20.28) and whether its EPCL entry can be recommended (20.30).

The seed leaves the completion rule "to be determined": it comes from the criteria file (``dmct_completion``),
else the default rule below, and every assessment says which applied.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from pytest_svtad.rules import appendix_ak as ak
from pytest_svtad.rules.counts import Counts
from pytest_svtad.rules.criteria import Criteria, DmctCompletion
from pytest_svtad.rules.issues import TestingIssue

DEFAULT_RULE_SOURCE = ("default rule of pytest-svtad (SVTAD 20.28 leaves the completion rule to be determined): "
                       "every pack test executed and the functional pass rate met")


@dataclass(slots=True)
class DmctAssessment:
    dmc: str
    epcl_entry: str
    completed: bool
    rule: str
    rule_source: str
    reasons: list[str] = field(default_factory=list)  # why it has not completed (20.29(f) / 20.30)
    open_issues: list[TestingIssue] = field(default_factory=list)

    @property
    def recommendation(self) -> str:
        if self.completed:
            return f"recommend EPCL entry {self.epcl_entry} (20.30)"
        return f"EPCL entry {self.epcl_entry} not recommended: " + "; ".join(self.reasons)


def _describe(rule: DmctCompletion, pass_rate: float) -> str:
    parts = []
    if rule.all_executed:
        parts.append("every planned pack test executed")
    parts.append(f"at least {pass_rate * 100:g}% of planned tests passed")
    if rule.within_epcl_thresholds:
        parts.append("the DMC's EPCL entry within the per-entry Testing Issue thresholds")
    return ", ".join(parts)


def assess(dmc: str, epcl_entry: str, counts: Counts, issues: Iterable[TestingIssue],
           criteria: Criteria) -> DmctAssessment:
    rule = criteria.dmct_completion or DmctCompletion()
    source = (f"criteria file {criteria.source or ''}".strip() if criteria.dmct_completion is not None
              else DEFAULT_RULE_SOURCE)
    pass_rate = criteria.functional_pass_rate if rule.pass_rate is None else rule.pass_rate
    mine = [issue for issue in issues if issue.extant and (dmc in issue.dmcs or epcl_entry in issue.epcl_entries)]
    reasons: list[str] = []
    if counts.planned == 0:
        reasons.append("no pack test planned for this DMC")
    else:
        if rule.all_executed and counts.not_run:
            reasons.append(f"{counts.not_run} of {counts.planned} planned tests not run")
        if Fraction(counts.passed, counts.planned) < Fraction(str(pass_rate)):
            reasons.append(f"{counts.passed}/{counts.planned} passed, below {pass_rate * 100:g}%")
    if rule.within_epcl_thresholds:
        limits = criteria.epcl_thresholds.per_entry
        if limits is None:
            reasons.append("per-entry thresholds required by the completion rule are not configured")
        else:
            by_severity = dict.fromkeys(ak.SEVERITIES, 0)
            for issue in mine:
                by_severity[issue.severity] += 1
            over = [f"S{s} {by_severity[s]}/{limits[s]}" for s in ak.SEVERITIES if by_severity[s] > limits[s]]
            if over:
                reasons.append("Testing Issues over the per-entry thresholds: " + ", ".join(over))
    return DmctAssessment(dmc=dmc, epcl_entry=epcl_entry, completed=not reasons, rule=_describe(rule, pass_rate),
                          rule_source=source, reasons=reasons, open_issues=sorted(mine, key=lambda i: i.id))
