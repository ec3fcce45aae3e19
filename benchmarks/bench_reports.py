"""Reports against no reports (issue 18, item 6): the README's main job (DMCT-SRVT, the six sample DMCs, seed 0,
store off) with ``--svtad-report DIR/`` against the same run without it (the baseline), alternating in the same
invocation, wall-clock medians. Target: with reports <= 1.5x without.

Also, for information, the heatmap PNG alone at 600 DMCs (drawn in this process, matplotlib already imported):
the size the xdist benchmark runs, where every DMC is a column.

    python benchmarks/bench_reports.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.5


def command(report: Path | None) -> list[str]:
    argv = [sys.executable, "-m", "pytest", "testpacks/dmct_srvt", "--svtad-stage", "DMCT-SRVT",
            "--svtad-ttm", "testpacks/ttm/smets1-sit-sample.csv",
            "--svtad-criteria", "testpacks/dmct_srvt/criteria.yaml", "--svtad-dmc", "all",
            "--svtad-store", "none", "-p", "no:cacheprovider", "-q", "--no-header"]
    return argv + (["--svtad-report", f"{report}/"] if report is not None else [])


def timed(argv: list[str]) -> float:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}  # leave no __pycache__ in the checkout
    started = time.perf_counter()
    run = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False, env=env)
    seconds = time.perf_counter() - started
    if run.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(argv)} exited {run.returncode}: {(run.stdout + run.stderr)[-1500:]}")
    return seconds


def compare(rounds: int) -> tuple[float, float]:
    """(median without reports, median with reports); the order alternates round by round."""
    plain: list[float] = []
    reported: list[float] = []
    with tempfile.TemporaryDirectory(prefix="svtad-bench-reports-") as tmp:
        timed(command(None))  # warm the file cache for both sides
        for round_no in range(rounds):
            pair = [(None, plain), (Path(tmp) / f"report-{round_no}", reported)]
            for report, times in pair if round_no % 2 == 0 else pair[::-1]:
                times.append(timed(command(report)))
    return statistics.median(plain), statistics.median(reported)


def png_seconds(dmcs: int, groups: int = 12) -> float:
    """Seconds to draw heatmap.png for a grid of ``groups`` x ``dmcs`` in this process (import excluded)."""
    sys.path.insert(0, str(ROOT))
    from pytest_svtad.reports import heatmap
    from pytest_svtad.rules.counts import Counts

    columns = [f"DMC-{index:04d}" for index in range(1, dmcs + 1)]
    cells = {(f"group {g:02d}", dmc): Counts(planned=4, executed=4, passed=4 - (i + g) % 3, failed=(i + g) % 3)
             for g in range(groups) for i, dmc in enumerate(columns)}
    with tempfile.TemporaryDirectory(prefix="svtad-bench-png-") as tmp:
        heatmap.write_png(Path(tmp) / "warm.png", cells, columns[:6], "warm-up")  # the import, fonts
        started = time.perf_counter()
        heatmap.write_png(Path(tmp) / "heatmap.png", cells, columns, f"{dmcs} DMCs")
        return time.perf_counter() - started


def measures(quick: bool = False) -> list[dict[str, object]]:
    """Rows for benchmarks/run_all.py (quick: one round each, and the PNG at 60 DMCs)."""
    rounds = 1 if quick else 5
    plain, reported = compare(rounds)
    dmcs = 60 if quick else 600
    png = png_seconds(dmcs)
    return [
        {"measure": f"reports: main job with --svtad-report vs without (median of {rounds})", "baseline": plain,
         "project": reported, "unit": "s", "ratio": reported / plain, "target": f"<= {TARGET}x",
         "met": reported / plain <= TARGET},
        {"measure": f"reports: heatmap.png drawn for {dmcs} DMCs x 12 groups (in process)", "baseline": None,
         "project": png, "unit": "s", "ratio": None, "target": "information", "met": True},
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--png-dmcs", type=int, nargs="*", default=[6, 60, 600])
    args = parser.parse_args()
    plain, reported = compare(args.rounds)
    print(f"main job: without reports {plain:.2f} s, with {reported:.2f} s, ratio {reported / plain:.3f} "
          f"(target <= {TARGET})")
    for dmcs in args.png_dmcs:
        print(f"heatmap.png for {dmcs} DMCs x 12 groups: {png_seconds(dmcs):.3f} s")


if __name__ == "__main__":
    main()
