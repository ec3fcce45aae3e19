"""A real installation (or the emulator) behind a serial test interface: pyserial, any URL it opens (a device
path, ``socket://``, ``rfc2217://``, ``loop://``), framed and encoded as docs/device-link-protocol.md says.

Every read has a timeout; reads are retried, updates never (a repeated top-up is a second top-up); unsolicited
alerts are queued; garbage and frames that fail their CRC are counted and skipped; a device that stops answering
ends the request with a LinkError naming what was sent and when, never a hang.
"""

from __future__ import annotations

import itertools
import random
import time
from collections import deque
from collections.abc import Mapping
from typing import Any

from pytest_svtad.links.base import LinkError
from pytest_svtad.smets1 import wire
from pytest_svtad.smets1.catalogue import SrvCatalogue, default_catalogue
from pytest_svtad.smets1.messages import Alert, ServiceRequest, ServiceResponse, plain
from pytest_svtad.smets1.profiles import DeviceKind, DeviceModel, DmcProfile
from pytest_svtad.smets1.transcript import Transcript

try:
    import termios

    _TERMIOS_ERRORS: tuple[type[Exception], ...] = (termios.error,)
except ImportError:  # pragma: no cover - not POSIX
    _TERMIOS_ERRORS = ()

READ_RETRIES = 2
POLL_S = 0.02


