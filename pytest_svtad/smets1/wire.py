"""The wire encoding every real-device link and the emulator speak (docs/device-link-protocol.md).

Framing (HDLC-like): ``0x7E | escaped(header + payload + CRC) | 0x7E``. Inside a frame, ``0x7E`` and ``0x7D`` are
sent as ``0x7D, byte ^ 0x20``. Header: protocol version (1 byte, 1), frame type (1 byte), sequence number (2
bytes, big-endian). CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over header + payload, big-endian. A response
carries the sequence number of its request; unsolicited frames (alerts) carry 0.

Payload, version 1: UTF-8 JSON of the message's fields; datetimes as ``{"$dt": ISO 8601}`` and dates as
``{"$date": ...}`` so they come back as what they were. ZigBee frames (type ``ZIGBEE``) carry raw IEEE 802.15.4
frames with FCS instead of JSON. Nothing received is evaluated: JSON is parsed, tagged values are rebuilt by type,
and every message's fields are checked against their types (pydantic, strict) before a message is built.
"""

from __future__ import annotations

import binascii
import dataclasses
import json
from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum
from functools import cache
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from pytest_svtad.smets1.messages import Alert, ServiceRequest, ServiceResponse

VERSION = 1
FLAG, ESCAPE, XOR = 0x7E, 0x7D, 0x20
MAX_FRAME = 64 * 1024  # longer runs without a closing flag are garbage
HEADER = 4


class FrameType(IntEnum):
    REQUEST = 0x01  # harness -> device: a ServiceRequest
    RESPONSE = 0x02  # device -> harness: the ServiceResponse to the request with the same sequence number
    ALERT = 0x03  # device -> harness, unsolicited (sequence 0)
    ERROR = 0x04  # device -> harness: the request could not be handled (payload {"error": ...})
    HELLO = 0x05  # harness -> device: identify; answered with HELLO {"dmc", "devices", "protocol"}
    RESET = 0x06  # harness -> device: bring the installation to its known state (payload {"seed"}); answered
    # with RESET (same sequence) once it is there, or ERROR when the device end cannot
    ZIGBEE = 0x10  # either way: one raw IEEE 802.15.4 frame (with FCS) for or from the HAN radio


class WireError(ValueError):
    """A frame that cannot be decoded (bad CRC, unknown version or type, malformed payload)."""


@dataclass(frozen=True, slots=True)
class Frame:
    type: FrameType
    seq: int
    payload: bytes

    def summary(self) -> str:
        return f"{self.type.name} seq={self.seq} {len(self.payload)} bytes"


def crc16(data: bytes) -> int:
    return binascii.crc_hqx(data, 0xFFFF)


def _escape(data: bytes) -> bytes:
    out = bytearray()
    for byte in data:
        if byte in (FLAG, ESCAPE):
            out += bytes((ESCAPE, byte ^ XOR))
        else:
            out.append(byte)
    return bytes(out)


def encode_frame(frame: Frame) -> bytes:
    body = bytes((VERSION, int(frame.type))) + frame.seq.to_bytes(2, "big") + frame.payload
    return bytes((FLAG,)) + _escape(body + crc16(body).to_bytes(2, "big")) + bytes((FLAG,))


def decode_body(escaped: bytes) -> Frame:
    body = bytearray()
    pending = False
    for byte in escaped:
        if pending:
            body.append(byte ^ XOR)
            pending = False
        elif byte == ESCAPE:
            pending = True
        else:
            body.append(byte)
    if pending or len(body) < HEADER + 2:
        raise WireError(f"frame too short ({len(body)} bytes)")
    content, check = bytes(body[:-2]), int.from_bytes(body[-2:], "big")
    if crc16(content) != check:
        raise WireError(f"CRC mismatch (got {check:04X}, computed {crc16(content):04X})")
    if content[0] != VERSION:
        raise WireError(f"unsupported protocol version {content[0]} (this harness speaks {VERSION})")
    try:
        kind = FrameType(content[1])
    except ValueError:
        raise WireError(f"unknown frame type 0x{content[1]:02X}") from None
    return Frame(kind, int.from_bytes(content[2:4], "big"), content[HEADER:])


