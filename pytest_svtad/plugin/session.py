"""One pytest session's SVTAD state: the plan (built where collection happens), the collector, and the closing
work (issues, reports, verdict) done once, where every report is seen."""

from __future__ import annotations

import gc
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_svtad.model import PlanEntry
from pytest_svtad.plugin import publish
from pytest_svtad.plugin.collector import PROP_TAGS, ResultCollector, ResultsLog, plain_nodeid
from pytest_svtad.plugin.link_needs import NotApplicable
from pytest_svtad.plugin.markers import MARKERS, MarkerError, Tags, read_tags
from pytest_svtad.plugin.options import Settings
from pytest_svtad.plugin.report_folder import ReportFolderLock
from pytest_svtad.plugin.signals import SigtermAsInterrupt
from pytest_svtad.rules.appendix_ak import DMCT_STAGES, WORK_OFF_STAGES
from pytest_svtad.smets1.profiles import DeviceKind, DmcProfile
from pytest_svtad.wording import counted

if TYPE_CHECKING:
    # Imported where they are used, on the controller (or the only process): an xdist worker collects and runs
    # tests and never closes out, so it does not pay for the store (SQLAlchemy), the close-out and its reports,
    # the issue rules or the verdict (issue 18 item 5; tests/test_xdist_workers.py checks a worker's modules).
    from pytest_svtad.closeout import Sink
    from pytest_svtad.record import RunRecord
    from pytest_svtad.rules.verdict import Outputs, Verdict
    from pytest_svtad.store.sink import StoreSink

TAGS_KEY = pytest.StashKey[Tags]()


def plan_entry(item: pytest.Item, tags: Tags) -> PlanEntry:
    callspec = getattr(item, "callspec", None)
    dmc = callspec.params.get("dmc") if callspec is not None else None
    return PlanEntry(
        nodeid=plain_nodeid(item.nodeid),
        dmc=dmc.id if isinstance(dmc, DmcProfile) else None,
        ttm=tags.ttm,
        srv=tags.srv,
        functional_group=tags.functional_group or "Ungrouped",
        regression=tags.regression,
        severity=tags.severity,
        known_defect=tags.known_defect,
        descoped=tags.descoped,
        witnessed=tags.witnessed,
        cause=tags.cause,
        provider=tags.provider,
    )


def freeze_collected() -> None:
    """Keep the collected items out of the garbage collector's full passes while the tests run (as configure's
    ``gc.freeze()`` does for the plugin's start-up objects; the session's last clean-up, ``gc.unfreeze()``, releases
    both). The items live until the session ends anyway, and every full collection during the run walked all of
    them again: at 20,000 tests ~0.45 CPU s, growing with the number of tests (docs/BENCHMARKS.md, issue 18 item 1;
    -n 0 at 60 DMCs 7.6 -> 7.0 CPU s, and every xdist worker gains the same, issue 18 item 5). The young generations
    are collected first (a small pass: collection keeps them collected), so the cycles collection just dropped are
    not frozen with the items."""
    gc.collect(1)
    gc.freeze()


