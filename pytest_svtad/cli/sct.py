"""``svtad sct``: run a fleet under a load profile; print a summary, write the JSON summary and PNG charts."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pytest_svtad.cli.input import output_folder, positive_number
from pytest_svtad.errors import SvtadInputError
from pytest_svtad.files.datafiles import load_criteria

MAX_HOURS = 24 * 366  # a simulated year: longer periods are a typing slip (and would run for days)


def _progress(fraction: float) -> None:
    done = int(fraction * 30)
    sys.stderr.write(f"\r[{'#' * done}{'.' * (30 - done)}] {fraction * 100:5.1f}% of the simulated period")
    if fraction >= 1:
        sys.stderr.write("\n")
    sys.stderr.flush()


def check_targets(summary: dict, criteria_path: Path | None) -> list[str]:
    """One line per target: met or not (targets come from the criteria file: the seeds give none)."""
    if criteria_path is None:
        return ["no criteria file: response-time targets not configured (SEC H3 Target Response Times were not "
                "found in the seeds; give sct_targets in --criteria)"]
    criteria = load_criteria(criteria_path)
    lines = []
    for srv, target in sorted(criteria.sct_targets.items()):
        measured = summary["response_times_s"].get(srv, {})
        for name in ("p50", "p95", "p99", "max"):
            limit = getattr(target, f"{name}_s")
            if limit is None:
                continue
            value = measured.get(name)
            status = "not measured" if value is None else ("met" if value <= limit else "NOT MET")
            shown = "-" if value is None else f"{value:.2f} s"
            lines.append(f"SRV {srv} {name}: {shown} against {limit:g} s: {status}")
    budget = criteria.sct_wan_bytes_per_hub_per_day
    if budget is not None:
        per_day = summary["wan"]["per_hub_max_bytes"] / max(summary["hours"] / 24, 1e-9)
        scaled = "" if summary["hours"] == 24 else f", scaled from {summary['hours']:g} h"
        lines.append(f"WAN per hub (max, per day{scaled}): {per_day:,.0f} B against {budget:,} B: "
                     f"{'met' if per_day <= budget else 'NOT MET'}")
    return lines


def sct(args: argparse.Namespace) -> int:
    from pytest_svtad.files.fleet_profile import load_profile
    from simulators.fleet import Fleet
    from simulators.fleet.charts import write_charts
    from simulators.fleet.model import summarise

    if args.installations <= 0:
        raise SvtadInputError("--installations", f"expected a whole number > 0, got '{args.installations}'")
    positive_number(args.hours, "--hours", most=MAX_HOURS)
    profile = load_profile(Path(args.profile))
    if args.criteria:
        load_criteria(Path(args.criteria))  # a bad criteria file is said before the run, not after it
    out = output_folder(Path(args.out), "--out")
    result = Fleet(profile, args.installations, seed=args.seed).run(args.hours, None if args.quiet else _progress)
    summary = summarise(result)
    summary["targets"] = check_targets(summary, Path(args.criteria) if args.criteria else None)
    try:
        (out / "sct-summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        charts = write_charts(result, out)
    except OSError as exc:
        raise SvtadInputError("--out", f"cannot write into '{out}': {exc.strerror or exc}") from None
    requests = summary["requests"]
    print(f"{args.installations:,} installations, {args.hours:g} h of '{profile.name}': "
          f"{requests['completed']:,} requests, {summary['events']:,} events in {summary['wall_s']:.1f} s "
          f"({summary['events_per_s']:,} events/s)")
    for srv, row in summary["response_times_s"].items():
        if "p95" in row:
            print(f"  SRV {srv:<7} p50 {row['p50']:6.2f} s  p95 {row['p95']:6.2f} s  p99 {row['p99']:6.2f} s  "
                  f"max {row['max']:6.2f} s  {row['outcomes']}")
    wan = summary["wan"]
    print(f"  WAN: {wan['total_bytes']:,} bytes in all; per hub mean {wan['per_hub_mean_bytes']:,.0f} B, "
          f"p99 {wan['per_hub_p99_bytes']:,.0f} B, max {wan['per_hub_max_bytes']:,} B; busiest hub-hour "
          f"{wan['per_hub_peak_hour_bytes']:,} B ({wan['per_hub_peak_bps']:.2f} bit/s averaged over the hour)")
    for line in summary["targets"]:
        print(f"  target: {line}")
    print(f"wrote {out / 'sct-summary.json'}, " + ", ".join(path.name for path in charts))
    return 1 if any("NOT MET" in line for line in summary["targets"]) else 0
