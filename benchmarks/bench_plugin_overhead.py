"""Plugin overhead: 5,000 trivial tests carrying ttm, srv and functional_group over one DMC.

Runs pytest with the plugin and with ``-p no:svtad`` (plus an equivalent one-parameter ``dmc`` fixture, so both
sides run the same 5,000 tests) alternately, in paired rounds, and reports the median wall times and their ratio.
Target: ratio <= 1.10.

    python benchmarks/bench_plugin_overhead.py [--tests 5000] [--rounds 5] [--report]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def timed(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"run failed ({proc.returncode}): {' '.join(argv)}\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--report", action="store_true", help="also write the reports (heatmap PNG included)")
    parser.add_argument("--baseline-freeze", action="store_true",
                        help="let the baseline call gc.freeze() too: isolates the plugin's own work")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="svtad-bench-") as tmp:
        root = Path(tmp)
        make_project(root, args.tests, freeze=args.baseline_freeze)
        common = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts="]
        plugin = common + ["--svtad-dmc", "DMC-001", "--svtad-ttm", "ttm.csv"]
        if args.report:
            plugin += ["--svtad-report", str(root / "report")]
        baseline = common + ["-p", "no:svtad", "-p", "baseline_plugin"]
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
