"""The SMETS1 simulator on its own: state effects through a second SRV, alerts, quirks, dormancy, faults,
determinism and the errors of bad use. Uses the sample profiles shipped in device_profiles/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from pytest_svtad.smets1.profiles import DeviceKind, DeviceModel, load_profiles
from simulators import Installation, RequestError

PROFILES = load_profiles(Path(__file__).parents[1] / "device_profiles")


def install(dmc_id: str, seed: int = 0, **models: DeviceModel) -> Installation:
    dmc = PROFILES.dmcs[dmc_id]
    chosen = PROFILES.device_models(dmc)
    chosen.update({DeviceKind(kind): model for kind, model in models.items()})
    return Installation(dmc, chosen, seed=seed)


def codes(inst: Installation) -> list[str]:
    return [alert.code for alert in inst.alerts()]


# --- state effects seen through a second SRV -------------------------------------------------------------------

def test_top_up_raises_the_credit_read_back_by_the_amount() -> None:
    inst = install("DMC-002")
    before = inst.request("4.3").body["credit_pence"]
    response = inst.request("2.2", amount_pence=750)
    assert response.code == "I0" and response.ok
    assert inst.request("4.3").body["credit_pence"] == before + 750


def test_disable_then_arm_then_enable_is_what_read_supply_status_reports() -> None:
    inst = install("DMC-001")
    assert inst.request("7.4").body == {"supply_status": "enabled"}
    inst.request("7.2")
    assert inst.request("7.4").body["supply_status"] == "disabled"
    inst.request("7.3")
    assert inst.request("7.4").body["supply_status"] == "armed"
    inst.request("7.1")
    assert inst.request("7.4").body["supply_status"] == "enabled"


def test_gas_supply_is_addressed_to_the_gsme_and_independent_of_the_electricity_supply() -> None:
    inst = install("DMC-001")
    assert inst.request("7.2", device="GSME").device == "GSME"
    assert inst.request("7.4", device="GSME").body["supply_status"] == "disabled"
    assert inst.request("7.4").body["supply_status"] == "enabled"


def test_tariff_written_is_the_tariff_read_and_time_of_use_registers_follow_its_bands() -> None:
    inst = install("DMC-001")
    tariff = {"tou": [{"from": "00:00", "rate_pence": 12.0}, {"from": "07:00", "rate_pence": 30.0}],
              "standing_charge_pence": 50, "label": "Economy 7 (sample)"}
    assert inst.request("1.1.1", tariff=tariff).ok
    assert inst.request("4.11.1").body["tariff"] == tariff
    inst.advance(hours=24)
    tou = inst.request("4.1.2").body
    profile = inst.request("4.8.1", start=inst.now - timedelta(hours=24), end=inst.now).body["intervals"]
    night = sum(row["kwh"] for row in profile if row["start"].hour < 7)
    assert tou["bands"] == ["00:00", "07:00"]
    assert tou["tou_kwh"][0] == pytest.approx(night, abs=0.002)
    assert sum(tou["tou_kwh"]) == pytest.approx(sum(row["kwh"] for row in profile), abs=0.002)


def test_a_day_gives_48_profile_intervals_summing_to_the_register_delta() -> None:
    inst = install("DMC-001")
    first = inst.request("4.1.1")
    start = inst.now
    inst.advance(hours=24)
    second = inst.request("4.1.1")
    intervals = inst.request("4.8.1", start=start, end=inst.now).body["intervals"]
    assert len(intervals) == 48
    assert [row["start"] for row in intervals] == [
        intervals[0]["start"] + timedelta(minutes=30 * index) for index in range(48)]
    delta = second.body["import_kwh"] - first.body["import_kwh"]
    assert delta > 1  # a home uses a few kWh a day
    assert sum(row["kwh"] for row in intervals) == pytest.approx(delta, abs=1e-6)


def test_daily_logs_record_each_midnight() -> None:
    inst = install("DMC-004")
    inst.advance(days=3)
    reads = inst.request("4.6.1").body["reads"]
    days = inst.request("4.17").body["days"]
    assert len(reads) == 3 and len(days) == 3
    assert reads[1]["import_kwh"] - reads[0]["import_kwh"] == pytest.approx(days[1]["kwh"], abs=1e-6)


def test_gas_register_reports_volume_from_the_calorific_value_set_by_6_6() -> None:
    inst = install("DMC-001")
    before = inst.request("4.1.1", device="GSME").body
    assert before["volume_m3"] == pytest.approx(before["import_kwh"] * 3.6 / (39.5 * 1.02264), abs=0.001)
    assert inst.request("6.6", device="GSME", calorific_value=40.0).ok
    assert inst.request("6.2.8", device="GSME").body["calorific_value"] == 40.0
    after = inst.request("4.1.1", device="GSME").body
    assert after["volume_m3"] < before["volume_m3"]


def test_payment_mode_written_is_read_back() -> None:
    inst = install("DMC-001")
    assert inst.request("6.2.9").body == {"payment_mode": "credit"}
    inst.request("1.6", mode="prepayment")
    assert inst.request("6.2.9").body == {"payment_mode": "prepayment"}


def test_prepayment_meter_pays_for_energy_and_standing_charge() -> None:
    inst = install("DMC-002")
    before = inst.request("4.3").body["credit_pence"]
    inst.advance(hours=12)
    after = inst.request("4.3").body["credit_pence"]
    assert before - after > 53 / 2  # at least half a day's standing charge


def test_running_out_of_credit_disables_supply_then_a_top_up_arms_it_and_the_button_restores_it() -> None:
    inst = install("DMC-002")
    inst.request("1.5", adjustment_pence=-1990)  # 10p left
    inst.advance(hours=6)
    assert inst.request("7.4").body["supply_status"] == "disabled"
    assert {"810D", "8F0F"} <= set(codes(inst))
    inst.request("2.2", amount_pence=2000)
    assert inst.request("7.4").body["supply_status"] == "armed"
    assert inst.press_button()
    assert inst.request("7.4").body["supply_status"] == "enabled"


def test_emergency_credit_only_below_its_threshold_and_repaid_first_by_a_top_up() -> None:
    inst = install("DMC-002")
    refused = inst.request("2.5")
    assert refused.body["result"] == "failure" and "threshold" in refused.body["reason"]
    inst.request("1.5", adjustment_pence=-1970)  # 30p left, below the 300p threshold
    assert "result" not in inst.request("2.5").body
    assert inst.request("4.3").body["emergency_credit_pence"] == 1000
    inst.advance(hours=24)
    used_state = inst.request("4.3").body
    assert used_state["credit_pence"] == 0 and used_state["emergency_credit_pence"] < 1000
    used = 1000 - used_state["emergency_credit_pence"]
    inst.request("2.2", amount_pence=2000)
    assert inst.request("4.3").body["credit_pence"] == 2000 - used


def test_load_limit_arms_the_supply_when_demand_exceeds_it() -> None:
    inst = install("DMC-004")
    inst.request("6.4.1", threshold_w=50)
    inst.advance(hours=2)
    data = inst.request("4.15").body
    assert data["threshold_w"] == 50 and data["events"] >= 1 and data["supply_status"] == "armed"


def test_display_message_reaches_the_ihd_and_join_unjoin_change_the_device_log() -> None:
    inst = install("DMC-002")
    inst.request("3.1", message="Your tariff changes on Monday")
    assert inst.devices["IHD"].display_message == "Your tariff changes on Monday"
    assert inst.request("8.8.1", other="PPMID").ok
    assert inst.request("8.9", device="ESME").body["devices"] == [
        {"device_id": inst.devices["IHD"].device_id, "kind": "IHD"}]
    assert inst.request("8.7.1", other="PPMID").ok
    assert len(inst.request("8.9", device="ESME").body["devices"]) == 2
    hub_log = inst.request("8.9", device="CH").body["devices"]
    assert {row["kind"] for row in hub_log} == {"ESME", "GSME", "PPMID", "IHD"}


def test_firmware_update_then_activation_changes_the_version_read() -> None:
    inst = install("DMC-001")
    assert inst.request("11.2").body == {"firmware": "3.2.1"}
    assert inst.request("11.3").body["result"] == "failure"
    started = inst.request("11.1", device="ESME", version="3.3.0")
    assert started.ok and started.body["status"] == "distribution started"
    inst.advance(minutes=30)
    assert "8F72" in codes(inst)
    assert inst.request("11.3").body == {"firmware": "3.3.0"}
    inst.advance(minutes=1)
    assert inst.request("11.2").body == {"firmware": "3.3.0"}
    security = inst.request("6.13", log="security").body["entries"]
    assert any(entry["code"] == "FWACT" for entry in security)


def test_a_corrupt_image_fails_verification_and_cannot_be_activated() -> None:
    inst = install("DMC-001")
    inst.request("11.1", device="ESME", version="9.9.9", corrupt="yes")
    inst.advance(minutes=30)
    assert "8F1C" in codes(inst) and "8F72" not in codes(inst)
    assert inst.request("11.3").body["result"] == "failure"


def test_credentials_update_shows_a_fingerprint_and_logs_it() -> None:
    inst = install("DMC-001")
    body = inst.request("6.15.2", role="supplier").body
    assert len(body["key_fingerprint"]) == 16
    assert inst.request("6.13", log="security").body["entries"][-1]["code"] == "CREDS"


def test_inventory_lists_every_device_of_the_dmc() -> None:
    inst = install("DMC-002")
    inventory = inst.request("8.2").body["devices"]
    assert sorted(row["kind"] for row in inventory) == sorted(["ESME", "GSME", "CH", "PPMID", "IHD"])
    assert {row["status"] for row in inventory} == {"commissioned"}


def test_response_carries_times_and_a_duis_request_id() -> None:
    inst = install("DMC-001")
    response = inst.request("4.1.1")
    assert response.issued_at is not None and response.completed_at is not None
    assert response.completed_at > response.issued_at
    assert response.completed_at == inst.now
    originator, target, counter = response.request_id.split(":")
    assert target == inst.devices["ESME"].device_id and counter.isdigit() and len(originator.split("-")) == 8


# --- alerts ----------------------------------------------------------------------------------------------------

def test_power_outage_of_five_minutes_raises_restore_alerts_and_stops_consumption() -> None:
    inst = install("DMC-001")
    inst.faults.power_outage(minutes=5)
    inst.advance(minutes=10)
    alerts = sorted(inst.alerts(), key=lambda alert: alert.code)
    assert [alert.code for alert in alerts] == ["8F35", "8F36"]
    assert alerts[0].raised_at is not None and alerts[0].delivered_at is not None
    assert alerts[0].delivered_at >= alerts[0].raised_at
    assert alerts[0].details["outage_minutes"] == 5


def test_short_power_outage_raises_only_restored() -> None:
    inst = install("DMC-001")
    inst.faults.power_outage(minutes=1)
    inst.advance(minutes=5)
    assert codes(inst) == ["8F35"]


def test_alerts_raised_during_a_wan_outage_arrive_after_it() -> None:
    inst = install("DMC-001")
    inst.faults.wan_outage(minutes=20)
    inst.faults.tamper()
    inst.advance(minutes=10)
    assert codes(inst) == []
    inst.advance(minutes=20)
    assert codes(inst) == ["8F3F"]
    assert inst.alerts()[0].delivered_at - inst.alerts()[0].raised_at >= timedelta(minutes=19)


def test_suppressed_alerts_are_logged_not_sent() -> None:
    inst = install("DMC-001")
    inst.request("6.22", suppress=["8F57"])
    assert inst.request("6.2.10").body == {"suppressed_alerts": ["8F57"]}
    inst.request("7.2")
    inst.advance(minutes=5)
    assert "8F57" not in codes(inst)
    assert any(entry["code"] == "8F57" for entry in inst.request("6.13").body["entries"])


# --- quirks ----------------------------------------------------------------------------------------------------

def test_quirky_firmware_drops_top_ups_and_misreports_power() -> None:
    inst = install("DMC-006")
    before = inst.request("4.3").body["credit_pence"]
    top_up = inst.request("2.2", amount_pence=500)
    assert top_up.code == "E21" and not top_up.ok
    assert inst.request("4.3").body["credit_pence"] == before
    power = inst.request("4.16").body["active_power_w"]
    healthy = install("DMC-004").request("4.16").body["active_power_w"]
    assert power > 24_000 > healthy  # no home draws 24 kW: the value is in milliwatts


def test_an_injected_reject_quirk_answers_with_its_code_and_changes_nothing() -> None:
    inst = install("DMC-001")
    inst.faults.inject_quirk("ESME", "7.2", "reject", code="E12")
    response = inst.request("7.2")
    assert response.code == "E12" and "rejected" in response.detail
    assert inst.request("7.4").body["supply_status"] == "enabled"
    inst.faults.clear()
    assert inst.request("7.2").ok


def test_an_unsupported_srv_answers_an_error_code() -> None:
    model = PROFILES.models["ESME-ALPHA-E470"].model_copy(update={"unsupported_srvs": ("4.1.2",)})
    inst = install("DMC-001", ESME=model)
    response = inst.request("4.1.2")
    assert response.code == "E11" and "does not support" in response.detail


def test_an_srv_for_another_device_kind_answers_e11() -> None:
    inst = install("DMC-001")
    assert inst.request("4.3", device="CH").code == "E11"


# --- dormant installations and migration -----------------------------------------------------------------------

def test_dormant_installation_answers_nothing_until_migrated() -> None:
    inst = install("DMC-003")
    assert inst.request("4.1.1").code == "E21"
    assert inst.request("8.2").code == "E19"
    inst.faults.tamper()
    inst.advance(minutes=10)
    assert codes(inst) == []
    readiness = inst.migration_readiness()
    assert readiness["eligible"] and readiness["firmware"]["ESME"] == {
        "current": "7.0.3", "required": "7.1.0", "ok": False}
    result = inst.migrate()
    assert result["migrated"] and [step["step"] for step in result["steps"]] == [
        "readiness", "firmware", "credentials", "commissioning", "enrolment"]
    assert inst.request("4.1.1").ok
    assert inst.request("11.2").body == {"firmware": "7.1.0"}
    assert {row["status"] for row in inst.request("8.2").body["devices"]} == {"commissioned"}


def test_migration_without_wan_fails_and_five_failures_exclude_the_installation() -> None:
    inst = install("DMC-003")
    inst.faults.wan_outage(hours=10)
    for _ in range(5):
        assert not inst.migrate()["migrated"]
    inst.advance(hours=11)
    outcome = inst.migrate()
    assert not outcome["migrated"] and any("5 failed" in reason for reason in outcome["reasons"])


# --- faults ----------------------------------------------------------------------------------------------------

def test_wan_outage_times_out_requests_and_reads_recover_by_retrying() -> None:
    inst = install("DMC-001")
    inst.faults.wan_outage(minutes=30)
    update = inst.request("7.2")
    assert update.code == "E21" and "60 s" in update.detail
    inst.advance(minutes=30)
    inst.faults.wan_outage(minutes=1.5)
    read = inst.request("7.4")  # first attempt lost in the outage, a retry gets through
    assert read.ok and read.completed_at - read.issued_at > timedelta(seconds=60)
    assert "retrying" in inst.transcript_text()


def test_wan_loss_makes_some_reads_retry_and_some_updates_fail() -> None:
    inst = install("DMC-001", seed=3)
    inst.faults.wan_loss(0.4)
    reads = [inst.request("4.1.1") for _ in range(30)]
    updates = [inst.request("3.4", name="Sample Energy") for _ in range(30)]
    assert sum(r.ok for r in reads) > sum(u.ok for u in updates)
    assert 0 < sum(u.ok for u in updates) < 30


def test_a_rebooting_device_does_not_answer_then_answers_again() -> None:
    inst = install("DMC-001")
    inst.faults.reboot("ESME", seconds=600)
    assert inst.request("7.2").code == "E21"
    inst.advance(minutes=10)
    assert inst.request("7.2").ok


def test_clock_drift_shows_in_device_time_and_synchronise_clock_corrects_it() -> None:
    inst = install("DMC-001")
    inst.faults.clock_drift("ESME", seconds=120, ppm=50)
    inst.advance(days=1)
    read = inst.request("4.1.1")
    skew = (read.body["device_time"] - inst.now).total_seconds()
    assert 110 < skew < 125  # 120 s step + 50 ppm of a day (4.3 s), less the answer's trip back
    corrected = inst.request("6.11").body["corrected_by_s"]
    assert corrected == pytest.approx(-124.3, abs=3)
    later = inst.request("4.1.1")
    assert abs((later.body["device_time"] - inst.now).total_seconds()) < 15


def test_sub_ghz_han_is_slower_than_2_4_ghz_for_the_same_message() -> None:
    sub_ghz = install("DMC-005")
    standard = install("DMC-001")
    assert sub_ghz.han.band == "868MHz" and standard.han.band == "2.4GHz"
    assert sub_ghz.han.hop_s(400) > standard.han.hop_s(400)


# --- determinism -----------------------------------------------------------------------------------------------

def scenario(seed: int) -> str:
    inst = install("DMC-002", seed=seed)
    inst.request("4.1.1")
    inst.request("2.2", amount_pence=100)
    inst.faults.wan_loss(0.2)
    inst.faults.power_outage(minutes=4)
    inst.advance(hours=3)
    inst.request("4.8.1")
    inst.request("1.1.1", tariff={"unit_rate_pence": 20})
    return inst.transcript_text()


def test_same_seed_same_transcript_bytes_and_another_seed_differs() -> None:
    assert scenario(7).encode() == scenario(7).encode()
    assert scenario(7) != scenario(8)


# --- bad use ---------------------------------------------------------------------------------------------------

def test_advance_says_what_it_expects() -> None:
    inst = install("DMC-001")
    with pytest.raises(RequestError, match=r"advance: expected a positive amount of simulated time"):
        inst.advance()  # was SimPy's own ValueError
    with pytest.raises(RequestError, match=r"advance: hours must be a finite number, got nan"):
        inst.advance(hours=float("nan"))
    with pytest.raises(RequestError, match=r"advance: minutes must be a finite number, got '5'"):
        inst.advance(minutes="5")  # type: ignore[arg-type]
    with pytest.raises(RequestError, match=r"time only moves forward"):
        inst.advance(minutes=-1)


def test_unknown_srv_names_close_matches() -> None:
    with pytest.raises(RequestError, match=r"unknown SRV '4\.1'.*did you mean 4\.1\.1"):
        install("DMC-001").request("4.1")


def test_bad_parameter_names_the_field() -> None:
    inst = install("DMC-001")
    with pytest.raises(RequestError, match=r"SRV 2\.2: parameter 'amount_pence': expected an integer >= 1, got -5"):
        inst.request("2.2", amount_pence=-5)
    with pytest.raises(RequestError, match=r"parameter 'amount_pence' is required"):
        inst.request("2.2")
    with pytest.raises(RequestError, match=r"unexpected parameter 'amount'"):
        inst.request("2.2", amount=5)
    with pytest.raises(RequestError, match=r"parameter 'tariff': expected a mapping"):
        inst.request("1.1.1", tariff=[10, 20])


def test_a_tariff_the_meter_cannot_price_is_stored_and_the_transcript_says_which_field() -> None:
    inst = install("DMC-001")
    odd = {"tou": [{"from": "7am", "rate_pence": 10}]}
    assert inst.request("1.1.1", tariff=odd).ok
    assert inst.request("4.11.1").body["tariff"] == odd
    assert "pricing unchanged: tariff.tou[0].from: expected a time 'HH:MM', got '7am'" in inst.transcript_text()


def test_a_device_kind_the_dmc_lacks_is_named() -> None:
    inst = install("DMC-004")
    with pytest.raises(RequestError, match=r"DMC-004 has no GSME \(its devices: ESME, CH, IHD\)"):
        inst.request("4.1.1", device="GSME")
    with pytest.raises(RequestError, match=r"SRV 6\.6 .* goes to a GSME; DMC-004 has none"):
        inst.request("6.6", calorific_value=39.0)


def test_catalogue_srv_that_is_not_simulated_says_so() -> None:
    with pytest.raises(RequestError, match=r"SRV 4\.4\.2 .* not simulated"):
        install("DMC-001").request("4.4.2")
