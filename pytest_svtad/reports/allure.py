"""Allure results that carry the SVTAD picture: labels and requirement links on every result, the environment,
categories by Testing Issue severity, and one "SVTAD exit criteria" result whose status is the verdict.

allure-pytest reads labels only from markers (LIBRARY-NOTES.md), so ``label_item`` adds them where items exist (on
xdist workers); everything written once (environment, categories, the verdict result) is written by the
controller after the session. Active only with ``--alluredir``.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_svtad.model import PlanEntry

if TYPE_CHECKING:
    from pytest_svtad.options import Settings
    from pytest_svtad.reports.publish import ReportContext

LINK_TYPE = "requirement"  # map to a requirement tool with --allure-link-pattern requirement:https://.../{}
NODEID_LABEL = "svtadNodeId"
SEVERITY_NAMES = {1: "blocker", 2: "critical", 3: "normal", 4: "minor", 5: "trivial"}  # Allure's severity label


def results_dir(config: pytest.Config) -> Path | None:
    value = getattr(config.option, "allure_report_dir", None)
    return Path(value) if value else None


def label_item(item: pytest.Item, entry: PlanEntry, settings: Settings) -> None:
    if results_dir(item.config) is None:
        return
    from allure_pytest.utils import format_allure_link

    label = pytest.mark.allure_label
    marks = [label(settings.stage, label_type="parentSuite"), label(entry.dmc_key, label_type="suite"),
             label(entry.functional_group, label_type="subSuite"), label(entry.functional_group, label_type="feature"),
             label(entry.dmc_key, label_type="tag"), label(SEVERITY_NAMES[entry.severity], label_type="severity"),
             label(entry.nodeid, label_type=NODEID_LABEL)]
    if settings.release:
        marks.append(label(settings.release, label_type="epic"))
    if entry.srv:
        marks.append(label(entry.srv, label_type="story"))
    if entry.regression:
        marks.append(label("regression", label_type="tag"))
    for rid in entry.ttm:
        marks.append(pytest.mark.allure_link(format_allure_link(item.config, rid, LINK_TYPE), link_type=LINK_TYPE,
                                             name=rid))
    for mark in marks:
        item.add_marker(mark)


def attach_text(config: pytest.Config, name: str, text: str) -> None:
    """Attach text to the running test's Allure result (the transcript); nothing without --alluredir."""
    if results_dir(config) is None:
        return
    import allure

    allure.attach(text, name=name, attachment_type=allure.attachment_type.TEXT)


def categories() -> list[dict[str, Any]]:
    """Allure assigns a failure to the first category that matches: the specific ones come first."""
    failing = ["failed", "broken"]
    rows: list[dict[str, Any]] = [
        {"name": "Known defects", "matchedStatuses": [*failing, "skipped"], "messageRegex": r"(?s).*\[known defect .*"},
        {"name": "Device not responding (E20/E21)", "matchedStatuses": failing,
         "messageRegex": r"(?s).*(\bE2[01]\b|no response from).*"},
        {"name": "Broken setups (errors outside the test body)", "matchedStatuses": ["broken"]},
    ]
    rows += [{"name": f"Testing Issue severity {severity}", "matchedStatuses": failing,
              "messageRegex": rf"(?s)\[SVTAD S{severity}\].*"} for severity in SEVERITY_NAMES]
    return rows


def _environment(context: ReportContext) -> str:
    settings = context.settings
    lines = {"SVTAD.stage": settings.stage, "SVTAD.release": settings.release or "",
             "SVTAD.sut_version": settings.sut_version or "not stated", "SVTAD.seed": str(settings.seed),
             "SVTAD.verdict": "met" if context.verdict.met else "not met"}
    if settings.profiles is not None:
        for dmc in settings.selected_dmcs:
            models = settings.profiles.device_models(dmc)
            lines[f"{dmc.id}"] = "; ".join(f"{kind.value} {model.manufacturer} {model.model} fw {model.firmware}"
                                           for kind, model in models.items()) + f" (link {dmc.link.kind})"
    return "".join(f"{key}={_property_value(value)}\n" for key, value in lines.items())


def _property_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", " ").replace("\r", " ")


def _mark_failures(folder: Path, context: ReportContext, started_ms: int) -> None:
    """Prefix each failed result's message with its Testing Issue severity (and known defect), so the categories
    can sort failures the way the SVTAD counts them. Only this session's results are touched."""
    plan = {entry.nodeid: entry for entry in context.plan}
    for path in folder.glob("*-result.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if data.get("start", 0) < started_ms or data.get("status") not in ("failed", "broken", "skipped"):
            continue
        nodeid = next((label.get("value") for label in data.get("labels", []) if label.get("name") == NODEID_LABEL),
                      None)
        entry = plan.get(nodeid or "")
        if entry is None or (data["status"] == "skipped" and not entry.known_defect):
            continue
        details = data.setdefault("statusDetails", {})
        message = details.get("message") or ""
        if message.startswith("[SVTAD S"):
            continue
        prefix = f"[SVTAD S{entry.severity}] " + (f"[known defect {entry.known_defect}] " if entry.known_defect else "")
        details["message"] = prefix + message
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)


def _verdict_result(context: ReportContext) -> dict[str, Any]:
    verdict, settings = context.verdict, context.settings
    stamp = int(time.time() * 1000)
    status_of = {"met": "passed", "not_met": "failed", "manual": "skipped"}
    steps = [{"name": f"{c.id} ({c.clause})", "status": status_of[c.status], "stage": "finished",
              "statusDetails": {"message": c.detail}, "start": stamp, "stop": stamp} for c in verdict.criteria]
    failing = [c.id for c in verdict.criteria if c.status == "not_met"]
    message = ("exit criteria met" if verdict.met else f"exit criteria NOT met: {', '.join(failing)}")
    if verdict.pending:
        message += f"; pending human approval: {', '.join(verdict.pending)}"
    labels = [{"name": "parentSuite", "value": settings.stage}, {"name": "suite", "value": "SVTAD verdict"},
              {"name": "tag", "value": "svtad-verdict"}, {"name": "severity", "value": "blocker"}]
    if settings.release:
        labels.append({"name": "epic", "value": settings.release})
    history = hashlib.md5(f"svtad-exit-criteria:{settings.stage}:{settings.release}".encode()).hexdigest()
    description = "\n".join([f"SVTAD exit criteria for {settings.stage} {settings.release or ''}".rstrip(),
                             f"SUT version: {verdict.sut_version or 'not stated'}", *verdict.notes])
    return {"uuid": str(uuid.uuid4()), "historyId": history, "testCaseId": history, "name": "SVTAD exit criteria",
            "fullName": f"svtad.exit_criteria#{settings.stage}", "status": "passed" if verdict.met else "failed",
            "statusDetails": {"message": message}, "stage": "finished", "description": description,
            "steps": steps, "labels": labels, "links": [], "start": stamp, "stop": stamp}


def write_results(context: ReportContext, started: float) -> list[str]:
    folder = results_dir(context.config)
    if folder is None:
        return []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _mark_failures(folder, context, int(started * 1000))
        (folder / "environment.properties").write_text(_environment(context), encoding="utf-8")
        (folder / "categories.json").write_text(json.dumps(categories(), indent=2), encoding="utf-8")
        result = _verdict_result(context)
        (folder / f"{result['uuid']}-result.json").write_text(json.dumps(result, ensure_ascii=False),
                                                              encoding="utf-8")
    except OSError as exc:
        return [f"Allure results not completed in {folder}: {exc.strerror or exc}"]
    return []
