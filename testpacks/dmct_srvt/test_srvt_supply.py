"""Supply control SRVs, checked through Read Supply Status and the alerts they raise."""

import pytest


def codes(installation):
    return [alert.code for alert in installation.alerts()]


@pytest.mark.ttm("S1-SC-01", "S1-AL-02", "S1-AL-05")
@pytest.mark.srv("7.2")
@pytest.mark.severity(2)
@pytest.mark.functional_group("supply control")
def test_disable_supply_interrupts_and_alerts(installation):
    response = installation.request("7.2")
    response.expect()
    assert installation.request("7.4").expect()["supply_status"] == "disabled"
    installation.advance(minutes=10)
    alerts = [alert for alert in installation.alerts() if alert.code == "8F57"]
    assert alerts, f"no supply interrupted alert (got {codes(installation)})"
    assert response.issued_at <= alerts[0].raised_at <= alerts[0].delivered_at


@pytest.mark.ttm("S1-SC-05")
@pytest.mark.srv("7.2")
@pytest.mark.requires("GSME")
@pytest.mark.severity(2)
@pytest.mark.functional_group("supply control")
def test_disable_gas_supply_leaves_electricity_on(installation):
    installation.request("7.2", device="GSME").expect()
    assert installation.request("7.4", device="GSME").expect()["supply_status"] == "disabled"
    assert installation.request("7.4").expect()["supply_status"] == "enabled"


@pytest.mark.ttm("S1-SC-02")
@pytest.mark.srv("7.3")
@pytest.mark.functional_group("supply control")
def test_arm_supply_after_disable(installation):
    installation.request("7.2").expect()
    installation.request("7.3").expect()
    assert installation.request("7.4").expect()["supply_status"] == "armed"


@pytest.mark.ttm("S1-SC-03")
@pytest.mark.srv("7.1")
@pytest.mark.functional_group("supply control")
def test_enable_supply_restores_it(installation):
    installation.request("7.2").expect()
    installation.request("7.1").expect()
    assert installation.request("7.4").expect()["supply_status"] == "enabled"


@pytest.mark.ttm("S1-SC-04")
@pytest.mark.srv("7.4")
@pytest.mark.functional_group("supply control")
def test_read_supply_status_follows_every_change(installation):
    seen = [installation.request("7.4").expect()["supply_status"]]
    for srv in ("7.2", "7.3", "7.1"):
        installation.request(srv).expect()
        seen.append(installation.request("7.4").expect()["supply_status"])
    assert seen == ["enabled", "disabled", "armed", "enabled"]


@pytest.mark.ttm("S1-SC-06")
@pytest.mark.srv("6.4.1")
@pytest.mark.functional_group("supply control")
def test_load_limit_arms_the_supply_when_exceeded(installation):
    installation.request("6.4.1", threshold_w=60).expect()
    installation.advance(hours=3)
    assert installation.request("7.4").expect()["supply_status"] == "armed"


@pytest.mark.ttm("S1-SC-06")
@pytest.mark.srv("4.15")
@pytest.mark.functional_group("supply control")
def test_read_load_limit_data(installation):
    installation.request("6.4.1", threshold_w=60).expect()
    installation.advance(hours=3)
    data = installation.request("4.15").expect()
    assert data["threshold_w"] == 60 and data["events"] >= 1
