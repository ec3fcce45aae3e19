"""``svtad issues``, ``svtad workoff`` and ``svtad weekly``: the test manager's view of the store (``svtad verdict
--campaign``: ``pytest_svtad.cli.verdict``)."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pytest_svtad.cli.input import plan_date, write_output_file
from pytest_svtad.errors import SvtadInputError
from pytest_svtad.files.calendar import REGIONS, bank_holidays
from pytest_svtad.rules import appendix_ak as ak
from pytest_svtad.rules import issue_lifecycle as lifecycle
from pytest_svtad.rules.issue_lifecycle import LifecycleError
from pytest_svtad.rules.issues import STORED_FIELDS
from pytest_svtad.rules.workoff import WorkOffItem, work_off_plan
from pytest_svtad.store import Store, default_url, store_url
from pytest_svtad.store.campaign import phase_issues
from pytest_svtad.store.existing import open_existing
from pytest_svtad.store.issues import whoami
from pytest_svtad.wording import counted, shortened

# `issues show`: the record's stored fields in its order (agreements to count it in a phase get lines of their own),
# then when the store first and last saw it and closed it
SHOWN_FIELDS = tuple(name for name in STORED_FIELDS if name != "count_in") + ("first_seen", "last_seen", "closed_at")

def _store(args: argparse.Namespace) -> Store:
    """The store the command reads (and, for issue changes, updates): it must exist already."""
    return open_existing(store_url(args.store, Path.cwd()) if args.store else default_url(Path.cwd()))


def _date(text: str, what: str) -> date:
    return plan_date(text, what)


def _campaign_phase(store: Store, campaign: str, stage: str | None = None) -> tuple[str, str | None]:
    """The campaign's Test Phase: ``stage`` (default: its newest run's stage) and that stage's release."""
    runs = store.runs(campaign)
    if not runs:
        raise SvtadInputError("--campaign", f"no runs of campaign '{campaign}' in {store.name}")
    if stage is not None:
        runs = [run for run in runs if run["stage"] == stage.upper()]
        if not runs:
            raise SvtadInputError("--stage", f"campaign '{campaign}' has no run of stage {stage.upper()}")
    return runs[-1]["stage"], runs[-1]["release"]


def _stage(value: str | None, what: str = "--stage") -> str | None:
    if value is None:
        return None
    if value.upper() not in ak.STAGES:
        raise SvtadInputError(what, f"unknown stage '{value}'; expected one of {', '.join(ak.STAGES)}")
    return value.upper()


def _release(value: str | None) -> str | None:
    if value is None:
        return None
    if value.upper() not in ak.RELEASES:
        raise SvtadInputError("--release", f"unknown Capability Release '{value}'; expected one of "
                              f"{', '.join(ak.RELEASES)}")
    return value.upper()


def _text(value: Any) -> str:
    """A value for a person: nothing as "-", booleans yes/no, lists comma-separated, times to the second."""
    if value is None or value == "" or value == []:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value)
    if isinstance(value, datetime):
        stamp = value.astimezone(UTC) if value.tzinfo else value  # SQLite gives back UTC without its zone
        return stamp.strftime("%Y-%m-%d %H:%M:%S UTC")
    return {"true": "yes", "false": "no"}.get(str(value), str(value))  # trails written before yes/no


def _show(store: Store, row: dict[str, Any]) -> None:
    for key in SHOWN_FIELDS:
        print(f"{key:>12}: {_text(row.get(key))}")
    for entry in row.get("count_in") or []:
        print(f"{'counted in':>12}: {entry.get('stage')} {entry.get('release') or ''} ({entry.get('clause')}: "
              f"{entry.get('agreement')})")
    history = store.history(row["uid"])
    if history:
        print(f"{'history':>12}:")
        for event in history:
            change = (f"{event['change']}: {_text(event['old'])} -> {_text(event['new'])}"
                      if event["old"] or event["new"] else event["change"])
            print(f"{'':>14}{_text(event['at'])} {event['who'] or '-'}: {change}"
                  + (f" ({event['why']})" if event["why"] else ""))
    if row["status"] == "excluded" and not row["tag_agreed"]:
        print("note: excluded without TAG agreement: it still counts against the thresholds (13.20)")
    if row["cause"] == "device":
        print("note: device-caused: not counted against Table 13.2 (13.19); counted for its DMC in DMCT (20.19(c))")


def _needs(exc: LifecycleError, action: str) -> str:
    """The option that gives what a refused change lacks (set-severity, set-cause, set-provider take a value)."""
    if action.startswith("set-") and exc.needs in ("severity", "cause", "provider"):
        return ""
    return f"; give it with --{exc.needs.replace('_', '-')}"


