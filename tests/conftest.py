"""Fixtures for testing the plugin through ``pytester``, in one process and under pytest-xdist."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import textwrap
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import psycopg  # noqa: F401
import pytest
import sqlalchemy.dialects.postgresql.psycopg  # noqa: F401
from sqlalchemy import create_engine, text

# In-process pytester runs drop modules first imported inside them; numpy cannot be imported twice in one
# process, so the heatmap's plotting stack is imported here, once, before any inner run. psycopg likewise: its C
# part keeps the first import's exception classes, so a second import of the Python part would leave a refused
# connection unrecognised by SQLAlchemy (an INTERNALERROR instead of the store fallback).
matplotlib.use("Agg")
import matplotlib.pyplot  # noqa: E402,F401


def _share_bytecode() -> None:
    """The suite starts some two hundred interpreters (xdist workers of the inner sessions, the README's commands):
    where the environment forbids writing bytecode (PYTHONDONTWRITEBYTECODE, as on some CI images), each of them
    would compile, and assertion-rewrite, every module of the checkout again. They share one bytecode folder outside
    the checkout instead (PYTHONPYCACHEPREFIX), so the tree still gets no ``__pycache__``."""
    if not os.environ.get("PYTHONDONTWRITEBYTECODE") or os.environ.get("PYTHONPYCACHEPREFIX"):
        return
    prefix = Path(tempfile.gettempdir()) / f"svtad-test-bytecode-{os.getuid()}"
    del os.environ["PYTHONDONTWRITEBYTECODE"]
    os.environ["PYTHONPYCACHEPREFIX"] = str(prefix)
    sys.dont_write_bytecode = False
    sys.pycache_prefix = str(prefix)


_share_bytecode()


def billion_laughs(levels: int) -> str:
    """YAML whose aliases expand 9 ** levels fold ("billion laughs"): a reader that expands aliases never ends."""
    return "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(levels))


def pytest_configure(config: pytest.Config) -> None:
    """The suite's own run under ``-n 2``: work stealing, so no worker idles at the end while the other still has a
    queue of slow tests (xdist's ``load`` hands out fixed chunks). The inner sessions the tests run keep their own
    ``--dist``: this conftest is not theirs."""
    if getattr(config.option, "numprocesses", None) and getattr(config.option, "dist", "no") == "load":
        config.option.dist = "worksteal"


MODELS = {
    "esme": ("ESME-T1", "ESME", "1.0.0"),
    "gsme": ("GSME-T1", "GSME", "2.0.0"),
    "ch": ("CH-T1", "CH", "3.0.0"),
    "ppmid": ("PPMID-T1", "PPMID", "4.0.0"),
}
# DMC-A dual fuel, DMC-B electricity only, DMC-C dual fuel with PPMID
DMCS = {
    "DMC-A": ("esme", "gsme", "ch"),
    "DMC-B": ("esme", "ch"),
    "DMC-C": ("esme", "gsme", "ch", "ppmid"),
}
TTM = """# ttm_id: TTM-TEST
# version: 1.0
# assured_on: 2026-01-05
requirement_id,functional_group,title
REQ-1,reads,Read registers
REQ-2,supply,Supply control
REQ-3,prepayment,Top up
"""


def inner_run(pytester: pytest.Pytester, workers: int, *args: str) -> pytest.RunResult:
    """An inner session in this process, under ``-n workers`` when workers is not 0: xdist's controller runs here
    and its workers are real processes, so the session is the plugin under xdist as a user runs it, without a third
    interpreter starting (and importing the plotting stack) for the controller."""
    return pytester.runpytest_inprocess(*(["-n", str(workers)] if workers else []), *args)


@dataclass
class Run:
    outcome: pytest.RunResult
    path: Path

    @property
    def ret(self) -> int:
        return int(self.outcome.ret)

    @property
    def text(self) -> str:
        return self.outcome.stdout.str() + self.outcome.stderr.str()

    def verdict(self) -> dict[str, Any]:
        return json.loads((self.path / "report" / "verdict.json").read_text())

    def criterion(self, cid: str) -> dict[str, str]:
        return next(c for c in self.verdict()["criteria"] if c["id"] == cid)

    def results(self) -> list[dict[str, Any]]:
        lines = (self.path / "report" / "results.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines]


class Project:
    """A throwaway project: profiles, a TTM and test modules, run with or without xdist."""

    def __init__(self, pytester: pytest.Pytester, workers: int) -> None:
        self.pytester = pytester
        self.workers = workers
        root = pytester.path / "device_profiles"
        (root / "models").mkdir(parents=True)
        (root / "dmcs").mkdir()
        for key, (model_id, kind, firmware) in MODELS.items():
            (root / "models" / f"{key}.yaml").write_text(
                f"id: {model_id}\nkind: {kind}\nmanufacturer: Test\nmodel: {key}\nfirmware: '{firmware}'\n")
        for dmc_id, keys in DMCS.items():
            devices = "".join(f"  {MODELS[k][1]}: {MODELS[k][0]}\n" for k in keys)
            (root / "dmcs" / f"{dmc_id}.yaml").write_text(
                f"id: {dmc_id}\nname: {dmc_id} test\ninstallation: active\ndevices:\n{devices}")
        (pytester.path / "ttm.csv").write_text(TTM)

    def tests(self, source: str, name: str = "test_pack") -> None:
        self.pytester.makepyfile(**{name: textwrap.dedent(source)})

    def file(self, name: str, text: str) -> Path:
        path = self.pytester.path / name
        path.write_text(textwrap.dedent(text))
        return path

    def run(self, *args: str, ttm: bool = True, report: bool = True, workers: int | None = None) -> Run:
        workers = self.workers if workers is None else workers
        argv = ["-p", "no:cacheprovider", "--strict-markers"]
        if ttm:
            argv += ["--svtad-ttm", "ttm.csv"]
        if report:
            argv += ["--svtad-report", "report"]
        argv += list(args)
        return Run(inner_run(self.pytester, workers, *argv), self.pytester.path)


# A scenario whose path through xdist is the same as another test's -n 2 session: one process only. The report set,
# outcomes, markers and evidence are checked byte for byte under -n 2 against one process by test_plugin_plan.py's
# test_same_results_give_same_outputs_with_and_without_xdist; what crosses the worker boundary in its own way
# (crashes, signals, interrupts, evidence and Allure files written by workers, collection errors) keeps its -n 2 run.
ONE_PROCESS = pytest.mark.parametrize("project", [0], indirect=True, ids=["n0"])


@pytest.fixture(params=[0, 2], ids=["n0", "n2"])
def project(request: pytest.FixtureRequest, pytester: pytest.Pytester) -> Project:
    """The same scenario in one process and under ``-n 2``."""
    return Project(pytester, request.param)


@pytest.fixture
def project_single(pytester: pytest.Pytester) -> Project:
    return Project(pytester, 0)


@pytest.fixture
def project_xdist(pytester: pytest.Pytester) -> Project:
    return Project(pytester, 2)


@pytest.fixture(scope="module")
def shared_runs() -> dict[Any, Run]:
    """Inner sessions run once per module and shared by the tests that only read what they wrote (keyed by the
    test module's choice: scenario and workers); a test that changes its project runs its own."""
    return {}


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store' / 'svtad.db'}"
        return
    url = os.environ.get("SVTAD_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("PostgreSQL not available: set SVTAD_TEST_POSTGRES_URL (CI starts one with .ci/postgres.sh)")
    schema = "t_" + uuid.uuid4().hex[:12]
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{url}?options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()
