"""The critical-request path of DUIS as DCC Boxed drives it (SmartDCCInnovation/dccboxed-nodered-nodes, the
Transform Service): the User sends a critical request with command variant 4 to ``/api/v1/serviceT``; the DCC
answers a Response, code ``I0``, whose ``ResponseMessage`` carries ``ServiceReference``,
``ServiceReferenceVariant`` and ``PreCommand/GBCSPayload``; the User signs the pre-command and sends a Request with
the same RequestID, command variant 5, and body ``SignedPreCommand/GBCSPayload`` to ``/api/v1/serviceS``.

Both ends of the harness (the duis link, the simulated DCC) read and write these two documents here, with the DUIS
codec's hardened parser and element helpers. What is confirmed: the element names and the flow above. What is the
harness's own, not DUIS or GBCS (a SMETS1 pre-command's form is not in any public source we read): the payload is
the base64 of SHA-256 over the request's canonical XML, an opaque token the simulated DCC matches to the request
it transformed; the User's signature over a SMETS1 pre-command is the XML signature of the whole variant-5
document (GBCS signs the payload itself, which needs SMETS2 keys and formats).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from pytest_svtad.smets1.duis import parse_request_id, response_id, service_reference
from pytest_svtad.smets1.duis.errors import DuisError, error_code
from pytest_svtad.smets1.duis.formats import setting
from pytest_svtad.smets1.duis.tree import duis_time, need, need_text, q, sub
from pytest_svtad.smets1.duis.xml import NS, child, local, parse


@dataclass(frozen=True, slots=True)
class SignedPreCommand:
    request_id: str
    srv: str
    payload: str


def payload_of(request_xml: bytes) -> str:
    """The harness's pre-command token for a request document (see the module)."""
    canonical = etree.tostring(parse(request_xml, what="DUIS request"), method="c14n", exclusive=True)
    return base64.b64encode(hashlib.sha256(canonical).digest()).decode()


def _document(name: str) -> etree._Element:
    root = etree.Element(q(name), nsmap={"sr": NS})  # type: ignore[dict-item]
    root.set("schemaVersion", str(setting("schema_version")))
    return root


def encode_pre_command(request_id: str, srv: str, payload: str, at: datetime | None = None) -> bytes:
    """The Transform Service's answer: I0 with the pre-command for the User to sign."""
    root = _document("Response")
    header = sub(root, "Header")
    sub(header, "RequestID", str(parse_request_id(request_id)))
    sub(header, "ResponseID", response_id(request_id))
    sub(header, "ResponseCode", "I0")
    sub(header, "ResponseDateTime", duis_time(at or datetime.now(UTC)))
    message = sub(sub(root, "Body"), "ResponseMessage")
    sub(message, "ServiceReference", service_reference(srv))
    sub(message, "ServiceReferenceVariant", srv)
    sub(sub(message, "PreCommand"), "GBCSPayload", payload)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def decode_pre_command(xml: bytes) -> tuple[str, str]:
    """``(ServiceReferenceVariant, payload)`` of a Transform Service answer, or a DuisError."""
    root = parse(xml, what="DUIS pre-command")
    message = need(root, "Body/ResponseMessage", "DUIS pre-command")
    return (need_text(message, "ServiceReferenceVariant", "DUIS pre-command"),
            need_text(message, "PreCommand/GBCSPayload", "DUIS pre-command"))


def encode_signed_pre_command(request_id: str, srv: str, payload: str) -> bytes:
    """The variant-5 request that sends a signed pre-command (unsigned here: the link signs the document)."""
    root = _document("Request")
    header = sub(root, "Header")
    sub(header, "RequestID", str(parse_request_id(request_id)))
    sub(header, "CommandVariant", 5)
    sub(header, "ServiceReference", service_reference(srv))
    sub(header, "ServiceReferenceVariant", srv)
    sub(sub(sub(root, "Body"), "SignedPreCommand"), "GBCSPayload", payload)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def decode_signed_pre_command(xml: bytes) -> SignedPreCommand | None:
    """The signed pre-command a request carries, or None when its body is not one (a DuisError when it is one
    but incomplete)."""
    root = parse(xml, what="DUIS request")
    body = child(root, "Body")
    signed = child(body, "SignedPreCommand") if body is not None and local(root) == "Request" else None
    if signed is None:
        return None
    header = need(root, "Header", "DUIS signed pre-command")
    variant = need_text(header, "CommandVariant", "DUIS signed pre-command header")
    if variant != "5":
        raise DuisError(error_code("bad_command_variant"),
                        f"a SignedPreCommand is sent with CommandVariant 5, not {variant}")
    return SignedPreCommand(str(parse_request_id(need_text(header, "RequestID", "DUIS signed pre-command header"))),
                            need_text(header, "ServiceReferenceVariant", "DUIS signed pre-command header"),
                            need_text(signed, "GBCSPayload", "DUIS signed pre-command"))
