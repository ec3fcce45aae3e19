"""The ``--svtad-*`` options (each also an ini key ``svtad_<name>``) and the settings they resolve to."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pytest_svtad.errors import SvtadInputError
from pytest_svtad.files.datafiles import CompletionNotes, load_completion_notes, load_criteria, load_ttm
from pytest_svtad.reports.evidence_files import DEFAULT_MAX_BYTES, MIN_MAX_BYTES, parse_size
from pytest_svtad.rules import appendix_ak as ak
from pytest_svtad.rules.criteria import Criteria
from pytest_svtad.rules.ttm import Ttm
from pytest_svtad.smets1.catalogue import SrvCatalogue, default_catalogue
from pytest_svtad.smets1.profiles import DmcProfile, Profiles, load_profiles
from pytest_svtad.urls import duis_url_problem, socket_url_problem

# name -> (help, is_flag)
OPTIONS: dict[str, tuple[str, bool]] = {
    "stage": (f"Test Stage of this run: {', '.join(ak.STAGES)} (default: SIT).", False),
    "release": (f"Capability Release: {', '.join(ak.RELEASES)} (default: none, the phase is the stage alone).",
                False),
    "profiles": ("Device profiles directory with models/ and dmcs/ (default: device_profiles/ under the rootdir).",
                 False),
    "dmc": ("DMC ids to test, comma-separated, or 'all' (default: all).", False),
    "ttm": ("Test Traceability Matrix: CSV with the columns requirement_id,functional_group,title and optionally "
            "section,clause,severity,stages, or YAML (a 'requirements' list of the same fields); 'stages' (e.g. "
            "SIT;DMCT-SRVT) scopes a requirement to the stages whose packs must cover it, empty means every stage "
            "(default: none, no traceability check).", False),
    "criteria": ("Criteria YAML overriding Appendix AK's numbers and giving the ones the seeds leave open "
                 "(default: none, Appendix AK's numbers only).", False),
    "report": ("Directory for verdict.json, results.jsonl, heatmaps, the Testing Issue log, the Completion Report "
               "and evidence/ (default: none, the verdict is printed only).", False),
    "gate": ("Exit 0 exactly when the exit criteria are met, 1 when they are not; and do not start at all (exit 1, "
             "one line) when the Entry Criteria the harness checks fail: 12.5(c) TTM assurance, 12.5(d) device "
             "firmware read through each DMC's link (default: off, pytest's own exit status).", True),
    "store": ("Campaign store: a SQLAlchemy URL (sqlite:///path, postgresql+psycopg://...), or 'none' "
              "(default: SQLite <rootdir>/.svtad/svtad.db).", False),
    "campaign": ("Campaign name: the verdict covers every run of the campaign (default: none, this run alone).",
                 False),
    "sut_version": ("Version of the system under test, the stage-exit version for regression (default: none).",
                    False),
    "exit_version": ("With --svtad-campaign: the stage-exit SUT version regression is counted on (default: the "
                     "newest run's).", False),
    "seed": ("Seed for simulated installations (default: 0).", False),
    "link": ("Reach a DMC over a real-device link: DMC=URL (a serial device, socket://HOST:PORT, rfc2217://..., "
             "duis+https://HOST[:PORT] for a DCC User Interface), "
             "comma-separated for several; overrides the profile's link url (default: the profiles' links).", False),
    "evidence_max_bytes": ("Cap on each evidence file (transcripts, attachments), in bytes or with k/M/G (binary): "
                           "bigger evidence keeps its head and tail and says so (default: 10M).", False),
    "pdf": ("Also print completion-report.html and each dmct-<DMC>.html to PDF with headless Chromium "
            "(SVTAD_CHROMIUM, or chromium/chrome on the PATH; default: off).", True),
    "completion_notes": ("The Completion Report's human sections, as YAML keys or Markdown '## ' headings: "
                         "recommended_further_tests (9.4(h)), lessons_learnt (9.4(i)), assurance_activities and "
                         "open_issues_view (9.5) (default: none, those sections say 'Not provided').", False),
}


METAVARS = {"profiles": "DIR", "dmc": "IDS", "ttm": "PATH", "criteria": "PATH", "report": "DIR", "store": "URL",
            "campaign": "NAME", "sut_version": "V", "exit_version": "V", "seed": "N", "link": "DMC=URL",
            "evidence_max_bytes": "SIZE", "completion_notes": "PATH"}


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("svtad", "SVTAD exit criteria for SMETS1 test packs")
    for name, (help_text, is_flag) in OPTIONS.items():
        flag = "--svtad-" + name.replace("_", "-")
        if is_flag:
            group.addoption(flag, action="store_true", default=None, dest=f"svtad_{name}", help=help_text)
            parser.addini(f"svtad_{name}", help_text, type="bool", default=False)
        else:
            group.addoption(flag, action="store", default=None, dest=f"svtad_{name}",
                            metavar=METAVARS.get(name, name.upper()), help=help_text)
            parser.addini(f"svtad_{name}", help_text, default=None)


def pin_rootdir(config: pytest.Config) -> None:
    """Decide pytest's rootdir and ini file again, now that the plugins' options are known.

    pytest decides them before it loads plugins, so the value of an option given with a space
    (``--svtad-profiles /abs/path``) counts as a test path: the rootdir moves to a common ancestor, or to an ini
    file found above that path, and with it the node ids, the Testing Issue ids and the default store. Deciding
    again with the values taken out gives what ``--svtad-profiles=/abs/path`` gives. Runs before any conftest is
    loaded (``pytest_load_initial_conftests``); ``--rootdir`` and ``-c`` are honoured as pytest honours them.
    """
    from _pytest.config.findpaths import determine_setup  # pytest's own rule, not a copy of it

    ns = config.known_args_namespace
    rootpath, inipath, inicfg, ignored = determine_setup(
        inifile=ns.inifilename, override_ini=ns.override_ini, args=ns.file_or_dir,
        rootdir_cmd_arg=ns.rootdir or None, invocation_dir=config.invocation_params.dir)
    if rootpath == config.rootpath and inipath == config.inipath:
        return
    old_confcutdir = str(config.inipath.parent) if config.inipath else str(config.rootpath)
    config._rootpath, config._inipath, config._inicfg = rootpath, inipath, inicfg
    config._ignored_config_files = ignored
    config._inicache.clear()
    config._parser.extra_info.update(rootdir=str(rootpath), inifile=str(inipath))
    if ns.confcutdir == old_confcutdir:  # pytest's default, derived from the rootdir it had decided
        ns.confcutdir = str(inipath.parent) if inipath else str(rootpath)


def _raw(config: pytest.Config, name: str) -> object:
    value = config.getoption(f"svtad_{name}")
    if value is None:
        value = config.getini(f"svtad_{name}")
    return value if value not in ("", []) else None


@dataclass(slots=True)
class Settings:
    stage: str
    release: str | None
    profiles: Profiles | None
    selected_dmcs: list[DmcProfile]
    ttm: Ttm | None
    criteria: Criteria
    catalogue: SrvCatalogue
    report_dir: Path | None
    gate: bool
    store: str | None  # None: no store ('none')
    campaign: str | None
    exit_version: str | None
    sut_version: str | None
    seed: int
    explicit: bool  # an svtad option was given: the summary is wanted even if no test is tagged
    completion_notes: CompletionNotes | None = None
    links: dict[str, str] = field(default_factory=dict)  # DMC id -> URL (--svtad-link)
    evidence_max_bytes: int = DEFAULT_MAX_BYTES
    pdf: bool = False  # --svtad-pdf


def _resolve_path(config: pytest.Config, value: object) -> Path:
    path = Path(str(value)).expanduser()
    return path if path.is_absolute() else Path(config.invocation_params.dir) / path


def _given_as(config: pytest.Config, name: str) -> str:
    """How the user gave a setting, for messages: the option, or the ini key and the file it is in."""
    if config.getoption(f"svtad_{name}") is not None:
        return "--svtad-" + name.replace("_", "-")
    inifile = Path(config.inipath).name if config.inipath else "the ini file"
    return f"{inifile}: svtad_{name}"


def _ini_path(config: pytest.Config, name: str) -> Path | None:
    """Paths from the command line are relative to the invocation dir, from ini files to the rootdir."""
    if config.getoption(f"svtad_{name}") is not None:
        return _resolve_path(config, config.getoption(f"svtad_{name}"))
    value = config.getini(f"svtad_{name}")
    if not value:
        return None
    path = Path(str(value)).expanduser()
    return path if path.is_absolute() else Path(config.rootpath) / path


def load_settings(config: pytest.Config) -> Settings:
    """Resolve every option; any bad value or file is a ``pytest.UsageError`` with one line."""
    try:
        return _load(config)
    except SvtadInputError as exc:
        raise pytest.UsageError(f"svtad: {exc}") from None


def _store_url(config: pytest.Config) -> str | None:
    from pytest_svtad.urls import default_url, store_url

    raw = _raw(config, "store")
    if raw is None:
        return default_url(Path(config.rootpath))
    if str(raw).strip().lower() == "none":
        return None
    return store_url(str(raw), Path(config.invocation_params.dir))


def _load(config: pytest.Config) -> Settings:
    explicit = any(_raw(config, name) for name in ("stage", "release", "ttm", "criteria", "report", "gate",
                                                    "campaign", "dmc", "store"))
    stage = str(_raw(config, "stage") or "SIT").upper()
    if stage not in ak.STAGES:
        raise SvtadInputError(_given_as(config, "stage"), f"unknown stage '{stage}'; expected one of "
                              f"{', '.join(ak.STAGES)}")
    release = _raw(config, "release")
    if release is not None:
        release = str(release).upper()
        if release not in ak.RELEASES:
            raise SvtadInputError(_given_as(config, "release"), f"unknown Capability Release '{release}'; "
                                  f"expected one of {', '.join(ak.RELEASES)}")
    seed_raw = _raw(config, "seed")
    try:
        seed = int(str(seed_raw)) if seed_raw is not None else 0
    except ValueError:
        raise SvtadInputError(_given_as(config, "seed"), f"expected an integer, got '{seed_raw}'") from None

    profiles_path = _ini_path(config, "profiles")
    profiles: Profiles | None = None
    if profiles_path is not None:
        profiles = load_profiles(profiles_path)
    elif (Path(config.rootpath) / "device_profiles").is_dir():
        profiles = load_profiles(Path(config.rootpath) / "device_profiles")

    selection = str(_raw(config, "dmc") or "all")
    selected: list[DmcProfile] = []
    dmc_option = _given_as(config, "dmc")
    if profiles is not None and not profiles.dmcs:
        raise SvtadInputError(profiles.root / "dmcs", "no DMC profiles (*.yaml) in this folder: nothing to test "
                              "against; add one per DMC, or point --svtad-profiles at the folder that has them")
    if profiles is not None:
        if not selection.replace(",", "").strip():
            raise SvtadInputError(dmc_option, f"no DMC ids in '{selection}': nothing selected (expected ids "
                                  f"separated by commas, or 'all'; known: {', '.join(sorted(profiles.dmcs))})")
        if selection.strip().lower() == "all":
            selected = [profiles.dmcs[key] for key in sorted(profiles.dmcs)]
        else:
            for dmc_id in (part.strip() for part in selection.split(",")):
                if not dmc_id:
                    continue
                if dmc_id not in profiles.dmcs:
                    raise SvtadInputError(dmc_option, f"no DMC profile '{dmc_id}' in {profiles.root / 'dmcs'} "
                                          f"(known: {', '.join(sorted(profiles.dmcs)) or 'none'})")
                if profiles.dmcs[dmc_id] not in selected:
                    selected.append(profiles.dmcs[dmc_id])
    elif _raw(config, "dmc") is not None:
        raise SvtadInputError(dmc_option, "no device profiles directory (device_profiles/ under the rootdir, "
                              "or --svtad-profiles DIR)")

    ttm_path = _ini_path(config, "ttm")
    criteria_path = _ini_path(config, "criteria")
    report_dir = _ini_path(config, "report")
    notes_path = _ini_path(config, "completion_notes")
    links = _links(str(_raw(config, "link") or ""), profiles, _given_as(config, "link"))
    campaign = str(_raw(config, "campaign")) if _raw(config, "campaign") else None
    if _raw(config, "exit_version") and campaign is None:
        raise SvtadInputError(_given_as(config, "exit_version"), "the stage-exit version is counted over a campaign's "
                              "runs: give --svtad-campaign NAME too (or, for this session alone, --svtad-sut-version)")
    evidence_max_bytes = _evidence_max_bytes(config)
    return Settings(
        stage=stage,
        release=release,
        profiles=profiles,
        selected_dmcs=selected,
        ttm=load_ttm(ttm_path) if ttm_path else None,
        criteria=load_criteria(criteria_path) if criteria_path else Criteria(),
        catalogue=default_catalogue(),
        report_dir=report_dir,
        gate=bool(_raw(config, "gate")),
        store=_store_url(config),
        campaign=campaign,
        exit_version=str(_raw(config, "exit_version")) if _raw(config, "exit_version") else None,
        sut_version=str(_raw(config, "sut_version")) if _raw(config, "sut_version") else None,
        seed=seed,
        explicit=explicit,
        completion_notes=load_completion_notes(notes_path) if notes_path else None,
        links=links,
        evidence_max_bytes=evidence_max_bytes,
        pdf=bool(_raw(config, "pdf")),
    )


def _evidence_max_bytes(config: pytest.Config) -> int:
    raw = _raw(config, "evidence_max_bytes")
    if raw is None:
        return DEFAULT_MAX_BYTES
    value = parse_size(str(raw))
    if value is None or value < MIN_MAX_BYTES:
        raise SvtadInputError(_given_as(config, "evidence_max_bytes"), f"expected a size of at least "
                              f"{MIN_MAX_BYTES} bytes (e.g. 10485760, 512k, 10M), got '{raw}'")
    return value


def _links(raw: str, profiles: Profiles | None, option: str = "--svtad-link") -> dict[str, str]:
    links: dict[str, str] = {}
    for part in (piece.strip() for piece in raw.split(",")):
        if not part:
            continue
        dmc_id, sep, url = part.partition("=")
        if not sep or not dmc_id.strip() or not url.strip():
            raise SvtadInputError(option, f"expected DMC=URL, got '{part}'")
        if profiles is None or dmc_id.strip() not in profiles.dmcs:
            known = ", ".join(sorted(profiles.dmcs)) if profiles else "none"
            raise SvtadInputError(option, f"no DMC profile '{dmc_id.strip()}' (known: {known})")
        from pytest_svtad.links import registry  # the drivers are registered: the plugin imported the links

        kind, inner = registry.split_kind(url.strip())  # zigbee+socket://... names its link kind
        if kind is not None and kind not in registry.kinds():
            raise SvtadInputError(option, f"DMC '{dmc_id.strip()}': unknown link kind '{kind}' in '{url.strip()}' "
                                  f"(registered: {', '.join(registry.kinds())})")
        # pyserial's own message for a bad socket:// names its logging options; a duis+ URL is checked here too
        problem = socket_url_problem(inner) or duis_url_problem(url.strip())
        if problem:
            raise SvtadInputError(option, f"DMC '{dmc_id.strip()}': {problem}")
        links[dmc_id.strip()] = url.strip()
    return links
