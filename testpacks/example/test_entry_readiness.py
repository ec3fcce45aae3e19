"""Entry-criteria readiness checks on each DMC's profile (SVTAD 12.5(d), 8.5(c)). Sample pack."""

import re

import pytest

from pytest_svtad.smets1.profiles import DeviceKind


@pytest.mark.ttm("EX-ENTRY-01")
def test_every_device_is_identified(dmc, svtad_profiles):
    for kind, model in svtad_profiles.device_models(dmc).items():
        assert model.manufacturer and model.model, f"{kind}: manufacturer/model missing"


@pytest.mark.ttm("EX-ENTRY-02")
def test_every_device_has_a_firmware_version(dmc, svtad_profiles):
    for kind, model in svtad_profiles.device_models(dmc).items():
        assert re.fullmatch(r"\d+(\.\d+)*", model.firmware), f"{kind}: firmware '{model.firmware}' not a version"


@pytest.mark.ttm("EX-ENTRY-03")
def test_installation_has_hub_and_meter(dmc):
    assert DeviceKind.CH in dmc.kinds
    assert dmc.kinds & {DeviceKind.ESME, DeviceKind.GSME}


@pytest.mark.ttm("EX-ENTRY-04")
@pytest.mark.regression
def test_installation_type_is_known(dmc):
    assert dmc.installation in ("active", "dormant", "mixed")
