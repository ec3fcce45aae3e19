"""SCT fleet (issues 8 and 18): the event-by-event SimPy model (the reference) and the vector engine side by side,
each size in a fresh process (CPU seconds, wall seconds, peak RSS, events), 24 simulated hours of the sample load
profile.

  --compare N      both engines on N installations; prints both summaries' percentiles and their differences
                   (issue 18: agree on 100,000 within the stated tolerance)
  --sizes ...      the vector engine at each size: CPU seconds per event (flat = linear), peak memory
  --engine simpy   the sizes on the reference model instead (issue 8's benchmark)

    python benchmarks/bench_fleet.py --compare 100000 --sizes 10000 100000 1000000 10000000

``measures(quick)`` feeds benchmarks/run_all.py: the vector engine's CPU time against the SimPy model's on the
same fleet (the baseline, same invocation), the two engines' largest percentile difference, and time per event
at the largest size against the smallest (flat within 10 %). With SVTAD_BENCH_NATIONAL=1 the full run adds
10,000,000 installations (wall time and peak RSS against 10 minutes and 8 GiB).
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
TOLERANCE = {"p50": 0.05, "p95": 0.05, "p99": 0.10}  # relative, per SRV with >= 1,000 answers (issue 18's check)
MIN_COUNT = 1000

CHILD = """
import json, os, resource, sys, time
from pathlib import Path
from pytest_svtad.files.fleet_profile import load_profile
from simulators.fleet import Fleet
from simulators.fleet.vector import VectorFleet
from simulators.fleet.model import summarise
engine, n, hours, per = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[5])
profile = load_profile(Path(sys.argv[4]))
if per:  # servers in proportion to the fleet: the sample's capacity per `per` installations, same utilisation
    cap = profile.capacity
    factor = max(1, round(n / per))
    profile = profile.model_copy(update={"capacity": cap.model_copy(update={
        "dcc_adapter": cap.dcc_adapter.model_copy(update={"servers": cap.dcc_adapter.servers * factor}),
        "head_end": cap.head_end.model_copy(update={"servers": cap.head_end.servers * factor})})})
engine_class = VectorFleet if engine == "vector" else Fleet
engine_class(profile, 1000, seed=2).run(1)  # warm-up: first-call costs are per process, not per event
cpu, wall = time.process_time(), time.perf_counter()
result = engine_class(profile, n, seed=1).run(hours)
run_cpu = time.process_time() - cpu
summary = summarise(result)
print(json.dumps({"engine": engine, "installations": n, "cpu_s": time.process_time() - cpu, "run_cpu_s": run_cpu,
                  "wall_s": time.perf_counter() - wall, "events": result.events, "passes": result.passes,
                  "requests": summary["requests"]["completed"], "load": os.getloadavg()[0],
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "response_times_s": summary["response_times_s"], "alerts": summary["alerts"],
                  "wan": summary["wan"], "queues": summary["queues"]}))
"""


def run(engine: str, size: int, hours: float = 24, per: int = 0) -> dict[str, Any]:
    """One run in a fresh process; ``per``: scale the servers with the fleet (the sample's per ``per``
    installations), 0 for the sample's capacity as written."""
    out = subprocess.run([sys.executable, "-c", CHILD, engine, str(size), str(hours), str(PROFILE), str(per)],
                         capture_output=True, text=True, check=True, cwd=ROOT).stdout
    return dict(json.loads(out))


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, float, float, float, bool]]:
    """(SRV, point, reference, vector, relative difference, within tolerance) for every SRV both answered often
    enough for its percentiles to be stable (MIN_COUNT)."""
    rows = []
    for srv, ref in old["response_times_s"].items():
        got = new["response_times_s"].get(srv, {})
        if ref.get("count", 0) < MIN_COUNT or got.get("count", 0) < MIN_COUNT:
            continue
        for point, tolerance in TOLERANCE.items():
            diff = (got[point] - ref[point]) / ref[point]
            rows.append((srv, point, ref[point], got[point], diff, abs(diff) <= tolerance))
    return rows


