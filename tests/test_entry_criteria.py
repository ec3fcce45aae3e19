"""The generic Entry Criteria (12.5(a)-(e), 5.7, 8.5(c), 11.2): the rules, the sign-offs in the store, the TTM's
assurance header, ``svtad gate``, and the session-start checks with and without ``--svtad-gate``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from pytest_svtad.cli.main import main
from pytest_svtad.errors import SvtadInputError
from pytest_svtad.files.datafiles import load_ttm
from pytest_svtad.rules import entry_criteria as ec
from pytest_svtad.store import Store, StoreError
from pytest_svtad.store.gates import GateRepository

TODAY = date(2026, 3, 2)
ASSURED = ec.TtmAssurance("ttm.csv", "TTM-1", "2.0", date(2026, 2, 1), "DCC assurance")
PLAN = ec.SignOff("a", "test manager", date(2026, 2, 20), "SIT-MOC test plan v1.0")
CERTS = ec.SignOff("b", "test manager", date(2026, 2, 21), "TCC-PIT-MOC-01", "certificates")
APPROVAL = ec.SignOff("e", "DCC", date(2026, 2, 27), "ATP-SIT-MOC")


def _reading(dmc: str = "DMC-A", reported: str | None = "1.0.0", error: str | None = None,
             dormant: bool = False) -> ec.FirmwareReading:
    return ec.FirmwareReading(dmc, "ESME", "1.0.0", reported, error, dormant)


def _assess(signoffs: dict[str, ec.SignOff], ttm: ec.TtmAssurance = ASSURED, firmware=None,
            stage: str = "SIT", release: str | None = "MOC") -> ec.EntryAssessment:
    return ec.assess(stage=stage, release=release, campaign=None, signoffs=signoffs, ttm=ttm,
                     firmware=[_reading()] if firmware is None else firmware, dmcs=1, today=TODAY, where="store")


# -- rules ---------------------------------------------------------------------------------------------------

def test_all_five_met_only_when_every_sign_off_is_recorded_and_both_checks_pass() -> None:
    full = _assess({"a": PLAN, "b": CERTS, "e": APPROVAL})
    assert full.status == ec.MET and not full.failed_checks
    missing = _assess({"a": PLAN, "e": APPROVAL})
    assert missing.status == ec.MANUAL  # never invented as met
    assert "12.5(b) not recorded" in missing.detail() and not missing.failed_checks


def test_ttm_needs_id_version_and_an_assurance_date_not_after_the_start_except_sit_ioc() -> None:
    unassured = ec.TtmAssurance("ttm.csv")
    item = ec.ttm_item("SIT", "MOC", unassured, TODAY)
    assert item.status == ec.NOT_MET and "ttm_id, version, assured_on" in item.detail
    later = ec.TtmAssurance("ttm.csv", "TTM-1", "2.0", date(2026, 3, 3))
    assert ec.ttm_item("PIT", None, later, TODAY).status == ec.NOT_MET
    assert ec.ttm_item("SIT", "MOC", ec.TtmAssurance(None), TODAY).status == ec.NOT_MET
    assert ec.ttm_item("SIT", "IOC", ec.TtmAssurance(None), TODAY).status == ec.MET  # 12.5(c) exception
    assessment = _assess({"a": PLAN, "b": CERTS, "e": APPROVAL}, ttm=unassured)
    assert assessment.status == ec.NOT_MET and [i.criterion for i in assessment.failed_checks] == ["c"]


def test_a_device_reporting_other_firmware_fails_d_and_a_dormant_one_not_reachable_is_for_a_person() -> None:
    wrong = ec.firmware_item([_reading(), _reading("DMC-B", "0.9.1")], 2)
    assert wrong.status == ec.NOT_MET and "DMC-B ESME reports 0.9.1, profile requires 1.0.0" in wrong.detail
    unread = ec.firmware_item([_reading(), _reading("DMC-B", None, "SRV 11.2 answered E21")], 2)
    assert unread.status == ec.NOT_MET and "not read (SRV 11.2 answered E21)" in unread.detail
    dormant = ec.firmware_item([_reading(), _reading("DMC-D", None, "SRV 11.2 answered E21", dormant=True)], 2)
    assert dormant.status == ec.MANUAL and "DMC-D" in dormant.detail
    assert ec.firmware_item([_reading("DMC-D", "0.1", dormant=True)], 1).status == ec.NOT_MET


@pytest.mark.parametrize(("signoff", "problem"), [
    (ec.SignOff("c", "x", TODAY, "r"), "checked by the harness"),
    (ec.SignOff("a", "x", TODAY, ""), "test plan"),
    (ec.SignOff("b", "x", TODAY, "", "overlap", {"tag_reviewed": "TAG on 2026-02-01"}), "Panel's agreement"),
    (ec.SignOff("b", "x", TODAY, "", "certificates"), "Test Completion Certificate"),
])
def test_a_sign_off_missing_what_12_5_and_5_7_require_is_refused(signoff: ec.SignOff, problem: str) -> None:
    assert problem in (ec.check_signoff(signoff) or "")


# -- the TTM's assurance header (11.2) ---------------------------------------------------------------------

def test_ttm_header_is_read_from_csv_comment_lines_and_yaml_keys(tmp_path: Path) -> None:
    csv_path = tmp_path / "ttm.csv"
    csv_path.write_text("# ttm_id: TTM-7\n# version: 3.1\n# assured_on: 2026-01-05\n"
                        "requirement_id,functional_group,title\nR-1,reads,Read\n")
    ttm = load_ttm(csv_path)
    assert (ttm.ttm_id, ttm.version, ttm.assured_on, list(ttm.requirements)) == ("TTM-7", "3.1", date(2026, 1, 5),
                                                                                  ["R-1"])
    csv_path.write_text("# assured_on: 2026-13-01\nrequirement_id,functional_group,title\nR-1,reads,Read\nR-1,x,y\n")
    with pytest.raises(SvtadInputError, match=r"ttm.csv:1: TTM header field 'assured_on': expected a date"):
        load_ttm(csv_path)
    csv_path.write_text("# version: 1\nrequirement_id,functional_group,title\nR-1,reads,Read\nR-1,x,y\n")
    with pytest.raises(SvtadInputError, match=r"ttm.csv:4: duplicate requirement_id"):  # lines still counted
        load_ttm(csv_path)
    yaml_path = tmp_path / "ttm.yaml"
    yaml_path.write_text("ttm_id: TTM-8\nversion: '1.0'\nassured_on: 2026-01-06\nassured_by: DCC\n"
                         "requirements:\n  - {requirement_id: R-1, functional_group: reads, title: Read}\n")
    assert load_ttm(yaml_path).assured_on == date(2026, 1, 6)
    yaml_path.write_text("owner: me\nrequirements:\n  - {requirement_id: R-1, functional_group: reads, title: Read}\n")
    with pytest.raises(SvtadInputError, match=r"ttm.yaml:1: TTM header field 'owner': unknown"):
        load_ttm(yaml_path)


# -- the store ---------------------------------------------------------------------------------------------

def test_sign_offs_belong_to_their_phase_and_a_withdrawal_is_history_not_deletion(store_url: str) -> None:
    store = Store(store_url)
    gates = GateRepository(store)
    gates.sign(PLAN, stage="SIT", release="MOC", campaign="C1")
    gates.sign(ec.SignOff("b", "lead", date(2026, 2, 2), "", "overlap",
                          {"tag_reviewed": "TAG on 2026-01-20", "panel_agreed": "Panel on 2026-01-28"}),
               stage="SIT", release="MOC", campaign="C1", why="SIT and SMETS1 Interface Testing overlap")
    assert set(gates.current(stage="SIT", release="MOC", campaign="C1")) == {"a", "b"}
    assert gates.current(stage="SIT", release="FOC", campaign="C1") == {}  # another phase
    assert gates.current(stage="SIT", release="MOC", campaign=None) == {}  # another campaign
    gates.withdraw("a", stage="SIT", release="MOC", campaign="C1", who="lead", why="plan re-issued")
    assert set(gates.current(stage="SIT", release="MOC", campaign="C1")) == {"b"}
    history = gates.history(stage="SIT", release="MOC", campaign="C1")
    assert [(e.criterion, e.action) for e in history] == [("a", "signed"), ("b", "signed"), ("a", "withdrawn")]
    assert "panel agreed Panel on 2026-01-28" in history[1].line()
    with pytest.raises(StoreError, match="nothing to withdraw"):
        gates.withdraw("a", stage="SIT", release="MOC", campaign="C1", who="lead", why="again")
    with pytest.raises(StoreError, match="Panel's agreement"):
        gates.sign(ec.SignOff("b", "x", TODAY, "", "overlap"), stage="SIT", release="MOC", campaign=None)
    store.close()


def test_a_store_of_the_previous_schema_gains_the_schedule_and_sign_off_tables(store_url: str) -> None:
    from sqlalchemy import create_engine, insert, inspect

    from pytest_svtad.store.migrations import legacy_metadata

    if store_url.startswith("sqlite:///"):
        Path(store_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(store_url)
    old = legacy_metadata(5)  # the schema before these tables
    old.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(old.tables["svtad_meta"]).values(key="schema_version", value="5"))
        assert not inspect(conn).has_table("svtad_entry_signoffs")
    engine.dispose()
    store = Store(store_url)
    GateRepository(store).sign(PLAN, stage="PIT", release=None, campaign=None)
    assert set(GateRepository(store).current(stage="PIT", release=None, campaign=None)) == {"a"}
    store.close()


# -- svtad gate --------------------------------------------------------------------------------------------

def test_svtad_gate_signs_shows_and_refuses_bad_input_in_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = ["--store", str(tmp_path / "s.db")]
    phase = ["--stage", "SIT", "--release", "MOC"]
    assert main(["gate", "sign", "a", *phase, "--by", "jo", "--on", "2026-02-20", "--reference", "plan v1",
                 *store]) == 0
    assert main(["gate", "sign", "b", *phase, "--basis", "overlap", "--tag-reviewed", "TAG on 2026-02-01",
                 *store]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Panel's agreement" in err
    assert main(["gate", "sign", "e", *phase, "--on", "2026-02-30", "--reference", "x", *store]) == 2
    assert "--on" in capsys.readouterr().err
    assert main(["gate", "sign", "a", "--stage", "SITT", "--reference", "x", *store]) == 2
    assert "unknown stage 'SITT'" in capsys.readouterr().err
    ttm = tmp_path / "ttm.csv"
    ttm.write_text("requirement_id,functional_group,title\nR-1,reads,Read\n")
    assert main(["gate", "show", *phase, "--ttm", str(ttm), *store]) == 0
    out = capsys.readouterr().out
    assert "(a) test plan signed off by the DCC: plan v1, signed off by jo on 2026-02-20" in out
    assert "(b) " in out and "not recorded (svtad gate sign b)" in out
    assert "lacks ttm_id, version, assured_on" in out
    assert main(["gate", "history", *phase, *store]) == 0
    assert "12.5(a) signed by jo on 2026-02-20" in capsys.readouterr().out


# -- the session-start checks, through pytester ---------------------------------------------------------------

QUIRKED_PPMID = ("id: PPMID-T1\nkind: PPMID\nmanufacturer: Test\nmodel: ppmid\nfirmware: '4.0.0'\nquirks:\n"
                 "  - {srv: '11.2', effect: wrong_value, field: firmware, value: '3.9.9'}\n")
PACK = """
import pytest

