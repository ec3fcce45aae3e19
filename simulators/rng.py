"""Seeded randomness: one independent, reproducible stream per named part of an installation.

Each stream is derived from the installation seed and a name, so what one part draws never shifts what another
part draws: the same seed gives the same consumption whatever the test asks, and the same transcript bytes for
the same test.
"""

from __future__ import annotations

import hashlib
import math
import random

from pytest_svtad.smets1.profiles import Latency

Z95 = 1.6448536269514722  # the standard normal's 95th percentile


def stream(seed: int, *names: str) -> random.Random:
    digest = hashlib.sha256(":".join([str(seed), *names]).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


class LatencySampler:
    """Lognormal delays with a given median and 95th percentile, in seconds."""

    __slots__ = ("_mu", "_sigma", "_rng")

    def __init__(self, latency: Latency, rng: random.Random) -> None:
        self._mu = math.log(latency.median_s)
        self._sigma = math.log(latency.p95_s / latency.median_s) / Z95
        self._rng = rng

    def sample(self) -> float:
        return self._rng.lognormvariate(self._mu, self._sigma)


def eui64(rng: random.Random, prefix: str) -> str:
    """A hyphenated EUI-64 (the form DUIS RequestIDs use) under a 3-byte organisation prefix."""
    tail = rng.getrandbits(40).to_bytes(5, "big")
    return "-".join([*prefix.split("-"), *(f"{byte:02X}" for byte in tail)])
