"""What the service handlers, faults and migration need of an installation, as a protocol.

``installation.py`` builds the installation and imports the handlers; the handlers, faults and migration see the
installation only through ``InstallationContext``, so none of them imports ``installation.py``: a handler module
imports on its own, and a handler runs against any object with these members (a test's small fake included).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from pytest_svtad.smets1.catalogue import SrvCatalogue
from pytest_svtad.smets1.profiles import DmcProfile
from simulators.devices import CommsHub, Device, HanDisplay, Inventory, Meter
from simulators.network import Wan


class InstallationContext(Protocol):
    dmc: DmcProfile
    seed: int
    catalogue: SrvCatalogue
    counter: int  # the number of the request being served (DUIS RequestID suffix)
    enrolled: bool
    master_keys: bool
    failed_migrations: int
    inventory: Inventory
    wan: Wan

    @property
    def devices(self) -> Mapping[str, Device]: ...

    @property
    def now(self) -> datetime: ...

    @property
    def hub(self) -> CommsHub | None: ...

    def device(self, kind: str) -> Device: ...

    def meters(self) -> list[Meter]: ...

    def displays(self) -> list[HanDisplay]: ...

    def note(self, text: str) -> None: ...

    def advance(self, minutes: float = 0, hours: float = 0, days: float = 0) -> None: ...

    def prepayment_checks(self, meter: Meter) -> None: ...

    def set_supply(self, meter: Meter, status: str, by: str) -> None: ...

    def raise_alert(self, device: Device, code: str, details: dict[str, Any]) -> None: ...

    def reboot(self, device: Device, seconds: float) -> None: ...

    def power_outage(self, duration: timedelta) -> None: ...

    def distribute_firmware(self, device: Device, version: str, size: int, corrupt_image: bool) -> None: ...
