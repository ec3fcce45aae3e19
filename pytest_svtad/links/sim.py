"""The in-process simulator behind the ``DeviceLink`` interface (the default link), with every simulator-only
power: simulated time, faults, migration, the consumer's button and the HAN."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pytest_svtad.links.errors import LinkError
from pytest_svtad.links.han import HanReader
from pytest_svtad.links.protocol import (
    ConsumerAction,
    DeviceLink,
    FaultInjection,
    HanAccess,
    KnownState,
    Migration,
    SimulatedTime,
)
from pytest_svtad.links.registry import LinkTarget, register
from pytest_svtad.smets1.messages import Alert, ServiceResponse
from pytest_svtad.smets1.profiles import DeviceKind, DeviceModel, DmcProfile


@register("sim")
class SimLink(DeviceLink, SimulatedTime, FaultInjection, Migration, ConsumerAction, HanAccess, KnownState):
    """A simulated SMETS1 installation in virtual time. The simulated head-end retries reads itself, in simulated
    time, as the DCC's does (``simulators/installation.py``); the transcript is the installation's."""

    def __init__(self, dmc: DmcProfile, models: Mapping[DeviceKind, DeviceModel], seed: int,
                 start: datetime | None = None) -> None:
        try:
            from simulators import Installation
        except ImportError as exc:  # pragma: no cover - the package ships with pytest-svtad
            raise LinkError(f"the SMETS1 simulator is not importable: {exc}") from None
        self.dmc = dmc
        self.seed = seed
        self.installation = Installation(dmc, models, seed=seed, start=start)
        self._han: HanReader | None = None
        self._alerts_from = 0  # alerts before this index are not the test's (KnownState.clear_alerts)

    @classmethod
    def open(cls, target: LinkTarget) -> SimLink:
        return cls(target.dmc, target.models, target.seed)

    def request(self, srv: str, device: str | None = None, **params: Any) -> ServiceResponse:
        return self.installation.request(srv, device=device, **params)

    def alerts(self) -> list[Alert]:
        return self.installation.alerts()[self._alerts_from:]

    @property
    def devices(self) -> Mapping[str, Any]:
        return self.installation.devices

    def transcript_text(self) -> str:
        return str(self.installation.transcript_text())

    def close(self) -> None:
        return None

    # --- KnownState: the installation is built fresh for each test from its seed ---------------------------------

    def reset(self, seed: int, enrolled: bool = False) -> str:
        # enrolment is the installation fixture's own migration here (Migration), as the sample packs expect
        return f"a fresh simulated installation, seed {self.seed}"

    def clear_alerts(self) -> int:
        dropped = len(self.installation.alerts()) - self._alerts_from
        self._alerts_from += dropped
        return dropped

    # --- SimulatedTime, FaultInjection, Migration, ConsumerAction ---------------------------------------------

    def advance(self, minutes: float = 0, hours: float = 0, days: float = 0) -> None:
        self.installation.advance(minutes=minutes, hours=hours, days=days)

    @property
    def now(self) -> datetime:
        return self.installation.now

    @property
    def faults(self) -> Any:
        return self.installation.faults

    @property
    def enrolled(self) -> bool:
        return self.installation.enrolled

    def migration_readiness(self) -> dict[str, Any]:
        return self.installation.migration_readiness()

    def migrate(self, cohort: str = "FOC") -> dict[str, Any]:
        return self.installation.migrate(cohort)

    def make_dormant(self) -> None:
        self.installation.make_dormant()

    def press_button(self, device: str = "ESME") -> bool:
        return self.installation.press_button(device)

    # --- HanAccess --------------------------------------------------------------------------------------------

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
        # the rest of the simulator's API (device state, meters) stays reachable for simulated packs
        if name in ("installation", "_han", "_alerts_from"):
            raise AttributeError(name)
        return getattr(self.installation, name)
