"""``svtad issues``, ``svtad workoff`` and ``svtad verdict --campaign``: the test manager's view of the store."""

from __future__ import annotations

import argparse
import csv
import html
import io
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from pytest_svtad.calendar import REGIONS, bank_holidays
from pytest_svtad.cli_input import plan_date, write_output_file
from pytest_svtad.datafiles import load_criteria, load_ttm
from pytest_svtad.errors import SvtadInputError
from pytest_svtad.rules.criteria import Criteria
from pytest_svtad.rules.verdict import Outputs
from pytest_svtad.rules.workoff import WorkOffItem, work_off_plan
from pytest_svtad.store import Store, default_url, store_url
from pytest_svtad.store.campaign import extant_candidates, load_campaign
from pytest_svtad.store.existing import open_existing

ISSUE_FIELDS = ("id", "severity", "status", "stage", "release", "campaign", "known_defect", "tag_agreed",
                "first_seen", "last_seen", "dmcs", "title")


def _store(args: argparse.Namespace) -> Store:
    """The store the command reads (and, for issue changes, updates): it must exist already."""
    return open_existing(store_url(args.store, Path.cwd()) if args.store else default_url(Path.cwd()))


def _date(text: str, what: str) -> date:
    return plan_date(text, what)


def _campaign_stage(store: Store, campaign: str) -> tuple[str, str | None]:
    runs = store.runs(campaign)
    if not runs:
        raise SvtadInputError("--campaign", f"no runs of campaign '{campaign}' in {store.name}")
    return runs[-1]["stage"], runs[-1]["release"]


def issues_command(args: argparse.Namespace) -> int:
    action = args.action
    if action != "list" and not args.issue_id:
        raise SvtadInputError(f"issues {action}", "expected the Testing Issue id, e.g. svtad issues "
                              f"{action} TI-1A2B3C4D")
    store = _store(args)
    if action == "list":
        rows = store.issues(campaign=args.campaign, status=args.status)
        for row in rows:
            print(f"{row['id']:<14} S{row['severity']} {row['status']:<9} {row['stage']:<10} "
                  f"{row['release'] or '-':<4} {','.join(row['dmcs']) or '-':<20} {row['title'][:80]}")
        print(f"{len(rows)} Testing Issues in {store.name}")
        return 0
    if action == "show":
        row = store.issue(args.issue_id)
    elif action == "set-severity":
        if args.value not in ("1", "2", "3", "4", "5"):
            raise SvtadInputError("set-severity", f"severity must be 1-5, got '{args.value}'")
        row = store.change_issue(args.issue_id, severity=int(args.value))
    elif action == "close":
        row = store.change_issue(args.issue_id, status="closed")
    elif action == "reopen":
        row = store.change_issue(args.issue_id, status="open", tag_agreed=False)
    else:  # exclude (13.20): counted again unless the TAG agreed
        if not args.rationale:
            raise SvtadInputError("exclude", "an exclusion needs --rationale (13.20: the DCC states its rationale)")
        row = store.change_issue(args.issue_id, status="excluded", rationale=args.rationale,
                                 tag_agreed=bool(args.tag_agreed))
    for key in ISSUE_FIELDS + ("tests", "rationale", "closed_at"):
        print(f"{key:>12}: {row.get(key)}")
    if row["status"] == "excluded" and not row["tag_agreed"]:
        print("note: excluded without TAG agreement: it still counts against the thresholds (13.20)")
    return 0


def _workoff_csv(items: list[WorkOffItem], tcc: date) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["issue_id", "severity", "due_date", "working_days", "tcc_date", "needs_correction_plan",
                     "error", "title"])
    for item in items:
        writer.writerow([item.issue_id, item.severity, item.due_date or "", item.working_days or "", tcc,
                         str(item.needs_correction_plan).lower(), item.error, item.title])
    return out.getvalue()


def _workoff_html(items: list[WorkOffItem], tcc: date, campaign: str, region: str, today: date) -> str:
    rows = "".join(
        f"<tr class='{'error' if item.error else 'late' if item.overdue else ''}'><td>{html.escape(item.issue_id)}"
        f"</td><td>{item.severity}</td><td>{item.due_date or ''}</td><td>{item.working_days or ''}</td>"
        f"<td>{'yes (15.2)' if item.needs_correction_plan else ''}</td><td>{html.escape(item.error)}</td>"
        f"<td>{html.escape(item.title)}</td></tr>" for item in items)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Work Off Plan: {html.escape(campaign)}</title>"
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid "
            "#ccc;padding:4px 8px}tr.late{background:#fde2b3}tr.error{background:#f8c0c0}</style></head><body>"
            f"<h1>Work Off Plan (SVTAD 15.1): campaign {html.escape(campaign)}</h1>"
            f"<p>Test Completion Certificate date {tcc}; Working Days exclude weekends and bank holidays of "
            f"{html.escape(REGIONS[region])}; status on {today}. Severity 3 within 20, 4 within 40, 5 within 60 "
            "Working Days. Rows past due need a correction plan (15.2); severity 1-2 issues cannot be on a plan."
            "</p><table><tr><th>issue</th><th>severity</th><th>due</th><th>Working Days</th>"
            f"<th>correction plan</th><th>error</th><th>title</th></tr>{rows}</table></body></html>")


