"""WAN bytes of the vector engine: per clock hour, per comms hub, and the busiest (hub, hour).

Why not one counter per hub per hour as the transfers come: at ten million installations a hub table is 80 MB, and
adding each of ~50 million transfers at a random hub misses every cache (that alone cost a third of the engine's
time, and grew the cost per event with the fleet). Here the bytes of a request's transfers are added up per
request first, and the hub totals are added a block of hubs at a time (``HubTotals``). The busiest hub-hour is found
without a (hub, hour) table: no hub moves more in an hour than in the day, so the exact hour sums of the 64 busiest
hubs give a lower bound ``L`` on the answer, and only hubs whose day total reaches ``L`` (a few hundred at national
scale) can hold it; their hour sums are read off the requests' hours and the log through a bitmap of the hubs
(one bit a hub: a national fleet's 1.2 MB stays in cache). Exact, and the same figure as ``model.py``'s running
hub-hour counters.
"""

from __future__ import annotations

from typing import Any

import numpy as np

PIECE = 1 << 16  # log entries read at a time: a piece and its temporaries stay in cache
SPLIT_HOUR = 2**16 - 1  # a request's hour when its transfers span hours (they are in the log)
TOP = 64  # hubs whose hour sums give the first lower bound on the busiest hub-hour
FloatArray = np.ndarray[Any, np.dtype[np.float64]]


