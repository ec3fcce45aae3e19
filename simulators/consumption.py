"""Household consumption in half-hour intervals: annual total x time-of-day shape x season x noise.

The shapes are coarse (a morning and an evening peak for electricity; heating hours and a strong winter bias for
gas) and are not a settlement profile: they exist so registers, profiles and daily logs move like a home's would.
"""

from __future__ import annotations

import math
import random
from datetime import datetime

INTERVALS_PER_YEAR = 17520

# relative demand per hour of the day (mean 1.0 over the day)
_ELECTRICITY_DAY = (0.55, 0.45, 0.42, 0.40, 0.40, 0.45, 0.75, 1.15, 1.20, 1.00, 0.90, 0.90,
                    0.95, 0.90, 0.85, 0.90, 1.10, 1.50, 1.85, 1.80, 1.60, 1.35, 1.05, 0.72)
_GAS_DAY = (0.20, 0.15, 0.15, 0.15, 0.20, 0.60, 2.10, 2.40, 1.80, 1.00, 0.70, 0.60,
            0.60, 0.55, 0.55, 0.70, 1.20, 1.90, 2.20, 2.00, 1.60, 1.20, 0.60, 0.30)


def _normalised(shape: tuple[float, ...]) -> tuple[float, ...]:
    mean = sum(shape) / len(shape)
    return tuple(value / mean for value in shape)


ELECTRICITY_DAY = _normalised(_ELECTRICITY_DAY)
GAS_DAY = _normalised(_GAS_DAY)


def seasonal(month: int, amplitude: float) -> float:
    """1 + amplitude in mid-January down to 1 - amplitude in mid-July."""
    return 1.0 + amplitude * math.cos(2 * math.pi * (month - 1) / 12)


class ConsumptionModel:
    """Watt-hours for each half hour of one meter's supply."""

    __slots__ = ("_mean_wh", "_day", "_season", "_rng", "_sigma")

    def __init__(self, fuel: str, kwh_per_year: float, rng: random.Random) -> None:
        self._mean_wh = kwh_per_year * 1000 / INTERVALS_PER_YEAR
        self._day = ELECTRICITY_DAY if fuel == "electricity" else GAS_DAY
        amplitude = 0.2 if fuel == "electricity" else 0.7
        self._season = tuple(seasonal(month, amplitude) for month in range(1, 13))
        self._rng = rng
        self._sigma = 0.35

    def interval_wh(self, start: datetime) -> int:
        """Energy of the half hour starting at ``start`` (whole Wh: registers sum exactly)."""
        shape = self._day[start.hour] * self._season[start.month - 1]
        noise = self._rng.lognormvariate(-self._sigma * self._sigma / 2, self._sigma)
        return max(0, round(self._mean_wh * shape * noise))
