"""The vector fleet engine (issue 18, item 3): its closed-form FCFS queue against a queue simulated customer by
customer, the same model as the SimPy reference on small fleets (a queueing regime included), determinism per
seed, the outage and coupling between the two queues, queue windows against one window, the WAN tally's block adds
and pruned busiest hub-hour against plain counts, and ``svtad sct --engine``."""

from __future__ import annotations

import heapq
import json
import random
from pathlib import Path

import numpy as np
import pytest

from pytest_svtad.cli import main as svtad
from pytest_svtad.files.fleet_profile import load_profile
from pytest_svtad.sweep import deterministic
from simulators.fleet import Fleet
from simulators.fleet.model import summarise
from simulators.fleet.profile import Fault, LoadProfile
from simulators.fleet.vector import VectorFleet, fcfs_starts

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "testpacks" / "sct" / "load-profile.yaml"


def profile(**changes) -> LoadProfile:
    return load_profile(PROFILE).model_copy(update=changes)


def queued(servers: int, service_ms: float, adapter: bool = True) -> LoadProfile:
    base = profile()
    stage = "dcc_adapter" if adapter else "head_end"
    server = getattr(base.capacity, stage).model_copy(update={"servers": servers, "service_ms": service_ms})
    return profile(capacity=base.capacity.model_copy(update={stage: server}))


def heap_starts(arrivals: list[float], servers: int, service: float) -> list[float]:
    """A FCFS queue served customer by customer: a heap of the servers' next-free times."""
    free = [0.0] * servers
    starts = []
    for arrival in arrivals:
        start = max(arrival, heapq.heappop(free))
        starts.append(start)
        heapq.heappush(free, start + service)
    return starts


@pytest.mark.parametrize("servers", [1, 3, 16])
def test_the_closed_form_fcfs_queue_is_the_queue_served_one_by_one(servers):
    rng = random.Random(servers)
    # bursts (ties and long queues) and quiet spells (idle servers) in one stream
    arrivals = sorted([rng.uniform(0, 50) for _ in range(3000)] + [20.0] * 200 + [rng.uniform(50, 5000)
                                                                                 for _ in range(500)])
    service = 0.3 * servers  # 3.3 customers a second, whatever the servers: the bursts queue
    got = fcfs_starts(np.array(arrivals), servers, service)
    want = heap_starts(arrivals, servers, service)
    assert np.allclose(got, want, rtol=0, atol=1e-9)
    assert max(np.array(want) - np.array(arrivals)) > 10  # the stream really queued


def test_same_seed_same_summary_bytes_other_seed_differs():
    outage = profile(faults=[Fault(kind="head_end_outage", at="09:00", minutes=30)])
    first, again, other = (json.dumps(deterministic(summarise(VectorFleet(outage, 3000, seed=seed).run(24))))
                           for seed in (4, 4, 5))
    assert first == again and first != other


def test_the_vector_engine_agrees_with_the_simpy_model_on_a_small_fleet():
    # 4,000 installations: ~8,800 requests; percentiles of the big SRVs within 10 %, volumes within 5 sigma
    simpy_run, vector_run = (summarise(engine(profile(), 4000, seed=2).run(24)) for engine in (Fleet, VectorFleet))
    for srv in ("4.1.1", "4.8.1", "4.6.1"):
        old, new = simpy_run["response_times_s"][srv], vector_run["response_times_s"][srv]
        for point in ("p50", "p95"):
            assert new[point] == pytest.approx(old[point], rel=0.10), (srv, point)
        assert abs(new["count"] - old["count"]) < 5 * old["count"] ** 0.5
    assert vector_run["requests"]["completed"] == vector_run["requests"]["arrived"]
    assert vector_run["engine"] == "vector" and simpy_run["engine"] == "simpy"
    assert vector_run["wan"]["per_hub_mean_bytes"] == pytest.approx(simpy_run["wan"]["per_hub_mean_bytes"], rel=0.05)


