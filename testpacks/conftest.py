"""Helpers shared by the sample packs under testpacks/ (pytest finds this file for every pack below it). The
installation states the packs start from (``installation``, ``dormant``, ``migrated``) are the plugin's fixtures."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_svtad.smets1.profiles import DmcProfile, Profiles


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
