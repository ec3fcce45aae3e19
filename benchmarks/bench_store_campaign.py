"""Campaign verdict and heatmap from a store holding 1,000,000 results (200 DMCs x 5,000 tests).

Fills an SQLite store (once; reused if present), then measures in a fresh process the time and peak memory of
what ``svtad verdict --campaign`` does: read the campaign, combine runs, extant issues, heatmap (CSV + PNG),
verdict. Targets: <= 10 s and <= 1 GiB.

    python benchmarks/bench_store_campaign.py [--dmcs 200] [--tests 5000] [--runs 2] [--db PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from pytest_svtad.store import Store
from pytest_svtad.store import schema as t


def fill(db: Path, dmcs: int, tests: int, runs: int) -> None:
    store = Store(f"sqlite:///{db}")
    rng = random.Random(7)
    groups = [f"group {g}" for g in range(15)]
    per_run = tests // runs  # each run executes its share of the tests on every DMC
    for run in range(runs):
        run_id = store.begin_run(campaign="BENCH", stage="SIT", release="IOC", sut_version=f"1.{run}", seed=0,
                                 host="bench", firmware={})
        plan_rows, result_rows = [], []
        for d in range(dmcs):
            dmc = f"DMC-{d:03d}"
            for i in range(run * per_run, (run + 1) * per_run):
                nodeid = f"testpacks/bench/test_mod_{i // 100:03d}.py::test_{i}[{dmc}]"
                plan_rows.append({"run_id": run_id, "nodeid": nodeid, "dmc": dmc, "ttm": [f"REQ-{i % 500}"],
                                  "srv": "4.1.1", "functional_group": groups[i % 15], "regression": i % 10 == 0,
                                  "severity": 3, "known_defect": None, "descoped": None, "witnessed": None})
                failed = rng.random() < 0.01
                result_rows.append({"run_id": run_id, "nodeid": nodeid, "outcome": "failed" if failed else "passed",
                                    "error": False, "xfailed": False, "crashed": False,
                                    "reason": "AssertionError" if failed else "", "duration": 0.01, "evidence": []})
        with store.engine.begin() as conn:
            for start in range(0, len(plan_rows), 50_000):
                conn.execute(insert(t.plan_entries), plan_rows[start:start + 50_000])
                conn.execute(insert(t.results), result_rows[start:start + 50_000])
        store.finish_run(run_id, interrupted=False, verdict=None)
    store.close()


def measure(db: Path, report: Path) -> dict[str, float]:
    from pytest_svtad.closeout import close_out
    from pytest_svtad.store.campaign import campaign_record

    start = time.perf_counter()
    store = Store(f"sqlite:///{db}")
    record = campaign_record(store, "BENCH", "SIT", "IOC", report_dir=report)
    loaded = time.perf_counter()
    verdict = close_out(record, reports=())  # verdict, issue log, heatmap (as before: no HTML reports)
    end = time.perf_counter()
    return {"results": len(record.results), "load_s": loaded - start, "total_s": end - start,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "verdict": verdict.met, "dmcs": len(record.dmc_ids)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dmcs", type=int, default=200)
    parser.add_argument("--tests", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "svtad-bench-store.db")
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(measure(args.db, Path(tmp))))
        return
    if not args.db.exists():
        started = time.perf_counter()
        fill(args.db, args.dmcs, args.tests, args.runs)
        print(f"filled {args.db} ({args.dmcs * args.tests:,} results, {args.runs} runs) in "
              f"{time.perf_counter() - started:.1f} s")
    out = subprocess.run([sys.executable, __file__, "--measure-only", "--db", str(args.db)], check=True,
                         capture_output=True, text=True).stdout
    numbers = json.loads(out.strip().splitlines()[-1])
    print(f"store: {args.db} ({args.db.stat().st_size / 2**20:.0f} MiB)")
    print(f"results {numbers['results']:,} over {numbers['dmcs']} DMCs: read+combine {numbers['load_s']:.2f} s, "
          f"verdict+heatmap total {numbers['total_s']:.2f} s (target <= 10 s), peak RSS "
          f"{numbers['peak_rss_mib']:.0f} MiB (target <= 1024 MiB)")


if __name__ == "__main__":
    main()
