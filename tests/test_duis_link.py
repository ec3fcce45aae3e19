"""The duis link against the simulated DCC behind DUIS (``simulators/duis_dcc.py``, ``svtad emulate --duis``), both
in this process on free ports: requests over HTTP with the endpoint chosen by command variant, the critical
transform / sign / resubmit path, responses through the receiver and by polling, alerts, signatures, bad input to
either end, late and missing responses; and the SRVT pack over duis giving the simulated link's outcomes."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from test_duis_signing import identity

from conftest import inner_run
from pytest_svtad.cli.main import main
from pytest_svtad.links.duis import DuisLink, base_url, command_variant
from pytest_svtad.links.duis_receiver import request_key
from pytest_svtad.links.errors import LinkError
from pytest_svtad.links.registry import kind_for
from pytest_svtad.smets1 import duis, duis_precommand
from pytest_svtad.smets1.catalogue import default_catalogue
from pytest_svtad.smets1.duis.errors import error_code
from pytest_svtad.smets1.http_server import BackgroundServer
from pytest_svtad.smets1.messages import Alert, ServiceRequest, ServiceResponse
from pytest_svtad.smets1.profiles import DmcProfile, DuisCredentials, Profiles, derived_eui64, load_profiles
from pytest_svtad.urls import duis_url_problem
from simulators.duis_dcc import DuisDcc
from simulators.installation import Installation

ROOT = Path(__file__).resolve().parents[1]
USER = "90-B3-D5-1F-30-01-00-00"
# entity expansion ("billion laughs"): a parser that expands entities never ends
LAUGHS = ("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
          + "".join(f"<!ENTITY lol{i} '{('&lol' + (str(i - 1) if i > 1 else '') + ';') * 10}'>" for i in range(1, 9))
          + "]><lolz>&lol8;</lolz>").encode()


@pytest.fixture(scope="module")
def profiles() -> Profiles:
    return load_profiles(ROOT / "device_profiles")


def on_duis(dmc: DmcProfile, url: str, **link: Any) -> DmcProfile:
    update: dict[str, Any] = {"kind": "duis", "url": url, **{k: v for k, v in link.items() if k != "duis"}}
    changed = dmc.model_copy(update={"link": dmc.link.model_copy(update=update)})
    return changed.model_copy(update={"duis": link["duis"]}) if "duis" in link else changed


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One client for the module's direct posts (each new one loads the system's CA certificates)."""
    with httpx.Client(timeout=5) as client:
        yield client


@pytest.fixture
def dcc(profiles: Profiles) -> Iterator[DuisDcc]:
    dmc = profiles.dmcs["DMC-001"]
    server = DuisDcc({dmc.id: Installation(dmc, profiles.device_models(dmc), seed=7)}).start()
    yield server
    server.stop()


def keys(tmp_path: Path, name: str = "user") -> tuple[Path, Path]:
    """An EC P-256 key and a self-signed certificate (test_duis_signing.identity), written to files."""
    key, cert = identity(f"svtad test {name}")
    key_path, cert_path = tmp_path / f"{name}.key", tmp_path / f"{name}.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def wait_for_alert(link: DuisLink, code: str) -> list[Alert]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found = [alert for alert in link.alerts() if alert.code == code]
        if found:
            return found
        time.sleep(0.02)
    return []


# --- the vocabulary of the link ---------------------------------------------------------------------------------

def test_devices_have_the_profiles_eui64_or_a_stable_derived_one(profiles):
    dmc = profiles.dmcs["DMC-001"]
    derived = dmc.device_eui64("ESME")
    assert derived == derived_eui64("DMC-001", "ESME") != derived_eui64("DMC-002", "ESME")
    assert derived != dmc.device_eui64("GSME")
    assert int(derived[:2], 16) & 0x03 == 0x02  # locally administered, unicast: no manufacturer's real id
    given = dmc.model_copy(update={"eui64": {"ESME": "00-DB-12-34-56-78-90-A3"}})
    assert given.device_eui64("ESME") == "00-DB-12-34-56-78-90-A3"
    with pytest.raises(ValueError, match=r"eui64.ESME: expected a hyphenated EUI-64 .* got '00DB'"):
        DmcProfile.model_validate({**dmc.model_dump(), "eui64": {"ESME": "00DB"}})


