"""pytest hooks of pytest-svtad (entry point ``svtad``). Hooks only: the work is in session, controller, rules."""

from __future__ import annotations

import gc
from collections.abc import Generator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from pytest_svtad.links.registry import kind_for
from pytest_svtad.model import PlanEntry
from pytest_svtad.plugin import link_needs, options
from pytest_svtad.plugin.fixtures import (  # noqa: F401  (fixtures)
    dmc,
    dormant,
    installation,
    migrated,
    smets1,
    smets1_clock,
    smets1_consumer,
    smets1_faults,
    smets1_han,
    smets1_migration,
    svtad_criteria,
    svtad_evidence,
    svtad_profiles,
    with_capabilities,
)
from pytest_svtad.plugin.link_needs import NotApplicable
from pytest_svtad.plugin.markers import MARKERS
from pytest_svtad.plugin.plan_folders import PlanFilesReader, lean_report_data, make_plan_folder, remove_plan_folder
from pytest_svtad.plugin.report_folder import claim_report_folder
from pytest_svtad.plugin.report_wire import PACKED, pack, unpack
from pytest_svtad.plugin.session import SESSION_KEY, SvtadSession, write_plan_file
from pytest_svtad.plugin.signals import SigtermAsInterrupt
from pytest_svtad.wording import counted

# The Entry Criteria checks and the terminal summary are imported in the hooks that use them,
# on the controller (or the only process): an xdist worker never runs them (issue 18 item 5).

PLAN_DIR_KEY = "svtad_plan_dir"


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    # node ids and the default store must not depend on whether a path option was given with '=' or a space
    options.pin_rootdir(early_config)


def pytest_configure(config: pytest.Config) -> None:
    # Undo the gc.freeze() below (and collection's) as the very last of the session's clean-up: cleanups run last
    # in, first out, and this one is registered before pytest's unraisable-exception check adds its own (this hook
    # runs before that builtin plugin's), whose full gc.collect() then skips the frozen items and plan instead of
    # walking every object of the session once more (0.4 CPU s of 20,000 tests more than plain pytest's walk: in
    # pytest 9 that collect is a cleanup, after every unconfigure hook). A session run in process (svtad packs,
    # pytester) must not leave its objects frozen, out of the collector's reach, in the process that called it.
    config.add_cleanup(gc.unfreeze)
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{text}" if text.startswith(name) else f"{name}: {text}")
    session = SvtadSession(config, options.load_settings(config))
    config.stash[SESSION_KEY] = session  # before the lock: unconfigure releases it whatever fails after
    if not session.is_worker and session.settings.report_dir is not None and not config.option.collectonly:
        session.report_lock = claim_report_folder(session.settings.report_dir)  # a UsageError naming the folder
    if not session.is_worker:
        config.pluginmanager.register(ReportHooks(session), "svtad-reports")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistHooks(session), "svtad-xdist")
        if session.is_worker:
            config.pluginmanager.register(WorkerReportHooks(), "svtad-worker-reports")
        _one_worker_per_device(config, session)
    # Profiles, catalogue and pydantic's schemas live for the whole session; without this every full garbage
    # collection during the collection of thousands of tests walks them again (measured: most of the plugin's
    # overhead on 5,000 tests; see docs/BENCHMARKS.md).
    gc.freeze()


SHARED_DIST = ("load", "worksteal", "loadscope", "loadfile")  # modes that may put one DMC's tests on two workers


def _one_worker_per_device(config: pytest.Config, session: SvtadSession) -> None:
    """A real installation serves one test at a time: under xdist, ``--dist load`` (or ``worksteal``, ``loadscope``,
    ``loadfile``, which can also put one DMC's tests on two workers at once) becomes ``loadgroup`` with the tests of
    each DMC on a real link as one group (``XdistHooks.pytest_xdist_make_scheduler``); ``--dist each``, which runs
    every test on every worker, is refused."""
    if hasattr(config, "workerinput"):
        return
    links = session.settings.links
    real = [d.id for d in session.settings.selected_dmcs if kind_for(d, links.get(d.id)) != "sim"]
    dist = getattr(config.option, "dist", "no")
    if not real or not getattr(config.option, "numprocesses", None):
        return
    if dist == "each":
        raise pytest.UsageError(f"--dist each runs every test on every worker, but DMCs on real-device links "
                                f"({', '.join(real)}) serve one test at a time: use --dist load or loadgroup")
    if dist in SHARED_DIST:
        config.option.dist = "loadgroup"
        session.real_link_dmcs = frozenset(real)
        was = "" if dist == "load" else f" (was {dist})"
        session.notes.append(f"--dist loadgroup{was}: DMCs on real-device links ({', '.join(real)}) are tested by "
                             "one worker each")


