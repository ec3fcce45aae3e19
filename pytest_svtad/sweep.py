"""SCT what-if sweeps (``svtad sct --sweep SWEEP.yaml``): every scenario of load profiles x fault sets x fleet
sizes, each one fleet run, on a local process pool (``concurrent.futures``) or on a Dask cluster given its
address. No scheduling of our own: the pool or Dask places the runs; this module only expands the sweep file into
scenarios, ships each as plain data, and gathers the small summaries into one table and one chart.

A SWEEP.yaml::

    hours: 24                      # simulated hours of every scenario (default 24)
    seed: 1                        # one seed for every scenario (common random numbers: the scenarios differ
                                   # by what the sweep varies, not by their draws)
    engine: vector                 # or simpy (the reference model; slow)
    installations: [100000, 1000000]
    load_profiles:                 # name: load profile file, relative to the sweep file
      sample-day: ../testpacks/sct/load-profile.yaml
    faults:                        # name: list of faults (the load profile's `faults` entries)
      baseline: []
      head-end outage: [{kind: head_end_outage, at: "09:00", minutes: 30}]
    criteria: criteria.yaml        # optional: SCT targets checked per scenario

The faults of a fault set replace those of the load profile.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pytest_svtad.errors import SvtadInputError
from pytest_svtad.files.datafiles import load_criteria
from pytest_svtad.files.fleet_profile import load_profile
from pytest_svtad.files.reader import load_yaml, validate
from pytest_svtad.rules import sct as sct_rules
from pytest_svtad.rules.criteria import Criteria
from simulators.fleet.profile import Fault

MAX_SCENARIOS = 1000  # a sweep bigger than this is a typing slip (each scenario is a fleet run)
MAX_INSTALLATIONS = 100_000_000
CONNECT_TIMEOUT_S = 10  # how long to wait for the Dask scheduler named by --cluster
TIMING_KEYS = ("wall_s", "events_per_s")  # the only summary fields that differ between runs of one seed


class SweepFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hours: float = Field(default=24, gt=0, le=24 * 366)
    seed: int = 0
    engine: Literal["vector", "simpy"] = "vector"
    installations: list[int] = Field(min_length=1)
    load_profiles: dict[str, str] = Field(min_length=1)
    faults: dict[str, list[Fault]] = {"baseline": []}
    criteria: str | None = None

    @field_validator("installations")
    @classmethod
    def _sizes(cls, value: list[int]) -> list[int]:
        for size in value:
            if not 0 < size <= MAX_INSTALLATIONS:
                raise ValueError(f"expected fleet sizes > 0 and <= {MAX_INSTALLATIONS:,}, got {size}")
        return value

    @field_validator("faults")
    @classmethod
    def _some(cls, value: dict[str, list[Fault]]) -> dict[str, list[Fault]]:
        if not value:
            raise ValueError("expected at least one fault set (baseline: [] for none)")
        return value


@dataclass(frozen=True)
class Scenario:
    """One fleet run of the sweep, as plain data a worker process or a Dask worker can be sent."""

    name: str
    load_profile: str
    fault_set: str
    installations: int
    hours: float
    seed: int
    engine: str
    profile: dict[str, Any]  # the LoadProfile with the fault set in, as its model_dump


@dataclass
class Sweep:
    path: Path
    scenarios: list[Scenario]
    criteria: Criteria | None


def load_sweep(path: Path) -> Sweep:
    """Read and check the sweep file and every file it names (errors: file, line, field), then expand it."""
    located = load_yaml(path, "sweep file")
    if not isinstance(located.data, dict):
        raise SvtadInputError(path, "sweep file: expected a mapping", 1)
    spec = validate(located, SweepFile, "sweep file")
    profiles = {}
    for name, relative in spec.load_profiles.items():
        target = (path.parent / relative)
        if not target.is_file():
            raise SvtadInputError(path, f"sweep file: load_profiles.{name}: no load profile file '{relative}' "
                                  f"(relative to the sweep file)", located.line_of(["load_profiles", name]))
        profiles[name] = load_profile(target)
    criteria = None
    if spec.criteria is not None:
        target = path.parent / spec.criteria
        if not target.is_file():
            raise SvtadInputError(path, f"sweep file: criteria: no criteria file '{spec.criteria}' (relative to the "
                                  "sweep file)", located.line_of(["criteria"]))
        criteria = load_criteria(target)
    scenarios = []
    for (pname, profile), (fname, faults), size in itertools.product(profiles.items(), spec.faults.items(),
                                                                       spec.installations):
        for fault in faults:
            if fault.kind == "firmware_bug" and fault.dmc not in profile.dmc_shares:
                raise SvtadInputError(path, f"sweep file: faults.{fname}: firmware_bug names DMC '{fault.dmc}', "
                                      f"which has no share in load profile '{pname}'", located.line_of(["faults",
                                                                                                         fname]))
        dumped = profile.model_copy(update={"faults": faults}).model_dump(mode="json")
        scenarios.append(Scenario(f"{pname} / {fname} / {size:,}", pname, fname, size, spec.hours, spec.seed,
                                  spec.engine, dumped))
    if len(scenarios) > MAX_SCENARIOS:
        raise SvtadInputError(path, f"sweep file: {len(scenarios)} scenarios (load profiles x fault sets x sizes); "
                              f"expected at most {MAX_SCENARIOS}")
    return Sweep(path, scenarios, criteria)


def run_scenario(scenario: Scenario) -> dict[str, Any]:
    """One fleet run on whichever worker it was sent to; returns the JSON summary (small: no per-request data)."""
    from simulators.fleet import Fleet
    from simulators.fleet.model import summarise
    from simulators.fleet.profile import LoadProfile
    from simulators.fleet.vector import VectorFleet

    profile = LoadProfile.model_validate(scenario.profile)
    engine = VectorFleet if scenario.engine == "vector" else Fleet
    return summarise(engine(profile, scenario.installations, seed=scenario.seed).run(scenario.hours))


def _local(scenarios: list[Scenario], workers: int) -> Iterator[tuple[int, dict[str, Any]]]:
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(run_scenario, scenario): index for index, scenario in enumerate(scenarios)}
        for future in as_completed(futures):
            yield futures[future], future.result()


def _dask(scenarios: list[Scenario], address: str) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        from distributed import Client
    except ImportError:
        raise SvtadInputError("--cluster", "needs Dask's distributed scheduler: pip install "
                              "'pytest-svtad[cluster]'") from None
    try:
        client = Client(address, timeout=f"{CONNECT_TIMEOUT_S}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SvtadInputError("--cluster", f"cannot reach the Dask scheduler at '{address}' within "
                              f"{CONNECT_TIMEOUT_S} s: {exc}") from None
    with client:
        futures = client.map(run_scenario, scenarios, pure=False)  # Dask places them; gathered in sweep order
        for number, future in enumerate(futures):
            yield number, future.result()


def run_sweep(sweep: Sweep, cluster: str | None = None, workers: int | None = None,
              done: Callable[[Scenario, dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Every scenario's row, in the sweep's order whatever order they finished in."""
    if cluster is not None and "://" not in cluster:
        raise SvtadInputError("--cluster", f"expected a Dask scheduler address such as tcp://host:8786, got "
                              f"'{cluster}'")
    scenarios = sweep.scenarios
    runs = (_dask(scenarios, cluster) if cluster is not None
            else _local(scenarios, workers or min(len(scenarios), os.cpu_count() or 1)))
    rows: list[dict[str, Any] | None] = [None] * len(scenarios)
    for index, summary in runs:
        scenario = scenarios[index]
        checks = sct_rules.check(summary, sweep.criteria) if sweep.criteria is not None else []
        rows[index] = {"scenario": scenario.name, "load_profile": scenario.load_profile,
                       "fault_set": scenario.fault_set, "installations": scenario.installations,
                       "targets": [check.line for check in checks],
                       "targets_met": all(check.met for check in checks) if checks else None, "summary": summary}
        if done is not None:
            done(scenario, summary)
    return [row for row in rows if row is not None]


