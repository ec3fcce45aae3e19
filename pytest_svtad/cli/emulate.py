"""``svtad emulate``: a simulated installation behind the real-device protocols, until interrupted."""

from __future__ import annotations

import argparse
from pathlib import Path
from urllib.parse import urlsplit

from pytest_svtad.cli.input import positive_number
from pytest_svtad.cli.serving import serve_until_stopped
from pytest_svtad.errors import SvtadInputError
from pytest_svtad.smets1.profiles import load_profiles
from pytest_svtad.urls import socket_url_problem


def emulate(args: argparse.Namespace) -> int:
    if getattr(args, "duis", False):  # DUIS over HTTP: pytest_svtad/cli/emulate_duis.py
        from pytest_svtad.cli.emulate_duis import emulate_duis

        return emulate_duis(args)
    from simulators.emulator import Emulator, Port, PtyPort, SocketPort, describe
    from simulators.installation import Installation

    positive_number(args.speed, "--speed", zero=True)
    if args.line_rate is not None and args.line_rate <= 0:
        raise SvtadInputError("--line-rate", f"expected bits per second > 0, got '{args.line_rate}'")
    if args.duration is not None:
        positive_number(args.duration, "--duration")
    profiles = load_profiles(Path(args.profiles))
    dmc = profiles.dmcs.get(args.dmc)
    if dmc is None:
        raise SvtadInputError("--dmc", f"no DMC profile '{args.dmc}' (known: {', '.join(sorted(profiles.dmcs))})")
    installation = Installation(dmc, profiles.device_models(dmc), seed=args.seed)
    if args.url:
        parsed = urlsplit(args.url)
        problem = socket_url_problem(args.url) if parsed.scheme == "socket" else \
            f"expected socket://HOST:PORT, got '{args.url}'"
        if problem:
            raise SvtadInputError("--url", problem)
        host, port_number = parsed.hostname or "127.0.0.1", int(parsed.port or 0)
        try:
            listener = SocketPort(host, port_number)
        except OSError as exc:  # in use, not an address of this machine, not allowed
            raise SvtadInputError("--url", f"cannot listen on {host}:{port_number}: "
                                  f"{exc.strerror or exc}") from None
        port: Port = listener
        where = listener.url
    else:
        try:
            terminal = PtyPort()
        except OSError as exc:
            raise SvtadInputError("--pty", f"cannot open a pseudo-terminal: {exc.strerror or exc}") from None
        port, where = terminal, terminal.path
    log = (lambda line: print(line, flush=True)) if args.verbose else None
    emulator = Emulator(installation, port, speed=args.speed, pace=args.pace, line_rate=args.line_rate, log=log)
    print(describe(emulator, where), flush=True)
    print(f"connect with: --svtad-link {dmc.id}={where}", flush=True)
    emulator.start()
    return serve_until_stopped(args.duration, emulator.stop, lambda: emulator.requests)

