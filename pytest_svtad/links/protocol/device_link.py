"""``DeviceLink``: one SMETS1 installation as the tests see it, whatever sits behind it. Every link has it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from pytest_svtad.smets1.messages import Alert, ServiceResponse
from pytest_svtad.smets1.profiles import DmcProfile


@runtime_checkable
class DeviceLink(Protocol):
    dmc: DmcProfile

    def request(self, srv: str, device: str | None = None, **params: Any) -> ServiceResponse:
        """Send one Service Request and return its response; a request nobody answers is a ``LinkError`` (real
        links) or an ``E21`` response (the simulated head-end gives up as the DCC's would)."""

    def alerts(self) -> list[Alert]:
        """Every alert delivered so far, in order of delivery."""

    @property
    def devices(self) -> Mapping[str, Any]: ...

    def transcript_text(self) -> str:
        """Every request, response and alert (or frame) so far, for the test's evidence."""

    def close(self) -> None: ...
