"""The in-process simulator behind the ``DeviceLink`` interface (the default link)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pytest_svtad.links.base import LinkError
from pytest_svtad.links.han import HanReader
from pytest_svtad.smets1.messages import Alert, ServiceResponse
from pytest_svtad.smets1.profiles import DeviceKind, DeviceModel, DmcProfile


class SimLink:
    """A simulated SMETS1 installation in virtual time: ``advance`` and ``faults`` exist only here."""

    def __init__(self, dmc: DmcProfile, models: dict[DeviceKind, DeviceModel], seed: int,
                 start: datetime | None = None) -> None:
        try:
            from simulators import Installation
        except ImportError as exc:  # pragma: no cover - the package ships with pytest-svtad
            raise LinkError(f"the SMETS1 simulator is not importable: {exc}") from None
        self.dmc = dmc
        self.seed = seed
        self.installation = Installation(dmc, models, seed=seed, start=start)
        self._han: HanReader | None = None

    def request(self, srv: str, device: str | None = None, **params: Any) -> ServiceResponse:
        return self.installation.request(srv, device=device, **params)

    def alerts(self) -> list[Alert]:
        return self.installation.alerts()

    def advance(self, minutes: float = 0, hours: float = 0, days: float = 0) -> None:
        self.installation.advance(minutes=minutes, hours=hours, days=days)

    @property
    def faults(self) -> Any:
        return self.installation.faults

    @property
    def devices(self) -> Mapping[str, Any]:
        return self.installation.devices

    @property
    def now(self) -> datetime:
        return self.installation.now

    @property
    def han(self) -> HanReader:
        """The HAN read in-process through the same ZigBee frames a radio adapter would carry."""
        if self._han is None:
            from simulators import han

            self._han = HanReader(lambda frame, _seq: han.answer(self.installation, frame))
        return self._han

    def han_pcap(self) -> bytes | None:
        return self._han.pcap_if_used() if self._han is not None else None

    def __getattr__(self, name: str) -> Any:
        # the rest of the simulator's API (migration steps, device state) stays reachable for simulated packs
        if name in ("installation", "_han"):
            raise AttributeError(name)
        return getattr(self.installation, name)

    def transcript_text(self) -> str:
        return str(self.installation.transcript_text())

    def close(self) -> None:
        return None
