"""The ``svtad`` command: look at profiles, TTMs and verdicts without running pytest.

Subcommands: profiles, check, packs, verdict, and the store's issues, workoff, weekly (``svtad --help``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pytest_svtad import __version__
from pytest_svtad.cli.dmct import add_dmct_command
from pytest_svtad.cli.emulate_duis import add_duis_options
from pytest_svtad.cli.gate import add_gate_command
from pytest_svtad.cli.store import add_store_commands
from pytest_svtad.cli.store_import import add_store_import_command
from pytest_svtad.cli.verdict import add_verdict_command
from pytest_svtad.errors import SvtadInputError
from pytest_svtad.files.datafiles import load_criteria, load_ttm
from pytest_svtad.smets1.profiles import load_profiles
from pytest_svtad.store import StoreError
from pytest_svtad.wording import counted


def _profiles(args: argparse.Namespace) -> int:
    profiles = load_profiles(Path(args.dir))
    for dmc in profiles.dmcs.values():
        devices = ", ".join(f"{kind.value} {model.manufacturer} {model.model} fw {model.firmware}"
                            for kind, model in profiles.device_models(dmc).items())
        secrets = "; ".join(f"{kind.value} {name.replace('_', ' ')} {value}" for kind, held in dmc.secrets.items()
                            for name, value in held if value is not None)  # SecretStr prints masked
        print(f"{dmc.id:<10} {dmc.installation:<8} {dmc.name}  [{devices}]  link={dmc.link.kind}"
              + (f"  secrets: {secrets}" if secrets else ""))
    print(f"{counted(len(profiles.dmcs), 'DMC')}, {counted(len(profiles.models), 'device model')} in "
          f"{profiles.root}")
    return 0


def _check(args: argparse.Namespace) -> int:
    if args.ttm:
        ttm = load_ttm(Path(args.ttm))
        groups = sorted({r.functional_group for r in ttm.requirements.values()})
        print(f"{args.ttm}: {counted(len(ttm.requirements), 'requirement')} in "
              f"{counted(len(groups), 'functional group')}")
        if ttm.ttm_id and ttm.version and ttm.assured_on:  # the header 12.5(c) checks (11.2; docs/entry-criteria.md)
            print(f"  TTM {ttm.ttm_id} version {ttm.version}, assured on {ttm.assured_on.isoformat()}"
                  + (f" by {ttm.assured_by}" if ttm.assured_by else ""))
        else:
            print("  not shown as assured: the header lacks ttm_id, version or assured_on (11.2; the Entry Criteria "
                  "check 12.5(c) fails without them, docs/entry-criteria.md)")
    if args.criteria:
        criteria = load_criteria(Path(args.criteria))
        print(f"{args.criteria}: valid criteria file; it sets (everything else keeps its default):")
        for key, value in _flatten(criteria.model_dump(exclude={"source"}, exclude_unset=True)):
            print(f"  {key}: {value}")
    if not (args.ttm or args.criteria):
        print("nothing to check: give --ttm and/or --criteria", file=sys.stderr)
        return 2
    return 0


def _flatten(data: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """``stages.DMCT-SRVT.functional_pass_rate``-style keys with their values as a criteria file writes them."""
    for key, value in data.items():
        name = prefix + (f'"{key}"' if "." in str(key) else str(key))
        if isinstance(value, dict) and value and all(isinstance(severity, int) for severity in value):
            yield name, ", ".join(f"severity {severity}: {limit}" for severity, limit in value.items())
        elif isinstance(value, dict) and value:
            yield from _flatten(value, f"{name}.")
        elif isinstance(value, bool):
            yield name, str(value).lower()
        elif isinstance(value, list):
            yield name, ", ".join(str(item) for item in value) or "(none)"
        elif value is None or value == {}:
            yield name, "(none)"
        else:
            yield name, str(value)


def _packs(args: argparse.Namespace) -> int:
    from pytest_svtad.plugin.packs import describe, find_packs, format_table

    packs = find_packs(Path(args.dir))
    if not packs:
        print(f"no packs (folders with a pack.yaml) under {args.dir}", file=sys.stderr)
        return 2
    rows = [(pack, describe(pack, args.dmc, Path(args.profiles) if args.profiles else None)) for pack in packs]
    if args.json:
        print(json.dumps({pack.name: {"stage": pack.manifest.stage, "ttm": str(pack.ttm_path), "tests": c.tests,
                                      "planned": c.instances, "regression": c.regression,
                                      "srvs": sorted(c.srvs), "requirements": sorted(c.requirements),
                                      "requirements_in_scope": c.in_scope, "untraced_tests": c.untraced,
                                      "errors": c.errors} for pack, c in rows}, indent=2))
    else:
        print(format_table(rows))
    return 1 if any(contents.errors for _, contents in rows) else 0


def _emulate(args: argparse.Namespace) -> int:
    from pytest_svtad.cli.emulate import emulate

    return emulate(args)


def _sct(args: argparse.Namespace) -> int:
    from pytest_svtad.cli.sct import sct

    return sct(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="svtad", description="SMETS1 test packs and SVTAD evidence.")
    parser.add_argument("--version", action="version", version=f"pytest-svtad {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("profiles", help="list DMCs and their device models with firmware versions")
    p.add_argument("dir", nargs="?", default="device_profiles",
                   help="device profiles directory with models/ and dmcs/ (default: device_profiles)")
    p.set_defaults(func=_profiles)
    p = sub.add_parser("check", help="validate a TTM and/or a criteria file")
    p.add_argument("--ttm", help="a TTM, CSV or YAML, as --svtad-ttm takes it")
    p.add_argument("--criteria", help="a criteria YAML, as --svtad-criteria takes it")
    p.set_defaults(func=_check)
    p = sub.add_parser("packs", help="list the test packs with their stage, tests, SRVs and TTM requirements covered")
    p.add_argument("dir", nargs="?", default="testpacks",
                   help="a folder of packs (folders with a pack.yaml), or one pack's folder (default: testpacks)")
    p.add_argument("--dmc", default="all", help="DMCs to plan over (default all)")
    p.add_argument("--profiles", help="device profiles directory (default device_profiles/ under the rootdir)")
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")
    p.set_defaults(func=_packs)
    p = sub.add_parser("emulate", help="run a simulated installation in real time behind the serial and ZigBee "
                       "protocols, on a pseudo-terminal or a TCP socket")
    p.add_argument("--dmc", required=True, help="the DMC whose installation to run")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--pty", action="store_true", help="a pseudo-terminal (default): prints its device path")
    where.add_argument("--url", help="socket://HOST:PORT to listen on (loopback unless you say otherwise)")
    p.add_argument("--profiles", default="device_profiles", help="device profiles directory (default: device_profiles)")
    p.add_argument("--seed", type=int, default=0, help="seed of the simulated installation (default: 0)")
    p.add_argument("--speed", type=float, default=1.0,
                   help="simulated seconds per wall second between requests (default 1: real time; 0: frozen)")
    p.add_argument("--pace", action="store_true", help="wait out each request's simulated response time")
    p.add_argument("--line-rate", type=int, help="pace bytes as a serial line of this many bits/s (e.g. 115200)")
    p.add_argument("--duration", type=float, help="stop after this many seconds (default: until interrupted)")
    p.add_argument("--verbose", action="store_true", help="print each request handled")
    add_duis_options(p)
    p.set_defaults(func=_emulate)
    p = sub.add_parser("sct", help="System Capacity Testing: a simulated fleet under a load profile; response times, "
                       "throughput, queues and WAN bandwidth (JSON summary and PNG charts)")
    p.add_argument("--installations", type=int, default=10_000, help="installations in the fleet (default: 10000)")
    p.add_argument("--hours", type=float, default=24, help="simulated hours (default: 24)")
    one = p.add_mutually_exclusive_group(required=True)
    one.add_argument("--profile", help="load profile YAML (see testpacks/sct/load-profile.yaml)")
    one.add_argument("--sweep", help="sweep YAML: every scenario of load profiles x fault sets x fleet sizes "
                     "(see testpacks/sct/sweep.yaml); one table and chart across them")
    p.add_argument("--engine", choices=("vector", "simpy"), default="vector",
                   help="fleet engine: vector (closed-form queues, national scale) or simpy (the event-by-event "
                   "reference model) (default: vector)")
    p.add_argument("--cluster", help="with --sweep: a Dask scheduler address (tcp://host:8786) to run the "
                   "scenarios on (default: a local process pool)")
    p.add_argument("--workers", type=int, help="with --sweep and no --cluster: local worker processes "
                   "(default: one per CPU, at most one per scenario)")
    p.add_argument("--criteria", help="criteria YAML with sct_targets (response-time targets per SRV)")
    p.add_argument("--seed", type=int, default=0, help="seed of the fleet (default: 0)")
    p.add_argument("--out", default="report/sct", help="folder for the JSON summary and charts (default: report/sct)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_sct)
    add_verdict_command(sub)
    add_store_commands(sub)
    add_store_import_command(sub)
    add_dmct_command(sub)  # with `svtad dmct schedule` (cli/dmct_schedule.py)
    add_gate_command(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # here, where a closed pipe can be told apart from our own errors
        return code
    except BrokenPipeError:
        return _reader_went_away()
    except (SvtadInputError, StoreError) as exc:
        print(f"svtad: error: {exc}", file=sys.stderr)
        return 2


def _reader_went_away() -> int:
    """The output's reader stopped reading (``svtad packs --json | head``): stop quietly, as a command ended by
    SIGPIPE does (status 128 + 13), with the rest of the output sent nowhere so that exit does not fail on it."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 141


if __name__ == "__main__":
    sys.exit(main())
