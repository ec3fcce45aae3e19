"""SIGTERM (what CI timeouts and ``kill`` send) ends an SVTAD session the way Ctrl-C does: the session is
interrupted, every planned test is kept (the unreported ones as not run), the verdict is written and the store's
run is marked interrupted. Installed by the controller only: xdist workers are stopped by their controller."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any


class SigtermAsInterrupt:
    """While installed, SIGTERM raises ``KeyboardInterrupt`` in the main thread of an SVTAD session. A plain test
    suite (``applies()`` false) gets the handler that was there before, and so does a second SIGTERM; one that
    arrives while the session is already writing its results at the end is ignored, so the writing completes."""

    def __init__(self, applies: Callable[[], bool]) -> None:
        self.applies = applies
        self.finishing = False
        self._previous: Any = None
        self._installed = False

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        previous = signal.getsignal(signal.SIGTERM)
        if previous == signal.SIG_IGN:  # whoever started us asked for SIGTERM to be ignored
            return
        self._previous = previous
        signal.signal(signal.SIGTERM, self._handle)
        self._installed = True

    def restore(self) -> None:
        if self._installed:
            self._installed = False
            if signal.getsignal(signal.SIGTERM) == self._handle:
                signal.signal(signal.SIGTERM, self._previous if self._previous is not None else signal.SIG_DFL)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.finishing:
            return
        self.restore()  # a second SIGTERM is not ours to soften
        if self.applies():
            raise KeyboardInterrupt("SIGTERM")
        previous = self._previous
        if callable(previous):
            previous(signum, frame)
        else:  # the default action: end the process by the signal, as if we had never been here
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
