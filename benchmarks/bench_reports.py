"""Reports against no reports (issue 18, item 6): the README's main job (DMCT-SRVT, the six sample DMCs, seed 0,
store off) with ``--svtad-report DIR/`` against the same run without it (the baseline), alternating in the same
invocation, wall-clock medians (CPU seconds too). Target: with reports <= 1.5x without, on an idle machine and with
the second core kept busy (``--busy``: a ``python -c 'while 1: pass'`` pinned to CPU 1 with ``taskset`` for the
rounds, the load a parallel job puts on a 2-core machine).

Also, for information, the heatmap PNG alone at 600 DMCs (drawn in this process with Pillow, fonts loaded): the
size the xdist benchmark runs, where every DMC is a column.

Runs have a bytecode cache in a temporary folder, as on a user's machine after the first run (``--no-bytecode-cache``:
none, every process compiles the plugin and its report modules from source).

    python benchmarks/bench_reports.py [--rounds 5] [--busy] [--no-bytecode-cache]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.5


def command(report: Path | None) -> list[str]:
    argv = [sys.executable, "-m", "pytest", "testpacks/dmct_srvt", "--svtad-stage", "DMCT-SRVT",
            "--svtad-ttm", "testpacks/ttm/smets1-sit-sample.csv",
            "--svtad-criteria", "testpacks/dmct_srvt/criteria.yaml", "--svtad-dmc", "all",
            "--svtad-store", "none", "-p", "no:cacheprovider", "-q", "--no-header"]
    return argv + (["--svtad-report", f"{report}/"] if report is not None else [])


def timed(argv: list[str], pycache: Path | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the run and any process it started). With ``pycache``, a bytecode cache there,
    as on a user's machine after the first run (nothing is written into the checkout); without, none."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}  # leave no __pycache__ in the checkout
    if pycache is not None:
        del env["PYTHONDONTWRITEBYTECODE"]
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    run = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False, env=env)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if run.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(argv)} exited {run.returncode}: {(run.stdout + run.stderr)[-1500:]}")
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@contextlib.contextmanager
def second_core_busy(busy: bool) -> Iterator[None]:
    """A busy loop pinned to CPU 1 while the block runs (``taskset``; unpinned where taskset is missing)."""
    if not busy:
        yield
        return
    spin = [sys.executable, "-c", "while 1: pass"]
    taskset = shutil.which("taskset")
    process = subprocess.Popen([taskset, "-c", "1", *spin] if taskset else spin)
    try:
        yield
    finally:
        process.kill()
        process.wait()


def compare(rounds: int, busy: bool = False, bytecode_cache: bool = True) -> tuple[float, float, float, float]:
    """Medians of (wall without reports, wall with, CPU without, CPU with); the order alternates round by round."""
    plain: list[tuple[float, float]] = []
    reported: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory(prefix="svtad-bench-reports-") as tmp:
        pycache = Path(tmp) / "pycache" if bytecode_cache else None
        timed(command(Path(tmp) / "warm"), pycache)  # warm the file (and bytecode) cache for both sides
        with second_core_busy(busy):
            for round_no in range(rounds):
                pair = [(None, plain), (Path(tmp) / f"report-{round_no}", reported)]
                for report, times in pair if round_no % 2 == 0 else pair[::-1]:
                    times.append(timed(command(report), pycache))
    return (statistics.median(t[0] for t in plain), statistics.median(t[0] for t in reported),
            statistics.median(t[1] for t in plain), statistics.median(t[1] for t in reported))


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
    """Rows for benchmarks/run_all.py (quick: one round each, and the PNG at 60 DMCs); as the machine is, and with
    its second core kept busy."""
    rounds = 1 if quick else 5
    rows: list[dict[str, object]] = []
    for busy in (False, True):
        plain, reported, plain_cpu, reported_cpu = compare(rounds, busy)
        where = ", second core busy" if busy else ""
        rows.append({"measure": f"reports: main job with --svtad-report vs without, wall (median of {rounds}{where})",
                     "baseline": plain, "project": reported, "unit": "s", "ratio": reported / plain,
                     "target": f"<= {TARGET}x", "met": reported / plain <= TARGET})
        rows.append({"measure": f"reports: same, CPU s (median of {rounds}{where})", "baseline": plain_cpu,
                     "project": reported_cpu, "unit": "CPU s", "ratio": reported_cpu / plain_cpu,
                     "target": "information", "met": True})
    dmcs = 60 if quick else 600
    rows.append({"measure": f"reports: heatmap.png drawn for {dmcs} DMCs x 12 groups (in process)", "baseline": None,
                 "project": png_seconds(dmcs), "unit": "s", "ratio": None, "target": "information", "met": True})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--png-dmcs", type=int, nargs="*", default=[6, 60, 600])
    parser.add_argument("--busy", action="store_true", help="keep CPU 1 busy during the rounds (taskset -c 1)")
    parser.add_argument("--no-bytecode-cache", action="store_true", help="no bytecode cache (PYTHONDONTWRITEBYTECODE)")
    args = parser.parse_args()
    plain, reported, plain_cpu, reported_cpu = compare(args.rounds, args.busy, not args.no_bytecode_cache)
    how = (" (second core busy)" if args.busy else "") + (" (no bytecode cache)" if args.no_bytecode_cache else "")
    print(f"main job{how}: without reports {plain:.2f} s, with "
          f"{reported:.2f} s, ratio {reported / plain:.3f} (target <= {TARGET}); CPU {plain_cpu:.2f} s, "
          f"{reported_cpu:.2f} s, ratio {reported_cpu / plain_cpu:.3f}; load {os.getloadavg()[0]:.1f}", flush=True)
    for dmcs in args.png_dmcs:
        print(f"heatmap.png for {dmcs} DMCs x 12 groups: {png_seconds(dmcs):.3f} s")


if __name__ == "__main__":
    main()
