"""Reading a campaign and its extant Testing Issues from the store."""

from __future__ import annotations

from pytest_svtad.rules import appendix_ak as ak
from pytest_svtad.rules.campaign import CampaignRun, CampaignView, combine
from pytest_svtad.rules.issues import TestingIssue
from pytest_svtad.store.db import Store


def load_campaign(store: Store, campaign: str, exit_version: str | None = None) -> CampaignView:
    runs = store.runs(campaign)
    ids = [run["id"] for run in runs]
    plans, results = store.plan_and_results(ids)
    return combine([CampaignRun(run["id"], run["sut_version"], plans[run["id"]],
                                {r.nodeid: r for r in results[run["id"]]}) for run in runs], exit_version)


def issue_from_row(row: dict) -> TestingIssue:  # type: ignore[type-arg]
    return TestingIssue(id=row["id"], title=row["title"], severity=row["severity"], known_defect=row["known_defect"],
                        status=row["status"], tag_agreed=row["tag_agreed"], rationale=row["rationale"],
                        dmcs=list(row["dmcs"]), tests=list(row["tests"]), epcl_entries=list(row["epcl_entries"]))


def extant_candidates(store: Store, campaign: str, stage: str, release: str | None) -> list[TestingIssue]:
    """The campaign's issues, and issues still open from the same stage of earlier Capability Releases (13.18)."""
    found = {row["id"]: row for row in store.issues(campaign=campaign)}
    earlier = ak.RELEASES[:ak.RELEASES.index(release)] if release in ak.RELEASES else ()
    for row in store.issues(stage=stage):
        if row["release"] in earlier and row["id"] not in found and issue_from_row(row).extant:
            found[row["id"]] = row
    return [issue_from_row(row) for row in sorted(found.values(), key=lambda r: r["id"])]
