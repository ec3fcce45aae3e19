"""Fixtures shared by the sample packs under testpacks/ (pytest finds this file for every pack below it)."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_svtad.smets1.profiles import DmcProfile, Profiles


@pytest.fixture
def installation(smets1: Any) -> Any:
    """The DMC's installation, enrolled with the DCC. Service testing follows migration, so a dormant installation
    is migrated first (on a real link the lab has done that)."""
    if not getattr(smets1, "enrolled", True):
        outcome = smets1.migrate(cohort="DMCT")
        if not outcome["migrated"]:
            pytest.fail(f"{smets1.dmc.id}: migration failed before service testing: {'; '.join(outcome['reasons'])}",
                        pytrace=False)
    return smets1


@pytest.fixture
def dormant(smets1: Any) -> Any:
    """The DMC's installation as a dormant one. A DMC profiled as active is made dormant first (its supplier's
    SMSO contract ends), which only the simulator can do; on a real link the lab provides a dormant installation."""
    if getattr(smets1, "enrolled", False):
        if not hasattr(smets1, "make_dormant"):
            pytest.fail(f"{smets1.dmc.id}: this test needs a dormant installation", pytrace=False)
        smets1.make_dormant()
    return smets1


@pytest.fixture
def migrated(dormant: Any) -> Any:
    """A dormant installation after a successful migration."""
    outcome = dormant.migrate(cohort="DMCT")
    if not outcome["migrated"]:
        pytest.fail(f"{dormant.dmc.id}: migration failed: {'; '.join(outcome['reasons'])}", pytrace=False)
    return dormant


@pytest.fixture
def expected_firmware(dmc: DmcProfile, svtad_profiles: Profiles) -> dict[str, str]:
    """Per device kind, the firmware the DMC runs once enrolled: its migration target, else its model's version."""
    versions = svtad_profiles.firmware(dmc)
    versions.update({kind.value: version for kind, version in dmc.migration.firmware_targets.items()})
    return versions


def alert_codes(installation: Any) -> list[str]:
    return [alert.code for alert in installation.alerts()]


@pytest.fixture
def codes() -> Any:
    """``codes(installation)``: the codes of the alerts delivered so far."""
    return alert_codes
