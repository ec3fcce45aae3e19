"""DUIS request, response and alert XML <-> ServiceRequest / ServiceResponse / Alert.

Requests (confirmed from SmartDCCInnovation/duis-templates): ``sr:Request schemaVersion=..`` in namespace
``http://www.dccinterface.co.uk/ServiceUserGateway``; ``sr:Header`` with RequestID ``originator:target:counter``
(hyphenated EUI-64s), CommandVariant, ServiceReference, ServiceReferenceVariant; ``sr:Body`` with one element named
after the SRV (bodies.py), a future-dated request carrying ``ExecutionDateTime`` first in it; an enveloped
``ds:Signature`` after the body (signing.py), which decoding ignores (verify separately).

Responses (confirmed from SmartDCCInnovation/duis-parser samples): ``sr:Response`` with header RequestID, ResponseID
(originator and target swapped), ResponseCode, ResponseDateTime; body ``sr:ResponseMessage`` with ServiceReference,
ServiceReferenceVariant. An acknowledgement (I99, or an E-code) carries RequestID and no ResponseID nor payload.
Alerts: ``sr:DeviceAlertMessage`` (AlertCode, 4 hex) and ``sr:DCCAlertMessage`` (DCCAlertCode, DCCAlert).
How a SMETS1 response or alert carries its content is NOT confirmed (DUIS clause 1.4 not read): the harness writes it
as typed elements in its own ``smets1_body_element`` (duis_formats.yaml), never as a pretend GBCS payload.

Public API (stable): ``encode_request``, ``decode_request`` -> ``DecodedRequest``, ``encode_response``,
``encode_acknowledgement``, ``decode_response``, ``encode_alert``, ``decode_alert``, ``decode_message``,
``parse_request_id``, ``response_id``, ``check_command_variant``; every bad input is a ``DuisError(code, message)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from pytest_svtad.smets1.catalogue import default_catalogue
from pytest_svtad.smets1.duis.bodies import BODIES, Context
from pytest_svtad.smets1.duis.errors import DuisError, error_code
from pytest_svtad.smets1.duis.formats import setting
from pytest_svtad.smets1.duis.tree import duis_time, integer, need, need_text, opt_text, parse_time, q, sub
from pytest_svtad.smets1.duis.typed import harness_element, read_harness
from pytest_svtad.smets1.duis.xml import DS_NS, NS, RA_NS, child, children, local, parse
from pytest_svtad.smets1.messages import Alert, ServiceRequest, ServiceResponse

_EUI = r"[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}"
_REQUEST_ID = re.compile(rf"^({_EUI}):({_EUI}):(\d{{1,20}})$")
_NSMAP = {"sr": NS, "ds": DS_NS, "ra": RA_NS}


@dataclass(frozen=True, slots=True)
class RequestId:
    originator: str
    target: str
    counter: int

    def __str__(self) -> str:
        return f"{self.originator}:{self.target}:{self.counter}"


def parse_request_id(value: str) -> RequestId:
    """``originator:target:counter`` with hyphenated EUI-64s, or a DuisError (bad_request_id)."""
    match = _REQUEST_ID.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise DuisError(error_code("bad_request_id"),
                        f"RequestID {value!r}: expected originator:target:counter with hyphenated EUI-64s "
                        "(90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1000)")
    return RequestId(match.group(1), match.group(2), int(match.group(3)))


def response_id(request_id: str) -> str:
    """The ResponseID of a response to ``request_id``: originator and target swapped."""
    ident = parse_request_id(request_id)
    return f"{ident.target}:{ident.originator}:{ident.counter}"


def service_reference(srv: str) -> str:
    """The Service Reference an SRV belongs to (``1.1.1`` -> ``1.1``, ``2.2`` -> ``2.2``)."""
    parts = srv.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else srv


def check_command_variant(srv: str, variant: int) -> None:
    """DUIS command variants: 8 for non-device SRVs, 4-7 for critical ones, 1-3 otherwise (E12 when not)."""
    entry = default_catalogue().get(srv)
    if entry is None:
        return
    allowed = (8,) if entry.non_device else (4, 5, 6, 7) if entry.critical else (1, 2, 3)
    if variant not in allowed:
        raise DuisError(error_code("bad_command_variant"),
                        f"SRV {srv}: CommandVariant {variant} is not valid (expected one of {allowed})")


@dataclass(frozen=True, slots=True)
class DecodedRequest:
    """A DUIS request as the simulator's ServiceRequest, with what the envelope said and what was not acted on."""

    request: ServiceRequest
    originator: str
    target: str
    counter: int
    command_variant: int
    service_reference: str
    schema_version: str
    signed: bool
    raw: bytes
    ignored: tuple[str, ...] = ()  # body elements the simulator has no use for
    notes: tuple[str, ...] = ()  # how an unconfirmed or unreadable part was taken (for the transcript)
    fuel: str | None = None  # "ESME"/"GSME" when the body names its fuel
    body_device_id: str | None = None  # 8.2 DeviceID / 11.1 DeviceIDList

    @property
    def request_id(self) -> str:
        return self.request.request_id


