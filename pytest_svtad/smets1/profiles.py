"""Device model and DMC profiles (``device_profiles/models/*.yaml``, ``device_profiles/dmcs/*.yaml``).

A DMC (Device Model Combination) is the set of device models, with firmware versions, of one SMETS1 installation
and its SMSO (SVTAD glossary; SEC F2.10A for the EPCL the DMC aims at).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from pytest_svtad.errors import SvtadInputError
from pytest_svtad.files.reader import load_yaml, validate
from pytest_svtad.smets1.catalogue import default_catalogue
from pytest_svtad.smets1.kinds import KIND_NAMES, DeviceKind
from pytest_svtad.urls import duis_url_problem, socket_url_problem


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Latency(_Strict):
    """A response-time distribution, given the way labs quote it: median and 95th percentile (lognormal)."""

    median_s: float = Field(gt=0)
    p95_s: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Latency:
        if self.p95_s < self.median_s:
            raise ValueError(f"p95_s ({self.p95_s}) must be at least median_s ({self.median_s})")
        return self


class WanSpec(_Strict):
    """The comms hub's WAN as the SMSO sees it."""

    latency: Latency = Latency(median_s=2.0, p95_s=6.0)
    loss: float = Field(default=0.0, ge=0, lt=1)
    bandwidth_bps: int = Field(default=9600, gt=0)


class Quirk(_Strict):
    """A firmware defect reproduced by the simulator for one SRV.

    ``reject``: the device refuses the command (response ``code``); ``timeout``: it never answers; ``wrong_value``:
    it answers, with ``field`` replaced by ``value`` or multiplied by ``factor``."""

    srv: str = Field(pattern=r"^\d+(\.\d+){1,2}$")
    effect: Literal["reject", "timeout", "wrong_value"]
    code: str = "E11"
    field: str | None = None
    value: Any = None
    factor: float | None = None
    notes: str = ""

    @model_validator(mode="after")
    def _wrong_value_says_how(self) -> Quirk:
        if self.effect == "wrong_value" and self.field is None:
            raise ValueError("a wrong_value quirk names the body 'field' it corrupts (and a 'value' or 'factor')")
        if self.effect == "wrong_value" and self.value is None and self.factor is None:
            raise ValueError("a wrong_value quirk gives the wrong 'value' or a 'factor'")
        return self


class DeviceModel(_Strict):
    """One device model at one firmware version."""

    id: str = Field(min_length=1)
    kind: DeviceKind
    manufacturer: str = Field(min_length=1)
    model: str = Field(min_length=1)
    firmware: str = Field(min_length=1)
    hardware_version: str | None = None
    han_band: Literal["2.4GHz", "868MHz"] = "2.4GHz"
    # how long the device takes to act on a command once it has it
    response_time: Latency = Latency(median_s=0.5, p95_s=2.0)
    # SRVs this firmware does not implement: answered with an error code
    unsupported_srvs: tuple[str, ...] = ()
    # deliberate deviations from the behaviour the simulator models (to reproduce real devices' defects)
    quirks: tuple[Quirk, ...] = ()
    # the comms hub's WAN (comms hubs only)
    wan: WanSpec | None = None
    notes: str = ""


class KnownStateRequest(_Strict):
    """One SRV sent at each test's start to restore the known state (on every link kind, the simulator too)."""

    srv: str = Field(min_length=1)
    device: DeviceKind | None = None
    params: dict[str, Any] = {}

    @field_validator("srv")
    @classmethod
    def _known_srv(cls, value: str) -> str:
        catalogue = default_catalogue()
        if catalogue.get(value) is None:
            raise ValueError(catalogue.unknown(value))
        return value


class KnownState(_Strict):
    """Where each test starts (docs/device-link-protocol.md, Known state): the device end's reset (the RESET
    frame; the emulator and adapters that can), then these SRVs in order, each to answer I0; the alerts before are
    forgotten. The seeds say nothing of it: a lab lists what its devices need."""

    reset: bool = True
    requests: tuple[KnownStateRequest, ...] = ()


