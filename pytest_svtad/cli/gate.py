"""``svtad gate sign|withdraw|show|history``: the sign-offs of the generic Entry Criteria 12.5(a), (b) and (e) per
Test Phase (stage + release) and campaign, with who and when. (c) and (d) are checked by the harness at each
session's start (``plugin/entry_checks.py``); ``show`` says what it would find for (c) given ``--ttm``.

Parsing and printing only: the rules are ``rules.entry_criteria``, the rows ``store.gates``.
"""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pytest_svtad.cli.input import plan_date
from pytest_svtad.errors import SvtadInputError
from pytest_svtad.rules import appendix_ak as ak
from pytest_svtad.rules import entry_criteria as rules
from pytest_svtad.store.db import Store
from pytest_svtad.store.existing import open_existing
from pytest_svtad.store.issues import whoami
from pytest_svtad.urls import default_url, store_url

AGREEMENT = re.compile(r"^\s*(?P<who>\S.*?)\s+on\s+(?P<day>\d{4}-\d{2}-\d{2})\s*$")


def _url(args: argparse.Namespace) -> str:
    return store_url(args.store, Path.cwd()) if args.store else default_url(Path.cwd())


def _phase(args: argparse.Namespace) -> tuple[str, str | None, str | None]:
    stage = str(args.stage).upper()
    if stage not in ak.STAGES:
        raise SvtadInputError("--stage", f"unknown stage '{args.stage}'; expected one of {', '.join(ak.STAGES)}")
    release = str(args.release).upper() if args.release else None
    if release is not None and release not in ak.RELEASES:
        raise SvtadInputError("--release", f"unknown Capability Release '{args.release}'; expected one of "
                              f"{', '.join(ak.RELEASES)}")
    return stage, release, args.campaign or None


def _agreement(text: str | None, option: str) -> str:
    """'WHO on YYYY-MM-DD', checked (5.7: the TAG's review, the Panel's agreement)."""
    if not text:
        return ""
    match = AGREEMENT.match(text)
    if match is None:
        raise SvtadInputError(option, f"expected 'WHO on YYYY-MM-DD', got '{text}'")
    plan_date(match["day"], option)
    return f"{match['who']} on {match['day']}"


def _sign(args: argparse.Namespace, stage: str, release: str | None, campaign: str | None) -> int:
    from pytest_svtad.store.gates import GateRepository

    signed_on = plan_date(args.on, "--on") if args.on else datetime.now(UTC).date()
    if signed_on > datetime.now(UTC).date():
        raise SvtadInputError("--on", f"{signed_on.isoformat()} is in the future: a sign-off is recorded once given")
    basis = args.basis or ("certificates" if args.criterion == "b" else "")
    if args.criterion != "b" and (args.basis or args.tag_reviewed or args.panel_agreed):
        raise SvtadInputError("--basis", "--basis, --tag-reviewed and --panel-agreed are for 12.5(b) only")
    details = {key: value for key, value in (("tag_reviewed", _agreement(args.tag_reviewed, "--tag-reviewed")),
                                             ("panel_agreed", _agreement(args.panel_agreed, "--panel-agreed")))
               if value}
    signoff = rules.SignOff(args.criterion, args.by or whoami(), signed_on, args.reference or "", basis, details)
    problem = rules.check_signoff(signoff)
    if problem:
        raise SvtadInputError(f"svtad gate sign {args.criterion}", problem)
    store = Store(_url(args))
    GateRepository(store).sign(signoff, stage=stage, release=release, campaign=campaign, why=args.why or "")
    print(f"12.5({args.criterion}) signed off for {rules.phase_name(stage, release, campaign)} in {store.name}: "
          f"{signoff.describe()}")
    return 0


def _show(args: argparse.Namespace, stage: str, release: str | None, campaign: str | None) -> int:
    from pytest_svtad.store.gates import GateRepository

    store = open_existing(_url(args))
    found = GateRepository(store).current(stage=stage, release=release, campaign=campaign)
    print(f"Entry Criteria (12.5) of {rules.phase_name(stage, release, campaign)} in {store.name}:")
    for criterion in ("a", "b", "c", "d", "e"):
        if criterion in rules.SIGNED_CRITERIA:
            signoff = found.get(criterion)
            state = signoff.describe() if signoff else f"not recorded (svtad gate sign {criterion})"
        elif criterion == "c":
            state = _ttm_state(args, stage, release)
        else:
            state = ("checked by the harness at each session's start: every device of every selected DMC read "
                     "with SRV 11.2 through its link against its profile's firmware (8.5(c))")
        print(f"  ({criterion}) {rules.WHAT[criterion]}: {state}")
    return 0


