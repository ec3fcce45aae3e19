"""``svtad sct``: run a fleet under a load profile; print a summary, write the JSON summary and PNG charts."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from pytest_svtad.cli.input import output_folder, positive_number
from pytest_svtad.errors import SvtadInputError
from pytest_svtad.files.datafiles import load_criteria
from pytest_svtad.rules import sct as sct_rules

MAX_HOURS = 24 * 366  # a simulated year: longer periods are a typing slip (and would run for days)


class Progress:
    """The run's progress on stderr: a bar redrawn in place on a terminal; elsewhere (a CI log) one short line per
    tenth of the period, never carriage returns that a log keeps as one huge line."""

    WIDTH = 30

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.shown = -1  # tenths already written (not a terminal)

    def __call__(self, fraction: float) -> None:
        if self.tty:
            done = int(fraction * self.WIDTH)
            self.stream.write(f"\r[{'#' * done}{'.' * (self.WIDTH - done)}] {fraction * 100:5.1f}% of the simulated "
                              "period")
            if fraction >= 1:
                self.stream.write("\n")
        else:
            tenth = int(fraction * 10)
            if tenth <= self.shown:
                return
            self.shown = tenth
            self.stream.write(f"svtad sct: {fraction * 100:5.1f}% of the simulated period\n")
        self.stream.flush()


def check_targets(summary: dict, criteria_path: Path | None) -> list[str]:
    """One line per target that the criteria file configures and that applies to the run: met or not (the seeds
    give no target: ``pytest_svtad.rules.sct``, shared with the SCT pack)."""
    if criteria_path is None:
        return ["no criteria file: response-time targets not configured (SEC H3 Target Response Times were not "
                "found in the seeds; give sct_targets in --criteria)"]
    return [check.line for check in sct_rules.check(summary, load_criteria(criteria_path))]


def sct(args: argparse.Namespace) -> int:
    from pytest_svtad.files.fleet_profile import load_profile
    from simulators.fleet import Fleet
    from simulators.fleet.charts import write_charts
    from simulators.fleet.model import summarise
    from simulators.fleet.vector import VectorFleet

    if args.sweep:
        return sweep(args)
    for option in ("cluster", "workers"):
        if getattr(args, option) is not None:
            raise SvtadInputError(f"--{option}", "applies to --sweep runs only")
    if args.installations <= 0:
        raise SvtadInputError("--installations", f"expected a whole number > 0, got '{args.installations}'")
    positive_number(args.hours, "--hours", most=MAX_HOURS)
    profile = load_profile(Path(args.profile))
    criteria = load_criteria(Path(args.criteria)) if args.criteria else None  # a bad file is said before the run
    out = output_folder(Path(args.out), "--out")
    engine = VectorFleet if args.engine == "vector" else Fleet
    result = engine(profile, args.installations, seed=args.seed).run(args.hours, None if args.quiet else Progress())
    summary = summarise(result)
    summary["targets"] = check_targets(summary, Path(args.criteria) if args.criteria else None)
    try:
        (out / "sct-summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        charts = write_charts(result, out, scenario=Path(args.profile).stem,
                              targets=sct_rules.chart_targets(criteria) if criteria else None,
                              wan_budget=criteria.sct_wan_bytes_per_hub_per_day if criteria else None)
    except OSError as exc:
        raise SvtadInputError("--out", f"cannot write into '{out}': {exc.strerror or exc}") from None
    requests = summary["requests"]
    print(f"{args.installations:,} installations, {args.hours:g} h of '{profile.name}' ({args.engine} engine): "
          f"{requests['completed']:,} requests, {summary['events']:,} events in {summary['wall_s']:.1f} s "
          f"({summary['events_per_s']:,} events/s)")
    for srv, row in summary["response_times_s"].items():
        if "p95" in row:
            print(f"  SRV {srv:<7} p50 {row['p50']:6.2f} s  p95 {row['p95']:6.2f} s  p99 {row['p99']:6.2f} s  "
                  f"max {row['max']:6.2f} s  {_outcomes(row['outcomes'])}")
    wan = summary["wan"]
    print(f"  WAN: {wan['total_bytes']:,} bytes in all; per hub mean {wan['per_hub_mean_bytes']:,.0f} B, "
          f"p99 {wan['per_hub_p99_bytes']:,.0f} B, max {wan['per_hub_max_bytes']:,} B; busiest hub-hour "
          f"{wan['per_hub_peak_hour_bytes']:,} B ({wan['per_hub_peak_bps']:.2f} bit/s averaged over the hour)")
    for line in summary["targets"]:
        print(f"  target: {line}")
    print(f"wrote {out / 'sct-summary.json'}, " + ", ".join(path.name for path in charts))
    return 1 if any(line.endswith(f": {sct_rules.NOT_MET}") for line in summary["targets"]) else 0


def _outcomes(outcomes: dict[str, int]) -> str:
    """Response codes and how often each came back, as people write it: "I0 1,041, E21 3"."""
    return ", ".join(f"{code} {number:,}" for code, number in sorted(outcomes.items()))


def sweep(args: argparse.Namespace) -> int:
    """``svtad sct --sweep``: run the scenarios where the pool or cluster puts them, print the one table."""
    from pytest_svtad import sweep as sweeps

    given = {"--engine": args.engine != "vector", "--installations": args.installations != 10_000,
             "--hours": args.hours != 24, "--seed": args.seed != 0, "--criteria": args.criteria is not None}
    for option, changed in given.items():
        if changed:
            raise SvtadInputError(option, f"with --sweep the sweep file gives it ({option[2:]}: in the file)")
    if args.workers is not None and (args.workers <= 0 or args.cluster):
        raise SvtadInputError("--workers", "expected a whole number > 0, and no --cluster (the cluster has its own "
                              f"workers), got '{args.workers}'")
    loaded = sweeps.load_sweep(Path(args.sweep))
    out = output_folder(Path(args.out), "--out")
    where = f"Dask cluster {args.cluster}" if args.cluster else "local process pool"
    print(f"sweep {args.sweep}: {len(loaded.scenarios)} scenarios on the {where}", flush=True)

    def done(scenario: sweeps.Scenario, summary: dict) -> None:
        if not args.quiet:
            sys.stderr.write(f"svtad sct: done '{scenario.name}' ({summary['events']:,} events in "
                             f"{summary['wall_s']:.1f} s)\n")
            sys.stderr.flush()

    rows = sweeps.run_sweep(loaded, cluster=args.cluster, workers=args.workers, done=done)
    try:
        written = sweeps.write_outputs(rows, out)
    except OSError as exc:
        raise SvtadInputError("--out", f"cannot write into '{out}': {exc.strerror or exc}") from None
    head, body = sweeps.table(rows)
    widths = [max(len(line[column]) for line in [head, *body]) for column in range(len(head))]
    for line in [head, *body]:
        print("  ".join(cell.ljust(width) if column == 0 else cell.rjust(width)
                        for column, (cell, width) in enumerate(zip(line, widths, strict=True))))
    if loaded.criteria is None:
        print("no criteria in the sweep file: targets not configured (give criteria: to check sct_targets)")
    print("wrote " + ", ".join(str(path) for path in written))
    return 1 if any(row["targets_met"] is False for row in rows) else 0
