"""``KnownState``: the link can bring its installation to a known state at a test's start, so that no test sees
what an earlier one left (its supply, its tariff, alerts still due). The simulator builds a fresh installation per
test; a real-device link asks its device end to reset (the RESET frame of docs/device-link-protocol.md) and forgets
the alerts that arrived before. What a lab's devices need beyond that is a list of SRVs in the DMC profile
(``link.known_state.requests``), sent through ``request`` on any link."""

from __future__ import annotations

from typing import Protocol


class KnownState(Protocol):
    def reset(self, seed: int, enrolled: bool = False) -> str:
        """Bring the installation to its known state (``seed``: the test's; a simulated device end builds from it;
        ``enrolled``: enrolled with the DCC, a dormant installation migrated as the lab would have); returns what
        was done, for the transcript. A device end that cannot is a ``LinkError`` saying so."""

    def clear_alerts(self) -> int:
        """Forget the alerts received so far (not the test's); returns how many."""
