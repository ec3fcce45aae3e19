"""Closing out a run: the verdict computed once from one ``RunRecord``, and every output a sink over that record,
the same from a live session and from the store (``svtad verdict --campaign``).

A sink is a function of the record that writes one output and returns one-line notes for the verdict (what it could
not write) instead of raising: an output that fails must never cost the verdict or the results. Close-out runs

1. the evidence sinks, whose existence Table 13.1 judges (rows 5 and 7): the Testing Issue log and the heatmap files
   (their success or failure lands in ``record.outputs``);
2. the rules, once: counts, DMCT assessments (DMCT stages) and the verdict, kept in ``record.verdict``;
3. the report sinks in order (a live session puts the store's end of the run and Allure first), each one's notes
   added to the verdict before the next runs;
4. verdict.json, last and once, so the file says every note the terminal says.

Results reach results.jsonl and the store while the session runs (``plugin.collector``, ``store.sink``): a session
killed before its close-out keeps them; close-out only ends the run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_svtad.model import NO_DMC
from pytest_svtad.record import RunRecord
from pytest_svtad.reports import heatmap
from pytest_svtad.reports.files import write_issue_log, write_lines_atomic, write_verdict
from pytest_svtad.result_lines import result_lines
from pytest_svtad.rules import appendix_ak as ak
from pytest_svtad.rules.counts import Counts, PlanCounts, count
from pytest_svtad.rules.criteria import Criteria
from pytest_svtad.rules.dmct import DmctAssessment, assess
from pytest_svtad.rules.issues import TestingIssue
from pytest_svtad.rules.verdict import Verdict, evaluate

Sink = Callable[[RunRecord], list[str]]

HEATMAP_HTML = "heatmap.html"
COMPLETION_REPORT = "completion-report.html"


def dmct_assessments(stage: str, by_dmc: Mapping[str, Counts], other_stage: Mapping[str, Counts] | None,
                     issues: Sequence[TestingIssue], criteria: Criteria, epcl_of: Mapping[str, str],
                     where: str) -> dict[str, DmctAssessment]:
    """Each DMC's DMCT completion (20.14, 20.26-20.30) from this stage's counts and the other DMCT stage's."""
    other = ak.other_dmct_stage(stage)
    return {dmc: assess(dmc, epcl_of.get(dmc, dmc), {stage: counts, other: (other_stage or {}).get(dmc)}, issues,
                        criteria, where) for dmc, counts in by_dmc.items() if dmc != NO_DMC}


def plan_counts(record: RunRecord) -> PlanCounts:
    """The record's counts: from a campaign's one-pass tallies when it has them, else from its plan and results."""
    if record.summary is not None:
        return record.summary.counts(record.dmc_ids)
    return count(record.plan, record.results, record.dmc_ids)


# -- evidence sinks: written before the verdict, which judges that they exist ---------------------------------

def issue_log(record: RunRecord) -> list[str]:
    """testing-issues.csv (Table 13.1 row 5)."""
    report_dir, s = record.report_dir, record.settings
    if report_dir is None:
        return []
    path = report_dir / "testing-issues.csv"
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        write_issue_log(path, record.issues, s.stage, s.release)
        record.outputs.issue_log_written = True
    except OSError as exc:
        record.outputs.issue_log_error = f"{exc.strerror or exc} ({path})"
    return []


def campaign_results(record: RunRecord) -> list[str]:
    """results.jsonl of a record read from the store (a live session streams its own as each test finishes): one
    line per planned test, its result the campaign's latest executed one, in the session's line format."""
    report_dir, s = record.report_dir, record.settings
    if report_dir is None or not record.outputs.all_stored:
        return []
    written = record.results_file
    if written is not None:  # written as the campaign was read (store.campaign_pass): put in place
        try:
            if written.error is None:
                os.replace(written.tmp, written.path)
        except OSError as exc:
            written.error = exc.strerror or str(exc)
        finally:
            written.tmp.unlink(missing_ok=True)
        return [f"results.jsonl not written: {written.error}"] if written.error else []
    common = {"stage": s.stage, "release": s.release, "sut_version": record.sut_version, "seed": s.seed}
    results = record.results
    pairs = ((entry, results[entry.nodeid]) for entry in sorted(record.plan, key=lambda e: e.nodeid)
             if entry.nodeid in results)
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        write_lines_atomic(report_dir / "results.jsonl", result_lines(pairs, common))  # streamed: a million lines
    except OSError as exc:
        return [f"results.jsonl not written: {exc.strerror or exc}"]
    return []


