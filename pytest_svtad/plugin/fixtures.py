"""Fixtures of the public contract: ``dmc``, ``smets1`` and the installation states packs start from
(``installation``, ``dormant``, ``migrated``), the link capabilities a test can ask for (``smets1_clock``,
``smets1_faults``, ``smets1_migration``, ``smets1_consumer``, ``smets1_han``), ``svtad_profiles``,
``svtad_criteria``, ``svtad_evidence``."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, cast

import pytest

from pytest_svtad.links import LinkError, capabilities, known_state, open_link, supports
from pytest_svtad.links.protocol import (
    ConsumerAction,
    FaultInjection,
    HanAccess,
    KnownState,
    Migration,
    SimulatedTime,
)
from pytest_svtad.links.registry import kind_for, seed_for_test
from pytest_svtad.plugin import allure
from pytest_svtad.plugin.collector import PROP_EVIDENCE, PROP_EVIDENCE_ERROR
from pytest_svtad.plugin.link_needs import CAPABILITY_FIXTURES, NotApplicable, capability_names, lacking
from pytest_svtad.plugin.session import SESSION_KEY
from pytest_svtad.reports import evidence_files
from pytest_svtad.rules.criteria import Criteria
from pytest_svtad.smets1.profiles import DmcProfile, Profiles


@pytest.fixture
def dmc(request: pytest.FixtureRequest) -> DmcProfile:
    """The DMC profile under test. A test asking for it runs once per selected, applicable DMC."""
    param = getattr(request, "param", None)
    if not isinstance(param, DmcProfile):
        raise pytest.UsageError(f"{request.node.nodeid}: the 'dmc' fixture has no DMC: select DMCs with "
                                "--svtad-dmc and give profiles under device_profiles/ (or --svtad-profiles)")
    allure.show_dmc_parameter(request.config, param.id)
    return param


@pytest.fixture(scope="session")
def svtad_profiles(request: pytest.FixtureRequest) -> Profiles:
    """Every device model and DMC profile loaded for the session."""

    profiles = request.config.stash[SESSION_KEY].settings.profiles
    if profiles is None:
        raise pytest.UsageError("no device profiles (device_profiles/ under the rootdir, or --svtad-profiles DIR)")
    return profiles


@pytest.fixture
def smets1(request: pytest.FixtureRequest, dmc: DmcProfile, svtad_evidence: Evidence) -> Iterator[Any]:
    """The installation of the DMC under test behind the link its profile names (the simulator by default).

    ``request(srv, device=None, **params) -> ServiceResponse``, ``alerts()``, ``devices``; on a simulated link also
    ``advance(minutes=...)``, ``now``, ``faults``, ``migrate()``. The test starts from the known state
    (``links/known_state.py``: the link's reset from the test's seed, the profile's ``link.known_state`` SRVs, the
    alerts before forgotten). The transcript of every message is attached to the test's evidence, and the HAN
    frames as ``han.pcap`` when the test read the HAN.
    """
    settings = request.config.stash[SESSION_KEY].settings
    assert settings.profiles is not None  # a DMC exists, so profiles were loaded
    seed = seed_for_test(settings.seed, request.node.nodeid)
    try:
        link = open_link(dmc, settings.profiles.device_models(dmc), seed, url=settings.links.get(dmc.id))
    except LinkError as exc:
        pytest.fail(f"{dmc.id}: {exc}", pytrace=False)
    try:
        try:  # every test starts from the known state (links/known_state.py), or fails in setup saying why not
            known_state.establish(link, seed)
        except LinkError as exc:
            pytest.fail(f"{dmc.id}: the known state at the test's start was not reached: {exc}", pytrace=False)
        yield link
    finally:
        try:
            transcript = link.transcript_text()
            svtad_evidence.text("transcript.txt", transcript)
            allure.attach_text(request.config, "transcript", transcript)
            pcap = cast(HanAccess, link).han_pcap() if supports(link, HanAccess) else None
            if pcap is not None:  # the HAN frames the test exchanged, for Wireshark
                svtad_evidence.bytes("han.pcap", pcap)
        finally:
            link.close()


# --- the states a pack starts from ----------------------------------------------------------------------------

def _migrate(link: Any, cohort: str, before: str) -> None:
    outcome = link.migrate(cohort=cohort)
    if not outcome["migrated"]:
        pytest.fail(f"{link.dmc.id}: migration failed{before}: {'; '.join(outcome['reasons'])}", pytrace=False)


@pytest.fixture
def installation(request: pytest.FixtureRequest, smets1: Any) -> Any:
    """The DMC's installation, enrolled with the DCC. Service testing follows migration, so a dormant installation
    is migrated first; on a real link the device end is asked for its known state enrolled (RESET with
    ``enrolled``: the emulator migrates, a lab has done it), when the profile says the DMC is dormant."""
    if supports(smets1, Migration):
        if not smets1.enrolled:
            _migrate(smets1, "DMCT", " before service testing")
    elif supports(smets1, KnownState) and smets1.dmc.installation == "dormant" \
            and smets1.dmc.link.known_state.reset:
        seed = seed_for_test(request.config.stash[SESSION_KEY].settings.seed, request.node.nodeid)
        try:  # the whole known state again, from an enrolled installation (the profile's SRVs too)
            known_state.establish(smets1, seed, enrolled=True)
        except LinkError as exc:
            pytest.fail(f"{smets1.dmc.id}: the enrolled known state was not reached: {exc}", pytrace=False)
    return smets1


@pytest.fixture
def dormant(smets1: Any) -> Any:
    """The DMC's installation as a dormant one. A DMC profiled as active is made dormant first (its supplier's
    SMSO contract ends), which only the simulator can do; on a real link the lab provides a dormant installation."""
    if supports(smets1, Migration) and smets1.enrolled:
        smets1.make_dormant()
    return smets1


@pytest.fixture
def migrated(dormant: Any) -> Any:
    """A dormant installation after a successful migration (the simulator migrates it; a real link cannot)."""
    if not supports(dormant, Migration):
        where = getattr(dormant, "kind", dormant.dmc.link.kind)  # the link's own kind, not the profile's
        pytest.fail(f"{dormant.dmc.id}: migrating an installation needs a simulated link (Migration); "
                    f"{dormant.dmc.id} is on a {where} link: give the migrated installation as 'installation'",
                    pytrace=False)
    _migrate(dormant, "DMCT", "")
    return dormant


# --- capabilities a test needs (plugin/link_needs.py): not applicable to a DMC whose link lacks them -------------

__all__ = ["CAPABILITY_FIXTURES", "NotApplicable", "with_capabilities"]  # CAPABILITY_FIXTURES: its old home

def with_capabilities(nodeid: str, needed: Mapping[type, str], params: list[Any],
                      links: dict[str, str]) -> tuple[list[Any], list[NotApplicable]]:
    """The DMC parameters whose link has every capability the test needs (``link_needs.needs``), and the rest as
    ``NotApplicable`` records (not generated, so not planned, as with ``requires``, but said)."""
    if not needed:
        return params, []
    kept, left_out = [], []
    for param in params:
        dmc: DmcProfile = param.values[0]
        missing = lacking(needed, _capabilities(dmc, links))
        if not missing:
            kept.append(param)
            continue
        url = links.get(dmc.id) or dmc.link.url
        where = f"{kind_for(dmc, links.get(dmc.id))} link" + (f" {url}" if url else "")
        why = "; ".join(dict.fromkeys(missing.values()))
        left_out.append(NotApplicable(f"{nodeid}[{dmc.id}]", dmc.id,
                                      f"needs {capability_names(missing)}, which its {where} lacks ({why})"))
    return kept, left_out


def _capabilities(dmc: DmcProfile, links: dict[str, str]) -> frozenset[type]:
    try:
        return capabilities(dmc, links.get(dmc.id))
    except LinkError as exc:
        raise pytest.UsageError(f"DMC '{dmc.id}': {exc}") from None


def _capability(smets1: Any, capability: type) -> Any:
    if not supports(smets1, capability):  # only when the fixture is used outside the plugin's parametrization
        pytest.fail(f"{smets1.dmc.id}: this test needs {capability.__name__}, which its link lacks", pytrace=False)
    return smets1


@pytest.fixture
def smets1_clock(smets1: Any) -> SimulatedTime:
    """``smets1`` with simulated time (``advance``, ``now``); the test is not applicable on real links."""
    result: SimulatedTime = _capability(smets1, SimulatedTime)
    return result


@pytest.fixture
def smets1_faults(smets1: Any) -> FaultInjection:
    """``smets1`` with fault injection (``faults``); the test is not applicable on real links."""
    result: FaultInjection = _capability(smets1, FaultInjection)
    return result


@pytest.fixture
def smets1_migration(smets1: Any) -> Migration:
    """``smets1`` with ``migrate``, ``make_dormant``, ``migration_readiness``; not applicable on real links."""
    result: Migration = _capability(smets1, Migration)
    return result


@pytest.fixture
def smets1_consumer(smets1: Any) -> ConsumerAction:
    """``smets1`` with the consumer's actions (``press_button``); the test is not applicable on real links."""
    result: ConsumerAction = _capability(smets1, ConsumerAction)
    return result


