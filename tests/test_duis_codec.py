"""The DUIS codec: every simulated SRV survives ServiceRequest -> DUIS XML -> ServiceRequest unchanged, decoded
params are what the simulator accepts, template-style requests have their effect on a simulated meter, responses and
alerts round-trip, and every kind of bad input is a DuisError with an E-code, never a traceback."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pytest_svtad.smets1.catalogue import default_catalogue
from pytest_svtad.smets1.duis import (
    DuisError,
    decode_alert,
    decode_message,
    decode_request,
    decode_response,
    encode_acknowledgement,
    encode_alert,
    encode_request,
    encode_response,
    response_id,
)
from pytest_svtad.smets1.duis.bodies import BODIES
from pytest_svtad.smets1.duis.errors import error_code
from pytest_svtad.smets1.duis.formats import setting
from pytest_svtad.smets1.messages import Alert, ServiceRequest, ServiceResponse
from pytest_svtad.smets1.profiles import load_profiles
from simulators import Installation
from simulators.params import validate
from simulators.services import SERVICES

USER = "90-B3-D5-1F-30-01-00-00"
EUI = {"ESME": "00-DB-12-34-56-78-90-A0", "GSME": "00-DB-12-34-56-78-90-A1", "CH": "00-DB-12-34-56-78-90-A2",
       "PPMID": "00-DB-12-34-56-78-90-9A", "IHD": "00-DB-12-34-56-78-90-99"}
KIND_OF = {eui: kind for kind, eui in EUI.items()}
LATER = datetime(2030, 1, 15, 9, 0, tzinfo=UTC)
NS = "http://www.dccinterface.co.uk/ServiceUserGateway"

# One representative request per simulated SRV (device kind, params, future-dated), plus variants where the DUIS
# body differs by fuel or form.
SAMPLES: dict[str, tuple[str, dict[str, Any], datetime | None]] = {
    "1.1.1": ("ESME", {"tariff": {"tou": [{"from": "00:00", "rate_pence": 12.5},
                                          {"from": "07:00", "rate_pence": 30.25}],
                                  "standing_charge_pence": 53}}, LATER),
    "1.1.1/gas-blocks": ("GSME", {"tariff": {"blocks": [{"up_to_kwh": 100.0, "rate_pence": 6.5},
                                                        {"up_to_kwh": None, "rate_pence": 8}],
                                             "standing_charge_pence": 27.5}}, None),
    "1.1.1/flat": ("ESME", {"tariff": {"unit_rate_pence": 24.5, "standing_charge_pence": 53}}, None),
    "1.2.1": ("ESME", {"unit_rate_pence": 24.5, "standing_charge_pence": 53}, None),
    "1.2.1/gas": ("GSME", {"unit_rate_pence": 7.25}, None),
    "1.5": ("ESME", {"adjustment_pence": -250}, None),
    "1.6": ("ESME", {"mode": "prepayment", "disablement_threshold_pence": 50}, LATER),
    "1.6/credit": ("GSME", {"mode": "credit"}, None),
    "2.1": ("GSME", {"low_credit_threshold_pence": 500, "emergency_credit_limit_pence": 1000,
                     "emergency_credit_threshold_pence": 200, "max_debt_recovery_pence_per_day": 100,
                     "disablement_threshold_pence": 0}, None),
    "2.2": ("ESME", {"amount_pence": 750}, None),
    "2.3": ("GSME", {"debt_pence": 1200}, None),
    "2.5": ("ESME", {}, None),
    "3.1": ("ESME", {"message": 'Call us <today> & "now"'}, None),
    "3.3": ("ESME", {}, None),
    "3.4": ("ESME", {"name": "Acme Energy", "telephone": "0800 000 000"}, None),
    "4.1.1": ("ESME", {}, LATER),
    "4.1.2": ("GSME", {}, None),
    "4.3": ("ESME", {}, None),
    "4.6.1": ("ESME", {"start": datetime(2026, 1, 1, tzinfo=UTC), "end": datetime(2026, 1, 8, tzinfo=UTC)}, None),
    "4.8.1": ("GSME", {"start": datetime(2026, 1, 1, 12, 30, tzinfo=UTC)}, None),
    "4.11.1": ("ESME", {}, None),
    "4.13": ("ESME", {}, None),
    "4.15": ("ESME", {}, None),
    "4.16": ("ESME", {}, None),
    "4.17": ("ESME", {}, None),
    "4.18": ("GSME", {}, None),
    "6.2.4": ("CH", {}, None),
    "6.2.7": ("ESME", {}, None),
    "6.2.8": ("GSME", {}, None),
    "6.2.9": ("ESME", {}, None),
    "6.2.10": ("ESME", {}, None),
    "6.4.1": ("ESME", {"threshold_w": 6900, "period_s": 300, "restoration_s": 30, "supply_state": "Disable"}, LATER),
    "6.6": ("GSME", {"calorific_value": 39.5, "conversion_factor": 1.02264}, None),
    "6.11": ("ESME", {}, None),
    "6.13": ("ESME", {"log": "security"}, None),
    "6.15.2": ("ESME", {"role": "network_operator"}, None),
    "6.20.1": ("ESME", {"mpxn": "1312345678333"}, None),
    "6.20.1/gas": ("GSME", {"mpxn": "1234567890"}, None),
    "6.22": ("ESME", {"suppress": ["8F35", "8F36"], "restore": ["810D"]}, None),
    "6.22/gas": ("GSME", {"suppress": ["81AA"]}, None),
    "7.1": ("ESME", {}, None),
    "7.2": ("ESME", {}, None),
    "7.3": ("ESME", {}, None),
    "7.4": ("ESME", {}, None),
    "8.1.1": ("IHD", {}, None),
    "8.2": ("ESME", {}, None),
    "8.7.1": ("ESME", {"other": "PPMID"}, None),
    "8.8.1": ("GSME", {"other": "IHD"}, None),
    "8.9": ("CH", {}, None),
    "11.1": ("ESME", {"version": "2.0.1", "image_bytes": 4096, "corrupt": "yes"}, None),
    "11.1/default-image": ("GSME", {"version": "2.0.1"}, None),
    "11.2": ("ESME", {}, None),
    "11.3": ("ESME", {}, LATER),
}


def _variant(srv: str) -> int:
    entry = default_catalogue()[srv]
    return 8 if entry.non_device else 4 if entry.critical else 1


def _request(key: str, counter: int = 1000) -> ServiceRequest:
    srv = key.split("/")[0]
    kind, params, when = SAMPLES[key]
    return ServiceRequest(srv=srv, params=params, request_id=f"{USER}:{EUI[kind]}:{counter}", device=kind,
                          command_variant=_variant(srv), execution_time=when)


def _encode(req: ServiceRequest) -> bytes:
    originator, target, counter = req.request_id.split(":")
    return encode_request(req, originator=originator, target=target, counter=int(counter), device_ids=EUI)


def test_the_samples_cover_every_simulated_srv() -> None:
    simulated = {entry.srv for entry in default_catalogue() if entry.simulated}
    assert {key.split("/")[0] for key in SAMPLES} == simulated
    assert len(simulated) == 46


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_a_request_survives_duis_xml_unchanged_and_the_simulator_accepts_its_params(key: str) -> None:
    req = _request(key)
    xml = _encode(req)
    decoded = decode_request(xml, resolve_device=KIND_OF.get)
    assert decoded.request == req
    assert decoded.request_id == req.request_id and decoded.command_variant == req.command_variant
    assert not decoded.signed and decoded.raw == xml
    validate(req.srv, SERVICES[req.srv].params, decoded.request.params)  # the simulator's own parameter check


def test_the_envelope_has_the_duis_header_and_the_body_element_of_the_srv() -> None:
    xml = _encode(_request("6.4.1"))
    text = xml.decode()
    assert f'xmlns:sr="{NS}"' in text and 'schemaVersion="5.4"' in text
    assert "<sr:ServiceReference>6.4</sr:ServiceReference>" in text
    assert "<sr:ServiceReferenceVariant>6.4.1</sr:ServiceReferenceVariant>" in text
    assert "<sr:CommandVariant>4</sr:CommandVariant>" in text
    body = text.split("<sr:UpdateDeviceConfigurationLoadLimitingGeneralSettings>")[1]
    assert body.startswith("<sr:ExecutionDateTime>2030-01-15T09:00:00.00Z</sr:ExecutionDateTime>")
    for element in ("<sr:LoadLimitPeriod>300<", "<sr:LoadLimitPowerThreshold>6900<",
                    "<sr:LoadLimitRestorationPeriod>30<", "<sr:LoadLimitSupplyState>Disable<"):
        assert element in body


def test_a_top_up_carries_a_20_digit_utrn_and_the_tariff_carries_scaled_prices() -> None:
    topup = _encode(_request("2.2")).decode()
    utrn = topup.split("<sr:UTRN>")[1].split("<")[0]
    assert len(utrn) == 20 and utrn.isdigit()
    tariff = _encode(_request("1.1.1")).decode()
    assert "<sr:PriceScale>-5</sr:PriceScale>" in tariff  # 12.5p/kWh = GBP 0.125 = 12500 * 10^-5
    assert '<sr:TOUPrice index="1">12500</sr:TOUPrice>' in tariff and '<sr:TOUPrice index="2">30250<' in tariff
    assert "<sr:StartTime>07:00:00.00Z</sr:StartTime><sr:TOUTariffAction>2</sr:TOUTariffAction>" in tariff


# --- template-style requests (written here in the public samples' form) have their effect -----------------------

def _template(srv: str, body: str, *, variant: int = 1, prefix: str = "sr", target: str = EUI["ESME"],
              counter: int = 1000) -> bytes:
    p = f"{prefix}:" if prefix else ""
    declaration = f'xmlns:{prefix}="{NS}"' if prefix else f'xmlns="{NS}"'
    reference = ".".join(srv.split(".")[:2]) if srv.count(".") > 1 else srv
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<{p}Request {declaration} '
            f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" schemaVersion="5.4">\n'
            f"  <{p}Header><!-- a comment -->\n    <{p}RequestID>{USER}:{target}:{counter}</{p}RequestID>\n"
            f"    <{p}CommandVariant>{variant}</{p}CommandVariant>\n"
            f"    <{p}ServiceReference>{reference}</{p}ServiceReference>\n"
            f"    <{p}ServiceReferenceVariant>{srv}</{p}ServiceReferenceVariant>\n  </{p}Header>\n"
            f"  <{p}Body>{body.replace('<x:', f'<{p}').replace('</x:', f'</{p}')}</{p}Body>\n"
            '  <ds:Signature><ds:SignedInfo/><ds:SignatureValue>ZGVmYXVsdA==</ds:SignatureValue></ds:Signature>\n'
            f"</{p}Request>").encode()


@pytest.fixture
def dmc002() -> Installation:
    profiles = load_profiles(Path(__file__).parents[1] / "device_profiles")
    dmc = profiles.dmcs["DMC-002"]
    return Installation(dmc, profiles.device_models(dmc), seed=0)


def _run(inst: Installation, xml: bytes, kind: str) -> ServiceResponse:
    req = decode_request(xml).request
    return inst.request(req.srv, kind, **req.params)


def test_any_prefix_or_the_default_namespace_decodes_the_same_and_a_placeholder_signature_is_seen() -> None:
    body = "<x:UpdateSupplierName><x:SupplierName>E-ON</x:SupplierName></x:UpdateSupplierName>"
    forms = [decode_request(_template("3.4", body, prefix=prefix)) for prefix in ("sr", "ns0", "")]
    assert forms[0].request == forms[1].request == forms[2].request
    assert forms[0].request.params == {"name": "E-ON"} and all(form.signed for form in forms)


def test_a_real_utrn_tops_up_by_the_configured_amount_once(dmc002: Installation) -> None:
    xml = _template("2.2", "<x:TopUpDevice><x:UTRN>12345678901234567890</x:UTRN></x:TopUpDevice>")
    decoded = decode_request(xml)
    assert decoded.request.params == {"amount_pence": setting("utrn", "unknown_amount_pence"),
                                      "utrn": "12345678901234567890"}
    assert "not a harness UTRN" in decoded.notes[0]
    before = dmc002.request("4.18", "ESME").body
    assert _run(dmc002, xml, "ESME").code == "I0"
    assert dmc002.request("4.18", "ESME").body != before
    again = _run(dmc002, xml, "ESME")
    assert again.failed_at_device and "already been used" in again.body["reason"]


def test_a_gas_block_tariff_template_is_what_read_tariff_returns(dmc002: Installation) -> None:
    body = ("<x:UpdateImportTariffPrimaryElement><x:GasTariffElements><x:SwitchingTable><x:DayProfiles>"
            "<x:DayProfile><x:DayName>1</x:DayName><x:BlockTariff/></x:DayProfile></x:DayProfiles>"
            "<x:WeekProfiles><x:WeekProfile><x:WeekName>1</x:WeekName>"
            '<x:ReferencedDayName index="1">1</x:ReferencedDayName></x:WeekProfile></x:WeekProfiles>'
            "</x:SwitchingTable><x:ThresholdMatrix>"
            '<x:BlockThreshold index="1">50000</x:BlockThreshold></x:ThresholdMatrix></x:GasTariffElements>'
            "<x:PriceElements><x:GasPriceElements><x:CurrencyUnits>GBP</x:CurrencyUnits>"
            "<x:StandingCharge>30000</x:StandingCharge><x:BlockTariff>"
            '<x:BlockPrice index="1">6000</x:BlockPrice><x:BlockPrice index="2">9000</x:BlockPrice>'
            "</x:BlockTariff></x:GasPriceElements></x:PriceElements></x:UpdateImportTariffPrimaryElement>")
    decoded = decode_request(_template("1.1.1", body, variant=4, target=EUI["GSME"]))
    tariff = decoded.request.params["tariff"]
    assert tariff["blocks"] == [{"up_to_kwh": 50.0, "rate_pence": 6}, {"up_to_kwh": None, "rate_pence": 9}]
    assert tariff["standing_charge_pence"] == 30 and decoded.fuel == "GSME"
    assert tariff["duis"][0]["name"] == "SwitchingTable"  # the received table, kept verbatim (one week day only)
    assert _run(dmc002, _template("1.1.1", body, variant=4), "GSME").code == "I0"
    assert dmc002.request("4.11.1", "GSME").body["tariff"] == tariff
    reencoded = encode_request(decoded.request, originator=USER, target=EUI["GSME"], counter=1000)
    assert decode_request(reencoded).request == decoded.request


def test_load_limit_settings_and_alert_behaviour_reach_the_meter(dmc002: Installation) -> None:
    limit = ("<x:UpdateDeviceConfigurationLoadLimitingGeneralSettings><x:LoadLimitPeriod>120</x:LoadLimitPeriod>"
             "<x:LoadLimitPowerThreshold>5000</x:LoadLimitPowerThreshold>"
             "<x:LoadLimitRestorationPeriod>45</x:LoadLimitRestorationPeriod>"
             "<x:LoadLimitSupplyState>Unchanged</x:LoadLimitSupplyState>"
             "</x:UpdateDeviceConfigurationLoadLimitingGeneralSettings>")
    assert _run(dmc002, _template("6.4.1", limit, variant=4), "ESME").code == "I0"
    read = dmc002.request("4.15", "ESME").body
    assert (read["threshold_w"], read["period_s"], read["restoration_s"], read["supply_state"]) == \
        (5000, 120, 45, "Unchanged")
    alerts = ("<x:ConfigureAlertBehaviour><x:GasSupplierAlertEventSettings><x:x81AA><x:WANAlert>Disable</x:WANAlert>"
              "<x:HANAlert>Enable</x:HANAlert></x:x81AA></x:GasSupplierAlertEventSettings></x:ConfigureAlertBehaviour>")
    assert decode_request(_template("6.22", alerts)).request.params == {"suppress": ["81AA"]}
    assert _run(dmc002, _template("6.22", alerts), "GSME").code == "I0"
    assert "81AA" in dmc002.request("6.2.10", "GSME").body["suppressed_alerts"]


def test_a_join_to_an_unknown_device_id_is_taken_as_the_ppmid_and_said_so() -> None:
    body = "<x:JoinServiceCritical><x:OtherDeviceID>00-11-22-33-44-55-66-77</x:OtherDeviceID></x:JoinServiceCritical>"
    decoded = decode_request(_template("8.7.1", body, variant=4))
    assert decoded.request.params == {"other": "PPMID"} and "not in the inventory" in decoded.notes[0]
    known = decode_request(_template("8.7.1", body.replace("00-11-22-33-44-55-66-77", EUI["IHD"]), variant=4),
                           resolve_device=KIND_OF.get)
    assert known.request.params == {"other": "IHD"} and known.request.device == "ESME"


# --- responses and alerts ---------------------------------------------------------------------------------------

REQUEST_ID = f"{USER}:{EUI['ESME']}:1000"


def test_a_response_swaps_originator_and_target_and_round_trips_its_body() -> None:
    resp = ServiceResponse(request_id=REQUEST_ID, srv="4.6.1", code="I0", device="ESME",
                           body={"entries": [{"at": datetime(2026, 1, 1, tzinfo=UTC), "kwh": 1.25, "ok": True,
                                              "note": None}], "count": 1, "label": "<b>&"},
                           issued_at=datetime(2026, 1, 2, 9, 0, tzinfo=UTC),
                           completed_at=datetime(2026, 1, 2, 9, 0, 5, tzinfo=UTC))
    xml = encode_response(resp)
    assert f"<sr:ResponseID>{EUI['ESME']}:{USER}:1000</sr:ResponseID>".encode() in xml
    assert b"<sr:ResponseCode>I0</sr:ResponseCode>" in xml and b"2026-01-02T09:00:05.00Z" in xml
    assert decode_response(xml) == resp
    assert response_id(REQUEST_ID) == f"{EUI['ESME']}:{USER}:1000"


@pytest.mark.parametrize("code", ["I99", "E19"])
def test_acknowledgements_carry_the_request_id_and_no_payload(code: str) -> None:
    xml = encode_acknowledgement(REQUEST_ID, srv="11.2", code=code, at=datetime(2026, 1, 2, tzinfo=UTC))
    assert b"ResponseID" not in xml and str(setting("smets1_body_element")).encode() not in xml
    resp = decode_response(xml)
    assert (resp.request_id, resp.srv, resp.code, resp.body) == (REQUEST_ID, "11.2", code, {})
    assert resp.ok == (code == "I99")


def test_an_e_code_response_keeps_its_reason_and_a_dcc_boxed_style_response_keeps_its_gbcs_payload() -> None:
    failed = ServiceResponse(request_id=REQUEST_ID, srv="7.1", code="E20", detail="no route to the comms hub")
    assert decode_response(encode_response(failed)).detail == "no route to the comms hub"
    boxed = (f'<sr:Response xmlns:sr="{NS}" schemaVersion="5.1"><sr:Header><sr:RequestID>{REQUEST_ID}'
             f"</sr:RequestID><sr:ResponseID>{response_id(REQUEST_ID)}</sr:ResponseID><sr:ResponseCode>I0"
             "</sr:ResponseCode><sr:ResponseDateTime>2022-08-17T15:45:42.790Z</sr:ResponseDateTime></sr:Header>"
             "<sr:Body><sr:ResponseMessage><sr:ServiceReference>11.2</sr:ServiceReference>"
             "<sr:ServiceReferenceVariant>11.2</sr:ServiceReferenceVariant><sr:GBCSPayload>3QAAAA==</sr:GBCSPayload>"
             "</sr:ResponseMessage></sr:Body></sr:Response>").encode()
    resp = decode_response(boxed)
    assert resp.code == "I0" and resp.body == {"gbcs_payload": "3QAAAA=="} and resp.request_id == REQUEST_ID


def test_device_and_dcc_alerts_round_trip_and_the_receiver_tells_them_from_responses() -> None:
    device = Alert(code="8F35", device="ESME", name="Supply outage restored",
                   raised_at=datetime(2026, 1, 1, 3, 0, tzinfo=UTC), details={"minutes": 4},
                   delivered_at=datetime(2026, 1, 1, 3, 0, 2, tzinfo=UTC))
    xml = encode_alert(device, originator=EUI["ESME"], target=USER, counter=7)
    assert b"<sr:DeviceAlertMessage><sr:AlertCode>8F35</sr:AlertCode>" in xml
    assert decode_alert(xml) == device and decode_message(xml) == device
    dcc = Alert(code="N24", name="Firmware distribution failed", delivered_at=datetime(2026, 1, 1, tzinfo=UTC))
    dcc_xml = encode_alert(dcc, originator="90-B3-D5-1F-30-00-00-02", target=USER, counter=8)
    assert b"<sr:DCCAlertCode>N24</sr:DCCAlertCode>" in dcc_xml and decode_alert(dcc_xml) == dcc
    ack = encode_acknowledgement(REQUEST_ID, srv="2.2")
    assert isinstance(decode_message(ack), ServiceResponse)
    with pytest.raises(DuisError, match="4 hex digits or N"):
        encode_alert(Alert(code="BAD!"), originator=EUI["ESME"], target=USER, counter=1)


# --- bad input --------------------------------------------------------------------------------------------------

GOOD = _template("3.3", "<x:ClearEventLog/>")
BAD: dict[str, tuple[bytes, str, str]] = {
    "malformed": (GOOD[:-20], "malformed", "malformed XML"),
    "nested too deep": (b"<a>" * 300 + b"</a>" * 300, "malformed", "Excessive depth"),
    "not bytes": ("text", "malformed", "expected XML bytes"),  # type: ignore[dict-item]
    "billion laughs": (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
                       b"<lolz>&lol2;</lolz>", "malformed", "DOCTYPE/ENTITY"),
    "external entity": (b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', "malformed", "DOCTYPE"),
    "wrong namespace": (GOOD.replace(NS.encode(), b"http://example.com/other"), "namespace", "is not in"),
    "a response, not a request": (encode_acknowledgement(REQUEST_ID, srv="3.3"), "namespace", "expected sr:Request"),
    "unknown srv": (GOOD.replace(b">3.3<", b">99.9<"), "unknown_srv", "is not a DUIS SRV"),
    "not simulated": (_template("4.2", "<x:ReadInstantaneousExportRegisters/>"), "not_simulated", "not implemented"),
    "bad request id": (GOOD.replace(b"00-DB-12-34-56-78-90-A0", b"00DB1234567890A0"), "bad_request_id",
                       "hyphenated EUI-64s"),
    "critical srv as non-critical": (_template("7.1", "<x:EnableSupply/>", variant=1), "bad_command_variant",
                                     "CommandVariant 1"),
    "reference mismatch": (GOOD.replace(b"<sr:ServiceReference>3.3<", b"<sr:ServiceReference>3.4<"), "bad_value",
                           "does not match"),
    "missing header element": (GOOD.replace(b"<sr:CommandVariant>1</sr:CommandVariant>", b""), "missing_element",
                               "CommandVariant"),
    "missing body element": (_template("2.2", "<x:TopUpDevice/>"), "missing_element", "UTRN"),
    "wrong body element": (_template("2.2", "<x:ClearEventLog/>"), "missing_element", "TopUpDevice"),
    "bad utrn": (_template("2.2", "<x:TopUpDevice><x:UTRN>12ab</x:UTRN></x:TopUpDevice>"), "bad_value", "20 digits"),
    "bad number": (_template("6.4.1", "<x:UpdateDeviceConfigurationLoadLimitingGeneralSettings>"
                             "<x:LoadLimitPowerThreshold>lots</x:LoadLimitPowerThreshold>"
                             "</x:UpdateDeviceConfigurationLoadLimitingGeneralSettings>", variant=4),
                   "bad_value", "expected an integer"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_a_duis_error_with_its_e_code_and_one_line(case: str) -> None:
    xml, kind, words = BAD[case]
    with pytest.raises(DuisError) as caught:
        decode_request(xml)
    assert caught.value.code == error_code(kind) and words in caught.value.message
    assert "\n" not in str(caught.value)


def test_bad_responses_and_alerts_are_duis_errors_too() -> None:
    with pytest.raises(DuisError, match="ResponseCode"):
        decode_response(encode_acknowledgement(REQUEST_ID, srv="3.3", code="I99").replace(b">I99<", b">OK<"))
    with pytest.raises(DuisError, match="no DeviceAlertMessage or DCCAlertMessage"):
        decode_alert(encode_acknowledgement(REQUEST_ID, srv="3.3"))
    with pytest.raises(DuisError, match="DOCTYPE"):
        decode_message(b'<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>')
    nested: list[Any] = [1]
    for _ in range(40):
        nested = [nested]
    with pytest.raises(DuisError, match="nested deeper"):  # a hostile sender cannot exhaust the stack
        decode_response(encode_response(ServiceResponse(REQUEST_ID, "8.2", "I0", body={"a": nested})))


def test_a_request_the_codec_cannot_write_is_a_duis_error() -> None:
    with pytest.raises(DuisError, match="finer than the DUIS scale"):
        _encode(ServiceRequest("2.1", {"low_credit_threshold_pence": 0.0000001}, f"{USER}:{EUI['ESME']}:1", "ESME", 4))
    with pytest.raises(DuisError, match="no EUI-64 known for the PPMID"):
        encode_request(ServiceRequest("8.7.1", {"other": "PPMID"}, command_variant=4), originator=USER,
                       target=EUI["ESME"], counter=1)
    with pytest.raises(DuisError, match="differs from"):
        encode_request(ServiceRequest("3.3", request_id=f"{USER}:{EUI['ESME']}:9"), originator=USER,
                       target=EUI["ESME"], counter=1)
    with pytest.raises(DuisError, match="not a simulated SRV"):
        encode_request(ServiceRequest("4.2"), originator=USER, target=EUI["ESME"], counter=1)


# --- what DUIS has no element for ---------------------------------------------------------------------------------

def test_tariff_keys_and_params_duis_lacks_travel_in_the_harness_element_unless_extensions_are_off() -> None:
    tariff = {"unit_rate_pence": 27.35, "standing_charge_pence": 48.0, "name": "DMCT flat"}
    req = ServiceRequest("1.1.1", {"tariff": tariff}, f"{USER}:{EUI['ESME']}:5", "ESME", 4)
    xml = _encode(req)
    assert str(setting("smets1_body_element")).encode() in xml
    assert decode_request(xml, resolve_device=KIND_OF.get).request.params["tariff"] == tariff
    with pytest.raises(DuisError, match=r"tariff keys \['name'\] have no DUIS element"):
        encode_request(req, originator=USER, target=EUI["ESME"], counter=5, extensions=False)
    odd = ServiceRequest("3.1", {"message": "hi", "colour": "red"}, f"{USER}:{EUI['ESME']}:6", "ESME", 1)
    decoded = decode_request(_encode(odd), resolve_device=KIND_OF.get)
    assert decoded.request == odd  # the simulator then refuses 'colour' exactly as on the simulated link
    with pytest.raises(DuisError, match="parameter.s. colour have no DUIS element .it carries: message."):
        encode_request(odd, originator=USER, target=EUI["ESME"], counter=6, extensions=False)
    plain = encode_request(ServiceRequest("3.1", {"message": "hi"}), originator=USER, target=EUI["ESME"], counter=7,
                           extensions=False)
    assert str(setting("smets1_body_element")).encode() not in plain


def test_a_window_keeps_its_microseconds() -> None:
    start = datetime(2026, 3, 1, 10, 15, 2, 123456, tzinfo=UTC)
    req = ServiceRequest("4.8.1", {"start": start}, f"{USER}:{EUI['ESME']}:8", "ESME", 1)
    assert decode_request(_encode(req), resolve_device=KIND_OF.get).request.params == {"start": start}


def test_every_body_carries_exactly_the_params_the_simulator_reads() -> None:
    assert {srv: set(body.params) for srv, body in BODIES.items()} == \
        {srv: {param.name for param in SERVICES[srv].params} for srv in BODIES}