def _change(store: Store, action: str, row: dict[str, Any], args: argparse.Namespace, who: str,
            release: str | None) -> dict[str, Any]:
    why = args.reason or ""
    uid = row["uid"]
    if action == "set-severity":
        return store.apply(uid, lambda issue: lifecycle.set_severity(issue, args.value, why), who)
    if action == "set-cause":
        return store.apply(uid, lambda issue: lifecycle.set_cause(issue, args.value, why), who)
    if action == "set-provider":
        return store.apply(uid, lambda issue: lifecycle.set_provider(issue, args.value, why), who)
    if action == "close":
        return store.apply(uid, lambda issue: lifecycle.close(issue, why), who)
    if action == "reopen":
        return store.apply(uid, lambda issue: lifecycle.reopen(issue, why), who)
    if action == "exclude":  # (13.20): counted again unless the TAG agreed
        return store.apply(uid, lambda issue: lifecycle.exclude(issue, args.rationale, args.tag_agreed, why), who)
    if action == "count-in":
        target = _stage(args.value, "count-in STAGE")
        if target is None:
            raise SvtadInputError("count-in", "expected the stage to count it in (e.g. SIT) and --agreement "
                                  "(the TAG's agreement, 13.22-13.23)")
        return store.apply(uid, lambda issue: lifecycle.count_in(issue, target, release or row["release"],
                                                                 args.agreement), who)
    return row  # show


def issues_command(args: argparse.Namespace) -> int:
    action = args.action
    stage, release = _stage(args.stage), _release(args.release)
    if action != "list" and not args.issue_id:
        raise SvtadInputError(f"issues {action}", "expected the Testing Issue id, e.g. svtad issues "
                              f"{action} TI-1A2B3C4D")
    store = _store(args)
    if action == "list":
        rows = store.issues(campaign=args.campaign, stage=stage, release=release, status=args.status)
        if args.campaign and not rows and not store.runs(args.campaign):
            raise SvtadInputError("--campaign", f"no campaign '{args.campaign}' in {store.name} (no run and no "
                                  "Testing Issue names it)")
        for row in rows:
            print(f"{row['id']:<14} S{row['severity']} {row['status']:<9} {row['cause']:<12} {row['stage']:<10} "
                  f"{row['release'] or '-':<4} {row['campaign'] or '-':<12} {','.join(row['dmcs']) or '-':<20} "
                  f"{shortened(row['title'], 80)}")
        print(f"{len(rows)} Testing Issue{'s' if len(rows) != 1 else ''} in {store.name}")
        return 0
    who = args.by or whoami()
    try:
        if action == "record":
            missing = [flag for flag, value in (("--title", args.title), ("--severity", args.severity),
                                                ("--stage", stage), ("--origin", args.origin)) if not value]
            if missing:
                raise SvtadInputError("issues record", f"needs {', '.join(missing)}")
            assert stage is not None
            severity = lifecycle.parse_severity(args.severity, args.issue_id)
            row = store.record_issue(issue_id=args.issue_id, title=args.title, severity=severity, stage=stage,
                                     release=release, campaign=args.campaign, origin=args.origin,
                                     cause=args.cause or ak.DEFAULT_CAUSE,
                                     provider=args.provider or ak.DEFAULT_PROVIDER, why=args.reason or "", who=who)
            if args.agreement:
                row = store.agree_count_in(row["uid"], stage=stage, release=release, agreement=args.agreement,
                                           clause="13.23(ii)", who=who)
        else:
            row = store.issue(args.issue_id, stage=stage, release=release, campaign=args.campaign)
            row = _change(store, action, row, args, who, release)
    except LifecycleError as exc:
        raise SvtadInputError(f"issues {action} {exc.source}", exc.message + _needs(exc, action)) from None
    _show(store, row)
    return 0


def _workoff_csv(items: list[WorkOffItem], tcc: date) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["issue_id", "severity", "due_date", "working_days", "tcc_date", "needs_correction_plan",
                     "error", "title", "status", "counted", "cause", "provider"])
    for item in items:
        writer.writerow([item.issue_id, item.severity, item.due_date or "", item.working_days or "", tcc,
                         str(item.needs_correction_plan).lower(), item.error, item.title, item.status,
                         str(item.counted).lower(), item.cause, item.provider])
    return out.getvalue()


def _workoff_html(items: list[WorkOffItem], tcc: date, campaign: str, region: str, today: date) -> str:
    from pytest_svtad.reports import html as reports_html

    return reports_html.page("workoff.html.j2", items=items, tcc=tcc, campaign=campaign, region=REGIONS[region],
                             today=today)


