"""SIT functional: configuration, security and credentials, clock and logs."""

import re

import pytest


@pytest.mark.ttm("S1-CF-01")
@pytest.mark.srv("6.20.1")
@pytest.mark.functional_group("configuration")
def test_mpan_written_reads_back(installation):
    installation.request("6.20.1", mpxn="2000054321098").expect()
    assert installation.request("6.2.7").expect()["mpxn"] == "2000054321098"


@pytest.mark.ttm("S1-CF-02")
@pytest.mark.srv("6.6")
@pytest.mark.functional_group("configuration")
def test_gas_conversion_change_changes_reported_volume(installation):
    before = installation.request("4.1.1", device="GSME").expect()
    installation.request("6.6", device="GSME", calorific_value=38.0, conversion_factor=1.0).expect()
    after = installation.request("4.1.1", device="GSME").expect()
    assert after["volume_m3"] == pytest.approx(after["import_kwh"] * 3.6 / 38.0, abs=0.01)
    assert after["volume_m3"] > before["volume_m3"]


@pytest.mark.ttm("S1-CF-03")
@pytest.mark.srv("6.22")
@pytest.mark.functional_group("configuration")
def test_suppressed_alert_is_withheld_until_restored(installation, codes):
    installation.request("6.22", suppress=["8F57"]).expect()
    installation.request("7.2").expect()
    installation.advance(minutes=10)
    assert "8F57" not in codes(installation)
    installation.request("6.22", restore=["8F57"]).expect()
    installation.request("7.1").expect()
    installation.request("7.2").expect()
    installation.advance(minutes=10)
    assert "8F57" in codes(installation)


@pytest.mark.ttm("S1-CF-04", "S1-CF-05")
@pytest.mark.srv("3.4")
@pytest.mark.requires("IHD")
@pytest.mark.functional_group("configuration")
def test_change_of_supplier_name_and_message(installation):
    installation.request("3.4", name="New Supplier plc").expect()
    installation.request("3.1", message="Welcome to New Supplier").expect()
    assert installation.request("6.2.4").expect()["supplier_name"] == "New Supplier plc"
    assert installation.devices["IHD"].display_message == "Welcome to New Supplier"


@pytest.mark.ttm("S1-CF-06")
@pytest.mark.srv("6.2.4")
@pytest.mark.functional_group("configuration")
def test_identity_of_every_meter(installation, dmc, svtad_profiles):
    models = svtad_profiles.device_models(dmc)
    for kind, model in models.items():
        if kind.value in ("ESME", "GSME"):
            identity = installation.request("6.2.4", device=kind.value).expect()
            assert (identity["manufacturer"], identity["model"]) == (model.manufacturer, model.model)


@pytest.mark.ttm("S1-SE-01", "S1-SE-02")
@pytest.mark.srv("6.15.2")
@pytest.mark.functional_group("security and credentials")
def test_credentials_rotated_for_each_role(installation):
    fingerprints = set()
    for role in ("supplier", "network_operator", "access_control_broker"):
        body = installation.request("6.15.2", role=role).expect()
        assert re.fullmatch(r"[0-9A-F]{16}", body["key_fingerprint"])
        fingerprints.add(body["key_fingerprint"])
    assert len(fingerprints) == 3
    security = installation.request("6.13", log="security").expect()["entries"]
    assert [entry["code"] for entry in security[-3:]] == ["CREDS"] * 3


@pytest.mark.ttm("S1-SE-03")
@pytest.mark.functional_group("security and credentials")
def test_tamper_is_alerted_and_logged(installation, codes):
    installation.faults.tamper()
    installation.advance(minutes=10)
    assert "8F3F" in codes(installation)
    assert installation.request("6.13", log="security").expect()["entries"][-1]["code"] == "TAMPER"


@pytest.mark.ttm("S1-SE-04", "S1-LG-03")
@pytest.mark.srv("6.13")
@pytest.mark.functional_group("security and credentials")
def test_security_log_holds_firmware_and_credential_events(installation):
    installation.request("11.1", device="ESME", version="50.0.0").expect()
    installation.advance(minutes=30)
    installation.request("6.15.2", role="supplier").expect()
    codes_logged = [entry["code"] for entry in installation.request("6.13", log="security").expect()["entries"]]
    assert "FWOK" in codes_logged and "CREDS" in codes_logged


@pytest.mark.ttm("S1-SE-05", "S1-LG-02")
@pytest.mark.srv("3.3")
@pytest.mark.functional_group("security and credentials")
def test_clearing_the_event_log_leaves_a_security_trace(installation):
    installation.request("7.2").expect()
    assert installation.request("6.13").expect()["entries"]
    installation.request("3.3").expect()
    assert installation.request("6.13").expect()["entries"] == []
    assert "LOGCLR" in [entry["code"] for entry in installation.request("6.13", log="security").expect()["entries"]]


@pytest.mark.ttm("S1-CK-01", "S1-CK-02")
@pytest.mark.srv("6.11")
@pytest.mark.functional_group("clock")
def test_synchronise_clock_after_a_step_error(installation):
    installation.faults.clock_drift("ESME", seconds=-300)
    skewed = installation.request("4.1.1").expect()["device_time"]
    assert (installation.now - skewed).total_seconds() > 250
    corrected = installation.request("6.11").expect()["corrected_by_s"]
    assert corrected == pytest.approx(300, abs=5)
    fixed = installation.request("4.1.1").expect()["device_time"]
    assert abs((installation.now - fixed).total_seconds()) < 30


@pytest.mark.ttm("S1-CK-03")
@pytest.mark.srv("4.1.1")
@pytest.mark.functional_group("clock")
def test_a_drifting_clock_shows_in_device_time(installation):
    installation.faults.clock_drift("ESME", ppm=200)
    installation.advance(days=7)
    reading = installation.request("4.1.1").expect()
    drift = (reading["device_time"] - installation.now).total_seconds()
    assert 100 < drift < 125  # 200 ppm over a week is 121 s, less the answer's trip back


@pytest.mark.ttm("S1-LG-01", "S1-LG-04")
@pytest.mark.srv("6.13")
@pytest.mark.functional_group("logs")
def test_event_log_records_supply_tariff_and_top_up_events_by_device_clock(installation):
    installation.request("7.2").expect()
    installation.request("1.1.1", tariff={"unit_rate_pence": 23.0}).expect()
    installation.request("1.5", adjustment_pence=100).expect()
    installation.faults.clock_drift("ESME", seconds=3600)
    installation.request("7.1").expect()
    entries = installation.request("6.13").expect()["entries"]
    assert {"SUPPLY", "TARIFF"} <= {entry["code"] for entry in entries}
    assert (entries[-1]["time"] - installation.now).total_seconds() > 3000  # stamped by the (fast) device clock