@pytest.fixture
def smets1_han(smets1: Any) -> HanAccess:
    """``smets1`` with the HAN read as an IHD would (``han``); applicable on simulated and zigbee links."""
    result: HanAccess = _capability(smets1, HanAccess)
    return result


@pytest.fixture(scope="session")
def svtad_criteria(request: pytest.FixtureRequest) -> Criteria:
    """The criteria in force (Appendix AK's numbers, overridden by --svtad-criteria): packs that measure against
    configured targets (SCT) read them here."""

    return request.config.stash[SESSION_KEY].settings.criteria


EVIDENCE_SLUG_MAX, EVIDENCE_SLUG_HEAD = 100, 60  # a folder name under 120 characters with its digest


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")


def evidence_folder(report_dir: Path, nodeid: str) -> Path:
    """One folder per test under ``<report>/evidence/``, named readably and uniquely: the node id, starting at a
    folder or file name (leading folders are left out while it is too long), cut in the middle if the module and
    test names alone are too long; the digest of the whole node id tells any two apart."""
    path, sep, rest = nodeid.partition("::")
    parts = path.split("/")
    while len(parts) > 1 and len(_slug("/".join(parts) + sep + rest)) > EVIDENCE_SLUG_MAX:
        parts = parts[1:]
    slug = _slug("/".join(parts) + sep + rest)
    if len(slug) > EVIDENCE_SLUG_MAX:
        slug = slug[:EVIDENCE_SLUG_HEAD] + "~" + slug[-(EVIDENCE_SLUG_MAX - EVIDENCE_SLUG_HEAD - 1):]
    digest = hashlib.sha1(nodeid.encode("utf-8")).hexdigest()[:8]
    return report_dir / "evidence" / f"{slug}-{digest}"


