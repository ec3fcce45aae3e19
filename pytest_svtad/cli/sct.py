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

    if args.installations <= 0:
        raise SvtadInputError("--installations", f"expected a whole number > 0, got '{args.installations}'")
    positive_number(args.hours, "--hours", most=MAX_HOURS)
    profile = load_profile(Path(args.profile))
    criteria = load_criteria(Path(args.criteria)) if args.criteria else None  # a bad file is said before the run
    out = output_folder(Path(args.out), "--out")
    result = Fleet(profile, args.installations, seed=args.seed).run(args.hours, None if args.quiet else Progress())
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
    print(f"{args.installations:,} installations, {args.hours:g} h of '{profile.name}': "
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