@pytest.mark.ttm("REQ-1", "REQ-2", "REQ-3")
def test_read(dmc):
    pass
"""


def _gate_project(project, tmp_path: Path) -> list[str]:
    """DMC-C's PPMID answers SRV 11.2 with a firmware its profile does not name; 12.5(a) signed off."""
    project.tests(PACK)
    (project.pytester.path / "device_profiles" / "models" / "ppmid.yaml").write_text(QUIRKED_PPMID)
    url = f"sqlite:///{tmp_path / 'gate.db'}"
    GateRepository(Store(url)).sign(PLAN, stage="PIT", release=None, campaign=None)
    return ["--svtad-stage", "PIT", "--svtad-store", url]


def test_session_reports_entry_criteria_first_and_in_verdict_json(project_single, tmp_path: Path) -> None:
    run = project_single.run(*_gate_project(project_single, tmp_path))
    criterion = run.criterion("entry-criteria")
    assert criterion["status"] == "not_met" and criterion["clause"].startswith("12.5")
    assert "DMC-C PPMID reports 3.9.9, profile requires 4.0.0" in criterion["detail"]
    verdict = run.verdict()
    items = {i["criterion"]: i["status"] for i in verdict["entry_criteria"]["items"]}
    assert items == {"a": "met", "b": "manual", "c": "met", "d": "not_met", "e": "manual"}
    assert verdict["verdict"] == "not_met"
    summary = run.text.split("SVTAD exit criteria", 1)[1].splitlines()
    assert summary[1].startswith("ENTRY CRITERIA NOT MET for PIT (12.5)")  # first line of the summary
    assert run.outcome.parseoutcomes()["passed"] == 3  # without --svtad-gate the tests still run


