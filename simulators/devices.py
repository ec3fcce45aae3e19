"""The devices of one SMETS1 installation and their state.

State is plain attributes so tests (through ``smets1.devices``) and the service handlers see the same thing. Time
is the installation's simulated UTC time; each device keeps its own clock as an offset plus a drift from it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pytest_svtad.smets1.profiles import DeviceKind, DeviceModel, Quirk
from simulators.consumption import ConsumptionModel
from simulators.errors import RequestError
from simulators.tariff import DEFAULT_TARIFF, Pricing, pricing

PROFILE_INTERVALS_KEPT = 13 * 31 * 48  # about 13 months of half hours
DAILY_READS_KEPT = 731
LOG_ENTRIES_KEPT = 500


@dataclass(slots=True)
class LogEntry:
    time: datetime  # by the device's clock
    code: str
    description: str

    def as_body(self) -> dict[str, Any]:
        return {"time": self.time, "code": self.code, "description": self.description}


class Device:
    """What every SMETS1 device has: identity, firmware, clock, logs, power, and its firmware's quirks."""

    def __init__(self, kind: DeviceKind, model: DeviceModel, device_id: str) -> None:
        self.kind = kind
        self.model = model
        self.device_id = device_id
        self.firmware = model.firmware
        self.pending_firmware: str | None = None  # distributed and verified, not yet activated
        self.powered = True
        self.offline_until: datetime | None = None  # rebooting
        self.clock_offset = timedelta(0)
        self.drift_ppm = 0.0
        self._drift_since: datetime | None = None
        self.event_log: deque[LogEntry] = deque(maxlen=LOG_ENTRIES_KEPT)
        self.security_log: deque[LogEntry] = deque(maxlen=LOG_ENTRIES_KEPT)
        self.suppressed_alerts: set[str] = set()
        self.supplier_name = ""
        self.supplier_telephone = ""  # DUIS 3.4 SupplierTelephoneNumber
        self.display_message = ""
        self.credentials: dict[str, str] = {}  # role -> key fingerprint (never the key)
        self.unsupported = set(model.unsupported_srvs)
        self.quirks: dict[str, Quirk] = {quirk.srv: quirk for quirk in model.quirks}

    def clock(self, now: datetime) -> datetime:
        drift = timedelta(0)
        if self.drift_ppm and self._drift_since is not None:
            drift = (now - self._drift_since) * (self.drift_ppm / 1e6)
        return now + self.clock_offset + drift

    def set_drift(self, now: datetime, offset_s: float, ppm: float) -> None:
        self.clock_offset = self.clock(now) - now + timedelta(seconds=offset_s)
        self.drift_ppm = ppm
        self._drift_since = now

    def synchronise(self, now: datetime) -> float:
        """Set the clock right (6.11); return how far off it was, in seconds."""
        error = (self.clock(now) - now).total_seconds()
        self.clock_offset = timedelta(0)
        self._drift_since = now
        return error

    def available(self, now: datetime) -> bool:
        return self.powered and (self.offline_until is None or now >= self.offline_until)

    @property
    def steady(self) -> bool:
        """Powered and not rebooting: no need to look at the clock to know it answers."""
        return self.powered and self.offline_until is None

    def log_event(self, now: datetime, code: str, description: str) -> None:
        self.event_log.append(LogEntry(self.clock(now), code, description))

    def log_security(self, now: datetime, code: str, description: str) -> None:
        self.security_log.append(LogEntry(self.clock(now), code, description))

    def __repr__(self) -> str:
        return f"<{self.kind.value} {self.model.id} {self.device_id} firmware {self.firmware}>"


@dataclass(slots=True)
class PrepayConfig:
    low_credit_threshold_pence: int = 500
    disablement_threshold_pence: int = 0
    emergency_credit_limit_pence: int = 1000
    emergency_credit_threshold_pence: int = 300
    max_debt_recovery_pence_per_day: int = 100

    def as_body(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]


