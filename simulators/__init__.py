"""SimPy simulations of SMETS1 installations (and, later, fleets and an emulator behind real links).

Imports ``pytest_svtad.smets1`` (the shared vocabulary) and nothing else of the harness: no pytest, no rules.
"""

from simulators.errors import RequestError
from simulators.installation import Installation

__all__ = ["Installation", "RequestError"]
