"""What a link can do, one capability per module (labgrid's ``protocol/``).

Every link is a ``DeviceLink``. The other capabilities are powers only some links have; a driver declares one by
subclassing its protocol, and ``supports`` asks exactly that (declared, never guessed from attribute names). A test
asks for a capability through its fixture (``pytest_svtad.plugin.fixtures``): on a DMC whose link lacks it the
test is not applicable. Asked of a link that lacks it, a capability's member is an ``AttributeError`` naming the
capability and the link.
"""

from __future__ import annotations

from typing import Any

from pytest_svtad.links.protocol.consumer_action import ConsumerAction
from pytest_svtad.links.protocol.device_link import DeviceLink
from pytest_svtad.links.protocol.fault_injection import FaultInjection
from pytest_svtad.links.protocol.han_access import HanAccess
from pytest_svtad.links.protocol.known_state import KnownState
from pytest_svtad.links.protocol.migration import Migration
from pytest_svtad.links.protocol.simulated_time import SimulatedTime

CAPABILITIES: dict[type, str] = {  # capability -> what has it, for messages
    SimulatedTime: "a simulated link",
    FaultInjection: "a simulated link",
    Migration: "a simulated link",
    ConsumerAction: "a simulated link",
    HanAccess: "a simulated or zigbee link",
}


def members(capability: type) -> tuple[str, ...]:
    return tuple(name for name in vars(capability) if not name.startswith("_"))


def supports(link: Any, capability: type) -> bool:
    """Whether ``link`` (an object or a driver class) declares ``capability``."""
    cls = link if isinstance(link, type) else type(link)
    return capability in cls.__mro__


def capabilities_of(cls: type) -> frozenset[type]:
    return frozenset(capability for capability in CAPABILITIES if capability in cls.__mro__)


def capability_of(member: str) -> type | None:
    """The capability whose member ``member`` is (``advance`` -> ``SimulatedTime``), or None."""
    return next((capability for capability in CAPABILITIES if member in members(capability)), None)


def lacking(member: str, dmc_id: str, where: str) -> AttributeError:
    """The error for ``smets1.<member>`` on a link that lacks the member's capability (``where``: kind and url)."""
    capability = capability_of(member)
    if capability is None:
        return AttributeError(member)
    return AttributeError(f"smets1.{member} exists only on {CAPABILITIES[capability]} ({capability.__name__}); "
                          f"{dmc_id} is on {where}")


__all__ = ["CAPABILITIES", "ConsumerAction", "DeviceLink", "FaultInjection", "HanAccess", "KnownState", "Migration",
           "SimulatedTime", "capabilities_of", "capability_of", "lacking", "members", "supports"]
