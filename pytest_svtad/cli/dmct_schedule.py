"""``svtad dmct schedule import|publish|show|diff`` (and ``--diff``): the DMCT Schedule (20.9-20.10, 20.17).

Parsing and printing only: reading the file is ``files.dmct_schedule``, versions and publishing
``store.dmct_schedule``, the rules ``rules.dmct_schedule``. ``add_schedule_parser`` adds ``schedule`` to the
subcommands of ``svtad dmct`` (``cli/dmct.py``).
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path
from typing import Any

from pytest_svtad.errors import SvtadInputError
from pytest_svtad.rules.appendix_ak import DMCT_STAGES
from pytest_svtad.rules.dmct_schedule import Schedule, diff
from pytest_svtad.store.db import Store
from pytest_svtad.store.existing import open_existing
from pytest_svtad.store.issues import StoreError
from pytest_svtad.urls import default_url, store_url
from pytest_svtad.wording import counted

ACTIONS = ("import", "publish", "show", "diff")


def _url(args: argparse.Namespace) -> str:
    return store_url(args.store, Path.cwd()) if args.store else default_url(Path.cwd())


def _known_dmcs(args: argparse.Namespace) -> set[str] | None:
    """The profiles' DMC ids a scheduled DMC must be one of (``--profiles``, else device_profiles/ if present)."""
    from pytest_svtad.smets1.profiles import load_profiles

    folder = Path(args.profiles) if args.profiles else Path("device_profiles")
    if args.profiles is None and not folder.is_dir():
        return None
    return set(load_profiles(folder).dmcs)


def schedule_table(schedule: Schedule) -> list[str]:
    """One line per planned EPCL entry (20.9(a)), then each DMC's packs (20.9(b)-(c))."""
    lines = [f"{'DMC':<12} {'EPCL entry':<16} {'installation':<12} {'planned start':<13} {'completion':<11}"]
    for dmc in sorted(schedule.dmcs):
        item = schedule.dmcs[dmc]
        for entry in item.entries:
            start = entry.planned_start.isoformat() if entry.planned_start else "-"
            end = entry.planned_completion.isoformat() if entry.planned_completion else "-"
            lines.append(f"{dmc:<12} {entry.entry:<16} {entry.installation:<12} {start:<13} {end:<11}")
        for stage in DMCT_STAGES:
            choice = item.packs.get(stage)
            lines.append(f"{'':<12} {stage}: " + (choice.describe() if choice else "not planned (20.14)"))
        if item.dormant_only_suffices:
            lines.append(f"{'':<12} the dormant-only entry suffices for its active and mixed entries (20.9)")
    return lines


def schedule_csv(schedule: Schedule) -> str:
    """The schedule in the import CSV's columns (a published version can be edited and imported again)."""
    from pytest_svtad.files.dmct_schedule import CSV_COLUMNS, STAGE_PREFIX

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for dmc in sorted(schedule.dmcs):
        item = schedule.dmcs[dmc]
        for number, entry in enumerate(item.entries):
            row: dict[str, Any] = {"dmc": dmc, "epcl_entry": entry.entry, "installation": entry.installation,
                                   "planned_start": entry.planned_start or "",
                                   "planned_completion": entry.planned_completion or ""}
            if number == 0:
                row["dormant_only_suffices"] = "yes" if item.dormant_only_suffices else "no"
                for stage, prefix in STAGE_PREFIX.items():
                    choice = item.packs.get(stage)
                    if choice is not None:
                        row.update({f"{prefix}_pack": choice.pack, f"{prefix}_standard": "yes" if choice.standard
                                    else "no", f"{prefix}_rationale": choice.rationale,
                                    f"{prefix}_tag_agreed": "yes" if choice.tag_agreed else "no",
                                    f"{prefix}_secretary_of_state": choice.secretary_of_state})
            writer.writerow(row)
    return out.getvalue()


