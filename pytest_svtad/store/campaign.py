"""Reading a campaign and the Testing Issues that count in its Test Phase from the store (13.18-13.23), and the
record of the phase that close-out judges (``campaign_record``)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_svtad.files.datafiles import CompletionNotes
from pytest_svtad.model import PlanEntry, Result
from pytest_svtad.record import RecordSettings, ResultsFile, RunRecord
from pytest_svtad.rules import appendix_ak as ak
from pytest_svtad.rules.campaign import CampaignRun, CampaignSummary, CampaignView, combine
from pytest_svtad.rules.counts import Counts
from pytest_svtad.rules.criteria import Criteria
from pytest_svtad.rules.issues import TestingIssue
from pytest_svtad.rules.ttm import Ttm
from pytest_svtad.rules.verdict import Outputs, WorkOffCheck
from pytest_svtad.smets1.profiles import Profiles
from pytest_svtad.store.campaign_pass import summarize_parts
from pytest_svtad.store.db import Store
from pytest_svtad.store.fallback import incomplete_run_notes
from pytest_svtad.store.gates import GateRepository
from pytest_svtad.store.issues import issue_from_row
from pytest_svtad.store.runs import run_settings
from pytest_svtad.wording import counted

PARTS = min(2, os.cpu_count() or 1)  # node-id ranges a large campaign is read in at once (one per core, two at most)


def load_campaign(store: Store, campaign: str, exit_version: str | None = None, *, stage: str | None = None,
                  release: str | None = None) -> CampaignView:
    """The campaign's runs of one Test Phase (``stage``, and ``release`` when given) combined: a campaign may hold
    runs of several stages (DMCT MT and DMCT SRVT of the same DMCs, 20.14), and a verdict is one stage's."""
    runs = [run for run in store.runs(campaign) if (stage is None or run["stage"] == stage)
            and (release is None or run["release"] == release)]
    ids = [run["id"] for run in runs]
    plans, results = store.plan_and_results(ids)
    return combine([CampaignRun(run["id"], run["sut_version"], plans[run["id"]],
                                {r.nodeid: r for r in results[run["id"]]}) for run in runs], exit_version)


def phase_runs(store: Store, campaign: str, stage: str | None, release: str | None) -> list[dict[str, Any]]:
    """The campaign's runs of one Test Phase, oldest first."""
    return [run for run in store.runs(campaign) if (stage is None or run["stage"] == stage)
            and (release is None or run["release"] == release)]


def summarize_campaign(store: Store, runs: Sequence[dict[str, Any]], exit_version: str | None = None,
                       common: dict[str, Any] | None = None, results: Path | None = None,
                       parts: int = 1) -> CampaignSummary:
    """The tallies of ``combine`` over ``runs`` (oldest first) in one pass over the store's rows, and the
    campaign's results.jsonl lines written to ``results`` (``pytest_svtad.store.campaign_pass``); a large store
    in ``parts`` at once (``PARTS``)."""
    ids = [int(run["id"]) for run in runs]
    if exit_version is None and runs:
        exit_version = runs[-1]["sut_version"]
    exit_runs = [int(run["id"]) for run in runs if run["sut_version"] == exit_version]
    return summarize_parts(store, ids, exit_runs, exit_version, common, results, parts)


def dmc_counts(store: Store, campaign: str, stage: str, release: str | None = None) -> dict[str, Counts]:
    """Each DMC's functional counts over the campaign's runs of ``stage`` (for the other DMCT stage, 20.14)."""
    return summarize_campaign(store, phase_runs(store, campaign, stage, release)).counts().functional_by_dmc


def _agreed(issue: TestingIssue, stage: str, release: str | None) -> dict[str, str] | None:
    return next((entry for entry in issue.count_in if entry.get("stage") == stage
                 and entry.get("release") in (None, release)), None)


