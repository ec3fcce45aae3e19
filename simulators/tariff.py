"""How a meter prices energy from the tariff last written to it (1.1.1) and the prices of 1.2.1.

A tariff is the mapping the user wrote, kept verbatim for Read Tariff (4.11.1). The keys the meter acts on:

- ``unit_rate_pence``: one rate for every half hour;
- ``tou``: time-of-use bands, ``[{"from": "HH:MM", "rate_pence": r}, ...]`` (each band runs until the next one);
- ``blocks``: ``[{"up_to_kwh": k, "rate_pence": r}, ..., {"up_to_kwh": null, "rate_pence": r}]``, consumption since
  the tariff took effect (or the block counters' last reset) priced block by block;
- ``standing_charge_pence``: per day.

Other keys are kept and ignored. A tariff whose pricing keys have another shape is still stored (the contract
takes any mapping) and the meter keeps its previous pricing; the transcript says which field it could not use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from simulators.errors import RequestError

DEFAULT_TARIFF: dict[str, Any] = {"unit_rate_pence": 24.5, "standing_charge_pence": 53.0}


@dataclass(frozen=True, slots=True)
class Pricing:
    tou: tuple[tuple[int, float], ...]  # (minute of day the band starts, pence per kWh), sorted
    blocks: tuple[tuple[float | None, float], ...]  # (upper bound in kWh or None, pence per kWh)
    standing_charge_pence: float

    def tou_index(self, start: datetime) -> int:
        minute = start.hour * 60 + start.minute
        index = len(self.tou) - 1  # before the first band: the last band of the previous day
        for position, (band_start, _) in enumerate(self.tou):
            if band_start <= minute:
                index = position
        return index

    def cost_pence(self, start: datetime, kwh: float, block_kwh: float) -> float:
        """Cost of ``kwh`` used in the half hour at ``start``, ``block_kwh`` having been used in the block period."""
        if self.blocks:
            cost, used, remaining = 0.0, block_kwh, kwh
            for bound, rate in self.blocks:
                room = remaining if bound is None else max(0.0, min(remaining, bound - used))
                cost += room * rate
                used += room
                remaining -= room
                if remaining <= 0:
                    break
            return cost + remaining * self.blocks[-1][1]
        return kwh * self.tou[self.tou_index(start)][1]


def _number(value: Any, field: str, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise RequestError(f"tariff.{field}: expected a number >= {minimum:g}, got {value!r}")
    return float(value)


def _minute(value: Any, field: str) -> int:
    try:
        hours, minutes = (int(part) for part in str(value).split(":"))
    except ValueError:
        raise RequestError(f"tariff.{field}: expected a time 'HH:MM', got {value!r}") from None
    if not (0 <= hours < 24 and minutes in (0, 30)):
        raise RequestError(f"tariff.{field}: expected a half-hour boundary 'HH:00' or 'HH:30', got {value!r}")
    return hours * 60 + minutes


def pricing(tariff: Mapping[str, Any]) -> Pricing:
    """The meter's reading of a tariff mapping; raises RequestError naming the field that is wrong."""
    if not isinstance(tariff, Mapping):
        raise RequestError(f"tariff: expected a mapping, got {type(tariff).__name__}")
    standing = _number(tariff.get("standing_charge_pence", 0.0), "standing_charge_pence")
    tou: list[tuple[int, float]] = []
    blocks: list[tuple[float | None, float]] = []
    if "tou" in tariff:
        bands = tariff["tou"]
        if not isinstance(bands, list) or not bands:
            raise RequestError("tariff.tou: expected a non-empty list of {from, rate_pence}")
        for index, band in enumerate(bands):
            if not isinstance(band, Mapping):
                raise RequestError(f"tariff.tou[{index}]: expected a mapping with 'from' and 'rate_pence'")
            tou.append((_minute(band.get("from"), f"tou[{index}].from"),
                        _number(band.get("rate_pence"), f"tou[{index}].rate_pence")))
        tou.sort()
    if "blocks" in tariff:
        rows = tariff["blocks"]
        if not isinstance(rows, list) or not rows:
            raise RequestError("tariff.blocks: expected a non-empty list of {up_to_kwh, rate_pence}")
        for index, row in enumerate(rows):
            if not isinstance(row, Mapping):
                raise RequestError(f"tariff.blocks[{index}]: expected a mapping with 'up_to_kwh' and 'rate_pence'")
            bound = row.get("up_to_kwh")
            blocks.append((None if bound is None else _number(bound, f"blocks[{index}].up_to_kwh"),
                           _number(row.get("rate_pence"), f"blocks[{index}].rate_pence")))
    if not tou:
        tou = [(0, _number(tariff.get("unit_rate_pence", DEFAULT_TARIFF["unit_rate_pence"]), "unit_rate_pence"))]
    return Pricing(tuple(tou), tuple(blocks), standing)
