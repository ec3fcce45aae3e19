"""``FaultInjection``: faults a test injects now (WAN outage and loss, reboot, power cut, clock drift, tamper,
firmware quirks, lost master keys). Only the simulator; on real devices the lab makes the faults."""

from __future__ import annotations

from typing import Any, Protocol


class FaultInjection(Protocol):
    @property
    def faults(self) -> Any:
        """The installation's fault switchboard (``simulators.faults.Faults``)."""
