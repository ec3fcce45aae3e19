"""Fixtures of the Standard Dormant DMCT Migration Test Pack (SVTAD 20.15)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def dormant(smets1: Any) -> Any:
    """The DMC's installation as a dormant one: the pack tests migrating these device models out of dormancy.
    A DMC profiled as active is made dormant first (its supplier's SMSO contract ends), which only the simulator
    can do; on a real link the lab provides a dormant installation."""
    if getattr(smets1, "enrolled", False):
        if not hasattr(smets1, "make_dormant"):
            pytest.fail(f"{smets1.dmc.id}: the dormant migration pack needs a dormant installation", pytrace=False)
        smets1.make_dormant()
    return smets1


@pytest.fixture
def migrated(dormant: Any) -> Any:
    """The installation after a successful migration."""
    outcome = dormant.migrate(cohort="DMCT")
    if not outcome["migrated"]:
        pytest.fail(f"{dormant.dmc.id}: migration failed: {'; '.join(outcome['reasons'])}", pytrace=False)
    return dormant
