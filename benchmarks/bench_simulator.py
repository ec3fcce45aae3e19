"""Simulator speed: Service Requests per second of wall time on one installation, and the simulator's events
per second as a ratio of a bare SimPy loop of timeouts measured in the same run.

Targets (issue 3): at least 5,000 requests/s; events/s at least 0.5 x bare SimPy.

    python benchmarks/bench_simulator.py [--requests 20000] [--years 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import simpy

from pytest_svtad.smets1.profiles import load_profiles
from simulators import Installation
from simulators.services import SERVICES

ROOT = Path(__file__).resolve().parents[1]
PROFILES = load_profiles(ROOT / "device_profiles")
MIX = [("4.1.1", {}), ("4.3", {}), ("7.4", {}), ("2.2", {"amount_pence": 100}), ("4.18", {}),
       ("1.2.1", {"unit_rate_pence": 21.0}), ("11.2", {}), ("4.16", {})]


def installation(dmc_id: str = "DMC-002") -> Installation:
    dmc = PROFILES.dmcs[dmc_id]
    return Installation(dmc, PROFILES.device_models(dmc), seed=1)


def requests_per_second(count: int) -> float:
    inst = installation()
    started = time.perf_counter()
    for index in range(count):
        srv, params = MIX[index % len(MIX)]
        inst.request(srv, **params)
    return count / (time.perf_counter() - started)


def bare_simpy_events_per_second(count: int) -> float:
    env = simpy.Environment()

    def ticker(env: simpy.Environment) -> object:
        while True:
            yield env.timeout(1)

    env.process(ticker(env))
    started = time.perf_counter()
    for _ in range(count):
        env.step()
    return count / (time.perf_counter() - started)


def simulator_events_per_second(years: float) -> tuple[float, int]:
    """Advance a dual-fuel prepayment installation (half-hourly consumption, billing, daily logs), with a read
    every simulated hour driven from inside the simulation, counting every SimPy event processed."""
    inst = installation()
    env = inst.env

    def hourly_reads(env: simpy.Environment) -> object:
        while True:
            yield env.timeout(3600)
            for srv in ("4.1.1", "4.3"):
                entry = inst.catalogue[srv]
                done = env.event()
                env.process(inst._serve(_request(inst, srv), entry, SERVICES[srv], inst.devices["ESME"], done))

    env.process(hourly_reads(env))
    until = env.now + years * 365 * 86400
    events = 0
    started = time.perf_counter()
    while env.peek() < until:
        env.step()
        events += 1
    return events / (time.perf_counter() - started), events


def _request(inst: Installation, srv: str) -> object:
    from pytest_svtad.smets1.messages import ServiceRequest

    return ServiceRequest(srv=srv, request_id=f"bench:{srv}", device="ESME")


def measures(quick: bool = False) -> list[dict[str, object]]:
    """Rows for benchmarks/run_all.py: requests/s against the issue-3 target, and the simulator's events/s against a
    bare SimPy loop measured in the same call (the baseline)."""
    count, years = (2_000, 0.05) if quick else (20_000, 2.0)
    rps = requests_per_second(count)
    bare = bare_simpy_events_per_second(100_000 if quick else 1_000_000)
    sim, _events = simulator_events_per_second(years)
    return [
        {"measure": f"simulator: Service Requests per wall second ({count:,} requests)", "baseline": None,
         "project": rps, "unit": "requests/s", "ratio": None, "target": ">= 5,000/s", "met": rps >= 5_000},
        {"measure": f"simulator: events/s vs bare SimPy timeouts ({years:g} simulated years)", "baseline": bare,
         "project": sim, "unit": "events/s", "ratio": sim / bare, "target": ">= 0.5x", "met": sim / bare >= 0.5},
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--years", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"SimPy {simpy.__version__}")
    for round_no in range(1, args.rounds + 1):
        rps = requests_per_second(args.requests)
        bare = bare_simpy_events_per_second(1_000_000)
        sim, events = simulator_events_per_second(args.years)
        print(f"round {round_no}: {rps:,.0f} requests/s ({args.requests} requests); bare SimPy {bare:,.0f} events/s; "
              f"simulator {sim:,.0f} events/s ({events:,} events, {args.years:g} simulated years); "
              f"ratio {sim / bare:.2f}")


if __name__ == "__main__":
    main()
