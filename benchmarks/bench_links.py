"""Round trips per second over a pseudo-terminal: the serial link against the emulator, unpaced and with the
emulator pacing its bytes as a 115200 baud line (a pty itself has no baud rate).

    python benchmarks/bench_links.py [--requests 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from pytest_svtad.links.serial import SerialLink
from pytest_svtad.smets1.profiles import load_profiles
from simulators.emulator import Emulator, PtyPort
from simulators.installation import Installation

ROOT = Path(__file__).resolve().parents[1]


def round_trips(count: int, line_rate: int | None) -> float:
    profiles = load_profiles(ROOT / "device_profiles")
    dmc = profiles.dmcs["DMC-001"]
    port = PtyPort()
    emulator = Emulator(Installation(dmc, profiles.device_models(dmc), seed=1), port, line_rate=line_rate).start()
    link = SerialLink(dmc, profiles.device_models(dmc), url=port.path, baudrate=115200, timeout_s=5)
    try:
        link.request("7.4")  # warm up
        started = time.perf_counter()
        for _ in range(count):
            link.request("7.4")
        return count / (time.perf_counter() - started)
    finally:
        link.close()
        emulator.stop()


def measures(quick: bool = False) -> list[dict[str, object]]:
    """Rows for benchmarks/run_all.py. Issue 7 asks for the two rates recorded and sets no number, so the target
    column says so; the baseline of the paced row is the unpaced rate of the same call."""
    count = 200 if quick else 2_000
    unpaced = round_trips(count, None)
    paced = round_trips(40 if quick else max(200, count // 5), 115200)
    return [
        {"measure": f"links: round trips/s over a pty, unpaced ({count:,})", "baseline": None, "project": unpaced,
         "unit": "round trips/s", "ratio": None, "target": "recorded (issue 7 sets none)", "met": True},
        {"measure": "links: round trips/s, emulator paced at 115200 baud", "baseline": unpaced, "project": paced,
         "unit": "round trips/s", "ratio": paced / unpaced, "target": "recorded (issue 7 sets none)", "met": True},
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for round_no in range(1, args.rounds + 1):
        unlimited = round_trips(args.requests, None)
        paced = round_trips(max(200, args.requests // 5), 115200)
        print(f"round {round_no}: unpaced {unlimited:,.0f} round trips/s; paced at 115200 baud {paced:,.0f}/s")


if __name__ == "__main__":
    main()
