"""The same pack slice over the simulated link and over serial links to emulators on pseudo-terminals gives the
same outcomes, in one process and under -n 2 (where real links are grouped one worker per DMC)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import inner_run
from pytest_svtad.smets1.profiles import load_profiles
from simulators.emulator import Emulator, PtyPort
from simulators.installation import Installation

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "testpacks" / "dmct_srvt"
SLICE = {  # tests that need no simulated time or faults: they run on real devices as they are
    "test_srvt_tariff_prepayment.py": [
        "test_update_import_tariff_reads_back", "test_read_tariff_returns_the_tariff_in_force",
        "test_update_price_changes_the_unit_rate", "test_update_payment_mode_both_ways",
        "test_update_prepay_configuration_reads_back", "test_top_up_raises_credit_by_the_amount",
        "test_read_prepay_values_reports_credit_emergency_credit_and_debt", "test_read_prepayment_configuration",
        "test_read_meter_balance"],
    "test_srvt_configuration.py": ["test_update_supplier_name_is_held", "test_read_identity_matches_the_dmc",
                                   "test_set_import_mpxn", "test_read_payment_mode_is_the_dmc_s"],
    "test_srvt_inventory_firmware.py": ["test_read_inventory_lists_every_device",
                                        "test_read_firmware_version_of_every_device"],
}
DMCS = ("DMC-001", "DMC-006")


def run(pytester: pytest.Pytester, workers: int, *extra: str) -> dict[str, str]:
    tests = [f"{PACK / module}::{name}" for module, names in SLICE.items() for name in names]
    args = [*tests, "-p", "no:cacheprovider", "--svtad-stage", "DMCT-SRVT", "--svtad-ttm",
            str(ROOT / "testpacks" / "ttm" / "smets1-sit-sample.csv"), "--svtad-dmc", ",".join(DMCS),
            "--svtad-report", "report", "--svtad-store", str(pytester.path / "store.db"), *extra]
    outcome = inner_run(pytester, workers, *args)
    assert outcome.ret in (0, 1), outcome.stdout.str()
    rows = [json.loads(line) for line in (pytester.path / "report" / "results.jsonl").read_text().splitlines()]
    return {row["nodeid"]: row["outcome"] for row in rows}


@pytest.mark.parametrize("workers", [2], ids=["n2"])  # one process: test_real_links.py's whole-pack test
def test_pack_slice_gives_the_same_outcomes_over_sim_and_serial_links(pytester, workers):
    simulated = run(pytester, workers)
    profiles = load_profiles(ROOT / "device_profiles")
    emulators = []
    for dmc_id in DMCS:
        profile = profiles.dmcs[dmc_id]
        port = PtyPort()
        emulators.append((dmc_id, port.path, Emulator(Installation(profile, profiles.device_models(profile), seed=2),
                                                      port).start()))
    try:
        links = ",".join(f"{dmc_id}={path}" for dmc_id, path, _ in emulators)
        serial = run(pytester, workers, "--svtad-link", links)
    finally:
        for _, _, emulator in emulators:
            emulator.stop()
    assert len(simulated) == 2 * 15
    assert serial == simulated
    failed = sorted(nodeid for nodeid, outcome in serial.items() if outcome == "failed")
    assert failed == ["testpacks/dmct_srvt/test_srvt_tariff_prepayment.py::test_top_up_raises_credit_by_the_amount"
                      "[DMC-006]"]
    verdict = json.loads((pytester.path / "report" / "verdict.json").read_text())
    if workers:
        assert any("--dist loadgroup" in note for note in verdict["notes"])
    transcript = next((pytester.path / "report" / "evidence").glob("*top_up*DMC-001*/transcript.txt")).read_text()
    assert "over /dev/pts/" in transcript and ">>    2.2 Top Up Device" in transcript


def test_a_link_option_for_an_unknown_dmc_is_a_usage_error(pytester):
    outcome = pytester.runpytest_inprocess(str(PACK), "--collect-only", "--svtad-link", "DMC-999=/dev/null")
    assert outcome.ret == pytest.ExitCode.USAGE_ERROR
    assert "--svtad-link: no DMC profile 'DMC-999'" in outcome.stderr.str()


@pytest.mark.parametrize("workers", [0, 2], ids=["n0", "n2"])
def test_links_named_in_dmc_profiles_serial_and_zigbee(pytester, workers):
    """DMC-004 on a serial link and DMC-001 on a zigbee link, both from their profiles: the SIT pack's HAN test
    reads the meters' ZigBee clusters through the radio adapter and compares them with the DUIS reads."""
    import shutil

    profiles_dir = pytester.path / "profiles"
    shutil.copytree(ROOT / "device_profiles", profiles_dir)
    profiles = load_profiles(profiles_dir)
    emulators = []
    try:
        for dmc_id, kind in (("DMC-004", "serial"), ("DMC-001", "zigbee")):
            profile = profiles.dmcs[dmc_id]
            port = PtyPort()
            emulators.append(Emulator(Installation(profile, profiles.device_models(profile), seed=4), port).start())
            path = profiles_dir / "dmcs" / f"{dmc_id.lower()}.yaml"
            path.write_text(path.read_text() + f"link: {{kind: {kind}, url: '{port.path}', timeout_s: 5}}\n")
        han_test = ROOT / "testpacks" / "sit_functional" / "test_sit_firmware_inventory_alerts.py"
        args = [f"{han_test}::test_the_han_shows_what_the_duis_reads_return",
                f"{han_test}::test_every_device_runs_the_declared_firmware", "-p", "no:cacheprovider",
                "--svtad-profiles", str(profiles_dir), "--svtad-dmc", "DMC-001,DMC-004", "--svtad-ttm",
                str(ROOT / "testpacks" / "ttm" / "smets1-sit-sample.csv"), "--svtad-report", "report",
                "--svtad-store", str(pytester.path / "store.db")]
        outcome = inner_run(pytester, workers, *args)
    finally:
        for emulator in emulators:
            emulator.stop()
    rows = {json.loads(line)["nodeid"].split("::")[1]: json.loads(line)
            for line in (pytester.path / "report" / "results.jsonl").read_text().splitlines()}
    assert rows["test_every_device_runs_the_declared_firmware[DMC-004]"]["outcome"] == "passed"
    assert rows["test_every_device_runs_the_declared_firmware[DMC-001]"]["outcome"] == "passed"
    assert rows["test_the_han_shows_what_the_duis_reads_return[DMC-001]"]["outcome"] == "passed"
    # a serial link has no HAN: the test is not applicable there (not failed), and said so
    assert "test_the_han_shows_what_the_duis_reads_return[DMC-004]" not in rows
    notes = json.loads((pytester.path / "report" / "verdict.json").read_text())["notes"]
    assert any("test_the_han_shows_what_the_duis_reads_return[DMC-004]: needs HanAccess, which its serial link"
               in note for note in notes)
    evidence = pytester.path / "report" / "evidence"
    assert next(evidence.glob("*han_shows*DMC-001*/han.pcap")).stat().st_size > 100
    assert outcome.ret == 0


