"""Fixtures of the Standard DMCT SRV Test Pack (SVTAD 20.15)."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_svtad.smets1.profiles import DmcProfile, Profiles


@pytest.fixture
def installation(smets1: Any) -> Any:
    """The DMC's installation, enrolled with the DCC: SRV testing comes after migration, so a dormant
    installation is migrated first (on a real link the lab has done that)."""
    if not getattr(smets1, "enrolled", True):
        outcome = smets1.migrate(cohort="DMCT")
        if not outcome["migrated"]:
            pytest.fail(f"{smets1.dmc.id}: migration failed before SRV testing: {'; '.join(outcome['reasons'])}",
                        pytrace=False)
    return smets1


@pytest.fixture
def expected_firmware(dmc: DmcProfile, svtad_profiles: Profiles) -> dict[str, str]:
    """Per device kind, the firmware the DMC runs once enrolled: its migration target, else its model's version."""
    versions = svtad_profiles.firmware(dmc)
    versions.update({kind.value: version for kind, version in dmc.migration.firmware_targets.items()})
    return versions
