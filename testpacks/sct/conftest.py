"""Fleet runs shared by the SCT pack's tests: each scenario simulated once per session, with its progress on the
terminal (a scenario of 20,000 installations takes seconds, the four of them most of the pack's time)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_svtad.files.fleet_profile import load_profile
from pytest_svtad.rules.criteria import Criteria
from pytest_svtad.rules.sct import chart_targets
from simulators.fleet import Fleet
from simulators.fleet.model import summarise
from simulators.fleet.profile import Fault
from simulators.fleet.vector import VectorFleet

HERE = Path(__file__).parent
INSTALLATIONS = int(os.environ.get("SVTAD_SCT_INSTALLATIONS", "20000"))
# the engine of `svtad sct` (the closed-form one by default; "simpy" for the event-by-event reference model)
ENGINE = os.environ.get("SVTAD_SCT_ENGINE", "vector")
HOURS = 24
SCENARIOS: dict[str, list[dict[str, Any]]] = {
    "baseline": [],
    "head-end outage": [{"kind": "head_end_outage", "at": "09:00", "minutes": 30}],
    "wan loss": [{"kind": "wan_loss", "at": "14:00", "minutes": 60, "rate": 0.1}],
    "firmware bug": [{"kind": "firmware_bug", "dmc": "DMC-006", "srv": "2.2", "effect": "timeout"}],
}


def progress_line(config: pytest.Config) -> Callable[[str], None]:
    """Write one line to the terminal past pytest's output capture (nothing under xdist workers or -p
    no:terminal, where there is no terminal to write to)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")

    def write(line: str) -> None:
        if reporter is None:
            return
        if capture is None:
            reporter.write_line(line)
            return
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)

    return write


def first_to_draw(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], bool]:
    """Under xdist every worker simulates the scenarios it needs (the same seed gives the same run), but one of them
    draws each scenario's charts: the first to claim it in the session's shared temporary folder (xdist gives each
    worker a folder under it). In one process: always."""
    if not hasattr(request.config, "workerinput"):
        return lambda name: True
    claims = tmp_path_factory.getbasetemp().parent / "sct-charts-claimed"
    claims.mkdir(exist_ok=True)

    def claim(name: str) -> bool:
        try:
            os.close(os.open(claims / name, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return False
        return True

    return claim


@pytest.fixture(scope="session")
def fleet_runs(request: pytest.FixtureRequest, svtad_evidence_root: Path | None, svtad_criteria: Criteria,
               tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    profile = load_profile(HERE / "load-profile.yaml")
    say = progress_line(request.config)
    runs = {}
    say("")
    draw = first_to_draw(request, tmp_path_factory)
    for number, (name, faults) in enumerate(SCENARIOS.items(), start=1):
        scenario = profile.model_copy(update={"faults": [Fault.model_validate(fault) for fault in faults]})
        started = time.perf_counter()
        engine = Fleet if ENGINE == "simpy" else VectorFleet
        result = engine(scenario, INSTALLATIONS, seed=7).run(HOURS)
        runs[name] = {"summary": summarise(result), "result": result}
        say(f"SCT scenario {number}/{len(SCENARIOS)} '{name}': {INSTALLATIONS:,} installations, {HOURS} h "
            f"simulated in {time.perf_counter() - started:.1f} s ({result.events:,} events)")
        if svtad_evidence_root is not None and draw(name.replace(" ", "-")):
            from simulators.fleet.charts import write_charts  # matplotlib: only in the process that draws
            write_charts(result, svtad_evidence_root / "sct" / name.replace(" ", "-"), scenario=name,
                         targets=chart_targets(svtad_criteria), wan_budget=svtad_criteria.sct_wan_bytes_per_hub_per_day)
    return runs


@pytest.fixture(scope="session")
def svtad_evidence_root(request: pytest.FixtureRequest) -> Path | None:
    report = request.config.getoption("svtad_report")
    return Path(report) if report else None