def _root(name: str) -> etree._Element:
    root = etree.Element(q(name), nsmap=_NSMAP)  # type: ignore[arg-type]
    root.set("schemaVersion", str(setting("schema_version")))
    return root


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def encode_request(req: ServiceRequest, *, originator: str, target: str, counter: int,
                   at: datetime | None = None, device_ids: Mapping[str, str] | None = None,
                   kind: str | None = None, extensions: bool = True) -> bytes:
    """``req`` as DUIS request XML (unsigned; see signing.sign).

    ``kind`` is the target's device kind when ``req.device`` is empty (default: the SRV's first device kind);
    ``device_ids`` maps other device kinds to EUI-64s (8.7.1/8.8.1 OtherDeviceID); ``at`` is written where a body
    carries the current time (6.11, 8.1.1). Params DUIS has no element for (a tariff's name, a parameter the
    simulator will refuse) travel in the harness's own element so that a pack behaves as on the simulated link;
    ``extensions=False`` (for a real DCC, whose schema would refuse that element) makes them a DuisError instead.
    """
    body_spec = BODIES.get(req.srv)
    if body_spec is None:
        raise DuisError(error_code("not_simulated"), f"SRV {req.srv}: no DUIS body mapping (not a simulated SRV)")
    ident = parse_request_id(f"{originator}:{target}:{counter}")
    if req.request_id and req.request_id != str(ident):
        raise DuisError(error_code("bad_request_id"),
                        f"request_id {req.request_id!r} differs from originator:target:counter {ident}")
    entry = default_catalogue().get(req.srv)
    kind = req.device or kind or (entry.devices[0].value if entry and entry.devices else "ESME")
    root = _root("Request")
    header = sub(root, "Header")
    sub(header, "RequestID", str(ident))
    sub(header, "CommandVariant", req.command_variant)
    sub(header, "ServiceReference", service_reference(req.srv))
    sub(header, "ServiceReferenceVariant", req.srv)
    element = sub(sub(root, "Body"), body_spec.element)
    if req.execution_time is not None:
        sub(element, "ExecutionDateTime", duis_time(req.execution_time))
    ctx = Context(req.srv, kind=kind, counter=counter, at=at or datetime.now(UTC), device_id=target,
                  device_ids=dict(device_ids or {}), extensions=extensions)
    carried = {key: value for key, value in req.params.items() if key in body_spec.params}
    extra = {key: value for key, value in req.params.items() if key not in body_spec.params}
    if extra:
        if not extensions:
            raise DuisError(error_code("bad_value"),
                            f"SRV {req.srv}: parameter(s) {', '.join(sorted(extra))} have no DUIS element "
                            f"(it carries: {', '.join(body_spec.params) or 'none'})")
        ctx.extension["params"] = extra
    if body_spec.encode is not None:
        try:
            body_spec.encode(element, carried, ctx)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DuisError(error_code("bad_value"), f"SRV {req.srv}: params {req.params!r} cannot be written: "
                                                     f"{type(exc).__name__} {exc}") from None
    if ctx.extension:
        harness_element(element, ctx.extension)
    return _serialise(root)