@pytest.hookimpl(trylast=True)  # after the other plugins' unconfigure: the folders are released last
def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(SESSION_KEY, None)
    if session is not None and session.plan_dir is not None:
        remove_plan_folder(session.plan_dir, Path(config.rootpath))
    if session is not None and session.report_lock is not None:
        session.report_lock.release()
    if session is not None and session.sigterm is not None:
        session.sigterm.restore()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    session = metafunc.config.stash[SESSION_KEY]
    tags = session.definition_tags(metafunc.definition)  # a misused marker is a collection error naming the test
    if "dmc" not in metafunc.fixturenames:
        return
    if session.settings.profiles is None:
        raise pytest.Collector.CollectError(
            f"{metafunc.definition.nodeid}: asks for a DMC, but no device profiles were found "
            "(device_profiles/ under the rootdir, or --svtad-profiles DIR)")
    needed = link_needs.needs(metafunc.function, metafunc.fixturenames, metafunc.definition.iter_markers())
    params, left_out = with_capabilities(metafunc.definition.nodeid, needed, session.dmc_params(tags),
                                         session.settings.links)
    session.link_not_applicable.update((record.nodeid, record) for record in left_out)
    metafunc.parametrize("dmc", params, indirect=True)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    config.stash[SESSION_KEY].modify_items(config, items)


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Any:
    """No full garbage collection while the session collects: every full pass walked the items collected so far
    again, so collecting grew faster than the number of tests (measured: 2.2-3 CPU s of 20,000 trivial tests,
    docs/BENCHMARKS.md, issue 18 item 1). The young generations are still collected as usual, so the cycles pytest
    leaves behind for each test function (its fixture closure's recursive helpers, the metafunc's definition: ~29
    objects a test) are freed as they are made, while they are few and recent, rather than in one pass over every
    object of the collection at its end (measured at 20,000 tests: 0.49-0.67 CPU s in the collector against
    0.89-0.98 s, and a peak 58 MiB lower). The plan's end collects the young objects left and freezes the items
    (``freeze_collected``); the thresholds are back before the first test runs, whatever collection did."""
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], 1 << 30)  # generation 2: not within the collection
    try:
        return (yield)
    finally:
        gc.set_threshold(*thresholds)


def pytest_collection_finish(session: pytest.Session) -> None:
    svtad = session.config.stash[SESSION_KEY]
    plan = svtad.build_plan(session.items)  # ends by freezing the collected items for the GC (freeze_collected)
    if svtad.is_worker:
        workerinput: dict[str, Any] = session.config.workerinput  # type: ignore[attr-defined]
        if PLAN_DIR_KEY in workerinput:
            write_plan_file(Path(workerinput[PLAN_DIR_KEY]), workerinput.get("workerid", "gw"), plan,
                            {"not_applicable": svtad.not_applicable,
                             "link_not_applicable": [asdict(r) for r in svtad.link_not_applicable.values()]})
    else:
        svtad.collector.plan.update(plan)
        svtad.plan_grew()


def pytest_sessionstart(session: pytest.Session) -> None:
    svtad = session.config.stash[SESSION_KEY]
    if svtad.is_worker:
        return  # the Entry Criteria, the SIGTERM handler and the sinks are the controller's
    from pytest_svtad.plugin import entry_checks

    entry_checks.at_session_start(session.config, svtad)  # 12.5; with --svtad-gate, (c) or (d) failing stops here
    if not session.config.option.collectonly:
        svtad.sigterm = SigtermAsInterrupt(svtad.wants_verdict)
        svtad.sigterm.install()
    svtad.open_sinks()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> Generator[None, None, None]:
    svtad = session.config.stash[SESSION_KEY]
    if svtad.sigterm is not None:
        svtad.sigterm.finishing = True  # a SIGTERM now would cut the verdict short: let it be written
    if not svtad.is_worker and not _entry_refused(session.config):
        svtad.finish(interrupted=exitstatus == pytest.ExitCode.INTERRUPTED)
    result = yield
    if not svtad.is_worker and svtad.settings.gate and svtad.verdict is not None:
        # --svtad-gate: the exit status is the verdict (README, Options), set last so nothing overrides it
        session.exitstatus = 0 if svtad.verdict.met else 1
    return result


