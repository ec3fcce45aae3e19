"""The load profile of a fleet: Service Requests per installation per day by SRV and user role, DCC-scheduled
reads, alert rates, the diurnal shape, the shared capacity, the WAN, and fault scenarios. A pydantic model; the
file is read by ``pytest_svtad.files.fleet_profile.load_profile`` (the simulators read no files)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pytest_svtad.smets1.catalogue import default_catalogue
from pytest_svtad.smets1.profiles import Latency

ROLES = ("IS", "ES", "GS", "RSA", "ED", "GT", "OU")


def _clock(value: str) -> float:
    hours, _, minutes = value.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        raise ValueError(f"expected a time of day HH:MM, got '{value}'")
    return int(hours) * 3600 + int(minutes) * 60


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _known_srv(value: str) -> str:
    if value not in default_catalogue():
        raise ValueError(default_catalogue().unknown(value))
    return value


class OnDemand(_Strict):
    srv: str
    role: Literal["IS", "ES", "GS", "RSA", "ED", "GT", "OU"] = "IS"
    per_installation_per_day: float = Field(gt=0)

    @field_validator("srv")
    @classmethod
    def _known(cls, value: str) -> str:
        return _known_srv(value)


class Scheduled(_Strict):
    srv: str
    role: Literal["IS", "ES", "GS", "RSA", "ED", "GT", "OU"] = "IS"
    at: str  # time of day the schedule fires
    share: float = Field(default=1.0, gt=0, le=1)  # of installations
    spread_minutes: float = Field(default=60, gt=0)

    @field_validator("srv")
    @classmethod
    def _known(cls, value: str) -> str:
        return _known_srv(value)

    @field_validator("at")
    @classmethod
    def _time(cls, value: str) -> str:
        _clock(value)
        return value

    @property
    def start_s(self) -> float:
        return _clock(self.at)


class Alerts(_Strict):
    per_installation_per_day: float = Field(default=0.0, ge=0)
    bytes: int = Field(default=120, gt=0)


class Server(_Strict):
    """A shared stage with finite capacity: ``servers`` requests handled at once, each taking ``service_ms``."""

    servers: int = Field(gt=0)
    service_ms: float = Field(gt=0)


class Capacity(_Strict):
    dcc_adapter: Server = Server(servers=8, service_ms=40)
    head_end: Server = Server(servers=16, service_ms=150)


class Wan(_Strict):
    latency: Latency = Latency(median_s=2.0, p95_s=6.0)
    bandwidth_bps: int = Field(default=9600, gt=0)
    loss: float = Field(default=0.0, ge=0, lt=1)


class Sizes(_Strict):
    request: int = Field(default=200, gt=0)
    response: int = Field(default=400, gt=0)
    per_srv_response: dict[str, int] = {}  # e.g. profile data is bigger


class Fault(_Strict):
    kind: Literal["head_end_outage", "wan_loss", "firmware_bug"]
    at: str = "00:00"
    minutes: float = Field(default=30, gt=0)
    rate: float = Field(default=0.1, ge=0, lt=1)  # wan_loss
    dmc: str | None = None  # firmware_bug
    srv: str | None = None  # firmware_bug
    effect: Literal["timeout", "slow"] = "timeout"

    @model_validator(mode="after")
    def _complete(self) -> Fault:
        _clock(self.at)
        if self.kind == "firmware_bug" and (self.dmc is None or self.srv is None):
            raise ValueError("a firmware_bug names the 'dmc' whose share of the fleet has it and the 'srv' it breaks")
        return self

    @property
    def start_s(self) -> float:
        return _clock(self.at)


class LoadProfile(_Strict):
    name: str
    diurnal: list[float] = Field(default=[1.0] * 24)  # relative on-demand rate per hour of day
    on_demand: list[OnDemand] = []
    scheduled: list[Scheduled] = []
    alerts: Alerts = Alerts()
    capacity: Capacity = Capacity()
    wan: Wan = Wan()
    sizes: Sizes = Sizes()
    device_response: Latency = Latency(median_s=0.6, p95_s=2.5)
    response_timeout_s: float = Field(default=60, gt=0)
    dmc_shares: dict[str, float] = {"DMC-FLEET": 1.0}  # share of installations per DMC
    faults: list[Fault] = []

    @field_validator("diurnal")
    @classmethod
    def _day(cls, value: list[float]) -> list[float]:
        if len(value) != 24 or any(v < 0 for v in value) or not any(value):
            raise ValueError("expected 24 non-negative hourly factors, not all zero")
        mean = sum(value) / 24
        return [v / mean for v in value]

    @model_validator(mode="after")
    def _shares(self) -> LoadProfile:
        total = sum(self.dmc_shares.values())
        if not self.dmc_shares or any(v < 0 for v in self.dmc_shares.values()) or abs(total - 1) > 1e-6:
            raise ValueError(f"dmc_shares must be non-negative and sum to 1 (they sum to {total:g})")
        for fault in self.faults:
            if fault.kind == "firmware_bug" and fault.dmc not in self.dmc_shares:
                raise ValueError(f"firmware_bug names DMC '{fault.dmc}', which has no share in dmc_shares")
        return self

