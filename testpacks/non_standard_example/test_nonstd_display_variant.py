"""Non-Standard DMCT SRV pack: a DMC that differs from one already on the EPCL only in its IHD (see rationale.md)."""

import pytest

pytestmark = pytest.mark.requires("IHD")


@pytest.mark.ttm("S1-FW-01")
@pytest.mark.srv("11.2")
@pytest.mark.functional_group("firmware")
def test_ihd_firmware_is_the_declared_version(installation, expected_firmware):
    assert installation.request("11.2", device="IHD").expect()["firmware"] == expected_firmware["IHD"]


@pytest.mark.ttm("S1-CF-06")
@pytest.mark.srv("6.2.4")
@pytest.mark.functional_group("configuration")
def test_ihd_identity(installation, dmc, svtad_profiles):
    model = next(model for kind, model in svtad_profiles.device_models(dmc).items() if kind.value == "IHD")
    identity = installation.request("6.2.4", device="IHD").expect()
    assert (identity["manufacturer"], identity["model"]) == (model.manufacturer, model.model)


@pytest.mark.ttm("S1-IN-05")
@pytest.mark.srv("8.9")
@pytest.mark.functional_group("inventory and HAN")
def test_ihd_is_in_the_hub_device_log(installation):
    rows = installation.request("8.9", device="CH").expect()["devices"]
    assert "IHD" in [row["kind"] for row in rows]


@pytest.mark.ttm("S1-IN-03", "S1-IN-04")
@pytest.mark.srv("8.7.1")
@pytest.mark.functional_group("inventory and HAN")
def test_ihd_unjoins_and_joins_the_electricity_meter(installation):
    installation.request("8.8.1", other="IHD").expect()
    installation.request("8.7.1", other="IHD").expect()
    assert "IHD" in [row["kind"] for row in installation.request("8.9", device="ESME").expect()["devices"]]


@pytest.mark.ttm("S1-CF-05")
@pytest.mark.srv("3.1")
@pytest.mark.functional_group("configuration")
def test_message_reaches_the_ihd(installation):
    installation.request("3.1", message="Planned supply work on Tuesday").expect()
    assert installation.devices["IHD"].display_message == "Planned supply work on Tuesday"


@pytest.mark.ttm("S1-RD-01")
@pytest.mark.srv("4.1.1")
@pytest.mark.functional_group("reads")
def test_ihd_shows_the_register_the_dcc_reads(installation):
    installation.advance(hours=2)
    register = installation.request("4.1.1").expect()["import_kwh"]
    screen = installation.devices["IHD"].shows(installation.meters())
    assert screen["electricity"]["import_kwh"] == pytest.approx(register, abs=0.001)