def test_a_queue_that_builds_for_hours_agrees_with_the_simpy_model():
    # one adapter server at 10 s: the 01:00 profile reads of 1,500 installations queue for hours. An overloaded
    # queue amplifies the arrival counts' noise (wait ~ arrivals - capacity), so four seeds each, means within 15 %
    busy = queued(1, 10_000)
    runs = {engine: [engine(busy, 1500, seed=seed).run(24) for seed in range(4)] for engine in (Fleet, VectorFleet)}
    old_wait, new_wait = (float(np.mean([np.mean(np.asarray(r.adapter_waits)) for r in runs[engine]]))
                          for engine in (Fleet, VectorFleet))
    assert new_wait > 600
    assert new_wait == pytest.approx(old_wait, rel=0.15)
    old_peak, new_peak = (float(np.mean([summarise(r)["queues"]["peak_adapter_queue"] for r in runs[engine]]))
                          for engine in (Fleet, VectorFleet))
    assert new_peak == pytest.approx(old_peak, rel=0.15)
    # Little's law on the vector engine's own queue samples: mean queue = arrival rate x mean wait
    new = runs[VectorFleet][0]
    summary = summarise(new)
    rate = len(new.adapter_waits) / (24 * 3600)
    mean_wait = float(np.mean(np.asarray(new.adapter_waits)))
    assert summary["queues"]["mean_adapter_queue_sampled"] == pytest.approx(rate * mean_wait, rel=0.05)


def test_an_outage_backlog_and_the_alerts_crossing_both_queues_settle():
    # a slow head-end (one server) and an outage: alerts and requests wait for each other in both queues
    busy = queued(1, 400, adapter=False).model_copy(update={
        "faults": [Fault(kind="head_end_outage", at="09:00", minutes=30)],
        "alerts": profile().alerts.model_copy(update={"per_installation_per_day": 1.0})})
    engine = VectorFleet(busy, 1500, seed=1)
    result = engine.run(24)
    summary = summarise(result)
    assert result.passes > 1  # the alerts' head-end waits fed back into the adapter
    outage = next(f for f in summary["faults"] if f["kind"] == "head_end_outage")
    assert outage["backlog_at_restore"] > 0 and outage["drained_after_s"] > 0
    assert summary["queues"]["peak_backlog"] >= outage["backlog_at_restore"] * 0.9
    assert summary["requests"]["completed"] == summary["requests"]["arrived"]
    # nobody is served by the head-end during the outage: every alert that reached it then is delivered after
    assert len(result.alert_delivery_s) == summary["alerts"]["count"] > 0
    # one more pass changes nothing: the fixed point was reached
    again = VectorFleet(busy, 1500, seed=1).run(24)
    assert np.array_equal(np.asarray(again.alert_delivery_s), np.asarray(result.alert_delivery_s))


def test_scheduled_windows_that_open_inside_an_hour_are_honoured_by_both_engines():
    # 4.6.1 at 04:30 for 90 minutes, 60 % of the fleet: 04:30-06:00, not 05:00-06:00 (the hour it began in)
    for engine in (Fleet, VectorFleet):
        summary = summarise(engine(profile(on_demand=[], alerts=profile().alerts.model_copy(
            update={"per_installation_per_day": 0.0})), 2000, seed=1).run(8))
        arrivals = summary["requests"]["arrivals_per_hour"]
        assert summary["response_times_s"]["4.6.1"]["count"] == pytest.approx(1200, abs=5 * 1200 ** 0.5)
        assert arrivals[4] > 300 and arrivals[5] > 600, (engine.__name__, arrivals)


def test_svtad_sct_engine_option_runs_the_reference_model(tmp_path, capsys):
    # the vector engine is the default (tests/test_fleet.py runs the command with it); the reference is one option away
    code = svtad(["sct", "--profile", str(PROFILE), "--installations", "300", "--hours", "6", "--quiet",
                  "--engine", "simpy", "--out", str(tmp_path)])
    assert code == 0
    assert "(simpy engine)" in capsys.readouterr().out
    assert json.loads((tmp_path / "sct-summary.json").read_text())["engine"] == "simpy"
    with pytest.raises(SystemExit) as exited:
        svtad(["sct", "--profile", str(PROFILE), "--engine", "heap"])
    assert exited.value.code == 2
    assert "invalid choice: 'heap'" in capsys.readouterr().err


