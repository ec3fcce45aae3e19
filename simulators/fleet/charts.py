"""PNG charts of a fleet run: response-time distribution per SRV, throughput and queues over time, WAN bytes."""

from __future__ import annotations

from pathlib import Path

from simulators.fleet.model import FleetResult


def write_charts(result: FleetResult, folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np
    from matplotlib import pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    title = f"{result.profile}: {result.installations:,} installations, {result.hours:g} h"

    srvs = sorted(result.response_times)
    fig, ax = plt.subplots(figsize=(max(6, 1 + 0.9 * len(srvs)), 4.2), dpi=110)
    if srvs:
        data = [np.frombuffer(result.response_times[srv], dtype=np.float64) for srv in srvs]
        ax.boxplot(data, whis=(1, 99), showfliers=False)
        ax.set_xticks(range(1, len(srvs) + 1), srvs)
        for index, values in enumerate(data, start=1):
            ax.plot(index, np.percentile(values, 95), marker="v", color="#b3261e")
    ax.set_ylabel("response time (s): box p25-p75, whiskers p1-p99, ▼ p95")
    ax.set_xlabel("SRV")
    ax.set_title(f"Response times by SRV — {title}", fontsize=9)
    fig.tight_layout()
    path = folder / "sct-response-times.png"
    fig.savefig(path)
    plt.close(fig)
    written.append(path)

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), dpi=110, sharex=True)
    hours = np.arange(len(result.completed_per_hour))
    top.bar(hours, result.completed_per_hour, width=0.8, color="#2e7d32", label="completed")
    top.step(np.arange(len(result.arrivals_per_hour)) + 0.5, result.arrivals_per_hour, color="#1d1d1f",
             label="arrived", where="mid")
    top.set_ylabel("requests per hour")
    top.legend(fontsize=8)
    top.set_title(f"Throughput and queues — {title}", fontsize=9)
    if result.queue_samples:
        samples = np.array(result.queue_samples)
        t = samples[:, 0] / 3600
        bottom.plot(t, samples[:, 1], label="DCC adapter queue")
        bottom.plot(t, samples[:, 2], label="head-end queue")
        bottom.plot(t, samples[:, 3], label="head-end outage backlog")
        bottom.plot(t, samples[:, 4], label="requests in flight", alpha=0.6)
    bottom.set_xlabel("hour of the simulated day")
    bottom.set_ylabel("requests")
    bottom.legend(fontsize=8)
    fig.tight_layout()
    path = folder / "sct-throughput-queues.png"
    fig.savefig(path)
    plt.close(fig)
    written.append(path)

    fig, ax = plt.subplots(figsize=(9, 3.6), dpi=110)
    per_hour = np.array(result.wan_bytes_per_hour, dtype=float)
    ax.bar(np.arange(len(per_hour)), per_hour / 1e6, width=0.8, color="#1565c0")
    ax.set_xlabel("hour of the simulated day")
    ax.set_ylabel("WAN MB per hour (all hubs)")
    hubs = np.frombuffer(result.hub_bytes, dtype=np.uint64)
    ax.set_title(f"WAN bandwidth — {title}; per hub: mean {hubs.mean():,.0f} B, p99 "
                 f"{np.percentile(hubs, 99):,.0f} B, max {hubs.max():,} B", fontsize=9)
    fig.tight_layout()
    path = folder / "sct-wan-bandwidth.png"
    fig.savefig(path)
    plt.close(fig)
    written.append(path)
    return written
