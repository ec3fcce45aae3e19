"""The standard SRVT pack runs unchanged over a real-device link: over `svtad emulate`'s serial protocol it gives the
same outcome as over the simulated link for every test both can run, the tests that need simulator-only powers are
not applicable there (not failed, not planned, and listed in the verdict's notes), each test starts from the known
state (the emulator's RESET from the test's seed), and no alert state leaks from one test into the next."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import inner_run
from pytest_svtad.links import LinkError, open_link
from pytest_svtad.links.known_state import establish
from pytest_svtad.links.protocol import HanAccess, SimulatedTime
from pytest_svtad.links.registry import kind_for, split_kind
from pytest_svtad.links.serial import SerialLink
from pytest_svtad.plugin.link_needs import SIMULATOR, needs
from pytest_svtad.smets1 import wire
from pytest_svtad.smets1.messages import Alert
from pytest_svtad.smets1.profiles import KnownState, KnownStateRequest, load_profiles
from simulators.emulator import Emulator, PtyPort
from simulators.installation import Installation

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "testpacks" / "dmct_srvt"
DMC = "DMC-006"  # fails one SRVT test on every link (the simulated and the emulated device alike)
PROFILES = load_profiles(ROOT / "device_profiles")


def emulator_for(dmc_id: str, **options: Any) -> tuple[Emulator, str]:
    profile = PROFILES.dmcs[dmc_id]
    port = PtyPort()
    emulator = Emulator(Installation(profile, PROFILES.device_models(profile), seed=99), port, **options)
    return emulator.start(), port.path


def srvt(pytester: pytest.Pytester, workers: int, *extra: str) -> tuple[dict[str, str], dict[str, Any]]:
    report = pytester.path / f"report-{workers}-{len(extra)}"
    outcome = inner_run(pytester, workers, str(PACK), "-p", "no:cacheprovider", "--svtad-stage", "DMCT-SRVT",
                        "--svtad-dmc", DMC, "--svtad-report", str(report), "--svtad-seed", "5",
                        "--svtad-store", f"sqlite:///{pytester.path / 'store.db'}", *extra)
    assert outcome.ret in (0, 1), outcome.stdout.str()
    rows = [json.loads(line) for line in (report / "results.jsonl").read_text().splitlines()]
    return {row["nodeid"]: row["outcome"] for row in rows}, json.loads((report / "verdict.json").read_text())


@pytest.mark.parametrize("workers", [0, 2], ids=["n0", "n2"])
def test_srvt_pack_over_the_serial_emulator_matches_sim_and_sim_only_tests_are_not_applicable(
        pytester: pytest.Pytester, shared_runs: dict[Any, Any], workers: int) -> None:
    if "sim" not in shared_runs:
        shared_runs["sim"] = srvt(pytester, 0)
    sim, _ = shared_runs["sim"]
    emulator, path = emulator_for(DMC, speed=0)
    try:
        serial, verdict = srvt(pytester, workers, "--svtad-link", f"{DMC}={path}")
    finally:
        emulator.stop()

    assert serial == {nodeid: sim[nodeid] for nodeid in serial}  # the same outcome, test by test
    assert sorted(n for n, o in serial.items() if o == "failed") == [  # DMC-006's two defects, as on sim
        "testpacks/dmct_srvt/test_srvt_reads.py::test_active_power_import_is_a_plausible_domestic_demand[DMC-006]",
        "testpacks/dmct_srvt/test_srvt_tariff_prepayment.py::test_top_up_raises_credit_by_the_amount[DMC-006]"]
    # what the link cannot run is not planned, but every such test is said, with the power it lacks
    listed = {note.split(": ")[1]: note for note in verdict["notes"] if note.startswith("not applicable on")}
    assert set(listed) == set(sim) - set(serial)
    advance = "testpacks/dmct_srvt/test_srvt_reads.py::test_read_import_register_advances_with_consumption[DMC-006]"
    assert "needs SimulatedTime" in listed[advance] and "uses installation.advance" in listed[advance]
    display = "testpacks/dmct_srvt/test_srvt_configuration.py::test_display_message_reaches_the_in_home_display" \
              "[DMC-006]"
    assert "simulator state" in listed[display]
    assert not any(" is on sim" in note for note in verdict["notes"])
    assert verdict["dmcs"][DMC]["planned"] == len(serial) and verdict["dmcs"][DMC]["not_run"] == 0
    assert f"{DMC}: {len(listed)} tests not applicable on its link" in " ".join(verdict["notes"])
    # every test started from the known state: one RESET per test that opened the link
    assert emulator.resets == len(serial)


def test_no_alert_state_leaks_from_one_test_into_the_next() -> None:
    """The regression: a test that suppressed an alert (6.22) left the emulated installation suppressing it, and
    the next test's read of the alert behaviours (6.2.10) saw it; alerts still due arrived in the next test."""
    emulator, path = emulator_for("DMC-001", speed=0)
    dmc = PROFILES.dmcs["DMC-001"]
    models = PROFILES.device_models(dmc)
    try:
        first = open_link(dmc, models, seed=1, url=path)
        establish(first, seed=1)
        first.request("6.22", suppress=["8F57"]).expect()
        first.request("7.2").expect()  # disabling the supply raises alerts the test never reads
        first.close()
        second = open_link(dmc, models, seed=2, url=path)
        try:
            establish(second, seed=2)
            assert second.request("6.2.10").expect()["suppressed_alerts"] == []
            assert second.request("7.4").expect()["supply_status"] == "enabled"
            assert second.alerts() == []
        finally:
            second.close()
        # without the known state the same sequence leaks (the test above can fail)
        third = open_link(dmc, models, seed=3, url=path)
        try:
            third.request("6.22", suppress=["8F57"]).expect()
            assert third.request("6.2.10").expect()["suppressed_alerts"] == ["8F57"]
        finally:
            third.close()
        leaky = open_link(dmc, models, seed=4, url=path)
        try:
            assert leaky.request("6.2.10").expect()["suppressed_alerts"] == ["8F57"]
        finally:
            leaky.close()
    finally:
        emulator.stop()


