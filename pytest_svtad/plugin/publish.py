"""Where the session hands its facts to the evidence outputs that people open (HTML reports, Allure).

Two entry points, called by ``pytest_svtad.plugin.session``:
- ``label_item(item, entry, settings)`` on the process that collects (a worker under xdist), once per planned item;
- ``write_reports(context)`` once, where every result is seen, after verdict.json is written. It returns problems
  as one-line notes instead of raising: a report that cannot be written must never lose results or the verdict.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_svtad.files.datafiles import CompletionNotes
from pytest_svtad.model import PlanEntry, Result
from pytest_svtad.plugin import allure
from pytest_svtad.rules.issues import TestingIssue
from pytest_svtad.rules.verdict import Verdict

if TYPE_CHECKING:
    from pytest_svtad.plugin.options import Settings

HEATMAP_HTML = "heatmap.html"
COMPLETION_REPORT = "completion-report.html"


@dataclass(slots=True)
class ReportContext:
    config: pytest.Config
    settings: Settings
    plan: list[PlanEntry]
    results: dict[str, Result]
    issues: list[TestingIssue]
    verdict: Verdict
    started: float = field(default_factory=time.time)  # when the session began (Allure results after it are ours)
    # the tests this session planned, when plan and results cover more (a campaign read from the store)
    session_nodeids: frozenset[str] | None = None


def label_item(item: pytest.Item, entry: PlanEntry, settings: Settings) -> None:
    """Per-item labelling for outputs that read markers (Allure)."""
    allure.label_item(item, entry, settings)


def write_reports(context: ReportContext) -> list[str]:
    """heatmap.html, completion-report.html, dmct-<DMC>.html (DMCT stages) and the Allure extras; one-line problems
    come back instead of exceptions, and one report that fails does not keep the others from being written."""
    problems = allure.write_results(context, context.started)
    report_dir = context.settings.report_dir
    if report_dir is None:
        return problems
    try:
        from pytest_svtad.reports import evidence

        data = evidence.build(context)
    except Exception as exc:  # noqa: BLE001 - a report must never cost the verdict or the results
        return [*problems, f"HTML reports not written: {type(exc).__name__}: {exc}"]
    notes = context.settings.completion_notes
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
            _render(template, report_dir / name, **common, **extra)
        except Exception as exc:  # noqa: BLE001 - a report must never cost the verdict or the results
            problems.append(f"{name} not written: {type(exc).__name__}: {exc}")
        else:
            if context.settings.pdf and template != "heatmap.html.j2":
                problems.extend(_pdf(report_dir / name))
    return problems


def _pdf(page: Path) -> list[str]:
    from pytest_svtad.reports import pdf

    try:
        pdf.write_pdf(page, page.with_suffix(".pdf"))
    except Exception as exc:  # noqa: BLE001 - a PDF must never cost the verdict or the results
        return [f"{page.with_suffix('.pdf').name} not written: {exc}"]
    return []


def _render(template: str, path: Path, **values: Any) -> None:
    from pytest_svtad.reports import html

    html.render(template, path, **values)