class Evidence:
    """Attach evidence to the running test: stored under the report directory and listed with its result."""

    def __init__(self, item: pytest.Item, report_dir: Path | None,
                 max_bytes: int = evidence_files.DEFAULT_MAX_BYTES) -> None:
        self._item = item
        self._report_dir = report_dir
        self._max_bytes = max_bytes
        self._names: set[str] = set()  # this test's file names: a second attachment never overwrites the first
        self.attached: list[str] = []
        self.notes: list[str] = []  # evidence capped or not stored, also listed with the result

    def _store(self, name: str, data: bytes, left_out: int = 0, total: int | None = None) -> str:
        """Write one file (see reports/evidence_files.py); a write problem is noted, never raised."""
        if total is None:
            total = len(data)
            data, left_out = evidence_files.capped(data, self._max_bytes)
        safe = evidence_files.safe_name(name, self._names)
        folder = evidence_folder(self._report_dir, self._item.nodeid) if self._report_dir is not None else None
        written = evidence_files.write_evidence(self._report_dir, folder, safe, data, left_out, total)
        self.attached.append(written.reference)
        self._item.user_properties.append((PROP_EVIDENCE, written.reference))
        if written.error:
            # evidence that cannot be stored never changes the test's outcome: the controller sees the failure on
            # the report (under xdist too) and the evidence criterion says which evidence is missing
            self._item.user_properties.append((PROP_EVIDENCE_ERROR, written.error))
        if written.note:
            self.notes.append(written.note)
            self._item.user_properties.append((PROP_EVIDENCE, written.note))
        return written.reference

    def text(self, name: str, content: str) -> str:
        """Store ``content`` as UTF-8 in the file ``name``; returns its path under the report folder."""
        return self._store(name, content.encode("utf-8"))

    def bytes(self, name: str, content: bytes) -> str:
        """Store ``content`` in the file ``name``; returns its path under the report folder."""
        return self._store(name, content)

    def file(self, path: str | Path, name: str | None = None) -> str:
        """Store a copy of the file at ``path``, as ``name`` or its own name; returns its path under the report
        folder."""
        source = Path(path)
        size = source.stat().st_size
        data, left_out = evidence_files.read_capped(source, self._max_bytes)  # a huge file is never read whole
        return self._store(name or source.name, data, left_out, size)


@pytest.fixture
def svtad_evidence(request: pytest.FixtureRequest) -> Evidence:
    """Attach evidence to the test: ``text(name, content)``, ``bytes(name, content)``, ``file(path, name=None)``,
    stored under ``<report>/evidence/`` and listed with the test's result."""
    session = request.config.stash.get(SESSION_KEY, None)
    report_dir = session.settings.report_dir if session is not None else None
    if session is None:
        return Evidence(request.node, report_dir)
    return Evidence(request.node, report_dir, session.settings.evidence_max_bytes)