def test_duis_urls_and_the_kind_they_select(profiles):
    dmc = profiles.dmcs["DMC-001"]
    assert kind_for(dmc, "duis+https://dcc.example:8443") == "duis"
    assert base_url("duis+http://127.0.0.1:8079/") == "http://127.0.0.1:8079"
    assert duis_url_problem("duis+https://dcc.example/base") is None
    assert "expected duis+https://HOST" in str(duis_url_problem("duis+ftp://x"))
    assert "no host" in str(duis_url_problem("duis+https://:80"))
    assert "port" in str(duis_url_problem("duis+http://h:99999"))
    assert duis_url_problem("socket://h:1") is None  # not a DUIS URL: the serial checks have it


def test_a_bad_duis_url_is_a_usage_error_or_a_profile_error(pytester, profiles):
    outcome = pytester.runpytest_inprocess(str(ROOT / "testpacks" / "dmct_srvt"), "--collect-only", "-p",
                                           "no:cacheprovider", "--svtad-link", "DMC-001=duis+ftp://dcc")
    assert outcome.ret == pytest.ExitCode.USAGE_ERROR
    assert "--svtad-link: DMC 'DMC-001': expected duis+https://HOST[:PORT]" in outcome.stderr.str()
    with pytest.raises(ValueError, match="url: expected duis"):
        profiles.dmcs["DMC-001"].link.model_validate({"kind": "duis", "url": "ftp://dcc"})


def test_a_response_id_finds_its_request():
    request_id = f"{USER}:00-DB-12-34-56-78-90-A3:1000"
    assert request_key(duis.response_id(request_id)) == request_key(request_id.lower())
    assert request_key(f"{USER}:00-DB-12-34-56-78-90-A3:1001") != request_key(request_id)


def test_command_variants_and_endpoints_follow_dcc_boxed():
    catalogue = default_catalogue()
    assert [command_variant(catalogue[srv]) for srv in ("4.1.1", "7.2", "8.2")] == [1, 4, 8]


# --- the link against the simulated DCC ---------------------------------------------------------------------------

def test_requests_over_duis_answer_as_the_simulator_does(profiles, dcc):
    """A read, a critical update (transformed, signed, resent as variant 5) and a DCC-only request, through the
    receiver; the read's body is the one the same installation gives in process, and the alert arrives."""
    dmc = profiles.dmcs["DMC-001"]
    link = DuisLink(on_duis(dmc, dcc.url, receiver_port=0, response_timeout_s=5), profiles.device_models(dmc))
    try:
        read = link.request("4.1.1")
        same = Installation(dmc, profiles.device_models(dmc), seed=7).request("4.1.1")
        assert (read.code, read.body, read.device) == ("I0", same.body, "ESME")
        assert read.request_id.startswith(f"{USER}:{dmc.device_eui64('ESME')}:")
        assert link.request("7.2").code == "I0"
        inventory = link.request("8.2").expect()
        assert {row["kind"] for row in inventory["devices"]} == {"ESME", "GSME", "CH", "IHD"}
        assert [alert.device for alert in wait_for_alert(link, "8F57")] == ["ESME"]  # EUI-64 back to its kind
    finally:
        link.close()
    transcript = link.transcript_text()
    assert "POST /api/v1/serviceT 7.2 Disable Supply" in transcript and "cv=4 (transform)" in transcript
    assert "POST /api/v1/serviceS 7.2 Disable Supply" in transcript and "cv=5" in transcript
    assert "POST /api/v1/serviceD 8.2 Read Inventory" in transcript
    assert "<sr:PreCommand><sr:GBCSPayload>" in transcript and "<sr:SignedPreCommand>" in transcript
    assert "<sr:ResponseCode>I99</sr:ResponseCode>" in transcript  # every XML exchanged is evidence
    assert "receiver listening at http://127.0.0.1:" in transcript


def test_without_a_receiver_responses_and_alerts_are_polled(profiles, dcc):
    dmc = profiles.dmcs["DMC-001"]
    link = DuisLink(on_duis(dmc, dcc.url, response_timeout_s=5), profiles.device_models(dmc))
    try:
        link.reset(11)  # the known state: a fresh installation from the test's seed
        fresh = Installation(dmc, profiles.device_models(dmc), seed=11).request("4.1.1")
        assert link.request("4.1.1").body == fresh.body
        link.request("7.2").expect()
        assert wait_for_alert(link, "8F57")
        assert link.clear_alerts() == 1 and link.alerts() == []
    finally:
        link.close()
    assert "GET /responses/" in link.transcript_text()


