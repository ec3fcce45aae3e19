"""SCT fleet (issues 8 and 18): the event-by-event SimPy model (the reference) and the vector engine side by side,
each size in a fresh process (CPU seconds, wall seconds, peak RSS, events), 24 simulated hours of the sample load
profile.

  --compare N      both engines on N installations; prints both summaries' percentiles and their differences
                   (issue 18: agree on 100,000 within the stated tolerance)
  --sizes ...      the vector engine at each size: CPU per event (flat = linear), peak memory; two series
                   (--series): capacity scaled with the fleet (--capacity-per, the same load per unit of
                   capacity at every size: the per-event target) and the sample's fixed capacity (information)
  --engine simpy   the sizes on the reference model instead (issue 8's benchmark)

Per event is the marginal cost, the run's CPU less the same run on 100 installations (the engine's fixed cost:
segments, the sample grid, a window), over the events less that run's; the fixed cost and the interpreter's
start-up are printed apart, user and system CPU too (system CPU is page faults: on this VM the first touch of
memory the guest never used before costs ~1 ns a byte, later ones ~0.1). Small sizes are the median of several
runs.

    python benchmarks/bench_fleet.py --compare 100000 --sizes 10000 100000 1000000 10000000

``measures(quick)`` feeds benchmarks/run_all.py: the vector engine's CPU time against the SimPy model's on the
same fleet (the baseline, same invocation), the two engines' largest percentile difference, and time per event
at the largest size against the smallest on the scaled series (flat within 10 %), and the fixed-capacity series'
largest size for information. With SVTAD_BENCH_NATIONAL=1 the full run adds 10,000,000 installations (wall time
and peak RSS against 10 minutes and 8 GiB).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "testpacks" / "sct" / "load-profile.yaml"
TOLERANCE = {"p50": 0.05, "p95": 0.05, "p99": 0.10}  # relative, per SRV with >= 1,000 answers (issue 18's check),
# widened to the two samples' sampling interval where that is wider (see differences())
MIN_COUNT = 1000

CHILD = """
import json, os, resource, sys, time
from pathlib import Path
cpu0 = time.process_time()
from pytest_svtad.files.fleet_profile import load_profile
from simulators.fleet import Fleet
from simulators.fleet.vector import VectorFleet
from simulators.fleet.model import summarise
engine, n, hours, per, repeats = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[5]), int(sys.argv[6])
profile = load_profile(Path(sys.argv[4]))
cap = profile.capacity
if per:  # capacity in proportion to the fleet: the sample's servers per `per` installations (see scaled())
    def scaled(server):
        exact = server.servers * n / per
        servers = max(1, round(exact))
        return server.model_copy(update={"servers": servers, "service_ms": server.service_ms * servers / exact})
    profile = profile.model_copy(update={"capacity": cap.model_copy(update={
        "dcc_adapter": scaled(cap.dcc_adapter), "head_end": scaled(cap.head_end)})})
engine_class = VectorFleet if engine == "vector" else Fleet
startup = time.process_time() - cpu0  # interpreter's imports and the profile, once per process
engine_class(profile, 1000, seed=2).run(1)  # warm-up: first-call costs are per process, not per event
# The VM backs guest memory on its first touch since boot (~1 ns a byte, ten times a later page fault): touch and
# free about what the run will use first, so every size pays the ordinary page faults and none the VM's first touch.
import numpy
touched = numpy.ones(min(300 * n, 6 << 30), dtype=numpy.uint8)
del touched

def peak_rss_mib():
    # the process's peak since the touch above (VmHWM, reset through clear_refs), else since it started
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

try:
    Path("/proc/self/clear_refs").write_text("5")
except OSError:
    pass

def timed(size):
    before, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    result = engine_class(profile, size, seed=1).run(hours)
    after = resource.getrusage(resource.RUSAGE_SELF)
    return (result, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime, time.perf_counter() - wall)

