"""What each simulated SRV does to the device it reaches, and what the device answers.

A handler takes the installation, the target device and checked parameters; it changes state and returns the
response body. ``Refused`` is the device declining a well-formed command (no firmware image to activate, emergency
credit not available): the DCC returns the device's response with ``result: failure`` and the reason, as GBCS
carries command failures inside a delivered response.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pytest_svtad.smets1.profiles import DeviceKind
from simulators import params as p
from simulators.devices import CommsHub, Device, HanDisplay, Meter

if TYPE_CHECKING:
    from simulators.context import InstallationContext

Handler = Callable[["InstallationContext", Device, dict[str, Any]], dict[str, Any]]


class Refused(Exception):
    """The device received the command and declined it."""


@dataclass(frozen=True, slots=True)
class Service:
    srv: str
    handler: Handler
    params: tuple[p.Param, ...] = ()
    device_class: type[Device] = Device


SERVICES: dict[str, Service] = {}


def service(srv: str, *spec: p.Param, device_class: type[Device] = Device) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        SERVICES[srv] = Service(srv, handler, tuple(spec), device_class)
        return handler
    return register


def meter(device: Device) -> Meter:
    assert isinstance(device, Meter)
    return device


def _kwh(wh: int) -> float:
    return round(wh / 1000, 3)


def _window(inst: InstallationContext, args: dict[str, Any], default: timedelta) -> tuple[datetime, datetime]:
    end = args.get("end") or inst.now
    start = args.get("start") or end - default
    if end < start:
        raise p.RequestError(f"the window ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    return start, end


# --- 1.x tariff and price -------------------------------------------------------------------------------------

@service("1.1.1", p.Param("tariff", p.mapping, required=True, expected="a tariff mapping"), device_class=Meter)
def update_import_tariff(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    unpriced = meter(device).set_tariff(copy.deepcopy(args["tariff"]))
    device.log_event(inst.now, "TARIFF", "import tariff (primary element) updated")
    if unpriced:
        inst.note(f"simulator: {device.kind.value} tariff stored; {unpriced}")
    return {}


@service("1.2.1", p.Param("unit_rate_pence", p.number(0)), p.Param("standing_charge_pence", p.number(0)),
         device_class=Meter)
def update_price(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    if not args:
        raise p.RequestError("SRV 1.2.1: give 'unit_rate_pence' and/or 'standing_charge_pence'")
    unpriced = meter(device).apply_price(args)
    if unpriced:
        inst.note(f"simulator: {device.kind.value} price stored; {unpriced}")
    device.log_event(inst.now, "PRICE", "price (primary element) updated")
    return {}


@service("1.5", p.Param("adjustment_pence", p.integer(), required=True, expected="an integer (may be negative)"),
         device_class=Meter)
def update_meter_balance(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    target = meter(device)
    target.credit_pence += args["adjustment_pence"]
    inst.prepayment_checks(target)
    return {"credit_pence": int(target.credit_pence)}


@service("1.6", p.Param("mode", p.choice("credit", "prepayment"), required=True, expected="'credit' or 'prepayment'"),
         p.Param("disablement_threshold_pence", p.integer(0)), device_class=Meter)
def update_payment_mode(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    target = meter(device)
    if "disablement_threshold_pence" in args:  # DUIS 1.6 Prepayment/DisablementThreshold (pytest_svtad/smets1/duis)
        target.prepay.disablement_threshold_pence = args["disablement_threshold_pence"]
    if target.payment_mode != args["mode"]:
        target.payment_mode = args["mode"]
        device.log_event(inst.now, "MODE", f"payment mode changed to {args['mode']}")
        inst.prepayment_checks(target)
    return {}


# --- 2.x prepayment -------------------------------------------------------------------------------------------

_PREPAY_FIELDS = ("low_credit_threshold_pence", "disablement_threshold_pence", "emergency_credit_limit_pence",
                  "emergency_credit_threshold_pence", "max_debt_recovery_pence_per_day")


@service("2.1", *(p.Param(name, p.integer(0)) for name in _PREPAY_FIELDS), device_class=Meter)
def update_prepay_configuration(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    if not args:
        raise p.RequestError(f"SRV 2.1: give at least one of {', '.join(_PREPAY_FIELDS)}")
    target = meter(device)
    for name, value in args.items():
        setattr(target.prepay, name, value)
    inst.prepayment_checks(target)
    return {}


@service("2.2", p.Param("amount_pence", p.integer(1), required=True, expected="an integer > 0"),
         p.Param("utrn", p.text(lambda v: v.isdigit() and len(v) == 20, "a 20-digit UTRN")), device_class=Meter)
def top_up(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    target = meter(device)
    amount = float(args["amount_pence"])
    if "utrn" in args:  # a DUIS top-up names its UTRN; a UTRN is accepted once, as a meter does
        if args["utrn"] in target.utrns_used:
            raise Refused(f"UTRN {args['utrn']} has already been used")
        target.utrns_used.add(args["utrn"])
    repaid = min(amount, target.emergency_credit_pence)  # emergency credit in use is paid back first
    target.emergency_credit_pence -= repaid
    if target.emergency_credit_active and target.emergency_credit_pence == 0:
        target.emergency_credit_active = False
    target.credit_pence += amount - repaid
    device.log_event(inst.now, "TOPUP", f"top-up of {int(amount)}p accepted")
    inst.prepayment_checks(target)
    return {}


@service("2.3", p.Param("debt_pence", p.integer(0), required=True, expected="the new debt, an integer >= 0"),
         device_class=Meter)
def update_debt(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    meter(device).debt_pence = float(args["debt_pence"])
    return {}


@service("2.5", device_class=Meter)
def activate_emergency_credit(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    target = meter(device)
    if target.payment_mode != "prepayment":
        raise Refused("the meter is in credit mode")
    if target.emergency_credit_active:
        raise Refused("emergency credit is already active")
    if target.credit_pence >= target.prepay.emergency_credit_threshold_pence:
        raise Refused(f"credit {int(target.credit_pence)}p is not below the emergency credit threshold "
                      f"{target.prepay.emergency_credit_threshold_pence}p")
    target.emergency_credit_active = True
    device.log_event(inst.now, "EC", "emergency credit activated")
    inst.prepayment_checks(target)
    return {}


# --- 3.x ------------------------------------------------------------------------------------------------------

@service("3.1", p.Param("message", p.text(), required=True, expected="the text to show"))
def display_message(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    device.display_message = args["message"]
    for display in inst.displays():
        display.display_message = args["message"]
    return {}


@service("3.3")
def clear_event_log(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    device.event_log.clear()
    device.log_security(inst.now, "LOGCLR", "event log cleared")
    return {}


@service("3.4", p.Param("name", p.text(), required=True, expected="the supplier's name"),
         p.Param("telephone", p.text()))
def update_supplier_name(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    device.supplier_name = args["name"]
    if "telephone" in args:  # DUIS 3.4 SupplierTelephoneNumber
        device.supplier_telephone = args["telephone"]
    return {}


# --- 4.x reads ------------------------------------------------------------------------------------------------

@service("4.1.1", device_class=Meter)
def read_import_registers(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    target = meter(device)
    body: dict[str, Any] = {"import_kwh": _kwh(target.import_wh), "device_time": device.clock(inst.now)}
    if device.kind is DeviceKind.GSME:
        body["volume_m3"] = round(target.volume_m3(), 3)
    return body


@service("4.1.2", device_class=Meter)
def read_tou_registers(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    target = meter(device)
    bands = [f"{start // 60:02d}:{start % 60:02d}" for start, _ in target.pricing.tou]
    return {"tou_kwh": [_kwh(wh) for wh in target.tou_wh], "bands": bands}


@service("4.3", device_class=Meter)
def read_prepay_values(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    target = meter(device)
    remaining_ec = (target.prepay.emergency_credit_limit_pence - target.emergency_credit_pence
                    if target.emergency_credit_active else 0)
    return {"credit_pence": int(target.credit_pence), "emergency_credit_pence": int(remaining_ec),
            "debt_pence": int(target.debt_pence)}


_WINDOW = (p.Param("start", p.moment), p.Param("end", p.moment))


@service("4.6.1", *_WINDOW, device_class=Meter)
def daily_read_log(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    start, end = _window(inst, args, timedelta(days=7))
    reads = [{"date": day, "import_kwh": _kwh(wh)} for day, wh in meter(device).daily_reads
             if start.date() <= day <= end.date()]
    return {"reads": reads}


@service("4.8.1", *_WINDOW, device_class=Meter)
def read_profile_data(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    """Half-hour intervals overlapping [start, end): recorded ones only (the half hour in progress is not)."""
    start, end = _window(inst, args, timedelta(days=1))
    half_hour = timedelta(minutes=30)
    intervals = [{"start": begin, "kwh": _kwh(wh)} for begin, wh in meter(device).profile
                 if begin + half_hour > start and begin < end]
    return {"intervals": intervals}


@service("4.11.1", device_class=Meter)
def read_tariff(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    return {"tariff": copy.deepcopy(meter(device).tariff)}


@service("4.13", device_class=Meter)
def read_prepayment_configuration(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    return meter(device).prepay.as_body()


@service("4.15", device_class=Meter)
def read_load_limit_data(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    target = meter(device)
    return {"threshold_w": target.load_limit_w, "events": target.load_limit_events,
            "supply_status": target.supply_status, **target.load_limit_settings}


@service("4.16", device_class=Meter)
def read_active_power(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    return {"active_power_w": meter(device).demand_w()}


@service("4.17", *_WINDOW, device_class=Meter)
def daily_consumption_log(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    start, end = _window(inst, args, timedelta(days=31))
    days = [{"date": day, "kwh": _kwh(wh)} for day, wh in meter(device).daily_consumption
            if start.date() <= day <= end.date()]
    return {"days": days}


@service("4.18", device_class=Meter)
def read_meter_balance(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    target = meter(device)
    return {"meter_balance_pence": int(target.credit_pence), "payment_mode": target.payment_mode}


# --- 6.x configuration, clock, logs, credentials --------------------------------------------------------------

@service("6.2.4")
def read_identity(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    return {"device_id": device.device_id, "manufacturer": device.model.manufacturer, "model": device.model.model,
            "firmware": device.firmware, "hardware_version": device.model.hardware_version,
            "supplier_name": device.supplier_name}


@service("6.2.7", device_class=Meter)
def read_mpxn(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    return {"mpxn": meter(device).mpxn}


@service("6.2.8", device_class=Meter)
def read_gas_configuration(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    target = meter(device)
    return {"calorific_value": target.calorific_value, "conversion_factor": target.conversion_factor}


@service("6.2.9", device_class=Meter)
def read_payment_mode(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    return {"payment_mode": meter(device).payment_mode}


@service("6.2.10")
def read_alert_behaviours(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    return {"suppressed_alerts": sorted(device.suppressed_alerts)}


@service("6.4.1", p.Param("threshold_w", p.integer(1), required=True, expected="watts, an integer > 0"),
         p.Param("period_s", p.integer(1)), p.Param("restoration_s", p.integer(0)),
         p.Param("supply_state", p.choice("Disable", "Arm", "Unchanged")), device_class=Meter)
def update_load_limiting(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    meter(device).load_limit_w = args["threshold_w"]
    # DUIS 6.4.1 LoadLimitPeriod / LoadLimitRestorationPeriod / LoadLimitSupplyState: kept and read back by 4.15
    meter(device).load_limit_settings = {key: args[key] for key in ("period_s", "restoration_s", "supply_state")
                                         if key in args}
    return {}


@service("6.6", p.Param("calorific_value", p.number(30, 50)), p.Param("conversion_factor", p.number(0.9, 1.1)),
         device_class=Meter)
def update_gas_conversion(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    if not args:
        raise p.RequestError("SRV 6.6: give 'calorific_value' (MJ/m3) and/or 'conversion_factor'")
    target = meter(device)
    target.calorific_value = args.get("calorific_value", target.calorific_value)
    target.conversion_factor = args.get("conversion_factor", target.conversion_factor)
    return {}


@service("6.11")
def synchronise_clock(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    error = device.synchronise(inst.now)
    device.log_event(inst.now, "CLOCK", f"clock synchronised (was {error:+.1f} s)")
    return {"corrected_by_s": round(-error, 1)}


@service("6.13", p.Param("log", p.choice("event", "security")))
def read_event_or_security_log(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    entries = device.security_log if args.get("log") == "security" else device.event_log
    return {"entries": [entry.as_body() for entry in entries]}


@service("6.15.2", p.Param("role", p.choice("supplier", "network_operator", "access_control_broker"), required=True,
                           expected="'supplier', 'network_operator' or 'access_control_broker'"))
def update_security_credentials(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    role = args["role"]
    seed = f"{device.device_id}:{role}:{inst.now.isoformat()}:{inst.counter}"
    fingerprint = hashlib.sha256(seed.encode()).hexdigest()[:16].upper()
    device.credentials[role] = fingerprint
    device.log_security(inst.now, "CREDS", f"{role} credentials replaced")
    return {"role": role, "key_fingerprint": fingerprint}


def _mpxn_ok(kind: DeviceKind) -> Callable[[str], bool]:
    return lambda value: value.isdigit() and (len(value) == 13 if kind is DeviceKind.ESME else 6 <= len(value) <= 10)


@service("6.20.1", p.Param("mpxn", p.text(), required=True, expected="an MPAN core (13 digits) or MPRN (6-10 digits)"),
         device_class=Meter)
def set_import_mpxn(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    if not _mpxn_ok(device.kind)(args["mpxn"]):
        expected = "an MPAN core of 13 digits" if device.kind is DeviceKind.ESME else "an MPRN of 6 to 10 digits"
        raise p.RequestError(f"SRV 6.20.1: parameter 'mpxn': expected {expected}, got {args['mpxn']!r}")
    meter(device).mpxn = args["mpxn"]
    return {}


@service("6.22", p.Param("suppress", p.codes), p.Param("restore", p.codes))
def configure_alert_behaviour(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    device.suppressed_alerts.update(args.get("suppress", ()))
    device.suppressed_alerts.difference_update(args.get("restore", ()))
    return {}


# --- 7.x supply -----------------------------------------------------------------------------------------------

@service("7.1", device_class=Meter)
def enable_supply(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    target = meter(device)
    threshold = target.prepay.disablement_threshold_pence
    if target.payment_mode == "prepayment" and target.available_credit_pence <= threshold:
        raise Refused("no credit: the supply stays off until a top-up")
    inst.set_supply(target, "enabled", "user")
    return {}


@service("7.2", device_class=Meter)
def disable_supply(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    inst.set_supply(meter(device), "disabled", "user")
    return {}


@service("7.3", device_class=Meter)
def arm_supply(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    target = meter(device)
    if target.supply_status != "enabled":
        inst.set_supply(target, "armed", "user")
    return {}


@service("7.4", device_class=Meter)
def read_supply_status(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    return {"supply_status": meter(device).supply_status}


# --- 8.x inventory, commissioning, HAN ------------------------------------------------------------------------

@service("8.1.1")
def commission_device(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    inst.inventory.status[device.device_id] = "commissioned"
    device.log_event(inst.now, "COMM", "device commissioned")
    return {"device_id": device.device_id, "status": "commissioned"}


@service("8.2")
def read_inventory(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    return {"devices": [{"device_id": item.device_id, "kind": item.kind.value, "manufacturer": item.model.manufacturer,
                         "model": item.model.model, "firmware": item.firmware,
                         "status": inst.inventory.status.get(item.device_id, "unknown")}
                        for item in inst.devices.values()]}


_OTHER = p.Param("other", p.choice("PPMID", "IHD"), required=True, expected="the HAN device kind to join: PPMID or IHD")


@service("8.7.1", _OTHER, device_class=Meter)
def join_service(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    other = inst.devices.get(args["other"])
    if other is None:
        raise p.RequestError(f"SRV 8.7.1: this installation has no {args['other']}")
    assert isinstance(other, HanDisplay)
    hub = inst.hub
    if hub is not None and other.device_id not in hub.han_log:
        raise Refused(f"{args['other']} {other.device_id} is not in the comms hub's device log")
    other.joined.add(device.device_id)
    device.log_event(inst.now, "JOIN", f"joined {args['other']} {other.device_id}")
    return {}


@service("8.8.1", _OTHER, device_class=Meter)
def unjoin_service(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    other = inst.devices.get(args["other"])
    if not isinstance(other, HanDisplay):
        raise p.RequestError(f"SRV 8.8.1: this installation has no {args['other']}")
    if device.device_id not in other.joined:
        raise Refused(f"{args['other']} {other.device_id} is not joined to this meter")
    other.joined.discard(device.device_id)
    device.log_event(inst.now, "UNJOIN", f"unjoined {args['other']} {other.device_id}")
    return {}


@service("8.9")
def read_device_log(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    if isinstance(device, CommsHub):
        return {"devices": [{"device_id": ident, "kind": kind} for ident, kind in sorted(device.han_log.items())]}
    joined = [{"device_id": display.device_id, "kind": display.kind.value} for display in inst.displays()
              if device.device_id in display.joined]
    return {"devices": joined}


# --- 11.x firmware --------------------------------------------------------------------------------------------

@service("11.1", p.Param("version", p.text(), required=True, expected="the firmware version of the image"),
         p.Param("image_bytes", p.integer(1, 16_000_000)), p.Param("corrupt", p.choice("yes", "no")))
def update_firmware(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    inst.distribute_firmware(device, args["version"], args.get("image_bytes", 196_608), args.get("corrupt") == "yes")
    return {"status": "distribution started", "version": args["version"]}


@service("11.2")
def read_firmware_version(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    return {"firmware": device.firmware}


@service("11.3")
def activate_firmware(inst: InstallationContext, device: Device, args: dict[str, Any]) -> dict[str, Any]:
    if device.pending_firmware is None:
        raise Refused("no verified firmware image to activate")
    previous, device.firmware, device.pending_firmware = device.firmware, device.pending_firmware, None
    device.log_security(inst.now, "FWACT", f"firmware {previous} -> {device.firmware} activated")
    device.log_event(inst.now, "FWACT", f"firmware {device.firmware} activated")
    inst.reboot(device, seconds=30)
    return {"firmware": device.firmware}