def test_a_dormant_installation_is_reset_enrolled_when_asked(profiles):
    dmc = profiles.dmcs["DMC-003"]
    server = DuisDcc({dmc.id: Installation(dmc, profiles.device_models(dmc))}).start()
    link = DuisLink(on_duis(dmc, server.url, response_timeout_s=5), profiles.device_models(dmc))
    try:
        link.reset(5)
        assert link.request("8.2").code == "E19"  # dormant: not in the Smart Metering Inventory
        link.reset(5, enrolled=True)
        assert server.installations[dmc.id].enrolled
        assert link.request("8.2").code == "I0"
    finally:
        link.close()
        server.stop()


def test_signed_requests_are_verified_and_unsigned_ones_refused(profiles, tmp_path):
    dmc = profiles.dmcs["DMC-001"]
    key, cert = keys(tmp_path)
    other_key, other_cert = keys(tmp_path, "intruder")
    server = DuisDcc({dmc.id: Installation(dmc, profiles.device_models(dmc))}, trusted=[cert.read_bytes()]).start()
    try:
        signed = on_duis(dmc, server.url, response_timeout_s=5, duis=DuisCredentials(user_id=USER, key=key, cert=cert))
        link = DuisLink(signed, profiles.device_models(dmc))
        assert link.request("4.1.1").code == "I0"
        assert link.request("7.2").code == "I0"  # the pre-command is signed too
        link.close()
        assert "requests signed" in link.transcript_text()
        for credentials in (None, DuisCredentials(user_id=USER, key=other_key, cert=other_cert)):
            link = DuisLink(on_duis(dmc, server.url, duis=credentials), profiles.device_models(dmc))
            refused = link.request("4.1.1")
            link.close()
            assert refused.code == error_code("bad_signature"), refused
            assert "signature not accepted" in refused.detail
    finally:
        server.stop()


