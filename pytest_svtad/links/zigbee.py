"""A real installation whose HAN the harness reads through a ZigBee radio adapter, and whose DUIS path is the
serial test interface: both on the same framed serial line (frame type ZIGBEE carries raw 802.15.4 frames)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from pytest_svtad.links.han import HanReader
from pytest_svtad.links.protocol import HanAccess
from pytest_svtad.links.registry import LinkTarget, register
from pytest_svtad.links.serial import SerialLink
from pytest_svtad.links.wire_codec import ZIGBEE
from pytest_svtad.smets1.profiles import DeviceKind, DeviceModel, DmcProfile


@register("zigbee")
class ZigbeeLink(SerialLink, HanAccess):
    kind: ClassVar[str] = "zigbee"

    def __init__(self, dmc: DmcProfile, models: Mapping[DeviceKind, DeviceModel], *, url: str | None = None,
                 **options: object) -> None:
        super().__init__(dmc, models, url=url, **options)  # type: ignore[arg-type]
        self._han = HanReader(self._han_exchange)

    @classmethod
    def open(cls, target: LinkTarget) -> ZigbeeLink:
        return cls(target.dmc, target.models, url=target.url)

    @property
    def han(self) -> HanReader:
        return self._han

    def han_pcap(self) -> bytes | None:
        return self._han.pcap_if_used()

    def _han_exchange(self, frame: bytes, _tsn: int) -> bytes | None:
        return self.runner.exchange(ZIGBEE, frame, "ZigBee frame to the HAN", "ZigBee frame from the HAN")