def median(values):
    values = sorted(values)
    return values[len(values) // 2]

# the engine's fixed cost: the same profile, capacity and hours on a fleet of 100 (segments, sample grid, windows)
fixed = [timed(100) for _ in range(max(3, repeats))]
fixed_cpu = median([user + sys_ for _, user, sys_, _ in fixed])
runs = []  # (user, sys, wall) of each run; the first run's result is summarised, the others dropped at once
for index in range(repeats):
    measured = timed(n)
    if index == 0:
        result = measured[0]
    runs.append(measured[1:])
    del measured
user, sys_ = median([r[0] for r in runs]), median([r[1] for r in runs])
cpu = median([r[0] + r[1] for r in runs])
wall = median([r[2] for r in runs])
summary_cpu = time.process_time()
summary = summarise(result)
summary_cpu = time.process_time() - summary_cpu
import numpy as np
spread = {}  # per SRV and point: half-width of the percentile's 95 % interval (order statistics, no model)
for srv, times in result.response_times.items():
    data = np.frombuffer(times, dtype=np.float64)
    if len(data) >= 2:
        spread[srv] = {}
        for point in (50, 95, 99):
            q, half = point / 100, 1.96 * (point / 100 * (1 - point / 100) / len(data)) ** 0.5
            low, high = np.quantile(data, [max(0.0, q - half), min(1.0, q + half)])
            spread[srv][f"p{point}"] = float(high - low) / 2
capacity = profile.capacity
print(json.dumps({"engine": engine, "installations": n, "run_cpu_s": cpu, "user_s": user, "sys_s": sys_,
                  "cpu_s": cpu + summary_cpu, "summary_cpu_s": summary_cpu, "wall_s": wall, "repeats": repeats,
                  "startup_cpu_s": startup, "fixed_cpu_s": fixed_cpu, "fixed_events": fixed[0][0].events,
                  "events": result.events, "passes": result.passes,
                  "servers": [capacity.dcc_adapter.servers, capacity.head_end.servers],
                  "service_ms": [capacity.dcc_adapter.service_ms, capacity.head_end.service_ms],
                  "requests": summary["requests"]["completed"], "load": os.getloadavg()[0],
                  "peak_rss_mib": peak_rss_mib(),
                  "response_times_s": summary["response_times_s"], "spread_s": spread, "alerts": summary["alerts"],
                  "wan": summary["wan"], "queues": summary["queues"]}))
"""
SCALED_PER = 100_000  # the scaled series: the sample's servers per this many installations (see scale())


def repeats_for(size: int) -> int:
    """Runs per size (their median is reported): ~1 CPU s of runs at the small sizes, where the machine's noise is
    largest against a run of a few milliseconds; one run from a million up."""
    return max(1, min(31, 3_000_000 // size))


def run(engine: str, size: int, hours: float = 24, per: int = 0, repeats: int = 1) -> dict[str, Any]:
    """``repeats`` runs in a fresh process (median); ``per``: capacity scaled with the fleet (the sample's servers
    per ``per`` installations), 0 for the sample's capacity as written."""
    out = subprocess.run([sys.executable, "-c", CHILD, engine, str(size), str(hours), str(PROFILE), str(per),
                          str(repeats)], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    return dict(json.loads(out))


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, float, float, float, float, bool]]:
    """(SRV, point, reference, vector, relative difference, allowed, within) for every SRV both answered often
    enough for its percentiles to be stable (MIN_COUNT). Allowed: the stated TOLERANCE, or the 95 % sampling
    interval of the difference of two independent estimates (sqrt of the sum of each one's squared half-width)
    when that is wider: the engines draw different random numbers, so on a small SRV a difference inside the
    sampling noise is no evidence of a different model."""
    rows = []
    for srv, ref in old["response_times_s"].items():
        got = new["response_times_s"].get(srv, {})
        if ref.get("count", 0) < MIN_COUNT or got.get("count", 0) < MIN_COUNT:
            continue
        for point, tolerance in TOLERANCE.items():
            diff = (got[point] - ref[point]) / ref[point]
            halves = [run.get("spread_s", {}).get(srv, {}).get(point, 0.0) for run in (old, new)]
            allowed = max(tolerance, (halves[0] ** 2 + halves[1] ** 2) ** 0.5 / ref[point])
            rows.append((srv, point, ref[point], got[point], diff, allowed, abs(diff) <= allowed))
    return rows


