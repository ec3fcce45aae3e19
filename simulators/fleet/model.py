"""The fleet in one SimPy environment. Installations are indices, not processes: an idle installation costs no
event and a few bytes (its WAN byte counter); only Service Requests and alerts in flight are processes.

A request: arrives (Poisson per stream, the on-demand rate shaped by the diurnal profile), queues for the DCC
adapter (``servers`` at once), then for the SMSO head-end (waiting out any head-end outage: the backlog), then
crosses the WAN to the hub and the device and back in one timed step (latency + bytes / bandwidth + the device's
response time); a lost transmission costs the response timeout, reads are retried twice, updates never.
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from pytest_svtad.smets1.catalogue import default_catalogue, srv_order
from pytest_svtad.smets1.retries import READ_RETRIES, attempts
from simulators.fleet.profile import LoadProfile
from simulators.rng import LatencySampler, stream

SAMPLE_S = 60.0  # queue depth sampling
LAST_HOUR_SAMPLES = int(3600 / SAMPLE_S)
Floats = Any  # array("d") from this engine, a numpy float64 array from ``vector.py``: both are buffers of doubles


def drain_horizon(profile: LoadProfile, until: float) -> float:
    """When a run stops: the simulated period, then long enough for every request in flight to finish."""
    return until + 4 * profile.response_timeout_s * (1 + READ_RETRIES)


@dataclass
class FleetResult:
    installations: int
    hours: float
    seed: int
    profile: str
    events: int = 0
    wall_s: float = 0.0
    response_times: dict[str, Floats] = field(default_factory=dict)  # SRV -> seconds, completed requests
    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)  # SRV -> code -> count
    failures_by_dmc: dict[str, dict[str, int]] = field(default_factory=dict)  # DMC -> SRV -> E21 count
    completed_per_hour: list[int] = field(default_factory=list)
    arrivals_per_hour: list[int] = field(default_factory=list)
    wan_bytes_per_hour: list[int] = field(default_factory=list)
    # (time, adapter queue, head-end queue, head-end outage backlog, requests in flight), every SAMPLE_S
    queue_samples: list[tuple[float, int, int, int, int]] = field(default_factory=list)
    alert_delivery_s: Floats = field(default_factory=lambda: array("d"))
    hub_bytes: Any = field(default_factory=lambda: array("Q"))  # array("Q") or a numpy uint64 array
    peak_hub_hour_bytes: int = 0  # the most bytes any one comms hub moved in one clock hour
    end_s: float = 0.0  # simulated time when the last request finished
    in_flight_area: float = 0.0  # integral of requests in the system over time (Little's law)
    adapter_waits: Floats = field(default_factory=lambda: array("d"))
    faults: list[dict[str, Any]] = field(default_factory=list)
    engine: str = "simpy"
    passes: int = 0  # the vector engine's adapter/head-end passes (see vector.py)


class Fleet:
    def __init__(self, profile: LoadProfile, installations: int, seed: int = 0) -> None:
        if installations <= 0:
            raise ValueError("installations must be positive")
        self.profile = profile
        self.n = installations
        self.seed = seed
        self.env = simpy.Environment()
        self.rng = stream(seed, "fleet")
        self._latency = LatencySampler(profile.wan.latency, stream(seed, "fleet-wan"))
        self._device = LatencySampler(profile.device_response, stream(seed, "fleet-device"))
        cap = profile.capacity
        self.adapter = simpy.Resource(self.env, capacity=cap.dcc_adapter.servers)
        self.head_end = simpy.Resource(self.env, capacity=cap.head_end.servers)
        self.adapter_s = cap.dcc_adapter.service_ms / 1000
        self.head_end_s = cap.head_end.service_ms / 1000
        self.catalogue = default_catalogue()
        self.result = FleetResult(installations, 0, seed, profile.name)
        self.result.hub_bytes = array("Q", bytes(8 * installations))
        self._hub_hour = array("l", [-1]) * installations  # the hour each hub's running count belongs to
        self._hub_hour_bytes = array("Q", bytes(8 * installations))
        self._in_flight = 0
        self._last_change = 0.0
        self._backlog = 0
        self._head_end_restored: simpy.Event | None = None
        self._wan_loss = profile.wan.loss
        # installations are split among DMCs by index ranges
        self._dmc_bounds: list[int] = []
        self._dmc_names: list[str] = []
        total = 0.0
        for name, share in profile.dmc_shares.items():
            total += share
            self._dmc_bounds.append(math.ceil(total * installations))
            self._dmc_names.append(name)
        self._bugs = {(fault.dmc, fault.srv): fault for fault in profile.faults if fault.kind == "firmware_bug"}

    # --- bookkeeping -------------------------------------------------------------------------------------------

    def _hour(self) -> int:
        return int(self.env.now // 3600)

    def _count(self, series: list[int], amount: int = 1) -> None:
        hour = self._hour()
        while len(series) <= hour:
            series.append(0)
        series[hour] += amount

    def _flight(self, delta: int) -> None:
        now = self.env.now
        self.result.in_flight_area += self._in_flight * (now - self._last_change)
        self._last_change = now
        self._in_flight += delta

    def dmc_of(self, installation: int) -> str:
        return self._dmc_names[bisect.bisect_right(self._dmc_bounds, installation)]

    # --- arrivals ----------------------------------------------------------------------------------------------

    def _poisson(self, rate_at: Callable[[float], float], until: float,
                 make: Callable[[], Generator[Any, Any, None]],
                 change_after: Callable[[float], float] | None = None) -> Generator[Any, Any, None]:
        """Arrivals at a piecewise-constant rate (per second): constant within each hour and, when
        ``change_after`` is given, up to the next time it names (a scheduled window's edge)."""
        env, rng = self.env, self.rng
        while env.now < until:
            rate = rate_at(env.now)
            boundary = (env.now // 3600 + 1) * 3600
            edge = change_after(env.now) if change_after is not None else math.inf
            if env.now < edge < boundary:  # (an edge within a rounding error of now is passed over)
                boundary = edge
            if rate <= 0:
                yield env.timeout(min(boundary, until) - env.now)
                continue
            gap = rng.expovariate(rate)
            if env.now + gap >= boundary:
                yield env.timeout(boundary - env.now)  # memoryless: draw again at the next rate
                continue
            yield env.timeout(gap)
            env.process(make())

    def _on_demand(self, until: float) -> Generator[Any, Any, None]:
        mix = self.profile.on_demand
        if not mix:
            return
        daily = sum(item.per_installation_per_day for item in mix)
        cumulative, running = [], 0.0
        for item in mix:
            running += item.per_installation_per_day / daily
            cumulative.append(running)
        diurnal = self.profile.diurnal
        base = self.n * daily / 86400

        def make() -> Generator[Any, Any, None]:
            item = mix[min(bisect.bisect_left(cumulative, self.rng.random()), len(mix) - 1)]
            return self._request(item.srv, self.rng.randrange(self.n))

        yield from self._poisson(lambda t: base * diurnal[int(t // 3600) % 24], until, make)

    def _scheduled(self, item: Any, until: float) -> Generator[Any, Any, None]:
        count = item.share * self.n
        rate = count / (item.spread_minutes * 60)
        window = item.spread_minutes * 60

        def rate_at(t: float) -> float:
            into = (t - item.start_s) % 86400
            return rate if into < window else 0.0

        def change_after(t: float) -> float:
            """The window's next edge: a window that opens or closes inside an hour (04:30) is honoured, not
            rounded to the hour it was in when the hour began."""
            into = (t - item.start_s) % 86400
            return t + (window - into if into < window else 86400 - into)

        yield from self._poisson(rate_at, until, lambda: self._request(item.srv, self.rng.randrange(self.n)),
                                 change_after)

    def _alerts(self, until: float) -> Generator[Any, Any, None]:
        rate = self.n * self.profile.alerts.per_installation_per_day / 86400
        if rate > 0:
            yield from self._poisson(lambda _t: rate, until, lambda: self._alert(self.rng.randrange(self.n)))

    # --- the work ----------------------------------------------------------------------------------------------

    def _through_head_end(self) -> Generator[Any, Any, None]:
        if self._head_end_restored is not None:
            self._backlog += 1
            yield self._head_end_restored
            self._backlog -= 1
        with self.head_end.request() as slot:
            yield slot
            yield self.env.timeout(self.head_end_s)

    def _request(self, srv: str, installation: int) -> Generator[Any, Any, None]:
        env, profile, result = self.env, self.profile, self.result
        start = env.now
        self._count(result.arrivals_per_hour)
        self._flight(+1)
        with self.adapter.request() as slot:
            yield slot
            result.adapter_waits.append(env.now - start)
            yield env.timeout(self.adapter_s)
        yield from self._through_head_end()
        entry = self.catalogue[srv]
        sizes = profile.sizes
        out_bytes, back_bytes = sizes.request, sizes.per_srv_response.get(srv, sizes.response)
        bandwidth = profile.wan.bandwidth_bps
        bug = self._bugs.get((self.dmc_of(installation), srv))
        code = "E21"
        for _ in range(attempts(entry)):
            self._wan(installation, out_bytes)
            if self.rng.random() < self._wan_loss or (bug is not None and bug.effect == "timeout"):
                yield env.timeout(profile.response_timeout_s)
                continue
            device = self._device.sample() * (10 if bug is not None else 1)
            trip = self._latency.sample() + self._latency.sample() + (out_bytes + back_bytes) * 8 / bandwidth
            if self.rng.random() < self._wan_loss:  # the answer is lost on the way back
                yield env.timeout(profile.response_timeout_s)
                continue
            yield env.timeout(trip + device)
            self._wan(installation, back_bytes)
            code = "I0"
            break
        self._flight(-1)
        self._count(result.completed_per_hour)
        outcomes = result.outcomes.setdefault(srv, {})
        outcomes[code] = outcomes.get(code, 0) + 1
        if code == "I0":
            result.response_times.setdefault(srv, array("d")).append(env.now - start)
        else:
            by_dmc = result.failures_by_dmc.setdefault(self.dmc_of(installation), {})
            by_dmc[srv] = by_dmc.get(srv, 0) + 1

    def _alert(self, installation: int) -> Generator[Any, Any, None]:
        start = self.env.now
        size = self.profile.alerts.bytes
        yield self.env.timeout(self._latency.sample() + size * 8 / self.profile.wan.bandwidth_bps)
        self._wan(installation, size)
        yield from self._through_head_end()
        queued = self.env.now
        with self.adapter.request() as slot:
            yield slot
            self.result.adapter_waits.append(self.env.now - queued)
            yield self.env.timeout(self.adapter_s)
        self.result.alert_delivery_s.append(self.env.now - start)

    def _wan(self, installation: int, size: int) -> None:
        self.result.hub_bytes[installation] += size
        hour = self._hour()
        if self._hub_hour[installation] != hour:
            self._close_hub_hour(installation)
            self._hub_hour[installation] = hour
        self._hub_hour_bytes[installation] += size
        self._count(self.result.wan_bytes_per_hour, size)

    def _close_hub_hour(self, installation: int) -> None:
        used = self._hub_hour_bytes[installation]
        if used > self.result.peak_hub_hour_bytes:
            self.result.peak_hub_hour_bytes = used
        self._hub_hour_bytes[installation] = 0

    # --- faults and sampling -----------------------------------------------------------------------------------

    def _fault(self, fault: Any) -> Generator[Any, Any, None]:
        yield self.env.timeout(fault.start_s)
        record = {"kind": fault.kind, "at_s": self.env.now, "minutes": fault.minutes}
        if fault.kind == "head_end_outage":
            self._head_end_restored = self.env.event()
            yield self.env.timeout(fault.minutes * 60)
            restored, self._head_end_restored = self._head_end_restored, None
            record["backlog_at_restore"] = self._backlog
            restored.succeed()
            released = self.env.now
            yield self.env.timeout(0)
            while self.head_end.queue or self._backlog:
                yield self.env.timeout(1)
            record["drained_after_s"] = self.env.now - released
        elif fault.kind == "wan_loss":
            self._wan_loss = fault.rate
            record["rate"] = fault.rate
            yield self.env.timeout(fault.minutes * 60)
            self._wan_loss = self.profile.wan.loss
        self.result.faults.append(record)

    def _sampler(self, until: float) -> Generator[Any, Any, None]:
        while self.env.now < until:
            self.result.queue_samples.append((self.env.now, len(self.adapter.queue), len(self.head_end.queue),
                                              self._backlog, self._in_flight))
            yield self.env.timeout(SAMPLE_S)

    # --- running -----------------------------------------------------------------------------------------------

    def run(self, hours: float, progress: Callable[[float], None] | None = None) -> FleetResult:
        import time

        until = hours * 3600
        env = self.env
        env.process(self._on_demand(until))
        for item in self.profile.scheduled:
            env.process(self._scheduled(item, until))
        env.process(self._alerts(until))
        env.process(self._sampler(until))
        for fault in self.profile.faults:
            if fault.kind != "firmware_bug" and fault.start_s < until:
                env.process(self._fault(fault))
        for fault in self.profile.faults:
            if fault.kind == "firmware_bug":
                self.result.faults.append({"kind": "firmware_bug", "dmc": fault.dmc, "srv": fault.srv,
                                           "effect": fault.effect})
        started = time.perf_counter()
        events = 0
        next_report = min(3600.0, until)
        step, peek = env.step, env.peek
        drain = drain_horizon(self.profile, until)  # let requests in flight finish
        while peek() < drain:
            step()
            events += 1
            if progress is not None and env.now >= next_report:
                progress(min(env.now, until) / until)
                next_report = next_report + 3600 if next_report < until else math.inf
        self._flight(0)
        self.result.peak_hub_hour_bytes = max(self.result.peak_hub_hour_bytes, max(self._hub_hour_bytes, default=0))
        self.result.end_s = env.now
        self.result.events = events
        self.result.wall_s = time.perf_counter() - started
        self.result.hours = hours
        if progress is not None and next_report != math.inf:
            progress(1.0)
        return self.result


def percentiles(values: Floats, points: tuple[float, ...] = (50, 95, 99)) -> dict[str, float]:
    import numpy as np

    if not len(values):
        return {}
    data = np.frombuffer(values, dtype=np.float64)
    found = {f"p{int(p)}": float(np.percentile(data, p)) for p in points}
    found["max"] = float(data.max())
    found["mean"] = float(data.mean())
    found["count"] = int(data.size)
    return found


def summarise(result: FleetResult) -> dict[str, Any]:
    """The JSON summary: per SRV response times and outcomes, throughput, queues, bandwidth, faults."""
    hub = result.hub_bytes
    import numpy as np

    hubs = np.frombuffer(hub, dtype=np.uint64) if len(hub) else np.zeros(1, dtype=np.uint64)
    duration = result.end_s or result.hours * 3600
    completed = sum(result.completed_per_hour)
    srvs = sorted(set(result.response_times) | set(result.outcomes), key=srv_order)  # 4.8.1 before 11.2
    by_srv = {srv: {**(percentiles(result.response_times[srv]) if srv in result.response_times else {}),
                    "outcomes": result.outcomes.get(srv, {})} for srv in srvs}
    waits = percentiles(result.adapter_waits) if len(result.adapter_waits) else {}
    peak = max(result.queue_samples, key=lambda s: s[3] + s[2], default=(0, 0, 0, 0, 0))
    return {
        "profile": result.profile, "installations": result.installations, "hours": result.hours, "seed": result.seed,
        "engine": result.engine, "events": result.events, "wall_s": round(result.wall_s, 3),
        "events_per_s": round(result.events / result.wall_s) if result.wall_s else None,
        "requests": {"completed": completed, "arrived": sum(result.arrivals_per_hour),
                     "per_hour": result.completed_per_hour, "arrivals_per_hour": result.arrivals_per_hour},
        "response_times_s": by_srv,
        "failures_by_dmc": result.failures_by_dmc,
        "alerts": percentiles(result.alert_delivery_s),
        "wan": {"total_bytes": int(hubs.sum()), "per_hour": result.wan_bytes_per_hour,
                "per_hub_mean_bytes": float(hubs.mean()), "per_hub_max_bytes": int(hubs.max()),
                "per_hub_p99_bytes": float(np.percentile(hubs, 99)),
                "per_hub_peak_hour_bytes": result.peak_hub_hour_bytes,
                "per_hub_peak_bps": round(result.peak_hub_hour_bytes * 8 / 3600, 3)},
        "queues": {"peak_backlog": peak[3], "peak_head_end_queue": max((s[2] for s in result.queue_samples),
                                                                       default=0),
                   "peak_adapter_queue": max((s[1] for s in result.queue_samples), default=0),
                   # DCC adapter + head-end queues over the last simulated hour (was the day's load processed?)
                   "last_hour_max_queued": max((s[1] + s[2] for s in result.queue_samples[-LAST_HOUR_SAMPLES:]),
                                               default=0),
                   "mean_in_flight": result.in_flight_area / duration if duration else 0.0,
                   # sampled every SAMPLE_S: an independent measure to hold against Little's law
                   "mean_adapter_queue_sampled": (sum(s[1] for s in result.queue_samples) / len(result.queue_samples)
                                                  if result.queue_samples else 0.0),
                   "adapter_wait_s": waits},
        "faults": result.faults,
    }
