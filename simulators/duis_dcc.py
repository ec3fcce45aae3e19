"""The simulated DCC behind a DCC User Interface (``svtad emulate --duis``): DUIS XML over HTTP, served the way DCC
Boxed serves it, over the simulated installations of one or more DMCs.

Endpoints: ``POST /api/v1/serviceS`` (command variants 1/3/5/7), ``/api/v1/serviceT`` (4: the critical request is
transformed and its pre-command returned for the User to sign and send back as variant 5), ``/api/v1/serviceD``
(2/6/8). A request is checked (signature unless ``verify`` is off, DUIS form, endpoint against variant, a RequestID
never seen before), routed by its target EUI-64 to a DMC's device (``DmcProfile.device_eui64``; ``any_device``: an
unknown id goes to the device of the SRV's kind) and run on that installation. A device request is answered ``I99``
at once and its response POSTed afterwards; a DCC-only request (variant 8) is answered with its response.

Where responses and alerts go: ``receiver`` if given (the User's receive URL, as configured in a DCC), else the URL
the request names in the ``X-Svtad-Reply-To`` header (the harness's extension, not DUIS), else nowhere: they are
kept and served at ``GET /responses/<RequestID>`` and ``GET /alerts/<n>`` (n from 0; ``GET /alerts``: how many) for
polling. ``POST /svtad/reset`` (``{"devices": [EUI-64, ...], "seed": N}``, optionally ``"enrolled": true``: a
dormant installation migrated first) gives those devices' DMC a fresh installation built from ``seed``: the known
state at a test's start, as the in-process simulator builds one per test (an svtad extension; a real DCC has none).

The pre-command ``serviceT`` answers and the signed pre-command that comes back are those of
``pytest_svtad/smets1/duis_precommand.py`` (DCC Boxed's elements; the SMETS1 payload is the harness's own). Bad
input the DUIS codec cannot give an E-code for (no readable RequestID) is HTTP 400 with a one-line text body.
Nothing sent is trusted: the DUIS codec's hardened parser reads it, a body over ``MAX_BODY_BYTES`` is refused, and
no request crashes the server.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from pytest_svtad.smets1 import duis, duis_precommand
from pytest_svtad.smets1.duis.errors import error_code
from pytest_svtad.smets1.duis.tree import opt_text
from pytest_svtad.smets1.duis.xml import child, parse
from pytest_svtad.smets1.http_server import MAX_BODY_BYTES, BackgroundServer
from pytest_svtad.smets1.messages import Alert, ServiceResponse
from pytest_svtad.smets1.profiles import DeviceKind
from simulators.errors import RequestError
from simulators.installation import Installation

VARIANTS = {"serviceS": (1, 3, 5, 7), "serviceT": (4,), "serviceD": (2, 6, 8)}
REPLY_TO_HEADER = "X-Svtad-Reply-To"
# a request for a device this DCC does not know: "Device does not exist in the Smart Metering Inventory", as
# srv_catalogue.yaml's response_codes give it (a third-party summary of DUIS, to be confirmed)
UNKNOWN_DEVICE_CODE = "E19"
# who a DCC alert (N-code, no device) is from, and who alerts go to before any User has sent a request: the DCC's
# and the User's EUI-64s of DCC's reference test data (duis-templates' 8.2 request targets the DCC by this id)
DCC_ID = "90-B3-D5-1F-30-00-00-02"
DEFAULT_USER_ID = "90-B3-D5-1F-30-01-00-00"
POST_TIMEOUT_S = 5.0
TICK_S = 0.05
MAX_KEPT = 10_000  # responses kept for polling at most (a bound, not a DUIS number)


@dataclass(frozen=True, slots=True)
class Route:
    """Where a target EUI-64 leads: one DMC's installation and one of its devices (None: the DCC itself)."""

    dmc_id: str
    kind: DeviceKind | None


