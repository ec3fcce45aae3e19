"""Closing out a set of results: the issue log, the heatmap, the verdict and verdict.json, the same from a live
session or from the store (``svtad verdict --campaign``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from pytest_svtad.model import NO_DMC, PlanEntry, Result
from pytest_svtad.reports import heatmap
from pytest_svtad.reports.files import write_issue_log, write_verdict
from pytest_svtad.rules import appendix_ak as ak
from pytest_svtad.rules.counts import Counts, count
from pytest_svtad.rules.criteria import Criteria
from pytest_svtad.rules.dmct import DmctAssessment, assess
from pytest_svtad.rules.issues import TestingIssue
from pytest_svtad.rules.ttm import Ttm
from pytest_svtad.rules.verdict import Outputs, Verdict, WorkOffCheck, evaluate


def dmct_assessments(stage: str, by_dmc: Mapping[str, Counts], other_stage: Mapping[str, Counts] | None,
                     issues: Sequence[TestingIssue], criteria: Criteria, epcl_of: Mapping[str, str],
                     where: str) -> dict[str, DmctAssessment]:
    """Each DMC's DMCT completion (20.14, 20.26-20.30) from this stage's counts and the other DMCT stage's."""
    other = ak.other_dmct_stage(stage)
    return {dmc: assess(dmc, epcl_of.get(dmc, dmc), {stage: counts, other: (other_stage or {}).get(dmc)}, issues,
                        criteria, where) for dmc, counts in by_dmc.items() if dmc != NO_DMC}


def close_out(*, stage: str, release: str | None, criteria: Criteria, ttm: Ttm | None, report_dir: Path | None,
              plan: Sequence[PlanEntry], results: Mapping[str, Result], issues: list[TestingIssue],
              dmc_ids: list[str], sut_version: str | None, interrupted: bool, outputs: Outputs,
              results_error: str | None = None, write_verdict_file: bool = True,
              work_off: WorkOffCheck | None = None, epcl_of: Mapping[str, str] | None = None,
              other_dmct_stage: Mapping[str, Counts] | None = None, dmct_issues: Sequence[TestingIssue] = (),
              dmct_where: str = "this session") -> Verdict:
    """Write the issue log and heatmap (their existence is evidence for rows 5 and 7), then evaluate. For a DMCT
    stage, ``other_dmct_stage`` holds each DMC's counts in the other DMCT stage and ``dmct_issues`` the issues of
    both (a campaign's); without them a DMC's completion sees this stage alone."""
    counts = count(plan, results, dmc_ids)
    if report_dir is not None:
        outputs.report_dir = str(report_dir)
        outputs.results_error = results_error
        path = report_dir / "testing-issues.csv"
        try:
            report_dir.mkdir(parents=True, exist_ok=True)
            write_issue_log(path, issues, stage, release)
            outputs.issue_log_written = True
        except OSError as exc:
            outputs.issue_log_error = f"{exc.strerror or exc} ({path})"
        title = f"SVTAD heatmap: {stage}" + (f" {release}" if release else "")
        cells = counts.by_group_and_dmc
        line = criteria.pass_rate_for(stage)[0]
        try:
            heatmap.write_csv(report_dir / "heatmap.csv", cells)
            heatmap.write_png(report_dir / "heatmap.png", cells, dmc_ids, title, 1.0 if line is None else line)
            outputs.heatmap_written = True
        except (OSError, ValueError, RuntimeError) as exc:
            outputs.heatmap_error = str(exc)
    dmct = None
    if stage in ak.DMCT_STAGES:
        dmct = dmct_assessments(stage, counts.functional_by_dmc, other_dmct_stage, dmct_issues or issues, criteria,
                                epcl_of or {}, dmct_where)
    verdict = evaluate(stage=stage, release=release, plan=plan, results=results, criteria=criteria, issues=issues,
                       ttm=ttm, outputs=outputs, dmcs=dmc_ids, sut_version=sut_version, interrupted=interrupted,
                       counts=counts, work_off=work_off, dmct=dmct)
    if write_verdict_file and report_dir is not None:
        try:
            write_verdict(report_dir / "verdict.json", verdict)
        except OSError as exc:
            verdict.notes.append(f"verdict.json not written: {exc.strerror or exc}")
    return verdict
