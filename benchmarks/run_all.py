"""Run every benchmark with its baseline in the same invocation and print one table (issue 18, "How it is checked").

    python benchmarks/run_all.py                 # full sizes
    python benchmarks/run_all.py --quick         # smoke run: small sizes, seconds per module
    python benchmarks/run_all.py --only bench_xdist bench_reports --markdown /tmp/bench.md

Interface every module listed in MODULES exposes:

    def measures(quick: bool = False) -> list[dict]

each dict with the keys in FIELDS: `measure` (str), `baseline` (float | None: the same work without the project, run
in the same invocation), `project` (float), `unit` (str), `ratio` (float | None), `target` (str, e.g. "<= 1.05x" or
"<= 5 s") and `met` (bool). Each module measures its own baseline in the same process run, so the ratio is immune to
how busy the machine was overall (it is shared and noisy). A module that does not expose `measures` yet, or whose
import or run fails, is listed as "not measured" with the reason: nothing is skipped silently.

The table is printed and, with `--markdown`, also written as markdown headed by the machine and the versions
(python, pytest, pytest-xdist, SQLAlchemy), ready for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: Benchmark modules under benchmarks/, in the order they run. Add yours here when you merge.
MODULES = [
    "bench_plugin_overhead",
    "bench_store_campaign",
    "bench_simulator",
    "bench_links",
    "bench_fleet",
    "bench_xdist",
    "bench_reports",
    "bench_duis",
]
FIELDS = ("measure", "baseline", "project", "unit", "ratio", "target", "met")
HEADER = ("module", "measure", "baseline", "project", "unit", "ratio", "target", "met")
Row = dict[str, Any]


def versions() -> dict[str, str]:
    """The versions BENCHMARKS.md records next to every table."""
    found = {"python": platform.python_version()}
    for name in ("pytest", "pytest-xdist", "sqlalchemy"):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = ", load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    return f"{os.cpu_count()} CPU {model or cpu} ({platform.machine()}, {platform.system()}){load}"


def not_measured(module: str, reason: str) -> Row:
    return {"module": module, "measure": f"not measured: {reason}", "baseline": None, "project": None, "unit": "",
            "ratio": None, "target": "", "met": None}


def check_row(module: str, row: object) -> Row:
    """One row as the table needs it, or a "not measured" row saying which key is wrong (a module's bug must not
    crash the whole run after minutes of measuring the others)."""
    if not isinstance(row, dict):
        return not_measured(module, f"measures() returned {type(row).__name__}, expected dict")
    missing = [key for key in FIELDS if key not in row]
    if missing:
        return not_measured(module, f"measures() row lacks {', '.join(missing)}")
    return {"module": module, **{key: row[key] for key in FIELDS}}


def run_module(module: str, quick: bool, loader: Callable[[str], Any] = importlib.import_module) -> list[Row]:
    if loader is importlib.import_module and not (HERE / f"{module}.py").is_file():
        return [not_measured(module, f"benchmarks/{module}.py does not exist yet")]
    try:
        mod = loader(module)
    except Exception as exc:  # noqa: BLE001 - any import failure becomes a table row, not a crash
        return [not_measured(module, f"import failed: {type(exc).__name__}: {exc}".splitlines()[0])]
    measures = getattr(mod, "measures", None)
    if not callable(measures):
        return [not_measured(module, "module has no measures()")]
    try:
        rows = measures(quick=quick)
    except Exception as exc:  # noqa: BLE001
        traceback.print_exc(file=sys.stderr)
        return [not_measured(module, f"measures() failed: {type(exc).__name__}: {exc}".splitlines()[0])]
    if not isinstance(rows, list) or not rows:
        return [not_measured(module, "measures() returned no rows")]
    return [check_row(module, row) for row in rows]


def cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def table_lines(rows: Sequence[Row]) -> list[str]:
    cells = [list(HEADER)] + [[cell(row[key]) for key in HEADER] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER))]
    return ["  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()
            for line in cells]


def markdown(rows: Sequence[Row], quick: bool, seconds: float) -> str:
    found = versions()
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC{' (--quick)' if quick else ''}, {seconds:.0f} s: "
        f"{machine()}; " + ", ".join(f"{name} {version}" for name, version in found.items()) + ".",
        "",
        "| " + " | ".join(HEADER) + " |",
        "| " + " | ".join("---" for _ in HEADER) + " |",
    ]
    lines += ["| " + " | ".join(cell(row[key]).replace("|", "\\|") for key in HEADER) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run (default: full sizes)")
    parser.add_argument("--only", nargs="+", metavar="MODULE", help=f"run only these of: {', '.join(MODULES)}")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write the table as markdown to FILE")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a measured target is not met or a module was not measured (default: exit 0)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.only or ()) - set(MODULES))
    if unknown:
        print(f"run_all.py: error: unknown module {', '.join(unknown)}; expected one of {', '.join(MODULES)}",
              file=sys.stderr)
        return 2
    sys.path[:0] = [str(HERE), str(ROOT)]
    started = time.perf_counter()
    rows: list[Row] = []
    for module in args.only or MODULES:
        print(f"[run_all] {module} ...", file=sys.stderr, flush=True)
        rows += run_module(module, args.quick)
    seconds = time.perf_counter() - started
    print("\n".join(table_lines(rows)))
    if args.markdown:
        args.markdown.write_text(markdown(rows, args.quick, seconds))
        print(f"markdown table written to {args.markdown}")
    if args.check and any(row["met"] is not True for row in rows):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
