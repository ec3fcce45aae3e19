"""Where the live session hands its facts to the outputs that read pytest's own state (Allure).

Two entry points, called by ``pytest_svtad.plugin.session``:
- ``label_item(item, entry, settings)`` on the process that collects (a worker under xdist), once per planned item;
- ``allure_sink(config, settings)``: the close-out sink (``pytest_svtad.closeout``) that writes the Allure extras
  for the run record, where every result is seen. Like every sink it returns problems as one-line notes instead of
  raising. The HTML reports are sinks of ``pytest_svtad.closeout`` itself: the store's verdict writes them too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from pytest_svtad.model import PlanEntry, Result
from pytest_svtad.plugin import allure

if TYPE_CHECKING:  # annotations only: label_item runs on every xdist worker, which never closes out
    from pytest_svtad.closeout import Sink
    from pytest_svtad.plugin.options import Settings
    from pytest_svtad.record import RunRecord
    from pytest_svtad.rules.issues import TestingIssue
    from pytest_svtad.rules.verdict import Verdict


@dataclass(slots=True)
class ReportContext:
    """The run record with the pytest config and options the Allure extras also read."""

    config: pytest.Config
    settings: Settings
    record: RunRecord

    @property
    def plan(self) -> Sequence[PlanEntry]:
        return self.record.plan

    @property
    def results(self) -> Mapping[str, Result]:
        return self.record.results

    @property
    def issues(self) -> list[TestingIssue]:
        return self.record.issues

    @property
    def verdict(self) -> Verdict:
        return self.record.judged()

    @property
    def started(self) -> float:
        """When the session began (Allure results after it are ours)."""
        return self.record.started

    @property
    def session_nodeids(self) -> frozenset[str] | None:
        """The tests this session planned, when plan and results cover more (a campaign read from the store)."""
        return self.record.session_nodeids


def label_item(item: pytest.Item, entry: PlanEntry, settings: Settings) -> None:
    """Per-item labelling for outputs that read markers (Allure)."""
    allure.label_item(item, entry, settings)


def allure_sink(config: pytest.Config, settings: Settings) -> Sink:
    def write(record: RunRecord) -> list[str]:
        context = ReportContext(config, settings, record)
        return allure.write_results(context, context.started)

    return write
