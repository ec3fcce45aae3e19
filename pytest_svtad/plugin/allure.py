"""Allure results that carry the SVTAD picture: labels and requirement links on every result, the environment,
categories by Testing Issue severity, and one "SVTAD exit criteria" result whose status is the verdict.

allure-pytest reads labels only from markers, so ``label_item`` adds them where items exist (on
xdist workers); everything written once (environment, executor, categories, the verdict result, and a result for
each planned test that never reported) is written by the controller after the session. Active only with
``--alluredir``.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_svtad.model import PlanEntry, Result

if TYPE_CHECKING:
    from pytest_svtad.plugin.options import Settings
    from pytest_svtad.plugin.publish import ReportContext

LINK_TYPE = "requirement"  # map to a requirement tool with --allure-link-pattern requirement:https://.../{}
NODEID_LABEL = "svtadNodeId"
VERDICT_NAME = "SVTAD exit criteria"
SEVERITY_NAMES = {1: "blocker", 2: "critical", 3: "normal", 4: "minor", 5: "trivial"}  # Allure's severity label
# Message prefixes the categories match on. The regular expressions below must mean the same to Allure 2 (Java,
# whole-message match) and Allure 3 (JavaScript, search; no inline flags): hence [\s\S]* rather than (?s).*
SETUP_ERROR = "[setup error]"
CRASHED = "[worker crashed]"
NOT_REPORTED = "[not run]"


def results_dir(config: pytest.Config) -> Path | None:
    value = getattr(config.option, "allure_report_dir", None)
    return Path(value) if value else None


def labels_for(entry: PlanEntry, settings: Settings) -> list[tuple[str, str]]:
    """(label type, value) pairs of one planned test: where it sits in Allure's trees and what it is tagged with."""
    labels = [("parentSuite", settings.stage), ("suite", entry.dmc_key), ("subSuite", entry.functional_group),
              ("feature", entry.functional_group), ("tag", entry.dmc_key),
              ("severity", SEVERITY_NAMES[entry.severity]), (NODEID_LABEL, entry.nodeid)]
    if settings.release:
        labels.append(("epic", settings.release))
    if entry.srv:
        labels.append(("story", entry.srv))
    if entry.regression:
        labels.append(("tag", "regression"))
    return labels


def requirement_link(rid: str, url: str = "") -> pytest.MarkDecorator:
    """The ``allure_link`` mark of one TTM requirement: to the TTM's own URL for it when it gives one, else made by
    allure-pytest itself through Allure's plugin manager (as ``@allure.link`` makes it), the URL following
    ``--allure-link-pattern requirement:...``."""
    from allure_commons import plugin_manager

    if url:
        return pytest.mark.allure_link(url, link_type=LINK_TYPE, name=rid)
    marks = [mark for mark in plugin_manager.hook.decorate_as_link(url=rid, link_type=LINK_TYPE, name=rid) if mark]
    return marks[0] if marks else pytest.mark.allure_link(rid, link_type=LINK_TYPE, name=rid)


def label_item(item: pytest.Item, entry: PlanEntry, settings: Settings) -> None:
    if results_dir(item.config) is None:
        return
    bare = {mark.name for mark in item.iter_markers() if not mark.args and not mark.kwargs}
    for label_type, value in labels_for(entry, settings):
        if label_type == "tag" and value in bare:
            continue  # allure-pytest already tags a test with each of its marks that has no arguments
        item.add_marker(pytest.mark.allure_label(value, label_type=label_type))
    for rid in entry.ttm:
        item.add_marker(requirement_link(rid, requirement_url(settings, rid)))


