"""Reading the HAN as an IHD or PPMID would (ZigBee SE: Metering, Basic and Price clusters), over whatever carries
the frames: the ZigBee radio adapter of a real installation, or the simulator in-process. Every frame sent and
received is kept for the test's evidence as a pcap (link type 195, IEEE 802.15.4 with FCS) that Wireshark opens."""

from __future__ import annotations

import io
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pytest_svtad.links.errors import LinkError
from pytest_svtad.smets1 import zcl

DLT_IEEE802_15_4_WITHFCS = 195
Transport = Callable[[bytes, int], "bytes | None"]  # (frame, sequence) -> the reply, or None when none came


@dataclass(frozen=True, slots=True)
class MeteringView:
    """What a Metering cluster shows, in the units of its UnitOfMeasure (kWh or m3)."""

    summation: float
    unit: str
    demand_w: int
    supply_status: str
    device_type: str


class HanReader:
    def __init__(self, transport: Transport, reader: str = "IHD") -> None:
        self._transport = transport
        self.source = zcl.SHORT_ADDRESS[reader]
        self._tsn = itertools.count(1)
        self.frames: list[tuple[float, bytes]] = []

    def _next_tsn(self) -> int:
        return next(self._tsn) & 0xFF

    def _exchange(self, frame: bytes, tsn: int) -> zcl.ZclMessage:
        self.frames.append((time.time(), frame))
        reply = self._transport(frame, tsn)
        if reply is None:
            raise LinkError("no answer on the HAN (ZigBee) within the link's timeout")
        self.frames.append((time.time(), reply))
        try:
            return zcl.parse(reply)
        except ValueError as exc:
            raise LinkError(f"undecodable HAN reply: {exc}") from None

    def read_attributes(self, device: str, cluster: int, attributes: list[int]) -> dict[int, Any]:
        """Attribute values by id; an attribute the device does not support is absent."""
        if device not in zcl.SHORT_ADDRESS:
            raise LinkError(f"no HAN address for device kind '{device}'")
        tsn = self._next_tsn()
        message = self._exchange(zcl.read_attributes(self.source, zcl.SHORT_ADDRESS[device], cluster, attributes,
                                                     tsn), tsn)
        return {attribute: value for attribute, (status, _, value) in message.records.items()
                if status == zcl.SUCCESS}

    def metering(self, device: str = "ESME") -> MeteringView:
        values = self.read_attributes(device, zcl.METERING, [
            zcl.CURRENT_SUMMATION_DELIVERED, zcl.MULTIPLIER, zcl.DIVISOR, zcl.UNIT_OF_MEASURE,
            zcl.INSTANTANEOUS_DEMAND, zcl.SUPPLY_STATUS, zcl.METERING_DEVICE_TYPE])
        try:
            scale = values[zcl.MULTIPLIER] / values[zcl.DIVISOR]
            summation = values[zcl.CURRENT_SUMMATION_DELIVERED] * scale
        except (KeyError, ZeroDivisionError):
            raise LinkError(f"{device} Metering cluster lacks CurrentSummationDelivered, Multiplier or Divisor: "
                            f"got {sorted(values)}") from None
        return MeteringView(summation=round(summation, 3),
                            unit={0: "kWh", 1: "m3"}.get(values.get(zcl.UNIT_OF_MEASURE, -1), "unknown"),
                            demand_w=int(values.get(zcl.INSTANTANEOUS_DEMAND, 0)),
                            supply_status={0: "disabled", 1: "armed", 2: "enabled"}.get(
                                values.get(zcl.SUPPLY_STATUS, -1), "unknown"),
                            device_type={0: "electricity", 1: "gas"}.get(values.get(zcl.METERING_DEVICE_TYPE, -1),
                                                                         "unknown"))

    def current_price(self, device: str = "ESME") -> zcl.PublishedPrice:
        tsn = self._next_tsn()
        message = self._exchange(zcl.get_current_price(self.source, zcl.SHORT_ADDRESS[device], tsn), tsn)
        if not (message.cluster == zcl.PRICE and message.cluster_specific and message.from_server):
            raise LinkError(f"expected a Price cluster PublishPrice, got cluster 0x{message.cluster:04X} "
                            f"command 0x{message.command:02X}")
        return zcl.decode_publish_price(message.payload)

    def pcap_if_used(self) -> bytes | None:
        """The pcap of the frames exchanged, or None when the HAN was never read."""
        return self.pcap() if self.frames else None

    def pcap(self) -> bytes:
        from scapy.layers.dot15d4 import Dot15d4FCS
        from scapy.utils import PcapWriter

        buffer = io.BytesIO()
        writer = PcapWriter(buffer, linktype=DLT_IEEE802_15_4_WITHFCS, sync=True)
        for stamp, frame in self.frames:
            packet = Dot15d4FCS(frame)
            packet.time = stamp
            writer.write(packet)
        writer.flush()
        return buffer.getvalue()