def workoff_command(args: argparse.Namespace) -> int:
    store = _store(args)
    tcc = _date(args.tcc_date, "--tcc-date")
    today = _date(args.today, "--today") if args.today else date.today()
    stage, release = _campaign_stage(store, args.campaign)
    issues = extant_candidates(store, args.campaign, stage, release)
    holidays = bank_holidays(tcc, date(tcc.year + 1, 12, 31), args.region)
    items = work_off_plan(issues, tcc, today, holidays)
    text = _workoff_csv(items, tcc) if args.format == "csv" else _workoff_html(items, tcc, args.campaign,
                                                                               args.region.upper(), today)
    if args.output:
        write_output_file(Path(args.output), text, "--output")
    else:
        sys.stdout.write(text)
    errors = [item for item in items if item.error]
    for item in errors:
        print(f"svtad: error: {item.issue_id}: {item.error}", file=sys.stderr)
    return 1 if errors else 0


def campaign_verdict_command(args: argparse.Namespace) -> int:
    from pytest_svtad.outputs import close_out
    from pytest_svtad.reports import terminal

    store = _store(args)
    stage, release = _campaign_stage(store, args.campaign)
    view = load_campaign(store, args.campaign, args.exit_version)
    issues = extant_candidates(store, args.campaign, stage, release)
    criteria = load_criteria(Path(args.criteria)) if args.criteria else Criteria()
    ttm = load_ttm(Path(args.ttm)) if args.ttm else None
    report = Path(args.report) if args.report else None
    dmc_ids = sorted({e.dmc for e in view.plan if e.dmc})
    outputs = Outputs(all_stored=True)
    verdict = close_out(stage=stage, release=release, criteria=criteria, ttm=ttm, report_dir=report,
                        plan=view.plan, results=view.results, issues=issues, dmc_ids=dmc_ids,
                        sut_version=view.exit_version, interrupted=False, outputs=outputs)
    verdict.notes.append(f"campaign '{args.campaign}': {view.runs} runs in {store.name}, read without running tests")

    def write_line(text: str = "", **_: Any) -> None:
        print(text)

    terminal.render(verdict, write_line, str(report) if report else None)
    if args.json:
        print(json.dumps(verdict.as_dict(), indent=2))
    return 0 if verdict.met else 1


def weekly_command(args: argparse.Namespace) -> int:
    from pytest_svtad.weekly import write_weekly

    path = write_weekly(_store(args), args.campaign, args.week, Path(args.output))
    print(f"weekly execution report: {path}")
    return 0


def add_store_commands(sub: Any) -> None:
    def store_arg(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--store", help="store URL or SQLite path (default .svtad/svtad.db here)")

    p = sub.add_parser("issues", help="Testing Issues in the store: list, show, set-severity, close, reopen, exclude")
    p.add_argument("action", choices=["list", "show", "set-severity", "close", "reopen", "exclude"])
    p.add_argument("issue_id", nargs="?")
    p.add_argument("value", nargs="?", help="the new severity, for set-severity")
    p.add_argument("--campaign")
    p.add_argument("--status", choices=["open", "closed", "excluded"])
    p.add_argument("--rationale", help="for exclude: why the issue should not count (13.20)")
    p.add_argument("--tag-agreed", action="store_true", help="for exclude: the TAG agreed the exclusion")
    store_arg(p)
    p.set_defaults(func=issues_command)

    p = sub.add_parser("workoff", help="Work Off Plan (15.1) of a campaign's open issues")
    p.add_argument("--campaign", required=True)
    p.add_argument("--tcc-date", required=True, help="date of the Test Completion Certificate, YYYY-MM-DD")
    p.add_argument("--format", choices=["csv", "html"], default="csv")
    p.add_argument("--region", default="ENG", help="bank holidays: ENG (England and Wales, default), WLS, SCT, NIR")
    p.add_argument("--today", help="date to judge lateness on (default today)")
    p.add_argument("--output", help="file to write (default standard output)")
    store_arg(p)
    p.set_defaults(func=workoff_command)

    p = sub.add_parser("weekly", help="weekly execution report (16.1-16.4) of a campaign, HTML with a trend chart")
    p.add_argument("--campaign", required=True)
    p.add_argument("--week", required=True, help="ISO week, e.g. 2026-W48")
    p.add_argument("--output", default="report", help="directory for weekly-<week>.html and .png")
    store_arg(p)
    p.set_defaults(func=weekly_command)
