"""A simulated installation behind the real-device protocols (docs/device-link-protocol.md), over a
pseudo-terminal or a TCP socket: how a user tries the serial and ZigBee links without hardware, and how the tests
drive them.

Time: the installation's clock runs at ``speed`` x wall time between frames (0: only requests move it, by their
simulated latency). Answers are sent at once unless ``pace`` asks for the simulated response time to be waited out,
and ``line_rate`` (bits/s) paces the bytes as a real serial line would (a pty has no baud rate).
``misbehave`` makes the device misbehave per SRV, for tests: ``corrupt`` (first answer fails its CRC), ``silent``,
``wrong_seq``, ``disconnect`` (half an answer, then the line drops).

Known state: a RESET frame (``{"seed": N}``, optionally ``"enrolled": true``: a dormant installation migrated first,
as the harness's ``installation`` fixture does on the simulated link) replaces the installation with a fresh one
built from the DMC profile and that seed, as the in-process simulator builds one per test from the same seed,
and answers RESET: so a test over the emulator starts where it starts over the ``sim`` link, and nothing a
previous test did (its supply, its tariff, its alerts still due) is left. ``resettable=False`` answers ERROR
instead, like an adapter that cannot.
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time
import tty
from collections.abc import Callable, Mapping
from typing import Protocol

from pytest_svtad.smets1 import wire
from pytest_svtad.smets1.profiles import DeviceKind, DeviceModel
from simulators import han
from simulators.errors import RequestError
from simulators.installation import Installation


class Port(Protocol):
    def read(self, timeout: float) -> bytes: ...

    def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class PtyPort:
    """The master side of a pseudo-terminal; ``path`` is the device the harness opens."""

    def __init__(self) -> None:
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no \r rewriting (a pty's default line discipline)
        tty.setraw(self.master)
        self.path = os.ttyname(self._slave)

    def read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return b""
        try:
            return os.read(self.master, 4096)
        except OSError:
            return b""

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self.master, view)
            view = view[written:]

    def close(self) -> None:
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass


class SocketPort:
    """A TCP listener taking one harness connection at a time (``socket://HOST:PORT``)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = socket.create_server((host, port))
        self._server.settimeout(0.2)
        self.url = f"socket://{host}:{self._server.getsockname()[1]}"
        self._conn: socket.socket | None = None

    def _connection(self, timeout: float) -> socket.socket | None:
        if self._conn is None:
            self._server.settimeout(timeout)
            try:
                self._conn, _ = self._server.accept()
            except (TimeoutError, OSError):
                return None
        return self._conn

    def read(self, timeout: float) -> bytes:
        conn = self._connection(timeout)
        if conn is None:
            return b""
        conn.settimeout(timeout)
        try:
            data = conn.recv(4096)
        except TimeoutError:
            return b""
        except OSError:
            data = b""
        if not data:
            conn.close()
            self._conn = None
        return data

    def write(self, data: bytes) -> None:
        if self._conn is not None:
            self._conn.sendall(data)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._server.close()


class Emulator:
    def __init__(self, installation: Installation, port: Port, *, speed: float = 0.0, pace: bool = False,
                 line_rate: int | None = None, misbehave: dict[str, str] | None = None,
                 log: Callable[[str], None] | None = None, resettable: bool = True) -> None:
        self.installation = installation
        self.resettable = resettable
        self.resets = 0
        # what a RESET rebuilds the installation from: its DMC and device models
        self._models: Mapping[DeviceKind, DeviceModel] = {
            device.model.kind: device.model for device in installation.devices.values()}
        self.port = port
        self.speed = speed
        self.pace = pace
        self.line_rate = line_rate
        self.misbehave = dict(misbehave or {})
        self.log = log or (lambda _line: None)
        self.deframer = wire.Deframer()
        self.requests = 0
        self._sent_alerts = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last = time.monotonic()

    # --- running -----------------------------------------------------------------------------------------------

    def start(self) -> Emulator:
        self._thread = threading.Thread(target=self.serve, name="svtad-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.port.close()

    def serve(self) -> None:
        while not self._stop.is_set():
            data = self.port.read(0.05)
            self._follow_wall_clock()
            for frame in self.deframer.feed(data):
                self._handle(frame)
            self._push_alerts()

    def _follow_wall_clock(self) -> None:
        now = time.monotonic()
        elapsed, self._last = now - self._last, now
        if self.speed > 0 and elapsed > 0:
            self.installation.advance(minutes=elapsed * self.speed / 60)

    # --- frames ------------------------------------------------------------------------------------------------

    def _send(self, frame: wire.Frame) -> None:
        self._write(wire.encode_frame(frame))

    def _write(self, data: bytes) -> None:
        if self.line_rate:
            time.sleep(len(data) * 10 / self.line_rate)  # 8N1: ten bits a byte
        self.port.write(data)

    def _handle(self, frame: wire.Frame) -> None:
        try:
            if frame.type is wire.FrameType.REQUEST:
                self._request(frame)
            elif frame.type is wire.FrameType.HELLO:
                devices = {kind: device.model.id for kind, device in self.installation.devices.items()}
                self._send(wire.Frame(wire.FrameType.HELLO, frame.seq, wire.dumps(
                    {"dmc": self.installation.dmc.id, "devices": devices, "protocol": wire.VERSION})))
            elif frame.type is wire.FrameType.RESET:
                self._reset(frame)
            elif frame.type is wire.FrameType.ZIGBEE:
                reply = han.answer(self.installation, frame.payload)
                if reply is not None:
                    self._send(wire.Frame(wire.FrameType.ZIGBEE, frame.seq, reply))
        except (wire.WireError, ValueError) as exc:
            self._send(wire.Frame(wire.FrameType.ERROR, frame.seq, wire.dumps({"error": str(exc)})))

    def _reset(self, frame: wire.Frame) -> None:
        seed, enrolled = wire.read_reset(frame)
        if not self.resettable:
            self._send(wire.Frame(wire.FrameType.ERROR, frame.seq, wire.dumps(
                {"error": "this device end cannot reset the installation"})))
            return
        dmc = self.installation.dmc
        installation = Installation(dmc, self._models, seed=seed)
        if enrolled and not installation.enrolled:  # as the harness's installation fixture migrates on sim
            outcome = installation.migrate("DMCT")
            if not outcome["migrated"]:
                self._send(wire.Frame(wire.FrameType.ERROR, frame.seq, wire.dumps(
                    {"error": f"the installation could not be enrolled: {'; '.join(outcome['reasons'])}"})))
                return
        self.installation = installation
        self._sent_alerts = 0  # the old installation's alerts went with it
        self._last = time.monotonic()
        self.resets += 1
        self.log(f"seq={frame.seq} RESET: a fresh installation of {dmc.id}, seed {seed}"
                 + (", enrolled" if enrolled else ""))
        self._send(wire.Frame(wire.FrameType.RESET, frame.seq, wire.dumps(
            {"dmc": dmc.id, "seed": seed, "enrolled": installation.enrolled})))

    def _request(self, frame: wire.Frame) -> None:
        request = wire.read_request(frame)
        self.requests += 1
        mode = self.misbehave.get(request.srv)
        if mode == "silent":
            self.log(f"seq={frame.seq} {request.srv}: staying silent")
            return
        params = dict(request.params)
        if request.execution_time is not None:
            params["execution_time"] = request.execution_time
        try:
            response = self.installation.request(request.srv, device=request.device or None, **params)
        except RequestError as exc:
            self._send(wire.Frame(wire.FrameType.ERROR, frame.seq, wire.dumps({"error": str(exc)})))
            return
        if self.pace and response.issued_at and response.completed_at:
            time.sleep((response.completed_at - response.issued_at).total_seconds() / max(self.speed, 1.0))
        seq = frame.seq
        if mode == "wrong_seq":
            seq = (seq + 1) % 0xFFFF
        data = wire.encode_frame(wire.response_frame(response, seq))
        if mode == "corrupt":
            self.misbehave.pop(request.srv)  # once: the retry gets a good answer
            data = data[:-3] + bytes((data[-3] ^ 0xFF,)) + data[-2:]
        if mode == "disconnect":
            self.port.write(data[: len(data) // 2])
            self.log(f"seq={frame.seq} {request.srv}: dropping the line mid-response")
            self._stop.set()
            self.port.close()
            return
        self.log(f"seq={frame.seq} {request.srv} -> {response.code}")
        self._write(data)

    def _push_alerts(self) -> None:
        alerts = self.installation.alerts()
        for alert in alerts[self._sent_alerts:]:
            self._send(wire.alert_frame(alert))
        self._sent_alerts = len(alerts)


def describe(emulator: Emulator, where: str) -> str:
    dmc = emulator.installation.dmc
    kinds = ", ".join(emulator.installation.devices)
    return f"emulating {dmc.id} ({dmc.name}; {kinds}) on {where}"

