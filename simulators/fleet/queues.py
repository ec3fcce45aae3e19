"""The DCC adapter and SMSO head-end queues of ``vector.py``, solved window by window in closed form.

Both queues are first-come-first-served with ``c`` identical servers and a fixed service time ``D``, so the
``k``-th customer starts when it arrives or when the ``(k-c)``-th finishes: ``start[k] = max(arrival[k],
start[k-c] + D)``. Along each chain ``k, k+c, k+2c, ...`` that max-plus recurrence has the closed form
``start[j] = j*D + max(arrival[i] - i*D for i <= j)``: one cumulative maximum per chain. A window carries the last
``c`` starts of the one before as its first row, so the chains run on across windows and a window's answer is the
whole day's answer for its customers.

Why windows: the two queues are coupled (alerts cross the head-end before the adapter, requests the adapter before
the head-end), and a whole-day solve needs whole-day arrays (160 MB each at ten million installations), which no
cache holds, and as many whole-day passes as the busiest hour needs to settle. A FCFS customer's start depends only
on the customers before it, so the day can be cut at request arrivals: a window ``[t0, t1)`` takes the adapter
arrivals and the head-end arrivals before ``t1`` (everything before ``t0`` is settled), iterates the two queues
until the alerts reaching the adapter before ``t1`` stop changing, and hands on what leaves a queue after ``t1``
(requests still to reach the head-end, alerts still to reach the adapter; both are contiguous runs, because each
stream keeps its order through a FCFS queue). Each window starts from a lower bound (alerts that never wait) and
the passes only raise departure times, so they settle on the causal solution; a quiet window settles in one pass,
a busy one in two or three, instead of the whole day taking the busiest window's count. Window arrays are a few
hundred kilobytes, reused by the allocator: the cost per customer does not depend on the fleet's size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.int64]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]

WINDOW = 1 << 15  # requests per window: a window's arrays (~8 of them, 256 KB each) stay in a core's 2 MB L2
MAX_PASSES = 500  # passes of one window before giving up (a pass is linear in the window)


def fcfs_starts(arrivals: FloatArray, servers: int, service_s: float) -> FloatArray:
    """Start times of a FCFS queue with ``servers`` identical servers and a fixed ``service_s``, customers given
    in arrival order (``arrivals`` sorted, ties in queue order), nobody before them."""
    return fcfs_window(arrivals, servers, service_s)[0]


def fcfs_window(arrivals: FloatArray, servers: int, service_s: float,
                before: FloatArray | None = None) -> tuple[FloatArray, FloatArray]:
    """``fcfs_starts`` for one window, and the last ``servers`` starts to carry on to the next window.
    ``before``: the previous window's carry (oldest first; -inf where nobody came yet)."""
    count = len(arrivals)
    rows = 1 + -(-count // servers)
    padded = np.empty(rows * servers)
    if before is None:
        padded[:servers] = -math.inf
    else:
        padded[:servers] = before
    padded[servers:servers + count] = arrivals
    padded[servers + count:] = math.inf
    grid = padded.reshape(rows, servers)
    offsets = (np.arange(rows, dtype=np.float64) * service_s)[:, None]
    np.subtract(grid, offsets, out=grid)  # in place: one array of the window's size
    np.maximum.accumulate(grid, axis=0, out=grid)
    np.add(grid, offsets, out=grid)
    starts = padded[servers:servers + count]
    np.maximum(starts, arrivals, out=starts)  # the closed form's rounding never starts anyone early
    return starts, padded[count:count + servers].copy()


def merge(first: FloatArray, second: FloatArray) -> tuple[FloatArray, BoolArray, IntArray]:
    """Two sorted streams as one, ties first-stream first, with where each stream's items went (a mask of the
    first's, the positions of the second's). No sort: the second stream is the short one (alerts)."""
    seconds = np.searchsorted(first, second, side="right") + np.arange(len(second))
    firsts = np.ones(len(first) + len(second), dtype=bool)
    firsts[seconds] = False
    out = np.empty(len(firsts))
    out[firsts] = first
    out[seconds] = second
    return out, firsts, seconds


class _Upto:
    """For each sample instant, how many of a sorted stream (fed window by window, in order) came strictly
    before it: the queue depths the SimPy sampler reads, without keeping the stream."""

    def __init__(self, grid: FloatArray) -> None:
        self.grid = grid
        self.counts = np.zeros(len(grid) + 1, dtype=np.int64)
        self.after = np.zeros(len(grid) + 1, dtype=np.int64)  # piece lengths, added to every later instant

    def add(self, times: FloatArray) -> None:
        if not len(times) or not len(self.grid):
            return
        low = int(np.searchsorted(self.grid, times[0], side="right"))
        high = int(np.searchsorted(self.grid, times[-1], side="right"))
        self.counts[low:high] += np.searchsorted(times, self.grid[low:high], side="left")
        self.after[high] += len(times)

    def total(self) -> IntArray:
        return (self.counts + np.cumsum(self.after))[:len(self.grid)]


@dataclass
class Solved:
    """The two queues' answer for every request and alert, and what the summary samples from them."""

    req_he_start: FloatArray  # each request's head-end start
    scratch: FloatArray  # the requests' head-end arrivals, done with: a request-sized buffer for the caller
    al_at_adapter: FloatArray  # each alert's arrival at the adapter (head-end start + service)
    al_ad_start: FloatArray
    adapter_waits: FloatArray  # requests, then alerts
    adapter_queued: IntArray  # at each sample instant
    head_end_queued: IntArray
    backlog: IntArray  # arrived at the head-end during an outage, not yet let in
    backlog_at_restore: list[int]  # per outage: head-end arrivals during it
    he_in: FloatArray | None = None  # kept only when there are outages (their drain time needs them)
    he_start: FloatArray | None = None
    passes: int = 0  # the most passes any window needed
    windows: int = 0
    window_passes: int = 0  # passes over all windows


def solve(req_t: FloatArray, al_gate: FloatArray, adapter: tuple[int, float], head_end: tuple[int, float],
          outages: list[tuple[float, float]], grid: FloatArray, window: int = WINDOW) -> Solved:
    """Both queues for requests arriving at ``req_t`` (sorted) and alerts reaching the head-end at ``al_gate``
    (sorted), ``window`` requests at a time (see the module docstring; the answer does not depend on it beyond
    floating-point rounding, which ``tests/test_fleet_scale.py`` checks)."""
    a_servers, a_service = adapter
    h_servers, h_service = head_end
    window = max(window, 8 * max(a_servers, h_servers))  # a window's carried row costs at most 1/8 of its work
    nreq, nal = len(req_t), len(al_gate)
    req_at_he, req_he_start = np.empty(nreq), np.empty(nreq)
    al_at_ad, al_ad_start = np.empty(nal), np.empty(nal)
    waits = np.empty(nreq + nal)
    carry_a: FloatArray | None = None
    carry_h: FloatArray | None = None
    counters = {name: _Upto(grid) for name in ("ad_in", "ad_start", "he_gate", "he_in", "he_start")}
    backlog_at_restore = [0] * len(outages)
    kept_in: list[FloatArray] = []
    kept_start: list[FloatArray] = []
    solved = Solved(req_he_start, req_at_he, al_at_ad, al_ad_start, waits, np.zeros(0, np.int64), np.zeros(0, np.int64),
                    np.zeros(0, np.int64), backlog_at_restore)
    b0 = hr0 = ai = aa0 = 0  # requests through the adapter, through the head-end; alerts through each
    while True:
        b1 = min(b0 + window, nreq)
        t1 = float(req_t[b1]) if b1 < nreq else math.inf
        a1 = int(np.searchsorted(al_gate, t1, side="left")) if b1 < nreq else nal
        guess = al_at_ad[ai:a1]  # a view: written through
        np.add(al_gate[ai:a1], h_service, out=guess)  # the lower bound: alerts that never wait at the head-end
        if ai:
            np.maximum(guess, al_at_ad[ai - 1], out=guess)  # nor start before an earlier alert (FCFS)
        passes = 0
        while True:
            passes += 1
            a_end = aa0 + int(np.searchsorted(al_at_ad[aa0:a1], t1, side="left"))
            ad_in, ad_req, ad_al = merge(req_t[b0:b1], al_at_ad[aa0:a_end])
            ad_start, next_a = fcfs_window(ad_in, a_servers, a_service, carry_a)
            np.add(ad_start[ad_req], a_service, out=req_at_he[b0:b1])
            h_end = hr0 + int(np.searchsorted(req_at_he[hr0:b1], t1, side="left"))
            he_gate, he_req, he_al = merge(req_at_he[hr0:h_end], al_gate[ai:a1])
            he_in = he_gate.copy()
            for begin, end in outages:
                he_in[(he_in >= begin) & (he_in < end)] = end  # waits out the outage; order kept
            he_start, next_h = fcfs_window(he_in, h_servers, h_service, carry_h)
            new = he_start[he_al] + h_service
            settled = np.array_equal(np.minimum(new, t1), np.minimum(al_at_ad[ai:a1], t1))
            al_at_ad[ai:a1] = new
            if settled:
                break
            if passes >= MAX_PASSES:
                raise RuntimeError(f"the adapter and head-end passes did not settle after {MAX_PASSES} passes")
        req_he_start[hr0:h_end] = he_start[he_req]
        al_ad_start[aa0:a_end] = ad_start[ad_al]
        np.subtract(ad_start[ad_req], req_t[b0:b1], out=waits[b0:b1])
        np.subtract(al_ad_start[aa0:a_end], al_at_ad[aa0:a_end], out=waits[nreq + aa0:nreq + a_end])
        for name, times in (("ad_in", ad_in), ("ad_start", ad_start), ("he_gate", he_gate), ("he_in", he_in),
                            ("he_start", he_start)):
            counters[name].add(times)
        for index, (begin, end) in enumerate(outages):
            backlog_at_restore[index] += int(np.count_nonzero((he_gate >= begin) & (he_gate < end)))
        if outages:
            kept_in.append(he_in)
            kept_start.append(he_start.copy())
        carry_a, carry_h = next_a, next_h
        solved.passes = max(solved.passes, passes)
        solved.windows += 1
        solved.window_passes += passes
        b0, hr0, ai, aa0 = b1, h_end, a1, a_end
        if b1 == nreq:
            break
    totals = {name: counter.total() for name, counter in counters.items()}
    solved.adapter_queued = totals["ad_in"] - totals["ad_start"]
    solved.head_end_queued = totals["he_in"] - totals["he_start"]
    solved.backlog = totals["he_gate"] - totals["he_in"]
    if outages:
        solved.he_in, solved.he_start = np.concatenate(kept_in), np.concatenate(kept_start)
    return solved
