"""The ``duis`` link: the harness as a DCC User (SVTAD 17.1's service user simulator), speaking DUIS XML over HTTP
to a DCC User Interface, a real one or ``svtad emulate --duis``.

A request goes as DCC Boxed takes it (SmartDCCInnovation/dccboxed-nodered-nodes): signed XML POSTed as
``application/xml`` to ``/api/v1/serviceS`` for command variants 1/3/5/7, ``/api/v1/serviceT`` for 4 (a critical
request: the DCC transforms it and returns the pre-command, which the User signs and sends back as variant 5 to
``serviceS``), ``/api/v1/serviceD`` for 2/6/8. The synchronous answer is an acknowledgement (``I99``), an E-code, or
the response itself; the asynchronous response and alerts are POSTed by the DCC to the link's receiver
(``duis_receiver``), or, with no receiver configured, polled from ``GET <base>/responses/<RequestID>`` (an
``svtad emulate --duis`` extension, not DUIS).

Every HTTP exchange has a timeout (``link.timeout_s``) and every response a deadline (``link.response_timeout_s``):
a DCC that does not answer fails that test with a ``LinkError`` naming the SRV, the RequestID and the wait, never the
session. Every XML document sent and received is in the transcript, in full, for the test's evidence.
"""

from __future__ import annotations

import functools
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from pytest_svtad.links import duis_receiver
from pytest_svtad.links.errors import LinkError, NoResponse, checked_request
from pytest_svtad.links.protocol import DeviceLink, KnownState, lacking
from pytest_svtad.links.registry import LinkTarget, register
from pytest_svtad.smets1.catalogue import SrvCatalogue, SrvDefinition, default_catalogue
from pytest_svtad.smets1.messages import Alert, ServiceRequest, ServiceResponse, plain
from pytest_svtad.smets1.profiles import DeviceKind, DeviceModel, DmcProfile
from pytest_svtad.smets1.transcript import Transcript
from pytest_svtad.urls import duis_url_problem

if TYPE_CHECKING:
    import httpx

ENDPOINTS = {1: "serviceS", 3: "serviceS", 5: "serviceS", 7: "serviceS", 4: "serviceT", 2: "serviceD", 6: "serviceD",
             8: "serviceD"}
# where the harness's receiver is, sent with each request; ``svtad emulate --duis`` posts the responses there when
# it was started without --receiver. Not DUIS: a real DCC posts to the receive URL configured for the User.
REPLY_TO_HEADER = "X-Svtad-Reply-To"
POLL_S = 0.02
ACK = "I99"
_COUNTER_LOCK = threading.Lock()
_LAST_COUNTER = [0]


