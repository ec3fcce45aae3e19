"""Read SRVs: each value is checked against what the meter did over simulated (or real) time."""

from datetime import timedelta

import pytest

DOMESTIC_MAX_W = 24_000  # a 100 A single-phase supply at 240 V


@pytest.mark.ttm("S1-RD-01", "S1-CK-02")
@pytest.mark.srv("4.1.1")
@pytest.mark.functional_group("reads")
def test_read_import_register_advances_with_consumption(installation):
    first = installation.request("4.1.1").expect()
    installation.advance(hours=6)
    second = installation.request("4.1.1").expect()
    assert 0 < second["import_kwh"] - first["import_kwh"] < DOMESTIC_MAX_W / 1000 * 6
    assert abs((second["device_time"] - installation.now).total_seconds()) < 120


@pytest.mark.ttm("S1-RD-02")
@pytest.mark.srv("4.1.1")
@pytest.mark.requires("GSME")
@pytest.mark.functional_group("reads")
def test_read_gas_register_reports_energy_and_volume(installation):
    gas = installation.request("4.1.1", device="GSME").expect()
    config = installation.request("6.2.8", device="GSME").expect()
    expected_m3 = gas["import_kwh"] * 3.6 / (config["calorific_value"] * config["conversion_factor"])
    assert gas["volume_m3"] == pytest.approx(expected_m3, abs=0.01)


@pytest.mark.ttm("S1-RD-03", "S1-TP-03")
@pytest.mark.srv("4.1.2")
@pytest.mark.functional_group("reads")
def test_tou_registers_split_a_day_by_band(installation):
    tariff = {"tou": [{"from": "00:00", "rate_pence": 11.0}, {"from": "07:00", "rate_pence": 29.0}]}
    installation.request("1.1.1", tariff=tariff).expect()
    start = installation.now
    installation.advance(hours=24)
    tou = installation.request("4.1.2").expect()
    rows = installation.request("4.8.1", start=start, end=installation.now).expect()["intervals"]
    night = sum(row["kwh"] for row in rows if row["start"].hour < 7)
    assert tou["bands"] == ["00:00", "07:00"]
    assert tou["tou_kwh"][0] == pytest.approx(night, abs=0.01)
    assert sum(tou["tou_kwh"]) == pytest.approx(sum(row["kwh"] for row in rows), abs=0.01)


@pytest.mark.ttm("S1-RD-05")
@pytest.mark.srv("4.6.1")
@pytest.mark.functional_group("reads")
def test_daily_read_log_has_one_reading_per_midnight(installation):
    installation.advance(days=3)
    reads = installation.request("4.6.1").expect()["reads"]
    register = installation.request("4.1.1").expect()["import_kwh"]
    assert len(reads) == 3
    assert [row["import_kwh"] for row in reads] == sorted(row["import_kwh"] for row in reads)
    assert reads[-1]["import_kwh"] <= register


@pytest.mark.ttm("S1-RD-04")
@pytest.mark.srv("4.8.1")
@pytest.mark.functional_group("reads")
def test_profile_data_sums_to_the_register_advance(installation):
    first = installation.request("4.1.1").expect()["import_kwh"]
    start = installation.now
    installation.advance(hours=24)
    last = installation.request("4.1.1").expect()["import_kwh"]
    rows = installation.request("4.8.1", start=start, end=installation.now).expect()["intervals"]
    assert len(rows) == 48
    steps = {later["start"] - earlier["start"] for earlier, later in zip(rows, rows[1:], strict=False)}
    assert steps == {timedelta(minutes=30)}
    assert sum(row["kwh"] for row in rows) == pytest.approx(last - first, abs=0.002)


@pytest.mark.ttm("S1-RD-07")
@pytest.mark.srv("4.16")
@pytest.mark.functional_group("reads")
def test_active_power_import_is_a_plausible_domestic_demand(installation):
    # whatever the hour: a home's demand is watts to a few kilowatts, never a reading in the wrong unit. No clock
    # is advanced, so the test runs on every link, simulated or real
    power = installation.request("4.16").expect()["active_power_w"]
    assert 0 <= power <= DOMESTIC_MAX_W, f"{power} W is not a domestic demand"


@pytest.mark.ttm("S1-RD-06")
@pytest.mark.srv("4.17")
@pytest.mark.functional_group("reads")
def test_daily_consumption_log_agrees_with_daily_reads(installation):
    installation.advance(days=3)
    days = installation.request("4.17").expect()["days"]
    reads = installation.request("4.6.1").expect()["reads"]
    assert len(days) == 3
    assert days[1]["kwh"] == pytest.approx(reads[1]["import_kwh"] - reads[0]["import_kwh"], abs=0.002)
