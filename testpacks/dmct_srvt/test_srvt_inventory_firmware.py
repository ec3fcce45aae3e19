"""Inventory, HAN and firmware SRVs."""

import pytest


@pytest.mark.ttm("S1-IN-01")
@pytest.mark.srv("8.2")
@pytest.mark.functional_group("inventory and HAN")
def test_read_inventory_lists_every_device(installation, dmc):
    devices = installation.request("8.2").expect()["devices"]
    assert sorted(row["kind"] for row in devices) == sorted(kind.value for kind in dmc.devices)
    assert {row["status"] for row in devices} == {"commissioned"}


@pytest.mark.ttm("S1-IN-02")
@pytest.mark.srv("8.1.1")
@pytest.mark.functional_group("inventory and HAN")
def test_commission_device_sets_inventory_status(installation):
    body = installation.request("8.1.1").expect()
    inventory = {row["device_id"]: row["status"] for row in installation.request("8.2").expect()["devices"]}
    assert inventory[body["device_id"]] == "commissioned"


@pytest.mark.ttm("S1-IN-03")
@pytest.mark.srv("8.7.1")
@pytest.mark.requires("IHD")
@pytest.mark.functional_group("inventory and HAN")
def test_join_service_joins_the_display(installation):
    installation.request("8.8.1", other="IHD").expect()
    assert installation.request("8.9", device="ESME").expect()["devices"] == [] or all(
        row["kind"] != "IHD" for row in installation.request("8.9", device="ESME").expect()["devices"])
    installation.request("8.7.1", other="IHD").expect()
    joined = installation.request("8.9", device="ESME").expect()["devices"]
    assert "IHD" in [row["kind"] for row in joined]


@pytest.mark.ttm("S1-IN-04")
@pytest.mark.srv("8.8.1")
@pytest.mark.requires("IHD")
@pytest.mark.functional_group("inventory and HAN")
def test_unjoin_service_removes_the_join(installation):
    installation.request("8.8.1", other="IHD").expect()
    joined = installation.request("8.9", device="ESME").expect()["devices"]
    assert "IHD" not in [row["kind"] for row in joined]
    assert installation.request("8.8.1", other="IHD").failed_at_device, "unjoining twice should be declined"


@pytest.mark.ttm("S1-IN-05")
@pytest.mark.srv("8.9")
@pytest.mark.functional_group("inventory and HAN")
def test_hub_device_log_lists_the_han_devices(installation, dmc):
    logged = installation.request("8.9", device="CH").expect()["devices"]
    expected = sorted(kind.value for kind in dmc.devices if kind.value != "CH")
    assert sorted(row["kind"] for row in logged) == expected


@pytest.mark.ttm("S1-FW-01", "S1-FW-05")
@pytest.mark.srv("11.2")
@pytest.mark.functional_group("firmware")
def test_read_firmware_version_of_every_device(installation, dmc, expected_firmware):
    found = {kind.value: installation.request("11.2", device=kind.value).expect()["firmware"] for kind in dmc.devices}
    assert found == expected_firmware


@pytest.mark.ttm("S1-FW-02")
@pytest.mark.srv("11.1")
@pytest.mark.functional_group("firmware")
def test_update_firmware_image_is_verified_and_alerted(installation):
    installation.request("11.1", device="ESME", version="99.0.0").expect()
    installation.advance(minutes=30)
    assert "8F72" in [alert.code for alert in installation.alerts()]


@pytest.mark.ttm("S1-FW-04")
@pytest.mark.srv("11.1")
@pytest.mark.functional_group("firmware")
def test_corrupt_firmware_image_fails_verification(installation):
    installation.request("11.1", device="ESME", version="99.0.1", corrupt="yes").expect()
    installation.advance(minutes=30)
    assert "8F1C" in [alert.code for alert in installation.alerts()]
    assert installation.request("11.3").failed_at_device


@pytest.mark.ttm("S1-FW-03")
@pytest.mark.srv("11.3")
@pytest.mark.functional_group("firmware")
def test_activate_firmware_changes_the_version(installation):
    installation.request("11.1", device="ESME", version="99.0.2").expect()
    installation.advance(minutes=30)
    installation.request("11.3").expect()
    installation.advance(minutes=1)
    assert installation.request("11.2").expect()["firmware"] == "99.0.2"
