"""Tariff, price and prepayment SRVs: each update is checked through a read, each read against a known change."""

import pytest


@pytest.mark.ttm("S1-TP-01")
@pytest.mark.srv("1.1.1")
@pytest.mark.functional_group("tariff and pricing")
def test_update_import_tariff_reads_back(installation):
    tariff = {"unit_rate_pence": 27.35, "standing_charge_pence": 48.0, "name": "DMCT flat"}
    installation.request("1.1.1", tariff=tariff).expect()
    assert installation.request("4.11.1").expect()["tariff"] == tariff


@pytest.mark.ttm("S1-TP-01")
@pytest.mark.srv("4.11.1")
@pytest.mark.functional_group("tariff and pricing")
def test_read_tariff_returns_the_tariff_in_force(installation):
    first = installation.request("4.11.1").expect()["tariff"]
    assert first, "a meter always holds a tariff"
    changed = {**first, "unit_rate_pence": first.get("unit_rate_pence", 20) + 1}
    installation.request("1.1.1", tariff=changed).expect()
    assert installation.request("4.11.1").expect()["tariff"] == changed


@pytest.mark.ttm("S1-TP-02")
@pytest.mark.srv("1.2.1")
@pytest.mark.functional_group("tariff and pricing")
def test_update_price_changes_the_unit_rate(installation):
    installation.request("1.2.1", unit_rate_pence=31.5).expect()
    assert installation.request("4.11.1").expect()["tariff"]["unit_rate_pence"] == 31.5


@pytest.mark.ttm("S1-PP-05", "S1-AL-03")
@pytest.mark.srv("1.5")
@pytest.mark.functional_group("prepayment")
def test_update_meter_balance_moves_credit_and_low_credit_is_alerted(installation):
    installation.request("1.6", mode="prepayment").expect()
    before = installation.request("4.3").expect()["credit_pence"]
    low = installation.request("4.13").expect()["low_credit_threshold_pence"]
    adjustment = -(before - low + 100)  # 100p under the low-credit threshold
    installation.request("1.5", adjustment_pence=adjustment).expect()
    assert installation.request("4.3").expect()["credit_pence"] == before + adjustment
    installation.advance(minutes=10)
    assert "810D" in [alert.code for alert in installation.alerts()]


@pytest.mark.ttm("S1-PP-07")
@pytest.mark.srv("1.6")
@pytest.mark.functional_group("prepayment")
def test_update_payment_mode_both_ways(installation):
    installation.request("1.6", mode="prepayment").expect()
    assert installation.request("6.2.9").expect()["payment_mode"] == "prepayment"
    installation.request("1.6", mode="credit").expect()
    assert installation.request("6.2.9").expect()["payment_mode"] == "credit"


@pytest.mark.ttm("S1-PP-03")
@pytest.mark.srv("2.1")
@pytest.mark.functional_group("prepayment")
def test_update_prepay_configuration_reads_back(installation):
    installation.request("2.1", low_credit_threshold_pence=650, emergency_credit_limit_pence=1500).expect()
    config = installation.request("4.13").expect()
    assert config["low_credit_threshold_pence"] == 650 and config["emergency_credit_limit_pence"] == 1500


@pytest.mark.ttm("S1-PP-01")
@pytest.mark.srv("2.2")
@pytest.mark.functional_group("prepayment")
def test_top_up_raises_credit_by_the_amount(installation):
    before = installation.request("4.3").expect()["credit_pence"]
    installation.request("2.2", amount_pence=1000).expect()
    assert installation.request("4.3").expect()["credit_pence"] == before + 1000


@pytest.mark.ttm("S1-PP-06")
@pytest.mark.srv("2.3")
@pytest.mark.functional_group("prepayment")
def test_update_debt_is_recovered_over_a_day(installation):
    installation.request("1.6", mode="prepayment").expect()
    installation.request("2.1", max_debt_recovery_pence_per_day=96).expect()
    installation.request("2.3", debt_pence=5000).expect()
    assert installation.request("4.3").expect()["debt_pence"] == 5000
    installation.advance(hours=24)
    assert installation.request("4.3").expect()["debt_pence"] == pytest.approx(5000 - 96, abs=2)


@pytest.mark.ttm("S1-PP-04")
@pytest.mark.srv("2.5")
@pytest.mark.functional_group("prepayment")
def test_activate_emergency_credit_only_below_its_threshold(installation):
    installation.request("1.6", mode="prepayment").expect()
    config = installation.request("4.13").expect()
    assert installation.request("2.5").failed_at_device, "emergency credit activated with credit above threshold"
    credit = installation.request("4.3").expect()["credit_pence"]
    below = config["emergency_credit_threshold_pence"] - 50
    installation.request("1.5", adjustment_pence=below - credit).expect()
    installation.request("2.5").expect()
    values = installation.request("4.3").expect()
    assert values["emergency_credit_pence"] == config["emergency_credit_limit_pence"]


@pytest.mark.ttm("S1-PP-02")
@pytest.mark.srv("4.3")
@pytest.mark.functional_group("prepayment")
def test_read_prepay_values_reports_credit_emergency_credit_and_debt(installation):
    values = installation.request("4.3").expect()
    assert {"credit_pence", "emergency_credit_pence", "debt_pence"} <= set(values)
    assert all(isinstance(values[key], int) for key in ("credit_pence", "emergency_credit_pence", "debt_pence"))
    installation.request("2.3", debt_pence=1234).expect()
    assert installation.request("4.3").expect()["debt_pence"] == 1234


@pytest.mark.ttm("S1-PP-03")
@pytest.mark.srv("4.13")
@pytest.mark.functional_group("prepayment")
def test_read_prepayment_configuration(installation):
    config = installation.request("4.13").expect()
    assert config["disablement_threshold_pence"] <= config["low_credit_threshold_pence"]
    installation.request("2.1", disablement_threshold_pence=10).expect()
    assert installation.request("4.13").expect()["disablement_threshold_pence"] == 10


@pytest.mark.ttm("S1-RD-08")
@pytest.mark.srv("4.18")
@pytest.mark.functional_group("reads")
def test_read_meter_balance(installation):
    balance = installation.request("4.18").expect()
    installation.request("1.5", adjustment_pence=250).expect()
    after = installation.request("4.18").expect()
    assert after["meter_balance_pence"] == balance["meter_balance_pence"] + 250
    assert after["payment_mode"] in ("credit", "prepayment")
