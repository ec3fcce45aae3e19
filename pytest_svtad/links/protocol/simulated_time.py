"""``SimulatedTime``: the link's installation runs in virtual time that a test moves on. Only the simulator; a real
installation keeps its own time."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class SimulatedTime(Protocol):
    def advance(self, minutes: float = 0, hours: float = 0, days: float = 0) -> None:
        """Let a positive amount of simulated time pass."""

    @property
    def now(self) -> datetime:
        """The installation's simulated UTC time."""
