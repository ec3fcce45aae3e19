"""``HanAccess``: the HAN read as an IHD or PPMID would (ZigBee SE clusters), with a pcap of the frames. The
simulator (in-process) and the zigbee link (through the lab's radio adapter)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pytest_svtad.links.han import HanReader


class HanAccess(Protocol):
    @property
    def han(self) -> HanReader: ...

    def han_pcap(self) -> bytes | None:
        """The frames exchanged on the HAN so far as a pcap, or None when the HAN was never read."""
