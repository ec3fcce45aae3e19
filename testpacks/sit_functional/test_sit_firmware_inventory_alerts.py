"""SIT functional: firmware, inventory and HAN, alerts."""

import pytest


@pytest.mark.ttm("S1-FW-01", "S1-FW-05")
@pytest.mark.srv("11.2")
@pytest.mark.functional_group("firmware")
def test_every_device_runs_the_declared_firmware(installation, dmc, expected_firmware):
    for kind in dmc.devices:
        assert installation.request("11.2", device=kind.value).expect()["firmware"] == expected_firmware[kind.value]


@pytest.mark.ttm("S1-FW-02", "S1-FW-03")
@pytest.mark.srv("11.3")
@pytest.mark.functional_group("firmware")
def test_firmware_upgrade_end_to_end(installation, codes):
    installation.request("11.1", device="ESME", version="60.1.0").expect()
    assert installation.request("11.3").failed_at_device  # nothing verified yet
    installation.advance(minutes=30)
    assert "8F72" in codes(installation)
    installation.request("11.3").expect()
    installation.advance(minutes=2)
    assert installation.request("11.2").expect()["firmware"] == "60.1.0"


@pytest.mark.ttm("S1-FW-04")
@pytest.mark.srv("11.1")
@pytest.mark.functional_group("firmware")
def test_a_corrupt_image_is_never_activated(installation, expected_firmware, codes):
    installation.request("11.1", device="ESME", version="60.2.0", corrupt="yes").expect()
    installation.advance(minutes=30)
    assert "8F1C" in codes(installation)
    assert installation.request("11.3").failed_at_device
    assert installation.request("11.2").expect()["firmware"] == expected_firmware["ESME"]


@pytest.mark.ttm("S1-IN-01", "S1-IN-02")
@pytest.mark.srv("8.2")
@pytest.mark.functional_group("inventory and HAN")
def test_inventory_after_commissioning(installation, dmc):
    installation.request("8.1.1", device="CH").expect()
    rows = installation.request("8.2").expect()["devices"]
    assert sorted(row["kind"] for row in rows) == sorted(kind.value for kind in dmc.devices)
    assert all(row["status"] == "commissioned" for row in rows)


@pytest.mark.ttm("S1-IN-03", "S1-IN-04")
@pytest.mark.srv("8.7.1")
@pytest.mark.requires("IHD")
@pytest.mark.functional_group("inventory and HAN")
def test_display_unjoined_and_joined_again(installation):
    installation.request("8.8.1", other="IHD").expect()
    assert "IHD" not in [row["kind"] for row in installation.request("8.9", device="ESME").expect()["devices"]]
    installation.request("8.7.1", other="IHD").expect()
    assert "IHD" in [row["kind"] for row in installation.request("8.9", device="ESME").expect()["devices"]]


@pytest.mark.ttm("S1-IN-05")
@pytest.mark.srv("8.9")
@pytest.mark.functional_group("inventory and HAN")
def test_hub_device_log_holds_the_installation(installation, dmc):
    rows = installation.request("8.9", device="CH").expect()["devices"]
    assert sorted(row["kind"] for row in rows) == sorted(kind.value for kind in dmc.devices if kind.value != "CH")


@pytest.mark.ttm("S1-IN-06")
@pytest.mark.srv("4.1.1")
@pytest.mark.functional_group("inventory and HAN")
def test_core_services_answer_on_every_han_band(installation):
    for srv in ("4.1.1", "7.4", "11.2", "4.18"):
        installation.request(srv).expect()


@pytest.mark.ttm("S1-AL-01")
@pytest.mark.functional_group("alerts")
def test_power_outages_are_alerted_by_length(installation, codes):
    installation.faults.power_outage(minutes=2)
    installation.advance(minutes=10)
    assert sorted(codes(installation)) == ["8F35"]
    installation.faults.power_outage(minutes=20)
    installation.advance(minutes=30)
    assert sorted(codes(installation)) == ["8F35", "8F35", "8F36"]


@pytest.mark.ttm("S1-AL-04")
@pytest.mark.functional_group("alerts")
def test_alerts_wait_out_a_wan_outage(installation, codes):
    installation.faults.wan_outage(minutes=45)
    installation.faults.tamper()
    installation.advance(minutes=30)
    assert codes(installation) == []
    installation.advance(minutes=30)
    assert codes(installation) == ["8F3F"]


@pytest.mark.ttm("S1-AL-05")
@pytest.mark.srv("7.2")
@pytest.mark.functional_group("alerts")
def test_alerts_carry_the_time_they_were_raised(installation):
    response = installation.request("7.2")
    response.expect()
    installation.advance(minutes=5)
    alert = installation.alerts()[-1]
    assert response.issued_at <= alert.raised_at <= alert.delivered_at <= installation.now


@pytest.mark.ttm("S1-RD-01", "S1-RD-02")
@pytest.mark.srv("4.1.1")
@pytest.mark.functional_group("reads")
def test_the_han_shows_what_the_duis_reads_return(installation, smets1_han, dmc):
    """What an IHD reads from the meters' Metering clusters (ZigBee SE) agrees with the DUIS reads. Needs a HAN
    reader (``smets1_han``): the simulated link's, or a zigbee link's radio adapter; not applicable elsewhere."""
    han = smets1_han.han
    electricity = han.metering("ESME")
    assert electricity.unit == "kWh"
    assert electricity.summation == pytest.approx(installation.request("4.1.1").expect()["import_kwh"], abs=0.001)
    assert electricity.supply_status == installation.request("7.4").expect()["supply_status"]
    if "GSME" in {kind.value for kind in dmc.devices}:
        gas = han.metering("GSME")
        duis = installation.request("4.1.1", device="GSME").expect()["volume_m3"]
        assert gas.unit == "m3" and gas.summation == pytest.approx(duis, abs=0.002)
    tariff = installation.request("4.11.1").expect()["tariff"]
    assert han.current_price().pence_per_unit == pytest.approx(tariff["unit_rate_pence"])
