"""The body of each simulated SRV's DUIS request <-> the ``params`` the simulator (simulators/services.py) reads.

Element names are those of the public sample requests (SmartDCCInnovation/duis-templates); units and scales that no
public source confirms come from ``duis_formats.yaml``. Each entry says which params it fills and how; elements a
request carries that the simulator has no use for (non-disablement calendars, debt recovery rates, telephone
numbers...) are listed in ``Context.ignored`` so the transcript can say they were not acted on.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from pytest_svtad.smets1.duis import tariff
from pytest_svtad.smets1.duis.errors import DuisError, error_code
from pytest_svtad.smets1.duis.formats import setting
from pytest_svtad.smets1.duis.tree import (
    decimal,
    duis_time,
    integer,
    need,
    need_text,
    opt_text,
    parse_time,
    pence_to_scaled,
    scaled_to_pence,
    sub,
)
from pytest_svtad.smets1.duis.xml import child, children, local


@dataclass
class Context:
    """What a body needs beyond the params: the device kind, the request counter, ids of other devices, notes."""

    srv: str
    kind: str = "ESME"  # the target's device kind (decides Electricity... / Gas... containers)
    counter: int = 0
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    device_id: str = ""  # the target's EUI-64 (8.2 DeviceID, 11.1 DeviceIDList)
    device_ids: dict[str, str] = field(default_factory=dict)  # kind -> EUI-64, for 8.7.1/8.8.1 OtherDeviceID
    resolve: Callable[[str], str | None] | None = None  # EUI-64 -> kind, when decoding
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fuel: str | None = None  # "ESME"/"GSME" when the body names its fuel
    extensions: bool = True  # whether values DUIS has no element for may travel in the harness element
    extension: dict[str, Any] = field(default_factory=dict)  # what travels (or travelled) there

    @property
    def where(self) -> str:
        return f"SRV {self.srv}"


Encoder = Callable[[etree._Element, dict[str, Any], Context], None]
Decoder = Callable[[etree._Element, Context], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Body:
    element: str
    encode: Encoder | None = None
    decode: Decoder | None = None
    future_dated: bool = False  # ExecutionDateTime goes first in the body element
    params: tuple[str, ...] = ()  # the params this body carries in DUIS elements


def _ignore_rest(element: etree._Element, used: set[str], ctx: Context) -> None:
    for item in children(element):
        if local(item) not in used and local(item) not in ("ExecutionDateTime", setting("smets1_body_element")):
            ctx.ignored.append(f"{local(element)}/{local(item)}")


def _gas(ctx: Context) -> bool:
    return ctx.kind == "GSME"


# --- 1.5, 1.6 ------------------------------------------------------------------------------------------------

def _enc_1_5(body: etree._Element, params: dict[str, Any], ctx: Context) -> None:
    mode = sub(body, "PrepaymentMode")
    scale = setting("money", "meter_balance_scale")
    sub(mode, "AdjustMeterBalance", pence_to_scaled(params["adjustment_pence"], scale, ctx.where))


def _dec_1_5(body: etree._Element, ctx: Context) -> dict[str, Any]:
    mode = child(body, "PrepaymentMode")
    if mode is None:
        mode = child(body, "CreditMode")
    if mode is None:
        raise DuisError(error_code("missing_element"), f"{ctx.where}: missing PrepaymentMode or CreditMode")
    if child(mode, "ResetMeterBalance") is not None:
        ctx.notes.append("1.5 ResetMeterBalance: the simulator has no reset; taken as an adjustment of 0")
        return {"adjustment_pence": 0}
    raw = need_text(mode, "AdjustMeterBalance", ctx.where)
    value = scaled_to_pence(integer(raw, f"{ctx.where} AdjustMeterBalance"), setting("money", "meter_balance_scale"))
    return {"adjustment_pence": int(value)}


def _enc_1_6(body: etree._Element, params: dict[str, Any], ctx: Context) -> None:
    if params["mode"] == "credit":
        sub(body, "Credit")
        return
    prepay = sub(body, "Prepayment")
    sub(prepay, "SuspendDebtDisabled", "false")
    sub(prepay, "SuspendDebtEmergency", "false")
    scale = setting("money", "prepay_scale")
    sub(prepay, "DisablementThreshold", pence_to_scaled(params.get("disablement_threshold_pence", 0), scale, ctx.where))


def _dec_1_6(body: etree._Element, ctx: Context) -> dict[str, Any]:
    if child(body, "Credit") is not None:
        return {"mode": "credit"}
    prepay = child(body, "Prepayment")
    if prepay is None:
        raise DuisError(error_code("missing_element"), f"{ctx.where}: missing Credit or Prepayment")
    params: dict[str, Any] = {"mode": "prepayment"}
    raw = opt_text(prepay, "DisablementThreshold")
    if raw:
        value = integer(raw, f"{ctx.where} DisablementThreshold")
        pence = int(scaled_to_pence(value, setting("money", "prepay_scale")))
        if pence:
            params["disablement_threshold_pence"] = pence
    _ignore_rest(prepay, {"DisablementThreshold"}, ctx)
    return params


# --- 2.x -----------------------------------------------------------------------------------------------------

_PREPAY = (("DebtRecoveryRateCap", "max_debt_recovery_pence_per_day", "debt_recovery_cap_scale"),
           ("EmergencyCreditLimit", "emergency_credit_limit_pence", "prepay_scale"),
           ("EmergencyCreditThreshold", "emergency_credit_threshold_pence", "prepay_scale"),
           ("LowCreditThreshold", "low_credit_threshold_pence", "prepay_scale"))


def _enc_2_1(body: etree._Element, params: dict[str, Any], ctx: Context) -> None:
    config = sub(body, "UpdatePrepayConfigGas" if _gas(ctx) else "UpdatePrepayConfigElectricity")
    for element, name, scale in _PREPAY:
        if name in params:
            sub(config, element, pence_to_scaled(params[name], setting("money", scale), ctx.where))
    if "disablement_threshold_pence" in params:
        # DUIS sets the disablement threshold with 1.6 (Prepayment/DisablementThreshold), not 2.1: a harness
        # 2.1 carrying it writes it as this element (assumed; docs/duis.md).
        sub(config, "DisablementThreshold",
            pence_to_scaled(params["disablement_threshold_pence"], setting("money", "prepay_scale"), ctx.where))


def _dec_2_1(body: etree._Element, ctx: Context) -> dict[str, Any]:
    config = child(body, "UpdatePrepayConfigElectricity")
    ctx.fuel = "ESME" if config is not None else None
    if config is None:
        config = child(body, "UpdatePrepayConfigGas")
        ctx.fuel = "GSME" if config is not None else None
    if config is None:
        raise DuisError(error_code("missing_element"),
                        f"{ctx.where}: missing UpdatePrepayConfigElectricity or UpdatePrepayConfigGas")
    params: dict[str, Any] = {}
    for element, name, scale in (*_PREPAY, ("DisablementThreshold", "disablement_threshold_pence", "prepay_scale")):
        raw = opt_text(config, element)
        if raw:
            params[name] = int(scaled_to_pence(integer(raw, f"{ctx.where} {element}"), setting("money", scale)))
    _ignore_rest(config, {item[0] for item in _PREPAY} | {"DisablementThreshold"}, ctx)
    return params


def _check_digit(digits: str) -> str:
    total = sum((int(d) * (3 if i % 2 else 1)) for i, d in enumerate(digits))
    return str((10 - total % 10) % 10)


def _enc_2_2(body: etree._Element, params: dict[str, Any], ctx: Context) -> None:
    amount = params["amount_pence"]
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount < 10**10:
        raise DuisError(error_code("bad_value"), f"{ctx.where}: amount_pence must be an integer 1..9999999999")
    if "utrn" in params:
        sub(body, "UTRN", params["utrn"])
        return
    digits = f"{setting('utrn', 'harness_prefix')}{amount:010d}{ctx.counter % 100000:05d}"
    sub(body, "UTRN", digits + _check_digit(digits))


def _dec_2_2(body: etree._Element, ctx: Context) -> dict[str, Any]:
    utrn = need_text(body, "UTRN", ctx.where)
    if not (utrn.isdigit() and len(utrn) == 20):
        raise DuisError(error_code("bad_value"), f"{ctx.where}: UTRN must be 20 digits, got {utrn!r}")
    prefix = setting("utrn", "harness_prefix")
    if utrn.startswith(prefix) and _check_digit(utrn[:-1]) == utrn[-1]:
        return {"amount_pence": int(utrn[len(prefix):len(prefix) + 10])}
    amount = setting("utrn", "unknown_amount_pence")
    ctx.notes.append(f"2.2 UTRN {utrn} is not a harness UTRN: its value cannot be read without the supplier's key; "
                     f"credited {amount}p (duis_formats.yaml utrn.unknown_amount_pence)")
    return {"amount_pence": amount, "utrn": utrn}


def _enc_2_3(body: etree._Element, params: dict[str, Any], ctx: Context) -> None:
    scale = setting("money", "debt_scale")
    first, *rest = setting("debt")["registers"]
    sub(body, first, pence_to_scaled(params["debt_pence"], scale, ctx.where))
    for name in rest:
        sub(body, name, 0)


def _dec_2_3(body: etree._Element, ctx: Context) -> dict[str, Any]:
    registers = setting("debt")["registers"]
    total = 0
    for name in registers:
        raw = opt_text(body, name)
        if raw:
            total += integer(raw, f"{ctx.where} {name}")
    if all(opt_text(body, name) in (None, "") for name in registers):
        raise DuisError(error_code("missing_element"), f"{ctx.where}: none of {', '.join(registers)} given")
    _ignore_rest(body, set(registers), ctx)
    return {"debt_pence": int(scaled_to_pence(total, setting("money", "debt_scale")))}


# --- 3.x -----------------------------------------------------------------------------------------------------

def _enc_3_1(body: etree._Element, params: dict[str, Any], ctx: Context) -> None:
    sub(body, "SupplierMessage", params["message"])


def _dec_3_1(body: etree._Element, ctx: Context) -> dict[str, Any]:
    _ignore_rest(body, {"SupplierMessage"}, ctx)
    return {"message": need_text(body, "SupplierMessage", ctx.where)}


def _enc_3_4(body: etree._Element, params: dict[str, Any], ctx: Context) -> None:
    sub(body, "SupplierName", params["name"])
    if "telephone" in params:
        sub(body, "SupplierTelephoneNumber", params["telephone"])


def _dec_3_4(body: etree._Element, ctx: Context) -> dict[str, Any]:
    params: dict[str, Any] = {"name": need_text(body, "SupplierName", ctx.where)}
    phone = opt_text(body, "SupplierTelephoneNumber")
    if phone:
        params["telephone"] = phone
    return params


# --- 4.x windows ---------------------------------------------------------------------------------------------

def _enc_window(body: etree._Element, params: dict[str, Any], ctx: Context) -> None:
    if "start" not in params and "end" not in params:
        return
    period = sub(body, "ReadLogPeriod")
    sub(period, "StartDateTime", duis_time(params.get("start") or datetime(2000, 1, 1, tzinfo=UTC)))
    sub(period, "EndDateTime", duis_time(params.get("end") or datetime(9999, 12, 31, tzinfo=UTC)))


_OPEN_START, _OPEN_END = datetime(2000, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)


def _dec_window(body: etree._Element, ctx: Context) -> dict[str, Any]:
    period = child(body, "ReadLogPeriod")
    if period is None:
        return {}
    start = parse_time(need_text(period, "StartDateTime", ctx.where), f"{ctx.where} StartDateTime")
    end = parse_time(need_text(period, "EndDateTime", ctx.where), f"{ctx.where} EndDateTime")
    params: dict[str, Any] = {}
    if start != _OPEN_START:
        params["start"] = start
    if end != _OPEN_END:
        params["end"] = end
    return params


# --- 6.x -----------------------------------------------------------------------------------------------------

_LOAD = (("LoadLimitPeriod", "period_s"), ("LoadLimitPowerThreshold", "threshold_w"),
         ("LoadLimitRestorationPeriod", "restoration_s"))


def _enc_6_4_1(body: etree._Element, params: dict[str, Any], ctx: Context) -> None:
    for element, name in _LOAD:
        if name in params:
            sub(body, element, params[name])
    if "supply_state" in params:
        sub(body, "LoadLimitSupplyState", params["supply_state"])


def _dec_6_4_1(body: etree._Element, ctx: Context) -> dict[str, Any]:
    need_text(body, "LoadLimitPowerThreshold", ctx.where)
    params: dict[str, Any] = {}
    for element, name in _LOAD:
        raw = opt_text(body, element)
        if raw:
            params[name] = integer(raw, f"{ctx.where} {element}")
    state = opt_text(body, "LoadLimitSupplyState")
    if state:
        params["supply_state"] = state
    return params


def _enc_6_6(body: etree._Element, params: dict[str, Any], ctx: Context) -> None:
    if "calorific_value" in params:
        sub(body, "CalorificValue", repr(float(params["calorific_value"])))
    if "conversion_factor" in params:
        sub(body, "ConversionFactor", repr(float(params["conversion_factor"])))


def _dec_6_6(body: etree._Element, ctx: Context) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for element, name in (("CalorificValue", "calorific_value"), ("ConversionFactor", "conversion_factor")):
        raw = opt_text(body, element)
        if raw:
            params[name] = float(decimal(raw, f"{ctx.where} {element}"))
    return params


def _enc_clock(body: etree._Element, params: dict[str, Any], ctx: Context) -> None:
    sub(body, "CurrentDateTime", duis_time(ctx.at))
    sub(body, "TolerancePeriod", setting("clock_tolerance_s"))


def _dec_clock(body: etree._Element, ctx: Context) -> dict[str, Any]:
    parse_time(need_text(body, "CurrentDateTime", ctx.where), f"{ctx.where} CurrentDateTime")
    ctx.notes.append(f"{ctx.srv}: CurrentDateTime/TolerancePeriod not acted on: "
                     "the simulator synchronises to its own clock")
    return {}


def _enc_6_13(body: etree._Element, params: dict[str, Any], ctx: Context) -> None:
    sub(body, "LogToRead", "Security" if params.get("log") == "security" else "Event")


def _dec_6_13(body: etree._Element, ctx: Context) -> dict[str, Any]:
    log = need_text(body, "LogToRead", ctx.where)
    if log not in ("Event", "Security"):
        if not log.endswith("Event"):
            raise DuisError(error_code("bad_value"), f"{ctx.where}: LogToRead {log!r} is not a log DUIS names")
        ctx.notes.append(f"6.13: LogToRead {log}: the simulator keeps one event log; read that")
        log = "Event"
    if child(body, "ReadLogPeriod") is not None:
        ctx.ignored.append("ReadEventOrSecurityLog/ReadLogPeriod")
    return {"log": log.lower()}


_ROLE_MARK = "SVTAD-ROLE:"


def _enc_6_15_2(body: etree._Element, params: dict[str, Any], ctx: Context) -> None:
    # The device certificate is generated by the device in SMETS2; the harness carries the credential role in a
    # placeholder of its own (docs/duis.md), since the simulator replaces credentials per role.
    sub(body, "DeviceCertificate", base64.b64encode((_ROLE_MARK + params["role"]).encode()).decode())


def _dec_6_15_2(body: etree._Element, ctx: Context) -> dict[str, Any]:
    raw = need_text(body, "DeviceCertificate", ctx.where)
    try:
        decoded = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise DuisError(error_code("bad_value"), f"{ctx.where}: DeviceCertificate is not base64") from None
    if decoded.startswith(_ROLE_MARK.encode()):
        return {"role": decoded[len(_ROLE_MARK):].decode("ascii", "replace")}
    ctx.notes.append("6.15.2: a real device certificate; the simulator replaces the supplier credentials")
    return {"role": "supplier"}


def _enc_6_20_1(body: etree._Element, params: dict[str, Any], ctx: Context) -> None:
    if _gas(ctx):
        sub(body, "ImportMPRN", params["mpxn"])
    else:
        sub(sub(body, "ImportMPANs"), "ImportMPAN", params["mpxn"])


def _dec_6_20_1(body: etree._Element, ctx: Context) -> dict[str, Any]:
    mprn = opt_text(body, "ImportMPRN")
    if mprn:
        ctx.fuel = "GSME"
        return {"mpxn": mprn}
    ctx.fuel = "ESME"
    mpans = need(body, "ImportMPANs", ctx.where)
    if child(mpans, "SecondaryImportMPAN") is not None:
        ctx.ignored.append("ImportMPANs/SecondaryImportMPAN")
    return {"mpxn": need_text(mpans, "ImportMPAN", ctx.where)}


def _enc_6_22(body: etree._Element, params: dict[str, Any], ctx: Context) -> None:
    container = sub(body, "GasSupplierAlertEventSettings" if _gas(ctx) else "ElectricitySupplierHANAlertSettings")
    target = container if _gas(ctx) else sub(container, "SupplierESMECommon")
    for codes, state in ((params.get("suppress", []), "Disable"), (params.get("restore", []), "Enable")):
        for code in codes:
            if _gas(ctx):
                sub(sub(target, f"x{code.upper()}"), "WANAlert", state)
            else:
                sub(target, f"x{code.upper()}", state)


def _dec_6_22(body: etree._Element, ctx: Context) -> dict[str, Any]:
    suppress: list[str] = []
    restore: list[str] = []
    for element in body.iter():
        name = local(element)
        if len(name) == 5 and name[0] == "x" and all(c in "0123456789ABCDEFabcdef" for c in name[1:]):
            wan = child(element, "WANAlert")
            state = (wan.text if wan is not None else element.text) or ""
            if state.strip() == "Disable":
                suppress.append(name[1:].upper())
            elif state.strip() == "Enable":
                restore.append(name[1:].upper())
    if not suppress and not restore:
        raise DuisError(error_code("missing_element"), f"{ctx.where}: no alert code elements (x....) found")
    params: dict[str, Any] = {}
    if suppress:
        params["suppress"] = suppress
    if restore:
        params["restore"] = restore
    return params


# --- 8.x, 11.x -----------------------------------------------------------------------------------------------

def _enc_8_2(body: etree._Element, params: dict[str, Any], ctx: Context) -> None:
    sub(body, "DeviceID", ctx.device_id)


def _dec_8_2(body: etree._Element, ctx: Context) -> dict[str, Any]:
    need_text(body, "DeviceID", ctx.where)
    return {}


def _enc_join(body: etree._Element, params: dict[str, Any], ctx: Context) -> None:
    other = ctx.device_ids.get(params["other"])
    if not other:
        raise DuisError(error_code("bad_value"),
                        f"{ctx.where}: no EUI-64 known for the {params['other']} (give device_ids={{kind: eui}})")
    sub(body, "OtherDeviceID", other)


def _dec_join(body: etree._Element, ctx: Context) -> dict[str, Any]:
    other = need_text(body, "OtherDeviceID", ctx.where)
    kind = ctx.resolve(other) if ctx.resolve is not None else None
    if kind is None:
        kind = setting("join_unknown_other_kind")
        ctx.notes.append(f"{ctx.srv}: OtherDeviceID {other} not in the inventory; taken as the {kind} "
                         "(duis_formats.yaml join_unknown_other_kind)")
    return {"other": kind}


_DEFAULT_IMAGE_BYTES = 196_608  # the simulator's default image size (simulators/services.py, 11.1)


def _enc_11_1(body: etree._Element, params: dict[str, Any], ctx: Context) -> None:
    magic = setting("firmware")["magic"].encode()
    version = params["version"].encode()
    size = params.get("image_bytes", _DEFAULT_IMAGE_BYTES)
    flags = (1 if "image_bytes" in params else 0) | (2 if "corrupt" in params else 0)
    head = magic + bytes([flags, len(version) % 256]) + version
    if size < len(head) + 32:
        raise DuisError(error_code("bad_value"), f"{ctx.where}: image_bytes {size} is too small for a test image")
    content = head + bytes(size - len(head) - 32)
    digest = hashlib.sha256(content).digest()
    if params.get("corrupt") == "yes":
        digest = bytes(b ^ 0xFF for b in digest)
    sub(body, "FirmwareImage", base64.b64encode(content + digest).decode())
    sub(body, "FirmwareVersion", params["version"])
    sub(body, "DeviceIDList", ctx.device_id)


def _dec_11_1(body: etree._Element, ctx: Context) -> dict[str, Any]:
    version = need_text(body, "FirmwareVersion", ctx.where)
    try:
        image = base64.b64decode(need_text(body, "FirmwareImage", ctx.where), validate=False)
    except (binascii.Error, ValueError):
        raise DuisError(error_code("bad_value"), f"{ctx.where}: FirmwareImage is not base64") from None
    magic = setting("firmware")["magic"].encode()
    if not image.startswith(magic) or len(image) < len(magic) + 34:
        ctx.notes.append("11.1: not a harness test image; the simulator takes its size and treats it as intact")
        return {"version": version, "image_bytes": len(image)}
    flags = image[len(magic)]
    params: dict[str, Any] = {"version": version}
    if flags & 1:
        params["image_bytes"] = len(image)
    intact = hashlib.sha256(image[:-32]).digest() == image[-32:]
    if flags & 2 or not intact:
        params["corrupt"] = "no" if intact else "yes"
    return params


def _enc_11_3(body: etree._Element, params: dict[str, Any], ctx: Context) -> None:
    # The harness does not track the image hash at 11.3: the simulator activates the pending verified image.
    sub(body, "FirmwareHash", "00" * 32)


def _dec_11_3(body: etree._Element, ctx: Context) -> dict[str, Any]:
    need_text(body, "FirmwareHash", ctx.where)
    return {}


BODIES: dict[str, Body] = {
    "1.1.1": Body("UpdateImportTariffPrimaryElement", tariff.encode_tariff, tariff.decode_tariff, True,
             params=("tariff",)),
    "1.2.1": Body("UpdatePricePrimaryElement", tariff.encode_price, tariff.decode_price, True,
             params=("unit_rate_pence", "standing_charge_pence")),
    "1.5": Body("UpdateMeterBalance", _enc_1_5, _dec_1_5, params=("adjustment_pence",)),
    "1.6": Body("UpdatePaymentMode", _enc_1_6, _dec_1_6, True, params=("mode", "disablement_threshold_pence")),
    "2.1": Body("UpdatePrepayConfiguration", _enc_2_1, _dec_2_1, True,
             params=("low_credit_threshold_pence", "disablement_threshold_pence", "emergency_credit_limit_pence",
                     "emergency_credit_threshold_pence", "max_debt_recovery_pence_per_day")),
    "2.2": Body("TopUpDevice", _enc_2_2, _dec_2_2, params=("amount_pence", "utrn")),
    "2.3": Body("UpdateDebt", _enc_2_3, _dec_2_3, params=("debt_pence",)),
    "2.5": Body("ActivateEmergencyCredit"),
    "3.1": Body("DisplayMessage", _enc_3_1, _dec_3_1, params=("message",)),
    "3.3": Body("ClearEventLog"),
    "3.4": Body("UpdateSupplierName", _enc_3_4, _dec_3_4, params=("name", "telephone")),
    "4.1.1": Body("ReadInstantaneousImportRegisters", future_dated=True),
    "4.1.2": Body("ReadInstantaneousImportTOUMatrices", future_dated=True),
    "4.3": Body("ReadInstantaneousPrepayValues", future_dated=True),
    "4.6.1": Body("RetrieveImportDailyReadLog", _enc_window, _dec_window, params=("start", "end")),
    "4.8.1": Body("ReadActiveImportProfileData", _enc_window, _dec_window, params=("start", "end")),
    "4.11.1": Body("ReadTariffPrimaryElement"),
    "4.13": Body("ReadPrepaymentConfiguration"),
    "4.15": Body("ReadLoadLimitData"),
    "4.16": Body("ReadActivePowerImport"),
    "4.17": Body("RetrieveDailyConsumptionLog", _enc_window, _dec_window, params=("start", "end")),
    "4.18": Body("ReadMeterBalance"),
    "6.2.4": Body("ReadDeviceConfigurationIdentityExcMPxN"),
    "6.2.7": Body("ReadDeviceConfigurationMPxN"),
    "6.2.8": Body("ReadDeviceConfigurationGas"),
    "6.2.9": Body("ReadDeviceConfigurationPaymentMode"),
    "6.2.10": Body("ReadDeviceConfigurationEventAndAlertBehaviours"),
    "6.4.1": Body("UpdateDeviceConfigurationLoadLimitingGeneralSettings", _enc_6_4_1, _dec_6_4_1, True,
             params=("threshold_w", "period_s", "restoration_s", "supply_state")),
    "6.6": Body("UpdateDeviceConfigurationGasConversion", _enc_6_6, _dec_6_6,
             params=("calorific_value", "conversion_factor")),
    "6.11": Body("SynchroniseClock", _enc_clock, _dec_clock),
    "6.13": Body("ReadEventOrSecurityLog", _enc_6_13, _dec_6_13, params=("log",)),
    "6.15.2": Body("UpdateSecurityCredentialsDevice", _enc_6_15_2, _dec_6_15_2, params=("role",)),
    "6.20.1": Body("SetDeviceConfigurationImportMPxN", _enc_6_20_1, _dec_6_20_1, params=("mpxn",)),
    "6.22": Body("ConfigureAlertBehaviour", _enc_6_22, _dec_6_22, params=("suppress", "restore")),
    "7.1": Body("EnableSupply"),
    "7.2": Body("DisableSupply"),
    "7.3": Body("ArmSupply"),
    "7.4": Body("ReadSupplyStatus"),
    "8.1.1": Body("CommissionDeviceSynchroniseClock", _enc_clock, _dec_clock),
    "8.2": Body("ReadInventory", _enc_8_2, _dec_8_2),
    "8.7.1": Body("JoinServiceCritical", _enc_join, _dec_join, params=("other",)),
    "8.8.1": Body("UnjoinServiceCritical", _enc_join, _dec_join, params=("other",)),
    "8.9": Body("ReadDeviceLog"),
    "11.1": Body("UpdateFirmware", _enc_11_1, _dec_11_1, params=("version", "image_bytes", "corrupt")),
    "11.2": Body("ReadFirmwareVersion"),
    "11.3": Body("ActivateFirmware", _enc_11_3, _dec_11_3, True),
}
