"""Plugin overhead: trivial tests carrying ttm, srv and functional_group over one DMC, the default store on.

Runs pytest with the plugin and with ``-p no:svtad`` (plus an equivalent one-parameter ``dmc`` fixture, so both
sides run the same tests) alternately, in paired rounds, and reports the median wall times and their ratio.

``measures(quick)`` (for ``benchmarks/run_all.py``): CPU time (user + sys of the pytest process, its store thread
included) with the plugin and its default SQLite store against ``-p no:svtad``, at 5,000 and 50,000 tests
(quick: 1,000), medians of rotations, target <= 1.05x at both sizes (flat per-test cost); and the store's write
rate through ``Store.record_results`` in 150-result transactions (the sink's batches at ~300 tests/s), target
>= 40,000 results/s, with a bare sqlite3 ``executemany`` of the same rows as its baseline.

    python benchmarks/bench_plugin_overhead.py [--tests 5000] [--rounds 5] [--report]
    python benchmarks/bench_plugin_overhead.py --measures [--quick]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BASELINE_PLUGIN = '''
import pytest

MARKS = ("ttm", "srv", "functional_group")
FREEZE = {freeze}


def pytest_configure(config):
    for name in MARKS:
        config.addinivalue_line("markers", f"{name}: stand-in")
    if FREEZE:
        import gc

        gc.freeze()


@pytest.fixture(params=["DMC-001"], ids=["DMC-001"])
def dmc(request):
    return request.param
'''


def make_project(root: Path, tests: int, per_module: int = 500, freeze: bool = False) -> None:
    profiles = Path(__file__).resolve().parent.parent / "device_profiles"
    (root / "device_profiles").symlink_to(profiles)
    (root / "baseline_plugin.py").write_text(BASELINE_PLUGIN.replace("{freeze}", str(freeze)))
    rows = ["requirement_id,functional_group,title"] + [f"R{i},group {i % 15},req {i}" for i in range(100)]
    (root / "ttm.csv").write_text("\n".join(rows) + "\n")
    srvs = ["4.1.1", "4.3", "7.4", "11.2"]
    for module in range((tests + per_module - 1) // per_module):
        lines = ["import pytest", ""]
        for index in range(module * per_module, min(tests, (module + 1) * per_module)):
            lines += [f'@pytest.mark.ttm("R{index % 100}")', f'@pytest.mark.srv("{srvs[index % 4]}")',
                      f'@pytest.mark.functional_group("group {index % 15}")',
                      f"def test_{index}(dmc):", "    pass", ""]
        (root / f"test_bench_{module:03d}.py").write_text("\n".join(lines))


def byte_compile() -> None:
    """Byte-compile the project's own packages, as ``pip install`` does for an installed package. The packages
    pytest, xdist and allure-pytest load in the baseline come from site-packages compiled at install; an editable
    checkout run with PYTHONDONTWRITEBYTECODE=1 (as on the CI machines) would otherwise compile every module of the
    plugin from source in each session (about 0.3 CPU s), which is what the install costs once, not the plugin."""
    import compileall

    project = Path(__file__).resolve().parent.parent
    for package in ("pytest_svtad", "simulators"):
        compileall.compile_dir(project / package, quiet=1)


def timed(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"run failed ({proc.returncode}): {' '.join(argv)}\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return elapsed


def cpu_seconds(argv: list[str], cwd: Path) -> float:
    """User + sys CPU seconds of one pytest run (the child and its threads)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    timed(argv, cwd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def overhead(tests: int, rounds: int, store_off: bool = False) -> dict[str, Any]:
    """Median CPU seconds with the plugin (default store: the project's .svtad/ SQLite file) and without; with
    ``store_off`` also the plugin with ``--svtad-store none`` in the same rotation (what the store itself costs)."""
    with tempfile.TemporaryDirectory(prefix="svtad-bench-") as tmp:
        root = Path(tmp)
        make_project(root, tests)
        common = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts="]
        plugin = common + ["--svtad-dmc", "DMC-001", "--svtad-ttm", "ttm.csv"]
        baseline = common + ["-p", "no:svtad", "-p", "baseline_plugin"]
        byte_compile()
        timed(baseline, root)  # warm the file cache and the bytecode
        with_plugin: list[float] = []
        without: list[float] = []
        no_store: list[float] = []
        sides = [(plugin, with_plugin), (baseline, without)]
        if store_off:
            sides.append((plugin + ["--svtad-store", "none"], no_store))
        for index in range(rounds):  # rotate which side goes first
            for argv, into in sides if index % 2 == 0 else reversed(sides):
                into.append(cpu_seconds(argv, root))
    found: dict[str, Any] = {"plugin": statistics.median(with_plugin), "baseline": statistics.median(without),
                             "plugin_runs": with_plugin, "baseline_runs": without}
    if no_store:
        found.update(store_off=statistics.median(no_store), store_off_runs=no_store)
    return found


def write_rate(results: int = 20_000, batch: int = 150) -> tuple[float, float]:
    """(Store.record_results, bare sqlite3 executemany) results per CPU second, in ``batch``-result transactions."""
    import sqlite3

    from pytest_svtad.model import Outcome, PlanEntry, Result
    from pytest_svtad.store import Store

    plan = [PlanEntry(f"test_bench_{i // 500:03d}.py::test_{i}[DMC-001]", "DMC-001", (f"R{i % 100}",), "4.1.1",
                      f"group {i % 15}") for i in range(results)]
    rows = [Result(e.nodeid, Outcome.PASSED, duration=0.001) for e in plan]
    with tempfile.TemporaryDirectory(prefix="svtad-bench-") as tmp:
        store = Store(f"sqlite:///{tmp}/store.db")
        run_id = store.begin_run(campaign=None, stage="SIT", release=None, sut_version=None, seed=0, host="bench",
                                 firmware={})
        store.record_plan(run_id, plan)
        start = time.process_time()
        for first in range(0, results, batch):
            store.record_results(run_id, rows[first:first + batch])
        project = results / (time.process_time() - start)
        store.close()
        raw = sqlite3.connect(f"{tmp}/raw.db")
        raw.execute("CREATE TABLE r (run_id INTEGER, test_id INTEGER, outcome TEXT, error INTEGER, xfailed INTEGER, "
                    "crashed INTEGER, reason TEXT, duration REAL, evidence TEXT, PRIMARY KEY (run_id, test_id)) "
                    "WITHOUT ROWID")
        start = time.process_time()
        for first in range(0, results, batch):
            with raw:
                raw.executemany("INSERT INTO r VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                [(1, i, r.outcome.value, r.error, r.xfailed, r.crashed, r.reason, r.duration,
                                  json.dumps(r.evidence)) for i, r in enumerate(rows[first:first + batch], first)])
        baseline = results / (time.process_time() - start)
        raw.close()
    return project, baseline