def test_alerts_queued_before_the_reset_are_not_the_tests() -> None:
    dmc = PROFILES.dmcs["DMC-001"]
    link = SerialLink(dmc, PROFILES.device_models(dmc), url="loop://", timeout_s=1)  # the line answers itself
    try:
        link.runner.transport.send(wire.encode_frame(wire.alert_frame(Alert(code="8F35", device="ESME"))))
        seen = link.alerts()
        for _ in range(100):  # the line's reader may not have read it yet on a busy machine
            if seen:
                break
            time.sleep(0.05)
            seen = link.alerts()
        assert [alert.code for alert in seen] == ["8F35"]
        assert link.reset(seed=0) == "reset by the device end"  # loop:// echoes the RESET: the device end's answer
        assert link.alerts() == []
        assert "1 earlier alert(s) dropped" in link.transcript_text()
    finally:
        link.close()


def test_a_device_end_that_cannot_reset_fails_the_test_saying_what_to_configure() -> None:
    emulator, path = emulator_for("DMC-001", speed=0, resettable=False)
    dmc = PROFILES.dmcs["DMC-001"]
    link = open_link(dmc, PROFILES.device_models(dmc), seed=1, url=path)
    try:
        with pytest.raises(LinkError, match=r"cannot reset the installation: .*link\.known_state\.reset: false"):
            establish(link, seed=1)
    finally:
        link.close()
        emulator.stop()


def test_the_profiles_known_state_srvs_run_on_every_link_and_must_answer_i0() -> None:
    dmc = PROFILES.dmcs["DMC-001"]
    steps = KnownState(reset=False, requests=(KnownStateRequest(srv="1.6", params={"mode": "prepayment"}),))
    profile = dmc.model_copy(update={"link": dmc.link.model_copy(update={"known_state": steps})})
    link = open_link(profile, PROFILES.device_models(profile), seed=1)  # the simulated link
    assert establish(link, seed=1)[0] == "SRV 1.6 I0"
    assert link.request("6.2.9").expect()["payment_mode"] == "prepayment"
    wrong = KnownState(requests=(KnownStateRequest(srv="6.22", params={"suppress": "not a list"}),))
    profile = dmc.model_copy(update={"link": dmc.link.model_copy(update={"known_state": wrong})})
    with pytest.raises(LinkError, match=r"known state's SRV 6\.22 \(link\.known_state\.requests .*\) was refused"):
        establish(open_link(profile, PROFILES.device_models(profile), seed=1), seed=1)


def _uses_time(installation: Any) -> None:
    installation.request("4.1.1")
    installation.advance(hours=1)


def _uses_datetime_now(installation: Any) -> None:
    import datetime

    installation.request("4.1.1", start=datetime.datetime.now())
    assert installation.devices["ESME"].firmware


def _reads_simulator_state(smets1: Any) -> None:
    assert smets1.devices["IHD"].display_message
    assert getattr(smets1, "han", None) is not None
    smets1.faults.tamper()


def test_simulator_only_powers_are_inferred_from_the_test_s_own_use_of_its_link() -> None:
    assert set(needs(_uses_time, ["installation", "dmc"])) == {SimulatedTime}
    assert needs(_uses_time, ["dmc"]) == {}  # 'installation' is not a link fixture of this test
    assert needs(_uses_datetime_now, ["installation"]) == {}  # datetime.now, a device model's field: nothing
    found = needs(_reads_simulator_state, ["smets1"])
    assert set(found) == SIMULATOR | {HanAccess} and found[HanAccess] == "uses getattr(smets1, 'han')"
    assert needs(None, ["smets1_han"]) == {HanAccess: "asks for smets1_han"}
    marked = needs(None, ["smets1"], [pytest.mark.requires_sim("the IHD's screen").mark])
    assert set(marked) == SIMULATOR and "the IHD's screen" in marked[SimulatedTime]


