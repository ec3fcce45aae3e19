"""The facts every human-facing report shows, gathered once from plan, results, issues and verdict.

Plain data (dicts and lists of strings and numbers): templates render it with escaping, and the heatmap embeds it
as JSON for its detail panel. Nothing here is trusted markup: test names, failure messages and firmware strings
come from tests and devices.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_svtad.model import NO_DMC, Outcome
from pytest_svtad.rules import appendix_ak as ak
from pytest_svtad.rules.counts import Counts, count
from pytest_svtad.rules.dmct import DmctAssessment

if TYPE_CHECKING:
    from pytest_svtad.record import RunRecord

REASON_LIMIT = 600


def short_name(nodeid: str) -> str:
    """``module.py::test_x[DMC-001]`` -> ``test_x``: the DMC is the column, the module is in the full id."""
    return nodeid.split("::")[-1].split("[")[0]


@dataclass(frozen=True, slots=True)
class RelativePaths:
    """Reports name files relative to the report folder (outputs) or the invocation dir (inputs), never by
    absolute paths: a report folder moved, zipped or handed to the TAG reads the same. ``folders``: the report
    folder first (it may lie inside the invocation dir), each as given and resolved."""

    folders: tuple[str, ...]

    @classmethod
    def of(cls, report_dir: Path | None, invocation_dir: Path | None) -> RelativePaths:
        folders: list[str] = []
        for folder in (report_dir, invocation_dir):
            if folder is not None:
                for form in (str(folder), str(folder.resolve())):
                    if form.rstrip(os.sep) and form not in folders:
                        folders.append(form.rstrip(os.sep))
        return cls(tuple(folders))

    def __call__(self, text: str) -> str:
        for folder in self.folders:
            if text and folder in text:
                text = text.replace(folder + os.sep, "")
        return text

    def all(self, lines: list[str]) -> list[str]:
        return [self(line) for line in lines]


def _counts(c: Counts | None) -> dict[str, Any] | None:
    if c is None or (c.planned == 0 and c.descoped == 0):
        return None
    rate = c.pass_rate
    return {"planned": c.planned, "executed": c.executed, "passed": c.passed, "failed": c.failed,
            "not_run": c.not_run, "descoped": c.descoped, "pass_rate": None if rate is None else round(rate, 4)}


@dataclass(slots=True)
class EvidenceData:
    meta: dict[str, Any]
    dmcs: list[dict[str, Any]]
    tests: list[dict[str, Any]]
    groups: list[str]
    cells: dict[str, dict[str, Any]]  # "group\tdmc" -> counts + test indexes
    requirements: list[dict[str, Any]]
    issues: list[dict[str, Any]]
    assessments: dict[str, DmctAssessment]
    routes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # DMC -> DMCT Testing Issue routes

    def route_of(self, dmc: str, issue_id: str) -> dict[str, Any] | None:
        """The latest route recorded for a DMCT Testing Issue of a DMC (20.19-20.25), for 20.29(e)."""
        found = [route for route in self.routes.get(dmc, []) if route["issue_id"] == issue_id]
        return found[-1] if found else None

    def failures(self) -> list[dict[str, Any]]:
        """Failed tests by test and SRV, with severity and how many DMCs (9.4(d))."""
        grouped: dict[tuple[str, str], dict[str, Any]] = {}
        for test in self.tests:
            if test["outcome"] != "failed":
                continue
            row = grouped.setdefault((test["name"], test["srv"]), {
                "name": test["name"], "srv": test["srv"], "group": test["group"], "severity": test["severity"],
                "dmcs": [], "reason": test["reason"].splitlines()[0] if test["reason"] else "",
                "known_defect": test["known_defect"], "ttm": test["ttm"]})
            row["severity"] = min(row["severity"], test["severity"])
            row["dmcs"].append(test["dmc"])
        return sorted(grouped.values(), key=lambda row: (row["severity"], row["name"]))

    def not_run(self) -> list[dict[str, Any]]:
        return [test for test in self.tests if test["outcome"] == "not_run"]

    def descoped(self) -> list[dict[str, Any]]:
        return [test for test in self.tests if test["descoped"]]

    def witnessing(self) -> dict[str, Any]:
        """13.13: for the witnessed subset, passed, failed with reasons, and passed as a percentage of executed."""
        seen = [test for test in self.tests if test["witnessed"] is not None and not test["descoped"]]
        passed = [test for test in seen if test["outcome"] == "passed"]
        failed = [test for test in seen if test["outcome"] == "failed"]
        executed = len(passed) + len(failed)
        return {"planned": len(seen), "passed": len(passed), "failed": failed, "executed": executed,
                "not_run": len(seen) - executed, "pass_rate": len(passed) / executed if executed else None,
                "tests": seen}

    def untested(self) -> list[dict[str, Any]]:
        """The facts for a risk assessment of what was not tested (TAG52/04): each in-scope requirement with no
        planned test, or with tests that did not run or were de-scoped; on which DMCs; the worst severity those
        tests would have raised; and where the requirement was nonetheless exercised and passed."""
        rows = []
        for req in self.requirements:
            if not req["in_scope"]:
                continue
            indexes = [i for found in req["by_dmc"].values() for i in found]
            missing = [self.tests[i] for i in indexes if self.tests[i]["outcome"] in ("not_run", "descoped")]
            if indexes and not missing:
                continue
            passed_on = sorted({self.tests[i]["dmc"] for i in indexes if self.tests[i]["outcome"] == "passed"})
            rows.append({"id": req["id"], "title": req["title"], "group": req["group"], "uncovered": req["uncovered"],
                         "not_run_on": sorted({t["dmc"] for t in missing if t["outcome"] == "not_run"}),
                         "descoped_on": sorted({t["dmc"] for t in missing if t["outcome"] == "descoped"}),
                         "tests": len(missing), "severity": min((t["severity"] for t in missing), default=None),
                         "passed_on": passed_on})
        return sorted(rows, key=lambda row: (not row["uncovered"], row["severity"] or 0, row["id"]))

    def regression(self) -> dict[str, Any]:
        """The regression set's scope, coverage and metrics per DMC (Table 13.1 row 2; TAG52/04 asked for them)."""
        tests = [test for test in self.tests if test["regression"]]
        by_dmc: dict[str, Counts] = {}
        for test in tests:
            status = test["outcome"]
            if status == "failed" and test["known_defect"]:
                status = "known"
            by_dmc.setdefault(test["dmc"], Counts()).tally(status, 1)
        groups = sorted({test["group"] for test in tests})
        functional_groups = sorted({test["group"] for test in self.tests if not test["regression"]})
        return {"tests": tests, "groups": groups, "dmcs": sorted(by_dmc),
                "requirements": sorted({rid for test in tests for rid in test["ttm"]}),
                "by_dmc": {dmc: {**(_counts(c) or {}), "known_defects": c.known_defects}
                           for dmc, c in sorted(by_dmc.items())},
                "groups_without_regression": [group for group in functional_groups if group not in groups],
                "failed": [test for test in tests if test["outcome"] == "failed"],
                "not_run": [test for test in tests if test["outcome"] == "not_run"]}

    def issue_details(self, issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each issue with the tests that raised it and their failure reasons (TAG52/05: detail on open defects)."""
        by_nodeid = {test["nodeid"]: test for test in self.tests}
        rows = []
        for issue in issues:
            raised = [by_nodeid[nodeid] for nodeid in issue["tests"] if nodeid in by_nodeid]
            rows.append({**issue, "raised_by": [{"name": t["name"], "dmc": t["dmc"], "srv": t["srv"],
                                                 "ttm": t["ttm"], "reason": t["reason"].splitlines()[0]
                                                 if t["reason"] else ""} for t in raised]})
        return rows

    def open_issues(self) -> list[dict[str, Any]]:
        return self.issue_details([issue for issue in self.issues if issue["extant"]])

    def issues_of(self, dmc: str, epcl_entry: str) -> list[dict[str, Any]]:
        """Every issue raised on a DMC or its EPCL entry, whatever its status (20.29(e))."""
        return self.issue_details([issue for issue in self.issues
                                   if dmc in issue["dmcs"] or epcl_entry in issue["epcl_entries"]])

    def heatmap_payload(self) -> dict[str, Any]:
        """What the heatmap's script needs, and no more."""
        return {"tests": self.tests, "cells": self.cells,
                "requirements": [{key: row[key] for key in ("id", "title", "by_dmc")} for row in self.requirements]}


def _requirement_tally(outcomes: list[str]) -> dict[str, int]:
    """One TTM x DMC cell: ``tests`` counts the planned ones (de-scoped tests left out, as in every count)."""
    descoped = outcomes.count("descoped")
    return {"tests": len(outcomes) - descoped, "passed": outcomes.count("passed"), "failed": outcomes.count("failed"),
            "executed": outcomes.count("passed") + outcomes.count("failed"), "descoped": descoped}


def _dmc_rows(context: RunRecord, dmc_ids: list[str]) -> list[dict[str, Any]]:
    settings = context.settings
    profiles = settings.profiles
    rows: list[dict[str, Any]] = []
    for dmc_id in dmc_ids:
        dmc = profiles.dmcs.get(dmc_id) if profiles else None
        if dmc is None or profiles is None:
            rows.append({"id": dmc_id, "name": "", "installation": "", "epcl_entry": dmc_id, "link": "",
                         "payment_mode": "", "devices": []})
            continue
        devices = [{"kind": kind.value, "model_id": model.id, "manufacturer": model.manufacturer,
                    "model": model.model, "firmware": model.firmware, "han_band": model.han_band}
                   for kind, model in profiles.device_models(dmc).items()]
        rows.append({"id": dmc.id, "name": dmc.name, "installation": dmc.installation,
                     "epcl_entry": dmc.epcl_entry or dmc.id, "link": dmc.link.kind, "payment_mode": dmc.payment_mode,
                     "devices": devices})
    return rows


def build(context: RunRecord) -> EvidenceData:
    verdict, settings = context.judged(), context.settings
    relative = RelativePaths.of(settings.report_dir, settings.invocation_dir)
    plan = sorted(context.plan, key=lambda entry: entry.nodeid)
    dmc_ids = list(verdict.counts.functional_by_dmc) or sorted({entry.dmc_key for entry in plan})
    dmc_ids = [dmc for dmc in dmc_ids if dmc != NO_DMC] + ([NO_DMC] if NO_DMC in dmc_ids else [])
    counted = count(plan, context.results, dmc_ids)
    tests: list[dict[str, Any]] = []
    cell_tests: dict[tuple[str, str], list[int]] = defaultdict(list)
    req_tests: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for index, entry in enumerate(plan):
        result = context.results.get(entry.nodeid)
        if entry.descoped is not None:
            outcome = "descoped"
        else:
            outcome = result.outcome.value if result is not None else Outcome.NOT_RUN.value
        reason = relative((result.reason if result is not None else "") or "")
        if outcome == "not_run" and not reason:
            reason = "never reported (session interrupted or not reached)"
        tests.append({"i": index, "nodeid": entry.nodeid, "name": short_name(entry.nodeid), "dmc": entry.dmc_key,
                      "group": entry.functional_group, "srv": entry.srv or "", "ttm": list(entry.ttm),
                      "outcome": outcome, "reason": reason[:REASON_LIMIT], "regression": entry.regression,
                      "severity": entry.severity, "known_defect": entry.known_defect or "",
                      "error": bool(result and result.error), "crashed": bool(result and result.crashed),
                      "witnessed": entry.witnessed,
                      "descoped": entry.descoped.to_dict() if entry.descoped else None,
                      "evidence": relative.all(list(result.evidence)) if result is not None else []})
        cell_tests[(entry.functional_group, entry.dmc_key)].append(index)
        for rid in entry.ttm:
            req_tests[rid][entry.dmc_key].append(index)
    groups = sorted({group for group, _ in counted.by_group_and_dmc})
    cells: dict[str, dict[str, Any]] = {}
    for (group, dmc), c in counted.by_group_and_dmc.items():
        summary = _counts(c)
        if summary is not None:
            cells[f"{group}\t{dmc}"] = {**summary, "tests": cell_tests[(group, dmc)]}
    requirements = []
    uncovered = set(verdict.traceability.uncovered)  # no planned test, or de-scoped ones only
    ttm = settings.ttm
    if ttm is not None:
        for rid, req in ttm.requirements.items():
            by_dmc = {dmc: indexes for dmc, indexes in req_tests.get(rid, {}).items()}
            tally = {dmc: _requirement_tally([tests[i]["outcome"] for i in indexes])
                     for dmc, indexes in by_dmc.items()}
            requirements.append({"id": rid, "title": req.title, "group": req.functional_group,
                                 "section": req.section, "clause": req.clause,
                                 "in_scope": req.in_scope(verdict.stage), "by_dmc": by_dmc, "tally": tally,
                                 "uncovered": rid in uncovered})
    assessments = {dmc: replace(a, rule=relative(a.rule), rule_source=relative(a.rule_source),
                                reasons=relative.all(a.reasons), basis=relative.all(a.basis))
                   for dmc, a in (verdict.dmct or {}).items()}  # computed once, with the verdict (20.26-20.30)
    meta = {
        "stage": verdict.stage, "release": verdict.release or "", "sut_version": verdict.sut_version or "",
        "seed": settings.seed, "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "verdict": "met" if verdict.met else "not_met", "pending": verdict.pending,
        "criteria": [{**c.as_dict(), "detail": relative(c.as_dict()["detail"])} for c in verdict.criteria],
        "notes": relative.all(list(verdict.notes)),
        "ttm_source": relative(str(ttm.source)) if ttm else "",
        "criteria_source": relative(str(settings.criteria.source or "")),
        "thresholds": verdict.thresholds, "thresholds_source": relative(verdict.thresholds_source),
        "extant": verdict.extant, "severities": list(ak.SEVERITIES), "by_provider": verdict.by_provider,
        "functional": _counts(counted.functional) or {}, "regression": _counts(counted.regression) or {},
        "by_dmc": {dmc: _counts(c) or {} for dmc, c in counted.functional_by_dmc.items()},
        "interrupted": verdict.interrupted, "traceability": verdict.traceability.as_dict(),
        "pass_threshold": settings.criteria.pass_rate_for(verdict.stage)[0] or 1.0,
    }
    issues = [{**issue.to_dict(), "extant": issue.counts_against(verdict.stage), "open": issue.is_open,
               "counts": issue.counts_against(verdict.stage)}
              for issue in sorted(context.issues, key=lambda i: (i.severity, i.id))]
    return EvidenceData(meta=meta, dmcs=_dmc_rows(context, dmc_ids), tests=tests, groups=groups, cells=cells,
                        requirements=requirements, issues=issues, assessments=assessments,
                        routes={dmc: list(routes) for dmc, routes in context.dmct_routes.items()})
