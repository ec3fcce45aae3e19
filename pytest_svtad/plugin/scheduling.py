"""The xdist scheduler used when DMCs are on real-device links: each such DMC's tests form one unit of work, so one
worker at a time talks to the installation; every other test is a unit of its own (as ``--dist load``)."""

from __future__ import annotations

from typing import Any

import pytest


def dmc_of(nodeid: str, dmcs: frozenset[str]) -> str | None:
    """The DMC among ``dmcs`` a node id is parametrized with (pytest joins parameter ids with '-')."""
    start, end = nodeid.rfind("["), nodeid.rfind("]")
    if start < 0 or end < start:
        return None
    params = nodeid[start + 1:end]
    for dmc in dmcs:
        if params == dmc or params.startswith(dmc + "-") or params.endswith("-" + dmc) or f"-{dmc}-" in params:
            return dmc
    return None


def one_worker_per_dmc(config: pytest.Config, log: Any, dmcs: frozenset[str]) -> Any:
    from xdist.scheduler import LoadScopeScheduling

    class OneWorkerPerDmc(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return dmc_of(nodeid, dmcs) or nodeid

    return OneWorkerPerDmc(config, log)
