"""Faults a test injects into a simulated installation: each takes effect now, in simulated time."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pytest_svtad.smets1.profiles import Quirk
from simulators.errors import RequestError

if TYPE_CHECKING:
    from simulators.context import InstallationContext


class Faults:
    """``smets1.faults``: WAN outage and loss, device reboot, power cut, clock drift, tamper, injected quirks."""

    def __init__(self, installation: InstallationContext) -> None:
        self._inst = installation

    def wan_outage(self, minutes: float = 0, hours: float = 0) -> None:
        """The comms hub's WAN is down from now for the duration: requests time out, alerts wait in the hub."""
        duration = timedelta(minutes=minutes, hours=hours)
        if duration <= timedelta(0):
            raise RequestError("wan_outage: give a positive duration (minutes= or hours=)")
        now = self._inst.now
        self._inst.wan.outages.append((now, now + duration))
        self._inst.note(f"fault: WAN outage for {duration}")

    def wan_loss(self, rate: float) -> None:
        """Each WAN transmission is lost with probability ``rate`` (0 restores the profile's own rate)."""
        if not 0 <= rate < 1:
            raise RequestError(f"wan_loss: rate must be in [0, 1), got {rate!r}")
        self._inst.wan.loss = rate or self._inst.wan.spec.loss
        self._inst.note(f"fault: WAN loss rate {self._inst.wan.loss:g}")

    def reboot(self, device: str = "ESME", seconds: float = 90) -> None:
        """The device restarts: it answers nothing for ``seconds``, then carries on with its state."""
        self._inst.reboot(self._inst.device(device), seconds)
        self._inst.note(f"fault: {device} reboots ({seconds:g} s)")

    def power_outage(self, minutes: float) -> None:
        """Mains power is lost for ``minutes``: no consumption, no WAN; restore raises 8F35 (and 8F36 if >= 3 min)."""
        if minutes <= 0:
            raise RequestError("power_outage: give a positive number of minutes")
        self._inst.power_outage(timedelta(minutes=minutes))
        self._inst.note(f"fault: power outage for {minutes:g} min")

    def clock_drift(self, device: str = "ESME", seconds: float = 0, ppm: float = 0) -> None:
        """Step the device's clock by ``seconds`` and let it run ``ppm`` parts per million fast (negative: slow)."""
        self._inst.device(device).set_drift(self._inst.now, seconds, ppm)
        self._inst.note(f"fault: {device} clock off by {seconds:+g} s, drifting {ppm:+g} ppm")

    def tamper(self, device: str = "ESME") -> None:
        """A tamper switch opens: the meter logs it and raises 8F3F."""
        target = self._inst.device(device)
        target.log_security(self._inst.now, "TAMPER", "tamper detected")
        self._inst.raise_alert(target, "8F3F", {})
        self._inst.note(f"fault: {device} tamper")

    def inject_quirk(self, device: str, srv: str, effect: str, **fields: Any) -> None:
        """Give the device's firmware a defect for ``srv``: ``reject``, ``timeout`` or ``wrong_value``."""
        if srv not in self._inst.catalogue:
            raise RequestError(f"inject_quirk: {self._inst.catalogue.unknown(srv)}")
        try:
            quirk = Quirk(srv=srv, effect=effect, **fields)  # type: ignore[arg-type]
        except ValueError as exc:
            raise RequestError(f"inject_quirk: {exc}") from None
        self._inst.device(device).quirks[srv] = quirk
        self._inst.note(f"fault: {device} firmware quirk {effect} on {srv}")

    def lose_master_keys(self) -> None:
        """The SMSO no longer holds the devices' master keys: migration readiness fails (a DCC exclusion)."""
        self._inst.master_keys = False
        self._inst.note("fault: SMSO master keys not held")

    def clear(self) -> None:
        """End outages now, restore the WAN's loss rate and the devices' own quirks."""
        now = self._inst.now
        wan = self._inst.wan
        wan.outages = [(start, min(end, now)) for start, end in wan.outages]
        wan.loss = wan.spec.loss
        for item in self._inst.devices.values():
            item.quirks = {quirk.srv: quirk for quirk in item.model.quirks}
        self._inst.note("faults cleared")
