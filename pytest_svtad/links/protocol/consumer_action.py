"""``ConsumerAction``: what the consumer does at the meter (pressing its button to restore an armed supply). Only
the simulator; on real devices a person in the lab does it."""

from __future__ import annotations

from typing import Protocol


class ConsumerAction(Protocol):
    def press_button(self, device: str = "ESME") -> bool:
        """Press the meter's button; returns whether an armed supply was restored."""