def phase_issues(store: Store, campaign: str | None, stage: str, release: str | None) -> list[TestingIssue]:
    """The Testing Issues listed for a Test Phase, with ``counted`` and ``counted_because`` set:

    - the issues raised in the phase (stage + release) and campaign;
    - still-open issues raised in the same stage of earlier Capability Releases (13.18: the *equivalent* phase);
    - issues of other phases the TAG agreed to count here (13.22: SCT issues against SIT);
    - issues identified in other environments or production, or raised by Testing Participants (13.23): listed,
      and counted only where the TAG agreed (13.23(ii))."""
    earlier = ak.RELEASES[:ak.RELEASES.index(release)] if release in ak.RELEASES else ()
    found: dict[tuple[str, str | None, str | None, str], TestingIssue] = {}
    for row in store.issues():
        issue = issue_from_row(row)
        key = (issue.stage, issue.release, issue.campaign, issue.id)
        agreement = _agreed(issue, stage, release)
        if issue.stage == stage and issue.release == release and issue.campaign == campaign:
            if issue.origin != "test":
                issue.counted = agreement is not None
                issue.counted_because = (f"{agreement.get('clause', '13.23')}: {agreement.get('agreement')}"
                                         if agreement else "")
            found[key] = issue
        elif issue.stage == stage and issue.release in earlier and issue.is_open and issue.origin == "test":
            issue.counted_because = f"13.18: raised in {stage} {issue.release}, still open"
            found[key] = issue
        elif agreement is not None:
            issue.counted_because = (f"{agreement.get('clause', '13.22')}: raised in {issue.stage} "
                                     f"{issue.release or ''}, agreed: {agreement.get('agreement')}")
            found[key] = issue
    return sorted(found.values(), key=lambda i: (i.id, i.stage, i.release or "", i.campaign or ""))


def dmct_issues(store: Store, campaign: str, release: str | None) -> list[TestingIssue]:
    """The campaign's issues of both DMCT stages (a DMC's completion reads both, 20.14, 20.29(e))."""
    return [issue for stage in ak.DMCT_STAGES for issue in phase_issues(store, campaign, stage, release)]


@dataclass(slots=True)
class PhaseReading:
    """What the verdict of one Test Phase of a campaign reads from the store, the same for a live session and
    ``svtad verdict --campaign``."""

    view: CampaignView
    issues: list[TestingIssue]
    notes: list[str]  # runs waiting for their fallback file to be imported
    other_dmct_stage: dict[str, Counts] | None = None  # DMCT: each DMC's counts in the other DMCT stage (20.14)
    dmct_issues: list[TestingIssue] = field(default_factory=list)  # DMCT: the issues of both stages


def read_phase(store: Store, campaign: str, stage: str, release: str | None,
               exit_version: str | None = None) -> PhaseReading:
    reading = PhaseReading(load_campaign(store, campaign, exit_version, stage=stage, release=release),
                           phase_issues(store, campaign, stage, release), incomplete_run_notes(store, campaign))
    if stage in ak.DMCT_STAGES:
        reading.other_dmct_stage = dmc_counts(store, campaign, ak.other_dmct_stage(stage), release)
        reading.dmct_issues = dmct_issues(store, campaign, release)
    return reading


def work_off_check(store: Store, stage: str, release: str | None) -> WorkOffCheck | None:
    """The recorded Work Off Plans of phases preceding ``stage`` ``release`` (12.6(h): PIT and SIT only)."""
    if stage not in ak.WORK_OFF_STAGES:
        return None
    return WorkOffCheck(store.name, store.preceding_work_off_plans(stage, release))


class _CampaignRecords:
    """The campaign's plan entries and results as records, read only if a sink asks for them (the HTML reports
    list every test): the verdict, its counts and results.jsonl come from the one-pass summary."""

    def __init__(self, store: Store, campaign: str, exit_version: str | None, stage: str,
                 release: str | None) -> None:
        self._args = (store, campaign, exit_version, stage, release)
        self._view: CampaignView | None = None

    def view(self) -> CampaignView:
        if self._view is None:
            store, campaign, exit_version, stage, release = self._args
            self._view = load_campaign(store, campaign, exit_version, stage=stage, release=release)
        return self._view


class LazyPlan(Sequence[PlanEntry]):
    """The combined plan, read from the store on first use."""

    def __init__(self, records: _CampaignRecords, planned: int) -> None:
        self._records, self._planned = records, planned

    def __len__(self) -> int:
        return self._planned

    def __iter__(self) -> Iterator[PlanEntry]:
        return iter(self._records.view().plan)

    def __getitem__(self, index: Any) -> Any:
        return self._records.view().plan[index]


class LazyResults(Mapping[str, Result]):
    """The combined results by node id, read from the store on first use."""

    def __init__(self, records: _CampaignRecords, planned: int) -> None:
        self._records, self._planned = records, planned

    def __len__(self) -> int:
        return self._planned

    def __iter__(self) -> Iterator[str]:
        return iter(self._records.view().results)

    def __getitem__(self, nodeid: str) -> Result:
        return self._records.view().results[nodeid]


