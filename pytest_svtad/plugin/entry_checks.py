"""What the plugin checks at a session's start and end for the DMCT Process and the phase gates:

- the generic Entry Criteria (12.5; ``pytest_svtad.rules.entry_criteria``): sign-offs (a), (b), (e) read from the
  store for the Test Phase (stage + release) and campaign; (c) the TTM's assurance header (11.2); (d) every device
  of every selected DMC read with SRV 11.2 Read Firmware Version through the DMC's own link (the simulator, or the
  real serial / ZigBee link), compared with the firmware its profile requires (8.5(c)). With ``--svtad-gate`` a
  session whose (c) or (d) fails stops before any test runs, exit status 1 and a one-line reason.
- in a DMCT stage with a store, whether the packs run are the ones the published DMCT Schedule names for each DMC
  (20.9(b)-(c), 20.17): said in the verdict's notes and the terminal summary, a mismatch as a warning.

Kept out of ``session.py`` so the session's state stays one class; this module's results live in the config's
stash (``ENTRY_KEY``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_svtad.links import DeviceLink, LinkError, open_link
from pytest_svtad.links.errors import NoResponse
from pytest_svtad.links.registry import seed_for_test
from pytest_svtad.rules import entry_criteria as rules
from pytest_svtad.rules.appendix_ak import DMCT_STAGES
from pytest_svtad.rules.dmct_schedule import check_packs

if TYPE_CHECKING:
    from pytest_svtad.plugin.options import Settings
    from pytest_svtad.plugin.session import SvtadSession
    from pytest_svtad.smets1.messages import ServiceResponse

ENTRY_KEY = pytest.StashKey[rules.EntryAssessment]()
REFUSED_KEY = pytest.StashKey[str]()  # the one-line reason a gated session did not start
FIRMWARE_SRV = "11.2"  # Read Firmware Version (the SRV catalogue)


def ttm_assurance(settings: Settings) -> rules.TtmAssurance:
    ttm = settings.ttm
    if ttm is None:
        return rules.TtmAssurance(None)
    return rules.TtmAssurance(ttm.source, ttm.ttm_id, ttm.version, ttm.assured_on, ttm.assured_by)


def read_firmware(settings: Settings) -> list[rules.FirmwareReading]:
    """Each device of each selected DMC as its link reports it (SRV 11.2), against the firmware its profile names.
    A link that cannot be opened, or a device that does not answer, is a reading with its error, never skipped."""
    profiles = settings.profiles
    if profiles is None:
        return []
    readings: list[rules.FirmwareReading] = []
    for dmc in settings.selected_dmcs:
        models = profiles.device_models(dmc)
        try:
            link = open_link(dmc, models, seed_for_test(settings.seed, f"svtad-entry-check::{dmc.id}"),
                             url=settings.links.get(dmc.id))
        except LinkError as exc:
            readings.extend(rules.FirmwareReading(dmc.id, kind.value, model.firmware, None, f"link not opened: {exc}")
                            for kind, model in models.items())
            continue
        try:
            silent: str | None = None  # the first device's "no response": the link is not answering
            for kind, model in models.items():
                if silent is not None:  # do not wait the link's timeout again for each device behind it
                    readings.append(rules.FirmwareReading(
                        dmc.id, kind.value, model.firmware, None, f"not read: {silent}"[:200],
                        dormant=dmc.installation == "dormant"))
                    continue
                reading, answered = _read_one(link, dmc.id, kind.value, model.firmware)
                readings.append(replace(reading, dormant=dmc.installation == "dormant"))
                if not answered:
                    silent = f"the link did not answer the {kind.value}'s read"
        finally:
            try:
                link.close()
            except Exception:  # noqa: BLE001 - a link that fails to close must not cost the session
                pass
    return readings


def _read_one(link: DeviceLink, dmc: str, kind: str, required: str) -> tuple[rules.FirmwareReading, bool]:
    """The device's reading, and whether the link answered at all (False: it sent nothing within its timeout)."""
    try:
        response = link.request(FIRMWARE_SRV, device=kind)
    except NoResponse as exc:
        return rules.FirmwareReading(dmc, kind, required, None, f"LinkError: {exc}"[:200]), False
    except Exception as exc:  # noqa: BLE001 - whatever a device does, the check reports it, not the session
        return rules.FirmwareReading(dmc, kind, required, None, f"{type(exc).__name__}: {exc}"[:200]), True
    return _reading(response, dmc, kind, required), True


def _reading(response: ServiceResponse, dmc: str, kind: str, required: str) -> rules.FirmwareReading:
    if not response.ok:
        detail = f" {response.detail}" if response.detail else ""
        return rules.FirmwareReading(dmc, kind, required, None, f"SRV {FIRMWARE_SRV} answered {response.code}{detail}"
                                     [:200])
    reported = response.body.get("firmware") if isinstance(response.body, dict) else None
    if not isinstance(reported, str) or not reported:
        return rules.FirmwareReading(dmc, kind, required, None, f"SRV {FIRMWARE_SRV} response has no firmware version")
    return rules.FirmwareReading(dmc, kind, required, reported[:100])