def next_counter() -> int:
    """An OriginatorCounter: DUIS requires each User's counters to increase, across sessions too, so it is the
    wall clock in microseconds (strictly increasing within the process)."""
    with _COUNTER_LOCK:
        _LAST_COUNTER[0] = max(_LAST_COUNTER[0] + 1, time.time_ns() // 1000)
        return _LAST_COUNTER[0]


def command_variant(entry: SrvDefinition) -> int:
    """The variant a request is sent with: 8 for a non-device (DCC only) request, 4 (transform, then 5) for a
    critical one, 1 otherwise; the same choice as the simulated head-end's."""
    return 8 if entry.non_device else (4 if entry.critical else 1)


def base_url(url: str) -> str:
    """The DUIS base URL of a link URL (``duis+`` removed, no trailing slash)."""
    return (url[5:] if url.lower().startswith("duis+") else url).rstrip("/")


@register("duis")
class DuisLink(DeviceLink, KnownState):
    """``request``, ``alerts``, ``devices`` and the XML transcript; none of the simulator's powers. The known state
    (``KnownState``) is ``svtad emulate --duis``'s reset, an extension a real DCC does not have: against one, set
    ``link.known_state.reset: false`` and list the SRVs that restore the installation."""

    kind: ClassVar[str] = "duis"

    def __init__(self, dmc: DmcProfile, models: Mapping[DeviceKind, DeviceModel], *, url: str | None = None,
                 catalogue: SrvCatalogue | None = None) -> None:
        # imported here: a session whose DMCs are not on DUIS never loads the HTTP stack or the XML codec
        import httpx

        from pytest_svtad.links.duis_codec import DuisCodec

        spec = dmc.link
        given = url or spec.url
        if not given:
            raise LinkError(f"DMC '{dmc.id}': a duis link needs a url (link.url: https://HOST[:PORT] in the profile, "
                            f"or --svtad-link {dmc.id}=duis+https://HOST[:PORT])")
        problem = duis_url_problem(given if given.lower().startswith(("duis+", "http")) else f"duis+{given}")
        if problem:
            raise LinkError(f"DMC '{dmc.id}': {problem}")
        self.dmc = dmc
        self.models = dict(models)
        self.catalogue = catalogue or default_catalogue()
        self.base = base_url(given)
        self.timeout_s = spec.timeout_s
        self.response_timeout_s = spec.response_timeout_s
        self.codec = DuisCodec(dmc)
        self.transcript = Transcript(f"# transcript of {dmc.id} ({dmc.name}) over DUIS at {self.base}, wall-clock "
                                     "UTC; every XML document sent and received follows its line")
        default = " (the default: the profile has no duis.user_id)" if self.codec.default_user else ""
        self.transcript.now("--", f"user {self.codec.user_id}{default}"
                            f"; requests {'signed' if self.codec.signs else 'UNSIGNED (no duis.key/duis.cert)'}; "
                            f"responses {'verified' if self.codec.verifies else 'not verified (no duis.dcc_cert)'}")
        self._closed = False
        self._polled_alerts: list[Alert] = []
        self._alert_index = 0
        self._httpx = httpx
        self._http: httpx.Client = httpx.Client(timeout=httpx.Timeout(self.timeout_s), follow_redirects=False,
                                                verify=_tls_context())
        self.receiver: duis_receiver.Receiver | None = None
        if spec.receiver_port is not None:
            try:
                self.receiver = duis_receiver.Receiver(self.codec.classify, self._log, spec.receiver_host,
                                                       spec.receiver_port)
            except OSError as exc:
                self._http.close()
                raise LinkError(f"DMC '{dmc.id}': the DUIS receiver cannot listen on {spec.receiver_host}:"
                                f"{spec.receiver_port}: {exc.strerror or exc}") from None
            self.transcript.now("--", f"receiver listening at {self.receiver.url}")
        else:
            self.transcript.now("--", f"no receiver (link.receiver_port): polling {self.base}/responses/<RequestID>")
            # alerts kept before this link opened belong to earlier tests: start after them
            try:
                count = self._poll("/alerts", "the number of alerts kept")
            except LinkError as exc:  # the DCC is not there (yet): the first request says so, with its SRV
                self.transcript.now("!!", str(exc))
                count = None
            self._alert_index = int(count) if count is not None and count.strip().isdigit() else 0

    @classmethod
    def open(cls, target: LinkTarget) -> DuisLink:
        return cls(target.dmc, target.models, url=target.url)

    # --- DeviceLink ---------------------------------------------------------------------------------------------

    @property
    def devices(self) -> Mapping[str, Any]:
        return {kind.value: model for kind, model in self.models.items()}

    def request(self, srv: str, device: str | None = None, **params: Any) -> ServiceResponse:
        entry = checked_request(self.catalogue, self.dmc, srv, device)
        kind = DeviceKind(device) if device else entry.default_device(self.dmc.devices)
        if kind is None and entry.devices:
            raise LinkError(f"SRV {entry.srv} {entry.name} goes to a {' or '.join(entry.devices)}; "
                            f"{self.dmc.lacks(entry.devices[0].value)}")
        execution_time = params.pop("execution_time", None)
        variant = command_variant(entry)
        if kind is None:  # every simulated non-device SRV names its device kinds; one without is not for DUIS here
            raise LinkError(f"SRV {entry.srv} {entry.name}: names no device kind, so no target EUI-64 for DUIS")
        target = self.dmc.device_eui64(kind)
        counter = next_counter()
        request = ServiceRequest(srv=srv, params=params, request_id=f"{self.codec.user_id}:{target}:{counter}",
                                 device=kind.value, command_variant=variant,
                                 execution_time=execution_time)
        text = f"{entry.srv} {entry.name} to {request.device or 'DCC'} id={request.request_id}"
        xml = self.codec.request(request, target, counter,
                                 {k.value: self.dmc.device_eui64(k) for k in self.dmc.devices})
        if variant == 4:  # critical: the DCC transforms, the User signs the pre-command and sends it as variant 5
            answer = self._post(4, xml, f"{text} cv=4 (transform)", entry, request.request_id)
            transformed = self.codec.response(answer, f"the transform of {request.request_id}")
            if transformed.code != "I0":
                return self._ours(transformed, request)
            xml = self.codec.signed_pre_command(answer, request)
            variant = 5
        answer = self._post(variant, xml, f"{text} cv={variant}", entry, request.request_id)
        response = self.codec.response(answer, f"the answer to {request.request_id}")
        if response.code != ACK:
            return self._ours(response, request)
        return self._ours(self._await(entry, request), request)

    def alerts(self) -> list[Alert]:
        """Alerts delivered so far: those posted to the receiver, or (polling) those the DCC holds for us."""
        if self.receiver is not None:
            return [self._by_kind(alert) for alert in self.receiver.alerts()]
        ours = {self.dmc.device_eui64(kind) for kind in self.dmc.devices}
        while True:
            body = self._poll(f"/alerts/{self._alert_index}", "the next alert")
            if body is None:
                return [self._by_kind(alert) for alert in self._polled_alerts]
            self._alert_index += 1
            try:
                received = self.codec.classify(body)
            except Exception as exc:  # noqa: BLE001 - the codec's refusal: noted, the alert skipped
                self._log("!!", f"alert {self._alert_index - 1} refused: {exc}", body)
                continue
            alert = received.value
            if not isinstance(alert, Alert) or (alert.device and alert.device.upper() not in ours):
                continue  # another DMC's alert (the DCC serves several)
            self._log("ALERT", f"{alert.code} from {alert.device or 'DCC'}", body)
            self._polled_alerts.append(alert)

    # --- KnownState ---------------------------------------------------------------------------------------------

    def reset(self, seed: int, enrolled: bool = False) -> str:
        """Ask the simulated DCC (``POST <base>/svtad/reset``, not DUIS) to rebuild this DMC's installation from the
        test's seed, as the in-process simulator builds one per test (``enrolled``: a dormant one migrated, as the
        sim link's installation fixture does); then forget the alerts so far."""
        devices = [self.dmc.device_eui64(kind) for kind in self.dmc.devices]
        hint = ("a real DCC has no reset: set link.known_state.reset: false in the DMC profile and list the SRVs "
                "that restore the known state under link.known_state.requests")
        self.transcript.now(">>", f"POST /svtad/reset seed={seed}{' enrolled' if enrolled else ''} (svtad emulate "
                            "--duis, not DUIS)")
        try:
            reply = self._http.post(f"{self.base}/svtad/reset",
                                    json={"devices": devices, "seed": seed, **({"enrolled": True} if enrolled else {})})
        except self._httpx.HTTPError as exc:
            raise LinkError(f"{self.dmc.id}: the known state's reset at {self.base}/svtad/reset failed: "
                            f"{type(exc).__name__}: {exc}; {hint}") from None
        self.transcript.now("<<", f"HTTP {reply.status_code} from /svtad/reset: {_first_line(reply.content)}")
        if reply.status_code != 200:
            raise LinkError(f"{self.dmc.id}: {self.base} cannot reset the installation (HTTP {reply.status_code}: "
                            f"{_first_line(reply.content)}); {hint}")
        dropped = self.clear_alerts()
        return f"reset by the simulated DCC{f'; {dropped} earlier alert(s) dropped' if dropped else ''}"

    def clear_alerts(self) -> int:
        before = len(self.alerts())
        if self.receiver is not None:
            self.receiver.clear_alerts()
        self._polled_alerts.clear()
        return before

    def _by_kind(self, alert: Alert) -> Alert:
        """A device alert as the tests read it (``alert.device == "ESME"``): the DCC names the device by EUI-64."""
        kinds = {self.dmc.device_eui64(kind): kind.value for kind in self.dmc.devices}
        kind = kinds.get(alert.device.upper())
        return replace(alert, device=kind) if kind else alert

    def transcript_text(self) -> str:
        return self.transcript.text()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if self.receiver is not None:
                self.receiver.stop()
        finally:
            self._http.close()
            self.transcript.now("--", "closed")

    def __getattr__(self, name: str) -> Any:
        # only reached for what the link lacks: a simulator-only power says which capability it belongs to
        if name.startswith("_") or name in ("dmc", "models", "catalogue", "codec", "receiver", "transcript", "base"):
            raise AttributeError(name)
        raise lacking(name, self.dmc.id, f"duis ({self.base})")

    # --- HTTP ---------------------------------------------------------------------------------------------------

    def _log(self, tag: str, text: str, xml: bytes) -> None:
        self.transcript.now(tag, f"{text}\n{xml.decode('utf-8', 'replace').strip()}")

    def _post(self, variant: int, xml: bytes, text: str, entry: SrvDefinition, request_id: str) -> bytes:
        path = f"/api/v1/{ENDPOINTS[variant]}"
        headers = {"Content-Type": "application/xml"}
        if self.receiver is not None:
            headers[REPLY_TO_HEADER] = self.receiver.url
        self._log(">>", f"POST {path} {text}", xml)
        try:
            reply = self._http.post(self.base + path, content=xml, headers=headers)
        except self._httpx.TimeoutException:
            self.transcript.now("!!", f"no HTTP answer in {self.timeout_s:g} s")
            raise LinkError(f"{self.dmc.id}: SRV {entry.srv}: the DCC User Interface at {self.base}{path} did not "
                            f"answer {request_id} within {self.timeout_s:g} s (link.timeout_s); the transcript is in "
                            "the test's evidence") from None
        except self._httpx.HTTPError as exc:
            self.transcript.now("!!", f"HTTP error: {exc}")
            raise LinkError(f"{self.dmc.id}: SRV {entry.srv}: cannot reach the DCC User Interface at "
                            f"{self.base}{path}: {exc}") from None
        body = reply.content
        self._log("<<", f"HTTP {reply.status_code} from {path}", body)
        if reply.status_code >= 400 and not _looks_like_xml(body):
            raise LinkError(f"{self.dmc.id}: SRV {entry.srv}: {self.base}{path} refused {request_id} with HTTP "
                            f"{reply.status_code}: {_first_line(body)}")
        return body

    def _await(self, entry: SrvDefinition, request: ServiceRequest) -> ServiceResponse:
        key = duis_receiver.request_key(request.request_id)
        if self.receiver is not None:
            found = self.receiver.wait(key, self.response_timeout_s)
            if found is not None:
                return found
            refused = f"; {self.receiver.refused} post(s) to the receiver refused" if self.receiver.refused else ""
            where = f"posted to {self.receiver.url}"
        else:
            deadline = time.monotonic() + self.response_timeout_s
            pause = POLL_S / 8
            while time.monotonic() < deadline:
                body = self._poll(f"/responses/{quote(request.request_id, safe=':')}", request.request_id)
                if body is not None:
                    return self.codec.response(body, f"the response to {request.request_id}")
                time.sleep(pause)
                pause = min(pause * 2, POLL_S)
            refused, where = "", f"at {self.base}/responses/"
        self.transcript.now("!!", f"no response to {request.request_id} in {self.response_timeout_s:g} s")
        raise NoResponse(f"{self.dmc.id}: no response to SRV {entry.srv} ({request.request_id}) {where} within "
                        f"{self.response_timeout_s:g} s of its acknowledgement (link.response_timeout_s){refused}; "
                        "the transcript is in the test's evidence")

    def _poll(self, path: str, what: str) -> bytes | None:
        try:
            reply = self._http.get(self.base + path)
        except self._httpx.HTTPError as exc:
            raise LinkError(f"{self.dmc.id}: polling {self.base}{path} for {what} failed: "
                            f"{type(exc).__name__}: {exc}") from None
        if reply.status_code == 404:
            return None
        if reply.status_code != 200:
            raise LinkError(f"{self.dmc.id}: polling {self.base}{path} for {what}: HTTP {reply.status_code}: "
                            f"{_first_line(reply.content)}")
        self._log("<<", f"GET {path}", reply.content)
        return reply.content

    def _ours(self, response: ServiceResponse, request: ServiceRequest) -> ServiceResponse:
        """The response as the tests see it: their RequestID, the SRV and device they asked for."""
        ours = ServiceResponse(request_id=request.request_id, srv=response.srv or request.srv, code=response.code,
                               body=response.body, device=response.device or request.device,
                               issued_at=response.issued_at, completed_at=response.completed_at,
                               detail=response.detail)
        self.transcript.now("<<", f"{ours.srv} {ours.code} id={ours.request_id}", plain(ours.body) or None)
        return ours


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context for every link of the process: loading the system's CA certificates takes ~0.1 s, too much
    to repeat for each test's link."""
    return ssl.create_default_context()


def _looks_like_xml(body: bytes) -> bool:
    return body.lstrip()[:1] == b"<"


def _first_line(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip().splitlines()
    line = text[0] if text else "(empty body)"
    return line if len(line) <= 200 else line[:200] + "..."

