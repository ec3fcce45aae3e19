"""One runner for every real-device link: a transport carries bytes, a codec turns them into messages, and the
runner owns what must be the same whatever the kind: sequence numbers, a deadline on every wait, reads retried and
updates never (``pytest_svtad.smets1.retries``), stale answers ignored, alerts queued, and the transcript.

A device that stops answering ends the request with a ``LinkError`` naming what was sent, the timeout, the
attempts and what the codec skipped, never a hang; a transport error (the line dropped) ends it at once.
"""

from __future__ import annotations

import itertools
import random
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from pytest_svtad.links.errors import LinkError, NoResponse, checked_request
from pytest_svtad.links.protocol import DeviceLink, KnownState, lacking
from pytest_svtad.smets1.catalogue import SrvCatalogue, SrvDefinition, default_catalogue
from pytest_svtad.smets1.messages import Alert, ServiceRequest, ServiceResponse, plain
from pytest_svtad.smets1.profiles import DeviceKind, DeviceModel, DmcProfile
from pytest_svtad.smets1.retries import attempts
from pytest_svtad.smets1.transcript import Transcript

RESPONSE = "response"  # the channel of Service Responses; a codec may carry others (the HAN: "zigbee")


class Transport(Protocol):
    """Bytes to and from the installation. Errors are ``LinkError``s saying what failed."""

    where: str  # the URL, for messages and the transcript

    def send(self, data: bytes) -> None: ...

    def receive(self) -> bytes:
        """What has arrived, waiting at most a short poll interval (b"" when nothing came)."""

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message the codec decoded: an answer on a channel (``response``: a ``ServiceResponse``; others: raw
    bytes), a refusal, an alert, or a note for the transcript (something skipped)."""

    kind: str  # "answer" | "refused" | "malformed" | "alert" | "note"
    seq: int = 0
    channel: str = RESPONSE
    value: Any = None  # ServiceResponse | bytes | Alert | str (reason, error or note)
    label: str = ""  # how the transcript names it ("RESPONSE", "ZIGBEE")


class Codec(Protocol):
    def request(self, request: ServiceRequest, seq: int) -> bytes: ...

    def payload(self, channel: str, data: bytes, seq: int) -> bytes:
        """Raw bytes for another channel (a ZigBee frame for the HAN radio)."""

    def feed(self, data: bytes) -> list[Inbound]: ...

    def skipped(self) -> str:
        """What was received and skipped so far, for messages ("2 bad frames, 5 garbage bytes")."""


class LinkRunner:
    def __init__(self, dmc: DmcProfile, transport: Transport, codec: Codec, timeout_s: float) -> None:
        self.dmc = dmc
        self.transport = transport
        self.codec = codec
        self.timeout_s = timeout_s
        self.transcript = Transcript(f"# transcript of {dmc.id} ({dmc.name}) over {transport.where}, wall-clock UTC")
        self.stale_responses = 0
        self.alerts: deque[Alert] = deque()
        # a fresh starting point per link: an answer the previous test's link left on the line cannot match
        self._seq = itertools.count(random.SystemRandom().randrange(1, 0xFFFF))

    def next_seq(self) -> int:
        return next(self._seq) % 0xFFFF or next(self._seq) % 0xFFFF  # 1..65534: 0 is for unsolicited frames

    def send(self, data: bytes, text: str, seq: int, params: Any = None) -> None:
        self.transcript.now(">>", f"{text} seq={seq}", params)
        self.transport.send(data)

    def request(self, request: ServiceRequest, entry: SrvDefinition) -> ServiceResponse:
        """Send ``request`` and wait for its answer, as often as ``retries.attempts`` allows."""
        sends = attempts(entry)
        text = f"{entry.srv} {entry.name} to {request.device or 'default device'}"
        for attempt in range(1, sends + 1):
            seq = self.next_seq()
            self.send(self.codec.request(request, seq), text, seq, plain(request.params))
            answer = self.wait(seq, RESPONSE)
            if answer is not None:
                if answer.kind == "malformed":  # what a device sends is checked, never trusted
                    self.transcript.now("!!", f"malformed answer to seq={seq}: {answer.value}")
                    raise LinkError(f"{self.dmc.id}: SRV {entry.srv}: the device sent a malformed {answer.label}: "
                                    f"{answer.value}; the transcript is in the test's evidence")
                if answer.kind == "refused":
                    raise LinkError(f"{self.dmc.id}: SRV {entry.srv} refused by the device end: {answer.value}")
                response: ServiceResponse = answer.value
                self.transcript.now("<<", f"{response.srv} {response.code} seq={seq}", plain(response.body) or None)
                return response
            if attempt < sends:
                self.transcript.now("--", f"no answer to seq={seq} in {self.timeout_s:g} s: retrying the read")
        kind = "read" if sends > 1 else "update (never repeated)"
        raise NoResponse(f"{self.dmc.id}: no response from the device to SRV {entry.srv} ({kind}) within "
                        f"{self.timeout_s:g} s after {sends} attempt(s) over {self.transport.where}; "
                        f"{self.codec.skipped()}, {self.stale_responses} stale responses seen; the transcript is "
                        "in the test's evidence")

    def reset(self, seed: int, enrolled: bool = False) -> str:
        """Ask the device end for the known state (``enrolled``: with the installation enrolled with the DCC) and
        wait for it to say it is there; then forget the alerts that arrived before (they are an earlier test's). A
        codec without a reset says so: the known state is then the profile's SRVs alone."""
        make = getattr(self.codec, "reset", None)
        if make is None:
            self.wait(None, timeout_s=0)
            dropped = self.clear_alerts()
            self.transcript.now("--", f"known state: this link's protocol has no reset; {dropped} earlier alert(s) "
                                "dropped")
            return "no device-end reset on this link's protocol"
        seq = self.next_seq()
        asked = {"seed": seed, **({"enrolled": True} if enrolled else {})}
        self.send(make(seed, seq, enrolled) if enrolled else make(seed, seq), "RESET to the known state", seq, asked)
        answer = self.wait(seq, "reset")
        hint = ("set link.known_state.reset: false in the DMC profile and list the SRVs that restore the known "
                "state under link.known_state.requests (docs/device-link-protocol.md, Known state)")
        if answer is None:
            raise LinkError(f"{self.dmc.id}: the device end did not answer RESET within {self.timeout_s:g} s over "
                            f"{self.transport.where}; a device end that cannot reset answers ERROR; {hint}")
        if answer.kind != "answer":
            raise LinkError(f"{self.dmc.id}: the device end cannot reset the installation: {answer.value}; {hint}")
        dropped = self.clear_alerts()
        earlier = f"; {dropped} earlier alert(s) dropped" if dropped else ""
        self.transcript.now("<<", f"RESET done seq={seq}{earlier}")
        return "reset by the device end"

    def clear_alerts(self) -> int:
        dropped = len(self.alerts)
        self.alerts.clear()
        return dropped

    def exchange(self, channel: str, data: bytes, text: str, reply: str) -> bytes | None:
        """Send raw bytes on ``channel`` and return the answer's, or None when none came in time (never resent:
        the caller knows whether repeating is safe)."""
        seq = self.next_seq()
        self.send(self.codec.payload(channel, data, seq), text, seq)
        answer = self.wait(seq, channel)
        if answer is None:
            return None
        if answer.kind != "answer":
            raise LinkError(f"{self.dmc.id}: {text} refused by the device end: {answer.value}")
        value: bytes = answer.value
        self.transcript.now("<<", f"{reply} seq={seq} ({len(value)} bytes)")
        return value

    def wait(self, seq: int | None, channel: str = RESPONSE, timeout_s: float | None = None) -> Inbound | None:
        """Receive until the answer to ``seq`` on ``channel`` arrives or the timeout passes (0: take what is
        waiting, without waiting); alerts are queued on the way, whatever else arrives is noted and skipped."""
        deadline = time.monotonic() + (self.timeout_s if timeout_s is None else timeout_s)
        while True:
            try:
                data = self.transport.receive()
            except LinkError as exc:
                self.transcript.now("!!", f"transport error: {exc}")
                raise
            found = None
            for message in self.codec.feed(data):  # take every message: alerts behind the answer are kept too
                taken = self._take(message, seq, channel)
                found = found or taken
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                return None

    def _take(self, message: Inbound, seq: int | None, channel: str) -> Inbound | None:
        if message.kind == "alert":
            alert: Alert = message.value
            self.alerts.append(alert)
            self.transcript.now("ALERT", f"{alert.code} {alert.name} from {alert.device}", plain(alert.details))
            return None
        if message.kind == "note":
            self.transcript.now("!!", str(message.value))
            return None
        if seq is not None and message.seq == seq and (message.channel == channel or message.kind == "refused"):
            return message
        self.stale_responses += 1
        self.transcript.now("!!", f"{message.label} for seq={message.seq} ignored (waiting for seq={seq})")
        return None

    def close(self) -> None:
        self.transcript.now("--", f"closed; {self.codec.skipped()}, {self.stale_responses} stale")
        self.transport.close()


class RealDevice:
    """A device of a real-device link as a test sees it: its profiled model (``id``, ``firmware``, ...), never its
    state; asking for state (an IHD's ``display_message``) says so, instead of a bare pydantic attribute error."""

    __slots__ = ("kind", "model")

    def __init__(self, kind: str, model: DeviceModel) -> None:
        self.kind = kind
        self.model = model

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return getattr(self.model, name)
        except AttributeError:
            raise AttributeError(
                f"devices['{self.kind}'].{name}: a real-device link knows the {self.kind}'s model "
                f"({', '.join(type(self.model).model_fields)}), not its state: read the state with an SRV, or mark "
                "the test requires_sim") from None

    def __eq__(self, other: object) -> bool:
        return self.model == (other.model if isinstance(other, RealDevice) else other)

    def __hash__(self) -> int:
        return hash(self.model.id)

    def __repr__(self) -> str:
        return f"RealDevice({self.kind}, {self.model.id})"


class RunnerLink(DeviceLink, KnownState):
    """A ``DeviceLink`` over a ``LinkRunner``: requests checked against the catalogue and the DMC first, so a
    misused request fails with the reason before anything is sent; a known state at each test's start
    (``KnownState``: the device end's reset, if its codec has one, and the alerts before it forgotten)."""

    kind: ClassVar[str] = "real-device"  # for messages; a registered driver names its kind
    runner: LinkRunner

    def __init__(self, dmc: DmcProfile, models: Mapping[DeviceKind, DeviceModel], runner: LinkRunner,
                 catalogue: SrvCatalogue | None = None) -> None:
        self.dmc = dmc
        self.models = dict(models)
        self.runner = runner
        self.catalogue = catalogue or default_catalogue()
        self._closed = False

    @property
    def devices(self) -> Mapping[str, Any]:
        return {kind.value: RealDevice(kind.value, model) for kind, model in self.models.items()}

    @property
    def transcript(self) -> Transcript:
        return self.runner.transcript

    @property
    def stale_responses(self) -> int:
        return self.runner.stale_responses

    def request(self, srv: str, device: str | None = None, **params: Any) -> ServiceResponse:
        entry = checked_request(self.catalogue, self.dmc, srv, device)
        execution_time = params.pop("execution_time", None)
        request = ServiceRequest(srv=srv, params=params, device=device or "", execution_time=execution_time)
        return self.runner.request(request, entry)

    def alerts(self) -> list[Alert]:
        """Alerts received so far (what has arrived is taken first, without waiting)."""
        self.runner.wait(None, timeout_s=0)
        return list(self.runner.alerts)

    def transcript_text(self) -> str:
        return self.runner.transcript.text()

    def reset(self, seed: int, enrolled: bool = False) -> str:
        return self.runner.reset(seed, enrolled)

    def clear_alerts(self) -> int:
        self.runner.wait(None, timeout_s=0)  # what has arrived so far goes too
        return self.runner.clear_alerts()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.runner.close()

    def __getattr__(self, name: str) -> Any:
        # only reached for what the link lacks: a simulator-only power says which capability it belongs to
        if name.startswith("_") or name in ("runner", "dmc", "models", "catalogue"):
            raise AttributeError(name)
        raise lacking(name, self.dmc.id, f"{self.kind} ({self.runner.transport.where})")
