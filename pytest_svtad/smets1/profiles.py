"""Device model and DMC profiles (``device_profiles/models/*.yaml``, ``device_profiles/dmcs/*.yaml``).

A DMC (Device Model Combination) is the set of device models, with firmware versions, of one SMETS1 installation
and its SMSO (SVTAD glossary; SEC F2.10A for the EPCL the DMC aims at).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pytest_svtad.errors import SvtadInputError
from pytest_svtad.yamlfiles import load_yaml, pydantic_error


class DeviceKind(StrEnum):
    ESME = "ESME"
    GSME = "GSME"
    CH = "CH"
    PPMID = "PPMID"
    IHD = "IHD"


KIND_NAMES = ", ".join(kind.value for kind in DeviceKind)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeviceModel(_Strict):
    """One device model at one firmware version."""

    id: str = Field(min_length=1)
    kind: DeviceKind
    manufacturer: str = Field(min_length=1)
    model: str = Field(min_length=1)
    firmware: str = Field(min_length=1)
    hardware_version: str | None = None
    han_band: Literal["2.4GHz", "868MHz"] = "2.4GHz"
    # Deliberate deviations from the behaviour the simulator models (used to reproduce real devices' defects).
    quirks: tuple[str, ...] = ()
    notes: str = ""


class LinkSpec(_Strict):
    """How the harness reaches the installation: the in-process simulator by default."""

    kind: Literal["sim", "serial", "zigbee"] = "sim"
    url: str | None = None
    baudrate: int = 115200
    timeout_s: float = Field(default=5.0, gt=0)


class DmcProfile(_Strict):
    """A Device Model Combination as tested: one SMETS1 installation type of one set of device models."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    name: str = Field(min_length=1)
    installation: Literal["active", "dormant", "mixed"]
    devices: dict[DeviceKind, str]
    smso: str = "SMSO"
    epcl_entry: str | None = None
    link: LinkSpec = LinkSpec()
    notes: str = ""

    @field_validator("devices")
    @classmethod
    def _has_devices(cls, value: dict[DeviceKind, str]) -> dict[DeviceKind, str]:
        if not value:
            raise ValueError(f"at least one device expected (kinds: {KIND_NAMES})")
        return value

    @property
    def kinds(self) -> frozenset[DeviceKind]:
        return frozenset(self.devices)


class Profiles:
    """Every device model and DMC found under a profiles directory."""

    def __init__(self, root: Path, models: dict[str, DeviceModel], dmcs: dict[str, DmcProfile]) -> None:
        self.root = root
        self.models = models
        self.dmcs = dmcs

    def device_models(self, dmc: DmcProfile) -> dict[DeviceKind, DeviceModel]:
        return {kind: self.models[model_id] for kind, model_id in dmc.devices.items()}

    def firmware(self, dmc: DmcProfile) -> dict[str, str]:
        """Firmware version per device kind, for evidence (9.4(g) test environment)."""
        return {kind.value: model.firmware for kind, model in self.device_models(dmc).items()}


def _load_all(folder: Path, model_cls: type[_Strict], what: str) -> tuple[dict[str, Any], dict[str, Path]]:
    found: dict[str, Any] = {}
    origin: dict[str, Path] = {}
    if not folder.is_dir():
        return found, origin
    for path in sorted(folder.glob("*.y*ml")):
        located = load_yaml(path, what)
        if not isinstance(located.data, dict):
            raise SvtadInputError(path, f"{what}: expected a mapping of fields, got {type(located.data).__name__}", 1)
        try:
            item = model_cls.model_validate(located.data)
        except ValidationError as exc:
            raise pydantic_error(located, exc, what) from None
        item_id = item.id  # type: ignore[attr-defined]
        if item_id in found:
            raise SvtadInputError(path, f"{what}: duplicate id '{item_id}' (also in {origin[item_id]})",
                                  located.line_of(["id"]))
        found[item_id] = item
        origin[item_id] = path
    return found, origin


def load_profiles(root: Path) -> Profiles:
    """Load ``root/models/*.yaml`` and ``root/dmcs/*.yaml`` and check every DMC names known models of its kinds."""
    if not root.is_dir():
        raise SvtadInputError(root, "profiles directory not found (expected models/ and dmcs/ inside)")
    models, _ = _load_all(root / "models", DeviceModel, "device model profile")
    dmcs, dmc_files = _load_all(root / "dmcs", DmcProfile, "DMC profile")
    for dmc in dmcs.values():
        for kind, model_id in dmc.devices.items():
            model = models.get(model_id)
            path = dmc_files[dmc.id]
            if model is None:
                raise SvtadInputError(path, f"DMC '{dmc.id}': devices.{kind.value} names unknown device model "
                                      f"'{model_id}' (known: {', '.join(sorted(models)) or 'none'})")
            if model.kind != kind:
                raise SvtadInputError(path, f"DMC '{dmc.id}': devices.{kind.value} names '{model_id}', "
                                      f"which is a {model.kind.value}, not a {kind.value}")
    return Profiles(root, models, dmcs)