def _entry_refused(config: pytest.Config) -> bool:
    from pytest_svtad.plugin import entry_checks

    return entry_checks.refused(config)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    svtad = config.stash.get(SESSION_KEY, None)
    if svtad is None or svtad.is_worker or svtad.verdict is None:
        return
    verdict = svtad.verdict
    title = f"SVTAD exit criteria: {verdict.stage}" + (f" {verdict.release}" if verdict.release else "")
    terminalreporter.write_sep("=", title, bold=True)
    if svtad.not_applicable:
        terminalreporter.write_line(f"{counted(svtad.not_applicable, 'collected test')} not planned here (not "
                                    f"applicable to the selected DMCs, or not in stage {verdict.stage})")
    from pytest_svtad.reports import terminal

    report_dir = str(svtad.settings.report_dir) if svtad.settings.report_dir else None
    terminal.render(verdict, terminalreporter.write_line, report_dir)


class ReportHooks:
    """Where every report is seen (the only process, or the xdist controller): results against the plan."""

    def __init__(self, session: SvtadSession) -> None:
        self.session = session

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.session.collector.add_report(report)

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        """Under xdist the plan reaches the controller from the workers' files: read it when the first test starts,
        so a session killed during a long first test still leaves its plan in the store."""
        if self.session.collector.knows(nodeid):
            return
        self.session.plan_grew()


class XdistHooks:
    """Registered only when pytest-xdist is present: the plan's way from the workers to the controller."""

    def __init__(self, session: SvtadSession) -> None:
        self.session = session
        self.plan_files = PlanFilesReader()

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        svtad = self.session
        if svtad.plan_dir is None:
            try:
                svtad.plan_dir = make_plan_folder(Path(svtad.config.rootpath))  # where the next session cleans up
            except OSError as exc:
                if not any("workers' plans" in note for note in svtad.notes):
                    svtad.notes.append(f"{exc}: tests that never report are missing from the plan")
                return  # results still carry their tags on their reports
            svtad.collector.plan_loader = self._load
        node.workerinput[PLAN_DIR_KEY] = str(svtad.plan_dir)

    @pytest.hookimpl(optionalhook=True, tryfirst=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        """Group by DMC ourselves rather than through xdist's ``@group`` node-id suffix, which pytest 9.2 no longer
        lets a worker set (``Node.nodeid`` is derived, xdist 3.8 writes ``_nodeid``)."""
        if not self.session.real_link_dmcs:
            return None
        from pytest_svtad.plugin.scheduling import one_worker_per_dmc

        return one_worker_per_dmc(config, log, self.session.real_link_dmcs)

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_from_serializable(self, config: pytest.Config, data: Any) -> Any:
        """A report a worker packed as one JSON string (``report_wire``): unpacked, then rebuilt by pytest."""
        if not isinstance(data, dict) or PACKED not in data:
            return None
        return config.hook.pytest_report_from_serializable(config=config, data=unpack(data))

    def _load(self) -> dict[str, PlanEntry]:
        assert self.session.plan_dir is not None
        parsed = len(self.plan_files.metas)
        plan, not_applicable = self.plan_files.read_new(self.session.plan_dir)
        self.session.not_applicable = max(self.session.not_applicable, not_applicable)
        for meta in self.plan_files.metas[parsed:]:  # only the files parsed now: each is read once
            for nodeid, record in link_not_applicable(meta).items():
                self.session.link_not_applicable.setdefault(nodeid, record)
        return plan


def link_not_applicable(meta: dict[str, Any]) -> dict[str, NotApplicable]:
    """A worker's (test, DMC) pairs not applicable on their DMC's link, from its plan file's meta (the rows
    ``session.read_not_applicable`` reads, taken from the parse the plan reader does anyway)."""
    found: dict[str, NotApplicable] = {}
    rows = meta.get("link_not_applicable", [])
    for row in rows if isinstance(rows, list) else []:
        try:
            found.setdefault(str(row["nodeid"]), NotApplicable(str(row["nodeid"]), str(row["dmc"]),
                                                                str(row["reason"])))
        except (KeyError, TypeError):
            continue
    return found


class WorkerReportHooks:
    """Registered on xdist workers only: what each test report carries to the controller, trimmed and packed as
    one JSON string (issue 18 item 5; ``plan_folders.lean_report_data`` says what goes and why,
    ``report_wire`` how it is packed). The worker's own plugins see the full report."""

    @pytest.hookimpl(wrapper=True)
    def pytest_report_to_serializable(self, config: pytest.Config, report: Any) -> Generator[None, Any, Any]:
        data = yield
        return pack(lean_report_data(data))
