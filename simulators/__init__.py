"""SimPy simulations of SMETS1 installations, a fleet for capacity testing, and an emulator behind the real-device
protocol.

Imports ``pytest_svtad.smets1`` (the shared vocabulary) and nothing else of the harness: no pytest, no rules, no
files. ``Installation`` is imported on first use, so a module such as ``simulators.services`` imports on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulators.errors import RequestError

if TYPE_CHECKING:
    from simulators.installation import Installation

__all__ = ["Installation", "RequestError"]


def __getattr__(name: str) -> Any:
    if name == "Installation":
        from simulators.installation import Installation

        return Installation
    raise AttributeError(f"module 'simulators' has no attribute {name!r}")