def compare(size: int, hours: float = 24) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
    old, new = run("simpy", size, hours), run("vector", size, hours)
    print(f"{size:,} installations x {hours:g} h, seed 1 (load {old['load']:.1f} / {new['load']:.1f})")
    for row in (old, new):
        print(f"  {row['engine']:>6}: {row['cpu_s']:.2f} CPU s, {row['wall_s']:.2f} s wall, {row['requests']:,} "
              f"requests, {row['events']:,} events, peak RSS {row['peak_rss_mib']:,.0f} MiB")
    rows = differences(old, new)
    print(f"  {'SRV':<7} {'point':<5} {'simpy':>9} {'vector':>9} {'diff':>8}  allowed (stated, or sampling 95 %)")
    for srv, point, ref, got, diff, allowed, ok in rows:
        print(f"  {srv:<7} {point:<5} {ref:9.3f} {got:9.3f} {diff:+8.2%}  {allowed:.1%} "
              f"{'ok' if ok else 'OUTSIDE'}")
    for key in ("per_hub_mean_bytes", "per_hub_peak_hour_bytes"):
        print(f"  wan {key}: simpy {old['wan'][key]:,.1f}, vector {new['wan'][key]:,.1f}")
    print(f"  alerts p95: simpy {old['alerts'].get('p95', 0):.3f} s, vector {new['alerts'].get('p95', 0):.3f} s")
    print(f"  CPU ratio vector / simpy: {new['cpu_s'] / old['cpu_s']:.4f}")
    return old, new, rows