def test_tests_are_grouped_by_the_real_link_dmc_they_are_parametrized_with():
    from pytest_svtad.plugin.scheduling import dmc_of

    dmcs = frozenset({"DMC-001", "DMC-0011"})
    assert dmc_of("m.py::test_x[DMC-001]", dmcs) == "DMC-001"
    assert dmc_of("m.py::test_x[DMC-0011-2]", dmcs) == "DMC-0011"
    assert dmc_of("m.py::test_x[3-DMC-001]", dmcs) == "DMC-001"
    assert dmc_of("m.py::test_x[a-DMC-001-b]", dmcs) == "DMC-001"
    assert dmc_of("m.py::test_x[DMC-002]", dmcs) is None
    assert dmc_of("m.py::test_x", dmcs) is None


@pytest.mark.parametrize("dist", ["load", "worksteal", "loadscope", "loadfile"])
def test_every_dist_mode_that_shares_tests_keeps_a_real_device_dmc_on_one_worker(pytester, dist):
    config = pytester.parseconfigure(str(PACK), "-n", "2", "--dist", dist, "--svtad-store", "none",
                                     "--svtad-link", "DMC-001=loop://")
    from pytest_svtad.plugin.session import SESSION_KEY

    session = config.stash[SESSION_KEY]
    assert config.option.dist == "loadgroup" and session.real_link_dmcs == frozenset({"DMC-001"})
    note = next(note for note in session.notes if note.startswith("--dist loadgroup"))
    assert ("(was" in note) == (dist != "load") and "DMC-001" in note


def test_dist_each_with_a_real_device_dmc_is_a_usage_error(pytester):
    with pytest.raises(pytest.UsageError, match=r"--dist each runs every test on every worker.*DMC-001"):
        pytester.parseconfigure(str(PACK), "-n", "2", "--dist", "each", "--svtad-store", "none",
                                "--svtad-link", "DMC-001=loop://")
