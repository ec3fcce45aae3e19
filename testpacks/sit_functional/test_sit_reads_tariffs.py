"""SIT functional: reads and tariffs, as scenarios over simulated days."""

from datetime import timedelta

import pytest


@pytest.mark.ttm("S1-RD-01", "S1-RD-04")
@pytest.mark.srv("4.8.1")
@pytest.mark.functional_group("reads")
def test_a_day_of_profile_data_accounts_for_the_register_advance(installation):
    start_kwh = installation.request("4.1.1").expect()["import_kwh"]
    start = installation.now
    installation.advance(days=1)
    end_kwh = installation.request("4.1.1").expect()["import_kwh"]
    rows = installation.request("4.8.1", start=start, end=installation.now).expect()["intervals"]
    assert len(rows) == 48
    assert sum(row["kwh"] for row in rows) == pytest.approx(end_kwh - start_kwh, abs=0.002)


@pytest.mark.ttm("S1-RD-02")
@pytest.mark.srv("4.1.1")
@pytest.mark.requires("GSME")
@pytest.mark.functional_group("reads")
def test_gas_register_energy_and_volume_agree(installation):
    installation.advance(hours=12)
    gas = installation.request("4.1.1", device="GSME").expect()
    config = installation.request("6.2.8", device="GSME").expect()
    assert gas["volume_m3"] == pytest.approx(
        gas["import_kwh"] * 3.6 / (config["calorific_value"] * config["conversion_factor"]), abs=0.01)


@pytest.mark.ttm("S1-RD-03", "S1-TP-03")
@pytest.mark.srv("4.1.2")
@pytest.mark.functional_group("reads")
def test_economy_7_style_tariff_splits_night_and_day(installation):
    installation.request("1.1.1", tariff={"tou": [{"from": "00:30", "rate_pence": 9.5},
                                                   {"from": "07:30", "rate_pence": 30.1}]}).expect()
    start = installation.now
    installation.advance(days=2)
    rows = installation.request("4.8.1", start=start, end=installation.now).expect()["intervals"]
    night = sum(row["kwh"] for row in rows if (row["start"].hour, row["start"].minute) >= (0, 30)
                and (row["start"].hour, row["start"].minute) < (7, 30))
    tou = installation.request("4.1.2").expect()["tou_kwh"]
    assert tou[0] == pytest.approx(night, abs=0.01)
    assert tou[1] == pytest.approx(sum(row["kwh"] for row in rows) - night, abs=0.01)


@pytest.mark.ttm("S1-RD-05", "S1-RD-06")
@pytest.mark.srv("4.6.1")
@pytest.mark.functional_group("reads")
def test_a_week_of_daily_logs(installation):
    installation.advance(days=7)
    reads = installation.request("4.6.1", start=installation.now - timedelta(days=7)).expect()["reads"]
    days = installation.request("4.17").expect()["days"]
    assert len(reads) == 7 and len(days) == 7
    for before, after, day in zip(reads, reads[1:], days[1:], strict=False):
        assert after["import_kwh"] - before["import_kwh"] == pytest.approx(day["kwh"], abs=0.002)


@pytest.mark.ttm("S1-RD-07")
@pytest.mark.srv("4.16")
@pytest.mark.functional_group("reads")
def test_demand_follows_the_household_day(installation):
    installation.advance(hours=3, minutes=15)
    night = installation.request("4.16").expect()["active_power_w"]
    installation.advance(hours=15)
    evening = installation.request("4.16").expect()["active_power_w"]
    assert 0 <= night < 24_000 and 0 < evening < 24_000


@pytest.mark.ttm("S1-RD-08")
@pytest.mark.srv("4.18")
@pytest.mark.functional_group("reads")
def test_meter_balance_reports_the_mode_in_force(installation, dmc):
    assert installation.request("4.18").expect()["payment_mode"] == dmc.payment_mode


@pytest.mark.ttm("S1-RD-09")
@pytest.mark.srv("4.1.1")
@pytest.mark.functional_group("reads")
def test_a_read_lost_in_a_short_wan_outage_is_answered_by_a_retry(installation):
    installation.faults.wan_outage(minutes=1.5)
    response = installation.request("4.1.1")
    response.expect()
    assert response.completed_at - response.issued_at > timedelta(minutes=1)


@pytest.mark.ttm("S1-TP-01", "S1-TP-02")
@pytest.mark.srv("1.1.1")
@pytest.mark.functional_group("tariff and pricing")
def test_tariff_written_then_repriced(installation):
    tariff = {"unit_rate_pence": 24.0, "standing_charge_pence": 51.0, "reference": "SIT-T1"}
    installation.request("1.1.1", tariff=tariff).expect()
    assert installation.request("4.11.1").expect()["tariff"] == tariff
    installation.request("1.2.1", unit_rate_pence=26.5).expect()
    assert installation.request("4.11.1").expect()["tariff"] == {**tariff, "unit_rate_pence": 26.5}


@pytest.mark.ttm("S1-TP-04")
@pytest.mark.srv("1.1.1")
@pytest.mark.functional_group("tariff and pricing")
def test_block_tariff_prices_consumption_block_by_block(installation):
    installation.request("1.6", mode="prepayment").expect()
    tariff = {"blocks": [{"up_to_kwh": 2, "rate_pence": 10.0}, {"up_to_kwh": None, "rate_pence": 40.0}],
              "standing_charge_pence": 0}
    installation.request("1.1.1", tariff=tariff).expect()
    credit = installation.request("4.3").expect()["credit_pence"]
    start_kwh = installation.request("4.1.1").expect()["import_kwh"]
    installation.advance(hours=12)
    used = installation.request("4.1.1").expect()["import_kwh"] - start_kwh
    spent = credit - installation.request("4.3").expect()["credit_pence"]
    expected = min(used, 2) * 10 + max(used - 2, 0) * 40
    assert used > 2, "the scenario needs consumption beyond the first block"
    assert spent == pytest.approx(expected, abs=2)


@pytest.mark.ttm("S1-TP-05")
@pytest.mark.srv("1.2.1")
@pytest.mark.functional_group("tariff and pricing")
def test_standing_charge_is_debited_over_a_day(installation):
    installation.request("1.6", mode="prepayment").expect()
    installation.request("1.2.1", unit_rate_pence=0.0, standing_charge_pence=120.0).expect()
    credit = installation.request("4.3").expect()["credit_pence"]
    installation.advance(days=1)
    assert credit - installation.request("4.3").expect()["credit_pence"] == pytest.approx(120, abs=1)