def workoff_command(args: argparse.Namespace) -> int:
    store = _store(args)
    tcc = _date(args.tcc_date, "--tcc-date")
    today = _date(args.today, "--today") if args.today else date.today()
    stage, release = _campaign_phase(store, args.campaign, _stage(args.stage))
    issues = phase_issues(store, args.campaign, stage, release)
    holidays = bank_holidays(tcc, date(tcc.year + 1, 12, 31), args.region)
    items = work_off_plan(issues, tcc, today, holidays)
    if args.record:
        plan_id = store.record_work_off_plan(stage=stage, release=release, campaign=args.campaign, tcc_date=tcc,
                                             items=items)
        print(f"Work Off Plan #{plan_id} of {stage} {release or ''} campaign '{args.campaign}' recorded in "
              f"{store.name}: {counted(len(items), 'item')} (12.6(h) checks them in the phases after it)",
              file=sys.stderr)
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


def weekly_command(args: argparse.Namespace) -> int:
    from pytest_svtad.cli.weekly import write_weekly

    path = write_weekly(_store(args), args.campaign, args.week, Path(args.output))
    print(f"weekly execution report: {path}")
    return 0


def add_store_commands(sub: Any) -> None:
    def store_arg(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--store", help="store URL or SQLite path (default .svtad/svtad.db here)")

    p = sub.add_parser("issues", help="Testing Issues in the store: list, show, set-severity, set-cause, "
                       "set-provider, close, reopen, exclude, count-in, record")
    p.add_argument("action", choices=["list", "show", "set-severity", "set-cause", "set-provider", "close",
                                      "reopen", "exclude", "count-in", "record"],
                   help="what to do (list needs no issue id)")
    p.add_argument("issue_id", nargs="?", help="the Testing Issue id, TI-... (every action but list)")
    p.add_argument("value", nargs="?", help="set-severity: 1-5; set-cause: dcc, device or undetermined; "
                   "set-provider: the DCC Service Provider; count-in: the stage to count it in (e.g. SIT)")
    p.add_argument("--campaign", help="the issue's campaign (list: filter; others: choose among phases)")
    p.add_argument("--stage", help="the issue's stage (list: filter; others: choose among phases; record: its phase)")
    p.add_argument("--release", help="the issue's Capability Release (as --stage)")
    p.add_argument("--status", choices=["open", "closed", "excluded"],
                   help="list: only issues in this status (default: every status)")
    p.add_argument("--reason", help="why: goes into the issue's history (required to close)")
    p.add_argument("--by", help="who makes the change, for its history (default: the OS user)")
    p.add_argument("--rationale", help="for exclude: why the issue should not count (13.20)")
    p.add_argument("--tag-agreed", action="store_true", help="for exclude: the TAG agreed the exclusion")
    p.add_argument("--agreement", help="for count-in and record: the TAG's agreement to count it (13.22, 13.23(ii))")
    p.add_argument("--title", help="for record: what the issue is")
    p.add_argument("--severity", help="for record: 1-5")
    p.add_argument("--origin", choices=["environment", "production", "participant"],
                   help="for record: where it was identified (13.23 (a)-(c))")
    p.add_argument("--cause", choices=list(ak.CAUSES), help="for record: dcc, device or undetermined (default)")
    p.add_argument("--provider", help="for record: the DCC Service Provider (default DCC)")
    store_arg(p)
    p.set_defaults(func=issues_command)

    p = sub.add_parser("workoff", help="Work Off Plan (15.1) of a campaign's open issues")
    p.add_argument("--campaign", required=True, help="the campaign whose open issues to plan")
    p.add_argument("--tcc-date", required=True, help="date of the Test Completion Certificate, YYYY-MM-DD")
    p.add_argument("--format", choices=["csv", "html"], default="csv", help="output format (default: csv)")
    p.add_argument("--region", default="ENG", help="bank holidays: ENG (England and Wales, default), WLS, SCT, NIR")
    p.add_argument("--today", help="date to judge lateness on (default today)")
    p.add_argument("--output", help="file to write (default standard output)")
    p.add_argument("--stage", help="the campaign's stage (default: its newest run's)")
    p.add_argument("--record", action="store_true",
                   help="record the plan in the store, so the phases after this one check it (12.6(h))")
    store_arg(p)
    p.set_defaults(func=workoff_command)

    p = sub.add_parser("weekly", help="weekly execution report (16.1-16.4) of a campaign, HTML with a trend chart")
    p.add_argument("--campaign", required=True, help="the campaign to report on")
    p.add_argument("--week", required=True, help="ISO week, e.g. 2026-W48")
    p.add_argument("--output", default="report", help="directory for weekly-<week>.html and .png (default: report)")
    store_arg(p)
    p.set_defaults(func=weekly_command)
