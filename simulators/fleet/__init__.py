"""System Capacity Testing: a fleet of SMETS1 installations sharing the DCC adapter and SMSO head-end, driven by a
load profile, measured for response times, throughput, queues and WAN bandwidth (SVTAD 5.2(d)). The
load profile file is read by ``pytest_svtad.files.fleet_profile``."""

from simulators.fleet.model import Fleet, FleetResult
from simulators.fleet.profile import LoadProfile

__all__ = ["Fleet", "FleetResult", "LoadProfile"]