class DuisRefusal(Exception):
    """A request refused before it reaches an installation: HTTP ``status`` and a response code or text."""

    def __init__(self, status: int, message: str, code: str | None = None, request_id: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.request_id = request_id


class DuisDcc:
    """``installations``: DMC id -> its simulated installation. ``trusted``: the Users' certificates (PEM) requests
    must be signed with (None: not verified, ``--no-verify``)."""

    def __init__(self, installations: Mapping[str, Installation], *, trusted: list[bytes] | None = None,
                 receiver: str | None = None, any_device: bool = False, speed: float = 0.0,
                 log: Callable[[str], None] | None = None) -> None:
        if not installations:
            raise ValueError("a simulated DCC serves at least one installation")
        self.installations = dict(installations)
        self.trusted = trusted
        from pytest_svtad.smets1.duis.signing import Verifier

        self._verifier = Verifier(trusted) if trusted is not None else None  # ValueError-like DuisError if unusable
        self.receiver = receiver
        self.any_device = any_device
        self.speed = speed
        self.log = log or (lambda _line: None)
        self.requests = 0
        self.routes: dict[str, Route] = {}
        for dmc_id, installation in self.installations.items():
            for kind in installation.devices:
                self.routes[installation.dmc.device_eui64(kind)] = Route(dmc_id, DeviceKind(kind))
        self._seen: set[str] = set()
        self._transforms: dict[str, tuple[duis.DecodedRequest, str]] = {}  # RequestID -> request, pre-command
        self._kept: dict[str, bytes] = {}  # RequestID (upper case) -> response XML, for polling
        self._alerts_kept: list[bytes] = []
        self._sent_alerts = {dmc_id: 0 for dmc_id in self.installations}
        self._reply_to: dict[str, str | None] = {dmc_id: None for dmc_id in self.installations}
        self._user: dict[str, str] = {}  # DMC id -> the User (EUI-64) whose request it served last
        self._alert_counter = 0
        self._lock = threading.Lock()  # the installations are not thread-safe; requests are served one at a time
        self._last = time.monotonic()
        self._server: BackgroundServer | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ticker: asyncio.Task[None] | None = None

    # --- running ------------------------------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> DuisDcc:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post("/api/v1/{service}", self._service)
        app.router.add_get("/responses/{request_id}", self._polled_response)
        app.router.add_post("/svtad/reset", self._reset)
        app.router.add_get("/alerts", self._alert_count)
        app.router.add_get("/alerts/{index}", self._polled_alert)
        app.on_startup.append(self._started)
        app.on_cleanup.append(self._stopping)
        self._server = BackgroundServer(app, host, port, name="svtad-duis-dcc")
        return self

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return self._server.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    async def _started(self, _app: web.Application) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=POST_TIMEOUT_S))
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def _stopping(self, _app: web.Application) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        if self._session is not None:
            await self._session.close()

    async def _tick(self) -> None:
        """The installations' clocks follow the wall clock at ``speed``; alerts they raise are delivered."""
        while True:
            await asyncio.sleep(TICK_S)
            with self._lock:
                self._follow_wall_clock()
            await self._push_alerts()

    def _follow_wall_clock(self) -> None:
        now = time.monotonic()
        elapsed, self._last = now - self._last, now
        if self.speed > 0 and elapsed > 0:
            for installation in self.installations.values():
                installation.advance(minutes=elapsed * self.speed / 60)

    # --- requests -----------------------------------------------------------------------------------------------

    async def _service(self, http: web.Request) -> web.Response:
        service = http.match_info["service"]
        if service not in VARIANTS:
            return _text(404, f"no DUIS endpoint /api/v1/{service} (serviceS, serviceT, serviceD)")
        body = await http.read()
        reply_to = self.receiver or self._reply_to_of(http)
        try:
            return await self._handle(service, body, reply_to)
        except DuisRefusal as refusal:
            self.log(f"{service}: refused: {refusal}")
            if refusal.code and refusal.request_id:
                return _xml(refusal.status, duis.encode_response(
                    ServiceResponse(request_id=refusal.request_id, srv="", code=refusal.code, detail=str(refusal))))
            return _text(refusal.status, str(refusal))
        except Exception as exc:  # noqa: BLE001 - a defect of ours: one line to the User and the log, no traceback
            self.log(f"{service}: internal error: {type(exc).__name__}: {exc}")
            return _text(500, f"internal error of the simulated DCC: {type(exc).__name__}: {exc}")

    def _reply_to_of(self, http: web.Request) -> str | None:
        """The receiver a request names, if it may be posted to: http(s) on the requester's own host (a request
        cannot make this DCC post anywhere else)."""
        named = http.headers.get(REPLY_TO_HEADER)
        if not named:
            return None
        parts = urlsplit(named)
        own = {http.remote, "localhost"} | ({"127.0.0.1", "::1"} if http.remote in ("127.0.0.1", "::1") else set())
        if parts.scheme not in ("http", "https") or parts.hostname not in own:
            self.log(f"{REPLY_TO_HEADER} {named[:100]!r} ignored: not http(s) on the requester's host {http.remote}")
            return None
        return named

    async def _handle(self, service: str, body: bytes, reply_to: str | None) -> web.Response:
        decoded, variant = self._decode(body)
        request_id = decoded.request_id
        if variant not in VARIANTS[service]:
            raise DuisRefusal(400, f"command variant {variant} is not served by /api/v1/{service} (it serves "
                              f"{', '.join(map(str, VARIANTS[service]))})", error_code("bad_command_variant"),
                              request_id)
        key = self._duplicate_key(request_id, body)
        if key in self._seen or (variant == 4 and not self.any_device and request_id.upper() in self._transforms):
            raise DuisRefusal(400, f"RequestID {request_id} was already used (a User's counters must increase)",
                              error_code("duplicate_request_id"), request_id)
        route = self._route(decoded)
        self.requests += 1
        if variant == 4:  # transform: the pre-command for the User to sign and send back as variant 5
            payload = duis_precommand.payload_of(body)
            self._transforms[request_id.upper()] = (decoded, payload)
            self.log(f"{request_id} {decoded.request.srv}: transformed (cv 4)")
            return _xml(200, duis_precommand.encode_pre_command(request_id, decoded.request.srv, payload))
        self._seen.add(key)
        self._reply_to[route.dmc_id] = reply_to
        self._user[route.dmc_id] = decoded.originator
        with self._lock:
            self._follow_wall_clock()
            response, refused = self._run(route, decoded)
        self.log(f"{request_id} {decoded.request.srv} -> {response.code}")
        xml = duis.encode_response(response)
        entry = self.installations[route.dmc_id].catalogue.get(decoded.request.srv)
        if refused or variant == 8 or (entry is not None and entry.non_device):
            return _xml(200, xml)  # the DCC answers at once: a DCC-only request, or one it refuses
        if reply_to is None:  # kept for polling before the acknowledgement goes: the first poll finds it
            self._keep(request_id, xml)
        else:
            asyncio.get_running_loop().create_task(self._deliver(request_id, xml, reply_to))
        return _xml(200, duis.encode_response(ServiceResponse(request_id=request_id, srv=decoded.request.srv,
                                                              code="I99", device=response.device)))

    def _duplicate_key(self, request_id: str, body: bytes) -> str:
        """What makes a request a duplicate: its RequestID (a User's counters must increase). With ``any_device``
        (public sample requests, whose RequestIDs repeat: the templates share counters such as 1000) only the same
        document sent again is a duplicate."""
        if not self.any_device:
            return request_id.upper()
        return f"{request_id.upper()}#{hashlib.sha256(body).hexdigest()}"

    def _signed_pre_command(self, body: bytes) -> duis.DecodedRequest | None:
        """The request a variant-5 signed pre-command stands for: the one transformed under its RequestID."""
        try:
            signed = duis_precommand.decode_signed_pre_command(body)
        except duis.DuisError as exc:
            raise DuisRefusal(400, exc.message, exc.code, _request_id_of(body)) from None
        if signed is None:
            return None
        found = self._transforms.get(signed.request_id.upper())  # transforms are kept by RequestID alone
        if found is None or found[1] != signed.payload or found[0].request.srv != signed.srv:
            raise DuisRefusal(400, f"no pre-command was issued for {signed.request_id} SRV {signed.srv} with that "
                              "payload (transform it at /api/v1/serviceT first)", error_code("bad_value"),
                              signed.request_id)
        del self._transforms[signed.request_id.upper()]
        return found[0]

    def _decode(self, body: bytes) -> tuple[duis.DecodedRequest, int]:
        """The request (a signed pre-command: the request it was transformed from) and its command variant."""
        if self._verifier is not None:
            try:
                self._verifier.verify(body)
            except duis.DuisError as exc:
                raise DuisRefusal(400, f"signature not accepted: {exc.message}", exc.code,
                                  _request_id_of(body)) from None
        transformed = self._signed_pre_command(body)
        if transformed is not None:
            return transformed, 5
        try:
            decoded = duis.decode_request(body, resolve_device=self._kind_of)
            return decoded, decoded.command_variant
        except duis.DuisError as exc:
            raise DuisRefusal(400, exc.message, exc.code, _request_id_of(body)) from None

    def _kind_of(self, eui: str) -> str | None:
        route = self.routes.get(eui.upper())
        return route.kind.value if route is not None and route.kind is not None else None

    def _route(self, decoded: Any) -> Route:
        target = str(decoded.target).upper()
        route = self.routes.get(target) or self.routes.get(str(decoded.body_device_id or "").upper())
        if route is not None:  # the target device, or the device a DCC-targeted body names (8.2 DeviceID)
            return route
        srv = decoded.request.srv
        if self.any_device:  # the kind the body names (1.1.1's gas elements) first, else the SRV's default
            named = [DeviceKind(decoded.fuel)] if decoded.fuel in DeviceKind.__members__ else []
            for dmc_id, installation in self.installations.items():
                entry = installation.catalogue.get(srv)
                present = [DeviceKind(k) for k in installation.devices]
                kind = next((k for k in named if k in present), None) or (
                    entry.default_device(present) if entry else None)
                if kind is not None or (entry is not None and entry.non_device):
                    return Route(dmc_id, kind)
        if len(self.installations) == 1 and _non_device(self, srv):
            return Route(next(iter(self.installations)), None)
        known = ", ".join(f"{eui} ({r.dmc_id} {r.kind.value if r.kind else 'DCC'})" for eui, r in self.routes.items())
        raise DuisRefusal(400, f"no device {target} at this DCC (devices: {known}; --any-device routes unknown ids)",
                          UNKNOWN_DEVICE_CODE, decoded.request_id)

    def _run(self, route: Route, decoded: Any) -> tuple[ServiceResponse, bool]:
        """The installation's response, and whether the request was refused before reaching the device."""
        installation = self.installations[route.dmc_id]
        request = decoded.request
        params = dict(request.params)
        if request.execution_time is not None:
            params["execution_time"] = request.execution_time
        kind = request.device or (route.kind.value if route.kind else None)
        try:
            response = installation.request(request.srv, device=kind or None, **params)
        except RequestError as exc:
            return ServiceResponse(request_id=decoded.request_id, srv=request.srv, code=error_code("bad_value"),
                                   device=kind or "", detail=str(exc)), True
        return replace(response, request_id=decoded.request_id), False

    # --- delivery -----------------------------------------------------------------------------------------------

    async def _deliver(self, request_id: str, xml: bytes, reply_to: str | None) -> None:
        if reply_to is None or not await self._post(reply_to, xml, f"response to {request_id}"):
            self._keep(request_id, xml)

    def _keep(self, request_id: str, xml: bytes) -> None:
        """A response kept for polling; the oldest go once ``MAX_KEPT`` are waiting (nobody polled for them)."""
        self._kept[request_id.upper()] = xml
        while len(self._kept) > MAX_KEPT:
            del self._kept[next(iter(self._kept))]

    async def _push_alerts(self) -> None:
        for dmc_id, installation in self.installations.items():
            with self._lock:
                alerts = installation.alerts()[self._sent_alerts[dmc_id]:]
                self._sent_alerts[dmc_id] += len(alerts)
            for alert in alerts:
                xml = self._alert_xml(installation, alert)
                reply_to = self._reply_to[dmc_id]
                if reply_to is None or not await self._post(reply_to, xml, f"alert {alert.code}"):
                    self._alerts_kept.append(xml)

    def _alert_xml(self, installation: Installation, alert: Alert) -> bytes:
        """The alert as the DCC sends it: from the device's EUI-64 as the User knows it, to the User who last sent
        this installation a request, numbered by the DCC's own counter."""
        kind = alert.device if alert.device in installation.devices else None
        device = installation.dmc.device_eui64(kind) if kind else DCC_ID
        self._alert_counter += 1
        user = self._user.get(installation.dmc.id) or DEFAULT_USER_ID
        return duis.encode_alert(replace(alert, device=device), originator=device, target=user,
                                 counter=self._alert_counter)

    async def _post(self, url: str, xml: bytes, what: str) -> bool:
        assert self._session is not None
        try:
            async with self._session.post(url, data=xml, headers={"Content-Type": "application/xml"}) as answer:
                if answer.status in (200, 202, 204):
                    return True
                self.log(f"{what}: the receiver at {url} answered HTTP {answer.status}: kept for polling")
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            self.log(f"{what}: cannot post to {url} ({type(exc).__name__}: {exc}): kept for polling")
        return False

    # --- known state (an svtad extension, not DUIS) ---------------------------------------------------------------

    async def _reset(self, http: web.Request) -> web.Response:
        """``{"devices": [EUI-64, ...], "seed": N}``: the DMC those devices belong to gets a fresh installation
        built from its profile and ``seed``, as the in-process simulator builds one per test."""
        try:
            given = json.loads(await http.read())
            devices, seed, enrolled = given["devices"], given["seed"], given.get("enrolled", False)
            if not isinstance(devices, list) or isinstance(seed, bool) or not isinstance(seed, int) or \
                    not isinstance(enrolled, bool):
                raise TypeError("devices must be a list of EUI-64s, seed an integer and enrolled true or false")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return _text(400, f"expected JSON {{\"devices\": [EUI-64, ...], \"seed\": N, \"enrolled\": false}}: "
                         f"{exc}")
        routes = {self.routes[str(eui).upper()].dmc_id for eui in devices if str(eui).upper() in self.routes}
        if len(routes) != 1:
            return _text(404, f"the devices {devices} are not those of one DMC at this DCC")
        dmc_id = routes.pop()
        with self._lock:
            old = self.installations[dmc_id]
            models = {DeviceKind(kind): device.model for kind, device in old.devices.items()}
            fresh = Installation(old.dmc, models, seed=seed)
            if enrolled and not fresh.enrolled:  # as the harness's installation fixture migrates on sim
                outcome = fresh.migrate("DMCT")
                if not outcome["migrated"]:
                    return _text(409, f"{dmc_id}: the installation could not be enrolled: "
                                 f"{'; '.join(outcome['reasons'])}")
            self.installations[dmc_id] = fresh
            self._sent_alerts[dmc_id] = 0
        self.log(f"{dmc_id}: reset (seed {seed}{', enrolled' if enrolled else ''})")
        return _text(200, f"{dmc_id} reset to a fresh installation (seed {seed}{', enrolled' if enrolled else ''})")

    # --- polling ------------------------------------------------------------------------------------------------

    async def _polled_response(self, http: web.Request) -> web.Response:
        xml = self._kept.pop(http.match_info["request_id"].upper(), None)
        return _xml(200, xml) if xml is not None else _text(404, "no response (yet) for that RequestID")

    async def _alert_count(self, _http: web.Request) -> web.Response:
        return web.Response(text=str(len(self._alerts_kept)))

    async def _polled_alert(self, http: web.Request) -> web.Response:
        try:
            index = int(http.match_info["index"])
        except ValueError:
            return _text(400, "expected /alerts/<n>, n a number from 0")
        if 0 <= index < len(self._alerts_kept):
            return _xml(200, self._alerts_kept[index])
        return _text(404, "no alert with that number (yet)")


def _non_device(dcc: DuisDcc, srv: str) -> bool:
    entry = next(iter(dcc.installations.values())).catalogue.get(srv)
    return entry is not None and entry.non_device


def _request_id_of(body: bytes) -> str | None:
    """The RequestID of a request the codec refused, if one can be read (for an E-code response addressed to it)."""
    try:
        header = child(parse(body), "Header")
        found = opt_text(header, "RequestID") if header is not None else None
        return str(duis.parse_request_id(found)) if found else None
    except duis.DuisError:
        return None


def _xml(status: int, xml: bytes) -> web.Response:
    return web.Response(status=status, body=xml, content_type="application/xml")


def _text(status: int, message: str) -> web.Response:
    return web.Response(status=status, text=message.replace("\n", " ") + "\n")
