"""One close-out over one run record: the live session and ``svtad verdict --campaign`` write the same outputs by
the same TTM and criteria; verdict.json is written once, last; the store keeps what each run was judged by."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, inspect, update

from conftest import Project
from pytest_svtad.cli import main
from pytest_svtad.closeout import close_out
from pytest_svtad.model import Outcome, PlanEntry, Result
from pytest_svtad.record import RecordSettings, RunRecord
from pytest_svtad.rules.criteria import Criteria
from pytest_svtad.store import SCHEMA_VERSION, Store
from pytest_svtad.store import schema as t
from pytest_svtad.store.migrations import legacy_metadata
from pytest_svtad.store.runs import criteria_as_json, run_settings

PACK = """
import pytest

@pytest.mark.ttm("REQ-1", "REQ-2")
def test_read(dmc):
    pass

@pytest.mark.ttm("REQ-3")
def test_top_up(dmc):
    assert dmc.id != "DMC-B", "credit not applied"

@pytest.mark.ttm("REQ-1")
@pytest.mark.regression
def test_regression(dmc):
    pass
"""
# half the DMCT-SRVT tests may fail: only a criteria file says so (12.3)
CRITERIA = "stages:\n  DMCT-SRVT:\n    functional_pass_rate: 0.5\n"
REPORT_SET = ("verdict.json", "results.jsonl", "testing-issues.csv", "heatmap.csv", "heatmap.png", "heatmap.html",
              "completion-report.html", "dmct-DMC-A.html", "dmct-DMC-B.html")


def campaign_verdict(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["verdict", "--campaign", "C", "--json", *argv])
    out = capsys.readouterr().out
    return code, json.loads(out[out.index('{\n  "schema"'):])


def statuses(verdict: dict) -> dict[str, str]:
    return {c["id"]: c["status"] for c in verdict["criteria"]}


def test_a_campaign_verdict_from_the_store_judges_by_the_ttm_and_criteria_its_runs_used(
        project_single: Project, store_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    project_single.tests(PACK)
    project_single.file("criteria.yaml", CRITERIA)
    live = project_single.run("--svtad-stage", "DMCT-SRVT", "--svtad-dmc", "DMC-A,DMC-B", "--svtad-criteria",
                              "criteria.yaml", "--svtad-store", store_url, "--svtad-campaign", "C").verdict()
    assert statuses(live)["ttm-traceability"] == "met" and statuses(live)["functional-pass-rate"] == "met"
    out = tmp_path / "out"
    code, stored = campaign_verdict(capsys, "--store", store_url, str(out))  # no --ttm, no --criteria
    # the same states and the same words (but the folder written to)
    report = str(project_single.pytester.path / "report")
    assert json.loads(json.dumps(stored["criteria"]).replace(str(out), report)) == live["criteria"]
    assert code == (0 if stored["verdict"] == "met" else 1) and stored["verdict"] == live["verdict"]
    assert stored["dmcs"] == live["dmcs"] and stored["dmct"] == live["dmct"]
    assert any("criteria overridden by" in note and "criteria.yaml" in note for note in stored["notes"])
    # the session's report set, results.jsonl included (the campaign's latest executed result per planned test)
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT_SET)
    assert all((project_single.pytester.path / "report" / name).is_file() for name in REPORT_SET)
    assert json.loads((out / "verdict.json").read_text()) == stored  # one writer: the file is what was printed
    # an option still wins over what the runs used: without a DMCT-SRVT pass rate, that criterion is not configured
    (tmp_path / "plain.yaml").write_text("providers: [DCC]\n")
    _, plain = campaign_verdict(capsys, "--store", store_url, "--criteria", str(tmp_path / "plain.yaml"))
    assert statuses(plain)["functional-pass-rate"] == "not_met"


def test_svtad_verdict_campaign_honours_the_ini_keys(project_single: Project, capsys, tmp_path: Path) -> None:
    store = tmp_path / "campaigns.db"
    project_single.pytester.makeini(f"""
        [pytest]
        svtad_store = {store}
        svtad_report = report
        svtad_ttm = ttm.csv
        svtad_campaign = C
        svtad_dmc = DMC-A
    """)
    project_single.tests(PACK.replace("def test_top_up(dmc):\n    assert", "def test_top_up(dmc):\n    pass  #"))
    live = project_single.run(ttm=False, report=False).verdict()
    report = project_single.pytester.path / "report"
    (report / "verdict.json").unlink()
    code, stored = campaign_verdict(capsys)  # store, report folder and TTM from the ini file
    assert stored["criteria"] == live["criteria"] and (report / "verdict.json").is_file()
    assert code == 0 and stored["verdict"] == "met"
    # a run stored before schema 3 kept no TTM: the ini's is used
    opened = Store(f"sqlite:///{store}")
    with opened.engine.begin() as conn:
        conn.execute(update(t.runs).values(ttm=None, criteria=None))
    opened.close()
    _, older = campaign_verdict(capsys)
    assert statuses(older) == statuses(live)


def test_svtad_verdict_json_prints_the_verdict_file(project_single: Project, capsys) -> None:
    project_single.tests(PACK)
    project_single.run("--svtad-dmc", "DMC-A", "--svtad-store", "none")
    report = project_single.pytester.path / "report"
    capsys.readouterr()
    code = main(["verdict", "--json", str(report)])
    out = capsys.readouterr().out
    printed = json.loads(out[out.index('{\n  "schema"'):])
    assert printed == json.loads((report / "verdict.json").read_text())
    assert code == (0 if printed["verdict"] == "met" else 1)


def _record(report: Path) -> RunRecord:
    entry = PlanEntry("t.py::test_x[DMC-A]", "DMC-A", ("REQ-1",), None, "reads", False, 3, None, None, None)
    return RunRecord(settings=RecordSettings(stage="SIT", release="IOC", criteria=Criteria(), ttm=None,
                                             report_dir=report),
                     plan=[entry], results={entry.nodeid: Result(entry.nodeid, Outcome.PASSED)}, issues=[],
                     dmc_ids=["DMC-A"], notes=["from the session"])


def test_every_sink_s_notes_reach_the_one_verdict_file(tmp_path: Path) -> None:
    seen: list[str] = []

    def broken(record: RunRecord) -> list[str]:
        seen.append(record.judged().stage)  # the verdict is computed before any report sink runs
        return ["broken.html not written: OSError: disk full"]

    def later(record: RunRecord) -> list[str]:
        seen.append(record.judged().notes[-1])  # ... and each sink sees the notes of the ones before it
        return []

    record = _record(tmp_path / "report")
    verdict = close_out(record, [broken, later])
    assert record.verdict is verdict and seen == ["SIT", "broken.html not written: OSError: disk full"]
    written = json.loads((tmp_path / "report" / "verdict.json").read_text())
    assert written["notes"][-2:] == ["from the session", "broken.html not written: OSError: disk full"]
    assert (tmp_path / "report" / "testing-issues.csv").is_file() and (tmp_path / "report" / "heatmap.png").is_file()


def _old_store(url: str, version: int) -> None:
    """A store as schema ``version`` left it, with one run."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    old = legacy_metadata(version)
    old.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(old.tables["svtad_meta"]).values(key="schema_version", value=str(version)))
        conn.execute(insert(old.tables["svtad_runs"]).values(
            campaign="C", stage="SIT", release="IOC", sut_version="1.0", seed=0, host="h",
            started_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC), status="finished", firmware={}, verdict="met"))
    engine.dispose()


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_every_earlier_store_is_upgraded_to_keep_each_run_s_ttm_and_criteria(store_url: str, version: int) -> None:
    _old_store(store_url, version)
    store = Store(store_url)
    with store.engine.connect() as conn:
        columns = {column["name"] for column in inspect(conn).get_columns("svtad_runs")}
        found = conn.exec_driver_sql("SELECT value FROM svtad_meta WHERE key = 'schema_version'").scalar()
    assert {"ttm", "criteria"} <= columns and found == str(SCHEMA_VERSION)
    (old,) = store.runs("C")
    assert old["status"] == "finished" and run_settings(old).ttm is None and run_settings(old).criteria is None
    criteria = Criteria(functional_pass_rate=0.8, source="c.yaml")
    run_id = store.begin_run(campaign="C", stage="SIT", release="IOC", sut_version="2.0", seed=0, host="h",
                             firmware={}, criteria=criteria_as_json(criteria))
    assert run_settings(store.runs("C")[-1]).criteria == criteria and store.runs("C")[-1]["id"] == run_id
    store.close()
    assert len(Store(store_url).runs("C")) == 2  # opening the upgraded store again changes nothing


def test_a_broken_ini_file_is_one_line_naming_it(tmp_path: Path, monkeypatch, capsys) -> None:
    (tmp_path / "tox.ini").write_text("[pytest]\nsvtad_store = x.db\n  = no key here\n[pytest]\n")
    monkeypatch.chdir(tmp_path)
    assert main(["verdict", "--campaign", "C"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"svtad: error: {tmp_path / 'tox.ini'}: not a valid ini")