def _check_root(root: etree._Element, name: str, what: str) -> None:
    if etree.QName(root).namespace != NS:
        raise DuisError(error_code("namespace"),
                        f"{what}: root element {{{etree.QName(root).namespace}}}{local(root)} is not in {NS}")
    if local(root) != name:
        raise DuisError(error_code("namespace"), f"{what}: root element is {local(root)}, expected sr:{name}")


def decode_request(xml: bytes, *, resolve_device: Callable[[str], str | None] | None = None,
                   check_variant: bool = True) -> DecodedRequest:
    """A DUIS request (any namespace prefix, signature present or not) as a DecodedRequest, or a DuisError.

    ``resolve_device`` maps an EUI-64 to its device kind (the inventory); it names ``ServiceRequest.device`` from the
    RequestID's target and the other device of 8.7.1/8.8.1.
    """
    root = parse(xml, what="DUIS request")
    _check_root(root, "Request", "DUIS request")
    header = need(root, "Header", "DUIS request")
    ident = parse_request_id(need_text(header, "RequestID", "DUIS request header"))
    variant = integer(need_text(header, "CommandVariant", "DUIS request header"), "CommandVariant")
    if not 1 <= variant <= 8:
        raise DuisError(error_code("bad_command_variant"), f"CommandVariant {variant}: expected 1..8")
    reference = need_text(header, "ServiceReference", "DUIS request header")
    srv = need_text(header, "ServiceReferenceVariant", "DUIS request header")
    if srv not in default_catalogue():
        raise DuisError(error_code("unknown_srv"), f"ServiceReferenceVariant {srv!r} is not a DUIS SRV")
    if service_reference(srv) != reference:
        raise DuisError(error_code("bad_value"),
                        f"ServiceReference {reference!r} does not match ServiceReferenceVariant {srv!r}")
    if check_variant:
        check_command_variant(srv, variant)
    body_spec = BODIES.get(srv)
    if body_spec is None:
        raise DuisError(error_code("not_simulated"), f"SRV {srv}: not implemented by the harness's simulator")
    body = need(root, "Body", "DUIS request")
    element = need(body, body_spec.element, f"SRV {srv} body")
    kind = resolve_device(ident.target) if resolve_device is not None else None
    ctx = Context(srv, kind=kind or "ESME", counter=ident.counter, resolve=resolve_device)
    ctx.extension = read_harness(element)
    execution = opt_text(element, "ExecutionDateTime")
    params = body_spec.decode(element, ctx) if body_spec.decode is not None else {}
    if body_spec.decode is None and children(element):
        ctx.ignored.extend(f"{body_spec.element}/{local(item)}" for item in children(element)
                           if local(item) not in ("ExecutionDateTime", setting("smets1_body_element")))
    extra = ctx.extension.get("params")
    if isinstance(extra, dict):
        params.update({key: value for key, value in extra.items() if key not in params})
    signed = any(etree.QName(item).namespace == DS_NS and local(item) == "Signature" for item in children(root))
    when = parse_time(execution, f"SRV {srv} ExecutionDateTime") if execution else None
    request = ServiceRequest(srv=srv, params=params, request_id=str(ident), device=kind or "",
                             command_variant=variant, execution_time=when)
    body_device = opt_text(element, "DeviceID") or opt_text(element, "DeviceIDList")
    return DecodedRequest(request=request, originator=ident.originator, target=ident.target, counter=ident.counter,
                          command_variant=variant, service_reference=reference,
                          schema_version=root.get("schemaVersion", ""), signed=signed, raw=bytes(xml),
                          ignored=tuple(ctx.ignored), notes=tuple(ctx.notes), fuel=ctx.fuel,
                          body_device_id=body_device)


# --- responses --------------------------------------------------------------------------------------------------

