"""Controller side: merge each test's reports into one Result, keyed against the plan (SVTAD outcome mapping).

Runs in the only process without xdist, and in the controller under xdist, which sees every report but never
collects: the plan reaches it from the workers (see ``XdistHooks`` in ``pytest_svtad.plugin``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import pytest

from pytest_svtad.model import Outcome, PlanEntry, Result, result_line

# user_properties names: the plan's tags ride on every report too (junitxml shows them; a plan-less controller
# can still attribute a result).
PROP_TAGS = "svtad"
PROP_EVIDENCE = "svtad_evidence"
PROP_EVIDENCE_ERROR = "svtad_evidence_error"  # evidence the worker could not store: "<path>: <reason>"
MAX_REASON = 4000


def plain_nodeid(nodeid: str) -> str:
    """Under ``--dist loadgroup`` xdist appends ``@<group>`` to node ids: key plan and results by the plain id.

    An ``@`` inside a parameter id is followed by ``]``, and one in a path by ``/`` or ``::``, so only the suffix
    xdist added is removed."""
    head, sep, tail = nodeid.rpartition("@")
    if sep and head and not any(mark in tail for mark in ("::", "[", "]", "/")):
        return head
    return nodeid


def _reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if longrepr is None:
        return ""
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # skip: (path, lineno, message)
        return str(longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(getattr(longrepr, "reprcrash", None), "message", None)
    text = crash or str(longrepr)
    return text[:MAX_REASON]


def merge_report(result: Result, report: pytest.TestReport) -> None:
    """Fold one phase report into the test's result (README, "How the verdict is computed")."""
    result.duration += float(getattr(report, "duration", 0.0) or 0.0)
    for name, value in report.user_properties:
        if name == PROP_EVIDENCE and value not in result.evidence:
            result.evidence.append(str(value))
    was_xfail = hasattr(report, "wasxfail")
    if report.when not in ("setup", "call", "teardown"):  # xdist's crash report ("???")
        result.outcome, result.error, result.crashed = Outcome.FAILED, True, True
        result.reason = _reason(report) or "worker crashed"
        return
    if report.failed:
        if result.outcome is not Outcome.FAILED or not result.reason:
            result.reason = _reason(report)
        result.outcome = Outcome.FAILED
        result.error = result.error or report.when != "call"
    elif report.skipped:
        if was_xfail:  # xfailed counts as failed (a known defect when it carries known_defect)
            result.outcome, result.xfailed = Outcome.FAILED, True
            result.reason = f"xfail: {report.wasxfail}" if report.wasxfail else "xfail"
        elif result.outcome is not Outcome.FAILED:
            result.outcome, result.reason = Outcome.NOT_RUN, f"skipped: {_reason(report)}"
    elif report.when == "call" and result.outcome is not Outcome.FAILED:
        result.outcome = Outcome.PASSED  # xpassed (non-strict) counts as passed


