"""Real-device links against the emulator over real pseudo-terminals: the wire format, the serial link's
behaviour when the device misbehaves (never a hang), the ZigBee HAN reader, pcaps, and masked secrets."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pytest_svtad.links.errors import LinkError
from pytest_svtad.links.serial import SerialLink
from pytest_svtad.links.zigbee import ZigbeeLink
from pytest_svtad.smets1 import wire
from pytest_svtad.smets1.messages import ServiceResponse
from pytest_svtad.smets1.profiles import load_profiles
from simulators.emulator import Emulator, PtyPort, SocketPort
from simulators.installation import Installation

ROOT = Path(__file__).resolve().parents[1]
PROFILES = load_profiles(ROOT / "device_profiles")


def dmc(dmc_id: str = "DMC-002"):
    profile = PROFILES.dmcs[dmc_id]
    return profile, PROFILES.device_models(profile)


@pytest.fixture
def emulated(request):
    """An emulated DMC-002 on a pty; parametrize indirectly with a misbehaviour mapping."""
    profile, models = dmc()
    port = PtyPort()
    # a simulated minute per wall second: alerts raised after an answer still arrive within the test
    emulator = Emulator(Installation(profile, models, seed=5), port, speed=60,
                        misbehave=getattr(request, "param", None))
    emulator.start()
    yield emulator, port.path
    emulator.stop()


def link(path: str, timeout_s: float = 1.0, kind=SerialLink):
    profile, models = dmc()
    return kind(profile, models, url=path, timeout_s=timeout_s)


# --- the wire format -----------------------------------------------------------------------------------------

def test_frames_round_trip_with_stuffing_crc_and_tagged_datetimes():
    response = ServiceResponse("r:t:1", "4.8.1", "I0", {"intervals": [{"start": datetime(2026, 1, 1, tzinfo=UTC),
                                                                        "kwh": 0.25}], "note": "\x7e\x7d"},
                               "ESME", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 0, 0, 5, tzinfo=UTC))
    raw = wire.encode_frame(wire.response_frame(response, 0x7E7D))
    assert raw[0] == raw[-1] == wire.FLAG and wire.FLAG not in raw[1:-1]
    frames = wire.Deframer().feed(raw)
    assert [frame.seq for frame in frames] == [0x7E7D] and wire.read_response(frames[0]) == response


def test_garbage_and_corrupted_frames_are_counted_and_skipped():
    good = wire.encode_frame(wire.Frame(wire.FrameType.ALERT, 0, wire.dumps({"code": "8F35"})))
    corrupted = good[:-3] + bytes((good[-3] ^ 0x01,)) + good[-2:]
    deframer = wire.Deframer()
    frames = deframer.feed(b"noise" + corrupted + good + b"\x7e\x01\x7e")
    assert len(frames) == 1 and wire.read_alert(frames[0]).code == "8F35"
    assert deframer.garbage_bytes == 5 and deframer.bad_frames == 2
    assert "CRC mismatch" in deframer.errors[0]


def test_payloads_are_data_never_code():
    payload = b'{"srv": "__import__(\'os\').system(\'true\')", "params": {"x": {"$dt": "not a date"}}}'
    with pytest.raises(ValueError):
        wire.read_request(wire.Frame(wire.FrameType.REQUEST, 1, payload))
    request = wire.read_request(wire.Frame(wire.FrameType.REQUEST, 1, b'{"srv": "__import__(\'os\')"}'))
    assert request.srv == "__import__('os')"
    with pytest.raises(wire.WireError, match="unsupported protocol version 9"):
        wire.decode_body(bytes((9, 1, 0, 1)) + wire.crc16(bytes((9, 1, 0, 1))).to_bytes(2, "big"))


# --- the serial link against the emulator over a pty ---------------------------------------------------------

def test_requests_answers_and_alerts_over_a_pty(emulated):
    emulator, path = emulated
    device = link(path)
    before = device.request("4.3").body["credit_pence"]
    assert device.request("2.2", amount_pence=500).code == "I0"
    assert device.request("4.3").body["credit_pence"] == before + 500
    assert device.request("7.2").ok
    deadline = time.monotonic() + 3
    while "8F57" not in [a.code for a in device.alerts()] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "8F57" in [a.code for a in device.alerts()]
    rows = device.request("4.8.1").body["intervals"]
    assert all(isinstance(row["start"], datetime) for row in rows)
    device.close()
    assert "2.2 Top Up Device to default device" in device.transcript_text()


def test_bad_use_is_refused_with_the_simulator_s_reason(emulated):
    _, path = emulated
    device = link(path)
    with pytest.raises(LinkError, match=r"parameter 'amount_pence': expected an integer >= 1"):
        device.request("2.2", amount_pence=-1)
    with pytest.raises(LinkError, match=r"unknown SRV '4\.1'; did you mean 4\.1\.1"):
        device.request("4.1")
    with pytest.raises(AttributeError, match="advance exists only on a simulated link"):
        device.advance(hours=1)
    device.close()


@pytest.mark.parametrize("emulated", [{"4.1.1": "corrupt"}], indirect=True)
def test_a_corrupted_answer_is_skipped_and_the_read_retried(emulated):
    _, path = emulated
    device = link(path, timeout_s=0.5)
    assert device.request("4.1.1").ok
    assert device.deframer.bad_frames == 1 and "retrying the read" in device.transcript_text()
    device.close()


@pytest.mark.parametrize("emulated", [{"4.1.1": "silent", "2.2": "silent"}], indirect=True)
def test_a_silent_device_fails_the_request_with_the_reason_and_updates_are_sent_once(emulated):
    emulator, path = emulated
    device = link(path, timeout_s=0.3)
    started = time.monotonic()
    with pytest.raises(LinkError, match=r"no response from the device to SRV 4\.1\.1 \(read\) within 0\.3 s after "
                                        r"3 attempt\(s\)"):
        device.request("4.1.1")
    assert time.monotonic() - started < 5
    sent = emulator.requests
    with pytest.raises(LinkError, match=r"SRV 2\.2 \(update \(never repeated\)\).* after 1 attempt"):
        device.request("2.2", amount_pence=100)
    assert emulator.requests == sent + 1
    device.close()


@pytest.mark.parametrize("emulated", [{"4.3": "wrong_seq"}], indirect=True)
def test_an_answer_with_the_wrong_sequence_number_is_not_taken(emulated):
    _, path = emulated
    device = link(path, timeout_s=0.3)
    with pytest.raises(LinkError, match="3 stale responses seen"):
        device.request("4.3")
    assert device.stale_responses == 3
    device.close()


@pytest.mark.parametrize("emulated", [{"7.4": "disconnect"}], indirect=True)
def test_a_device_that_drops_the_line_mid_answer_fails_fast(emulated):
    _, path = emulated
    device = link(path, timeout_s=2)
    started = time.monotonic()
    with pytest.raises(LinkError):
        device.request("7.4")
    assert time.monotonic() - started < 10
    device.close()


def test_socket_urls_reach_the_emulator_too():
    profile, models = dmc()
    port = SocketPort()
    emulator = Emulator(Installation(profile, models, seed=1), port).start()
    try:
        device = SerialLink(profile, models, url=port.url, timeout_s=1)
        assert device.request("11.2").body == {"firmware": "3.2.1"}
        device.close()
    finally:
        emulator.stop()


# --- ZigBee --------------------------------------------------------------------------------------------------

def test_zigbee_reads_agree_with_duis_reads_and_the_pcap_parses_back(emulated, tmp_path):
    from scapy.config import conf

    conf.dot15d4_protocol = "zigbee"
    from scapy.layers.zigbee import ZCLGeneralReadAttributesResponse, ZigbeeClusterLibrary
    from scapy.utils import rdpcap

    _, path = emulated
    device = link(path, kind=ZigbeeLink)
    duis = device.request("4.1.1").body["import_kwh"]
    han = device.han.metering("ESME")
    assert han.unit == "kWh" and han.summation == pytest.approx(duis, abs=0.001)
    assert han.supply_status == "enabled" and han.device_type == "electricity"
    gas = device.han.metering("GSME")
    assert gas.unit == "m3" and gas.summation == pytest.approx(device.request("4.1.1", device="GSME").body[
        "volume_m3"], abs=0.002)
    price = device.han.current_price()
    tariff = device.request("4.11.1").body["tariff"]
    assert price.currency == 826 and price.pence_per_unit == pytest.approx(tariff["unit_rate_pence"])
    (tmp_path / "han.pcap").write_bytes(device.han.pcap())
    packets = rdpcap(str(tmp_path / "han.pcap"))
    assert len(packets) == 6 and all(packet.haslayer(ZigbeeClusterLibrary) for packet in packets)
    assert sum(packet.haslayer(ZCLGeneralReadAttributesResponse) for packet in packets) == 2
    device.close()


def test_the_simulated_link_reads_its_han_through_the_same_frames():
    from pytest_svtad.links.sim import SimLink

    profile, models = dmc("DMC-001")
    sim = SimLink(profile, models, seed=3)
    assert sim.han.metering().summation == pytest.approx(sim.request("4.1.1").body["import_kwh"], abs=0.001)
    sim.request("7.2")
    assert sim.han.metering().supply_status == "disabled"
    assert len(sim.han.frames) == 4 and sim.han.pcap()[:4] == bytes.fromhex("d4c3b2a1")


# --- the emulate command and secrets ------------------------------------------------------------------------

def test_svtad_emulate_prints_the_device_to_connect_to():
    process = subprocess.Popen([sys.executable, "-m", "pytest_svtad.cli", "emulate", "--dmc", "DMC-001", "--pty",
                                "--profiles", str(ROOT / "device_profiles"), "--speed", "0", "--duration", "20"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline()
        assert first.startswith("emulating DMC-001") and "/dev/pts/" in first
        path = first.rsplit(" on ", 1)[1].strip()
        assert process.stdout.readline().strip() == f"connect with: --svtad-link DMC-001={path}"
        profile, models = dmc("DMC-001")
        device = SerialLink(profile, models, url=path, timeout_s=5)
        assert device.request("7.4").body == {"supply_status": "enabled"}
        device.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_secrets_in_profiles_are_never_shown(tmp_path, capsys):
    import shutil

    from pytest_svtad.cli import main

    shutil.copytree(ROOT / "device_profiles", tmp_path / "profiles")
    path = tmp_path / "profiles" / "dmcs" / "dmc-001.yaml"
    secrets = "secrets:\n  ESME: {install_code: 'A1B2-C3D4-E5F6-0718', link_key: 'SECRETKEY'}\n"
    path.write_text(path.read_text() + secrets)
    profiles = load_profiles(tmp_path / "profiles")
    profile = profiles.dmcs["DMC-001"]
    assert profile.secrets["ESME"].install_code.get_secret_value() == "A1B2-C3D4-E5F6-0718"
    assert "A1B2" not in repr(profile) and "SECRETKEY" not in str(profile)
    assert main(["profiles", str(tmp_path / "profiles")]) == 0
    out = capsys.readouterr().out
    assert "install code **********" in out and "A1B2" not in out and "SECRETKEY" not in out
    buffer = io.StringIO()
    print(profile, file=buffer)
    assert "A1B2" not in buffer.getvalue()