class Meter(Device):
    """An ESME or GSME: registers, logs, tariff, prepayment and the supply valve or contactor."""

    def __init__(self, kind: DeviceKind, model: DeviceModel, device_id: str, consumption: ConsumptionModel,
                 register_wh: int, payment_mode: str) -> None:
        super().__init__(kind, model, device_id)
        self.fuel = "electricity" if kind is DeviceKind.ESME else "gas"
        self.consumption = consumption
        self.import_wh = register_wh
        self.tariff: dict[str, Any] = dict(DEFAULT_TARIFF)
        self.pricing: Pricing = pricing(self.tariff)
        self.tou_wh = [0] * len(self.pricing.tou)
        self.block_wh = 0
        self.profile: deque[tuple[datetime, int]] = deque(maxlen=PROFILE_INTERVALS_KEPT)
        self.daily_reads: deque[tuple[date, int]] = deque(maxlen=DAILY_READS_KEPT)
        self.daily_consumption: deque[tuple[date, int]] = deque(maxlen=DAILY_READS_KEPT)
        self.today_wh = 0
        self.interval_wh = 0  # energy of the half hour in progress (its average power is the demand)
        self.on_s = 0.0  # seconds the supply has been on in the half hour in progress
        self.on_since: float | None = None  # simulated time the supply last came on, while it is on
        self.payment_mode = payment_mode
        self.credit_pence = 2000.0
        self.emergency_credit_pence = 0.0  # emergency credit in use
        self.emergency_credit_active = False
        self.debt_pence = 0.0
        self.prepay = PrepayConfig()
        self.low_credit_alerted = False
        self.supply_status = "enabled"
        self.supply_disabled_by = ""  # "", "user", "credit", "load_limit"
        self.load_limit_w: int | None = None
        self.load_limit_events = 0
        self.load_limit_settings: dict[str, int | str] = {}  # DUIS 6.4.1 period / restoration / supply state
        self.utrns_used: set[str] = set()  # DUIS 2.2 UTRNs already accepted
        self.mpxn = ""
        self.calorific_value = 39.5  # MJ/m3 (GSME)
        self.conversion_factor = 1.02264

    @property
    def import_kwh(self) -> float:
        return self.import_wh / 1000

    def volume_m3(self) -> float:
        """The gas volume behind the energy register (kWh = m3 x CV x correction / 3.6)."""
        return self.import_wh / 1000 * 3.6 / (self.calorific_value * self.conversion_factor)

    def demand_w(self) -> int:
        return self.interval_wh * 2 if self.supply_status == "enabled" and self.powered else 0

    def set_tariff(self, tariff: dict[str, Any]) -> str:
        """Keep ``tariff`` verbatim (DUIS carries any tariff the meter accepts); price by it when its pricing keys
        are understood. Returns why the pricing stayed as it was, or ""."""
        self.tariff = tariff
        try:
            parsed = pricing(tariff)
        except RequestError as exc:
            return f"pricing unchanged: {exc}"
        self.pricing = parsed
        self.tou_wh = [0] * len(parsed.tou)
        self.block_wh = 0
        return ""

    def apply_price(self, changes: dict[str, Any]) -> str:
        return self.set_tariff({**self.tariff, **changes})

    @property
    def available_credit_pence(self) -> float:
        return self.credit_pence + (self.prepay.emergency_credit_limit_pence - self.emergency_credit_pence
                                    if self.emergency_credit_active else 0)


class CommsHub(Device):
    """The comms hub: the WAN end of the installation and the HAN's coordinator, with its HAN device log."""

    def __init__(self, kind: DeviceKind, model: DeviceModel, device_id: str) -> None:
        super().__init__(kind, model, device_id)
        self.han_log: dict[str, str] = {}  # device id -> kind, the devices allowed on the HAN


class HanDisplay(Device):
    """A PPMID or IHD: shows what the meters it is joined to publish."""

    def __init__(self, kind: DeviceKind, model: DeviceModel, device_id: str) -> None:
        super().__init__(kind, model, device_id)
        self.joined: set[str] = set()  # meter device ids

    def shows(self, meters: list[Meter]) -> dict[str, Any]:
        """What the screen shows now: per fuel, register, demand and (prepayment) credit, plus the message."""
        screen: dict[str, Any] = {"message": self.display_message}
        for meter in meters:
            if meter.device_id in self.joined:
                screen[meter.fuel] = {"import_kwh": round(meter.import_kwh, 3), "demand_w": meter.demand_w(),
                                      "credit_pence": int(meter.credit_pence), "supply_status": meter.supply_status,
                                      "supplier": meter.supplier_name}
        return screen


@dataclass(slots=True)
class Inventory:
    """The DCC's Smart Metering Inventory entries for one installation."""

    status: dict[str, str] = field(default_factory=dict)  # device id -> "installed", "commissioned", ...