def test_gate_stops_a_session_whose_firmware_check_fails_before_any_test_under_xdist(project_xdist,
                                                                                     tmp_path: Path) -> None:
    run = project_xdist.run(*_gate_project(project_xdist, tmp_path), "--svtad-gate")
    assert run.ret == 1
    reasons = [line for line in run.text.splitlines() if "entry criteria not met for PIT" in line]
    assert reasons and "12.5(d) NOT MET" in reasons[0] and "DMC-C PPMID reports 3.9.9" in reasons[0]
    assert " passed" not in run.text  # no test ran
    assert not (project_xdist.pytester.path / "report" / "verdict.json").exists()


def test_gate_lets_a_session_start_when_c_and_d_hold_with_sign_offs_not_recorded(project_single,
                                                                                 tmp_path: Path) -> None:
    project_single.tests(PACK)
    run = project_single.run("--svtad-stage", "PIT", "--svtad-gate", "--svtad-store",
                             f"sqlite:///{tmp_path / 'g.db'}")
    assert run.outcome.parseoutcomes()["passed"] == 3
    criterion = run.criterion("entry-criteria")
    assert criterion["status"] == "manual" and "(a) not recorded" in criterion["detail"]
    assert "ENTRY CRITERIA NOT ALL RECORDED for PIT" in run.text
    assert json.loads((project_single.pytester.path / "report" / "verdict.json").read_text())["pending"][0] == \
        "entry-criteria"