class SerialLink:
    """``request``, ``alerts``, ``devices`` and a frame-level transcript; no ``advance`` or ``faults``: a real
    installation keeps its own time."""

    def __init__(self, dmc: DmcProfile, models: Mapping[DeviceKind, DeviceModel], *, url: str | None = None,
                 baudrate: int | None = None, timeout_s: float | None = None,
                 catalogue: SrvCatalogue | None = None) -> None:
        import serial

        self.dmc = dmc
        self.models = dict(models)
        self.url = url or dmc.link.url
        if not self.url:
            raise LinkError(f"DMC '{dmc.id}': link kind '{dmc.link.kind}' needs a url (a device path, "
                            "socket://HOST:PORT, rfc2217://HOST:PORT or loop://), in the profile or with "
                            f"--svtad-link {dmc.id}=URL")
        self.timeout_s = timeout_s or dmc.link.timeout_s
        self.catalogue = catalogue or default_catalogue()
        self.transcript = Transcript(f"# transcript of {dmc.id} ({dmc.name}) over {self.url}, wall-clock UTC")
        self.deframer = wire.Deframer()
        self.stale_responses = 0
        self._alerts: deque[Alert] = deque()
        # a fresh starting point per link: an answer the previous test's link left on the line cannot match
        self._seq = itertools.count(random.SystemRandom().randrange(1, 0xFFFF))
        self._closed = False
        try:
            self.port = serial.serial_for_url(self.url, baudrate=baudrate or dmc.link.baudrate, timeout=POLL_S,
                                              write_timeout=self.timeout_s)
        except (serial.SerialException, ValueError, OSError) as exc:
            raise LinkError(f"DMC '{dmc.id}': cannot open {self.url}: {exc}") from None
        try:
            self.port.reset_input_buffer()  # whatever an earlier session left unread is not ours
        except (serial.SerialException, OSError, *_TERMIOS_ERRORS):
            pass
        self.transcript.now("--", f"opened {self.url}")

    # --- the DeviceLink interface ----------------------------------------------------------------------------

    @property
    def devices(self) -> Mapping[str, Any]:
        return {kind.value: model for kind, model in self.models.items()}

    def request(self, srv: str, device: str | None = None, **params: Any) -> ServiceResponse:
        entry = self.catalogue.get(srv)
        if entry is None:
            raise LinkError(self.catalogue.unknown(srv))
        if device is not None and device not in {kind.value for kind in self.dmc.devices}:
            raise LinkError(self.dmc.lacks(device))
        execution_time = params.pop("execution_time", None)
        request = ServiceRequest(srv=srv, params=params, device=device or "", execution_time=execution_time)
        attempts = 1 + (READ_RETRIES if entry.access == "read" else 0)
        for attempt in range(1, attempts + 1):
            seq = self.next_seq()
            self._send(wire.request_frame(request, seq), f"{srv} {entry.name} to {device or 'default device'}",
                       plain(params))
            frame = self._pump(time.monotonic() + self.timeout_s, seq)
            if frame is not None:
                try:
                    refused = wire.read_error(frame) if frame.type is wire.FrameType.ERROR else None
                    response = wire.read_response(frame) if refused is None else None
                except wire.WireError as exc:  # what a device sends is checked, never trusted
                    self.transcript.now("!!", f"malformed answer to seq={seq}: {exc}")
                    raise LinkError(f"{self.dmc.id}: SRV {srv}: the device sent a malformed {frame.type.name}: "
                                    f"{exc}; the transcript is in the test's evidence") from None
                if response is None:
                    raise LinkError(f"{self.dmc.id}: SRV {srv} refused by the device end: {refused}")
                self.transcript.now("<<", f"{response.srv} {response.code} seq={seq}", plain(response.body) or None)
                return response
            if attempt < attempts:
                self.transcript.now("--", f"no answer to seq={seq} in {self.timeout_s:g} s: retrying the read")
        kind = "read" if entry.access == "read" else "update (never repeated)"
        raise LinkError(f"{self.dmc.id}: no response from the device to SRV {srv} ({kind}) within "
                        f"{self.timeout_s:g} s after {attempts} attempt(s) over {self.url}; "
                        f"{self.deframer.bad_frames} bad frames, {self.deframer.garbage_bytes} garbage bytes, "
                        f"{self.stale_responses} stale responses seen; the transcript is in the test's evidence")

    def alerts(self) -> list[Alert]:
        """Alerts received so far (the port is drained first, without waiting)."""
        self._pump(time.monotonic())
        return list(self._alerts)

    def transcript_text(self) -> str:
        return self.transcript.text()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.transcript.now("--", f"closed; {self.deframer.bad_frames} bad frames, "
                                f"{self.deframer.garbage_bytes} garbage bytes, {self.stale_responses} stale")
            try:
                self.port.close()
            except OSError:
                pass

    def __getattr__(self, name: str) -> Any:
        if name in ("advance", "faults", "run_until", "migrate", "make_dormant", "press_button"):
            raise AttributeError(f"smets1.{name} exists only on a simulated link; {self.dmc.id} is on "
                                 f"{self.dmc.link.kind} ({self.url})")
        raise AttributeError(name)

    # --- frames ------------------------------------------------------------------------------------------------

    def _send(self, frame: wire.Frame, text: str, data: Any = None) -> None:
        import serial

        self.transcript.now(">>", f"{text} seq={frame.seq}", data)
        try:
            self.port.write(wire.encode_frame(frame))
            self.port.flush()  # tcdrain on a pty whose other end has gone raises termios.error, not OSError
        except (serial.SerialException, OSError, *_TERMIOS_ERRORS) as exc:
            raise LinkError(f"{self.dmc.id}: cannot write to {self.url}: {exc}") from None

    def _pump(self, deadline: float, seq: int | None = None,
              kind: wire.FrameType = wire.FrameType.RESPONSE) -> wire.Frame | None:
        """Read until ``deadline`` (or once, if it has passed); queue alerts; return the answer to ``seq``."""
        import serial

        while True:
            try:
                data = self.port.read(max(1, self.port.in_waiting))
            except (serial.SerialException, OSError, *_TERMIOS_ERRORS) as exc:
                self.transcript.now("!!", f"port error: {exc}")
                raise LinkError(f"{self.dmc.id}: the device disconnected ({self.url}): {exc}; "
                                "the transcript is in the test's evidence") from None
            bad_before = self.deframer.bad_frames
            found = None
            for frame in self.deframer.feed(data):  # take every frame: alerts behind the answer are kept too
                taken = self._take(frame, seq, kind)
                found = found or taken
            if self.deframer.bad_frames > bad_before:
                self.transcript.now("!!", f"bad frame skipped: {self.deframer.errors[-1]}")
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                return None

    def _take(self, frame: wire.Frame, seq: int | None, kind: wire.FrameType) -> wire.Frame | None:
        if frame.type is wire.FrameType.ALERT:
            try:
                alert = wire.read_alert(frame)
            except wire.WireError as exc:
                self.transcript.now("!!", f"undecodable alert skipped: {exc}")
                return None
            self._alerts.append(alert)
            self.transcript.now("ALERT", f"{alert.code} {alert.name} from {alert.device}", plain(alert.details))
            return None
        if frame.type in (wire.FrameType.RESPONSE, wire.FrameType.ERROR, wire.FrameType.ZIGBEE):
            if seq is not None and frame.seq == seq and frame.type in (kind, wire.FrameType.ERROR):
                return frame
            self.stale_responses += 1
            self.transcript.now("!!", f"{frame.type.name} for seq={frame.seq} ignored (waiting for seq={seq})")
            return None
        self.transcript.now("!!", f"unexpected {frame.summary()} ignored")
        return None

    def next_seq(self) -> int:
        return next(self._seq) % 0xFFFF or next(self._seq) % 0xFFFF  # 1..65534: 0 is for unsolicited frames