def test_a_url_may_name_its_link_kind() -> None:
    dmc = PROFILES.dmcs["DMC-001"]
    assert split_kind("zigbee+socket://127.0.0.1:9") == ("zigbee", "socket://127.0.0.1:9")
    assert kind_for(dmc, "zigbee+socket://127.0.0.1:9") == "zigbee"
    assert kind_for(dmc, "socket://127.0.0.1:9") == "serial"
    with pytest.raises(LinkError, match="unknown link kind 'carrier'"):
        kind_for(dmc, "carrier+pigeon://loft")


def test_a_real_link_s_device_has_its_model_and_says_it_has_no_state() -> None:
    dmc = PROFILES.dmcs["DMC-001"]
    link = SerialLink(dmc, PROFILES.device_models(dmc), url="loop://", timeout_s=1)
    try:
        ihd = link.devices["IHD"]
        assert ihd.firmware == PROFILES.device_models(dmc)[ihd.model.kind].firmware
        with pytest.raises(AttributeError, match=r"devices\['IHD'\]\.display_message: a real-device link knows the "
                                                 r"IHD's model \(id, kind, .*\), not its state"):
            getattr(ihd, "display_message")  # noqa: B009
    finally:
        link.close()


def test_an_unknown_link_kind_in_a_url_is_a_one_line_usage_error(pytester: pytest.Pytester) -> None:
    outcome = inner_run(pytester, 0, "-p", "no:cacheprovider", "--svtad-profiles", str(ROOT / "device_profiles"),
                        "--svtad-store", "none", "--svtad-link", "DMC-001=carrier+pigeon://loft")
    assert outcome.ret == pytest.ExitCode.USAGE_ERROR
    assert "--svtad-link: DMC 'DMC-001': unknown link kind 'carrier' in 'carrier+pigeon://loft' (registered: " \
           in outcome.stderr.str() and "serial, sim, zigbee" in outcome.stderr.str()
    assert "Traceback" not in outcome.stderr.str() + outcome.stdout.str()


def test_requires_sim_runs_on_the_simulated_link_and_is_listed_not_applicable_on_a_real_one(pytester):
    from conftest import Project

    project = Project(pytester, 0)
    profile = pytester.path / "device_profiles" / "dmcs" / "DMC-B.yaml"
    # nothing answers on loop:// (it echoes): a short timeout, so the session-start firmware probe gives up soon
    profile.write_text(profile.read_text() + "link: {kind: serial, url: 'loop://', timeout_s: 0.2}\n")
    project.tests("""
        import pytest

        @pytest.mark.ttm("REQ-1")
        @pytest.mark.requires_sim("the ESME object's own registers")
        def test_reads_the_simulator(dmc):
            assert dmc.id
    """)
    run = project.run("--svtad-dmc", "DMC-A,DMC-B", "--svtad-store", "none")
    assert run.ret == 0, run.text
    assert [row["nodeid"] for row in run.results()] == ["test_pack.py::test_reads_the_simulator[DMC-A]"]
    notes = [note for note in run.verdict()["notes"] if "not applicable on DMC-B" in note]
    assert notes == ["not applicable on DMC-B: test_pack.py::test_reads_the_simulator[DMC-B]: needs ConsumerAction, "
                     "FaultInjection, Migration, SimulatedTime, which its serial link loop:// lacks (marked "
                     "requires_sim: the ESME object's own registers)"]


class _Node:
    def __init__(self, *marks: Any) -> None:
        self._marks = [mark.mark for mark in marks]

    def iter_markers(self) -> Any:
        return iter(self._marks)


def test_requires_sim_with_more_than_a_reason_is_a_marker_error() -> None:
    from pytest_svtad.plugin.markers import MarkerError, read_tags
    from pytest_svtad.smets1.catalogue import default_catalogue

    assert read_tags(_Node(pytest.mark.requires_sim(reason="screen")), default_catalogue(), None).tagged
    with pytest.raises(MarkerError, match=r"requires_sim\(reason=None\): expected at most one string"):
        read_tags(_Node(pytest.mark.requires_sim("a", "b")), default_catalogue(), None)
    with pytest.raises(MarkerError, match=r"requires_sim"):
        read_tags(_Node(pytest.mark.requires_sim(minutes=5)), default_catalogue(), None)


def test_a_dormant_dmc_is_reset_enrolled_for_service_testing_as_the_sim_link_migrates_it() -> None:
    emulator, path = emulator_for("DMC-003", speed=0)
    dmc = PROFILES.dmcs["DMC-003"]
    try:
        link = open_link(dmc, PROFILES.device_models(dmc), seed=7, url=path)
        try:
            establish(link, seed=7)  # as profiled: dormant, out of the DCC's reach
            assert link.request("6.2.9").code != "I0"
            link.reset(seed=7, enrolled=True)  # what the installation fixture asks on a link without Migration
            assert link.request("6.2.9").expect()["payment_mode"] == dmc.payment_mode
            assert '"enrolled":true' in link.transcript_text()
        finally:
            link.close()
    finally:
        emulator.stop()