def compare(size: int, hours: float = 24) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
    old, new = run("simpy", size, hours), run("vector", size, hours)
    print(f"{size:,} installations x {hours:g} h, seed 1 (load {old['load']:.1f} / {new['load']:.1f})")
    for row in (old, new):
        print(f"  {row['engine']:>6}: {row['cpu_s']:.2f} CPU s, {row['wall_s']:.2f} s wall, {row['requests']:,} "
              f"requests, {row['events']:,} events, peak RSS {row['peak_rss_mib']:,.0f} MiB")
    rows = differences(old, new)
    print(f"  {'SRV':<7} {'point':<5} {'simpy':>9} {'vector':>9} {'diff':>8}  tolerance")
    for srv, point, ref, got, diff, ok in rows:
        print(f"  {srv:<7} {point:<5} {ref:9.3f} {got:9.3f} {diff:+8.2%}  {TOLERANCE[point]:.0%} "
              f"{'ok' if ok else 'OUTSIDE'}")
    for key in ("per_hub_mean_bytes", "per_hub_peak_hour_bytes"):
        print(f"  wan {key}: simpy {old['wan'][key]:,.1f}, vector {new['wan'][key]:,.1f}")
    print(f"  alerts p95: simpy {old['alerts'].get('p95', 0):.3f} s, vector {new['alerts'].get('p95', 0):.3f} s")
    print(f"  CPU ratio vector / simpy: {new['cpu_s'] / old['cpu_s']:.4f}")
    return old, new, rows


def scale(sizes: list[int], engine: str = "vector", hours: float = 24, per: int = 0) -> list[dict[str, Any]]:
    rows = []
    for size in sizes:
        row = run(engine, size, hours, per)
        row["us_per_event"] = row["run_cpu_s"] / row["events"] * 1e6  # the engine's run, without the summary
        row["us_per_event_all"] = row["cpu_s"] / row["events"] * 1e6
        rows.append(row)
        print(f"{engine:>6} {size:>11,} x {hours:g} h: {row['cpu_s']:7.2f} CPU s ({row['run_cpu_s']:.2f} running, "
              f"the rest summarising), {row['wall_s']:7.2f} s wall (load {row['load']:.1f}), {row['events']:>12,} "
              f"events, {row['us_per_event']:.3f} us CPU/event running ({row['us_per_event_all']:.3f} with the "
              f"summary), {row['passes']} passes, peak RSS {row['peak_rss_mib']:,.0f} MiB")
    if len(rows) >= 2:
        print(f"time per event {rows[-1]['installations']:,} / {rows[0]['installations']:,}: running "
              f"{rows[-1]['us_per_event'] / rows[0]['us_per_event']:.2f}x, with the summary "
              f"{rows[-1]['us_per_event_all'] / rows[0]['us_per_event_all']:.2f}x (1.00 = linear)")
    return rows


def measures(quick: bool = False) -> list[dict[str, Any]]:
    size = 10_000 if quick else 100_000
    old, new, rows = compare(size)
    worst = max((abs(diff) / TOLERANCE[point] for _, point, _, _, diff, _ in rows), default=0.0)
    sizes = [10_000, 100_000] if quick else [10_000, 100_000, 1_000_000]
    grown = scale(sizes)
    per_event = grown[-1]["us_per_event"] / grown[0]["us_per_event"]
    found = [
        {"measure": f"SCT {size:,} x 24 h CPU, vector engine vs SimPy model", "baseline": round(old["cpu_s"], 3),
         "project": round(new["cpu_s"], 3), "unit": "s", "ratio": round(new["cpu_s"] / old["cpu_s"], 4),
         "target": "<= 0.1x", "met": new["cpu_s"] <= 0.1 * old["cpu_s"]},
        {"measure": f"SCT {size:,} percentiles, vector vs SimPy (worst diff / tolerance)", "baseline": None,
         "project": round(worst, 3), "unit": "", "ratio": None, "target": "<= 1", "met": worst <= 1},
        {"measure": f"SCT CPU per event {sizes[-1]:,} / {sizes[0]:,}", "baseline": round(grown[0]["us_per_event"], 4),
         "project": round(grown[-1]["us_per_event"], 4), "unit": "us", "ratio": round(per_event, 3),
         "target": "0.90-1.10x (flat)", "met": 0.90 <= per_event <= 1.10},
    ]
    if not quick and os.environ.get("SVTAD_BENCH_NATIONAL"):
        national = scale([10_000_000])[0]
        found.append({"measure": "SCT 10,000,000 x 24 h wall (vector)", "baseline": None,
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
    parser.add_argument("--capacity-per", type=int, default=0, metavar="N",
                        help="scale the servers with the fleet: the sample's capacity per N installations "
                        "(default 0: the sample's capacity as written, which a fleet over ~1M overloads)")
    args = parser.parse_args()
    if args.compare:
        compare(args.compare, args.hours)
    if args.sizes:
        scale(args.sizes, args.engine, args.hours, args.capacity_per)


if __name__ == "__main__":
    main()
