"""One record of a run: what it was judged by (settings), its plan, results and Testing Issues, what its evidence
outputs managed to write, and, once close-out has computed it, its verdict.

Every output is a sink over this record (``pytest_svtad.closeout``), the same from a live session
(``pytest_svtad.plugin.session``) and from the store (``svtad verdict --campaign``): the record is built once and
the verdict computed once from it (after OpenHTF's ``TestRecord`` and its output callbacks).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_svtad.files.datafiles import CompletionNotes
from pytest_svtad.model import PlanEntry, Result
from pytest_svtad.rules.campaign import CampaignSummary
from pytest_svtad.rules.counts import Counts
from pytest_svtad.rules.criteria import Criteria
from pytest_svtad.rules.entry_criteria import EntryAssessment
from pytest_svtad.rules.issues import TestingIssue
from pytest_svtad.rules.ttm import Ttm
from pytest_svtad.rules.verdict import Outputs, Verdict, WorkOffCheck
from pytest_svtad.smets1.profiles import Profiles


@dataclass(slots=True)
class RecordSettings:
    """What the run was judged by and labelled with: the options of a live session, or what the store kept of the
    runs (their TTM and criteria, schema 3) with the ini keys for what it did not keep."""

    stage: str
    release: str | None
    criteria: Criteria
    ttm: Ttm | None
    report_dir: Path | None
    sut_version: str | None = None  # the session's own (--svtad-sut-version); the verdict's is RunRecord's
    seed: int = 0
    campaign: str | None = None
    profiles: Profiles | None = None  # DMC rows of the reports (names, device models, firmware)
    completion_notes: CompletionNotes | None = None
    invocation_dir: Path | None = None  # where the run was started: the reports name input files relative to it
    pdf: bool = False  # also write PDFs of the completion report and each DMCT report (--svtad-pdf)


@dataclass(slots=True)
class ResultsFile:
    """results.jsonl written before close-out, by the pass that read a campaign (``store.campaign_pass``): in a
    temporary file beside it until close-out puts it in place; ``error`` when it could not be written."""

    path: Path
    error: str | None = None

    @property
    def tmp(self) -> Path:
        return self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")


@dataclass(slots=True)
class RunRecord:
    settings: RecordSettings
    plan: Sequence[PlanEntry]
    results: Mapping[str, Result]
    issues: list[TestingIssue]
    dmc_ids: list[str]  # the DMCs the verdict counts (every selected one, even if nothing of it ran)
    sut_version: str | None = None  # what regression is judged on: the stage-exit version, else the session's
    interrupted: bool = False
    outputs: Outputs = field(default_factory=Outputs)  # what the evidence sinks wrote (rows 4, 5 and 7)
    work_off: WorkOffCheck | None = None  # preceding phases' Work Off Plans (12.6(h))
    epcl_of: Mapping[str, str] = field(default_factory=dict)  # DMC id -> its EPCL entry
    other_dmct_stage: Mapping[str, Counts] | None = None  # DMCT: each DMC's counts in the other DMCT stage (20.14)
    dmct_issues: list[TestingIssue] = field(default_factory=list)  # DMCT: the issues of both stages, if read
    dmct_where: str = "this session"
    dmct_routes: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)  # DMC -> issue routes (20.19)
    notes: list[str] = field(default_factory=list)  # said in the verdict's notes, after the rules' own
    started: float = field(default_factory=time.time)
    session_nodeids: frozenset[str] | None = None  # this session's tests, when plan and results cover a campaign
    entry: EntryAssessment | None = None  # the Entry Criteria at the session's start (12.5); None: not assessed
    verdict: Verdict | None = None  # set once, by close_out
    # a campaign read in one pass (``store.campaign``): its tallies, which close-out counts and judges by instead
    # of the records (``plan`` and ``results`` are then read from the store only if a sink iterates them)
    summary: CampaignSummary | None = None
    results_file: ResultsFile | None = None  # results.jsonl that pass wrote, for close-out to put in place

    @property
    def report_dir(self) -> Path | None:
        return self.settings.report_dir

    def judged(self) -> Verdict:
        """The verdict (for a sink that runs after close-out has computed it)."""
        if self.verdict is None:
            raise RuntimeError("the verdict is computed by close_out before the report sinks run")
        return self.verdict
