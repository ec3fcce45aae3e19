"""The WAN between the SMSO head-end and the comms hub, and the HAN between the hub and the devices."""

from __future__ import annotations

import random
from datetime import datetime

from pytest_svtad.smets1.profiles import WanSpec
from simulators.rng import LatencySampler

# ZigBee PHY bit rates: 250 kbit/s at 2.4 GHz; the GB sub-GHz (868 MHz) HAN runs at 100 kbit/s.
HAN_BIT_RATE = {"2.4GHz": 250_000, "868MHz": 100_000}
HAN_HOP_S = 0.015  # per-hop MAC/NWK overhead and acknowledgement
ZIGBEE_PAYLOAD = 80  # usable APS payload bytes per frame: longer commands fragment


class Wan:
    """Latency (lognormal), bandwidth, random loss and scheduled outages; a loss rate can be overridden by faults."""

    def __init__(self, spec: WanSpec, rng: random.Random) -> None:
        self.spec = spec
        self.loss = spec.loss
        self._latency = LatencySampler(spec.latency, rng)
        self._rng = rng
        self.outages: list[tuple[datetime, datetime]] = []

    def up(self, now: datetime) -> bool:
        return not self.outages or not any(start <= now < end for start, end in self.outages)

    def up_again(self, now: datetime) -> datetime:
        return max((end for start, end in self.outages if start <= now < end), default=now)

    def lost(self) -> bool:
        return self.loss > 0 and self._rng.random() < self.loss

    def transfer_s(self, size: int, down: bool) -> float:
        """Seconds to carry ``size`` bytes over the WAN (either direction: ``down`` is head-end to hub)."""
        return self._latency.sample() + size * 8 / self.spec.bandwidth_bps


class Han:
    """The ZigBee HAN: a hop costs the frames' air time at the band's bit rate plus MAC overhead."""

    def __init__(self, band: str) -> None:
        self.band = band
        self._bit_rate = HAN_BIT_RATE[band]

    def hop_s(self, size: int) -> float:
        frames = max(1, -(-size // ZIGBEE_PAYLOAD))
        return frames * HAN_HOP_S + size * 8 / self._bit_rate
