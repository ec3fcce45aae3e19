"""A real installation (or the emulator) behind a serial test interface: pyserial, any URL it opens (a device
path, ``socket://``, ``rfc2217://``, ``loop://``), the wire codec of docs/device-link-protocol.md, and the runner
(timeouts, reads retried and updates never, stale answers, alerts, the transcript)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from pytest_svtad.links.errors import LinkError
from pytest_svtad.links.registry import LinkTarget, register
from pytest_svtad.links.runner import LinkRunner, RunnerLink
from pytest_svtad.links.wire_codec import WireCodec
from pytest_svtad.smets1 import wire
from pytest_svtad.smets1.catalogue import SrvCatalogue
from pytest_svtad.smets1.profiles import DeviceKind, DeviceModel, DmcProfile

try:
    import termios

    _TERMIOS_ERRORS: tuple[type[Exception], ...] = (termios.error,)
except ImportError:  # pragma: no cover - not POSIX
    _TERMIOS_ERRORS = ()

POLL_S = 0.02


class SerialTransport:
    """A pyserial port, opened with ``serial_for_url``; every failure a ``LinkError`` naming the DMC and URL."""

    def __init__(self, dmc_id: str, url: str, baudrate: int, write_timeout_s: float) -> None:
        import serial

        self.dmc_id = dmc_id
        self.where = url
        self._errors = (serial.SerialException, OSError, *_TERMIOS_ERRORS)
        try:
            self.port = serial.serial_for_url(url, baudrate=baudrate, timeout=POLL_S, write_timeout=write_timeout_s)
        except (serial.SerialException, ValueError, OSError) as exc:
            raise LinkError(f"DMC '{dmc_id}': cannot open {url}: {exc}") from None
        try:
            self.port.reset_input_buffer()  # whatever an earlier session left unread is not ours
        except self._errors:
            pass

    def send(self, data: bytes) -> None:
        try:
            self.port.write(data)
            self.port.flush()  # tcdrain on a pty whose other end has gone raises termios.error, not OSError
        except self._errors as exc:
            raise LinkError(f"{self.dmc_id}: cannot write to {self.where}: {exc}") from None

    def receive(self) -> bytes:
        try:
            return bytes(self.port.read(max(1, self.port.in_waiting)))
        except self._errors as exc:
            raise LinkError(f"{self.dmc_id}: the device disconnected ({self.where}): {exc}; "
                            "the transcript is in the test's evidence") from None

    def close(self) -> None:
        try:
            self.port.close()
        except OSError:
            pass


@register("serial")
class SerialLink(RunnerLink):
    """``request``, ``alerts``, ``devices`` and a frame-level transcript; none of the simulator's powers: a real
    installation keeps its own time."""

    kind: ClassVar[str] = "serial"

    def __init__(self, dmc: DmcProfile, models: Mapping[DeviceKind, DeviceModel], *, url: str | None = None,
                 baudrate: int | None = None, timeout_s: float | None = None,
                 catalogue: SrvCatalogue | None = None) -> None:
        self.url = url or dmc.link.url
        if not self.url:
            raise LinkError(f"DMC '{dmc.id}': link kind '{dmc.link.kind}' needs a url (a device path, "
                            "socket://HOST:PORT, rfc2217://HOST:PORT or loop://), in the profile or with "
                            f"--svtad-link {dmc.id}=URL")
        self.timeout_s = timeout_s or dmc.link.timeout_s
        transport = SerialTransport(dmc.id, self.url, baudrate or dmc.link.baudrate, self.timeout_s)
        self.codec = WireCodec()
        super().__init__(dmc, models, LinkRunner(dmc, transport, self.codec, self.timeout_s), catalogue)
        self.runner.transcript.now("--", f"opened {self.url}")

    @classmethod
    def open(cls, target: LinkTarget) -> SerialLink:
        return cls(target.dmc, target.models, url=target.url)

    @property
    def deframer(self) -> wire.Deframer:
        return self.codec.deframer

    def next_seq(self) -> int:
        return self.runner.next_seq()