def encode_response(resp: ServiceResponse, *, at: datetime | None = None) -> bytes:
    """A Service Response to ``resp.request_id`` (ResponseID swapped); I99/E-codes are written as acknowledgements."""
    if resp.code == "I99" or resp.code.startswith("E"):
        return encode_acknowledgement(resp.request_id, srv=resp.srv, code=resp.code,
                                      at=at or resp.completed_at, detail=resp.detail)
    root = _root("Response")
    header = sub(root, "Header")
    sub(header, "RequestID", str(parse_request_id(resp.request_id)))
    sub(header, "ResponseID", response_id(resp.request_id))
    sub(header, "ResponseCode", resp.code)
    sub(header, "ResponseDateTime", duis_time(at or resp.completed_at or datetime.now(UTC)))
    message = sub(sub(root, "Body"), "ResponseMessage")
    sub(message, "ServiceReference", service_reference(resp.srv))
    sub(message, "ServiceReferenceVariant", resp.srv)
    extra: dict[str, Any] = {"body": dict(resp.body)}
    for name in ("device", "issued_at", "completed_at", "detail"):
        if getattr(resp, name):
            extra[name] = getattr(resp, name)
    harness_element(message, extra)
    return _serialise(root)


def encode_acknowledgement(request_id: str, *, srv: str, code: str = "I99", at: datetime | None = None,
                           detail: str = "") -> bytes:
    """The synchronous answer to a request: I99 (accepted) or an E-code, with RequestID and no payload."""
    root = _root("Response")
    header = sub(root, "Header")
    sub(header, "RequestID", request_id)
    sub(header, "ResponseCode", code)
    sub(header, "ResponseDateTime", duis_time(at or datetime.now(UTC)))
    message = sub(sub(root, "Body"), "ResponseMessage")
    sub(message, "ServiceReference", service_reference(srv) if srv else "")
    sub(message, "ServiceReferenceVariant", srv)
    if detail:
        harness_element(message, {"detail": detail})
    return _serialise(root)


def decode_response(xml: bytes) -> ServiceResponse:
    """A DUIS Service Response or acknowledgement (I0, I99, E-codes) as a ServiceResponse, or a DuisError."""
    root = parse(xml, what="DUIS response")
    _check_root(root, "Response", "DUIS response")
    header = need(root, "Header", "DUIS response")
    code = need_text(header, "ResponseCode", "DUIS response header")
    if not re.fullmatch(r"[IEW]\d{1,4}", code):
        raise DuisError(error_code("bad_value"), f"DUIS response header: ResponseCode {code!r} is not I/E/W + digits")
    moment = parse_time(need_text(header, "ResponseDateTime", "DUIS response header"), "ResponseDateTime")
    request_id = opt_text(header, "RequestID")
    if not request_id:
        ident = parse_request_id(need_text(header, "ResponseID", "DUIS response header"))
        request_id = f"{ident.target}:{ident.originator}:{ident.counter}"
    else:
        parse_request_id(request_id)
    body = child(root, "Body")
    message = child(body, "ResponseMessage") if body is not None else None
    srv = (opt_text(message, "ServiceReferenceVariant") if message is not None else None) or ""
    extra = read_harness(message) if message is not None else {}
    body_values = extra.get("body", {})
    if message is not None and not extra:
        gbcs = opt_text(message, "GBCSPayload")
        if gbcs:
            body_values = {"gbcs_payload": gbcs}  # SMETS2 / DCC Boxed: the GBCS payload, undecoded
    issued, completed = extra.get("issued_at"), extra.get("completed_at")
    return ServiceResponse(request_id=request_id, srv=srv, code=code,
                           body=body_values if isinstance(body_values, dict) else {"value": body_values},
                           device=str(extra.get("device", "")),
                           issued_at=issued if isinstance(issued, datetime) else None,
                           completed_at=completed if isinstance(completed, datetime) else moment,
                           detail=str(extra.get("detail", "")))


