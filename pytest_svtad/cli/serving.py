"""Serving in the foreground, as the ``svtad emulate`` commands do, until a duration ends or Ctrl-C."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable


def serve_until_stopped(duration: float | None, stop: Callable[[], None], requests: Callable[[], int]) -> int:
    """Serve for ``duration`` seconds, or until interrupted (Ctrl-C); then stop and say how many requests came."""
    started = time.monotonic()
    try:
        while duration is None or time.monotonic() - started < duration:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
    print(f"stopped after {requests()} requests", file=sys.stderr)
    return 0