def table(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """The one table across scenarios: volume, the worst p95 and p99 over SRVs, E21s, queues, WAN, targets."""
    head = ["scenario", "requests", "worst p95 s", "worst p99 s", "E21", "peak backlog", "busiest hub-hour B",
            "targets"]
    body = []
    for row in rows:
        summary = row["summary"]
        times = [r for r in summary["response_times_s"].values() if "p95" in r]
        e21 = sum(r["outcomes"].get("E21", 0) for r in summary["response_times_s"].values())
        met = row["targets_met"]
        body.append([row["scenario"], f"{summary['requests']['completed']:,}",
                     f"{max((r['p95'] for r in times), default=0):.2f}",
                     f"{max((r['p99'] for r in times), default=0):.2f}", f"{e21:,}",
                     f"{summary['queues']['peak_backlog']:,}", f"{summary['wan']['per_hub_peak_hour_bytes']:,}",
                     "not configured" if met is None else (sct_rules.MET if met else sct_rules.NOT_MET)])
    return head, body


def deterministic(summary: dict[str, Any]) -> dict[str, Any]:
    """A summary without its timing: what the same seed must reproduce byte for byte."""
    return {key: value for key, value in summary.items() if key not in TIMING_KEYS}


def write_outputs(rows: list[dict[str, Any]], out: Path) -> list[Path]:
    """``sweep-summary.json`` (every scenario's summary and target lines), ``sweep-table.csv`` and the chart."""
    import csv

    from simulators.fleet.charts import write_sweep_chart

    head, body = table(rows)
    summary_path = out / "sweep-summary.json"
    summary_path.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    table_path = out / "sweep-table.csv"
    with table_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(head)
        writer.writerows(body)
    chart = write_sweep_chart([(row["scenario"], {srv: r["p95"] for srv, r in row["summary"]["response_times_s"].items()
                                                  if "p95" in r}) for row in rows], out / "sweep-p95.png")
    return [summary_path, table_path, chart]