class LinkSpec(_Strict):
    """How the harness reaches the installation: the in-process simulator by default.

    ``duis`` (a DCC User Interface, real or ``svtad emulate --duis``): ``url`` is the DUIS base URL (``http(s)://``;
    the endpoints ``/api/v1/serviceS|T|D`` are under it), ``receiver_host``/``receiver_port`` where the link's
    receiver listens for the responses and alerts the DCC posts (port 0: a free port, announced with each request;
    no port: the link polls the emulator's ``GET /responses/<RequestID>`` instead), ``response_timeout_s`` how long
    a request waits for its response before the test fails. Who the User is and what it signs with are the
    profile's ``duis`` credentials (``DuisCredentials``)."""

    kind: Literal["sim", "serial", "zigbee", "duis"] = "sim"
    url: str | None = None
    baudrate: int = 115200
    timeout_s: float = Field(default=5.0, gt=0)
    receiver_host: str = "127.0.0.1"
    receiver_port: int | None = Field(default=None, ge=0, le=65535)
    response_timeout_s: float = Field(default=30.0, gt=0)
    known_state: KnownState = KnownState()

    @field_validator("url")
    @classmethod
    def _reachable_form(cls, value: str | None) -> str | None:
        problem = socket_url_problem(value) if value else None
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _duis_url(self) -> LinkSpec:
        if self.kind == "duis" and self.url is not None:
            problem = duis_url_problem(self.url if "://" in self.url and self.url.lower().startswith(("http", "duis+"))
                                       else f"duis+{self.url}")
            if problem:
                raise ValueError(f"url: {problem}")
        return self


class Household(_Strict):
    """The consumption the simulator feeds the meters with (annual totals, shaped by time of day and season)."""

    electricity_kwh_per_year: float = Field(default=2700, gt=0)
    gas_kwh_per_year: float = Field(default=11500, gt=0)


class MigrationSpec(_Strict):
    """What migrating this installation into the DCC involves (dormant and active installations alike)."""

    # firmware versions the DCC requires before enrolment, per device kind
    firmware_targets: dict[DeviceKind, str] = {}
    # whether the SMSO holds the devices' master keys (no master keys: excluded from migration)
    master_keys: bool = True


class DeviceSecrets(_Strict):
    """Key material a lab may keep with a DMC (to join or decrypt its HAN): never printed, logged or attached;
    SecretStr shows it masked wherever a profile is displayed."""

    install_code: SecretStr | None = None
    link_key: SecretStr | None = None


EUI64_PATTERN = r"^[0-9A-Fa-f]{2}(-[0-9A-Fa-f]{2}){7}$"


class DuisCredentials(_Strict):
    """Who the harness is on a DUIS interface and what it signs with (pytest_svtad/smets1/duis/signing.py):
    the User's EUI-64 (the RequestID originator), its EC P-256 private key and certificate, and the DCC's
    certificate that responses are verified against. Paths are files; keys are never committed (docs/duis.md)."""

    user_id: str = Field(pattern=EUI64_PATTERN)
    key: Path | None = None
    cert: Path | None = None
    dcc_cert: Path | None = None


