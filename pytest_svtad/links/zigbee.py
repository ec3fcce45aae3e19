"""A real installation whose HAN the harness reads through a ZigBee radio adapter, and whose DUIS path is the
serial test interface: both on the same framed serial line (frame type ZIGBEE carries raw 802.15.4 frames), or the
radio on its own port (``link: {kind: zigbee, url: ..., han_url: ...}``)."""

from __future__ import annotations

import time
from collections.abc import Mapping

from pytest_svtad.links.han import HanReader
from pytest_svtad.links.serial import SerialLink
from pytest_svtad.smets1 import wire
from pytest_svtad.smets1.profiles import DeviceKind, DeviceModel, DmcProfile


class ZigbeeLink(SerialLink):
    def __init__(self, dmc: DmcProfile, models: Mapping[DeviceKind, DeviceModel], *, url: str | None = None,
                 **options: object) -> None:
        super().__init__(dmc, models, url=url, **options)  # type: ignore[arg-type]
        self.han = HanReader(self._han_exchange)

    def han_pcap(self) -> bytes | None:
        return self.han.pcap_if_used()

    def _han_exchange(self, frame: bytes, _tsn: int) -> bytes | None:
        seq = self.next_seq()
        self._send(wire.Frame(wire.FrameType.ZIGBEE, seq, frame), "ZigBee frame to the HAN")
        answer = self._pump(time.monotonic() + self.timeout_s, seq, wire.FrameType.ZIGBEE)
        if answer is None:
            return None
        self.transcript.now("<<", f"ZigBee frame from the HAN seq={seq} ({len(answer.payload)} bytes)")
        return answer.payload