def test_queue_windows_give_the_answer_of_one_window():
    # a slow head-end, an outage and many alerts: the queues couple across the windows' edges, and a window
    # cut through a queue hands its chains and its departures on; one window of the whole day is the reference
    busy = queued(1, 400, adapter=False).model_copy(update={
        "faults": [Fault(kind="head_end_outage", at="09:00", minutes=30)],
        "alerts": profile().alerts.model_copy(update={"per_installation_per_day": 1.0})})
    whole, cut = VectorFleet(busy, 1500, seed=1, window=1 << 30), VectorFleet(busy, 1500, seed=1, window=1)
    one, many = whole.run(24), cut.run(24)
    assert whole.windows == 1 and cut.windows > 20 and many.passes > 1
    assert one.queue_samples == many.queue_samples and one.faults == many.faults
    assert one.outcomes == many.outcomes and one.peak_hub_hour_bytes == many.peak_hub_hour_bytes
    for srv, times in one.response_times.items():
        assert np.allclose(many.response_times[srv], times, rtol=0, atol=1e-9), srv
    assert np.allclose(many.alert_delivery_s, one.alert_delivery_s, rtol=0, atol=1e-9)
    assert np.allclose(many.adapter_waits, one.adapter_waits, rtol=0, atol=1e-9)
    assert max(one.adapter_waits) > 60 or max(one.alert_delivery_s) > 600  # the run really queued


def test_the_busiest_hub_hour_found_by_pruning_is_the_one_counted_hour_by_hour():
    from simulators.fleet.model import FleetResult
    from simulators.fleet.wan_tally import WanTally

    rng = np.random.default_rng(3)
    hubs, requests = 5000, 30_000
    inst = rng.integers(0, hubs, requests, dtype=np.int32)
    first = np.sort(rng.uniform(0, 24 * 3600, requests))
    answer = first + rng.choice([5.0, 400.0], requests, p=[0.9, 0.1])  # a tenth answered across an hour's end
    back = rng.choice([320, 900, 2400], requests)
    tally = WanTally(hubs, requests, 3 * requests, 24, 2400)
    alert_hub, alert_at = rng.integers(0, hubs, 2000, dtype=np.int32), rng.uniform(0, 24 * 3600, 2000)
    tally.add(alert_at, alert_hub, 120)
    request_bytes = np.zeros(requests)
    for part in np.array_split(np.arange(requests), 7):
        index = np.arange(len(part))
        tally.start(int(part[0]), first[part])
        tally.transfer(index, first[part], 180)
        tally.transfer(index, answer[part], back[part])
        tally.finish(inst[part])
        request_bytes[part] = 180 + back[part]
    counted = np.zeros((hubs, 25))
    for hub, when, size in ((alert_hub, alert_at, 120), (inst, first, 180), (inst, answer, back)):
        np.add.at(counted, (hub, (when // 3600).astype(int)), size)
    totals = counted.sum(axis=1)
    result = FleetResult(hubs, 24, 0, "t")
    tally.close(result, totals, inst, request_bytes)
    assert 0 < tally.count - 2000 < 2 * requests // 5  # only the requests that spanned hours were logged
    assert result.peak_hub_hour_bytes == int(counted.max()) == tally._peak_by_hour()
    assert result.wan_bytes_per_hour == counted.sum(axis=0).astype(int).tolist()[:len(result.wan_bytes_per_hour)]


def test_hub_totals_added_a_block_of_hubs_at_a_time_are_the_plain_sums():
    from simulators.fleet.wan_tally import HubTotals

    class Small(HubTotals):  # small buffers: full ones flushed, and a chunk bigger than a buffer added directly
        CAP = 1000

    rng = np.random.default_rng(5)
    hubs = 300_000  # five blocks of 2**16 hubs
    totals, expected = Small(hubs), np.zeros(hubs)
    for count in (10, 5000, 30_000, 1, 70_000):
        hub = rng.integers(0, hubs, count, dtype=np.int32)
        size = rng.choice([120, 180, 2580], count).astype(np.float64)
        if count == 70_000:
            hub[:3000] = 7  # one block far over a buffer in one chunk
        totals.add(hub, size)
        np.add.at(expected, hub, size)
    assert np.array_equal(totals.close(), expected.astype(np.uint64))
