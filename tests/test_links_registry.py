"""Link kinds are registered drivers with declared capabilities; a power a link lacks is an AttributeError naming
its capability, and a test that asks for it is not applicable to that DMC. The simulator's handlers run against a
small context, without an installation."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest

from conftest import Project
from pytest_svtad.links import registry
from pytest_svtad.links.errors import LinkError
from pytest_svtad.links.protocol import (
    ConsumerAction,
    DeviceLink,
    FaultInjection,
    HanAccess,
    Migration,
    SimulatedTime,
    capability_of,
    supports,
)
from pytest_svtad.links.runner import RunnerLink
from pytest_svtad.links.serial import SerialLink
from pytest_svtad.links.sim import SimLink
from pytest_svtad.links.zigbee import ZigbeeLink
from pytest_svtad.smets1.profiles import DeviceKind, load_profiles

ROOT = Path(__file__).resolve().parents[1]
PROFILES = load_profiles(ROOT / "device_profiles")


def test_each_built_in_kind_is_registered_with_its_declared_capabilities():
    assert {"sim", "serial", "zigbee"} <= set(registry.kinds())
    assert registry.driver_for("sim") is SimLink and registry.driver_for("zigbee") is ZigbeeLink
    simulated = {SimulatedTime, FaultInjection, Migration, ConsumerAction, HanAccess}
    assert set(registry.capabilities(PROFILES.dmcs["DMC-001"])) == simulated
    assert registry.capabilities(PROFILES.dmcs["DMC-001"], url="socket://127.0.0.1:1") == frozenset()
    assert supports(ZigbeeLink, HanAccess) and not supports(ZigbeeLink, SimulatedTime)
    assert capability_of("advance") is SimulatedTime and capability_of("migrate") is Migration
    with pytest.raises(LinkError, match="no link driver for kind 'http'"):
        registry.driver_for("http")


def test_a_new_kind_is_a_driver_class_and_a_registration():
    class Recording(RunnerLink, SimulatedTime):
        """A fake kind: opens without a device, says what it was asked."""

        kind: ClassVar[str] = "recording"

        def __init__(self, target: registry.LinkTarget) -> None:
            self.dmc = target.dmc
            self.target = target

        @classmethod
        def open(cls, target: registry.LinkTarget) -> DeviceLink:
            return cls(target)

    registry.register("test-recording")(Recording)
    try:
        dmc = PROFILES.dmcs["DMC-002"]
        link = registry.driver_for("test-recording").open(registry.LinkTarget(dmc, PROFILES.device_models(dmc), 7))
        assert isinstance(link, Recording) and link.target.seed == 7
        assert supports(link, SimulatedTime) and not supports(link, FaultInjection)
        with pytest.raises(ValueError, match="already registered"):
            registry.register("test-recording")(SerialLink)
    finally:
        registry._DRIVERS.pop("test-recording")


def test_a_power_the_link_lacks_names_its_capability_and_the_link():
    link = SerialLink.__new__(SerialLink)  # unopened: the message needs only the DMC and the transport's URL
    link.dmc = PROFILES.dmcs["DMC-002"]
    link.runner = type("R", (), {"transport": type("T", (), {"where": "/dev/pts/9"})()})()  # type: ignore[assignment]
    with pytest.raises(AttributeError, match=r"smets1\.migrate exists only on a simulated link \(Migration\); "
                                             r"DMC-002 is on serial \(/dev/pts/9\)"):
        link.migrate()
    with pytest.raises(AttributeError, match=r"smets1\.han exists only on a simulated or zigbee link"):
        _ = link.han
    with pytest.raises(AttributeError, match="^no_such_thing$"):
        _ = link.no_such_thing


def test_the_simulated_link_migrates_a_dormant_dmc_through_its_migration_capability():
    dmc = PROFILES.dmcs["DMC-003"]
    link = registry.open_link(dmc, PROFILES.device_models(dmc), seed=1)
    assert supports(link, Migration) and not link.enrolled  # type: ignore[attr-defined]
    assert link.migrate(cohort="DMCT")["migrated"] and link.enrolled  # type: ignore[attr-defined]


def test_a_test_asking_for_a_capability_is_not_applicable_where_the_link_lacks_it(project_single: Project):
    root = project_single.pytester.path
    profile = root / "device_profiles" / "dmcs" / "DMC-B.yaml"
    # nothing answers on loop:// (it echoes): a short timeout, so the session-start firmware probe gives up soon
    profile.write_text(profile.read_text() + "link: {kind: serial, url: 'loop://', timeout_s: 0.2}\n")
    project_single.tests("""
        import pytest

        @pytest.mark.ttm("REQ-2")
        def test_outage(smets1_faults, smets1_clock):
            smets1_faults.faults.wan_outage(minutes=5)
            smets1_clock.advance(minutes=10)

        @pytest.mark.ttm("REQ-1")
        def test_profile(dmc):
            assert dmc.id
    """)
    run = project_single.run("--svtad-dmc", "all")
    assert run.ret == 0, run.text
    ids = sorted(row["nodeid"].split("::")[1] for row in run.results())
    assert ids == ["test_outage[DMC-A]", "test_outage[DMC-C]", "test_profile[DMC-A]", "test_profile[DMC-B]",
                   "test_profile[DMC-C]"]
    # not generated, so neither planned nor skipped, but said: nothing vanishes unseen
    assert [n for n in run.verdict()["notes"] if "test_outage[DMC-B]" in n] == [
        "not applicable on DMC-B: test_pack.py::test_outage[DMC-B]: needs FaultInjection, SimulatedTime, which its "
        "serial link loop:// lacks (asks for smets1_faults; asks for smets1_clock)"]
    # the session-start firmware probe (12.5(d)) waits for DMC-B's first device only: the rest are "not read"
    entry = run.criterion("entry-criteria")["detail"]
    assert "no response" in entry and "not read: the link did not answer the ESME's read" in entry


def test_a_service_handler_module_imports_and_runs_without_an_installation():
    script = textwrap.dedent("""
        import sys
        from simulators import services
        assert "simulators.installation" not in sys.modules, "services imported the installation"
        print(sorted(services.SERVICES)[:1])
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr

    from simulators.devices import Device, Inventory
    from simulators.services import SERVICES

    class Context:  # only what the handler touches
        inventory = Inventory()
        now = datetime(2026, 1, 12, tzinfo=UTC)

    model = PROFILES.device_models(PROFILES.dmcs["DMC-001"])[DeviceKind.CH]
    hub = Device(DeviceKind.CH, model, "00-DB-12-00-00-00-00-01")
    body: dict[str, Any] = SERVICES["8.1.1"].handler(Context(), hub, {})  # type: ignore[arg-type]
    assert body == {"device_id": hub.device_id, "status": "commissioned"}
    assert Context.inventory.status == {hub.device_id: "commissioned"}
