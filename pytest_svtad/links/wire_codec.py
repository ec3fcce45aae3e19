"""The codec of docs/device-link-protocol.md for the runner: ``pytest_svtad.smets1.wire`` frames (flags,
stuffing, CRC) with JSON payloads, the RESPONSE channel for Service Responses and the ZIGBEE channel for the HAN.
Garbage and frames that fail their CRC are counted and noted, never taken."""

from __future__ import annotations

from pytest_svtad.links.runner import RESPONSE, Inbound
from pytest_svtad.smets1 import wire
from pytest_svtad.smets1.messages import ServiceRequest

ZIGBEE = "zigbee"
RESET = "reset"  # the known-state channel: RESET asked, RESET answered
_CHANNELS = {wire.FrameType.RESPONSE: RESPONSE, wire.FrameType.ZIGBEE: ZIGBEE, wire.FrameType.RESET: RESET}


class WireCodec:
    def __init__(self) -> None:
        self.deframer = wire.Deframer()

    def request(self, request: ServiceRequest, seq: int) -> bytes:
        return wire.encode_frame(wire.request_frame(request, seq))

    def reset(self, seed: int, seq: int, enrolled: bool = False) -> bytes:
        """The RESET frame asking the device end for the known state (docs/device-link-protocol.md)."""
        return wire.encode_frame(wire.reset_frame(seed, seq, enrolled))

    def payload(self, channel: str, data: bytes, seq: int) -> bytes:
        if channel != ZIGBEE:
            raise ValueError(f"the wire protocol carries no channel '{channel}'")
        return wire.encode_frame(wire.Frame(wire.FrameType.ZIGBEE, seq, data))

    def skipped(self) -> str:
        return f"{self.deframer.bad_frames} bad frames, {self.deframer.garbage_bytes} garbage bytes"

    def feed(self, data: bytes) -> list[Inbound]:
        bad_before = self.deframer.bad_frames
        messages = [self._message(frame) for frame in self.deframer.feed(data)]
        if self.deframer.bad_frames > bad_before:
            messages.append(Inbound("note", value=f"bad frame skipped: {self.deframer.errors[-1]}"))
        return messages

    def _message(self, frame: wire.Frame) -> Inbound:
        label = frame.type.name
        try:
            if frame.type is wire.FrameType.ALERT:
                return Inbound("alert", frame.seq, value=wire.read_alert(frame), label=label)
            if frame.type is wire.FrameType.ERROR:
                return Inbound("refused", frame.seq, value=wire.read_error(frame), label=label)
            if frame.type is wire.FrameType.RESPONSE:
                return Inbound("answer", frame.seq, RESPONSE, wire.read_response(frame), label)
            if frame.type is wire.FrameType.ZIGBEE:
                return Inbound("answer", frame.seq, ZIGBEE, frame.payload, label)
            if frame.type is wire.FrameType.RESET:
                return Inbound("answer", frame.seq, RESET, wire.loads(frame.payload), label)
        except wire.WireError as exc:
            if frame.type is wire.FrameType.ALERT:
                return Inbound("note", value=f"undecodable alert skipped: {exc}")
            return Inbound("malformed", frame.seq, _CHANNELS.get(frame.type, RESPONSE), str(exc), label)
        return Inbound("note", value=f"unexpected {frame.summary()} ignored")