# --- alerts -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AlertIds:
    """Who an alert is from (the device's or DCC's EUI-64) and to (the user), with the DCC's counter."""

    originator: str
    target: str
    counter: int
    extra: dict[str, Any] = field(default_factory=dict)


def encode_alert(alert: Alert, *, originator: str, target: str, counter: int, at: datetime | None = None) -> bytes:
    """A device alert (4-hex GBCS code) or DCC alert (N-code) as DUIS XML."""
    ident = parse_request_id(f"{originator}:{target}:{counter}")
    root = _root("Response")
    header = sub(root, "Header")
    sub(header, "ResponseID", str(ident))
    sub(header, "ResponseCode", setting("alert_response_code"))
    sub(header, "ResponseDateTime", duis_time(at or alert.delivered_at or datetime.now(UTC)))
    body = sub(root, "Body")
    values: dict[str, Any] = {"device": alert.device, "name": alert.name, "raised_at": alert.raised_at,
                              "details": dict(alert.details), "delivered_at": alert.delivered_at}
    values = {key: value for key, value in values.items() if value not in (None, "", {})}
    if re.fullmatch(r"[0-9A-Fa-f]{4}", alert.code):
        message = sub(body, "DeviceAlertMessage")
        sub(message, "AlertCode", alert.code.upper())
        harness_element(message, values)
    elif re.fullmatch(r"N\d{1,4}", alert.code):
        message = sub(body, "DCCAlertMessage")
        sub(message, "DCCAlertCode", alert.code)
        harness_element(sub(message, "DCCAlert"), values)
    else:
        raise DuisError(error_code("bad_value"), f"alert code {alert.code!r}: expected 4 hex digits or N + digits")
    return _serialise(root)


def decode_alert(xml: bytes) -> Alert:
    """A DUIS device or DCC alert as an Alert, or a DuisError."""
    root = parse(xml, what="DUIS alert")
    _check_root(root, "Response", "DUIS alert")
    header = need(root, "Header", "DUIS alert")
    moment = parse_time(need_text(header, "ResponseDateTime", "DUIS alert header"), "ResponseDateTime")
    body = need(root, "Body", "DUIS alert")
    device_alert = child(body, "DeviceAlertMessage")
    if device_alert is not None:
        code = need_text(device_alert, "AlertCode", "DUIS device alert").upper()
        if not re.fullmatch(r"[0-9A-F]{4}", code):
            raise DuisError(error_code("bad_value"), f"DUIS device alert: AlertCode {code!r} is not 4 hex digits")
        values = read_harness(device_alert)
        gbcs = opt_text(device_alert, "GBCSPayload")
        if gbcs and "details" not in values:
            values["details"] = {"gbcs_payload": gbcs}
    else:
        dcc_alert = child(body, "DCCAlertMessage")
        if dcc_alert is None:
            raise DuisError(error_code("missing_element"), "DUIS alert: no DeviceAlertMessage or DCCAlertMessage")
        code = need_text(dcc_alert, "DCCAlertCode", "DUIS DCC alert")
        inner = child(dcc_alert, "DCCAlert")
        values = read_harness(inner) if inner is not None else {}
    details = values.get("details", {})
    raised, delivered = values.get("raised_at"), values.get("delivered_at")
    return Alert(code=code, device=str(values.get("device", "")), name=str(values.get("name", "")),
                 raised_at=raised if isinstance(raised, datetime) else None,
                 details=details if isinstance(details, dict) else {"value": details},
                 delivered_at=delivered if isinstance(delivered, datetime) else moment)


def is_alert(xml: bytes) -> bool:
    """Whether a message posted to the receiver is an alert (rather than a Service Response)."""
    root = parse(xml, what="DUIS message")
    body = child(root, "Body")
    return body is not None and (child(body, "DeviceAlertMessage") is not None
                                 or child(body, "DCCAlertMessage") is not None)


def decode_message(xml: bytes) -> ServiceResponse | Alert:
    """Whatever the DCC posted to the User's receiver: a response/acknowledgement or an alert."""
    return decode_alert(xml) if is_alert(xml) else decode_response(xml)