def measures(quick: bool = False, rounds: int = 3, store_off: bool = False) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for tests in (1000,) if quick else (5000, 50_000):
        found = overhead(tests, 1 if quick else rounds, store_off)
        ratio = found["plugin"] / found["baseline"]
        if store_off:
            off = found["store_off"] / found["baseline"]
            out.append({"measure": f"plugin, --svtad-store none, {tests:,} tests, CPU (baseline: -p no:svtad)",
                        "baseline": found["baseline"], "project": found["store_off"], "unit": "CPU s", "ratio": off,
                        "target": "information", "met": True,
                        "runs": [round(v, 2) for v in found["store_off_runs"]]})
        out.append({"measure": f"plugin + default store, {tests:,} tests, CPU (baseline: -p no:svtad)",
                    "baseline": found["baseline"], "project": found["plugin"], "unit": "CPU s", "ratio": ratio,
                    "target": "<= 1.05x", "met": ratio <= 1.05,
                    "runs": [round(v, 2) for v in found["plugin_runs"]],
                    "baseline_runs": [round(v, 2) for v in found["baseline_runs"]]})
    project, baseline = write_rate(2000 if quick else 20_000)
    out.append({"measure": "store results written, 150 per transaction (baseline: bare sqlite3 executemany)",
                "baseline": baseline, "project": project, "unit": "results/CPU s", "ratio": project / baseline,
                "target": ">= 40,000/s", "met": project >= 40_000})
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--report", action="store_true", help="also write the reports (heatmap PNG included)")
    parser.add_argument("--baseline-freeze", action="store_true",
                        help="let the baseline call gc.freeze() too: isolates the plugin's own work")
    parser.add_argument("--measures", action="store_true", help="the run_all.py measures (CPU, store on)")
    parser.add_argument("--quick", action="store_true", help="with --measures: 1,000 tests, one round")
    parser.add_argument("--store-off", action="store_true",
                        help="with --measures: also the plugin with --svtad-store none in the same rotation")
    args = parser.parse_args()
    if args.measures:
        for row in measures(args.quick, args.rounds, args.store_off):
            print(json.dumps(row))
        return
    with tempfile.TemporaryDirectory(prefix="svtad-bench-") as tmp:
        root = Path(tmp)
        make_project(root, args.tests, freeze=args.baseline_freeze)
        common = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts="]
        plugin = common + ["--svtad-dmc", "DMC-001", "--svtad-ttm", "ttm.csv"]
        if args.report:
            plugin += ["--svtad-report", str(root / "report")]
        baseline = common + ["-p", "no:svtad", "-p", "baseline_plugin"]
        byte_compile()
        timed(plugin, root)  # warm the file cache and the bytecode
        timed(baseline, root)
        with_plugin, without = [], []
        for _ in range(args.rounds):
            with_plugin.append(timed(plugin, root))
            without.append(timed(baseline, root))
        p, b = statistics.median(with_plugin), statistics.median(without)
        print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
        print(f"tests: {args.tests}, rounds: {args.rounds}, reports: {args.report}, "
              f"baseline gc.freeze: {args.baseline_freeze}")
        print(f"with plugin:  median {p:.3f}s  runs {', '.join(f'{t:.2f}' for t in with_plugin)}")
        print(f"-p no:svtad:  median {b:.3f}s  runs {', '.join(f'{t:.2f}' for t in without)}")
        print(f"per test: {p / args.tests * 1000:.3f} ms vs {b / args.tests * 1000:.3f} ms")
        print(f"ratio: {p / b:.3f} (target <= 1.10)")


if __name__ == "__main__":
    main()
