"""Link kinds and the drivers that open them (labgrid's driver registry, a factory per kind).

A driver is a class that registers itself for a kind with ``@register("kind")`` and opens from a ``LinkTarget``
(``open(target)``); its capabilities are the protocols it subclasses (``pytest_svtad.links.protocol``). A new kind
(DUIS over HTTP, say) is one module: a transport and codec for the runner, a driver class, a registration; the
package imports it, and the DMC profile names the kind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

from pytest_svtad.links.errors import LinkError
from pytest_svtad.links.protocol import DeviceLink, capabilities_of
from pytest_svtad.smets1.profiles import DeviceKind, DeviceModel, DmcProfile


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """What a driver opens: the DMC under test, its device models, the per-test seed (simulated links) and the URL
    given with ``--svtad-link`` (None: the profile's own)."""

    dmc: DmcProfile
    models: Mapping[DeviceKind, DeviceModel]
    seed: int = 0
    url: str | None = None


class LinkDriver(Protocol):
    @classmethod
    def open(cls, target: LinkTarget) -> DeviceLink: ...


DriverT = TypeVar("DriverT", bound=type)
_DRIVERS: dict[str, type] = {}


def register(kind: str) -> Callable[[DriverT], DriverT]:
    """Class decorator: the driver for ``kind`` (a kind registered twice is a programming error)."""

    def add(cls: DriverT) -> DriverT:
        if kind in _DRIVERS and _DRIVERS[kind] is not cls:
            raise ValueError(f"link kind '{kind}' is already registered to {_DRIVERS[kind].__qualname__}")
        if not callable(getattr(cls, "open", None)):
            raise TypeError(f"{cls.__qualname__}: a link driver opens with a classmethod open(target)")
        _DRIVERS[kind] = cls
        return cls

    return add


def kinds() -> tuple[str, ...]:
    return tuple(sorted(_DRIVERS))


def split_kind(url: str) -> tuple[str | None, str]:
    """``zigbee+socket://h:1`` -> ``("zigbee", "socket://h:1")``: a URL may name its link kind before a ``+``."""
    scheme, sep, rest = url.partition("://")
    if sep and "+" in scheme:
        kind, _, inner = scheme.partition("+")
        return kind.lower(), f"{inner}://{rest}"
    return None, url


def kind_for(dmc: DmcProfile, url: str | None = None) -> str:
    """The link kind a DMC is reached by: the one a ``KIND+`` URL names (``--svtad-link DMC=zigbee+socket://...``),
    else the profile's; ``--svtad-link`` on a DMC profiled as simulated selects the serial link."""
    named = split_kind(url)[0] if url is not None else None
    if named is not None:
        if named not in _DRIVERS:
            raise LinkError(f"unknown link kind '{named}' in '{url}' (registered: {', '.join(kinds())})")
        return named
    return "serial" if dmc.link.kind == "sim" and url is not None else dmc.link.kind


def driver_for(kind: str) -> type:
    driver = _DRIVERS.get(kind)
    if driver is None:
        raise LinkError(f"no link driver for kind '{kind}' (registered: {', '.join(kinds())})")
    return driver


def capabilities(dmc: DmcProfile, url: str | None = None) -> frozenset[type]:
    """The capabilities of the link the DMC is reached by, known before it is opened (for applicability)."""
    return capabilities_of(driver_for(kind_for(dmc, url)))


def open_link(dmc: DmcProfile, models: Mapping[DeviceKind, DeviceModel], seed: int,
              url: str | None = None) -> DeviceLink:
    """Open the link the DMC profile names; ``url`` (from --svtad-link) overrides the profile's and, for a DMC
    profiled as simulated, selects the serial link."""
    driver: type[LinkDriver] = driver_for(kind_for(dmc, url))
    return driver.open(LinkTarget(dmc, models, seed, split_kind(url)[1] if url is not None else None))


def seed_for_test(session_seed: int, nodeid: str) -> int:
    """A per-test seed from the session seed and the test id: the same test gets the same installation whatever
    ran before it, in one process or on any xdist worker."""
    digest = hashlib.sha256(f"{session_seed}:{nodeid}".encode()).digest()
    return int.from_bytes(digest[:8], "big")
