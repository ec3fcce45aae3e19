"""The DUIS link's receiver: where the DCC posts Service Responses and Alerts (DCC Boxed posts them as
``application/xml`` to the User's receive URL and expects 204). A small aiohttp server on a background thread,
started and stopped by the link; what it is sent is parsed by the link's ``classify`` (the hardened DUIS codec),
never trusted: a body that does not parse is answered 400 with the reason and noted for the transcript.

Responses are kept by RequestID until the link takes them (``wait``); alerts are queued in order of arrival.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_svtad.smets1.messages import Alert, ServiceResponse

if TYPE_CHECKING:
    from aiohttp import web


@dataclass(frozen=True, slots=True)
class Received:
    """One message the DCC posted: a response (``key``: its request, in ``request_key`` form) or an alert."""

    kind: str  # "response" | "alert"
    value: ServiceResponse | Alert
    key: str = ""


def request_key(message_id: str) -> str:
    """A RequestID or the ResponseID answering it (originator and target swapped) as one key: the two ids in
    order, then the counter."""
    parts = message_id.strip().upper().split(":")
    if len(parts) != 3:
        return message_id.strip().upper()
    first, second, counter = parts
    return ":".join((*sorted((first, second)), counter))


Classify = Callable[[bytes], Received]
Log = Callable[[str, str, bytes], None]  # (tag, text, xml) for the transcript


class Receiver:
    """``classify`` turns a posted body into a ``Received`` (raising ``ValueError`` or the codec's error when it
    cannot); ``log`` records every body posted, parsed or not."""

    def __init__(self, classify: Classify, log: Log, host: str = "127.0.0.1", port: int = 0) -> None:
        self._classify = classify
        self._log = log
        self._arrived = threading.Condition()
        self._responses: dict[str, ServiceResponse] = {}
        self._alerts: deque[Alert] = deque()
        self.refused = 0
        from aiohttp import web  # the HTTP stack is loaded by the links that use it only

        from pytest_svtad.smets1.http_server import MAX_BODY_BYTES, BackgroundServer

        self._web = web
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post("/{tail:.*}", self._post)
        self._server = BackgroundServer(app, host, port, name="svtad-duis-receiver")

    @property
    def url(self) -> str:
        return self._server.url

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            received = self._classify(body)
        except Exception as exc:  # noqa: BLE001 - the codec's refusal, whatever its class: a 400, never a crash
            self.refused += 1
            self._log("!!", f"refused a post to {request.path} ({len(body)} bytes): {exc}", body)
            return self._web.Response(status=400, text=f"not a DUIS response or alert: {exc}\n")
        with self._arrived:
            if received.kind == "alert":
                assert isinstance(received.value, Alert)
                self._log("ALERT", f"{received.value.code} from {received.value.device or 'DCC'}", body)
                self._alerts.append(received.value)
            else:
                assert isinstance(received.value, ServiceResponse)
                self._log("<<", f"response {received.value.code} for {received.key}", body)
                self._responses[received.key] = received.value
            self._arrived.notify_all()
        return self._web.Response(status=204)

    def wait(self, key: str, timeout_s: float) -> ServiceResponse | None:
        """The response to the request of ``key`` once it has arrived, or None after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        with self._arrived:
            while key not in self._responses:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._arrived.wait(left)
            return self._responses.pop(key)

    def alerts(self) -> list[Alert]:
        with self._arrived:
            return list(self._alerts)

    def clear_alerts(self) -> None:
        with self._arrived:
            self._alerts.clear()

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
