"""The fleet model of ``model.py`` computed in closed form over numpy arrays: the engine for national scale.

The SimPy model spends most of its events in two first-come-first-served queues with fixed service times (the DCC
adapter and the SMSO head-end); ``queues.py`` solves both in closed form, window by window. Every other step of a
request (WAN attempts, losses, retries, the device's answer) is a vector operation over a chunk of requests, and
the results are tallied chunk by chunk (``wan_tally.py`` for the WAN bytes), so the cost is linear in requests
(installations x hours) and the working set is a chunk's, not the fleet's: no sort of the arrivals (Poisson
arrivals are drawn per constant-rate segment already in order, by exponential spacings, into arrays allocated
once), no Python loop per request, no whole-fleet temporary.

Same model, different random streams: the results agree with ``model.py`` statistically, not draw for draw
(``benchmarks/bench_fleet.py --compare`` runs both and prints both). Deterministic per seed: the chunk and piece
sizes are fixed, so the draws are the same on every machine; the window size changes no draw.
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
from simulators.fleet.queues import WINDOW, fcfs_starts, solve
from simulators.fleet.wan_tally import HubTotals, WanTally
from simulators.rng import Z95

__all__ = ["VectorFleet", "fcfs_starts", "LAST_HOUR_SAMPLES", "WINDOW"]
# Requests are worked through the WAN steps and tallies in chunks of this many (~8 arrays of 512 KB: a core's L2
# holds them); arrivals are drawn in pieces of PIECE. Fixed, so the random draws are the same every run.
CHUNK = 1 << 16
PIECE = 1 << 16
NO_BUG, BUG_TIMEOUT, BUG_SLOW = 0, 1, 2
FloatArray = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.int64]]


def _rng(seed: int) -> np.random.Generator:
    digest = hashlib.sha256(f"{seed}:fleet-vector".encode()).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest[:16], "big")))


class VectorFleet:
    """``Fleet``'s model (same profile, same ``FleetResult``) computed over arrays; see the module docstring.
    ``window``: requests per queue window (``queues.py``; changes no result beyond rounding)."""

    def __init__(self, profile: LoadProfile, installations: int, seed: int = 0, window: int = WINDOW) -> None:
        if not 0 < installations < 2**31:
            raise ValueError("installations must be positive and below 2**31")
        self.profile = profile
        self.n = installations
        self.seed = seed
        self.window = window
        self.rng = _rng(seed)
        cap = profile.capacity
        self.adapter = (cap.dcc_adapter.servers, cap.dcc_adapter.service_ms / 1000)
        self.head_end = (cap.head_end.servers, cap.head_end.service_ms / 1000)
        self.passes = 0
        self.windows = 0
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

    def _streams(self) -> tuple[list[str], list[Callable[[float], float]]]:
        """SRV and rate function (per second, at a segment's start) of every request stream."""
        profile, n = self.profile, self.n
        srvs: list[str] = []
        rates: list[Callable[[float], float]] = []

        def diurnal(base: float) -> Callable[[float], float]:
            return lambda t: base * profile.diurnal[int(t // 3600) % 24]

        def window(start: float, seconds: float, rate: float) -> Callable[[float], float]:
            return lambda t: rate if (t - start) % 86400 < seconds else 0.0

        for item in profile.on_demand:
            srvs.append(item.srv)
            rates.append(diurnal(n * item.per_installation_per_day / 86400))
        for sched in profile.scheduled:
            seconds = sched.spread_minutes * 60
            srvs.append(sched.srv)
            rates.append(window(sched.start_s, seconds, sched.share * n / seconds))
        return srvs, rates

    def _poisson_times(self, out: FloatArray, start: float, end: float) -> None:
        """``len(out)`` sorted uniform times in [start, end) written in place: exponential spacings, normalised."""
        self.rng.standard_exponential(out=out)
        np.cumsum(out, out=out)
        last = float(out[-1]) + float(self.rng.standard_exponential())
        np.multiply(out, (end - start) / last, out=out)
        np.add(out, start, out=out)

    def _arrivals(self, until: float, srv_of_stream: np.ndarray) -> tuple[FloatArray, np.ndarray, np.ndarray]:
        """Arrival time (sorted), SRV index and installation of every request. The request streams are one Poisson
        process per constant-rate segment (their superposition), each request's stream drawn by its share."""
        _, rate_fns = self._streams()
        edges = self._segments(until)
        rng = self.rng
        plan = []
        for start, end in zip(edges[:-1], edges[1:], strict=True):
            rates = np.array([fn(float(start)) for fn in rate_fns], dtype=np.float64)
            total = float(rates.sum())
            count = int(rng.poisson(total * (end - start))) if total > 0 else 0
            if count:
                plan.append((float(start), float(end), count, np.cumsum(rates / total)))
        size = sum(count for _, _, count, _ in plan)
        times, srv, inst = np.empty(size), np.empty(size, dtype=np.int8), np.empty(size, dtype=np.int32)
        offset = 0
        last = len(srv_of_stream) - 1
        for start, end, count, cdf in plan:
            self._poisson_times(times[offset:offset + count], start, end)
            for begin in range(offset, offset + count, PIECE):
                stop = min(begin + PIECE, offset + count)
                stream = np.minimum(np.searchsorted(cdf, rng.random(stop - begin), side="right"), last)
                srv[begin:stop] = srv_of_stream[stream]
                inst[begin:stop] = rng.integers(0, self.n, size=stop - begin, dtype=np.int32)
            offset += count
        return times, srv, inst

    def _alert_arrivals(self, until: float) -> tuple[FloatArray, np.ndarray]:
        """Alerts: their own Poisson stream (a split of the fleet's events, independent of the requests)."""
        rate = self.n * self.profile.alerts.per_installation_per_day / 86400
        count = int(self.rng.poisson(rate * until)) if rate > 0 and until > 0 else 0
        times = np.empty(count)
        if count:
            self._poisson_times(times, 0.0, until)
        return times, self.rng.integers(0, self.n, size=count, dtype=np.int32)

    # --- helpers -----------------------------------------------------------------------------------------------

    def _lognormal(self, latency: Any, size: int) -> FloatArray:
        mu = math.log(latency.median_s)
        sigma = math.log(latency.p95_s / latency.median_s) / Z95
        return self.rng.lognormal(mu, sigma, size)

    def _outages(self, until: float) -> list[tuple[float, float]]:
        return [(f.start_s, f.start_s + f.minutes * 60) for f in self.profile.faults
                if f.kind == "head_end_outage" and f.start_s < until]

    def _loss_at(self, t: FloatArray, until: float) -> FloatArray | float:
        windows = [f for f in self.profile.faults if f.kind == "wan_loss" and f.start_s < until]
        if not windows:
            return self.profile.wan.loss
        loss = np.full(len(t), self.profile.wan.loss)
        for fault in windows:
            loss[(t >= fault.start_s) & (t < fault.start_s + fault.minutes * 60)] = fault.rate
        return loss

    # --- running -----------------------------------------------------------------------------------------------

    def run(self, hours: float, progress: Callable[[float], None] | None = None) -> FleetResult:
        started = time.perf_counter()
        profile = self.profile
        until = hours * 3600
        result = FleetResult(self.n, hours, self.seed, profile.name)
        result.engine = "vector"
        stream_srvs, _ = self._streams()
        srv_names = sorted(set(stream_srvs))
        srv_of_stream = np.array([srv_names.index(s) for s in stream_srvs] or [0], dtype=np.int8)
        req_t, req_srv, req_inst = self._arrivals(until, srv_of_stream)
        al_t, al_inst = self._alert_arrivals(until)
        if progress is not None:
            progress(0.2)

        # alerts: WAN to the head-end first
        bandwidth = profile.wan.bandwidth_bps
        al_size = profile.alerts.bytes
        al_gate = al_t + self._lognormal(profile.wan.latency, len(al_t)) + al_size * 8 / bandwidth
        gate_order = np.argsort(al_gate, kind="stable")
        al_t, al_inst, al_gate = al_t[gate_order], al_inst[gate_order], al_gate[gate_order]
        outages = self._outages(until)
        grid = np.arange(0.0, until, SAMPLE_S)
        queues = solve(req_t, al_gate, self.adapter, self.head_end, outages, grid, self.window)
        self.passes, self.windows = queues.passes, queues.windows
        samples = (grid.tolist(), queues.adapter_queued.tolist(), queues.head_end_queued.tolist(),
                   queues.backlog.tolist())
        result.faults = self._fault_records(until, queues.backlog_at_restore, queues.he_in, queues.he_start)
        if progress is not None:
            progress(0.5)
        a_service = self.adapter[1]
        result.adapter_waits = queues.adapter_waits
        result.alert_delivery_s = queues.al_ad_start + a_service - al_t
        clock = queues.req_he_start  # becomes each request's clock below
        scratch = queues.scratch
        del queues
        most = len(al_t) + len(req_t) * 2 * (1 + READ_RETRIES)  # an out and a back per attempt (virtual)
        sizes = profile.sizes
        largest = max([sizes.request, sizes.response, al_size, *sizes.per_srv_response.values()])
        wan = WanTally(self.n, len(req_t), most, hours, largest)
        wan.add(al_gate, al_inst, al_size)
        last, hub_bytes, flight = self._requests(result, len(grid), srv_names, req_t, req_srv, req_inst, al_inst,
                                                 clock, scratch, wan)
        result.queue_samples = list(zip(*samples, flight, strict=True))
        del scratch
        if progress is not None:
            progress(0.8)
        wan.close(result, hub_bytes, req_inst, clock)
        del wan, hub_bytes, clock
        nal = len(al_t)
        ends = [until, last,
                float((al_t + result.alert_delivery_s).max()) if nal else 0.0]
        ends += [f.get("at_s", 0.0) + f.get("minutes", 0) * 60 + (f.get("drained_after_s") or 0) for f in
                 result.faults if "at_s" in f]
        result.end_s = max(ends)
        result.events += len(req_t) * 5 + nal * 6  # arrival, two queues' starts and ends; an alert's WAN step
        result.passes = self.passes
        result.wall_s = time.perf_counter() - started
        if progress is not None:
            progress(1.0)
        return result

    def _requests(self, result: FleetResult, samples: int, srv_names: list[str], req_t: FloatArray,
                  req_srv: np.ndarray, req_inst: np.ndarray, al_inst: np.ndarray, clock: FloatArray,
                  scratch: FloatArray,
                  wan: WanTally) -> tuple[float, np.ndarray, list[int]]:
        """The WAN attempts after the head-end, chunk by chunk, and everything tallied from them; returns the last
        finish, each hub's request bytes and the requests in flight at each of the ``samples`` instants.
        ``clock`` (the head-end starts) becomes each request's finish, then its WAN bytes; ``scratch`` the response
        times, grouped by SRV (no fresh whole-fleet array: see WanTally)."""
        profile = self.profile
        catalogue = default_catalogue()
        bandwidth = profile.wan.bandwidth_bps
        sizes = profile.sizes
        out_bytes = sizes.request
        back_by_srv = np.array([sizes.per_srv_response.get(s, sizes.response) for s in srv_names] or [0],
                               dtype=np.int32)
        tries_by_srv = np.array([attempts(catalogue[s]) for s in srv_names] or [0], dtype=np.int8)
        dmcs = len(self._dmc_names)
        bug = np.zeros((dmcs, max(1, len(srv_names))), dtype=np.int8)
        for fault in profile.faults:
            if fault.kind == "firmware_bug" and fault.srv in srv_names and fault.dmc in self._dmc_names:
                bug[self._dmc_names.index(fault.dmc), srv_names.index(fault.srv)] = (
                    BUG_TIMEOUT if fault.effect == "timeout" else BUG_SLOW)
        nreq, nsrv = len(req_t), max(1, len(srv_names))
        timeout = profile.response_timeout_s
        h_service = self.head_end[1]
        until = result.hours * 3600
        tally = _Tally(result, samples, nsrv, dmcs, np.bincount(req_srv, minlength=nsrv), scratch)
        totals = HubTotals(self.n)
        totals.add(al_inst, np.full(len(al_inst), profile.alerts.bytes, dtype=np.float32))
        chunk_bytes = np.empty(min(CHUNK, nreq))
        events, last = 0, 0.0
        for begin in range(0, nreq, CHUNK):
            part = slice(begin, min(begin + CHUNK, nreq))
            p_clock, p_srv, p_inst = clock[part], req_srv[part], req_inst[part]  # views: written through
            p_clock += h_service
            p_dmc = np.searchsorted(self._dmc_bounds, p_inst, side="right")
            p_bug = bug[p_dmc, p_srv]
            p_done = np.zeros(len(p_clock), dtype=bool)
            p_bytes = chunk_bytes[:len(p_clock)]
            p_bytes.fill(0)
            p_tries = tries_by_srv[p_srv]
            wan.start(begin, p_clock)
            for attempt in range(1 + READ_RETRIES):
                live = np.flatnonzero(~p_done & (p_tries > attempt))
                if not len(live):
                    break
                events += len(live)
                now = p_clock[live]
                wan.transfer(live, now, out_bytes)
                p_bytes[live] += out_bytes
                loss = self._loss_at(now, until)
                bugged = p_bug[live]
                lost = (self.rng.random(len(live)) < loss) | (bugged == BUG_TIMEOUT)
                device = self._lognormal(profile.device_response, len(live)) * np.where(bugged != NO_BUG, 10, 1)
                back = back_by_srv[p_srv[live]]
                trip = (self._lognormal(profile.wan.latency, len(live))
                        + self._lognormal(profile.wan.latency, len(live)) + (out_bytes + back) * 8 / bandwidth)
                lost |= self.rng.random(len(live)) < loss  # the answer lost on the way back
                p_clock[live] = now + np.where(lost, timeout, trip + device)
                answered = live[~lost]
                p_done[answered] = True
                wan.transfer(answered, p_clock[answered], back[~lost])
                p_bytes[answered] += back[~lost]
            tally.add(req_t[part], p_srv, p_dmc, p_clock, p_done)
            last = max(last, float(p_clock.max()))
            totals.add(p_inst, p_bytes)
            wan.finish(p_inst)
            p_clock[:] = p_bytes  # the finish times are tallied: the clock keeps each request's bytes from here
        result.events = events
        flight = tally.close(srv_names, self._dmc_names, req_t)
        return last, totals.close(), flight

    # --- results -----------------------------------------------------------------------------------------------

    def _fault_records(self, until: float, backlogs: list[int], he_in: FloatArray | None,
                       he_start: FloatArray | None) -> list[dict[str, Any]]:
        """The same records ``Fleet._fault`` writes, in the order it writes them."""
        horizon = drain_horizon(self.profile, until)
        records: list[tuple[float, int, dict[str, Any]]] = []  # (when written, tie order, record)
        bugs = [{"kind": "firmware_bug", "dmc": f.dmc, "srv": f.srv, "effect": f.effect}
                for f in self.profile.faults if f.kind == "firmware_bug"]
        outage = 0  # index into ``backlogs``: the outages in profile order, as ``_outages`` lists them
        for fault in self.profile.faults:
            if fault.kind == "firmware_bug" or fault.start_s >= until:
                continue
            end = fault.start_s + fault.minutes * 60
            record: dict[str, Any] = {"kind": fault.kind, "at_s": fault.start_s, "minutes": fault.minutes}
            if fault.kind == "wan_loss":
                record["rate"] = fault.rate
                records.append((end, 0, record))
                continue
            record["backlog_at_restore"] = backlogs[outage]
            outage += 1
            assert he_in is not None and he_start is not None  # kept by the queues when there are outages
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


class _Tally:
    """Per-hour counts, outcomes, response times per SRV, failures per DMC and requests in flight, chunk by chunk
    (response times go into one request-sized buffer, a region per SRV sized from the SRV counts)."""

    def __init__(self, result: FleetResult, samples: int, nsrv: int, dmcs: int, srv_counts: np.ndarray,
                 buffer: FloatArray) -> None:
        self.result = result
        self.arrivals = np.zeros(0, dtype=np.int64)
        self.completed = np.zeros(0, dtype=np.int64)
        self.answered = np.zeros(nsrv, dtype=np.int64)
        self.failed = np.zeros((dmcs, nsrv), dtype=np.int64)
        edges = np.concatenate([[0], np.cumsum(srv_counts)]).tolist()
        self.times = [buffer[begin:end] for begin, end in zip(edges[:-1], edges[1:], strict=True)]
        self.samples = samples
        self.finished = np.zeros(self.samples + 1, dtype=np.int64)
        self.area = 0.0
        self.nsrv, self.dmcs = nsrv, dmcs

    @staticmethod
    def _grow(total: np.ndarray, counted: np.ndarray) -> np.ndarray:
        if len(counted) > len(total):
            counted[: len(total)] += total
            return counted
        total[: len(counted)] += counted
        return total

    def add(self, t: FloatArray, srv: np.ndarray, dmc: np.ndarray, clock: FloatArray, done: np.ndarray) -> None:
        self.arrivals = self._grow(self.arrivals, np.bincount((t // 3600).astype(np.int64)))
        self.completed = self._grow(self.completed, np.bincount((clock // 3600).astype(np.int64)))
        response = clock - t
        self.area += float(response.sum())
        if self.samples:
            bins = np.minimum(clock // SAMPLE_S + 1, self.samples).astype(np.int64)
            self.finished += np.bincount(bins, minlength=self.samples + 1)
        ok_srv = srv[done]
        order = np.argsort(ok_srv, kind="stable")
        counts = np.bincount(ok_srv, minlength=self.nsrv)
        grouped = response[done][order]
        at = 0
        for index in np.flatnonzero(counts):
            count = int(counts[index])
            filled = int(self.answered[index])
            self.times[index][filled:filled + count] = grouped[at:at + count]
            at += count
        self.answered += counts
        if not done.all():
            self.failed += np.bincount(dmc[~done] * self.nsrv + srv[~done],
                                       minlength=self.dmcs * self.nsrv).reshape(self.dmcs, self.nsrv)

    def close(self, srv_names: list[str], dmc_names: list[str], req_t: FloatArray) -> list[int]:
        """Fills the result's tallies; returns the requests in flight at each sample instant."""
        result = self.result
        result.arrivals_per_hour = self.arrivals.tolist()
        result.completed_per_hour = self.completed.tolist()
        result.in_flight_area = self.area
        failed = self.failed.sum(axis=0)
        for index, srv in enumerate(srv_names):
            answered = int(self.answered[index])
            outcomes = {code: count for code, count in (("I0", answered), ("E21", int(failed[index]))) if count}
            if not outcomes:
                continue
            result.outcomes[srv] = outcomes
            if answered:
                result.response_times[srv] = self.times[index][:answered]
            for dmc_index in np.flatnonzero(self.failed[:, index]):
                by_dmc = result.failures_by_dmc.setdefault(dmc_names[dmc_index], {})
                by_dmc[srv] = int(self.failed[dmc_index, index])
        grid = np.arange(self.samples, dtype=np.float64) * SAMPLE_S
        flight: list[int] = (np.searchsorted(req_t, grid, side="left") - self.finished.cumsum()[:self.samples]).tolist()
        return flight
