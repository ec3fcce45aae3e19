"""How often a Service Request may be sent: reads are retried, updates never.

A lost answer to a top-up or a supply change does not say whether the device acted on it, so sending it again
could apply it twice; a read changes nothing and is safe to repeat. The simulated head-end, the fleet model and
the real-device link runner all send by this one rule.
"""

from __future__ import annotations

from pytest_svtad.smets1.catalogue import SrvDefinition

READ_RETRIES = 2  # a read is sent at most 1 + READ_RETRIES times


def attempts(entry: SrvDefinition) -> int:
    """How many times the request of ``entry`` may be sent: ``1 + READ_RETRIES`` for a read, 1 for an update."""
    return 1 + READ_RETRIES if entry.access == "read" else 1