def campaign_record(store: Store, campaign: str, stage: str, release: str | None, exit_version: str | None = None,
                    *, report_dir: Path | None = None, ttm: Ttm | None = None, criteria: Criteria | None = None,
                    ttm_default: Ttm | None = None, criteria_default: Criteria | None = None,
                    profiles: Profiles | None = None, completion_notes: CompletionNotes | None = None) -> RunRecord:
    """The record of one Test Phase of a campaign, read from the store (``svtad verdict --campaign``): the same
    plan, results and issues a live session of the campaign reads, judged by the TTM and criteria its runs used.

    ``ttm`` and ``criteria`` (given by the user) win; else the newest run of the phase that stored them (schema
    3); else ``ttm_default`` and ``criteria_default`` (the ini keys); else none and Appendix AK's defaults.

    The plan and results are read once, in one pass that tallies what the verdict needs and writes
    results.jsonl (to a temporary file that close-out puts in place, ``RunRecord.results_file``); the records
    themselves are read again only for a sink that lists every test (the HTML reports)."""
    runs = phase_runs(store, campaign, stage, release)
    exit_version = exit_version if exit_version is not None or not runs else runs[-1]["sut_version"]
    stored = [run_settings(run) for run in runs]
    notes = [f"campaign '{campaign}': {counted(len(runs), 'run')} of {stage} in {store.name}, read without running "
             "tests"]
    if ttm is None:
        ttms = [s.ttm for s in stored if s.ttm is not None]
        ttm = ttms[-1] if ttms else ttm_default
        if len({(t.source, tuple(t.requirements)) for t in ttms}) > 1 and ttm is not None:
            notes.append(f"the runs used different TTMs: judged by the newest run's ({ttm.source})")
    if criteria is None:
        found = [s.criteria for s in stored if s.criteria is not None]
        criteria = found[-1] if found else criteria_default or Criteria()
        if len({c.model_dump_json() for c in found}) > 1:
            notes.append("the runs used different criteria: judged by the newest run's "
                         f"({criteria.source or 'Appendix AK defaults'})")
    newest = runs[-1] if runs else {}
    seed = int(newest.get("seed") or 0)
    results_file = None
    summary = None
    if report_dir is not None:
        common = {"stage": stage, "release": release, "sut_version": exit_version, "seed": seed}
        results_file = ResultsFile(report_dir / "results.jsonl")
        try:
            report_dir.mkdir(parents=True, exist_ok=True)
            summary = summarize_campaign(store, runs, exit_version, common, results_file.tmp, PARTS)
        except OSError as exc:
            results_file.error = exc.strerror or str(exc)
            results_file.tmp.unlink(missing_ok=True)
        except BaseException:
            results_file.tmp.unlink(missing_ok=True)
            raise
    if summary is None:
        summary = summarize_campaign(store, runs, exit_version, parts=PARTS)
    other_dmct_stage, issues_of_dmct = None, []
    if stage in ak.DMCT_STAGES:
        other_dmct_stage = dmc_counts(store, campaign, ak.other_dmct_stage(stage), release)
        issues_of_dmct = dmct_issues(store, campaign, release)
    dmc_ids = sorted(summary.dmcs)
    epcl_of = {dmc: profiles.dmcs[dmc].epcl_entry or dmc for dmc in dmc_ids
               if profiles is not None and dmc in profiles.dmcs}
    settings = RecordSettings(stage=stage, release=release, criteria=criteria, ttm=ttm, report_dir=report_dir,
                              sut_version=newest.get("sut_version"), seed=seed,
                              campaign=campaign, profiles=profiles, completion_notes=completion_notes,
                              invocation_dir=Path.cwd())
    records = _CampaignRecords(store, campaign, exit_version, stage, release)
    return RunRecord(settings=settings, plan=LazyPlan(records, summary.planned),
                     results=LazyResults(records, summary.planned),
                     issues=phase_issues(store, campaign, stage, release),
                     dmc_ids=dmc_ids, sut_version=exit_version, outputs=Outputs(all_stored=True),
                     work_off=work_off_check(store, stage, release), epcl_of=epcl_of,
                     other_dmct_stage=other_dmct_stage, dmct_issues=issues_of_dmct,
                     dmct_where=f"campaign '{campaign}'", notes=[*notes, *incomplete_run_notes(store, campaign)],
                     entry=GateRepository(store).latest_check([int(run["id"]) for run in runs]),  # 12.5
                     summary=summary, results_file=results_file)