class DmcProfile(_Strict):
    """A Device Model Combination as tested: one SMETS1 installation type of one set of device models."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    name: str = Field(min_length=1)
    installation: Literal["active", "dormant", "mixed"]
    devices: dict[DeviceKind, str]
    smso: str = "SMSO"
    epcl_entry: str | None = None
    link: LinkSpec = LinkSpec()
    payment_mode: Literal["credit", "prepayment"] = "credit"
    household: Household = Household()
    migration: MigrationSpec = MigrationSpec()
    secrets: dict[DeviceKind, DeviceSecrets] = {}
    # each device's EUI-64 (hyphenated), as a DUIS request names it; a device without one gets ``derived_eui64``
    eui64: dict[DeviceKind, str] = {}
    duis: DuisCredentials | None = None
    notes: str = ""

    @field_validator("devices")
    @classmethod
    def _has_devices(cls, value: dict[DeviceKind, str]) -> dict[DeviceKind, str]:
        if not value:
            raise ValueError(f"at least one device expected (kinds: {KIND_NAMES})")
        return value

    @field_validator("eui64")
    @classmethod
    def _eui64_form(cls, value: dict[DeviceKind, str]) -> dict[DeviceKind, str]:
        for kind, eui in value.items():
            if not re.fullmatch(EUI64_PATTERN, eui):
                raise ValueError(f"eui64.{kind.value}: expected a hyphenated EUI-64 like 00-DB-12-34-56-78-90-A3, "
                                 f"got '{eui}'")
        return {kind: eui.upper() for kind, eui in value.items()}

    @property
    def kinds(self) -> frozenset[DeviceKind]:
        return frozenset(self.devices)

    def device_eui64(self, kind: DeviceKind | str) -> str:
        """The EUI-64 of this DMC's device of ``kind``: the profile's, else ``derived_eui64``."""
        kind = DeviceKind(kind)
        return self.eui64.get(kind) or derived_eui64(self.id, kind)

    def lacks(self, kind: str) -> str:
        """The message for a request to a device kind this DMC does not have."""
        return f"{self.id} has no {kind} (its devices: {', '.join(k.value for k in self.devices)})"


def derived_eui64(dmc_id: str, kind: DeviceKind | str) -> str:
    """A stable EUI-64 for a device whose profile gives none: the first 8 bytes of SHA-256 of ``"<DMC id>/<kind>"``
    with the locally-administered bit set and the multicast bit clear (IEEE 802: not a real manufacturer's id), so
    the harness and ``svtad emulate --duis`` agree on it without configuration."""
    digest = bytearray(hashlib.sha256(f"{dmc_id}/{DeviceKind(kind).value}".encode()).digest()[:8])
    digest[0] = (digest[0] | 0x02) & 0xFE
    return "-".join(f"{byte:02X}" for byte in digest)


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
        item = validate(located, model_cls, what)
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
    models, model_files = _load_all(root / "models", DeviceModel, "device model profile")
    _check_srvs(models, model_files)
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
        _check_han(dmc, models, dmc_files[dmc.id])
    return Profiles(root, models, dmcs)


def _check_han(dmc: DmcProfile, models: dict[str, DeviceModel], path: Path) -> None:
    """Every HAN device of a DMC speaks the comms hub's band (2.4 GHz or 868 MHz)."""
    hub_id = dmc.devices.get(DeviceKind.CH)
    if hub_id is None:
        return
    band = models[hub_id].han_band
    for kind, model_id in dmc.devices.items():
        if models[model_id].han_band != band:
            raise SvtadInputError(path, f"DMC '{dmc.id}': devices.{kind.value} '{model_id}' is on the "
                                  f"{models[model_id].han_band} HAN but the comms hub '{hub_id}' is on {band}")


def _check_srvs(models: dict[str, DeviceModel], files: dict[str, Path]) -> None:
    """Quirks and unsupported SRVs name SRVs of the catalogue."""

    catalogue = default_catalogue()
    for model in models.values():
        named = [*(f"unsupported_srvs: '{srv}'" for srv in model.unsupported_srvs),
                 *(f"quirks: srv '{quirk.srv}'" for quirk in model.quirks)]
        for srv, where in zip([*model.unsupported_srvs, *(quirk.srv for quirk in model.quirks)], named, strict=True):
            if srv not in catalogue:
                close = catalogue.close_matches(srv)
                hint = f" (close: {', '.join(close)})" if close else ""
                raise SvtadInputError(files[model.id], f"device model '{model.id}': {where} is not in the SRV "
                                      f"catalogue{hint}")
