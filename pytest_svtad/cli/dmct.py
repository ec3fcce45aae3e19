"""``svtad dmct``: the DMCT Process of SVTAD Clause 20 from the command line, in the order a DCC runs it:
``windows`` (20.2), ``import`` (20.2-20.4), ``source`` (20.4-20.5), ``consider`` (20.6-20.7), ``notices`` (20.11,
20.18), ``disagree`` (20.12), ``transition`` (any other move, e.g. into test), ``route`` (20.19-20.25),
``unavailable`` (20.18), ``status`` (20.8) and ``dashboard``; ``history`` shows one DMC's trail.

Parsing and printing only: the rules are ``pytest_svtad.rules.dmct_process``, the records ``pytest_svtad.store.dmct``,
the outputs ``pytest_svtad.reports.dmct_dashboard`` and ``dmct_notices``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pytest_svtad.cli.dmct_schedule import add_schedule_parser
from pytest_svtad.cli.input import output_folder, plan_date, write_output_file
from pytest_svtad.errors import SvtadInputError
from pytest_svtad.files.calendar import REGIONS, bank_holidays
from pytest_svtad.files.dmct_submissions import load_submissions
from pytest_svtad.reports import dmct_dashboard as dash
from pytest_svtad.reports import dmct_notices as notices
from pytest_svtad.rules import dmct_process as rules
from pytest_svtad.rules.dmct_process import DmctProcessError, Status
from pytest_svtad.store import Store, StoreError, default_url, store_url
from pytest_svtad.store.dmct import DmctRegister, read_settings, write_setting
from pytest_svtad.store.existing import open_existing

HORIZON_YEARS = 3  # how far ahead ``windows`` lists by default


def _url(args: argparse.Namespace) -> str:
    return store_url(args.store, Path.cwd()) if args.store else default_url(Path.cwd())


def _register(args: argparse.Namespace, create: bool = False) -> DmctRegister:
    return DmctRegister(Store(_url(args)) if create else open_existing(_url(args)))


def _on(args: argparse.Namespace) -> date | None:
    return plan_date(args.on, "--on") if getattr(args, "on", None) else None


def _region(value: str) -> str:
    if value.upper() not in REGIONS:
        raise SvtadInputError("--region", f"unknown region '{value}'; expected one of {', '.join(REGIONS)}")
    return value.upper()


def _holidays(effective: date, until: date, region: str) -> frozenset[date]:
    return bank_holidays(effective - timedelta(days=31), until + timedelta(days=62), region)


def _windows(args: argparse.Namespace) -> int:
    effective = plan_date(args.effective, "--effective")
    until = plan_date(args.until, "--until") if args.until else date(effective.year + HORIZON_YEARS, 12, 31)
    if until < effective:
        raise SvtadInputError("--until", f"{until} is before the effective date {effective}")
    region = _region(args.region)
    print(f"Submission windows (20.2) for Clause 20 effective {effective}; Working Days of "
          f"{REGIONS[region]}; submissions in the month's first 5 Working Days; the DCC's data request with "
          "at least 10 whole Working Days before the month")
    for window in rules.submission_windows(effective, until, _holidays(effective, until, region)):
        print(f"{window.month:%B %Y}: data request by {window.data_request_by}; submissions "
              f"{window.opens} to {window.closes}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from pytest_svtad.smets1.profiles import load_profiles

    profiles = Path(args.profiles)
    known = set(load_profiles(profiles).dmcs) if profiles.is_dir() else set()
    if not profiles.is_dir() and args.profiles != "device_profiles":
        raise SvtadInputError("--profiles", f"'{profiles}' is not a folder of device profiles")
    submissions = load_submissions(Path(args.file), known)
    effective = plan_date(args.effective, "--effective") if args.effective else None
    region = _region(args.region) if args.region else None
    register = _register(args, create=True)
    for sub in submissions:  # 20.3 needs data to refer to: checked for every line before any is recorded
        if sub.unchanged and not register.submissions(dmc=sub.dmc, supplier=sub.supplier):
            raise SvtadInputError(sub.source, f"{sub.supplier} confirms DMC {sub.dmc} unchanged (20.3) but has "
                                  "submitted no data for it before")
    if effective:
        write_setting(register.store, "effective", effective.isoformat())
    if region:
        write_setting(register.store, "region", region)
    settings = read_settings(register.store)
    stored_effective = date.fromisoformat(settings["effective"]) if "effective" in settings else None
    region = settings.get("region", "ENG")
    late: list[str] = []
    for sub in submissions:
        window = None
        if stored_effective is not None:
            holidays = _holidays(stored_effective, sub.received, region)
            found = rules.window_for(sub.received, stored_effective, holidays)
            window = found.month if found else None
            if found is None:
                late.append(f"{sub.source}: {sub.supplier} {sub.dmc} received {sub.received}, outside every "
                            "20.2 window")
        record = register.submit(sub, window=window, who=args.by)
        print(f"{sub.dmc:<14} {record.status.value:<14} {sub.supplier}"
              + (" (unchanged, 20.3)" if sub.unchanged else "")
              + (f" (DCC to source: {', '.join(sub.missing)}, 20.4)" if sub.missing else "")
              + (" (submitted only: not in the device profiles)" if sub.submitted_only else ""))
    print(f"{len(submissions)} submission(s) from {args.file} recorded in {register.store.name}")
    if stored_effective is None:
        print("note: submission windows not checked: the date Clause 20 took effect is not recorded "
              "(give --effective DATE once)")
    for line in late:
        print(f"note: {line}")
    return 0


def _status(args: argparse.Namespace) -> int:
    register = _register(args)
    as_of = plan_date(args.as_of, "--as-of") if args.as_of else None
    records = register.status_list(as_of)
    for line in dash.status_lines(records, as_of):
        print(line)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if args.csv:
        write_output_file(Path(args.csv), dash.status_csv(records), "--csv")
        print(f"CSV: {args.csv}")
    if args.html:
        write_output_file(Path(args.html), dash.status_list_html(records, as_of=as_of, generated=stamp), "--html")
        print(f"HTML: {args.html}")
    return 0


def _history(args: argparse.Namespace) -> int:
    register = _register(args)
    register.dmc(args.dmc)
    for event in register.history(args.dmc):
        print(f"{event['on_date']}  {event['old'] or '-'} -> {event['new']}  by {event['who']}"
              f"{'  [' + event['clause'] + ']' if event['clause'] else ''}  {event['why']}")
    for route in register.routes(args.dmc):
        print(f"{route['on_date']}  Testing Issue {route['issue_id']}: route ({route['route']}) {route['clause']}: "
              f"{route['consequence']}" + (f"; resolution: {route['resolution']}" if route["resolution"] else ""))
    return 0


def _source(args: argparse.Namespace) -> int:
    register = _register(args)
    if args.unsourced:
        record = register.exclude(args.dmc, rules.REASONS["unsourced-data"], why=args.why, on=_on(args),
                                  who=args.by)
    else:
        record = register.transition(args.dmc, Status.DATA_COMPLETE, why=args.why, on=_on(args), who=args.by,
                                     clause="20.4")
    print(f"{record.dmc}: {record.status.value} ({record.clause})")
    return 0


def _consider(args: argparse.Namespace) -> int:
    register = _register(args)
    if args.include:
        record = register.transition(args.dmc, Status.CONSIDERED, why=args.why or "none of 20.6(a)-(f) applies",
                                     on=_on(args), who=args.by, clause="20.6")
    else:
        reason = rules.parse_reason(args.reason)
        if reason.code not in rules.CONSIDERATION_REASONS:
            raise DmctProcessError(f"--reason {args.reason}: consideration takes one of 20.6(a)-(f)")
        record = register.exclude(args.dmc, reason, why=args.why or "", rationale=args.rationale or "",
                                  equivalent=args.equivalent or "", sos_decision=args.sos_decision or "",
                                  on=_on(args), who=args.by)
    print(f"{record.dmc}: {record.status.value}" + (f" ({record.reason_clause})" if record.reason else ""))
    return 0


def _disagree(args: argparse.Namespace) -> int:
    record = _register(args).disagree(args.dmc, supplier=args.supplier, why=args.why, on=_on(args), who=args.by)
    print(f"{record.dmc}: {record.status.value} ({record.clause})")
    return 0


def _transition(args: argparse.Namespace) -> int:
    status = rules.parse_status(args.status)
    if status in (Status.EXCLUDED,):
        raise DmctProcessError("use 'svtad dmct consider --reason' (or 'source --unsourced') to exclude a DMC: "
                               "an exclusion needs its reason")
    record = _register(args).transition(args.dmc, status, why=args.why, on=_on(args), who=args.by,
                                        clause=args.clause or "")
    print(f"{record.dmc}: {record.status.value}")
    return 0


def _yes_no(value: str | None, option: str) -> bool | None:
    if value is None:
        return None
    if value.lower() in ("yes", "no"):
        return value.lower() == "yes"
    raise SvtadInputError(option, f"expected yes or no, got '{value}'")


def _route(args: argparse.Namespace) -> int:
    register = _register(args)
    route = args.route.strip("() ").lower()
    outcome = rules.route_outcome(route, device_change=args.device_change,
                                  sos_agreed=_yes_no(args.sos_agreed, "--sos-agreed"),
                                  material_impact=args.material_impact,
                                  draft_published=_yes_no(args.draft_published, "--draft-published"))
    known = {issue["id"] for issue in register.store.issues() if issue["stage"] in ("DMCT-MT", "DMCT-SRVT")}
    record = register.record_route(args.dmc, args.issue, route, outcome=outcome, device_change=args.device_change,
                                   resolution=args.resolution or "", on=_on(args), who=args.by)
    print(f"{record.dmc}: Testing Issue {args.issue}, route ({route}) {outcome.clause}: {outcome.consequence}")
    print(f"{record.dmc}: now {record.status.value}")
    if outcome.revise_schedule:
        print("note: revise the DMC's completion dates on the DMCT Schedule and re-run the test pack (20.20)")
    if outcome.reconsider:
        print("note: the DCC recommends another route of 20.19 (svtad dmct route again)")
    if args.issue not in known:
        print(f"note: {args.issue} is not a DMCT Testing Issue in {register.store.name} (route recorded anyway)")
    return 0


def _unavailable(args: argparse.Namespace) -> int:
    record = _register(args).transition(args.dmc, Status.DEVICES_UNAVAILABLE, why=args.why, on=_on(args),
                                        who=args.by, clause="20.18")
    print(f"{record.dmc}: {record.status.value} (20.18): 'svtad dmct notices' writes the notice")
    return 0


def _next_submission(register: DmctRegister, after: date) -> date | None:
    settings = read_settings(register.store)
    if "effective" not in settings:
        return None
    effective = date.fromisoformat(settings["effective"])
    until = after + timedelta(days=100)
    for window in rules.submission_windows(effective, until, _holidays(effective, until,
                                                                       settings.get("region", "ENG"))):
        if window.opens > after:
            return window.opens
    return None


def _notices(args: argparse.Namespace) -> int:
    register = _register(args)
    as_of = plan_date(args.as_of, "--as-of") if args.as_of else None
    records = register.status_list(as_of)
    out = output_folder(Path(args.out), "--out")
    texts = notices.supplier_notices(records, as_of=as_of,
                                     next_submission=_next_submission(register, as_of or datetime.now(UTC).date()))
    taken: set[str] = set()
    for supplier, text in texts.items():
        name = notices.notice_file_name(supplier, taken)
        taken.add(name)
        path = out / name
        write_output_file(path, text, "--out")
        print(f"{supplier}: {path}")
    gone = notices.devices_unavailable_notice(records, as_of=as_of)
    if gone:
        path = out / "dmct-notice-devices-unavailable.txt"
        write_output_file(path, gone, "--out")
        print(f"20.18 devices no longer available: {path}")
    if not texts and not gone:
        print("no notices: no DMC is excluded or without devices")
    return 0


def schedule_bars(register: DmctRegister) -> tuple[list[dash.TimelineBar], str]:
    """The latest published DMCT Schedule's planned dates for the timeline (``reports.dmct_schedule``)."""
    from pytest_svtad.reports.dmct_schedule import timeline_bars
    from pytest_svtad.store.dmct_schedule import ScheduleRepository

    published = ScheduleRepository(register.store).published()
    if published is None:
        return [], "no DMCT Schedule published in this store (svtad dmct schedule import FILE, then publish)"
    return timeline_bars(published.schedule), f"DMCT Schedule {published.label()}"