def heatmap_files(record: RunRecord, counts: PlanCounts | None = None) -> list[str]:
    """heatmap.csv and heatmap.png (Table 13.1 row 7)."""
    report_dir, s = record.report_dir, record.settings
    if report_dir is None:
        return []
    cells = (counts or plan_counts(record)).by_group_and_dmc
    title = f"SVTAD heatmap: {s.stage}" + (f" {s.release}" if s.release else "")
    line = s.criteria.pass_rate_for(s.stage)[0]
    try:
        heatmap.write_csv(report_dir / "heatmap.csv", cells)
        heatmap.write_png(report_dir / "heatmap.png", cells, record.dmc_ids, title, 1.0 if line is None else line)
        record.outputs.heatmap_written = True
    except (OSError, ValueError, RuntimeError) as exc:
        record.outputs.heatmap_error = str(exc)
    return []


# -- report sinks: written after the verdict, from it -----------------------------------------------------------

def html_reports(record: RunRecord) -> list[str]:
    """heatmap.html, completion-report.html and dmct-<DMC>.html (DMCT stages); one report that fails does not
    keep the others from being written."""
    report_dir = record.report_dir
    if report_dir is None:
        return []
    problems: list[str] = []
    try:
        from pytest_svtad.files.datafiles import CompletionNotes
        from pytest_svtad.reports import evidence

        data = evidence.build(record)
    except Exception as exc:  # noqa: BLE001 - a report must never cost the verdict or the results
        return [f"HTML reports not written: {type(exc).__name__}: {exc}"]
    notes = record.settings.completion_notes
    common = {"meta": data.meta, "dmcs": data.dmcs, "tests": data.tests, "groups": data.groups,
              "cells": data.cells, "requirements": data.requirements, "issues": data.issues}
    pages: list[tuple[str, str, dict[str, Any]]] = [
        ("heatmap.html.j2", HEATMAP_HTML, {"payload": data.heatmap_payload()}),
        ("completion-report.html.j2", COMPLETION_REPORT,
         {"evidence": data, "notes": (notes or CompletionNotes()).model_dump()}),
    ]
    for dmc in data.dmcs:
        assessment = data.assessments.get(dmc["id"])
        if assessment is not None:
            pages.append(("dmct.html.j2", f"dmct-{dmc['id']}.html",
                          {"dmc": dmc, "assessment": assessment, "evidence": data}))
    for template, name, extra in pages:
        try:
            from pytest_svtad.reports import html

            html.render(template, report_dir / name, **common, **extra)
        except Exception as exc:  # noqa: BLE001 - a report must never cost the verdict or the results
            problems.append(f"{name} not written: {type(exc).__name__}: {exc}")
        else:
            if record.settings.pdf and template != "heatmap.html.j2":
                problems.extend(_pdf(report_dir / name))
    return problems


def _pdf(page: Path) -> list[str]:
    from pytest_svtad.reports import pdf

    try:
        pdf.write_pdf(page, page.with_suffix(".pdf"))
    except Exception as exc:  # noqa: BLE001 - a PDF must never cost the verdict or the results
        return [f"{page.with_suffix('.pdf').name} not written: {exc}"]
    return []


def verdict_file(record: RunRecord) -> list[str]:
    """verdict.json: written once, after every other sink, atomically (a reader never sees half a file)."""
    if record.report_dir is None:
        return []
    try:
        write_verdict(record.report_dir / "verdict.json", record.judged())
    except OSError as exc:
        return [f"verdict.json not written: {exc.strerror or exc}"]
    return []


# -- close-out ----------------------------------------------------------------------------------------------

def close_out(record: RunRecord, reports: Sequence[Sink] = (html_reports,)) -> Verdict:
    """Write the evidence, compute the verdict once into ``record.verdict``, then run ``reports`` and write
    verdict.json last. Returns the verdict."""
    s = record.settings
    counts = plan_counts(record)
    if record.report_dir is not None:
        record.outputs.report_dir = str(record.report_dir)
        issue_log(record)
        heatmap_files(record, counts)
        record.notes.extend(campaign_results(record))
    dmct = None
    if s.stage in ak.DMCT_STAGES:
        dmct = dmct_assessments(s.stage, counts.functional_by_dmc, record.other_dmct_stage,
                                record.dmct_issues or record.issues, s.criteria, record.epcl_of, record.dmct_where)
    summary = record.summary
    traceability = None if summary is None else summary.traceability(s.ttm, s.stage)
    verdict = evaluate(stage=s.stage, release=s.release, plan=record.plan if summary is None else summary.descoped,
                       results=record.results, criteria=s.criteria, issues=record.issues, ttm=s.ttm,
                       outputs=record.outputs, dmcs=record.dmc_ids, sut_version=record.sut_version,
                       interrupted=record.interrupted, counts=counts, work_off=record.work_off, dmct=dmct,
                       entry=record.entry, traceability=traceability,
                       executed=None if summary is None else summary.executed)
    verdict.notes.extend(record.notes)
    record.verdict = verdict
    for sink in (*reports, verdict_file):
        verdict.notes.extend(sink(record))
    return verdict
