"""Where the session hands its facts to the evidence outputs that people open (HTML reports, Allure).

Two entry points, called by ``pytest_svtad.session``:
- ``label_item(item, entry, settings)`` on the process that collects (a worker under xdist), once per planned item;
- ``write_reports(context)`` once, where every result is seen, after verdict.json is written. It returns problems
  as one-line notes instead of raising: a report that cannot be written must never lose results or the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from pytest_svtad.model import PlanEntry, Result
from pytest_svtad.rules.issues import TestingIssue
from pytest_svtad.rules.verdict import Verdict

if TYPE_CHECKING:
    from pytest_svtad.options import Settings


@dataclass(slots=True)
class ReportContext:
    config: pytest.Config
    settings: Settings
    plan: list[PlanEntry]
    results: dict[str, Result]
    issues: list[TestingIssue]
    verdict: Verdict


def label_item(item: pytest.Item, entry: PlanEntry, settings: Settings) -> None:
    """Per-item labelling for outputs that read markers (Allure). Nothing yet."""


def write_reports(context: ReportContext) -> list[str]:
    """Write the human-facing reports; return one-line problems. Nothing yet beyond the core outputs."""
    return []