class _Shown:
    """A parameter value Allure shows as the given text (it shows a value as its ``repr``)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def show_dmc_parameter(config: pytest.Config, dmc_id: str) -> None:
    """Name the running test's ``dmc`` parameter by its DMC id, as its node id does (``test_x[DMC-001]``):
    allure-pytest would show the whole ``DmcProfile(...)``. Set during setup, before allure-pytest adds the
    parameters it has not been given; nothing without --alluredir."""
    if results_dir(config) is None:
        return
    import allure

    allure.dynamic.parameter("dmc", _Shown(dmc_id))


def attach_text(config: pytest.Config, name: str, text: str) -> None:
    """Attach text to the running test's Allure result (the smets1 transcript); nothing without --alluredir.

    Called from a fixture's teardown, the attachment lands in that fixture's tear-down step of the test."""
    if results_dir(config) is None:
        return
    import allure

    allure.attach(text, name=name, attachment_type=allure.attachment_type.TEXT)


def categories() -> list[dict[str, Any]]:
    """Allure assigns a failure to the first category that matches: the specific ones come first."""
    failing = ["failed", "broken"]
    issue = r"\[SVTAD S[1-5]\] "
    rows: list[dict[str, Any]] = [
        {"name": "SVTAD exit criteria not met", "matchedStatuses": ["failed"],
         "messageRegex": r"exit criteria NOT met[\s\S]*"},
        {"name": "Known defects", "matchedStatuses": [*failing, "skipped"],
         "messageRegex": issue + r"\[known defect [\s\S]*"},
        {"name": "Device not responding (E20/E21)", "matchedStatuses": failing,
         "messageRegex": r"[\s\S]*(\bE2[01]\b|no response from)[\s\S]*"},
        {"name": "Broken setups (errors outside the test body, crashed workers)", "matchedStatuses": failing,
         "messageRegex": issue + r"(\[setup error\]|\[worker crashed\])[\s\S]*"},
    ]
    rows += [{"name": f"Testing Issue severity {severity}", "matchedStatuses": failing,
              "messageRegex": rf"\[SVTAD S{severity}\][\s\S]*"} for severity in SEVERITY_NAMES]
    rows.append({"name": "Planned, never reported (interrupted session)", "matchedStatuses": ["skipped"],
                 "messageRegex": r"\[not run\][\s\S]*"})
    return rows


def _property(text: str, key: bool = False) -> str:
    """One key or value of a Java properties file, read the same by Allure 2 and 3: ASCII with \\u escapes."""
    out = []
    for char in text.replace("\r", " ").replace("\n", " "):
        if char == "\\":
            out.append("\\\\")
        elif key and char in " :=#!":
            out.append("\\" + char)
        elif ord(char) > 126 or ord(char) < 32:
            out.append(f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else "?")
        else:
            out.append(char)
    return "".join(out)


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
    return "".join(f"{_property(key, key=True)}={_property(value)}\n" for key, value in lines.items())


def _headline(context: ReportContext) -> str:
    settings, verdict = context.settings, context.verdict
    state = "EXIT CRITERIA MET" if verdict.met else "EXIT CRITERIA NOT MET"
    return f"SVTAD {settings.stage} {settings.release or ''}".rstrip() + f": {state}"


def _executor(context: ReportContext) -> dict[str, Any]:
    """Allure shows the executor's report and build names on the report's first page: they carry the verdict."""
    headline = _headline(context)
    return {"name": "pytest-svtad", "type": "pytest", "reportName": headline, "buildName": headline}


def _prefix(entry: PlanEntry, result: Result | None) -> str:
    prefix = f"[SVTAD S{entry.severity}] "
    if entry.known_defect:
        prefix += f"[known defect {entry.known_defect}] "
    if result is not None and result.crashed:
        prefix += f"{CRASHED} "
    elif result is not None and result.error:
        prefix += f"{SETUP_ERROR} "
    return prefix


def _rewrite(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def _mark_failures(folder: Path, context: ReportContext, started: float) -> set[str]:
    """Prefix each failed result's message with its Testing Issue severity (and known defect, setup error), so the
    categories sort failures the way the SVTAD counts them. Only results begun in this session are touched;
    the planned node ids they belong to come back."""
    plan = {entry.nodeid: entry for entry in context.plan}
    seen: set[str] = set()
    for path in folder.glob("*-result.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or data.get("start", 0) < started * 1000:
            continue
        nodeid = next((label.get("value") for label in data.get("labels", []) if label.get("name") == NODEID_LABEL),
                      None)
        entry = plan.get(nodeid or "")
        if entry is None:
            continue
        seen.add(entry.nodeid)
        status = data.get("status")
        if status not in ("failed", "broken", "skipped") or (status == "skipped" and not entry.known_defect):
            continue
        details = data.setdefault("statusDetails", {})
        message = details.get("message") or ""
        if not message.startswith("[SVTAD S"):
            details["message"] = _prefix(entry, context.results.get(entry.nodeid)) + message
            _rewrite(path, data)
    return seen


def requirement_url(settings: Settings, rid: str) -> str:
    requirement = settings.ttm.requirements.get(rid) if settings.ttm is not None else None
    return requirement.url if requirement is not None else ""


def _link(rid: str, settings: Settings) -> dict[str, str]:
    return {"type": LINK_TYPE, "url": str(requirement_link(rid, requirement_url(settings, rid)).args[0]), "name": rid}


def _unreported_result(context: ReportContext, entry: PlanEntry, result: Result | None) -> dict[str, Any]:
    """A planned test allure-pytest never wrote (its worker crashed, or the session stopped before it): without
    this result the Allure report would count fewer tests than the plan."""
    stamp = int(time.time() * 1000)
    if result is not None and result.crashed:
        status, message = "broken", _prefix(entry, result) + (result.reason or "worker crashed")
    else:
        reason = (result.reason if result is not None else "") or "never reported: session interrupted or not reached"
        status, message = "skipped", f"{NOT_REPORTED} {reason}"
    history = hashlib.md5(entry.nodeid.encode("utf-8")).hexdigest()
    return {"uuid": str(uuid.uuid4()), "historyId": history, "testCaseId": history,
            "name": entry.nodeid.rpartition("::")[2], "fullName": entry.nodeid, "status": status,
            "statusDetails": {"message": message}, "stage": "finished",
            "labels": [{"name": name, "value": value} for name, value in labels_for(entry, context.settings)],
            "links": [_link(rid, context.settings) for rid in entry.ttm], "start": stamp, "stop": stamp}


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
    description = "\n".join([_headline(context), f"SUT version: {verdict.sut_version or 'not stated'}",
                             *verdict.notes])
    return {"uuid": str(uuid.uuid4()), "historyId": history, "testCaseId": history, "name": VERDICT_NAME,
            "fullName": f"svtad.exit_criteria#{settings.stage}", "status": "passed" if verdict.met else "failed",
            "statusDetails": {"message": message}, "stage": "finished", "description": description,
            "steps": steps, "labels": labels, "links": [], "start": stamp, "stop": stamp}


def _write_json(folder: Path, name: str, data: Any) -> None:
    (folder / name).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def write_results(context: ReportContext, started: float) -> list[str]:
    folder = results_dir(context.config)
    if folder is None:
        return []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        seen = _mark_failures(folder, context, started)
        session = context.session_nodeids
        for entry in context.plan:
            if entry.nodeid not in seen and (session is None or entry.nodeid in session):
                result = _unreported_result(context, entry, context.results.get(entry.nodeid))
                _write_json(folder, f"{result['uuid']}-result.json", result)
        (folder / "environment.properties").write_text(_environment(context), encoding="ascii")
        _write_json(folder, "executor.json", _executor(context))
        _write_json(folder, "categories.json", categories())
        result = _verdict_result(context)
        _write_json(folder, f"{result['uuid']}-result.json", result)
    except OSError as exc:
        return [f"Allure results not completed in {folder}: {exc.strerror or exc}"]
    except Exception as exc:  # noqa: BLE001 - the Allure extras must never cost the verdict or the results
        return [f"Allure results not completed in {folder}: {type(exc).__name__}: {exc}"]
    return []
