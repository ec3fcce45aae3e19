"""The ``DeviceLink`` protocol every adapter satisfies (sim now; serial and zigbee with the links issue)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from pytest_svtad.smets1.messages import Alert, ServiceResponse
from pytest_svtad.smets1.profiles import DeviceKind, DeviceModel, DmcProfile


class LinkError(Exception):
    """The installation cannot be reached or used as asked; the message says what to do."""

@runtime_checkable
class DeviceLink(Protocol):
    """One SMETS1 installation as the tests see it, whatever sits behind it."""

    dmc: DmcProfile

    def request(self, srv: str, device: str | None = None, **params: Any) -> ServiceResponse: ...

    def alerts(self) -> list[Alert]: ...

    @property
    def devices(self) -> Mapping[str, Any]: ...

    def transcript_text(self) -> str: ...

    def close(self) -> None: ...


def seed_for_test(session_seed: int, nodeid: str) -> int:
    """A per-test seed from the session seed and the test id: the same test gets the same installation whatever
    ran before it, in one process or on any xdist worker."""
    digest = hashlib.sha256(f"{session_seed}:{nodeid}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def open_link(dmc: DmcProfile, models: Mapping[DeviceKind, DeviceModel], seed: int,
              url: str | None = None) -> DeviceLink:
    """Open the link the DMC profile names; ``url`` (from --svtad-link) overrides the profile's and, for a DMC
    profiled as simulated, selects the serial link."""
    kind = dmc.link.kind
    if kind == "sim" and url is None:
        from pytest_svtad.links.sim import SimLink

        return SimLink(dmc, dict(models), seed)
    if kind == "zigbee":
        from pytest_svtad.links.zigbee import ZigbeeLink

        return ZigbeeLink(dmc, models, url=url)
    from pytest_svtad.links.serial import SerialLink

    return SerialLink(dmc, models, url=url)
