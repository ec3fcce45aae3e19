"""Closing out a set of results: the issue log, the heatmap, the verdict and verdict.json, the same from a live
session or from the store (``svtad verdict --campaign``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from pytest_svtad.model import PlanEntry, Result
from pytest_svtad.reports import heatmap
from pytest_svtad.reports.files import write_issue_log, write_verdict
from pytest_svtad.rules.counts import count
from pytest_svtad.rules.criteria import Criteria
from pytest_svtad.rules.issues import TestingIssue
from pytest_svtad.rules.verdict import Outputs, Verdict, evaluate
from pytest_svtad.ttm import Ttm


def close_out(*, stage: str, release: str | None, criteria: Criteria, ttm: Ttm | None, report_dir: Path | None,
              plan: Sequence[PlanEntry], results: Mapping[str, Result], issues: list[TestingIssue],
              dmc_ids: list[str], sut_version: str | None, interrupted: bool, outputs: Outputs,
              results_error: str | None = None, write_verdict_file: bool = True) -> Verdict:
    """Write the issue log and heatmap (their existence is evidence for rows 5 and 7), then evaluate."""
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
        try:
            heatmap.write_csv(report_dir / "heatmap.csv", cells)
            heatmap.write_png(report_dir / "heatmap.png", cells, dmc_ids, title, criteria.functional_pass_rate)
            outputs.heatmap_written = True
        except (OSError, ValueError, RuntimeError) as exc:
            outputs.heatmap_error = str(exc)
    verdict = evaluate(stage=stage, release=release, plan=plan, results=results, criteria=criteria, issues=issues,
                       ttm=ttm, outputs=outputs, dmcs=dmc_ids, sut_version=sut_version, interrupted=interrupted,
                       counts=counts)
    if write_verdict_file and report_dir is not None:
        try:
            write_verdict(report_dir / "verdict.json", verdict)
        except OSError as exc:
            verdict.notes.append(f"verdict.json not written: {exc.strerror or exc}")
    return verdict
