"""One simulated SMETS1 installation in virtual time: devices, HAN, WAN, the SMSO head-end and the DCC adapter.

A Service Request travels as it does in the field: the DCC adapter checks it and acknowledges (I99),
the SMSO head-end sends the device command over the WAN to the comms hub, the hub passes it over the HAN to the
device, the device acts on it after its own response time, and the answer returns the same way. The head-end
waits ``response_timeout_s`` per attempt; reads are retried, updates never (a lost answer to a top-up must not
top up twice), and a request nobody answers ends ``E21``. Alerts take the same path back and wait in the hub while
the WAN is down. ``request`` runs the SimPy environment until its response exists, so time passes in a test as it
would in the field, only faster.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Generator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import simpy

from pytest_svtad.smets1.catalogue import SrvCatalogue, SrvDefinition, default_catalogue
from pytest_svtad.smets1.messages import Alert, ServiceRequest, ServiceResponse
from pytest_svtad.smets1.profiles import DeviceKind, DeviceModel, DmcProfile, WanSpec
from pytest_svtad.smets1.retries import attempts as send_attempts
from pytest_svtad.smets1.transcript import Transcript
from simulators import migration
from simulators.alerts import ALERT_NAMES
from simulators.consumption import ConsumptionModel
from simulators.devices import CommsHub, Device, HanDisplay, Inventory, Meter
from simulators.errors import RequestError
from simulators.faults import Faults
from simulators.network import Han, Wan
from simulators.params import moment, validate
from simulators.quirks import corrupt
from simulators.rng import LatencySampler, eui64, stream
from simulators.services import SERVICES, Refused, Service

DEFAULT_START = datetime(2026, 1, 12, tzinfo=UTC)  # a Monday, midnight
USER_ID = "90-B3-D5-1F-30-01-00-00"  # the DCC User the harness acts as (an EUI-64, as in DUIS RequestIDs)
HALF_HOUR_S = 1800.0
DCC_PROCESSING_S = 0.8  # DSP + S1SP validation and translation, before the head-end sends anything
ALERT_RETRY_S = 300.0  # the DCC retries a device alert at least once within 300 s ...
ALERT_QUEUE_S = 2 * 86400.0  # ... then queues it for up to 2 days
MAINS_POWERED = (DeviceKind.ESME, DeviceKind.CH, DeviceKind.PPMID, DeviceKind.IHD)
_MANUFACTURER_PREFIX = "00-DB-12"

Outcome = tuple[str, dict[str, Any], str]  # response code, body, detail


class Installation:
    """A SMETS1 installation of one DMC. ``request``, ``alerts``, ``advance``, ``faults``, ``devices``, ``now``."""

    def __init__(self, dmc: DmcProfile, models: Mapping[DeviceKind, DeviceModel], seed: int = 0,
                 start: datetime | None = None, catalogue: SrvCatalogue | None = None,
                 response_timeout_s: float = 60.0) -> None:
        start = start or DEFAULT_START
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        self.dmc = dmc
        self.seed = seed
        self.catalogue = catalogue or default_catalogue()
        self.response_timeout_s = response_timeout_s
        self.env = simpy.Environment()
        self._epoch = start.timestamp()
        self.counter = 1000
        self._ids = itertools.count(1001)
        self.enrolled = dmc.installation != "dormant"
        self.failed_migrations = 0
        self.master_keys = dmc.migration.master_keys  # held by the SMSO: without them no migration
        self.transcript = Transcript(f"# transcript of {dmc.id} ({dmc.name}), seed {seed}, simulated time UTC")
        self._delivered: list[Alert] = []
        self.inventory = Inventory()
        self.devices: dict[str, Device] = {}
        self._build(models)
        self.faults = Faults(self)
        self._timing = stream(seed, "timing")
        self._response_time = {kind: LatencySampler(device.model.response_time, self._timing)
                               for kind, device in self.devices.items()}
        self.env.process(self._half_hours())

    # --- construction ---------------------------------------------------------------------------------------

    def _build(self, models: Mapping[DeviceKind, DeviceModel]) -> None:
        ids = stream(self.seed, "device-ids")
        status = "commissioned" if self.enrolled else "not migrated"
        for kind in DeviceKind:
            model = models.get(kind)
            if model is None or kind not in self.dmc.devices:
                continue
            device_id = eui64(ids, _MANUFACTURER_PREFIX)
            device: Device
            if kind in (DeviceKind.ESME, DeviceKind.GSME):
                fuel = "electricity" if kind is DeviceKind.ESME else "gas"
                annual = (self.dmc.household.electricity_kwh_per_year if kind is DeviceKind.ESME
                          else self.dmc.household.gas_kwh_per_year)
                registers = stream(self.seed, "registers", kind.value)
                device = Meter(kind, model, device_id, ConsumptionModel(fuel, annual, stream(self.seed, "use", fuel)),
                               registers.randrange(2_000_000, 40_000_000), self.dmc.payment_mode)
                device.mpxn = "".join(str(registers.randrange(10)) for _ in range(13 if fuel == "electricity" else 10))
            elif kind is DeviceKind.CH:
                device = CommsHub(kind, model, device_id)
            else:
                device = HanDisplay(kind, model, device_id)
            self.devices[kind.value] = device
            self.inventory.status[device_id] = status
        found = self.devices.get(DeviceKind.CH.value)
        self._hub = hub = found if isinstance(found, CommsHub) else None
        band = hub.model.han_band if hub else "2.4GHz"
        self.han = Han(band)
        self.wan = Wan(hub.model.wan if hub and hub.model.wan else WanSpec(), stream(self.seed, "wan"))
        if hub is not None:
            hub.han_log = {item.device_id: item.kind.value for item in self.devices.values() if item is not hub}
        for display in self.displays():
            display.joined = {meter.device_id for meter in self.meters()}
        now = self.now
        for meter in self.meters():
            meter.interval_wh = meter.consumption.interval_wh(self._interval_start(now))
            meter.on_since = self.env.now if self._energised(meter) else None

    # --- views ----------------------------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return datetime.fromtimestamp(self._epoch + self.env.now, UTC)

    @property
    def hub(self) -> CommsHub | None:
        return self._hub

    def meters(self) -> list[Meter]:
        return [item for item in self.devices.values() if isinstance(item, Meter)]

    def displays(self) -> list[HanDisplay]:
        return [item for item in self.devices.values() if isinstance(item, HanDisplay)]

    def device(self, kind: str) -> Device:
        found = self.devices.get(str(kind))
        if found is None:
            raise RequestError(self.dmc.lacks(kind))
        return found

    def alerts(self) -> list[Alert]:
        """Every alert delivered to the DCC User so far, in order of delivery."""
        return list(self._delivered)

    def transcript_text(self) -> str:
        return self.transcript.text()

    def note(self, text: str) -> None:
        self.transcript.add(self.now, "--", text)

    # --- time -----------------------------------------------------------------------------------------------

    def advance(self, minutes: float = 0, hours: float = 0, days: float = 0) -> None:
        """Let simulated time pass: a positive amount given as ``minutes=``, ``hours=`` and/or ``days=``."""
        for name, value in (("minutes", minutes), ("hours", hours), ("days", days)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise RequestError(f"advance: {name} must be a finite number, got {value!r}")
        seconds = minutes * 60 + hours * 3600 + days * 86400
        if seconds < 0:
            raise RequestError("advance: time only moves forward")
        if seconds == 0:
            raise RequestError("advance: expected a positive amount of simulated time, e.g. advance(minutes=30), "
                               "advance(hours=24) or advance(days=1)")
        self.env.run(until=self.env.now + seconds)

    def _interval_start(self, when: datetime) -> datetime:
        stamp = when.timestamp()
        return datetime.fromtimestamp(stamp - stamp % HALF_HOUR_S, UTC)

    def _half_hours(self) -> Generator[simpy.Event, Any, None]:
        """Every half hour: close the interval on each meter (registers, profile, prepayment), open the next."""
        env = self.env
        while True:
            absolute = self._epoch + env.now
            yield env.timeout(HALF_HOUR_S - absolute % HALF_HOUR_S)
            boundary = self.now
            begun = boundary - timedelta(minutes=30)
            for meter in self.meters():
                self._close_interval(meter, begun, boundary)
                meter.interval_wh = meter.consumption.interval_wh(boundary)

    def _energised(self, meter: Meter) -> bool:
        return meter.supply_status == "enabled" and meter.powered

    def _account(self, meter: Meter) -> None:
        """Add the time the supply was on since the last change to this half hour's energised time."""
        if meter.on_since is not None:
            meter.on_s += self.env.now - meter.on_since
        meter.on_since = self.env.now if self._energised(meter) else None

    def _close_interval(self, meter: Meter, begun: datetime, boundary: datetime) -> None:
        self._account(meter)
        wh = round(meter.interval_wh * min(1.0, meter.on_s / HALF_HOUR_S))
        meter.on_s = 0.0
        meter.import_wh += wh
        meter.tou_wh[meter.pricing.tou_index(begun)] += wh
        meter.profile.append((begun, wh))
        meter.today_wh += wh
        if meter.payment_mode == "prepayment":
            cost = meter.pricing.cost_pence(begun, wh / 1000, meter.block_wh / 1000)
            cost += meter.pricing.standing_charge_pence / 48
            recovery = min(meter.debt_pence, meter.prepay.max_debt_recovery_pence_per_day / 48)
            meter.debt_pence -= recovery
            self._debit(meter, cost + recovery)
        meter.block_wh += wh
        if meter.load_limit_w is not None and wh * 2 > meter.load_limit_w:
            meter.load_limit_events += 1
            meter.log_event(self.now, "LOADLIM", f"load limit {meter.load_limit_w} W exceeded ({wh * 2} W average)")
            self.set_supply(meter, "armed", "load_limit")
        if boundary.hour == 0 and boundary.minute == 0:
            meter.daily_reads.append((boundary.date(), meter.import_wh))
            meter.daily_consumption.append(((boundary - timedelta(days=1)).date(), meter.today_wh))
            meter.today_wh = 0

    def _debit(self, meter: Meter, pence: float) -> None:
        meter.credit_pence -= pence
        if meter.credit_pence < 0 and meter.emergency_credit_active:
            meter.emergency_credit_pence += -meter.credit_pence
            meter.credit_pence = 0.0
        self.prepayment_checks(meter)

    # --- state changes the services and faults share --------------------------------------------------------

    def prepayment_checks(self, meter: Meter) -> None:
        """Low credit, disablement and emergency credit rules of a prepayment meter, after any balance change."""
        if meter.payment_mode != "prepayment":
            return
        config = meter.prepay
        if meter.available_credit_pence < config.low_credit_threshold_pence:
            if not meter.low_credit_alerted:
                meter.low_credit_alerted = True
                self.raise_alert(meter, "810D", {"credit_pence": int(meter.available_credit_pence)})
        else:
            meter.low_credit_alerted = False
        exhausted = meter.emergency_credit_active and (
            meter.emergency_credit_pence >= config.emergency_credit_limit_pence)
        no_credit = not meter.emergency_credit_active and meter.credit_pence <= config.disablement_threshold_pence
        if meter.supply_status == "enabled" and (exhausted or no_credit):
            self.set_supply(meter, "disabled", "credit")
            self.raise_alert(meter, "81AA" if exhausted else "8F0F", {"credit_pence": int(meter.credit_pence)})
        elif meter.supply_disabled_by == "credit" and not exhausted and not no_credit:
            self.set_supply(meter, "armed", "credit")  # credit is back: the customer restores the supply

    def set_supply(self, meter: Meter, status: str, by: str) -> None:
        if meter.supply_status == status:
            return
        self._account(meter)
        meter.supply_status = status
        meter.supply_disabled_by = "" if status == "enabled" else by
        meter.on_since = self.env.now if self._energised(meter) else None
        meter.log_event(self.now, "SUPPLY", f"supply {status} ({by})")
        if status == "disabled":
            self.raise_alert(meter, "8F57", {"reason": by})

    def press_button(self, device: str = "ESME") -> bool:
        """The consumer presses the meter's button: an armed supply is restored. Returns whether it was."""
        meter = self.device(device)
        if not isinstance(meter, Meter) or meter.supply_status != "armed" or not meter.powered:
            return False
        self.set_supply(meter, "enabled", "consumer")
        self.note(f"consumer pressed the {device} button: supply enabled")
        return True

    def reboot(self, device: Device, seconds: float) -> None:
        device.offline_until = self.now + timedelta(seconds=seconds)
        device.log_event(self.now, "REBOOT", f"device restart ({seconds:g} s)")

    def power_outage(self, duration: timedelta) -> None:
        self.env.process(self._outage(duration))

    def _outage(self, duration: timedelta) -> Generator[simpy.Event, Any, None]:
        mains = [self.devices[kind.value] for kind in MAINS_POWERED if kind.value in self.devices]
        for device in mains:
            device.powered = False
            if isinstance(device, Meter):
                self._account(device)
        yield self.env.timeout(duration.total_seconds())
        for device in mains:
            device.powered = True
            if isinstance(device, Meter):
                self._account(device)
        esme = self.devices.get(DeviceKind.ESME.value)
        if esme is not None:
            minutes = duration.total_seconds() / 60
            esme.log_event(self.now, "POWER", f"supply outage of {minutes:g} min ended")
            self.raise_alert(esme, "8F35", {"outage_minutes": round(minutes, 1)})
            if duration >= timedelta(minutes=3):
                self.raise_alert(esme, "8F36", {"outage_minutes": round(minutes, 1)})

    def raise_alert(self, device: Device, code: str, details: dict[str, Any]) -> None:
        """The device raises an alert: logged, then sent to the DCC User unless its behaviour suppresses it."""
        device.log_event(self.now, code, ALERT_NAMES.get(code, "alert"))
        if code in device.suppressed_alerts:
            return
        alert = Alert(code=code, device=device.kind.value, name=ALERT_NAMES.get(code, ""),
                      raised_at=device.clock(self.now), details=details)
        self.env.process(self._deliver(alert))

    def _deliver(self, alert: Alert) -> Generator[simpy.Event, Any, None]:
        raised = self.env.now
        hub = self.hub
        while True:
            if not self.enrolled:
                return  # a dormant installation's alerts reach nobody
            now = self.now
            if self.env.now - raised > ALERT_QUEUE_S:
                self.note(f"alert {alert.code} from {alert.device} expired undelivered")
                return
            if hub is not None and hub.available(now) and self.wan.up(now) and not self.wan.lost():
                size = len(json.dumps(alert.details)) + 48
                yield self.env.timeout(self.han.hop_s(size) + self.wan.transfer_s(size, down=False))
                delivered = Alert(alert.code, alert.device, alert.name, alert.raised_at, alert.details, self.now)
                self._delivered.append(delivered)
                self.transcript.add(self.now, "ALERT", f"{alert.code} {alert.name} from {alert.device}",
                                    {"details": alert.details, "raised_at": alert.raised_at})
                return
            wait = ALERT_RETRY_S
            if not self.wan.up(now):
                wait = max(wait, (self.wan.up_again(now) - now).total_seconds())
            yield self.env.timeout(wait)

    def distribute_firmware(self, device: Device, version: str, size: int, corrupt_image: bool) -> None:
        self.env.process(self._distribute(device, version, size, corrupt_image))

    def _distribute(self, device: Device, version: str, size: int,
                    corrupt_image: bool) -> Generator[simpy.Event, Any, None]:
        """11.1: the image goes over the WAN to the hub, over the HAN to the device, which verifies it."""
        while not self.wan.up(self.now):
            yield self.env.timeout((self.wan.up_again(self.now) - self.now).total_seconds())
        yield self.env.timeout(self.wan.transfer_s(size, down=True))
        if device is not self.hub:
            yield self.env.timeout(self.han.hop_s(size))
        if corrupt_image:
            device.log_security(self.now, "FWFAIL", f"firmware image {version} failed verification")
            self.raise_alert(device, "8F1C", {"version": version})
            return
        device.pending_firmware = version
        device.log_security(self.now, "FWOK", f"firmware image {version} verified")
        self.raise_alert(device, "8F72", {"version": version})

    # --- Service Requests -----------------------------------------------------------------------------------

    def request(self, srv: str, device: str | None = None, **params: Any) -> ServiceResponse:
        """Send one Service Request and return its response once the installation has answered (or not)."""
        entry = self.catalogue.get(srv)
        if entry is None:
            raise RequestError(self.catalogue.unknown(srv))
        service = SERVICES.get(srv)
        if service is None or not entry.simulated:
            raise RequestError(f"SRV {srv} {entry.name} is in the catalogue but not simulated")
        execution_time = params.pop("execution_time", None)
        command_variant = params.pop("command_variant", 8 if entry.non_device else (4 if entry.critical else 1))
        target = self._target(entry, device)
        args = validate(srv, service.params, params)
        when = moment(srv, "execution_time", execution_time) if execution_time is not None else None
        if when is not None and entry.future_dated == "none":
            raise RequestError(f"SRV {srv} {entry.name} cannot be future dated")
        self.counter = next(self._ids)
        target_id = target.device_id if target is not None else USER_ID
        request = ServiceRequest(srv=srv, params=args, request_id=f"{USER_ID}:{target_id}:{self.counter}",
                                 device=target.kind.value if target is not None else "",
                                 command_variant=command_variant, execution_time=when)
        done = self.env.event()
        self.env.process(self._serve(request, entry, service, target, done))
        self.env.run(until=done)
        response = done.value
        assert isinstance(response, ServiceResponse)
        return response

    def _target(self, entry: SrvDefinition, device: str | None) -> Device | None:
        if device is not None:
            if device not in DeviceKind.__members__:
                raise RequestError(f"unknown device kind '{device}' (kinds: {', '.join(DeviceKind.__members__)})")
            return self.device(device)
        kind = entry.default_device(DeviceKind(name) for name in self.devices)
        if kind is None:
            if entry.non_device and not entry.devices:
                return None
            raise RequestError(f"SRV {entry.srv} {entry.name} goes to a {' or '.join(entry.devices)}; "
                               f"{self.dmc.id} has none (its devices: {', '.join(self.devices)})")
        return self.devices[kind.value]

    def _serve(self, request: ServiceRequest, entry: SrvDefinition, service: Service, target: Device | None,
               done: simpy.Event) -> Generator[simpy.Event, Any, None]:
        issued = self.now
        self.transcript.add(issued, ">>", f"{entry.srv} {entry.name} to {request.device or 'DCC'} "
                            f"id={request.request_id} cv={request.command_variant}", request.params)
        yield self.env.timeout(DCC_PROCESSING_S)
        outcome: Outcome
        if target is not None and (target.kind not in entry.devices or not isinstance(target, service.device_class)):
            outcome = ("E11", {}, f"SRV {entry.srv} is not for a {target.kind.value}")
        elif entry.non_device:
            outcome = self._at_dcc(service, target, request.params) if self.enrolled else (
                "E19", {}, "the device is not in the Smart Metering Inventory (not migrated)")
        else:
            self.transcript.add(self.now, "<<", f"I99 acknowledged id={request.request_id}")
            if request.execution_time is not None:
                wait = (request.execution_time - self.now).total_seconds()
                if wait > 0:
                    yield self.env.timeout(wait)
            assert target is not None
            outcome = yield from self._to_device(entry, service, target, request.params)
        code, body, detail = outcome
        response = ServiceResponse(request_id=request.request_id, srv=entry.srv, code=code, body=body,
                                   device=request.device, issued_at=issued, completed_at=self.now, detail=detail)
        self.transcript.add(self.now, "<<", f"{entry.srv} {code} id={request.request_id}"
                            + (f" ({detail})" if detail else ""), body or None)
        done.succeed(response)

    def _at_dcc(self, service: Service, target: Device | None, args: dict[str, Any]) -> Outcome:
        """A non-device request: the DCC answers from its own systems (inventory) or starts a process (firmware)."""
        device = target if target is not None else next(iter(self.devices.values()))
        return "I0", service.handler(self, device, args), ""

    def _to_device(self, entry: SrvDefinition, service: Service, device: Device,
                   args: dict[str, Any]) -> Generator[simpy.Event, Any, Outcome]:
        attempts = send_attempts(entry)
        for attempt in range(attempts):
            outcome = yield from self._round_trip(entry, service, device, args)
            if outcome is not None:
                return outcome
            if attempt + 1 < attempts:
                self.transcript.add(self.now, "--", f"head-end: no answer to {entry.srv}, retrying "
                                    f"({attempt + 2}/{attempts})")
        tried = f" after {attempts} attempts" if attempts > 1 else ""
        return "E21", {}, f"no response from the {device.kind.value} within {self.response_timeout_s:g} s{tried}"

    def _round_trip(self, entry: SrvDefinition, service: Service, device: Device,
                    args: dict[str, Any]) -> Generator[simpy.Event, Any, Outcome | None]:
        env = self.env
        wan = self.wan
        deadline = env.now + self.response_timeout_s
        hub = self._hub
        size = len(entry.srv) + len(repr(args)) + 64
        if not self.enrolled or (wan.outages and not wan.up(self.now)) or wan.lost() or (
                hub is not None and not hub.steady and not hub.available(self.now)):
            yield env.timeout(deadline - env.now)
            return None
        yield env.timeout(wan.transfer_s(size, down=True))
        if device is not hub:
            yield env.timeout(self.han.hop_s(size))
        quirk = device.quirks.get(entry.srv) if device.quirks else None
        if (not device.steady and not device.available(self.now)) or (
                quirk is not None and quirk.effect == "timeout"):
            yield env.timeout(max(0.0, deadline - env.now))
            return None
        yield env.timeout(self._response_time[device.kind.value].sample())
        outcome = self._execute(entry, service, device, args)
        answer = len(repr(outcome[1])) + 64
        if device is not hub:
            yield env.timeout(self.han.hop_s(answer))
        if (wan.outages and not wan.up(self.now)) or wan.lost():
            yield env.timeout(max(0.0, deadline - env.now))
            return None  # the device acted; its answer is lost
        yield env.timeout(wan.transfer_s(answer, down=False))
        if env.now > deadline:
            return None
        return outcome

    def _execute(self, entry: SrvDefinition, service: Service, device: Device, args: dict[str, Any]) -> Outcome:
        if entry.srv in device.unsupported:
            return "E11", {}, f"{device.model.id} firmware {device.firmware} does not support SRV {entry.srv}"
        quirk = device.quirks.get(entry.srv)
        if quirk is not None and quirk.effect == "reject":
            return quirk.code, {}, f"rejected by the {device.kind.value}"
        try:
            body = service.handler(self, device, args)
        except Refused as refusal:
            return "I0", {"result": "failure", "reason": str(refusal)}, str(refusal)
        if quirk is not None and quirk.effect == "wrong_value":
            body = corrupt(body, quirk)
        return "I0", body, ""

    # --- migration (DMCT) -----------------------------------------------------------------------------------

    def migration_readiness(self) -> dict[str, Any]:
        return migration.readiness(self)

    def migrate(self, cohort: str = "FOC") -> dict[str, Any]:
        return migration.migrate(self, cohort)

    def make_dormant(self) -> None:
        """The supplier ends its SMSO contract: the installation keeps metering but leaves the DCC's reach."""
        self.enrolled = False
        for device in self.devices.values():
            self.inventory.status[device.device_id] = "not migrated"
        self.note("installation made dormant (SMSO contract ended)")