def scale(sizes: list[int], engine: str = "vector", hours: float = 24, per: int = SCALED_PER,
          rounds: int = 3) -> list[dict[str, Any]]:
    """Time per event by size. ``per`` > 0: the scaled series, the same load per unit of capacity at every size
    (the sample's 16 adapter and 24 head-end servers per ``per`` installations; below that, fewer servers with a
    proportionally longer service time, so servers / service time stays proportional to the fleet); 0: the
    sample's fixed capacity, which a fleet past ~1M overloads for hours (a different queueing regime, reported
    for information). Per event is the marginal cost: (run CPU - the same run on 100 installations) / (events -
    its events); the fixed cost and the interpreter's start-up are reported apart. ``rounds`` rotations of the
    sizes (each round starts one size later), so a change in the machine's load falls on every size alike; each
    figure is the median over the rounds."""
    scenario = (f"capacity scaled with the fleet: the sample's 16 + 24 servers per {per:,} installations" if per
                else "the sample's fixed capacity (16 adapter, 24 head-end servers) at every size")
    print(f"{engine} engine, {hours:g} h of {PROFILE.name}, seed 1; {scenario}; median of {rounds} rotations")
    measured: dict[int, list[dict[str, Any]]] = {size: [] for size in sizes}
    for turn in range(rounds):
        for size in sizes[turn % len(sizes):] + sizes[:turn % len(sizes)]:
            row = run(engine, size, hours, per, repeats_for(size))
            row["us_per_event"] = (row["run_cpu_s"] - row["fixed_cpu_s"]) / (row["events"] - row["fixed_events"]) * 1e6
            row["us_per_event_user"] = ((row["user_s"] - row["fixed_cpu_s"]) / (row["events"] - row["fixed_events"])
                                        * 1e6)  # the fixed cost is nearly all user CPU
            measured[size].append(row)
    rows = []
    for size in sizes:
        runs = sorted(measured[size], key=lambda r: r["us_per_event"])
        row = dict(runs[len(runs) // 2])
        for key in ("us_per_event_user", "run_cpu_s", "wall_s", "fixed_cpu_s", "user_s", "sys_s"):
            row[key] = sorted(r[key] for r in runs)[len(runs) // 2]
        row["us_per_event_range"] = (runs[0]["us_per_event"], runs[-1]["us_per_event"])
        row["us_per_event_raw"] = row["run_cpu_s"] / row["events"] * 1e6
        rows.append(row)
        low, high = row["us_per_event_range"]
        print(f"{size:>11,}: servers {row['servers'][0]:,}/{row['servers'][1]:,} at {row['service_ms'][0]:g}/"
              f"{row['service_ms'][1]:g} ms, {row['events']:>12,} events, run {row['run_cpu_s']:.3f} CPU s "
              f"(user {row['user_s']:.3f}, sys {row['sys_s']:.3f}; median of {row['repeats']} runs a round), "
              f"fixed {row['fixed_cpu_s'] * 1000:.1f} ms, start-up {row['startup_cpu_s']:.2f} s, summary "
              f"{row['summary_cpu_s']:.2f} s, {row['wall_s']:.2f} s wall (load {row['load']:.1f}); "
              f"{row['us_per_event']:.4f} us CPU/event (rounds {low:.4f}-{high:.4f}; user alone "
              f"{row['us_per_event_user']:.4f}; {row['us_per_event_raw']:.4f} with the fixed cost), "
              f"{row['passes']} passes, peak RSS {row['peak_rss_mib']:,.0f} MiB")
    for row in rows[1:]:
        print(f"time per event {row['installations']:,} / {rows[0]['installations']:,}: "
              f"{row['us_per_event'] / rows[0]['us_per_event']:.3f}x (user alone "
              f"{row['us_per_event_user'] / rows[0]['us_per_event_user']:.3f}x; 1.00 = flat)")
    return rows


def measures(quick: bool = False) -> list[dict[str, Any]]:
    size = 10_000 if quick else 100_000
    old, new, rows = compare(size)
    worst = max((abs(diff) / allowed for _, _, _, _, diff, allowed, _ in rows), default=0.0)
    sizes = [10_000, 100_000] if quick else [10_000, 100_000, 1_000_000]
    if not quick and os.environ.get("SVTAD_BENCH_NATIONAL"):
        sizes.append(10_000_000)
    grown = scale(sizes, rounds=3)
    fixed = scale(sizes[-1:], per=0, rounds=1)[0]  # the sample's capacity at the largest size, for information
    per_event = grown[-1]["us_per_event"] / grown[0]["us_per_event"]
    found = [
        {"measure": f"SCT {size:,} x 24 h CPU, vector engine vs SimPy model", "baseline": round(old["cpu_s"], 3),
         "project": round(new["cpu_s"], 3), "unit": "s", "ratio": round(new["cpu_s"] / old["cpu_s"], 4),
         "target": "<= 0.1x", "met": new["cpu_s"] <= 0.1 * old["cpu_s"]},
        {"measure": f"SCT {size:,} percentiles, vector vs SimPy (worst diff / tolerance)", "baseline": None,
         "project": round(worst, 3), "unit": "", "ratio": None, "target": "<= 1", "met": worst <= 1},
        {"measure": f"SCT CPU per event {sizes[-1]:,} / {sizes[0]:,}, capacity scaled with the fleet (fixed cost "
         "apart)", "baseline": round(grown[0]["us_per_event"], 4), "project": round(grown[-1]["us_per_event"], 4),
         "unit": "us", "ratio": round(per_event, 3), "target": "0.90-1.10x (flat)", "met": 0.90 <= per_event <= 1.10},
        {"measure": f"SCT CPU per event {sizes[-1]:,}, the sample's fixed capacity / scaled", "baseline":
         round(grown[-1]["us_per_event"], 4), "project": round(fixed["us_per_event"], 4), "unit": "us",
         "ratio": round(fixed["us_per_event"] / grown[-1]["us_per_event"], 3), "target": "information",
         "met": True},
    ]
    if sizes[-1] == 10_000_000:
        national = grown[-1]
        found.append({"measure": "SCT 10,000,000 x 24 h wall (vector, capacity scaled)", "baseline": None,
                      "project": round(national["wall_s"], 1), "unit": "s", "ratio": None, "target": "<= 600 s",
                      "met": national["wall_s"] <= 600})
        found.append({"measure": "SCT 10,000,000 x 24 h peak RSS", "baseline": None,
                      "project": round(national["peak_rss_mib"]), "unit": "MiB", "ratio": None,
                      "target": "<= 8192 MiB", "met": national["peak_rss_mib"] <= 8192})
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare", type=int, help="run both engines on this many installations")
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--engine", choices=("vector", "simpy"), default="vector")
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--capacity-per", type=int, default=SCALED_PER, metavar="N",
                        help="the scaled series: the sample's servers per N installations (default "
                        f"{SCALED_PER:,}); 0 for the sample's capacity as written at every size")
    parser.add_argument("--rounds", type=int, default=3, help="rotations of the sizes, medians over them (default 3)")
    parser.add_argument("--series", choices=("scaled", "fixed", "both"), default="both",
                        help="capacity scaled with the fleet (the per-event target), the sample's fixed capacity "
                        "(for information: a fleet past ~1M overloads it), or both (default)")
    args = parser.parse_args()
    if args.compare:
        compare(args.compare, args.hours)
    if args.sizes:
        if args.series in ("scaled", "both"):
            scale(args.sizes, args.engine, args.hours, args.capacity_per, args.rounds)
        if args.series in ("fixed", "both"):
            scale(args.sizes, args.engine, args.hours, 0, args.rounds)


if __name__ == "__main__":
    main()
