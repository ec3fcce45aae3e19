"""SCT fleet: 10,000 and 100,000 installations for 24 simulated hours of the sample load profile, each in a fresh
process (wall time, peak memory, events/s), and bare SimPy's rate of timeouts measured in the same run.

Targets (issue 8): 100,000 x 24 h within 120 s and 4 GiB; cost linear in installations; events/s as a ratio of
bare SimPy's.

    python benchmarks/bench_fleet.py [--sizes 10000 100000] [--hours 24]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from bench_simulator import bare_simpy_events_per_second  # the same bare loop as the simulator's benchmark

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "testpacks" / "sct" / "load-profile.yaml"

CHILD = """
import json, resource, sys, time
from pathlib import Path
from pytest_svtad.files.fleet_profile import load_profile
from simulators.fleet import Fleet
from simulators.fleet.model import summarise
n, hours = int(sys.argv[1]), float(sys.argv[2])
started = time.perf_counter()
result = Fleet(load_profile(Path(sys.argv[3])), n, seed=1).run(hours)
summary = summarise(result)
wall = time.perf_counter() - started
print(json.dumps({"installations": n, "wall_s": wall, "run_s": result.wall_s, "events": result.events,
                  "requests": summary["requests"]["completed"],
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--hours", type=float, default=24)
    args = parser.parse_args()
    bare = bare_simpy_events_per_second(2_000_000)
    print(f"bare SimPy: {bare:,.0f} timeouts/s")
    rows = []
    for size in args.sizes:
        out = subprocess.run([sys.executable, "-c", CHILD, str(size), str(args.hours), str(PROFILE)],
                             capture_output=True, text=True, check=True, cwd=ROOT).stdout
        row = json.loads(out)
        row["events_per_s"] = row["events"] / row["run_s"]
        rows.append(row)
        print(f"{size:>9,} installations x {args.hours:g} h: {row['wall_s']:.1f} s wall ({row['run_s']:.1f} s "
              f"simulating), {row['requests']:,} requests, {row['events']:,} events, "
              f"{row['events_per_s']:,.0f} events/s (ratio to bare SimPy {row['events_per_s'] / bare:.2f}), "
              f"peak RSS {row['peak_rss_mib']:,.0f} MiB")
    if len(rows) >= 2:
        small, large = rows[0], rows[-1]
        growth = (large["run_s"] / small["run_s"]) / (large["installations"] / small["installations"])
        print(f"cost growth {large['installations'] // small['installations']}x installations: simulating time "
              f"x{large['run_s'] / small['run_s']:.2f}, per installation ratio {growth:.2f} (1.00 = linear)")


if __name__ == "__main__":
    main()