class SvtadSession:
    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.is_worker = hasattr(config, "workerinput")
        self.collector = ResultCollector()
        self.not_applicable = 0
        # (test, DMC) pairs whose DMC's link lacks a power the test needs: not planned, but said in the notes
        self.link_not_applicable: dict[str, NotApplicable] = {}
        self.verdict: Verdict | None = None
        self.plan_dir: Path | None = None  # under xdist: where workers leave their plans for the controller
        self._definition_tags: dict[str, Tags] = {}  # read once per test function, reused for its items
        self._tags_memo: dict[Any, Tags] = {}  # the tags of each set of markers read (markers.read_tags)
        self.store_sink: StoreSink | None = None
        self._dmc_params: dict[tuple[frozenset[DeviceKind], frozenset[DeviceKind]], list[Any]] = {}
        self.outputs: Outputs | None = None  # what the evidence outputs wrote: made at close-out (run_record)
        self.started = time.time()
        self.notes: list[str] = []  # said in the verdict's notes at the end
        self.real_link_dmcs: frozenset[str] = frozenset()  # under xdist: these DMCs' tests run one worker each
        self.report_lock: ReportFolderLock | None = None  # held by the controller for the whole session
        self.sigterm: SigtermAsInterrupt | None = None  # the controller's SIGTERM handler, restored at unconfigure

    # -- worker side (or the only process): collection ------------------------------------------------------

    def definition_tags(self, definition: pytest.Function) -> Tags:
        try:
            tags = read_tags(definition, self.settings.catalogue, self.settings.ttm, self._tags_memo)
        except MarkerError as exc:
            raise pytest.Collector.CollectError(f"{definition.nodeid}: {exc}") from None
        providers = self.settings.criteria.providers
        if tags.provider is not None and tags.provider not in providers:
            raise pytest.Collector.CollectError(
                f"{definition.nodeid}: DCC Service Provider '{tags.provider}' is not in the criteria file's "
                f"providers ({', '.join(providers)})")
        self._definition_tags[definition.nodeid] = tags
        return tags

    def item_tags(self, item: pytest.Item) -> Tags:
        """The tags read for the item's function, unless the item's own parameter carries svtad marks."""
        callspec = getattr(item, "callspec", None)
        own_marks = callspec is not None and any(mark.name in MARKERS for mark in callspec.marks)
        parent = item.parent
        key = f"{parent.nodeid}::{getattr(item, 'originalname', item.name)}" if parent is not None else ""
        tags = None if own_marks else self._definition_tags.get(key)
        if tags is None:
            tags = read_tags(item, self.settings.catalogue, self.settings.ttm, self._tags_memo)
        return tags

    def dmc_params(self, tags: Tags) -> list[Any]:
        """``pytest.param`` per applicable selected DMC, with its ``xdist_group``; built once per kind set."""
        key = (tags.requires, tags.srv_devices)
        params = self._dmc_params.get(key)
        if params is None:
            params = self._dmc_params[key] = [
                pytest.param(dmc, id=dmc.id, marks=pytest.mark.xdist_group(dmc.id))
                for dmc in self.settings.selected_dmcs if tags.applicable_to(dmc)]
        return params

    def modify_items(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        """Drop what is not planned here (not applicable to any DMC, or not in this stage) and tag the rest."""
        keep, drop = [], []
        for item in items:
            tags = self.item_tags(item)
            callspec = getattr(item, "callspec", None)
            uses_dmc = "dmc" in getattr(item, "fixturenames", ())
            if uses_dmc and not (callspec is not None and isinstance(callspec.params.get("dmc"), DmcProfile)):
                drop.append(item)  # applicable to none of the selected DMCs: not generated, not planned
                continue
            if not tags.planned_in(self.settings.stage):
                drop.append(item)
                continue
            item.stash[TAGS_KEY] = tags
            if tags.descoped is not None:
                item.add_marker(pytest.mark.skip(
                    reason=f"de-scoped (12.6(a)): {tags.descoped.reason} [approval {tags.descoped.approval}]"))
            keep.append(item)
        if drop:
            self.not_applicable += len(drop)
            config.hook.pytest_deselected(items=drop)
            items[:] = keep

    def build_plan(self, items: list[pytest.Item]) -> dict[str, PlanEntry]:
        plan: dict[str, PlanEntry] = {}
        shown: dict[tuple[Tags, str | None], dict[str, Any]] = {}  # one tags dict per (tags, DMC), shared, read-only
        for item in items:
            tags = item.stash.get(TAGS_KEY, None) or self.item_tags(item)
            entry = plan_entry(item, tags)
            plan[entry.nodeid] = entry
            properties = shown.get((tags, entry.dmc))
            if properties is None:
                properties = shown[(tags, entry.dmc)] = {k: v for k, v in entry.to_dict().items() if k != "nodeid"}
            item.user_properties.append((PROP_TAGS, properties))
            publish.label_item(item, entry, self.settings)
        freeze_collected()
        return plan

    # -- controller side (or the only process): closing -------------------------------------------------------

    def open_sinks(self) -> None:
        """Where results go as each test finishes: results.jsonl and the store (nothing for --collect-only)."""
        s = self.settings
        if self.config.option.collectonly:
            return
        if s.report_dir is not None:
            self.collector.log = ResultsLog(s.report_dir / "results.jsonl", {
                "stage": s.stage, "release": s.release, "sut_version": s.sut_version, "seed": s.seed,
            })
        if s.store is not None:
            from pytest_svtad.store.runs import criteria_as_json, ttm_as_json
            from pytest_svtad.store.sink import StoreSink, host_name

            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            fallback_dir = s.report_dir or Path(self.config.rootpath) / ".svtad"
            firmware = {dmc.id: s.profiles.firmware(dmc) for dmc in s.selected_dmcs} if s.profiles else {}
            self.store_sink = StoreSink(s.store, fallback_dir / f"store-fallback-{stamp}-{os.getpid()}.jsonl", {
                "campaign": s.campaign, "stage": s.stage, "release": s.release, "sut_version": s.sut_version,
                "seed": s.seed, "host": host_name(), "firmware": firmware,
                "ttm": ttm_as_json(s.ttm), "criteria": criteria_as_json(s.criteria),  # for svtad verdict --campaign
            }, enabled=self.wants_verdict, plan_source=lambda: self.collector.plan)
            self.collector.sinks.append(self.store_sink.add)
            self.store_sink.update()  # an SVTAD session by its options: the run exists from its start

    def plan_grew(self) -> None:
        """The plan is known, or knows more: the store records it (and the run, once it is an SVTAD session)."""
        if self.store_sink is not None:
            self.store_sink.update()

    def wants_verdict(self) -> bool:
        """The summary and reports are for SVTAD sessions: an svtad option given, or a planned test tagged. A
        --collect-only session runs nothing: it is no run and has no verdict."""
        if self.config.option.collectonly:
            return False
        return self.settings.explicit or any(
            e.dmc or e.ttm or e.srv or e.regression or e.descoped or e.known_defect
            or e.functional_group != "Ungrouped" for e in self.collector.plan.values())

    def finish(self, interrupted: bool) -> None:
        """Close out the session: one record of the run (this session's, or its campaign's read back from the
        store), the verdict once, and every output a sink over the record (``pytest_svtad.closeout``)."""
        from pytest_svtad.closeout import close_out, html_reports

        self.collector.finish(interrupted)
        if not self.wants_verdict():
            if self.store_sink is not None:
                self.store_sink.close()
            return
        record = self.run_record(interrupted)
        reports: list[Sink] = []
        if self.store_sink is not None:
            reports.append(self._end_of_run)
        reports += [publish.allure_sink(self.config, self.settings), html_reports]
        self.verdict = close_out(record, reports)

    def run_record(self, interrupted: bool) -> RunRecord:
        """The record close-out reads: plan, results and issues (a campaign's from the store, once this session's
        rows are in it), settings, and what the session knows of its evidence outputs."""
        from pytest_svtad.plugin import entry_checks
        from pytest_svtad.record import RecordSettings, RunRecord
        from pytest_svtad.rules.issues import raise_issues
        from pytest_svtad.rules.verdict import Outputs, WorkOffCheck

        s = self.settings
        plan = list(self.collector.plan.values())
        results = self.collector.results
        epcl_of = {d.id: d.epcl_entry or d.id for d in s.selected_dmcs}
        issues = raise_issues(plan, results, epcl_of, stage=s.stage, release=s.release, campaign=s.campaign,
                              default_provider=s.criteria.default_provider)
        notes: list[str] = []
        outputs = self.outputs = self.outputs or Outputs()
        log = self.collector.log
        outputs.stored_results = log.on_disk() if log else frozenset()  # what the file holds, not what was sent
        outputs.evidence_errors = tuple(p for problems in self.collector.evidence_errors.values() for p in problems)
        outputs.results_error = log.error if log else "results log not opened"
        sink = self.store_sink
        if sink is not None:
            sink.flush(plan, results)
            sink.record_issues(issues)
        store = sink.store if sink is not None and sink.error is None else None
        if store is not None:
            from pytest_svtad.store import StoreError
            from pytest_svtad.store.campaign import read_phase, work_off_check
        reading = None
        if s.campaign:
            if store is None:
                notes.append(f"campaign '{s.campaign}' needs a writable store: this verdict covers this session alone")
            else:
                reading = read_phase(store, s.campaign, s.stage, s.release, s.exit_version)
                view = reading.view
                plan, results, issues = view.plan, view.results, reading.issues
                outputs.all_stored = True  # every result of the view came from the store
                notes.append(f"campaign '{s.campaign}': {counted(view.runs, 'run')} of {s.stage} in {store.name}; "
                             "each planned "
                             f"test's latest executed result; regression counted on SUT version "
                             f"{view.exit_version or '(unstated)'} only")
                notes.extend(reading.notes)
        work_off = WorkOffCheck(None) if s.stage in WORK_OFF_STAGES else None
        if store is not None:
            try:
                work_off = work_off_check(store, s.stage, s.release)
            except StoreError as exc:
                notes.append(f"preceding Work Off Plans not read: {exc}")
        dmc_ids = sorted({e.dmc for e in plan if e.dmc} | {d.id for d in s.selected_dmcs}) \
            if any(e.dmc for e in plan) else []
        dmct_routes: dict[str, list[dict[str, Any]]] = {}
        if store is not None and s.stage in DMCT_STAGES:  # the routes of its Testing Issues, for 20.29(e)
            from pytest_svtad.store.dmct import routes_by_dmc
            try:
                dmct_routes = routes_by_dmc(store, [d.id for d in s.selected_dmcs])
            except StoreError as exc:
                notes.append(f"DMCT Testing Issue routes not read: {exc}")
        settings = RecordSettings(stage=s.stage, release=s.release, criteria=s.criteria, ttm=s.ttm,
                                  report_dir=s.report_dir, sut_version=s.sut_version, seed=s.seed,
                                  campaign=s.campaign, profiles=s.profiles, completion_notes=s.completion_notes,
                                  invocation_dir=Path(self.config.invocation_params.dir), pdf=s.pdf)
        return RunRecord(settings=settings, plan=plan, results=results, issues=issues, dmc_ids=dmc_ids,
                         sut_version=s.exit_version or s.sut_version, interrupted=interrupted, outputs=outputs,
                         work_off=work_off, epcl_of=epcl_of,
                         other_dmct_stage=reading.other_dmct_stage if reading else None,
                         dmct_issues=reading.dmct_issues if reading else [],
                         dmct_where=f"campaign '{s.campaign}'" if reading else "this session",
                         dmct_routes=dmct_routes,
                         notes=[*self.notes, *self._not_applicable_notes(), *notes,
                                *entry_checks.schedule_notes(self.config, self)],
                         started=self.started, session_nodeids=frozenset(self.collector.plan),
                         entry=entry_checks.entry_for_record(self.config, self))

    def _not_applicable_notes(self) -> list[str]:
        """Per DMC, how many tests its link cannot run, then each with why: not planned, never vanished."""
        records = sorted(self.link_not_applicable.values(), key=lambda r: (r.dmc, r.nodeid))
        per_dmc: dict[str, int] = {}
        for record in records:
            per_dmc[record.dmc] = per_dmc.get(record.dmc, 0) + 1
        heads = [f"{dmc}: {counted(n, 'test')} not applicable on its link (a power it lacks; not planned, listed "
                 "below)" for dmc, n in per_dmc.items()]
        return heads + [record.note() for record in records]

    def _end_of_run(self, record: RunRecord) -> list[str]:
        """The store's sink at close-out: the run ends with its verdict; where it went if not to the store."""
        sink = self.store_sink
        if sink is None:
            return []
        dmct_notes = self._dmct_status(record, sink.store) if sink.error is None else []
        sink.end(interrupted=record.interrupted, verdict="met" if record.judged().met else "not_met")
        sink.close()
        return [*dmct_notes, *sink.notes()]  # the sink's notes are known after end

    def _dmct_status(self, record: RunRecord, store: Any) -> list[str]:
        """A DMCT run moves its scheduled DMCs to "in test", and completed ones to "completed" (store.dmct)."""
        if self.settings.stage not in DMCT_STAGES or store is None or record.interrupted:
            return []
        from pytest_svtad.rules.dmct_process import DmctProcessError
        from pytest_svtad.store import StoreError
        from pytest_svtad.store.dmct import record_dmct_run

        verdict = record.judged()
        completed = {dmc: a.recommendation for dmc, a in (verdict.dmct or {}).items() if a.completed}
        run = f"run {self.store_sink.run_id}" if self.store_sink and self.store_sink.run_id else "session"
        try:
            return record_dmct_run(store, stage=self.settings.stage, run=run, dmc_ids=record.dmc_ids,
                                   completed=completed)
        except (StoreError, DmctProcessError) as exc:
            return [f"DMCT Status List not updated: {exc}"]


def write_plan_file(directory: Path, worker_id: str, plan: dict[str, PlanEntry], meta: dict[str, Any]) -> None:
    """A worker's plan for the controller (xdist sends nothing else early enough: see docs/architecture.md)."""
    data = {"meta": meta, "plan": [entry.to_dict() for entry in plan.values()]}
    tmp = directory / f".{worker_id}.json.tmp"
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, directory / f"{worker_id}.json")


def read_plan_files(directory: Path) -> tuple[dict[str, PlanEntry], int]:
    plan: dict[str, PlanEntry] = {}
    not_applicable = 0
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        not_applicable = max(not_applicable, int(data.get("meta", {}).get("not_applicable", 0)))
        for raw in data.get("plan", []):
            plan.setdefault(raw["nodeid"], PlanEntry.from_dict(raw))
    return plan, not_applicable


def read_not_applicable(directory: Path) -> dict[str, NotApplicable]:
    """The workers' (test, DMC) pairs not applicable on their DMC's link, from their plan files."""
    found: dict[str, NotApplicable] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            rows = json.loads(path.read_text(encoding="utf-8")).get("meta", {}).get("link_not_applicable", [])
            for row in rows:
                found.setdefault(str(row["nodeid"]), NotApplicable(str(row["nodeid"]), str(row["dmc"]),
                                                                    str(row["reason"])))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
    return found


SESSION_KEY = pytest.StashKey[SvtadSession]()
"""Where a pytest config keeps its SvtadSession (set at configure, read by hooks and fixtures)."""
