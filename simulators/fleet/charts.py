"""PNG charts of a fleet run: response-time distribution per SRV against its targets, throughput and queues over
time with fault windows marked, WAN bytes per hour and per comms hub against the budget.

Targets arrive as plain data (``pytest_svtad.rules.sct.chart_targets``): the simulators know no criteria file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_svtad.smets1.catalogue import srv_order
from simulators.fleet.model import FleetResult

# Okabe-Ito: told apart with any colour vision, and in greyscale by their line styles
BLUE, ORANGE, GREEN, VERMILION, GREY, PURPLE = "#0072B2", "#E69F00", "#009E73", "#D55E00", "#6B6B6B", "#CC79A7"
TARGET_STYLE = {"p50": (GREY, "-."), "p95": (ORANGE, "--"), "p99": (VERMILION, ":"), "max": (PURPLE, "-")}
FAULT_NAMES = {"head_end_outage": "head-end outage", "wan_loss": "WAN loss"}
DPI = 110


def fault_windows(result: FleetResult) -> list[tuple[float, float, str]]:
    """(start hour, end hour, label) of each timed fault of the run."""
    windows = []
    for fault in result.faults:
        if fault["kind"] not in FAULT_NAMES or "at_s" not in fault:
            continue
        start = fault["at_s"] / 3600
        end = start + fault["minutes"] / 60
        clock = f"{int(start):02d}:{round(start % 1 * 60):02d}"
        label = f"{FAULT_NAMES[fault['kind']]} {clock}, {fault['minutes']:g} min"
        if fault["kind"] == "wan_loss":
            label += f" at {fault.get('rate', 0):.0%}"
        windows.append((start, end, label))
    return windows


def _mark_faults(ax: Any, windows: list[tuple[float, float, str]], label: bool) -> None:
    for start, end, text in windows:
        ax.axvspan(start, end, color=VERMILION, alpha=0.13, lw=0, label=text if label else None)


def write_charts(result: FleetResult, folder: Path, scenario: str | None = None,
                 targets: Mapping[str, Mapping[str, float]] | None = None,
                 wan_budget: float | None = None) -> list[Path]:
    """``targets``: SRV -> {"p95": seconds, ...}; ``wan_budget``: bytes per comms hub per day."""
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np
    from matplotlib import pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    targets = targets or {}
    written = []
    named = f"scenario '{scenario}' — " if scenario else ""
    title = f"{named}{result.profile}: {result.installations:,} installations, {result.hours:g} h"
    windows = fault_windows(result)

    def save(fig: Any, name: str) -> None:
        path = folder / name
        fig.savefig(path, bbox_inches="tight", pad_inches=0.15)  # long labels are kept, never cut off
        plt.close(fig)
        written.append(path)

    srvs = sorted(result.response_times, key=srv_order)
    fig, ax = plt.subplots(figsize=(max(7.0, 1.6 + 0.95 * len(srvs)), 4.6), dpi=DPI)
    if srvs:
        data = [np.frombuffer(result.response_times[srv], dtype=np.float64) for srv in srvs]
        ax.boxplot(data, whis=(1, 99), showfliers=False, widths=0.5,
                   medianprops={"color": BLUE, "linewidth": 1.6}, boxprops={"color": "#1d1d1f"})
        ax.set_xticks(range(1, len(srvs) + 1), srvs)
        p95 = [float(np.percentile(values, 95)) for values in data]
        ax.plot(range(1, len(srvs) + 1), p95, linestyle="none", marker="v", color=BLUE, label="measured p95")
        shown: set[str] = set()
        for index, srv in enumerate(srvs, start=1):
            for name, limit in sorted(targets.get(srv, {}).items()):
                colour, style = TARGET_STYLE.get(name, (GREY, "-"))
                ax.plot([index - 0.42, index + 0.42], [limit, limit], color=colour, linestyle=style, linewidth=1.8,
                        label="_nolegend_" if name in shown else f"target {name}")
                shown.add(name)
        ax.set_yscale("log")  # seconds to the minutes of an outage on one axis
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g} s"))
        ax.legend(fontsize=8, loc="upper left", framealpha=0.9)
    ax.set_ylabel("response time (log scale)")
    ax.set_xlabel("SRV (box p25–p75, line median, whiskers p1–p99)")
    ax.grid(axis="y", which="major", color="#e0e0e0")
    ax.set_title(f"Response times by SRV\n{title}", fontsize=9)
    save(fig, "sct-response-times.png")

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9.5, 6.4), dpi=DPI, sharex=True)
    hours = np.arange(len(result.completed_per_hour))
    top.bar(hours + 0.5, result.completed_per_hour, width=0.8, color=BLUE, label="completed")
    top.step(np.arange(len(result.arrivals_per_hour)) + 0.5, result.arrivals_per_hour, color="#1d1d1f",
             label="arrived", where="mid")
    _mark_faults(top, windows, label=True)
    top.set_ylabel("requests per hour")
    top.legend(fontsize=8, loc="upper left")
    top.set_title(f"Throughput and queues\n{title}", fontsize=9)
    if result.queue_samples:
        samples = np.array(result.queue_samples)
        t = samples[:, 0] / 3600
        bottom.plot(t, samples[:, 1], color=BLUE, label="DCC adapter queue")
        bottom.plot(t, samples[:, 2], color=ORANGE, linestyle="--", label="head-end queue")
        bottom.plot(t, samples[:, 3], color=VERMILION, label="head-end outage backlog")
        bottom.plot(t, samples[:, 4], color=GREEN, linestyle=":", label="requests in flight")
    _mark_faults(bottom, windows, label=False)
    bottom.set_xlabel("hour of the simulated day")
    bottom.set_ylabel("requests")
    bottom.set_xlim(0, max(1, len(result.completed_per_hour)))
    bottom.set_xticks(range(0, max(1, len(result.completed_per_hour)) + 1, 3))
    bottom.legend(fontsize=8, loc="upper left")
    save(fig, "sct-throughput-queues.png")

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.0), dpi=DPI, gridspec_kw={"width_ratios": [3, 2]})
    per_hour = np.array(result.wan_bytes_per_hour, dtype=float)
    left.bar(np.arange(len(per_hour)) + 0.5, per_hour / 1e6, width=0.8, color=BLUE)
    _mark_faults(left, windows, label=True)
    left.set_xlim(0, max(1, len(per_hour)))
    left.set_xticks(range(0, max(1, len(per_hour)) + 1, 3))
    left.set_xlabel("hour of the simulated day")
    left.set_ylabel("WAN MB per hour (all hubs)")
    if windows:
        left.legend(fontsize=8, loc="upper left")
    hubs = np.frombuffer(result.hub_bytes, dtype=np.uint64).astype(float)
    per_day = hubs / max(result.hours / 24, 1e-9)
    if per_day.size:
        right.hist(per_day, bins=40, color=BLUE, alpha=0.85)
    right.axvline(float(np.percentile(per_day, 99)) if per_day.size else 0, color=ORANGE, linestyle="--",
                  label="p99 hub")
    if wan_budget is not None:
        right.axvline(wan_budget, color=VERMILION, linewidth=2, label=f"budget {wan_budget:,.0f} B/day")
    right.set_yscale("log")
    right.set_xlabel("WAN bytes per comms hub per day" + ("" if result.hours == 24 else
                                                          f" (scaled from {result.hours:g} h)"))
    right.set_ylabel("comms hubs")
    right.legend(fontsize=8)
    mean, top_hub = (float(hubs.mean()), float(hubs.max())) if hubs.size else (0.0, 0.0)
    fig.suptitle(f"WAN bandwidth — {title}\nper hub: mean {mean:,.0f} B, max {top_hub:,.0f} B", fontsize=9)
    save(fig, "sct-wan-bandwidth.png")
    return written


def write_sweep_chart(scenarios: list[tuple[str, Mapping[str, float]]], path: Path) -> Path:
    """One chart across a sweep's scenarios: each SRV's p95 response time per scenario (a marker and line style
    per SRV, so the chart reads in greyscale too)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    srvs = sorted({srv for _, p95 in scenarios for srv in p95}, key=srv_order)
    colours = [BLUE, ORANGE, GREEN, VERMILION, GREY, PURPLE]
    markers = ["o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p"]  # one per SRV: told apart without colour
    lines = ["-", "--", "-.", ":"]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(scenarios) + 3), 4.6))
    positions = list(range(len(scenarios)))
    for number, srv in enumerate(srvs):
        values = [p95.get(srv, float("nan")) for _, p95 in scenarios]
        ax.plot(positions, values, color=colours[number % len(colours)], marker=markers[number % len(markers)],
                ls=lines[number % len(lines)], lw=1.2, label=f"SRV {srv}")
    measured = [value for _, p95 in scenarios for value in p95.values() if value > 0]
    if measured and max(measured) > 20 * min(measured):
        ax.set_yscale("log")  # an outage's minutes and a quiet day's seconds on one chart
        ax.set_ylabel("p95 response time (s, log scale)")
    ax.set_xticks(positions)
    ax.set_xticklabels([name for name, _ in scenarios], rotation=30, ha="right", fontsize=8)
    if ax.get_yscale() != "log":
        ax.set_ylabel("p95 response time (s)")
    ax.set_title(f"SCT sweep: {len(scenarios)} scenarios")
    ax.grid(axis="y", alpha=0.3)
    if srvs:
        ax.legend(fontsize=7, ncol=2, loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path
