"""An aiohttp application served from a background thread: how the DUIS link's receiver (``links/duis_receiver``)
and the simulated DCC's DUIS server (``simulators/duis_dcc``) both run beside synchronous code (a test, the
``svtad emulate`` loop) without an event loop of their own.

One place for the fiddly parts: a loop per server on a daemon thread, a port chosen by the system when 0 is asked
for, every start and stop bounded by a timeout, and a bind failure raised as ``OSError`` in the caller's thread (not
lost in the server's).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from aiohttp import web

T = TypeVar("T")
START_TIMEOUT_S = 10.0
# the largest body either side accepts: a DUIS message is a few kilobytes; anything far larger is refused (413)
MAX_BODY_BYTES = 1 << 20


class BackgroundServer:
    """``app`` served on ``host:port`` (0: a free port) from its own thread until ``stop``."""

    def __init__(self, app: web.Application, host: str = "127.0.0.1", port: int = 0, name: str = "svtad-http") -> None:
        self.app = app
        self.host = host
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        self._thread.start()
        try:
            self.port = self.call(self._start(host, port))
        except BaseException:
            self.stop()  # what started (the app's startup hooks) is cleaned up before the error goes up
            raise

    async def _start(self, host: str, port: int) -> int:
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, reuse_address=True)
        await site.start()
        return int(self._runner.addresses[0][1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def call(self, coroutine: Coroutine[Any, Any, T], timeout_s: float = START_TIMEOUT_S) -> T:
        """Run ``coroutine`` on the server's loop and wait for its result (at most ``timeout_s``)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout_s)

    def stop(self) -> None:
        if self._loop.is_closed():
            return
        try:
            self.call(self._runner.cleanup())
            self.call(self._cancel_the_rest())
        except Exception:  # noqa: BLE001 - stopping must not fail a test's teardown
            pass
        self._halt()

    @staticmethod
    async def _cancel_the_rest() -> None:
        """Tasks the app left running (a delivery still waiting) end with the server, not when the loop is GC'd."""
        current = asyncio.current_task()
        pending = [task for task in asyncio.all_tasks() if task is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _halt(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=START_TIMEOUT_S)
        if not self._thread.is_alive():
            self._loop.close()
