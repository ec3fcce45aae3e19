"""``svtad emulate --duis``: the simulated DCC behind a DCC User Interface (``simulators/duis_dcc.py``), over the
installations of one or more DMCs, until interrupted. Parsing, checks of what it is given, and printing only."""

from __future__ import annotations

import argparse
from pathlib import Path
from urllib.parse import urlsplit

from pytest_svtad.cli.input import positive_number
from pytest_svtad.cli.serving import serve_until_stopped
from pytest_svtad.errors import SvtadInputError
from pytest_svtad.smets1.profiles import DmcProfile, Profiles, load_profiles


def add_duis_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("DUIS (--duis)")
    g.add_argument("--duis", action="store_true",
                   help="serve DUIS XML over HTTP as a DCC User Interface (DCC Boxed's /api/v1/serviceS|T|D) instead "
                   "of the serial protocol; --dmc may then name several DMCs, comma-separated, or 'all'")
    g.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, loopback only)")
    g.add_argument("--port", type=int, default=0, help="TCP port to listen on (default: 0, a free port, printed)")
    g.add_argument("--receiver", help="http(s) URL to POST Service Responses and Alerts to (default: the URL a request "
                   "names in its X-Svtad-Reply-To header, else none: kept for polling at GET /responses/<RequestID> "
                   "and GET /alerts/<n>)")
    g.add_argument("--no-verify", action="store_true",
                   help="accept unsigned requests and placeholder signatures (default: verify each request against "
                   "the certificate in its DMC profile's duis.cert)")
    g.add_argument("--any-device", action="store_true",
                   help="route a request for an unknown device EUI-64 to the DMC's device of the SRV's kind (for "
                   "public sample requests; default: refused)")


def _dmcs(given: str, profiles: Profiles) -> list[DmcProfile]:
    if given.strip() == "all":
        return [profiles.dmcs[dmc_id] for dmc_id in sorted(profiles.dmcs)]
    chosen = []
    for dmc_id in (part.strip() for part in given.split(",")):
        if dmc_id not in profiles.dmcs:
            raise SvtadInputError("--dmc", f"no DMC profile '{dmc_id}' (known: {', '.join(sorted(profiles.dmcs))})")
        chosen.append(profiles.dmcs[dmc_id])
    return chosen


def _trusted(dmcs: list[DmcProfile]) -> list[bytes]:
    """The Users' certificates requests are verified against: each DMC profile's ``duis.cert``."""
    found: list[bytes] = []
    for dmc in dmcs:
        cert = dmc.duis.cert if dmc.duis is not None else None
        if cert is None:
            raise SvtadInputError("--no-verify", f"DMC '{dmc.id}' names no duis.cert to verify its requests' "
                                  "signatures against: give one in its profile, or accept unsigned requests with "
                                  "--no-verify")
        try:
            found.append(Path(cert).read_bytes())
        except OSError as exc:
            raise SvtadInputError(cert, f"DMC '{dmc.id}': duis.cert cannot be read: {exc.strerror or exc}") from None
    return found


def emulate_duis(args: argparse.Namespace) -> int:
    from pytest_svtad.smets1.duis import DuisError
    from simulators.duis_dcc import DuisDcc
    from simulators.installation import Installation

    positive_number(args.speed, "--speed", zero=True)
    if args.duration is not None:
        positive_number(args.duration, "--duration")
    if not 0 <= args.port <= 65535:
        raise SvtadInputError("--port", f"expected a port 0-65535 (0: a free one), got '{args.port}'")
    if args.receiver is not None:
        parts = urlsplit(args.receiver)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SvtadInputError("--receiver", f"expected an http(s)://HOST[:PORT]/PATH URL, got '{args.receiver}'")
    for option in ("url", "pty", "line_rate", "pace"):
        if getattr(args, option, None):
            raise SvtadInputError(f"--{option.replace('_', '-')}", "is for the serial protocol; not with --duis")
    profiles = load_profiles(Path(args.profiles))
    dmcs = _dmcs(args.dmc, profiles)
    trusted = None if args.no_verify else _trusted(dmcs)
    installations = {dmc.id: Installation(dmc, profiles.device_models(dmc), seed=args.seed) for dmc in dmcs}
    log = (lambda line: print(line, flush=True)) if args.verbose else None
    try:
        dcc = DuisDcc(installations, trusted=trusted, receiver=args.receiver, any_device=args.any_device,
                      speed=args.speed, log=log)
    except DuisError as exc:  # a certificate that does not load
        raise SvtadInputError("duis.cert", f"cannot verify requests with the DMC profiles' certificates: "
                              f"{exc.message}") from None
    try:
        dcc.start(args.host, args.port)
    except OSError as exc:
        raise SvtadInputError("--port", f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    print(f"simulated DCC User Interface at {dcc.url}/api/v1/serviceS|serviceT|serviceD "
          f"(signatures {'NOT verified' if trusted is None else 'verified'}; "
          f"responses to {args.receiver or 'the reply-to URL of each request, else kept for polling'})", flush=True)
    for dmc in dmcs:
        devices = ", ".join(f"{kind} {dmc.device_eui64(kind)}" for kind in installations[dmc.id].devices)
        print(f"  {dmc.id} ({dmc.name}): {devices}", flush=True)
    print("connect with: --svtad-link " + ",".join(f"{dmc.id}=duis+{dcc.url}" for dmc in dmcs), flush=True)
    return serve_until_stopped(args.duration, dcc.stop, lambda: dcc.requests)
