"""SIT regression set: the services every release must keep working (Table 13.1 row 2: 100% executed and passed).

Short end-to-end checks of what earlier releases delivered, re-run on each new SUT version."""

import pytest

pytestmark = pytest.mark.regression


@pytest.mark.ttm("S1-RD-01")
@pytest.mark.srv("4.1.1")
@pytest.mark.functional_group("reads")
def test_register_read(installation):
    assert installation.request("4.1.1").expect()["import_kwh"] > 0


@pytest.mark.ttm("S1-RD-04")
@pytest.mark.srv("4.8.1")
@pytest.mark.functional_group("reads")
def test_profile_read(installation):
    installation.advance(hours=2)
    assert len(installation.request("4.8.1", start=installation.now.replace(minute=0, second=0, microsecond=0)
                                    .replace(hour=0)).expect()["intervals"]) == 4


@pytest.mark.ttm("S1-PP-01")
@pytest.mark.srv("2.2")
@pytest.mark.functional_group("prepayment")
def test_top_up(installation):
    credit = installation.request("4.3").expect()["credit_pence"]
    installation.request("2.2", amount_pence=100).expect()
    assert installation.request("4.3").expect()["credit_pence"] == credit + 100


@pytest.mark.ttm("S1-PP-07")
@pytest.mark.srv("1.6")
@pytest.mark.functional_group("prepayment")
def test_payment_mode(installation):
    installation.request("1.6", mode="prepayment").expect()
    assert installation.request("6.2.9").expect()["payment_mode"] == "prepayment"


@pytest.mark.ttm("S1-TP-01")
@pytest.mark.srv("1.1.1")
@pytest.mark.functional_group("tariff and pricing")
def test_tariff(installation):
    installation.request("1.1.1", tariff={"unit_rate_pence": 25.0}).expect()
    assert installation.request("4.11.1").expect()["tariff"] == {"unit_rate_pence": 25.0}


@pytest.mark.ttm("S1-SC-01", "S1-SC-03")
@pytest.mark.srv("7.2")
@pytest.mark.functional_group("supply control")
def test_supply_off_and_on(installation):
    installation.request("7.2").expect()
    assert installation.request("7.4").expect()["supply_status"] == "disabled"
    installation.request("7.1").expect()
    assert installation.request("7.4").expect()["supply_status"] == "enabled"


@pytest.mark.ttm("S1-FW-01")
@pytest.mark.srv("11.2")
@pytest.mark.functional_group("firmware")
def test_firmware_version(installation, expected_firmware):
    assert installation.request("11.2").expect()["firmware"] == expected_firmware["ESME"]


@pytest.mark.ttm("S1-IN-01")
@pytest.mark.srv("8.2")
@pytest.mark.functional_group("inventory and HAN")
def test_inventory(installation, dmc):
    assert len(installation.request("8.2").expect()["devices"]) == len(dmc.devices)


@pytest.mark.ttm("S1-AL-02")
@pytest.mark.srv("7.2")
@pytest.mark.functional_group("alerts")
def test_supply_alert(installation, codes):
    installation.request("7.2").expect()
    installation.advance(minutes=10)
    assert "8F57" in codes(installation)


@pytest.mark.ttm("S1-CK-01")
@pytest.mark.srv("6.11")
@pytest.mark.functional_group("clock")
def test_clock_sync(installation):
    installation.request("6.11").expect()


@pytest.mark.ttm("S1-SE-01")
@pytest.mark.srv("6.15.2")
@pytest.mark.functional_group("security and credentials")
def test_credentials_update(installation):
    assert installation.request("6.15.2", role="supplier").expect()["key_fingerprint"]


@pytest.mark.ttm("S1-MG-06")
@pytest.mark.srv("4.1.1")
@pytest.mark.functional_group("migration and enrolment")
def test_migrated_installation_answers(migrated):
    migrated.request("4.1.1").expect()
