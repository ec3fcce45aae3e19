"""``svtad emulate``: a simulated installation behind the real-device protocols, until interrupted."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from pytest_svtad.errors import SvtadInputError
from pytest_svtad.smets1.profiles import load_profiles


def emulate(args: argparse.Namespace) -> int:
    from simulators.emulator import Emulator, Port, PtyPort, SocketPort, describe
    from simulators.installation import Installation

    profiles = load_profiles(Path(args.profiles))
    dmc = profiles.dmcs.get(args.dmc)
    if dmc is None:
        raise SvtadInputError("--dmc", f"no DMC profile '{args.dmc}' (known: {', '.join(sorted(profiles.dmcs))})")
    installation = Installation(dmc, profiles.device_models(dmc), seed=args.seed)
    if args.url:
        parsed = urlparse(args.url)
        if parsed.scheme != "socket" or not parsed.port:
            raise SvtadInputError("--url", f"expected socket://HOST:PORT, got '{args.url}'")
        listener = SocketPort(parsed.hostname or "127.0.0.1", parsed.port)
        port: Port = listener
        where = listener.url
    else:
        terminal = PtyPort()
        port, where = terminal, terminal.path
    log = (lambda line: print(line, flush=True)) if args.verbose else None
    emulator = Emulator(installation, port, speed=args.speed, pace=args.pace, line_rate=args.line_rate, log=log)
    print(describe(emulator, where), flush=True)
    print(f"connect with: --svtad-link {dmc.id}={where}", flush=True)
    emulator.start()
    started = time.monotonic()
    try:
        while args.duration is None or time.monotonic() - started < args.duration:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    print(f"stopped after {emulator.requests} requests", file=sys.stderr)
    return 0
