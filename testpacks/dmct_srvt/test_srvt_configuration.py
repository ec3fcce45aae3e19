"""Configuration, display and clock SRVs: each written value is read back or seen in its effect."""

import pytest


@pytest.mark.ttm("S1-CF-05")
@pytest.mark.srv("3.1")
@pytest.mark.requires("IHD")
@pytest.mark.functional_group("configuration")
def test_display_message_reaches_the_in_home_display(installation):
    installation.request("3.1", message="DMCT message 3.1").expect()
    if hasattr(installation, "devices") and "IHD" in installation.devices:
        assert installation.devices["IHD"].display_message == "DMCT message 3.1"


@pytest.mark.ttm("S1-CF-04")
@pytest.mark.srv("3.4")
@pytest.mark.functional_group("configuration")
def test_update_supplier_name_is_held(installation):
    installation.request("3.4", name="Sample Energy Ltd").expect()
    assert installation.request("6.2.4").expect()["supplier_name"] == "Sample Energy Ltd"


@pytest.mark.ttm("S1-CF-06")
@pytest.mark.srv("6.2.4")
@pytest.mark.functional_group("configuration")
def test_read_identity_matches_the_dmc(installation, dmc, svtad_profiles, expected_firmware):
    identity = installation.request("6.2.4").expect()
    model = svtad_profiles.device_models(dmc)[next(iter(kind for kind in dmc.devices if kind.value == "ESME"
                                                         or kind.value == "GSME"))]
    assert (identity["manufacturer"], identity["model"]) == (model.manufacturer, model.model)
    assert identity["firmware"] == expected_firmware[model.kind.value]


@pytest.mark.ttm("S1-CF-01")
@pytest.mark.srv("6.20.1")
@pytest.mark.functional_group("configuration")
def test_set_import_mpxn(installation):
    installation.request("6.20.1", mpxn="1900012345678").expect()
    assert installation.request("6.2.7").expect()["mpxn"] == "1900012345678"


@pytest.mark.ttm("S1-CF-01")
@pytest.mark.srv("6.2.7")
@pytest.mark.functional_group("configuration")
def test_read_mpxn_is_an_mpan_core(installation):
    mpxn = installation.request("6.2.7").expect()["mpxn"]
    assert mpxn.isdigit() and len(mpxn) == 13


@pytest.mark.ttm("S1-CF-02")
@pytest.mark.srv("6.6")
@pytest.mark.functional_group("configuration")
def test_update_gas_conversion_changes_the_volume(installation):
    before = installation.request("4.1.1", device="GSME").expect()["volume_m3"]
    installation.request("6.6", device="GSME", calorific_value=41.0).expect()
    assert installation.request("6.2.8", device="GSME").expect()["calorific_value"] == 41.0
    assert installation.request("4.1.1", device="GSME").expect()["volume_m3"] < before


@pytest.mark.ttm("S1-CF-02")
@pytest.mark.srv("6.2.8")
@pytest.mark.functional_group("configuration")
def test_read_gas_configuration(installation):
    config = installation.request("6.2.8", device="GSME").expect()
    assert 30 <= config["calorific_value"] <= 50 and 0.9 <= config["conversion_factor"] <= 1.1


@pytest.mark.ttm("S1-PP-07")
@pytest.mark.srv("6.2.9")
@pytest.mark.functional_group("prepayment")
def test_read_payment_mode_is_the_dmc_s(installation, dmc):
    assert installation.request("6.2.9").expect()["payment_mode"] == dmc.payment_mode


@pytest.mark.ttm("S1-CF-03")
@pytest.mark.srv("6.22")
@pytest.mark.functional_group("configuration")
def test_configure_alert_behaviour_suppresses_an_alert(installation):
    installation.request("6.22", suppress=["8F57"]).expect()
    installation.request("7.2").expect()
    installation.advance(minutes=10)
    assert "8F57" not in [alert.code for alert in installation.alerts()]


@pytest.mark.ttm("S1-CF-03")
@pytest.mark.srv("6.2.10")
@pytest.mark.functional_group("configuration")
def test_read_alert_behaviours(installation):
    assert installation.request("6.2.10").expect()["suppressed_alerts"] == []
    installation.request("6.22", suppress=["8F3F"]).expect()
    assert installation.request("6.2.10").expect()["suppressed_alerts"] == ["8F3F"]


@pytest.mark.ttm("S1-CK-01")
@pytest.mark.srv("6.11")
@pytest.mark.functional_group("clock")
def test_synchronise_clock(installation):
    corrected = installation.request("6.11").expect()["corrected_by_s"]
    assert abs(corrected) < 5  # a healthy clock needs (almost) no correction
    reading = installation.request("4.1.1").expect()
    assert abs((reading["device_time"] - installation.now).total_seconds()) < 60
