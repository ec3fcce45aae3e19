"""The one error a link raises, and the checks every link makes of a request before it sends it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_svtad.smets1.catalogue import SrvCatalogue, SrvDefinition
    from pytest_svtad.smets1.profiles import DmcProfile


class LinkError(Exception):
    """The installation cannot be reached or used as asked; the message says what to do."""


class NoResponse(LinkError):
    """The device end (or the DCC) sent no answer within the link's timeout: the link is not answering."""


def checked_request(catalogue: SrvCatalogue, dmc: DmcProfile, srv: str, device: str | None) -> SrvDefinition:
    """The catalogue's entry for ``srv``, once the SRV is known and ``device`` (if named) is a device of the DMC;
    otherwise a LinkError saying which."""
    entry = catalogue.get(srv)
    if entry is None:
        raise LinkError(catalogue.unknown(srv))
    if device is not None and device not in {kind.value for kind in dmc.devices}:
        raise LinkError(dmc.lacks(device))
    return entry
