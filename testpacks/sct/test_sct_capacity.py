"""System Capacity Testing (SVTAD 5.2(d)): a simulated fleet under the sample day's load, and under faults.

Targets come from the criteria file (testpacks/sct/criteria.yaml: the sample's own numbers; SEC H3 Target
Response Times were not found): a target that is not configured fails as such, it is never assumed."""

from pathlib import Path

import pytest

from pytest_svtad.files.fleet_profile import load_profile
from pytest_svtad.rules import sct
from pytest_svtad.smets1.catalogue import srv_order

PERFORMANCE = "performance"
PROFILE_SRVS = sorted({item.srv for item in load_profile(Path(__file__).with_name("load-profile.yaml")).on_demand}
                      | {"4.8.1", "4.6.1"}, key=srv_order)


def failed(checks: list[sct.TargetCheck]) -> list[str]:
    return [check.line for check in checks if not check.met]


@pytest.mark.ttm("S1-PF-01")
@pytest.mark.functional_group(PERFORMANCE)
@pytest.mark.parametrize("srv", PROFILE_SRVS)
def test_response_times_within_targets(fleet_runs, svtad_criteria, srv):
    target = svtad_criteria.sct_targets.get(srv)
    assert target is not None, f"no response-time target for SRV {srv} in the criteria file (sct_targets)"
    summary = fleet_runs["baseline"]["summary"]
    assert summary["response_times_s"][srv]["outcomes"].get("I0", 0) > 0
    assert not failed(sct.response_times(summary, {srv: target}))


@pytest.mark.ttm("S1-PF-02")
@pytest.mark.functional_group(PERFORMANCE)
def test_the_day_s_load_is_processed_without_a_growing_queue(fleet_runs, svtad_criteria):
    queue_max = svtad_criteria.sct_end_of_day_queue_max
    assert queue_max is not None, "no end-of-day queue limit in the criteria file (sct_end_of_day_queue_max)"
    summary = fleet_runs["baseline"]["summary"]
    requests = summary["requests"]
    assert requests["completed"] == requests["arrived"] > 0
    assert sum(row["outcomes"].get("E21", 0) for row in summary["response_times_s"].values()) == 0
    assert not failed([sct.end_of_day_queue(summary, queue_max)]), "queues still building at the end of the day"


@pytest.mark.ttm("S1-PF-03")
@pytest.mark.functional_group(PERFORMANCE)
def test_a_head_end_outage_backlog_clears(fleet_runs, svtad_criteria):
    drain_max = svtad_criteria.sct_outage_drain_max_s
    assert drain_max is not None, "no outage drain limit in the criteria file (sct_outage_drain_max_s)"
    run = fleet_runs["head-end outage"]
    outage = next(fault for fault in run["summary"]["faults"] if fault["kind"] == "head_end_outage")
    assert outage["backlog_at_restore"] > 0, "an outage at 09:00 should leave requests waiting"
    drained = sct.outage_drain(run["summary"], drain_max)
    assert drained is not None and drained.met, drained
    requests = run["summary"]["requests"]
    assert requests["completed"] == requests["arrived"]


@pytest.mark.ttm("S1-PF-04")
@pytest.mark.functional_group(PERFORMANCE)
def test_wan_bytes_per_hub_within_budget(fleet_runs, svtad_criteria):
    budget = svtad_criteria.sct_wan_bytes_per_hub_per_day
    assert budget is not None, "no WAN budget per hub in the criteria file (sct_wan_bytes_per_hub_per_day)"
    summary = fleet_runs["baseline"]["summary"]
    wan = summary["wan"]
    assert not failed([sct.wan_budget(summary, budget)])
    assert sum(wan["per_hour"]) == wan["total_bytes"]


@pytest.mark.ttm("S1-PF-05")
@pytest.mark.functional_group(PERFORMANCE)
def test_under_wan_loss_reads_retry_and_updates_fail_without_repeats(fleet_runs, svtad_criteria):
    e21_max = svtad_criteria.sct_read_e21_max_fraction
    assert e21_max is not None, "no ceiling on reads answered E21 in the criteria file (sct_read_e21_max_fraction)"
    summary = fleet_runs["wan loss"]["summary"]
    updates = summary["response_times_s"]["2.2"]["outcomes"]
    assert not failed([sct.read_e21_fraction(summary, e21_max)])  # three attempts
    assert updates.get("E21", 0) > 0  # one attempt: lost answers are reported, not repeated


@pytest.mark.ttm("S1-PF-06")
@pytest.mark.functional_group(PERFORMANCE)
def test_a_firmware_bug_on_one_dmc_is_contained_to_it(fleet_runs):
    failures = fleet_runs["firmware bug"]["summary"]["failures_by_dmc"]
    assert failures.get("DMC-006", {}).get("2.2", 0) > 0
    assert all(not by_srv for dmc, by_srv in failures.items() if dmc != "DMC-006")