def _ttm_state(args: argparse.Namespace, stage: str, release: str | None) -> str:
    if not args.ttm:
        return ("checked by the harness at each session's start (give --ttm to check a TTM's assurance header "
                "now)" if not (stage == "SIT" and release == "IOC") else "not required for SIT for IOC")
    from pytest_svtad.files.datafiles import load_ttm

    ttm = load_ttm(Path(args.ttm))
    item = rules.ttm_item(stage, release, rules.TtmAssurance(ttm.source, ttm.ttm_id, ttm.version, ttm.assured_on,
                                                             ttm.assured_by), datetime.now(UTC).date())
    return item.line().split(": ", 1)[1] if item.status == rules.MET else item.line()


def gate_command(args: argparse.Namespace) -> int:
    from pytest_svtad.store.gates import GateRepository

    stage, release, campaign = _phase(args)
    if args.action == "sign":
        return _sign(args, stage, release, campaign)
    if args.action == "show":
        return _show(args, stage, release, campaign)
    if args.action == "withdraw":
        if not args.why:
            raise SvtadInputError("--why", "a withdrawal needs its reason")
        store = open_existing(_url(args))
        GateRepository(store).withdraw(args.criterion, stage=stage, release=release, campaign=campaign,
                                       who=args.by or whoami(), why=args.why)
        print(f"12.5({args.criterion}) withdrawn for {rules.phase_name(stage, release, campaign)}: {args.why}")
        return 0
    events = GateRepository(open_existing(_url(args))).history(stage=stage, release=release, campaign=campaign)
    if not events:
        print(f"no Entry Criteria sign-off recorded for {rules.phase_name(stage, release, campaign)}")
    for event in events:
        print(event.line())
    return 0


def add_gate_command(sub: Any) -> None:
    p = sub.add_parser("gate", help="Entry Criteria (12.5) of a Test Phase: sign off (a) test plan, (b) precursor "
                       "Test Completion Certificates or a 5.7 overlap, (e) approval to proceed; show, history")
    p.add_argument("action", choices=["sign", "withdraw", "show", "history"],
                   help="sign or withdraw a sign-off; show the five criteria of the phase; history of its sign-offs")
    p.add_argument("criterion", nargs="?", choices=list(rules.SIGNED_CRITERIA),
                   help="sign / withdraw: a, b or e ((c) and (d) are checked by the harness)")
    p.add_argument("--stage", required=True, help=f"the Test Phase's stage: {', '.join(ak.STAGES)}")
    p.add_argument("--release", help=f"its Capability Release: {', '.join(ak.RELEASES)} (default: none)")
    p.add_argument("--campaign", help="its campaign (default: none), as --svtad-campaign")
    p.add_argument("--by", help="who gave the sign-off (default: the OS user)")
    p.add_argument("--on", help="the date it was given, YYYY-MM-DD (default: today)")
    p.add_argument("--reference", help="(a) the signed test plan; (b) the Test Completion Certificate(s); (e) the "
                   "approval to proceed certificate")
    p.add_argument("--basis", choices=list(rules.B_BASES),
                   help="(b) certificates (default): precursor TCCs issued; overlap: 5.7 (needs --tag-reviewed and "
                   "--panel-agreed); none: no precursor Test Phase")
    p.add_argument("--tag-reviewed", help="(b) overlap: the TAG's prior review, 'WHO on YYYY-MM-DD' (5.7)")
    p.add_argument("--panel-agreed", help="(b) overlap: the Panel's agreement, 'WHO on YYYY-MM-DD' (5.7)")
    p.add_argument("--why", help="a note kept with the row (required to withdraw)")
    p.add_argument("--ttm", help="show: check this TTM's assurance header for (c) now")
    p.add_argument("--store", help="store URL or SQLite path (default .svtad/svtad.db here)")
    p.set_defaults(func=_checked_gate_command)


def _checked_gate_command(args: argparse.Namespace) -> int:
    if args.action in ("sign", "withdraw") and not args.criterion:
        raise SvtadInputError(f"svtad gate {args.action}", "expected the criterion: a, b or e")
    return gate_command(args)
