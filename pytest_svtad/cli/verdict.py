"""``svtad verdict``: print the verdict of a report directory, or judge a campaign from the store (``--campaign``)
and write the same report set a session writes (verdict.json, testing-issues.csv, heatmap.csv/.png/.html,
completion-report.html, dmct-<DMC>.html).

A campaign is judged by the TTM and criteria its runs stored (schema 3), unless ``--ttm`` / ``--criteria`` say
otherwise; the project's ``svtad_*`` ini keys (pytest.ini, pyproject.toml, tox.ini, setup.cfg, found as pytest finds
them) give the store, the report directory, the device profiles and completion notes, and the TTM and criteria
for runs that stored none. Exit 0 when met, 1 when not.
"""

from __future__ import annotations

import argparse
import configparser
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

from pytest_svtad.errors import SvtadInputError
from pytest_svtad.reports.terminal import STATUS_LABEL

INI_FILES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")


class IniKeys:
    """The ``svtad_*`` keys of the project's pytest ini file, found from ``start`` upwards as pytest finds it;
    paths relative to the file's folder (pytest's rootdir), as the plugin resolves them."""

    def __init__(self, start: Path) -> None:
        self.path: Path | None = None
        self.values: dict[str, str] = {}
        for folder in (start, *start.parents):
            for name in INI_FILES:
                found = _read_ini(folder / name)
                if found is not None:
                    self.path, self.values = folder / name, found
                    return

    @property
    def rootdir(self) -> Path | None:
        return self.path.parent if self.path is not None else None

    def value(self, name: str) -> str | None:
        value = self.values.get(f"svtad_{name}", "").strip()
        return value or None

    def path_of(self, name: str) -> Path | None:
        value = self.value(name)
        if value is None or self.rootdir is None:
            return None
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.rootdir / path

    def given_as(self, name: str) -> str:
        return f"{self.path.name if self.path else 'the ini file'}: svtad_{name}"


def _read_ini(path: Path) -> dict[str, str] | None:
    """The pytest section of ``path`` (None when the file is absent or holds none); a broken file is one line."""
    if not path.is_file():
        return None
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            section = data.get("tool", {}).get("pytest", {}).get("ini_options")
            if section is None:
                return None
            return {str(k): " ".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in section.items()}
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise SvtadInputError(path, f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    except (tomllib.TOMLDecodeError, configparser.Error) as exc:
        raise SvtadInputError(path, f"not a valid ini file: {str(exc).splitlines()[0]}") from None
    wanted = {"pytest.ini": "pytest", ".pytest.ini": "pytest", "tox.ini": "pytest", "setup.cfg": "tool:pytest"}
    section_name = wanted[path.name]
    if not parser.has_section(section_name):
        return {} if path.name in ("pytest.ini", ".pytest.ini") else None  # pytest.ini counts even when empty
    return dict(parser.items(section_name))


def verdict_command(args: argparse.Namespace) -> int:
    if args.campaign:
        return campaign_verdict(args, IniKeys(Path.cwd()))
    from pytest_svtad.cli.input import read_verdict_file

    folder = Path(args.report) if args.report else IniKeys(Path.cwd()).path_of("report") or Path("report")
    path = folder / "verdict.json"
    verdict = read_verdict_file(path)
    phase = " ".join(part for part in (verdict.stage, verdict.release) if part)
    print(f"{phase}: {STATUS_LABEL.get(verdict.verdict, verdict.verdict).upper()}")  # as the terminal says it
    for criterion in verdict.criteria:
        print(f"  [{STATUS_LABEL.get(criterion.status, criterion.status):^7}] {criterion.id:<21} {criterion.detail}")
    if args.json:
        text = path.read_text(encoding="utf-8")
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0 if verdict.verdict == "met" else 1


def campaign_verdict(args: argparse.Namespace, ini: IniKeys) -> int:
    """The campaign's verdict from the store, written as a session writes it (``pytest_svtad.closeout``)."""
    from pytest_svtad.cli.store import _campaign_phase, _stage
    from pytest_svtad.closeout import close_out
    from pytest_svtad.files.datafiles import load_completion_notes, load_criteria, load_ttm
    from pytest_svtad.reports import terminal
    from pytest_svtad.smets1.profiles import Profiles, load_profiles
    from pytest_svtad.store import default_url, store_url
    from pytest_svtad.store.campaign import campaign_record
    from pytest_svtad.store.existing import open_existing

    given = args.store or ini.value("store")
    if given is not None and given.lower() == "none":
        raise SvtadInputError("--store" if args.store else ini.given_as("store"),
                              "a campaign is read from a store: 'none' names none; give --store URL")
    store = open_existing(store_url(given, Path.cwd()) if given else default_url(ini.rootdir or Path.cwd()))
    stage, release = _campaign_phase(store, args.campaign, _stage(getattr(args, "stage", None)))
    ttm_path, criteria_path = ini.path_of("ttm"), ini.path_of("criteria")
    profiles_dir = ini.path_of("profiles") or (ini.rootdir or Path.cwd()) / "device_profiles"
    profiles: Profiles | None = load_profiles(profiles_dir) if profiles_dir.is_dir() else None
    notes_path = ini.path_of("completion_notes")
    report = Path(args.report) if args.report else ini.path_of("report")
    record = campaign_record(
        store, args.campaign, stage, release, args.exit_version, report_dir=report,
        ttm=load_ttm(Path(args.ttm)) if args.ttm else None,
        criteria=load_criteria(Path(args.criteria)) if args.criteria else None,
        ttm_default=load_ttm(ttm_path) if ttm_path else None,
        criteria_default=load_criteria(criteria_path) if criteria_path else None,
        profiles=profiles, completion_notes=load_completion_notes(notes_path) if notes_path else None)
    verdict = close_out(record)
    store.close()

    def write_line(text: str = "", **_: Any) -> None:
        print(text)

    terminal.render(verdict, write_line, str(report) if report else None)
    if args.json:
        print(json.dumps(verdict.as_dict(), indent=2))
    return 0 if verdict.met else 1


def add_verdict_command(sub: Any) -> None:
    p = sub.add_parser("verdict", help="print the verdict of a report directory, or compute a campaign's from the "
                       "store (--campaign) and write its reports; exit 0 when met, 1 when not")
    p.add_argument("report", nargs="?", help="report directory (default: the ini's svtad_report, else report/); "
                   "with --campaign, where to write the reports")
    p.add_argument("--campaign", help="compute the verdict of this campaign's runs from the store (default: none, "
                   "read the report folder's verdict.json)")
    p.add_argument("--store", help="store URL or SQLite path (default: the ini's svtad_store, else "
                   ".svtad/svtad.db under the rootdir)")
    p.add_argument("--ttm", help="with --campaign: judge by this TTM (default: the one the runs used)")
    p.add_argument("--criteria", help="with --campaign: judge by this criteria file (default: the runs' own)")
    p.add_argument("--exit-version", help="stage-exit SUT version for regression (default: the newest run's)")
    p.add_argument("--stage", help="with --campaign: the stage to judge (default: the campaign's newest run's)")
    p.add_argument("--json", action="store_true", help="also print verdict.json")
    p.set_defaults(func=verdict_command)
