"""The SCT fleet model: Little's law on its measured queues, determinism for a seed, faults under load, the load
profile's one-line errors, and the svtad sct command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pytest_svtad.cli import main as svtad
from pytest_svtad.files.fleet_profile import load_profile
from simulators.fleet import Fleet
from simulators.fleet.model import summarise
from simulators.fleet.profile import Fault, LoadProfile

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "testpacks" / "sct" / "load-profile.yaml"


def profile(**changes) -> LoadProfile:
    return load_profile(PROFILE).model_copy(update=changes)


def test_littles_law_holds_for_requests_in_the_system_and_for_the_adapter_queue():
    # one adapter server at 4 s a request for 5,000 installations (the load of 20,000 at 1 s, a quarter of the
    # events): the scheduled reads at 01:00 build a queue of hundreds that drains hours later
    busy = profile(capacity=profile().capacity.model_copy(update={
        "dcc_adapter": profile().capacity.dcc_adapter.model_copy(update={"servers": 1, "service_ms": 4000})}))
    result = Fleet(busy, 5_000, seed=3).run(24)
    summary = summarise(result)
    duration = result.end_s
    throughput = summary["requests"]["completed"] / duration
    mean_response = sum(sum(times) for times in result.response_times.values()) / summary["requests"]["completed"]
    assert summary["queues"]["mean_in_flight"] == pytest.approx(throughput * mean_response, rel=0.01)
    # the adapter queue, sampled every minute, against its arrival rate (requests and alerts) x mean wait
    samples = [adapter for t, adapter, _, _, _ in result.queue_samples]
    arrival_rate = len(result.adapter_waits) / (24 * 3600)
    mean_wait = sum(result.adapter_waits) / len(result.adapter_waits)
    assert mean_wait > 60  # the scenario really queues
    assert sum(samples) / len(samples) == pytest.approx(arrival_rate * mean_wait, rel=0.05)


def test_same_seed_same_results_other_seed_differs():
    first = summarise(Fleet(profile(), 5_000, seed=11).run(6))
    again = summarise(Fleet(profile(), 5_000, seed=11).run(6))
    other = summarise(Fleet(profile(), 5_000, seed=12).run(6))
    for summary in (first, again, other):
        summary.pop("wall_s"), summary.pop("events_per_s")
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
    assert first["requests"] != other["requests"]


def test_idle_installations_cost_no_events():
    quiet = profile(on_demand=[], scheduled=[], alerts=profile().alerts.model_copy(update={"per_installation_per_day":
                                                                                       0.0}))
    small = Fleet(quiet, 1_000, seed=1).run(24).events
    large = Fleet(quiet, 100_000, seed=1).run(24).events
    assert small == large < 2_000  # the sampler and the arrival processes, nothing per installation


def test_arrivals_follow_the_profile_rates():
    summary = summarise(Fleet(profile(), 20_000, seed=5).run(24))
    outcomes = summary["response_times_s"]
    expected_reads = 20_000 * (0.30 + 0.10)  # 4.1.1 as IS and as GS per installation per day
    assert sum(outcomes["4.1.1"]["outcomes"].values()) == pytest.approx(expected_reads, rel=0.05)
    assert sum(outcomes["4.8.1"]["outcomes"].values()) == pytest.approx(20_000, rel=0.03)  # a scheduled daily read
    per_hour = summary["requests"]["arrivals_per_hour"]
    assert per_hour[9] > 3 * per_hour[23]  # the diurnal shape (no scheduled reads in either hour)


def test_head_end_outage_builds_a_backlog_that_drains():
    result = Fleet(profile(faults=[Fault(kind="head_end_outage", at="10:00", minutes=30)]), 20_000, seed=2).run(24)
    outage = next(f for f in result.faults if f["kind"] == "head_end_outage")
    assert outage["backlog_at_restore"] > 100 and 0 <= outage["drained_after_s"] < 900
    backlog = [(t, b) for t, _, _, b, _ in result.queue_samples if 36_000 <= t <= 37_800]
    assert max(b for _, b in backlog) > 0 and backlog[0][1] <= backlog[-1][1]  # grows through the outage
    slow = summarise(result)["response_times_s"]["4.1.1"]
    assert slow["max"] > 25 * 60  # someone waited out most of the outage


def test_wan_bytes_add_up_per_hub_per_hour_and_in_total():
    result = Fleet(profile(), 5_000, seed=8).run(24)
    summary = summarise(result)["wan"]
    assert sum(result.hub_bytes) == summary["total_bytes"] == sum(summary["per_hour"])
    assert 0 < summary["per_hub_peak_hour_bytes"] <= summary["per_hub_max_bytes"]
    # the busiest hub-hour holds at least a profile read's answer (2,400 bytes) plus its request
    assert summary["per_hub_peak_hour_bytes"] >= 2400 + 180


def test_a_firmware_bug_fails_only_its_dmc_s_share():
    result = Fleet(profile(faults=[Fault(kind="firmware_bug", dmc="DMC-006", srv="4.3", effect="timeout")]),
                   10_000, seed=4).run(24)
    assert set(result.failures_by_dmc) == {"DMC-006"} and set(result.failures_by_dmc["DMC-006"]) == {"4.3"}


@pytest.mark.parametrize(("change", "expected"), [
    ("  - {srv: \"4.1.99\", role: IS, per_installation_per_day: 0.1}\n",
     "load-profile.yaml:8: load profile: field 'on_demand.0.srv': Value error, unknown SRV '4.1.99'"),
    ("", "unknown SRV"),
])
def test_a_profile_with_a_bad_field_is_a_one_line_error(tmp_path, capsys, change, expected):
    text = PROFILE.read_text()
    if change:
        text = text.replace("on_demand:\n", "on_demand:\n" + change)
    else:
        text = text.replace('{srv: "4.3", role: IS', '{srv: "4.3", role: XX')
        expected = "role"
    bad = tmp_path / "load-profile.yaml"
    bad.write_text(text)
    assert svtad(["sct", "--profile", str(bad), "--installations", "10", "--hours", "1", "--quiet",
                  "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and error.startswith("svtad: error:") and expected in error


def test_svtad_sct_writes_summary_and_charts_and_checks_targets(tmp_path, capsys):
    code = svtad(["sct", "--profile", str(PROFILE), "--installations", "2000", "--hours", "24", "--quiet",
                  "--criteria", str(ROOT / "testpacks" / "sct" / "criteria.yaml"), "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    summary = json.loads((tmp_path / "sct-summary.json").read_text())
    assert summary["installations"] == 2000 and summary["requests"]["completed"] > 0
    assert any(line.startswith("SRV 4.1.1 p95") and line.endswith(": met") for line in summary["targets"])
    for name in ("sct-response-times.png", "sct-throughput-queues.png", "sct-wan-bandwidth.png"):
        assert (tmp_path / name).stat().st_size > 5_000
    assert "WAN:" in out and "per hub" in out
    srv_line = next(line for line in out.splitlines() if line.strip().startswith("SRV 4.1.1"))
    assert re.search(r"I0 [\d,]+", srv_line) and "{" not in out, srv_line  # response codes in words, no dict repr


def test_the_command_and_the_sct_pack_check_targets_with_the_same_rules():
    from pytest_svtad.cli.sct import check_targets
    from pytest_svtad.files.datafiles import load_criteria
    from pytest_svtad.rules import sct

    criteria_path = ROOT / "testpacks" / "sct" / "criteria.yaml"
    summary = summarise(Fleet(profile(), 2_000, seed=1).run(24))
    checks = sct.check(summary, load_criteria(criteria_path))
    assert check_targets(summary, criteria_path) == [check.line for check in checks]
    names = [check.name for check in checks]
    assert names.index("SRV 4.8.1 p95") < names.index("SRV 11.2 p95")  # numeric order, not text
    assert "WAN per hub (max, per day)" in names and "queued in the last hour (max)" in names
    pack = (ROOT / "testpacks" / "sct" / "test_sct_capacity.py").read_text()
    assert "from pytest_svtad.rules import sct" in pack and "<= limit" not in pack  # no second copy of the checks


def test_a_target_over_its_limit_is_not_met_and_a_missing_measure_says_so():
    from pytest_svtad.rules import sct
    from pytest_svtad.rules.criteria import SctTarget

    summary = {"response_times_s": {"4.1.1": {"p95": 31.0, "outcomes": {"I0": 5}}}}
    lines = [check.line for check in sct.response_times(summary, {"4.1.1": SctTarget(p95_s=30, p99_s=60)})]
    assert lines == ["SRV 4.1.1 p95: 31.00 s against 30 s: NOT MET", "SRV 4.1.1 p99: - against 60 s: not measured"]


def test_summary_lists_srvs_in_numeric_order():
    summary = summarise(Fleet(profile(), 500, seed=1).run(24))
    srvs = list(summary["response_times_s"])
    assert srvs.index("4.8.1") < srvs.index("7.4") < srvs.index("11.2")


def test_svtad_sct_progress_is_one_short_line_per_tenth_when_not_a_terminal():
    import io

    from pytest_svtad.cli.sct import Progress

    log = io.StringIO()
    progress = Progress(log)
    for hour in range(1, 25):
        progress(hour / 24)
    text = log.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert 5 <= len(lines) <= 11 and all(len(line) < 80 for line in lines)
    assert lines[-1].endswith("100.0% of the simulated period")


def test_sct_charts_mark_targets_and_the_outage_and_name_the_scenario(tmp_path):
    from simulators.fleet.charts import fault_windows, write_charts

    result = Fleet(profile(faults=[Fault(kind="head_end_outage", at="09:00", minutes=30)]), 1_000, seed=2).run(24)
    assert fault_windows(result) == [(9.0, 9.5, "head-end outage 09:00, 30 min")]
    written = write_charts(result, tmp_path, scenario="head-end outage",
                           targets={"4.1.1": {"p95": 30.0, "p99": 60.0}}, wan_budget=32_000)
    assert [path.name for path in written] == ["sct-response-times.png", "sct-throughput-queues.png",
                                               "sct-wan-bandwidth.png"]
    assert all(path.stat().st_size > 5_000 for path in written)