class Deframer:
    """Turns a byte stream into frames; garbage between frames and frames that fail to decode are counted and
    skipped, never fatal."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._inside = False
        self.garbage_bytes = 0
        self.bad_frames = 0
        self.errors: list[str] = []

    def feed(self, data: bytes) -> list[Frame]:
        """The frames completed by ``data`` (a list, so no state is left half-updated if the caller stops early)."""
        frames = []
        for byte in data:
            if byte == FLAG:
                if self._inside and self._buffer:
                    body = bytes(self._buffer)
                    self._buffer.clear()
                    try:
                        frames.append(decode_body(body))
                    except WireError as exc:
                        self.bad_frames += 1
                        self.errors.append(str(exc))
                self._inside = True  # a closing flag may also open the next frame
                continue
            if not self._inside:
                self.garbage_bytes += 1
                continue
            self._buffer.append(byte)
            if len(self._buffer) > MAX_FRAME:
                self.garbage_bytes += len(self._buffer)
                self._buffer.clear()
                self._inside = False
        return frames


# --- payloads ---------------------------------------------------------------------------------------------------

def _tag(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        return {str(key): _tag(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_tag(item) for item in value]
    return value


def _untag(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and "$dt" in value and isinstance(value["$dt"], str):
            return datetime.fromisoformat(value["$dt"])
        if len(value) == 1 and "$date" in value and isinstance(value["$date"], str):
            return date.fromisoformat(value["$date"])
        return {key: _untag(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_untag(item) for item in value]
    return value


def dumps(data: dict[str, Any]) -> bytes:
    return json.dumps(_tag(data), sort_keys=True, separators=(",", ":")).encode("utf-8")


def loads(payload: bytes) -> dict[str, Any]:
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise WireError(f"payload is not UTF-8 JSON: {exc}") from None
    if not isinstance(data, dict):
        raise WireError("payload is not a JSON object")
    return dict(_untag(data))


@cache
def _wire_model(cls: type) -> type[BaseModel]:
    """A strict pydantic model of a message dataclass: what the other end sends is checked field by field (a
    ``code`` of 123 is an error naming ``code``, not a response whose code is a number); unknown fields are
    ignored, so a newer device may send more."""
    hints = get_type_hints(cls)
    fields: dict[str, Any] = {}
    for item in dataclasses.fields(cls):
        if item.default is not dataclasses.MISSING:
            fields[item.name] = (hints[item.name], item.default)
        elif item.default_factory is not dataclasses.MISSING:
            fields[item.name] = (hints[item.name], Field(default_factory=item.default_factory))
        else:
            fields[item.name] = (hints[item.name], ...)
    return create_model(f"{cls.__name__}OnTheWire", __config__=ConfigDict(strict=True, extra="ignore"), **fields)


def _fields(data: dict[str, Any], cls: type) -> dict[str, Any]:
    try:
        checked = _wire_model(cls).model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(payload)"
        if first["type"] == "missing":
            raise WireError(f"{cls.__name__} payload lacks {field}") from None
        got = repr(first.get("input"))
        got = got if len(got) <= 60 else got[:57] + "..."
        raise WireError(f"{cls.__name__} payload: field '{field}': {first['msg']}, got {got}") from None
    return {name: getattr(checked, name) for name in cls.__dataclass_fields__}  # type: ignore[attr-defined]


def request_frame(request: ServiceRequest, seq: int) -> Frame:
    return Frame(FrameType.REQUEST, seq, dumps({name: getattr(request, name) for name in request.__dataclass_fields__}))


def response_frame(response: ServiceResponse, seq: int) -> Frame:
    return Frame(FrameType.RESPONSE, seq,
                 dumps({name: getattr(response, name) for name in response.__dataclass_fields__}))


def alert_frame(alert: Alert) -> Frame:
    return Frame(FrameType.ALERT, 0, dumps({name: getattr(alert, name) for name in alert.__dataclass_fields__}))


def read_request(frame: Frame) -> ServiceRequest:
    return ServiceRequest(**_fields(loads(frame.payload), ServiceRequest))


def read_response(frame: Frame) -> ServiceResponse:
    return ServiceResponse(**_fields(loads(frame.payload), ServiceResponse))


def read_alert(frame: Frame) -> Alert:
    return Alert(**_fields(loads(frame.payload), Alert))


def read_error(frame: Frame) -> str:
    """The message of an ERROR frame (payload ``{"error": text}``)."""
    error = loads(frame.payload).get("error")
    return error if isinstance(error, str) and error.strip() else "device reported an error"


def reset_frame(seed: int, seq: int, enrolled: bool = False) -> Frame:
    """The harness asks for the known state at a test's start; ``seed`` is the test's (a simulated device end
    builds its installation from it, as the in-process simulator does; a real one ignores it). ``enrolled``: the
    installation enrolled with the DCC, as service testing needs (a dormant one migrated, as the lab would have)."""
    return Frame(FrameType.RESET, seq, dumps({"seed": seed, **({"enrolled": True} if enrolled else {})}))


def read_reset(frame: Frame) -> tuple[int, bool]:
    """The seed (0 when absent) and ``enrolled`` (False when absent) of a RESET request; anything but a
    non-negative integer and a boolean is a ``WireError``."""
    data = loads(frame.payload)
    seed, enrolled = data.get("seed", 0), data.get("enrolled", False)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise WireError(f"RESET payload: field 'seed': expected a non-negative integer, got {seed!r}")
    if not isinstance(enrolled, bool):
        raise WireError(f"RESET payload: field 'enrolled': expected true or false, got {enrolled!r}")
    return seed, enrolled