class ResultsLog:
    """``results.jsonl``: one line per planned (test, DMC), written as each test finishes, so a killed session
    keeps what it ran. Lines for tests that never reported are added at the end."""

    def __init__(self, path: Path, common: dict[str, Any]) -> None:
        self.path = path
        self.common = common
        self.written: set[str] = set()
        self._line_of: dict[int, str] = {}  # hash of each line written -> its node id, to check the file at the end
        self.error: str | None = None
        self._handle: TextIO | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = path.open("w", encoding="utf-8")
        except OSError as exc:
            self.error = f"cannot write {path}: {exc.strerror or exc}"

    def write(self, entry: PlanEntry, result: Result) -> None:
        if self._handle is None or entry.nodeid in self.written:
            return
        line = result_line(entry, result, self.common)
        try:
            self._handle.write(line + "\n")
            self._handle.flush()
        except (OSError, ValueError) as exc:
            self.error = f"cannot write {self.path}: {exc}"
            return
        self.written.add(entry.nodeid)
        self._line_of[hash(line)] = entry.nodeid

    def close(self) -> None:
        if self._handle is not None:
            try:
                self._handle.close()
            except OSError as exc:
                self.error = f"cannot write {self.path}: {exc}"
            self._handle = None

    def on_disk(self) -> frozenset[str]:
        """The node ids whose line, exactly as this session wrote it, is in the file now (after ``close``): what
        another writer replaced or a full disk dropped does not count as stored."""
        found: set[str] = set()
        try:
            with self.path.open(encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    nodeid = self._line_of.get(hash(line.rstrip("\n")))
                    if nodeid is not None:
                        found.add(nodeid)
        except OSError as exc:
            if self.written:
                self.error = self.error or f"cannot read back {self.path}: {exc.strerror or exc}"
        return frozenset(found)


class ResultCollector:
    """Reports in, one Result per planned test out."""

    def __init__(self) -> None:
        self.plan: dict[str, PlanEntry] = {}
        self.results: dict[str, Result] = {}
        self.log: ResultsLog | None = None
        self.sinks: list[Callable[[PlanEntry, Result], None]] = []  # e.g. the store, as each test finishes
        self.delivered: set[str] = set()
        self.plan_loader: Callable[[], dict[str, PlanEntry]] | None = None
        self.evidence_errors: dict[str, list[str]] = {}  # node id -> evidence it could not store, and why

    def entry_for(self, nodeid: str, report: pytest.TestReport | None = None) -> PlanEntry:
        entry = self.plan.get(nodeid)
        if entry is None and self.plan_loader is not None:
            self.plan.update(self.plan_loader())
            entry = self.plan.get(nodeid)
        if entry is None:  # plan lost (e.g. worker died mid-write): attribute from the report's own tags
            tags = dict(report.user_properties).get(PROP_TAGS) if report is not None else None
            entry = PlanEntry.from_dict({**tags, "nodeid": nodeid}) if isinstance(tags, dict) else PlanEntry(nodeid)
            self.plan[nodeid] = entry
        return entry

    def knows(self, nodeid: str) -> bool:
        """Whether the test is in the plan, reading the workers' plan files once more when it is not yet."""
        nodeid = plain_nodeid(nodeid)
        if nodeid not in self.plan and self.plan_loader is not None:
            self.plan.update(self.plan_loader())
            return False  # the plan grew (or the test is not planned): worth telling the sinks
        return True

    def add_report(self, report: pytest.TestReport) -> None:
        nodeid = plain_nodeid(report.nodeid)
        result = self.results.get(nodeid)
        if result is None:  # the first of the test's three reports (not setdefault: no Result built per report)
            result = self.results[nodeid] = Result(nodeid)
        merge_report(result, report)
        for name, value in report.user_properties:
            if name == PROP_EVIDENCE_ERROR:
                problems = self.evidence_errors.setdefault(nodeid, [])
                if str(value) not in problems:
                    problems.append(str(value))
        if report.when not in ("setup", "call"):  # teardown, or xdist's crash report: the test is over
            self._deliver(self.entry_for(nodeid, report), result)

    def _deliver(self, entry: PlanEntry, result: Result) -> None:
        if entry.nodeid in self.delivered:
            return
        self.delivered.add(entry.nodeid)
        if self.log is not None:
            self.log.write(entry, result)
        for sink in self.sinks:
            sink(entry, result)

    def finish(self, interrupted: bool) -> None:
        """Every planned test gets a result; the ones that never reported are not run."""
        if self.plan_loader is not None:
            self.plan.update(self.plan_loader())
        why = "never reported: session interrupted" if interrupted else \
            "never reported (its worker stopped, or the session ended before it ran)"
        for nodeid, entry in self.plan.items():
            result = self.results.get(nodeid)
            if result is None:
                result = self.results[nodeid] = Result(nodeid, Outcome.NOT_RUN, reason=why)
            elif result.outcome is Outcome.NOT_RUN and not result.reason:
                result.reason = why  # set up but interrupted before its call phase
            self._deliver(entry, result)
        if self.log is not None:
            self.log.close()
