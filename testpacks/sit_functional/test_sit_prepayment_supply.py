"""SIT functional: prepayment and supply control."""

import pytest


@pytest.mark.ttm("S1-PP-01", "S1-PP-02")
@pytest.mark.srv("2.2")
@pytest.mark.functional_group("prepayment")
def test_top_ups_accumulate(installation):
    start = installation.request("4.3").expect()
    for amount in (500, 1000, 250):
        installation.request("2.2", amount_pence=amount).expect()
    end = installation.request("4.3").expect()
    assert end["credit_pence"] == start["credit_pence"] + 1750
    assert end["debt_pence"] == start["debt_pence"]


@pytest.mark.ttm("S1-PP-08")
@pytest.mark.srv("2.2")
@pytest.mark.functional_group("prepayment")
def test_running_out_of_credit_and_topping_up(installation, codes):
    installation.request("1.6", mode="prepayment").expect()
    credit = installation.request("4.3").expect()["credit_pence"]
    installation.request("1.5", adjustment_pence=15 - credit).expect()
    installation.advance(hours=12)
    assert installation.request("7.4").expect()["supply_status"] == "disabled"
    assert "8F0F" in codes(installation)
    installation.request("2.2", amount_pence=2000).expect()
    assert installation.request("7.4").expect()["supply_status"] == "armed"
    assert installation.press_button()
    assert installation.request("7.4").expect()["supply_status"] == "enabled"


@pytest.mark.ttm("S1-PP-03", "S1-PP-04")
@pytest.mark.srv("2.5")
@pytest.mark.functional_group("prepayment")
def test_emergency_credit_under_a_configured_threshold(installation):
    installation.request("1.6", mode="prepayment").expect()
    installation.request("2.1", emergency_credit_threshold_pence=400, emergency_credit_limit_pence=800).expect()
    assert installation.request("4.13").expect()["emergency_credit_threshold_pence"] == 400
    credit = installation.request("4.3").expect()["credit_pence"]
    installation.request("1.5", adjustment_pence=450 - credit).expect()
    assert installation.request("2.5").failed_at_device  # 450p is not below 400p
    installation.request("1.5", adjustment_pence=-100).expect()
    installation.request("2.5").expect()
    assert installation.request("4.3").expect()["emergency_credit_pence"] == 800


@pytest.mark.ttm("S1-PP-05", "S1-AL-03")
@pytest.mark.srv("1.5")
@pytest.mark.functional_group("prepayment")
def test_balance_adjustment_below_low_credit_is_alerted(installation, codes):
    installation.request("1.6", mode="prepayment").expect()
    credit = installation.request("4.3").expect()["credit_pence"]
    installation.request("1.5", adjustment_pence=300 - credit).expect()
    assert installation.request("4.3").expect()["credit_pence"] == 300
    installation.advance(minutes=10)
    assert "810D" in codes(installation)


@pytest.mark.ttm("S1-PP-06")
@pytest.mark.srv("2.3")
@pytest.mark.functional_group("prepayment")
def test_debt_is_recovered_at_the_configured_daily_rate(installation):
    installation.request("1.6", mode="prepayment").expect()
    installation.request("2.1", max_debt_recovery_pence_per_day=48).expect()
    installation.request("2.3", debt_pence=1000).expect()
    installation.advance(days=2)
    assert installation.request("4.3").expect()["debt_pence"] == pytest.approx(1000 - 96, abs=2)


@pytest.mark.ttm("S1-PP-07")
@pytest.mark.srv("1.6")
@pytest.mark.functional_group("prepayment")
def test_change_of_payment_mode_is_logged(installation, dmc):
    other = "credit" if dmc.payment_mode == "prepayment" else "prepayment"
    installation.request("1.6", mode=other).expect()
    assert installation.request("6.2.9").expect()["payment_mode"] == other
    events = installation.request("6.13").expect()["entries"]
    assert any(entry["code"] == "MODE" for entry in events)


@pytest.mark.ttm("S1-PP-09")
@pytest.mark.srv("1.5")
@pytest.mark.functional_group("prepayment")
def test_an_update_whose_answer_is_lost_is_applied_once(installation):
    credit = installation.request("4.3").expect()["credit_pence"]
    installation.faults.wan_loss(0.6)
    responses = [installation.request("1.5", adjustment_pence=100) for _ in range(8)]
    installation.faults.clear()
    applied = installation.request("4.3").expect()["credit_pence"] - credit
    answered = sum(response.ok for response in responses)
    # each adjustment reached the meter at most once: never more credit than requests sent
    assert answered * 100 <= applied <= 800 and applied % 100 == 0


@pytest.mark.ttm("S1-SC-01", "S1-SC-02", "S1-SC-03", "S1-SC-04", "S1-AL-02")
@pytest.mark.srv("7.2")
@pytest.mark.functional_group("supply control")
def test_supply_disable_arm_enable_cycle(installation, codes):
    states = []
    for srv in ("7.2", "7.3", "7.1"):
        installation.request(srv).expect()
        states.append(installation.request("7.4").expect()["supply_status"])
    installation.advance(minutes=10)
    assert states == ["disabled", "armed", "enabled"]
    assert codes(installation).count("8F57") == 1


@pytest.mark.ttm("S1-SC-05")
@pytest.mark.srv("7.2")
@pytest.mark.requires("GSME")
@pytest.mark.functional_group("supply control")
def test_gas_valve_closes_alone_and_gas_use_stops(installation):
    installation.request("7.2", device="GSME").expect()
    before = installation.request("4.1.1", device="GSME").expect()["import_kwh"]
    installation.advance(hours=6)
    assert installation.request("4.1.1", device="GSME").expect()["import_kwh"] == pytest.approx(before, abs=0.01)
    assert installation.request("7.4").expect()["supply_status"] == "enabled"


@pytest.mark.ttm("S1-SC-06")
@pytest.mark.srv("6.4.1")
@pytest.mark.functional_group("supply control")
def test_load_limiting_counts_events_and_arms_supply(installation):
    installation.request("6.4.1", threshold_w=80).expect()
    installation.advance(hours=4)
    data = installation.request("4.15").expect()
    assert data["events"] >= 1 and installation.request("7.4").expect()["supply_status"] == "armed"
