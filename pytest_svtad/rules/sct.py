"""System Capacity Testing targets (SVTAD 5.2(d)), checked in one place for ``svtad sct`` and the SCT pack.

SEC Section H's numeric Target Response Times were not found (DOMAIN.md) and the seeds give no bandwidth or queue
limit: every limit comes from the criteria file (``sct_*`` keys). A limit that is not configured is not checked
here; the SCT pack fails its test as "not configured", the command says so in one line.

Pure: the input is the fleet summary (``simulators.fleet.model.summarise``, plain data) and the criteria.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pytest_svtad.rules.criteria import Criteria, SctTarget
from pytest_svtad.smets1.catalogue import srv_order

PERCENTILES = ("p50", "p95", "p99", "max")
MET, NOT_MET, NOT_MEASURED = "met", "NOT MET", "not measured"


@dataclass(frozen=True, slots=True)
class TargetCheck:
    """One limit against what the fleet run measured. ``line`` is what the command prints and the JSON keeps."""

    name: str  # "SRV 4.1.1 p95", "WAN per hub"...
    measured: float | None
    limit: float
    shown: str  # the measured value with its unit, "-" when not measured
    against: str  # the limit with its unit

    @property
    def status(self) -> str:
        if self.measured is None:
            return NOT_MEASURED
        return MET if self.measured <= self.limit else NOT_MET

    @property
    def met(self) -> bool:
        return self.status == MET

    @property
    def line(self) -> str:
        return f"{self.name}: {self.shown} against {self.against}: {self.status}"


def response_times(summary: dict[str, Any], targets: dict[str, SctTarget]) -> list[TargetCheck]:
    """Each configured percentile of each SRV's response time, SRVs in numeric order."""
    checks = []
    for srv in sorted(targets, key=srv_order):
        measured = summary["response_times_s"].get(srv, {})
        for name in PERCENTILES:
            limit = getattr(targets[srv], f"{name}_s")
            if limit is None:
                continue
            value = measured.get(name)
            checks.append(TargetCheck(f"SRV {srv} {name}", value, limit,
                                      "-" if value is None else f"{value:.2f} s", f"{limit:g} s"))
    return checks


def wan_per_hub_per_day(summary: dict[str, Any]) -> float:
    """The busiest hub's WAN bytes scaled to a day (a run of other than 24 h is scaled linearly)."""
    return float(summary["wan"]["per_hub_max_bytes"]) / max(summary["hours"] / 24, 1e-9)


def wan_budget(summary: dict[str, Any], budget: int) -> TargetCheck:
    scaled = "" if summary["hours"] == 24 else f", scaled from {summary['hours']:g} h"
    per_day = wan_per_hub_per_day(summary)
    return TargetCheck(f"WAN per hub (max, per day{scaled})", per_day, budget, f"{per_day:,.0f} B", f"{budget:,} B")


def end_of_day_queue(summary: dict[str, Any], most: int) -> TargetCheck:
    """Requests still queued (DCC adapter + head-end) in the last simulated hour: the load was processed."""
    value = summary["queues"].get("last_hour_max_queued")
    return TargetCheck("queued in the last hour (max)", value, most, "-" if value is None else f"{value:,}",
                       f"{most:,}")


def outage_drain(summary: dict[str, Any], most_s: float) -> TargetCheck | None:
    """How long the backlog of the run's (first) head-end outage took to clear; None without an outage."""
    outage = next((fault for fault in summary["faults"] if fault["kind"] == "head_end_outage"), None)
    if outage is None:
        return None
    value = outage.get("drained_after_s")
    return TargetCheck("head-end outage backlog drained after", value, most_s,
                       "-" if value is None else f"{value:,.0f} s", f"{most_s:g} s")


def read_e21_fraction(summary: dict[str, Any], most: float, srv: str = "4.1.1") -> TargetCheck:
    """The share of reads (after their retries) still answered E21."""
    outcomes = summary["response_times_s"].get(srv, {}).get("outcomes", {})
    total = sum(outcomes.values())
    value = outcomes.get("E21", 0) / total if total else None
    return TargetCheck(f"SRV {srv} answered E21 (share)", value, most,
                       "-" if value is None else f"{value:.2%}", f"{most:.2%}")


def check(summary: dict[str, Any], criteria: Criteria) -> list[TargetCheck]:
    """Every SCT limit the criteria file configures that applies to this run."""
    checks = response_times(summary, criteria.sct_targets)
    if criteria.sct_wan_bytes_per_hub_per_day is not None:
        checks.append(wan_budget(summary, criteria.sct_wan_bytes_per_hub_per_day))
    if criteria.sct_end_of_day_queue_max is not None:
        checks.append(end_of_day_queue(summary, criteria.sct_end_of_day_queue_max))
    if criteria.sct_outage_drain_max_s is not None:
        drained = outage_drain(summary, criteria.sct_outage_drain_max_s)
        if drained is not None:
            checks.append(drained)
    if criteria.sct_read_e21_max_fraction is not None:
        checks.append(read_e21_fraction(summary, criteria.sct_read_e21_max_fraction))
    return checks


def chart_targets(criteria: Criteria) -> dict[str, dict[str, float]]:
    """The response-time targets as plain data for the charts (``simulators`` knows no criteria): SRV ->
    {"p95": s, "p99": s, ...}, only the percentiles configured."""
    return {srv: {name: value for name in PERCENTILES if (value := getattr(target, f"{name}_s")) is not None}
            for srv, target in criteria.sct_targets.items()}