def signoffs(settings: Settings) -> tuple[dict[str, rules.SignOff], str]:
    """The sign-offs that stand for the session's phase, and where they were read (or why not)."""
    if settings.store is None:
        return {}, "no store (--svtad-store none)"
    from pytest_svtad.urls import mask_url

    if settings.store.startswith("sqlite:///") and not Path(settings.store.removeprefix("sqlite:///")).is_file():
        return {}, mask_url(settings.store)  # a store not created yet holds no sign-off: not opened (nor created)
    from pytest_svtad.store import StoreError
    from pytest_svtad.store.db import Store
    from pytest_svtad.store.gates import GateRepository

    try:
        store = Store(settings.store)
    except StoreError as exc:
        return {}, f"the store, which could not be opened ({exc})"
    try:
        found = GateRepository(store).current(stage=settings.stage, release=settings.release,
                                              campaign=settings.campaign)
        return found, store.name
    except StoreError as exc:
        return {}, f"the store, which could not be read ({exc})"
    finally:
        store.close()


def assess(settings: Settings) -> rules.EntryAssessment:
    found, where = signoffs(settings)
    return rules.assess(stage=settings.stage, release=settings.release, campaign=settings.campaign, signoffs=found,
                        ttm=ttm_assurance(settings), firmware=read_firmware(settings),
                        dmcs=len(settings.selected_dmcs), today=datetime.now(UTC).date(), where=where)


def at_session_start(config: pytest.Config, session: SvtadSession) -> None:
    """Check the Entry Criteria once, where every report is seen; with --svtad-gate stop before any test runs when
    the harness's own checks (c) or (d) fail."""
    if session.is_worker or config.option.collectonly or not (session.settings.explicit or session.settings.gate):
        return
    assessment = assess(session.settings)
    config.stash[ENTRY_KEY] = assessment
    if session.settings.gate and assessment.failed_checks:
        reason = assessment.gate_reason()
        config.stash[REFUSED_KEY] = reason
        pytest.exit(reason, returncode=1)


def refused(config: pytest.Config) -> bool:
    return REFUSED_KEY in config.stash


def entry_for_record(config: pytest.Config, session: SvtadSession) -> rules.EntryAssessment:
    """The assessment of the session's start, or (a session only known to be an SVTAD one by its tagged tests)
    one made now, at its end."""
    if ENTRY_KEY not in config.stash:
        config.stash[ENTRY_KEY] = assess(session.settings)
    assessment = config.stash[ENTRY_KEY]
    sink = session.store_sink
    if sink is not None and sink.store is not None and sink.error is None and sink.run_id is not None:
        from pytest_svtad.store import StoreError
        from pytest_svtad.store.gates import GateRepository

        s = session.settings
        try:  # kept with the run, so the campaign's verdict from the store says the same
            GateRepository(sink.store).record_check(sink.run_id, assessment, stage=s.stage, release=s.release,
                                                    campaign=s.campaign)
        except StoreError as exc:
            session.notes.append(f"Entry Criteria not kept with the run: {exc}")
    return assessment


def packs_run(rootdir: Path, nodeids: Iterable[str]) -> list[str]:
    """The packs (folders with a ``pack.yaml``, by folder name, as ``svtad packs`` names them) the tests are in."""
    folders: set[Path] = set()
    for nodeid in nodeids:
        folders.add((rootdir / nodeid.split("::", 1)[0]).parent)
    found: set[str] = set()
    for folder in folders:
        current = folder
        while True:
            if (current / "pack.yaml").is_file():
                found.add(current.name)
                break
            if current == rootdir or current.parent == current:
                break
            current = current.parent
    return sorted(found)


def schedule_notes(config: pytest.Config, session: SvtadSession) -> list[str]:
    """A DMCT stage's check of the packs run against the published DMCT Schedule (notes; warnings first)."""
    s = session.settings
    if s.stage not in DMCT_STAGES:
        return []
    plan = session.collector.plan
    dmcs = sorted({e.dmc for e in plan.values() if e.dmc}) or [d.id for d in s.selected_dmcs]
    packs = packs_run(Path(config.rootpath), plan)
    if s.store is None:
        return [f"WARNING: DMCT Schedule: no store (--svtad-store none): the packs run ({', '.join(packs) or 'none'}) "
                "are not checked against the published DMCT Schedule (20.9(b))"]
    from pytest_svtad.store import StoreError
    from pytest_svtad.store.db import Store
    from pytest_svtad.store.dmct_schedule import ScheduleRepository

    sink = session.store_sink
    shared = sink.store if sink is not None and sink.error is None else None
    try:
        store = shared or Store(s.store)
    except StoreError as exc:
        return [f"WARNING: DMCT Schedule not read: {exc}"]
    try:
        published = ScheduleRepository(store).published()
    except StoreError as exc:
        return [f"WARNING: DMCT Schedule not read: {exc}"]
    finally:
        if store is not shared:
            store.close()
    version = published.label() if published else f"store {store.name}"
    return check_packs(s.stage, dmcs, packs, published.schedule if published else None, version).notes()