def test_bad_requests_get_an_e_code_or_a_clear_4xx(profiles, dcc, http):
    dmc = profiles.dmcs["DMC-001"]
    esme = dmc.device_eui64("ESME")
    good = duis.encode_request(ServiceRequest(srv="4.1.1", device="ESME"), originator=USER, target=esme, counter=5)

    def post(body: bytes, endpoint: str = "serviceS") -> httpx.Response:
        return http.post(f"{dcc.url}/api/v1/{endpoint}", content=body)

    def code_of(answer: httpx.Response) -> str:
        return duis.decode_response(answer.content).code

    assert post(good).status_code == 200 and code_of(post(good)) == error_code("duplicate_request_id")
    for body in (b"<sr:Request", LAUGHS, b"<Request xmlns='urn:other'/>"):
        answer = post(body)
        assert answer.status_code == 400 and len(answer.text.splitlines()) == 1 and "Traceback" not in answer.text
    assert "DOCTYPE" in post(b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>").text
    unknown_device = good.replace(esme.encode(), b"00-11-22-33-44-55-66-77").replace(b":5<", b":6<")
    answer = post(unknown_device)
    assert code_of(answer) == "E19" and "no device 00-11-22-33-44-55-66-77" in answer.text
    assert code_of(post(good.replace(b":5<", b":7<"), "serviceT")) == error_code("bad_command_variant")
    unknown_srv = good.replace(b">4.1.1<", b">99.9.9<").replace(b":5<", b":8<")
    assert code_of(post(unknown_srv)) == error_code("unknown_srv")
    elsewhere = good.replace(b":5<", b":9<")  # a reply-to on another host is not posted to: kept for polling
    answer = http.post(f"{dcc.url}/api/v1/serviceS", content=elsewhere,
                       headers={"X-Svtad-Reply-To": "http://198.51.100.7:9/"})
    assert code_of(answer) == "I99"
    assert code_of(http.get(f"{dcc.url}/responses/{USER}:{esme}:9")) == "I0"
    assert http.post(f"{dcc.url}/api/v1/serviceX", content=good).status_code == 404
    assert http.post(f"{dcc.url}/svtad/reset", content=b"[1").status_code == 400


def test_any_device_routes_public_sample_ids(profiles, http):
    dmc = profiles.dmcs["DMC-001"]
    server = DuisDcc({dmc.id: Installation(dmc, profiles.device_models(dmc))}, any_device=True).start()
    try:
        sample = duis.encode_request(ServiceRequest(srv="4.1.1"), originator=USER, target="00-DB-12-34-56-78-90-A3",
                                     counter=1)
        ack = duis.decode_response(http.post(f"{server.url}/api/v1/serviceS", content=sample).content)
        assert ack.code == "I99"
        kept = http.get(f"{server.url}/responses/{ack.request_id}")
        response = duis.decode_response(kept.content)
        assert (response.code, response.request_id) == ("I0", ack.request_id) and "import_kwh" in response.body
        # the templates share RequestIDs: another document under the same one is taken, the same one again is not
        other = duis.encode_request(ServiceRequest(srv="4.3"), originator=USER, target="00-DB-12-34-56-78-90-A3",
                                    counter=1)
        assert duis.decode_response(http.post(f"{server.url}/api/v1/serviceS", content=other).content).code == "I99"
        again = duis.decode_response(http.post(f"{server.url}/api/v1/serviceS", content=other).content)
        assert again.code == error_code("duplicate_request_id")
    finally:
        server.stop()


def test_a_sample_critical_request_is_transformed_and_its_signed_pre_command_run(profiles, http):
    """As a public sample would be sent (unknown device id, placeholder-free, unsigned): the Transform Service
    answers I0 with the pre-command and the right ResponseID; only that pre-command, sent back as variant 5, runs."""
    dmc = profiles.dmcs["DMC-001"]
    server = DuisDcc({dmc.id: Installation(dmc, profiles.device_models(dmc))}, any_device=True).start()
    sample_target = "00-DB-12-34-56-78-90-A3"
    request_id = f"{USER}:{sample_target}:42"
    try:
        sample = duis.encode_request(ServiceRequest(srv="7.2", command_variant=4), originator=USER,
                                     target=sample_target, counter=42)
        answer = http.post(f"{server.url}/api/v1/serviceT", content=sample)
        assert answer.status_code == 200 and f"<sr:ResponseID>{duis.response_id(request_id)}<" in answer.text
        assert duis.decode_response(answer.content).code == "I0"
        srv, payload = duis_precommand.decode_pre_command(answer.content)
        forged = duis_precommand.encode_signed_pre_command(request_id, srv, "AAAA")
        refused = duis.decode_response(http.post(f"{server.url}/api/v1/serviceS", content=forged).content)
        assert refused.code == error_code("bad_value") and "no pre-command was issued" in refused.detail
        signed = duis_precommand.encode_signed_pre_command(request_id, srv, payload)
        assert duis.decode_response(http.post(f"{server.url}/api/v1/serviceS", content=signed).content).code == "I99"
        response = duis.decode_response(http.get(f"{server.url}/responses/{request_id}").content)
        assert (response.code, response.srv, response.request_id) == ("I0", "7.2", request_id)
        assert server.installations[dmc.id].devices["ESME"].supply_status == "disabled"
    finally:
        server.stop()


class SlowDcc:
    """A DCC that acknowledges and then answers late (``delay_s``), never (None), or hangs the HTTP answer."""

    def __init__(self, delay_s: float | None, hang_s: float = 0) -> None:
        self.delay_s, self.hang_s = delay_s, hang_s
        app = web.Application()
        app.router.add_post("/api/v1/{service}", self._service)
        self.server = BackgroundServer(app)

    async def _service(self, http: web.Request) -> web.Response:
        decoded = duis.decode_request(await http.read())
        await asyncio.sleep(self.hang_s)
        if self.delay_s is not None:
            asyncio.get_running_loop().create_task(self._later(http.headers["X-Svtad-Reply-To"], decoded))
        ack = ServiceResponse(request_id=decoded.request_id, srv=decoded.request.srv, code="I99")
        return web.Response(body=duis.encode_response(ack), content_type="application/xml")

    async def _later(self, url: str, decoded: Any) -> None:
        await asyncio.sleep(self.delay_s or 0)
        response = ServiceResponse(request_id=decoded.request_id, srv=decoded.request.srv, code="I0", body={"n": 1})
        try:
            async with aiohttp.ClientSession() as session:
                await session.post(url, data=duis.encode_response(response))
        except aiohttp.ClientError:
            pass  # the link has closed its receiver: the answer is too late for anyone


@pytest.mark.parametrize("delay_s, hang_s, expected", [
    (None, 0, r"no response to SRV 4.1.1 \(.*\) posted to http://127.0.0.1:\d+ within 0.3 s"),
    (1.0, 0, r"no response to SRV 4.1.1 .* within 0.3 s of its acknowledgement"),
    (None, 0.6, r"did not answer .* within 0.3 s \(link.timeout_s\)"),
], ids=["missing", "late", "http-hangs"])
def test_late_and_missing_responses_fail_the_request_not_the_link(profiles, delay_s, hang_s, expected):
    dmc = profiles.dmcs["DMC-001"]
    slow = SlowDcc(delay_s, hang_s)
    link = DuisLink(on_duis(dmc, slow.server.url, receiver_port=0, response_timeout_s=0.3, timeout_s=0.3),
                    profiles.device_models(dmc))
    try:
        with pytest.raises(LinkError, match=expected):
            link.request("4.1.1")
        slow.delay_s, slow.hang_s = 0, 0  # the DCC recovers: the next request of the same link is answered
        assert link.request("4.1.1").body == {"n": 1}
    finally:
        link.close()
        slow.server.stop()


def test_the_receiver_refuses_what_is_not_a_duis_response(profiles, dcc, http):
    dmc = profiles.dmcs["DMC-001"]
    link = DuisLink(on_duis(dmc, dcc.url, receiver_port=0), profiles.device_models(dmc))
    try:
        assert link.receiver is not None
        for body in (b"not xml", LAUGHS):
            answer = http.post(link.receiver.url + "/", content=body)
            assert answer.status_code == 400 and "not a DUIS response or alert" in answer.text
        alert = duis.encode_alert(Alert(code="8F3F", device=dmc.device_eui64("ESME"), name="Tamper"),
                                  originator=dmc.device_eui64("ESME"), target=USER, counter=3)
        assert http.post(link.receiver.url + "/", content=alert).status_code == 204
        assert [(a.code, a.device) for a in link.alerts()] == [("8F3F", "ESME")]
    finally:
        link.close()
    assert link.transcript_text().count("refused a post") == 2


def test_a_duis_link_without_a_url_or_with_one_key_is_a_clear_error(profiles, tmp_path):
    dmc = profiles.dmcs["DMC-001"]
    with pytest.raises(LinkError, match="a duis link needs a url"):
        DuisLink(dmc.model_copy(update={"link": dmc.link.model_copy(update={"kind": "duis"})}), {})
    key, _ = keys(tmp_path)
    with pytest.raises(LinkError, match="signing needs both duis.key and duis.cert"):
        DuisLink(on_duis(dmc, "http://127.0.0.1:9", duis=DuisCredentials(user_id=USER, key=key)), {})


# --- svtad emulate --duis -------------------------------------------------------------------------------------------

def test_emulate_duis_prints_where_to_connect_and_refuses_bad_options(capsys, tmp_path):
    assert main(["emulate", "--duis", "--dmc", "DMC-001,DMC-006", "--no-verify", "--duration", "0.2",
                 "--profiles", str(ROOT / "device_profiles")]) == 0
    out = capsys.readouterr().out
    assert "connect with: --svtad-link DMC-001=duis+http://127.0.0.1:" in out and ",DMC-006=duis+http" in out
    for argv, message in (
            (["--receiver", "ftp://x"], "--receiver: expected an http(s)://HOST[:PORT]/PATH URL, got 'ftp://x'"),
            (["--port", "70000"], "--port: expected a port 0-65535"),
            ([], "DMC 'DMC-001' names no duis.cert to verify its requests' signatures against"),
            (["--dmc", "DMC-999"], "--dmc: no DMC profile 'DMC-999'")):
        args = ["emulate", "--duis", "--dmc", "DMC-001", "--profiles", str(ROOT / "device_profiles"), *argv]
        assert main(args) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1


# --- the SRVT pack over duis ----------------------------------------------------------------------------------------

PACK = ROOT / "testpacks" / "dmct_srvt"


def pack_outcomes(pytester: pytest.Pytester, workers: int, report: str, dmcs: str, *extra: str) -> dict[str, str]:
    args = ["-p", "no:cacheprovider", "--svtad-stage", "DMCT-SRVT", "--svtad-ttm",
            str(ROOT / "testpacks" / "ttm" / "smets1-sit-sample.csv"), "--svtad-dmc", dmcs,
            "--svtad-report", report, "--svtad-store", str(pytester.path / f"{report}.db"), *extra]
    outcome = inner_run(pytester, workers, *args)
    assert outcome.ret in (0, 1), outcome.stdout.str()[-3000:]
    rows = [json.loads(line) for line in (pytester.path / report / "results.jsonl").read_text().splitlines()]
    return {row["nodeid"].split("dmct_srvt/")[1]: row["outcome"] for row in rows}


def duis_dcc(profiles: Profiles, *dmc_ids: str) -> DuisDcc:
    return DuisDcc({dmc_id: Installation(profiles.dmcs[dmc_id], profiles.device_models(profiles.dmcs[dmc_id]))
                    for dmc_id in dmc_ids}).start()


def test_the_srvt_pack_over_duis_gives_the_simulated_outcomes(pytester, profiles):
    """DMC-006, the DMC with known defects: every test applicable to a DUIS link has the outcome it has over the
    simulated link for the same seed, so the same two tests fail (top-ups dropped, power in milliwatts); the tests
    that need simulator-only powers are not applicable."""
    simulated = pack_outcomes(pytester, 0, "sim", "DMC-006", str(PACK))
    assert sorted(nodeid for nodeid, outcome in simulated.items() if outcome == "failed") == [
        "test_srvt_reads.py::test_active_power_import_is_a_plausible_domestic_demand[DMC-006]",
        "test_srvt_tariff_prepayment.py::test_top_up_raises_credit_by_the_amount[DMC-006]"]
    server = duis_dcc(profiles, "DMC-006")
    try:
        over_duis = pack_outcomes(pytester, 0, "duis", "DMC-006", str(PACK), "--svtad-link",
                                  f"DMC-006=duis+{server.url}")
    finally:
        server.stop()
    assert len(over_duis) > 25
    assert over_duis == {nodeid: simulated[nodeid] for nodeid in over_duis}
    assert sorted(nodeid for nodeid, outcome in over_duis.items() if outcome == "failed") == [
        "test_srvt_reads.py::test_active_power_import_is_a_plausible_domestic_demand[DMC-006]",
        "test_srvt_tariff_prepayment.py::test_top_up_raises_credit_by_the_amount[DMC-006]"]
    not_applicable = set(simulated) - set(over_duis)  # they use advance/now/faults: only a simulated link has them
    assert "test_srvt_reads.py::test_read_import_register_advances_with_consumption[DMC-006]" in not_applicable
    transcript = next((pytester.path / "duis" / "evidence").glob("*top_up*DMC-006*/transcript.txt")).read_text()
    assert "over DUIS at http://127.0.0.1:" in transcript and "<sr:ServiceReferenceVariant>2.2<" in transcript
    assert "POST /svtad/reset seed=" in transcript  # each test starts from the installation its seed builds


def test_a_pack_slice_over_duis_under_xdist(pytester, profiles):
    """Two DMCs profiled on one simulated DCC, each kept on one xdist worker whose links start their own receivers
    (free ports, announced with each request): the same outcomes as the simulated link's."""
    import shutil

    slice_ = [f"{PACK / 'test_srvt_tariff_prepayment.py'}::{name}" for name in (
        "test_top_up_raises_credit_by_the_amount", "test_update_payment_mode_both_ways")] + [
        f"{PACK / 'test_srvt_configuration.py'}::test_read_payment_mode_is_the_dmc_s"]
    server = duis_dcc(profiles, "DMC-001", "DMC-006")
    folder = pytester.path / "profiles"
    shutil.copytree(ROOT / "device_profiles", folder)
    for dmc_id in ("DMC-001", "DMC-006"):
        path = folder / "dmcs" / f"{dmc_id.lower()}.yaml"
        path.write_text(path.read_text() + f"link: {{kind: duis, url: '{server.url}', receiver_port: 0}}\n")
    try:
        over_duis = pack_outcomes(pytester, 2, "duis", "DMC-001,DMC-006", *slice_, "--svtad-profiles", str(folder))
    finally:
        server.stop()
    assert len(over_duis) == 6
    assert sorted(nodeid for nodeid, outcome in over_duis.items() if outcome != "passed") == [
        "test_srvt_tariff_prepayment.py::test_top_up_raises_credit_by_the_amount[DMC-006]"]
    assert any("--dist loadgroup" in note for note in json.loads((pytester.path / "duis" / "verdict.json")
                                                                  .read_text())["notes"])
    transcript = next((pytester.path / "duis" / "evidence").glob("*top_up*DMC-006*/transcript.txt")).read_text()
    assert "receiver listening at http://127.0.0.1:" in transcript and "response I0 for" in transcript
