"""Fleet runs shared by the SCT pack's tests: each scenario simulated once per session."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from pytest_svtad.files.fleet_profile import load_profile
from simulators.fleet import Fleet
from simulators.fleet.model import summarise
from simulators.fleet.profile import Fault

HERE = Path(__file__).parent
INSTALLATIONS = int(os.environ.get("SVTAD_SCT_INSTALLATIONS", "20000"))
SCENARIOS: dict[str, list[dict[str, Any]]] = {
    "baseline": [],
    "head-end outage": [{"kind": "head_end_outage", "at": "09:00", "minutes": 30}],
    "wan loss": [{"kind": "wan_loss", "at": "14:00", "minutes": 60, "rate": 0.1}],
    "firmware bug": [{"kind": "firmware_bug", "dmc": "DMC-006", "srv": "2.2", "effect": "timeout"}],
}


@pytest.fixture(scope="session")
def fleet_runs(svtad_evidence_root: Path | None) -> dict[str, dict[str, Any]]:
    profile = load_profile(HERE / "load-profile.yaml")
    runs = {}
    for name, faults in SCENARIOS.items():
        scenario = profile.model_copy(update={"faults": [Fault.model_validate(fault) for fault in faults]})
        result = Fleet(scenario, INSTALLATIONS, seed=7).run(24)
        runs[name] = {"summary": summarise(result), "result": result}
        if svtad_evidence_root is not None:
            from simulators.fleet.charts import write_charts

            write_charts(result, svtad_evidence_root / "sct" / name.replace(" ", "-"))
    return runs


@pytest.fixture(scope="session")
def svtad_evidence_root(request: pytest.FixtureRequest) -> Path | None:
    report = request.config.getoption("svtad_report")
    return Path(report) if report else None