def _dashboard(args: argparse.Namespace) -> int:
    register = _register(args)
    as_of = plan_date(args.as_of, "--as-of") if args.as_of else None
    records = register.status_list(as_of)
    bars, note = schedule_bars(register)
    routes = [r for r in register.routes() if as_of is None or r["on_date"] <= as_of.isoformat()]
    page = dash.dashboard_html(records, as_of=as_of, timeline=bars, routes=routes, schedule_note=note,
                               generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    write_output_file(Path(args.out), page, "--out")
    print(f"DMCT dashboard: {args.out} ({len(records)} DMC(s))")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run a ``dmct`` subcommand; a change the process refuses is one line and exit status 2."""
    try:
        return int(args.dmct_func(args))
    except DmctProcessError as exc:
        print(f"svtad: error: {exc}", file=sys.stderr)
        return 2


def _common(p: argparse.ArgumentParser, change: bool = False) -> None:
    p.add_argument("--store", help="store URL or SQLite path (default .svtad/svtad.db here)")
    if change:
        p.add_argument("--by", help="who makes the change, for its history (default: the OS user)")
        p.add_argument("--on", help="the date the change took effect, YYYY-MM-DD (default: today)")


def add_dmct_command(sub: Any) -> None:
    top = sub.add_parser("dmct", help="the DMCT Process (Clause 20): submissions, Status List, consideration, "
                         "notices, Testing Issue routes, dashboard")
    cmds = top.add_subparsers(dest="dmct_command", metavar="STEP", required=True)
    top.set_defaults(func=run)

    def command(name: str, func: Any, text: str, change: bool = False) -> argparse.ArgumentParser:
        p = cmds.add_parser(name, help=text, description=text)
        p.set_defaults(dmct_func=func)
        _common(p, change)
        return p

    p = command("windows", _windows, "the 20.2 submission windows and DCC data request dates, in Working Days")
    p.add_argument("--effective", required=True, help="the date Clause 20 took effect, YYYY-MM-DD")
    p.add_argument("--until", help="last month to list, YYYY-MM-DD (default: the end of the third year after)")
    p.add_argument("--region", default="ENG", help="bank holidays: ENG (England and Wales, default), WLS, SCT, NIR")
    p = command("import", _import, "record Supplier Party submissions (CSV or YAML, 20.2-20.4)", change=True)
    p.add_argument("file", help="the submission file (.csv, .yaml)")
    p.add_argument("--profiles", default="device_profiles",
                   help="device profiles folder: a DMC not in it needs submitted_only (default: device_profiles)")
    p.add_argument("--effective", help="the date Clause 20 took effect, YYYY-MM-DD, recorded once for the "
                   "20.2 windows (the seeds give no date)")
    p.add_argument("--region", help="Working Day region for the windows, recorded (default ENG)")
    p = command("status", _status, "the DMCT Status List (20.8), printed and exported")
    p.add_argument("--as-of", help="the list as it stood on this date, YYYY-MM-DD (default: now)")
    p.add_argument("--csv", help="also write the list as CSV to this file")
    p.add_argument("--html", help="also write the list as HTML to this file")
    p = command("history", _history, "one DMC's transitions (date, who, why) and Testing Issue routes")
    p.add_argument("dmc", help="the DMC id, as on the DMCT Status List")
    p = command("source", _source, "the DCC sourced the missing data (20.4), or could not (--unsourced, 20.5)",
                change=True)
    p.add_argument("dmc", help="the DMC id, as on the DMCT Status List")
    p.add_argument("--why", required=True, help="what was sourced from whom, or why it could not be")
    p.add_argument("--unsourced", action="store_true", help="the DCC could not source it: exclude (20.5)")
    p = command("consider", _consider, "20.6: include the DMC for scheduling, or exclude it for one of (a)-(f)",
                change=True)
    p.add_argument("dmc", help="the DMC id, as on the DMCT Status List")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--include", action="store_true", help="none of 20.6(a)-(f) applies: to be scheduled")
    which.add_argument("--reason", help="a, b, c, d, e or f (20.6)")
    p.add_argument("--rationale", help="the rationale (required for c, d, e: 20.11(b))")
    p.add_argument("--equivalent", help="(d): the equivalent DMC or EPCL entry")
    p.add_argument("--sos-decision", help="(f): the Secretary of State's decision (20.7)")
    p.add_argument("--why", help="note for the history (default: the reason's text)")
    p = command("notices", _notices, "write the per-Supplier-Party exclusion notices (20.11) and the 20.18 notice")
    p.add_argument("--out", required=True, help="folder for the notice files")
    p.add_argument("--as-of", help="the Status List of this date (default: now)")
    p = command("disagree", _disagree, "a Supplier Party disagrees with an exclusion (20.12)", change=True)
    p.add_argument("dmc", help="the DMC id, as on the DMCT Status List")
    p.add_argument("--supplier", required=True, help="the Supplier Party (it must have submitted the DMC)")
    p.add_argument("--why", required=True, help="the supplier's grounds")
    p = command("transition", _transition, "move a DMC to a status (checked against the process)", change=True)
    p.add_argument("dmc", help="the DMC id, as on the DMCT Status List")
    p.add_argument("status", help="one of: " + ", ".join(s.value for s in Status))
    p.add_argument("--why", required=True, help="why, for the history")
    p.add_argument("--clause", help="the clause it follows, for the history")
    p = command("route", _route, "the route (a)-(d) chosen for a DMCT Testing Issue and its consequence "
                "(20.19-20.25)", change=True)
    p.add_argument("dmc", help="the DMC id, as on the DMCT Status List")
    p.add_argument("--issue", required=True, help="the Testing Issue id")
    p.add_argument("--route", required=True, help="a, b, c or d (20.19)")
    p.add_argument("--device-change", choices=rules.DEVICE_CHANGES, help="(c): firmware, configuration or both")
    p.add_argument("--sos-agreed", help="yes or no: the Secretary of State agreed (b: 20.21; c: 20.23-20.24; "
                   "d: 20.25(b)); leave out while awaited")
    p.add_argument("--material-impact", action="store_true", help="(a): material impact on timescales (20.20(b))")
    p.add_argument("--draft-published", help="(d): yes or no, the draft Code change is published (20.25)")
    p.add_argument("--resolution", help="how the issue was resolved, for the DMCT Report (20.29(e))")
    p = command("unavailable", _unavailable, "testing commenced but devices are no longer available (20.18)",
                change=True)
    p.add_argument("dmc", help="the DMC id, as on the DMCT Status List")
    p.add_argument("--why", required=True, help="which devices, why")
    p = command("dashboard", _dashboard, "the HTML dashboard: counts per status, exclusions by reason, the "
                "schedule timeline, Testing Issue routes")
    p.add_argument("--out", required=True, help="the HTML file to write")
    p.add_argument("--as-of", help="the Status List of this date (default: now)")
    add_schedule_parser(cmds)  # svtad dmct schedule (cli/dmct_schedule.py)


__all__ = ["StoreError", "add_dmct_command", "run"]