class WanTally:
    """WAN bytes by clock hour as they come; for the busiest hub-hour, each request's hour (its transfers almost
    always fall in the hour of its first: one 2-byte hour a request, its bytes kept by the caller) and a log of the
    rest, (hub, hour, bytes) for alerts and for the transfers of requests whose transfers span hours. A log of every
    transfer (~50 million at national scale) was fresh memory at ~17 bytes a request: the kernel's page faults,
    a cost per event that grew with the fleet."""

    def __init__(self, installations: int, requests: int, most: int, hours: float, largest: int) -> None:
        """``most`` logged transfers at most (arrays sized once: pages never written cost nothing), over ``hours``,
        none larger than ``largest`` bytes."""
        self.n = installations
        self.per_hour: FloatArray = np.zeros(0, dtype=np.float64)  # exact: byte counts far below 2**53
        hour_type = np.uint16 if hours + 2 < SPLIT_HOUR else np.int32  # +2: the drain after the period
        self.split = SPLIT_HOUR if hour_type is np.uint16 else np.iinfo(np.int32).max
        self.req_hour = np.empty(requests, dtype=hour_type)
        self.req_inst: np.ndarray = np.zeros(0, dtype=np.int32)
        self.req_bytes: FloatArray = np.zeros(0)
        self.hub = np.empty(most, dtype=np.int32)
        self.hour = np.empty(most, dtype=hour_type)
        self.size = np.empty(most, dtype=np.uint16 if largest < 2**16 else np.int32)
        self.count = 0
        self._begin = 0
        self._first: np.ndarray = np.zeros(0, dtype=np.int64)
        self._spans: np.ndarray = np.zeros(0, dtype=bool)
        self._pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def _hourly(self, hour: np.ndarray, size: np.ndarray | int) -> None:
        weights = np.broadcast_to(np.asarray(size, dtype=np.float64), hour.shape)
        counted = np.asarray(np.bincount(hour, weights=weights), dtype=np.float64)
        if len(counted) > len(self.per_hour):
            counted[: len(self.per_hour)] += self.per_hour
            self.per_hour = counted
        else:
            self.per_hour[: len(counted)] += counted

    def add(self, when: FloatArray, hub: np.ndarray, size: np.ndarray | int) -> None:
        """Transfers into the log (alerts; the transfers of requests that span hours)."""
        count = len(when)
        if not count:
            return
        at = slice(self.count, self.count + count)
        hour = self.hour[at]
        hour[:] = when // 3600
        self.hub[at] = hub
        self.size[at] = size
        self.count += count
        self._hourly(hour, self.size[at])

    def start(self, begin: int, first: FloatArray) -> None:
        """A chunk of requests from index ``begin``, whose first transfers go at ``first``."""
        self._begin = begin
        self._first = (first // 3600).astype(np.int64)
        self._spans = np.zeros(len(first), dtype=bool)
        self._pieces = []

    def transfer(self, index: np.ndarray, when: FloatArray, size: np.ndarray | int) -> None:
        """Transfers of the chunk's requests ``index`` (positions in the chunk)."""
        hour = (when // 3600).astype(np.int64)
        self._hourly(hour, size)
        self._spans[index[hour != self._first[index]]] = True
        self._pieces.append((index, hour, np.broadcast_to(np.asarray(size), index.shape)))

    def finish(self, inst: np.ndarray) -> None:
        """The chunk is done: each request's hour, and the transfers of those that spanned hours into the log."""
        hours = self.req_hour[self._begin:self._begin + len(self._first)]
        hours[:] = self._first
        if self._spans.any():
            hours[self._spans] = self.split
            for index, hour, size in self._pieces:
                mine = self._spans[index]
                if mine.any():
                    chosen = index[mine]
                    at = slice(self.count, self.count + len(chosen))
                    self.hub[at], self.hour[at], self.size[at] = inst[chosen], hour[mine], size[mine]
                    self.count += len(chosen)
        self._pieces = []

    def hour_peak(self, hubs: np.ndarray) -> int:
        """The most bytes any hub of ``hubs`` (sorted, distinct) moved in one clock hour."""
        if not len(hubs) or not len(self.per_hour):
            return 0
        bits = np.zeros((self.n >> 3) + 1, dtype=np.uint8)
        np.bitwise_or.at(bits, hubs >> 3, (1 << (hubs & 7)).astype(np.uint8))
        hours = len(self.per_hour)
        table: FloatArray = np.zeros(len(hubs) * hours)
        for hub_all, hour_all, size_all, count, skip in (
                (self.req_inst, self.req_hour, self.req_bytes, len(self.req_inst), True),
                (self.hub, self.hour, self.size, self.count, False)):
            for begin in range(0, count, PIECE):
                part = slice(begin, min(begin + PIECE, count))
                hub = hub_all[part]
                picked = (bits[hub >> 3] >> (hub & 7)) & 1
                hour = hour_all[part]
                chosen = np.flatnonzero(picked & (hour != self.split) if skip else picked)
                if not len(chosen):
                    continue
                where = np.searchsorted(hubs, hub[chosen]) * hours + hour[chosen].astype(np.int64)
                table += np.bincount(where, weights=size_all[part][chosen], minlength=len(table))
        return int(table.max())

    def close(self, result: Any, hub_bytes: np.ndarray, req_inst: np.ndarray, req_bytes: FloatArray) -> None:
        """``hub_bytes``: each hub's day total; ``req_inst``, ``req_bytes``: each request's hub and bytes."""
        self.req_inst, self.req_bytes = req_inst, req_bytes
        result.wan_bytes_per_hour = self.per_hour.astype(np.int64).tolist()
        result.hub_bytes = hub_bytes.astype(np.uint64, copy=False)
        top = _top(hub_bytes)
        bound = self.hour_peak(top)
        candidates = np.flatnonzero(hub_bytes >= bound) if bound else np.arange(len(hub_bytes))
        if len(candidates) * max(1, len(self.per_hour)) <= 1 << 24:
            result.peak_hub_hour_bytes = max(bound, self.hour_peak(candidates))
        else:  # a flat fleet (every hub alike, e.g. one read each): nothing to prune, count hour by hour
            result.peak_hub_hour_bytes = self._peak_by_hour()

    def _peak_by_hour(self) -> int:
        peak = 0
        hub, hour, size = self.hub[:self.count], self.hour[:self.count], self.size[:self.count]
        for target in range(len(self.per_hour)):
            mine, theirs = hour == target, self.req_hour == target
            hubs = np.concatenate([hub[mine], self.req_inst[theirs]])
            if len(hubs):
                sizes = np.concatenate([size[mine].astype(np.float64), self.req_bytes[theirs]])
                peak = max(peak, int(np.bincount(hubs, weights=sizes).max()))
        return peak


def _top(hub_bytes: np.ndarray) -> np.ndarray:
    """The TOP busiest hubs (sorted by index), a cache-sized piece at a time: no fleet-sized temporary."""
    if len(hub_bytes) <= TOP:
        return np.arange(len(hub_bytes))
    found = []
    for begin in range(0, len(hub_bytes), PIECE):
        piece = hub_bytes[begin:begin + PIECE]
        best = np.argpartition(piece, len(piece) - TOP)[-TOP:] if len(piece) > TOP else np.arange(len(piece))
        found.append(best + begin)
    every = np.concatenate(found)
    return np.sort(every[np.argpartition(hub_bytes[every], len(every) - TOP)[-TOP:]])


class HubTotals:
    """Bytes per hub, added a block of hubs at a time. A fleet-sized table (80 MB at ten million hubs) takes a
    random add per request that misses every cache; here each chunk's adds are sorted into per-block buffers by
    the hub's high bits (a radix sort of a cache-sized chunk), and a full buffer is added to its block of the table
    (2**16 hubs, 512 KB: in cache while it is added). A fleet of one block adds directly."""

    BITS = 16
    CAP = 1 << 15  # adds buffered per block (6 bytes each)

    def __init__(self, installations: int) -> None:
        self.n = installations
        self.total = np.zeros(installations, dtype=np.uint64)  # the result's type: no fleet-sized copy at the end
        self.blocks = ((installations - 1) >> self.BITS) + 1
        if self.blocks > 1:
            self.hub = np.empty(self.blocks * self.CAP, dtype=np.uint16)
            self.size = np.empty(self.blocks * self.CAP, dtype=np.float32)  # exact: integers below 2**24
            self.fill = np.zeros(self.blocks, dtype=np.int64)

    def add(self, hub: np.ndarray, size: np.ndarray) -> None:
        if not len(hub):
            return
        if self.blocks == 1:
            self.total += np.bincount(hub, weights=size, minlength=self.n).astype(np.uint64)
            return
        key = (hub >> self.BITS).astype(np.uint16)
        order = np.argsort(key, kind="stable")  # a radix sort: 16-bit keys
        counts = np.bincount(key, minlength=self.blocks)
        for block in np.flatnonzero(self.fill + counts > self.CAP):
            self._flush(int(block))
        key = key[order]
        local = (hub[order] & ((1 << self.BITS) - 1)).astype(np.uint16)
        weights = np.asarray(size, dtype=np.float32)[order]
        big = counts > self.CAP  # a chunk with more for one block than a buffer holds: added directly
        if big.any():
            starts = np.cumsum(counts) - counts
            for block in np.flatnonzero(big):
                begin, end = int(starts[block]), int(starts[block] + counts[block])
                self._add_block(int(block), local[begin:end], weights[begin:end])
            keep = ~big[key]
            key, local, weights = key[keep], local[keep], weights[keep]
            counts[big] = 0
        starts = np.cumsum(counts) - counts
        dest = key.astype(np.int64) * self.CAP + (self.fill - starts)[key] + np.arange(len(key))
        self.hub[dest] = local
        self.size[dest] = weights
        self.fill += counts

    def _add_block(self, block: int, local: np.ndarray, weights: np.ndarray) -> None:
        region = self.total[block << self.BITS:(block + 1) << self.BITS]
        region += np.bincount(local, weights=weights, minlength=len(region))[:len(region)].astype(np.uint64)

    def _flush(self, block: int) -> None:
        begin = block * self.CAP
        fill = int(self.fill[block])
        self._add_block(block, self.hub[begin:begin + fill], self.size[begin:begin + fill])
        self.fill[block] = 0

    def close(self) -> np.ndarray:
        if self.blocks > 1:
            for block in np.flatnonzero(self.fill):
                self._flush(int(block))
        return self.total
