"""The fleet model of ``model.py`` computed in closed form over numpy arrays: the engine for national scale.

The SimPy model spends most of its events in two first-come-first-served queues with fixed service times (the DCC
adapter and the SMSO head-end). With ``c`` servers and a fixed service time ``D``, customers start in arrival order
and the ``k``-th starts when the ``(k-c)``-th finishes: ``start[k] = max(arrival[k], start[k-c] + D)``. Along each
chain ``k, k+c, k+2c, ...`` that is a max-plus recurrence with the closed form
``start[j] = j*D + max(arrival[i] - i*D for i <= j)``: one cumulative maximum per chain, all chains at once. Every
other step of a request (WAN attempts, losses, retries, the device's answer) is a vector operation over the
requests still in flight, so the cost is linear in requests (installations x hours) with no sort of the arrivals:
Poisson arrivals are drawn per constant-rate segment already in order (exponential spacings).

The one coupling the closed form cannot see in one pass: alerts cross the head-end before the adapter, requests
the adapter before the head-end. The two queues are therefore solved alternately, starting from alerts that never
wait, until the alerts' arrivals at the adapter stop changing (the departure times only grow from one pass to the
next, so the passes converge to the causal solution; the count of passes is in the result).

Same model, different random streams: the results agree with ``model.py`` statistically, not draw for draw
(``benchmarks/bench_fleet_engines.py`` runs both and prints both). Deterministic per seed.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from pytest_svtad.smets1.catalogue import default_catalogue
from pytest_svtad.smets1.retries import READ_RETRIES, attempts
from simulators.fleet.model import LAST_HOUR_SAMPLES, SAMPLE_S, FleetResult, drain_horizon
from simulators.fleet.profile import LoadProfile
from simulators.rng import Z95

__all__ = ["VectorFleet", "fcfs_starts", "LAST_HOUR_SAMPLES"]
# Requests are worked through in chunks of this many: arrays of a whole national day (~20 million requests, 160 MB
# each) are allocated fresh by the kernel every time (page faults cost as much as the arithmetic at 10 million
# installations), chunk-sized ones are reused by the allocator. Fixed, so the random draws are the same every run.
CHUNK = 1 << 20
MAX_PASSES = 500  # adapter/head-end passes before giving up (a pass is linear; see the module docstring)
NO_BUG, BUG_TIMEOUT, BUG_SLOW = 0, 1, 2
FloatArray = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.int64]]


def fcfs_starts(arrivals: FloatArray, servers: int, service_s: float) -> FloatArray:
    """Start times of a FCFS queue with ``servers`` identical servers and a fixed ``service_s``, customers given
    in arrival order (``arrivals`` sorted, ties in queue order)."""
    count = len(arrivals)
    if count == 0:
        return arrivals.copy()
    rows = -(-count // servers)
    padded = np.full(rows * servers, np.inf)
    padded[:count] = arrivals
    grid = padded.reshape(rows, servers)
    offsets = (np.arange(rows, dtype=np.float64) * service_s)[:, None]
    np.subtract(grid, offsets, out=grid)  # in place: one array of the queue's size, not five (see CHUNK)
    np.maximum.accumulate(grid, axis=0, out=grid)
    np.add(grid, offsets, out=grid)
    starts = padded[:count]
    return np.maximum(starts, arrivals, out=starts)  # the closed form's rounding never starts anyone early


def _rng(seed: int) -> np.random.Generator:
    digest = hashlib.sha256(f"{seed}:fleet-vector".encode()).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest[:16], "big")))


class VectorFleet:
    """``Fleet``'s model (same profile, same ``FleetResult``) computed over arrays; see the module docstring."""

    def __init__(self, profile: LoadProfile, installations: int, seed: int = 0) -> None:
        if not 0 < installations < 2**31:
            raise ValueError("installations must be positive and below 2**31")
        self.profile = profile
        self.n = installations
        self.seed = seed
        self.rng = _rng(seed)
        cap = profile.capacity
        self.adapter = (cap.dcc_adapter.servers, cap.dcc_adapter.service_ms / 1000)
        self.head_end = (cap.head_end.servers, cap.head_end.service_ms / 1000)
        self.passes = 0
        bounds, total = [], 0.0
        for share in profile.dmc_shares.values():
            total += share
            bounds.append(math.ceil(total * installations))
        self._dmc_bounds = np.array(bounds, dtype=np.int64)
        self._dmc_names = list(profile.dmc_shares)

    # --- arrivals ----------------------------------------------------------------------------------------------

    def _segments(self, until: float) -> FloatArray:
        """Where any stream's rate may change: hour boundaries and the scheduled windows' edges."""
        points = set(np.arange(0, math.ceil(until / 3600) + 1) * 3600.0)
        for item in self.profile.scheduled:
            window = item.spread_minutes * 60
            for day in range(math.ceil(until / 86400) + 1):
                points.update({day * 86400 + item.start_s, day * 86400 + item.start_s + window})
        return np.array(sorted(p for p in points if 0 <= p <= until) + ([until] if until not in points else []))

    def _streams(self) -> tuple[list[str], list[Callable[[float], float]], int]:
        """SRV and rate function (per second, at a segment's start) of every stream; the alerts' stream last."""
        profile, n = self.profile, self.n
        srvs: list[str] = []
        rates: list[Callable[[float], float]] = []
        def diurnal(base: float) -> Callable[[float], float]:
            return lambda t: base * profile.diurnal[int(t // 3600) % 24]

        def window(start: float, seconds: float, rate: float) -> Callable[[float], float]:
            return lambda t: rate if (t - start) % 86400 < seconds else 0.0

        def constant(rate: float) -> Callable[[float], float]:
            return lambda _t: rate

        for item in profile.on_demand:
            srvs.append(item.srv)
            rates.append(diurnal(n * item.per_installation_per_day / 86400))
        for sched in profile.scheduled:
            seconds = sched.spread_minutes * 60
            srvs.append(sched.srv)
            rates.append(window(sched.start_s, seconds, sched.share * n / seconds))
        srvs.append("")
        rates.append(constant(n * profile.alerts.per_installation_per_day / 86400))
        return srvs, rates, len(srvs) - 1

    def _arrivals(self, until: float) -> tuple[FloatArray, IntArray, IntArray]:
        """Arrival times (sorted), stream index and installation of every request and alert."""
        srvs, rate_fns, _ = self._streams()
        edges = self._segments(until)
        times, kinds, where = [], [], []
        rng = self.rng
        for start, end in zip(edges[:-1], edges[1:], strict=True):
            rates = np.array([fn(float(start)) for fn in rate_fns])
            total = float(rates.sum())
            count = int(rng.poisson(total * (end - start))) if total > 0 else 0
            if count == 0:
                continue
            spacing = np.cumsum(rng.standard_exponential(count + 1))  # sorted uniforms: exponential spacings
            times.append(start + spacing[:-1] * ((end - start) / spacing[-1]))
            kinds.append(rng.choice(len(rates), size=count, p=rates / total).astype(np.int16))
            where.append(rng.integers(0, self.n, size=count, dtype=np.int32))  # n < 2**31: checked at start
        if not times:
            return np.zeros(0), np.zeros(0, dtype=np.int16), np.zeros(0, dtype=np.int32)
        return np.concatenate(times), np.concatenate(kinds), np.concatenate(where)

    # --- helpers -----------------------------------------------------------------------------------------------

    def _lognormal(self, latency: Any, size: int) -> FloatArray:
        mu = math.log(latency.median_s)
        sigma = math.log(latency.p95_s / latency.median_s) / Z95
        return self.rng.lognormal(mu, sigma, size)

    def _outages(self, until: float) -> list[tuple[float, float]]:
        return [(f.start_s, f.start_s + f.minutes * 60) for f in self.profile.faults
                if f.kind == "head_end_outage" and f.start_s < until]

    def _loss_at(self, t: FloatArray, until: float) -> FloatArray:
        loss = np.full(len(t), self.profile.wan.loss)
        for fault in self.profile.faults:
            if fault.kind == "wan_loss" and fault.start_s < until:
                loss[(t >= fault.start_s) & (t < fault.start_s + fault.minutes * 60)] = fault.rate
        return loss

    @staticmethod
    def _merge(first: FloatArray, second: FloatArray, out: FloatArray, firsts: np.ndarray) -> IntArray:
        """Two sorted streams as one into ``out``, ties first-stream first; ``firsts`` (bool) marks where the first
        stream's items went, the returned positions where the second's went. No sort, and the caller's buffers
        are reused from pass to pass (see CHUNK on fresh whole-fleet arrays)."""
        seconds = np.searchsorted(first, second, side="right") + np.arange(len(second))
        firsts.fill(True)
        firsts[seconds] = False
        out[firsts] = first
        out[seconds] = second
        return seconds

    # --- running -----------------------------------------------------------------------------------------------

    def run(self, hours: float, progress: Callable[[float], None] | None = None) -> FleetResult:
        started = time.perf_counter()
        profile = self.profile
        until = hours * 3600
        result = FleetResult(self.n, hours, self.seed, profile.name)
        result.engine = "vector"
        arrival, kind, inst = self._arrivals(until)
        srvs, _, alert_kind = self._streams()
        is_alert = kind == alert_kind
        req_t, req_kind, req_inst = arrival[~is_alert], kind[~is_alert], inst[~is_alert]
        al_t, al_inst = arrival[is_alert], inst[is_alert]
        del arrival, kind, inst, is_alert
        if progress is not None:
            progress(0.2)

        # alerts: WAN to the head-end first
        bandwidth = profile.wan.bandwidth_bps
        al_size = profile.alerts.bytes
        al_gate = al_t + self._lognormal(profile.wan.latency, len(al_t)) + al_size * 8 / bandwidth
        gate_order = np.argsort(al_gate, kind="stable")
        al_t, al_inst, al_gate = al_t[gate_order], al_inst[gate_order], al_gate[gate_order]

        outages = self._outages(until)
        a_servers, a_service = self.adapter
        h_servers, h_service = self.head_end
        nreq, nal = len(req_t), len(al_t)
        al_at_adapter = al_gate + h_service  # a lower bound: alerts that never wait
        total = nreq + nal
        ad_in, he_gate, he_in = np.empty(total), np.empty(total), np.empty(total)
        ad_req, he_req = np.empty(total, dtype=bool), np.empty(total, dtype=bool)
        req_at_he = np.empty(nreq)
        while True:
            self.passes += 1
            ad_al = self._merge(req_t, al_at_adapter, ad_in, ad_req)
            ad_start = fcfs_starts(ad_in, a_servers, a_service)
            # the head-end: requests leaving the adapter (in order), alerts off the WAN (sorted above)
            np.add(ad_start[ad_req], a_service, out=req_at_he)
            he_al = self._merge(req_at_he, al_gate, he_gate, he_req)
            np.copyto(he_in, he_gate)
            for begin, end in outages:
                he_in[(he_in >= begin) & (he_in < end)] = end  # waits out the outage; order kept
            he_start = fcfs_starts(he_in, h_servers, h_service)
            new_at_adapter = he_start[he_al] + h_service
            if np.array_equal(new_at_adapter, al_at_adapter) or nal == 0:
                break
            if self.passes >= MAX_PASSES:
                raise RuntimeError(f"the adapter and head-end passes did not settle after {MAX_PASSES} passes")
            al_at_adapter = new_at_adapter
        self._samples(result, until, ad_in, ad_start, he_gate, he_in, he_start)
        result.faults = self._fault_records(until, he_gate, he_in, he_start)
        del he_gate, he_in, ad_in, req_at_he
        req_ad_start = ad_start[ad_req]
        al_ad_start = ad_start[ad_al]
        clock = he_start[he_req]  # becomes each request's clock below
        del ad_start, he_start, ad_req, he_req
        if progress is not None:
            progress(0.5)
        result.adapter_waits = np.concatenate([req_ad_start - req_t, al_ad_start - al_at_adapter])
        result.alert_delivery_s = al_ad_start + a_service - al_t
        del req_ad_start

        # requests: the WAN attempts, after the head-end
        catalogue = default_catalogue()
        stream_srvs = srvs[:alert_kind]
        srv_names = sorted(set(stream_srvs))
        srv_of_stream = np.array([srv_names.index(s) for s in stream_srvs] + [0], dtype=np.int64)
        req_srv = srv_of_stream[req_kind]
        del req_kind
        sizes = profile.sizes
        out_bytes = sizes.request
        back_by_srv = np.array([sizes.per_srv_response.get(s, sizes.response) for s in srv_names], dtype=np.int64)
        tries_by_srv = np.array([attempts(catalogue[s]) for s in srv_names], dtype=np.int64)
        req_dmc = np.searchsorted(self._dmc_bounds, req_inst, side="right")
        bug = np.zeros((len(self._dmc_names), max(1, len(srv_names))), dtype=np.int8)
        for fault in profile.faults:
            if fault.kind == "firmware_bug" and fault.srv in srv_names and fault.dmc in self._dmc_names:
                bug[self._dmc_names.index(fault.dmc), srv_names.index(fault.srv)] = (
                    BUG_TIMEOUT if fault.effect == "timeout" else BUG_SLOW)
        req_bug = bug[req_dmc, req_srv] if nreq else np.zeros(0, dtype=np.int8)
        clock += h_service
        done = np.zeros(nreq, dtype=bool)
        timeout = profile.response_timeout_s
        wan = _WanTally(self.n)
        wan.add(al_gate, al_inst, np.full(nal, al_size, dtype=np.int32))
        events = nreq * 5 + nal * 6  # arrival, two queues' starts and ends; an alert's WAN step and delivery
        for begin in range(0, nreq, CHUNK):
            part = slice(begin, min(begin + CHUNK, nreq))
            p_clock, p_done, p_srv = clock[part], done[part], req_srv[part]  # views: written through
            p_inst, p_bug = req_inst[part], req_bug[part]
            for attempt in range(1 + READ_RETRIES):
                live = np.flatnonzero(~p_done & (tries_by_srv[p_srv] > attempt))
                if not len(live):
                    break
                events += len(live)
                now = p_clock[live]
                wan.add(now, p_inst[live], np.full(len(live), out_bytes, dtype=np.int32))
                loss = self._loss_at(now, until)
                lost = (self.rng.random(len(live)) < loss) | (p_bug[live] == BUG_TIMEOUT)
                device = (self._lognormal(profile.device_response, len(live))
                          * np.where(p_bug[live] != NO_BUG, 10, 1))
                back = back_by_srv[p_srv[live]].astype(np.int32)
                trip = (self._lognormal(profile.wan.latency, len(live))
                        + self._lognormal(profile.wan.latency, len(live)) + (out_bytes + back) * 8 / bandwidth)
                lost |= self.rng.random(len(live)) < loss  # the answer lost on the way back
                p_clock[live] = now + np.where(lost, timeout, trip + device)
                answered = live[~lost]
                p_done[answered] = True
                wan.add(p_clock[answered], p_inst[answered], back[~lost])
        if progress is not None:
            progress(0.8)

        self._tally(result, srv_names, req_t, req_srv, req_dmc, clock, done)
        wan.close(result)
        del wan
        self._in_flight(result, req_t, clock)
        result.in_flight_area = sum(float((clock[b:b + CHUNK] - req_t[b:b + CHUNK]).sum())
                                    for b in range(0, nreq, CHUNK))
        ends = [until, float(clock.max()) if nreq else 0.0, float(al_t.max() + result.alert_delivery_s.max())
                if nal else 0.0]
        ends += [f.get("at_s", 0.0) + f.get("minutes", 0) * 60 + (f.get("drained_after_s") or 0) for f in
                 result.faults if "at_s" in f]
        result.end_s = max(ends)
        result.events = int(events)
        result.passes = self.passes
        result.wall_s = time.perf_counter() - started
        if progress is not None:
            progress(1.0)
        return result

    # --- results -----------------------------------------------------------------------------------------------

    def _tally(self, result: FleetResult, srv_names: list[str], req_t: FloatArray, req_srv: IntArray,
               req_dmc: IntArray, clock: FloatArray, done: np.ndarray) -> None:
        result.arrivals_per_hour = _per_hour(req_t).tolist()
        result.completed_per_hour = _per_hour(clock).tolist()
        for index, srv in enumerate(srv_names):
            mine = req_srv == index
            ok = mine & done
            answered, failed = int(ok.sum()), int(mine.sum()) - int(ok.sum())
            outcomes = {code: count for code, count in (("I0", answered), ("E21", failed)) if count}
            if not outcomes:
                continue
            result.outcomes[srv] = outcomes
            if answered:
                result.response_times[srv] = (clock[ok] - req_t[ok])
            if failed:
                per_dmc = np.bincount(req_dmc[mine & ~done], minlength=len(self._dmc_names))
                for dmc_index in np.flatnonzero(per_dmc):
                    by_dmc = result.failures_by_dmc.setdefault(self._dmc_names[dmc_index], {})
                    by_dmc[srv] = int(per_dmc[dmc_index])

    @staticmethod
    def _samples(result: FleetResult, until: float, ad_in: FloatArray, ad_start: FloatArray, he_gate: FloatArray,
                 he_in: FloatArray, he_start: FloatArray) -> None:
        """Queue depths every SAMPLE_S, as ``Fleet._sampler`` takes them: who has arrived and not yet started,
        just before anything else happens at that instant (the sampler's timeout is scheduled first). The
        head-end's starts are its entries' FCFS starts: queued = entered - started."""
        grid = np.arange(0.0, until, SAMPLE_S)
        if not len(grid):
            return

        def upto(sorted_times: FloatArray) -> IntArray:
            return np.searchsorted(sorted_times, grid, side="left")

        adapter = upto(ad_in) - upto(ad_start)
        head_end = upto(he_in) - upto(he_start)
        backlog = upto(he_gate) - upto(he_in)
        result.queue_samples = [(t, a, h, b, 0) for t, a, h, b in zip(grid.tolist(), adapter.tolist(),
                                                                       head_end.tolist(), backlog.tolist(),
                                                                       strict=True)]

    @staticmethod
    def _in_flight(result: FleetResult, req_t: FloatArray, clock: FloatArray) -> None:
        """Requests in the system at each sample (arrived and not finished), filled into ``queue_samples``."""
        samples = len(result.queue_samples)
        if not samples:
            return
        grid = np.arange(samples, dtype=np.float64) * SAMPLE_S
        # finished[k]: requests done strictly before grid[k] (floor(t / SAMPLE_S) + 1 <= k)
        finished = np.zeros(samples + 1, dtype=np.int64)
        for begin in range(0, len(clock), CHUNK):
            bins = np.minimum(clock[begin:begin + CHUNK] // SAMPLE_S + 1, samples).astype(np.int64)
            finished += np.bincount(bins, minlength=samples + 1)
        flight = (np.searchsorted(req_t, grid, side="left") - finished.cumsum()[:samples]).tolist()
        result.queue_samples = [(t, a, h, b, f) for (t, a, h, b, _), f in zip(result.queue_samples, flight,
                                                                              strict=True)]

    def _fault_records(self, until: float, he_gate: FloatArray, he_in: FloatArray,
                       he_start: FloatArray) -> list[dict[str, Any]]:
        """The same records ``Fleet._fault`` writes, in the order it writes them."""
        horizon = drain_horizon(self.profile, until)
        records: list[tuple[float, int, dict[str, Any]]] = []  # (when written, tie order, record)
        bugs = [{"kind": "firmware_bug", "dmc": f.dmc, "srv": f.srv, "effect": f.effect}
                for f in self.profile.faults if f.kind == "firmware_bug"]
        for fault in self.profile.faults:
            if fault.kind == "firmware_bug" or fault.start_s >= until:
                continue
            end = fault.start_s + fault.minutes * 60
            record: dict[str, Any] = {"kind": fault.kind, "at_s": fault.start_s, "minutes": fault.minutes}
            if fault.kind == "wan_loss":
                record["rate"] = fault.rate
                records.append((end, 0, record))
                continue
            record["backlog_at_restore"] = int(np.count_nonzero((he_gate >= fault.start_s) & (he_gate < end)))
            drained = self._drained_after(end, he_in, he_start)
            if drained is None or end + drained >= horizon:
                continue  # as in ``Fleet``: a backlog still queued when the run ends is never recorded as drained
            record["drained_after_s"] = drained
            records.append((end + drained, 1, record))  # after a timeout(0): after a wan_loss ending then
        return bugs + [record for _, _, record in sorted(records, key=lambda item: item[:2])]

    @staticmethod
    def _drained_after(restored: float, he_in: FloatArray, he_start: FloatArray) -> float | None:
        """Seconds after ``restored``, on the fault process's one-second poll, until nobody queues at the
        head-end."""
        limit = float(he_start.max(initial=restored)) + 2
        step = 4096
        for first in range(0, int(limit - restored) + step, step):
            polls = restored + np.arange(first, first + step, dtype=np.float64)
            queued = np.searchsorted(he_in, polls, side="right") - np.searchsorted(he_start, polls, side="right")
            empty = np.flatnonzero(queued <= 0)
            if len(empty):
                return float(polls[empty[0]] - restored)
        return None


def _per_hour(times: FloatArray, weights: np.ndarray | None = None) -> np.ndarray:
    """Counts (or ``weights`` summed) per clock hour, chunk by chunk."""
    total: np.ndarray = np.zeros(0, dtype=np.float64)  # exact: counts and bytes far below 2**53
    for begin in range(0, len(times), CHUNK):
        hours = (times[begin:begin + CHUNK] // 3600).astype(np.int64)
        counted = np.bincount(hours, weights=None if weights is None else weights[begin:begin + CHUNK])
        counted = counted.astype(np.float64, copy=False)
        if len(counted) > len(total):
            counted[: len(total)] += total
            total = counted
        else:
            total[: len(counted)] += counted
    return total.astype(np.int64)


class _WanTally:
    """WAN bytes as they are sent: per clock hour, per comms hub, and the busiest (hub, hour) at the end. Kept
    per hour as it arrives (hub and size in 8 bytes a transfer), because a national day is ~50 million transfers."""

    def __init__(self, installations: int) -> None:
        self.n = installations
        self.hub: np.ndarray = np.zeros(installations, dtype=np.int64)
        self.per_hour: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}

    def add(self, when: FloatArray, hub: np.ndarray, size: np.ndarray) -> None:
        for begin in range(0, len(when), CHUNK):
            self._add(when[begin:begin + CHUNK], hub[begin:begin + CHUNK], size[begin:begin + CHUNK])

    def _add(self, when: FloatArray, hub: np.ndarray, size: np.ndarray) -> None:
        if not len(when):
            return
        np.add.at(self.hub, hub, size)
        hour = (when // 3600).astype(np.int64)
        low, high = int(hour.min()), int(hour.max())
        if low == high:
            self.per_hour.setdefault(low, []).append((hub.astype(np.int32), size.astype(np.int32)))
            return
        order = np.argsort(hour, kind="stable")
        cuts = np.searchsorted(hour[order], np.arange(low, high + 2))
        for offset, (begin, end) in enumerate(zip(cuts[:-1], cuts[1:], strict=True)):
            if end > begin:
                chosen = order[begin:end]
                self.per_hour.setdefault(low + offset, []).append((hub[chosen].astype(np.int32),
                                                                   size[chosen].astype(np.int32)))

    def close(self, result: FleetResult) -> None:
        hours = max(self.per_hour, default=-1) + 1
        per_hour = [0] * hours
        peak = 0
        for hour, pieces in self.per_hour.items():
            hubs = np.concatenate([hub for hub, _ in pieces])
            sizes = np.concatenate([size for _, size in pieces])
            per_hour[hour] = int(sizes.sum(dtype=np.int64))
            peak = max(peak, int(np.bincount(hubs, weights=sizes).max()))
        self.per_hour = {}
        result.wan_bytes_per_hour = per_hour
        result.hub_bytes = self.hub.astype(np.uint64)
        result.peak_hub_hour_bytes = peak