def schedule_command(args: argparse.Namespace) -> int:
    from pytest_svtad.store.dmct_schedule import ScheduleRepository, publish_schedule

    action = "diff" if args.diff else args.action
    if action is None:
        raise SvtadInputError("svtad dmct schedule", f"expected an action: {', '.join(ACTIONS)} (or --diff)")
    if action == "import":
        if not args.file:
            raise SvtadInputError("svtad dmct schedule import", "expected the schedule file (CSV or YAML)")
        from pytest_svtad.files.dmct_schedule import load_schedule

        schedule = load_schedule(Path(args.file), _known_dmcs(args))
        store = Store(_url(args))
        repository = ScheduleRepository(store)
        draft = repository.import_draft(schedule, str(args.file), args.by)
        before = repository.published()
        print(f"imported {counted(len(schedule.dmcs), 'scheduled DMC')} from {args.file} into {store.name} as "
              f"{draft.label()}; not published yet (svtad dmct schedule publish)")
        changes = diff(before.schedule if before else None, schedule)
        print(f"changes from {before.label() if before else 'nothing published yet'}: "
              f"{counted(len(changes), 'change')}")
        for change in changes:
            print(f"  {change.line()}")
        return 0
    if action == "publish":
        from pytest_svtad.rules.dmct_process import DmctProcessError

        try:
            outcome = publish_schedule(Store(_url(args)), args.by)
        except DmctProcessError as exc:  # a DMC the Status List does not let become scheduled: nothing published
            raise StoreError(f"{exc}; nothing published") from None
        print(f"published DMCT Schedule {outcome.published.label()} ({counted(len(outcome.changes), 'change')} "
              "from the previously published one; 20.10: publish it on the DCC Website, notify Supplier Parties, the "
              "Panel, the Authority and the Secretary of State, and give it to SECAS)")
        for change in outcome.changes:
            print(f"  {change.line()}")
        if outcome.moved:
            print(f"DMCT Status List: {', '.join(outcome.moved)} now 'scheduled' (20.8)")
        for note in outcome.notes:
            print(f"note: {note}")
        return 0
    store = open_existing(_url(args))
    repository = ScheduleRepository(store)
    if action == "show":
        shown = repository.draft() if args.draft else repository.published(args.version)
        if shown is None:
            what = "draft" if args.draft else f"published version {args.version}" if args.version else \
                "published DMCT Schedule"
            raise StoreError(f"no {what} in store {store.name}")
        if args.csv:
            print(schedule_csv(shown.schedule), end="")
            return 0
        print(f"DMCT Schedule {shown.label()} (from {shown.source or 'unknown'}): "
              f"{counted(len(shown.schedule.dmcs), 'DMC')}")
        for line in schedule_table(shown.schedule):
            print(line)
        return 0
    before, after, changes = repository.changes(args.version)
    print(f"DMCT Schedule {after.label()}: changes from "
          f"{before.label() if before else 'nothing (the first published version)'} (20.9): "
          f"{counted(len(changes), 'change')}")
    for change in changes:
        print(f"  {change.line()}")
    return 0


def add_schedule_parser(dmct_sub: Any) -> None:
    """``schedule`` under ``svtad dmct``."""
    p = dmct_sub.add_parser("schedule", help="the DMCT Schedule (20.9-20.10): import a draft from CSV/YAML, publish "
                            "it as the next version, show a version, or --diff against the previous one")
    p.add_argument("action", nargs="?", choices=ACTIONS,
                   help="import FILE: keep it as the draft; publish: the draft becomes the next version and its new "
                   "or changed DMCs 'scheduled' on the Status List; show: a version (default the latest published); "
                   "diff: the same as --diff")
    p.add_argument("file", nargs="?", help="import: the schedule, CSV or YAML (docs/dmct-schedule.md)")
    p.add_argument("--diff", action="store_true",
                   help="the changes of the latest published version (or --version N) from the one before (20.9)")
    p.add_argument("--version", type=int, help="show / --diff: this published version (default: the latest)")
    p.add_argument("--draft", action="store_true", help="show: the draft imported, not yet published")
    p.add_argument("--csv", action="store_true", help="show: print the version as import CSV")
    p.add_argument("--profiles", help="import: device profiles directory; a scheduled DMC must be one of its DMCs "
                   "(default: device_profiles/ if present, else any id)")
    p.add_argument("--by", help="who imports or publishes (default: the OS user)")
    p.add_argument("--store", help="store URL or SQLite path (default .svtad/svtad.db here)")
    p.set_defaults(func=schedule_command, dmct_func=schedule_command)

