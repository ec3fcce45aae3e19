"""The SVTAD rules as the seed states them, stage by stage (issue 12): each scenario worked out by hand from the
clause it names, through pytest itself and the ``svtad`` command, on SQLite and PostgreSQL where the store is
involved. The rules are the controller's, so the sessions run in one process; the cross-phase issue scenario also
runs under ``-n 2``, and that xdist hands the controller every outcome and tag unchanged is test_plugin_plan.py's
equivalence test."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert

from conftest import Project
from pytest_svtad.cli import main
from pytest_svtad.rules import appendix_ak as ak
from pytest_svtad.store import SCHEMA_VERSION, Store
from pytest_svtad.store.migrations import legacy_metadata


@pytest.fixture
def project(request: pytest.FixtureRequest, pytester: pytest.Pytester) -> Project:
    """One process, unless a test asks for workers (``indirect`` parametrisation)."""
    return Project(pytester, getattr(request, "param", 0))

FAILS_ON_EVERY_DMC = """
import pytest

@pytest.mark.ttm("REQ-1", "REQ-2", "REQ-3")
def test_x(dmc):
    assert False, "register not advanced"
"""

PASSES = """
import pytest

@pytest.mark.ttm("REQ-1", "REQ-2", "REQ-3")
def test_x(dmc):
    pass

@pytest.mark.regression
@pytest.mark.ttm("REQ-1")
def test_reg(dmc):
    pass
"""


def criterion(verdict: dict, cid: str) -> dict:
    return next(c for c in verdict["criteria"] if c["id"] == cid)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()  # what earlier in-process runs printed
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def campaign_verdict(capsys: pytest.CaptureFixture[str], store_url: str, campaign: str, *extra: str) -> dict:
    code, out = cli(capsys, "verdict", "--campaign", campaign, "--json", "--store", store_url, *extra)
    assert code in (0, 1), out
    return json.loads(out[out.index('{\n  "schema"'):])


# -- 1. Issue identity (13.18) ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("project", "store_url"), [(0, "sqlite"), (0, "postgresql")],
                         ids=["n0-sqlite", "n0-postgresql"], indirect=True)  # -n 2: the outputs' equivalence test
def test_the_same_failure_in_another_phase_is_another_issue(project, store_url, capsys):
    project.tests(FAILS_ON_EVERY_DMC)
    common = ("--svtad-store", store_url, "--svtad-dmc", "DMC-A,DMC-B", "--svtad-release", "IOC")
    pit = project.run(*common, "--svtad-stage", "PIT", "--svtad-campaign", "PIT-IOC")
    assert pit.verdict()["issues"]["extant"]["3"] == 1
    sit = project.run(*common, "--svtad-stage", "SIT", "--svtad-campaign", "SIT-IOC")
    # 13.18: the SIT campaign's own issue counts; PIT's belongs to PIT (and is not an earlier release's)
    assert sit.verdict()["issues"]["extant"]["3"] == 1
    store = Store(store_url)
    rows = store.issues()
    assert len(rows) == 2 and {row["stage"] for row in rows} == {"PIT", "SIT"}
    pit_row, sit_row = sorted(rows, key=lambda row: row["stage"])
    assert pit_row["id"] != sit_row["id"]
    assert sit_row["related"] == [pit_row["id"]]  # it references the earlier phase's issue
    assert pit_row["dmcs"] == ["DMC-A", "DMC-B"]  # one test failing on two DMCs: one issue (13.19)
    # a repeat failure in the same phase updates the issue, it does not add one
    project.run(*common, "--svtad-stage", "SIT", "--svtad-campaign", "SIT-IOC")
    assert len(store.issues(stage="SIT")) == 1
    store.close()
    code, out = cli(capsys, "issues", "list", "--campaign", "SIT-IOC", "--store", store_url)
    assert code == 0 and "1 Testing Issue in" in out and sit_row["id"] in out and pit_row["id"] not in out


def _v1_store(url: str) -> None:
    """A store as schema version 1 left it: one issue per failing (test, DMC), keyed by the node id alone."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    old = legacy_metadata(1)
    old.create_all(engine)
    stamp = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    issues = old.tables["svtad_issues"]
    common = {"severity": 3, "status": "open", "known_defect": False, "tag_agreed": False, "rationale": "",
              "release": "IOC", "epcl_entries": [], "first_seen": stamp, "last_seen": stamp, "closed_at": None}
    with engine.begin() as conn:
        conn.execute(insert(old.tables["svtad_meta"]).values(key="schema_version", value="1"))
        conn.execute(insert(issues), [
            {**common, "id": "TI-OLD00001", "title": "t.py::test_x[DMC-A]: boom", "stage": "SIT", "campaign": "C",
             "dmcs": ["DMC-A"], "tests": ["t.py::test_x[DMC-A]"]},
            {**common, "id": "TI-OLD00002", "title": "t.py::test_x[DMC-B]: boom", "stage": "SIT", "campaign": "C",
             "dmcs": ["DMC-B"], "tests": ["t.py::test_x[DMC-B]"], "status": "closed", "closed_at": stamp},
            {**common, "id": "DEF-7", "title": "Known defect DEF-7", "stage": "PIT", "campaign": "P",
             "known_defect": True, "dmcs": ["DMC-A"], "tests": ["t.py::test_y[DMC-A]"]},
        ])
    engine.dispose()


def test_a_version_1_store_is_upgraded_in_place(store_url):
    _v1_store(store_url)
    store = Store(store_url)
    rows = store.issues()
    sit = [row for row in rows if row["stage"] == "SIT"]
    # the two per-DMC v1 issues of one test are one issue of its phase, open (one of them was open)
    assert len(sit) == 1 and sit[0]["dmcs"] == ["DMC-A", "DMC-B"] and sit[0]["status"] == "open"
    assert sit[0]["test_key"] == "t.py::test_x" and sit[0]["cause"] == "undetermined"
    assert [row["id"] for row in rows if row["stage"] == "PIT"] == ["DEF-7"]
    history = store.history(sit[0]["uid"])
    assert history[0]["change"] == "migrated" and "TI-OLD00001" in history[0]["old"]
    store.close()
    again = Store(store_url)  # opening an upgraded store changes nothing
    assert len(again.issues()) == 2
    with again.engine.connect() as conn:
        version = conn.exec_driver_sql("SELECT value FROM svtad_meta WHERE key = 'schema_version'").scalar()
    assert version == str(SCHEMA_VERSION)
    again.close()


# -- 2. Regression with nothing to run (Table 13.1 row 2, 12.6(f)) -----------------------------------------------

def test_a_sit_exit_without_a_regression_set_is_not_met(project):
    project.tests("""
        import pytest

        @pytest.mark.ttm("REQ-1", "REQ-2", "REQ-3")
        def test_x(dmc):
            pass
    """)
    run = project.run("--svtad-dmc", "DMC-A", "--svtad-store", "none")
    regression = run.criterion("regression")
    assert regression["status"] == "not_met" and "no regression test planned" in regression["detail"]
    assert run.verdict()["verdict"] == "not_met"


def test_other_stages_regression_comes_from_the_criteria_file(project_single):
    project_single.tests(PASSES.replace("@pytest.mark.regression\n", "@pytest.mark.skip\n"))
    argv = ("--svtad-dmc", "DMC-A", "--svtad-stage", "PIT", "--svtad-store", "none")
    unset = project_single.run(*argv).criterion("regression")
    assert unset["status"] == "not_met" and "not configured" in unset["detail"]
    assert "Table 13.1" not in unset["clause"] and "12.6(f)" in unset["clause"]
    waived = project_single.file("criteria.yaml", "stages:\n  PIT:\n    regression: {required: false}\n")
    chosen = project_single.run(*argv, "--svtad-criteria", str(waived)).criterion("regression")
    assert chosen["status"] == "met" and "not required" in chosen["detail"] and "criteria file" in chosen["detail"]
    required = project_single.file("required.yaml", "stages:\n  PIT:\n    regression: {required: true}\n")
    none_planned = project_single.run(*argv, "--svtad-criteria", str(required)).criterion("regression")
    assert none_planned["status"] == "not_met" and "no regression test planned" in none_planned["detail"]


# -- 3. SIT's numbers on SIT only (12.6(b), 13.19) ---------------------------------------------------------------

@pytest.mark.parametrize("stage", ["PIT", "UTS", "SCT", "MT-DORMANT", "DMCT-SRVT"])
def test_the_ninety_percent_is_sit_s_other_stages_need_their_own(project_single, stage):
    project_single.tests(PASSES)
    run = project_single.run("--svtad-dmc", "DMC-A", "--svtad-stage", stage, "--svtad-store", "none")
    rate = run.criterion("functional-pass-rate")
    assert rate["status"] == "not_met"
    assert rate["detail"].startswith("not configured: the minimum is set in the " + stage + "'s Testing Approach")
    assert all("Table 13.1" not in c["clause"] for c in run.verdict()["criteria"])  # never cited off SIT
    given = project_single.file("criteria.yaml", f"stages:\n  {stage}:\n    functional_pass_rate: 0.8\n")
    configured = project_single.run("--svtad-dmc", "DMC-A", "--svtad-stage", stage, "--svtad-store", "none",
                                    "--svtad-criteria", str(given)).criterion("functional-pass-rate")
    assert configured["status"] == "met" and "80.0%" in configured["detail"]
    assert f"stages.{stage}.functional_pass_rate" in configured["detail"]


def test_sit_keeps_table_13_1_and_cites_it(project):
    project.tests(PASSES)
    run = project.run("--svtad-dmc", "DMC-A", "--svtad-store", "none")
    assert run.verdict()["verdict"] == "met", run.verdict()["criteria"]
    rate = run.criterion("functional-pass-rate")
    assert rate["clause"] == "Table 13.1 row 1; 12.6(b)" and "90.0% (Table 13.1 row 1)" in rate["detail"]


def test_every_non_sit_citation_names_its_own_source():
    for stage in ak.STAGES:
        for cid in ak.CRITERIA_ORDER:
            if stage != "SIT":
                assert "Table 13.1" not in ak.clause(stage, cid), (stage, cid)
    table_rows = [cid for cid in ak.CRITERIA_ORDER if "Table 13.1" in ak.clause("SIT", cid)]
    assert table_rows == [cid for cid in ak.CRITERIA_ORDER if cid != "work-off-plans"]  # rows 1-8


# -- 4. Table 13.2 per DCC Service Provider, DCC-caused issues only (13.19) ---------------------------------------

SEVERE = """
import pytest

@pytest.mark.ttm("REQ-1", "REQ-2", "REQ-3")
@pytest.mark.severity(2)
{marker}
def test_supply(dmc):
    assert False, "supply stayed on"

@pytest.mark.regression
@pytest.mark.ttm("REQ-1")
def test_reg(dmc):
    pass
"""


def test_device_caused_issues_do_not_count_against_table_13_2(project):
    project.tests(SEVERE.format(marker='@pytest.mark.testing_issue(cause="device")'))
    run = project.run("--svtad-dmc", "DMC-A,DMC-B", "--svtad-store", "none")
    verdict = run.verdict()
    # a device defect is split per DMC (20.19(c)), and neither counts against the DCC's thresholds
    assert verdict["issues"]["by_cause"]["device"] == 2 and verdict["issues"]["extant"]["2"] == 0
    assert run.criterion("issue-thresholds")["status"] == "met"
    assert "2 device-caused not counted (13.19)" in run.criterion("issue-thresholds")["detail"]
    assert len(verdict["issues"]["not_counted"]) == 2


def test_undetermined_cause_counts_conservatively(project_single):
    project_single.tests(SEVERE.format(marker=""))
    run = project_single.run("--svtad-dmc", "DMC-A,DMC-B", "--svtad-store", "none")
    assert run.verdict()["issues"]["extant"]["2"] == 1  # one test on two DMCs: one issue
    assert run.criterion("issue-thresholds")["status"] == "not_met"
    assert "of undetermined cause counted conservatively" in run.criterion("issue-thresholds")["detail"]


def test_thresholds_apply_per_dcc_service_provider(project_single):
    project_single.tests("""
        import pytest

        @pytest.mark.ttm("REQ-1", "REQ-2", "REQ-3")
        @pytest.mark.parametrize("i", range(16))
        @pytest.mark.testing_issue(cause="dcc", provider="CSP North")
        def test_north(dmc, i):
            assert i >= 8

        @pytest.mark.ttm("REQ-1", "REQ-2", "REQ-3")
        @pytest.mark.parametrize("i", range(16))
        @pytest.mark.testing_issue(cause="dcc", provider="CSP South")
        def test_south(dmc, i):
            assert i >= {south}
    """.replace("{south}", "8"))
    providers = project_single.file("criteria.yaml", """\
        providers: [CSP North, CSP South]
        functional_pass_rate: 0
    """)
    argv = ("--svtad-dmc", "DMC-A", "--svtad-store", "none", "--svtad-criteria", str(providers))
    run = project_single.run(*argv)
    by_provider = run.verdict()["issues"]["by_provider"]
    # 16 severity 3 issues in all, over the SIT limit of 15, but 8 per provider: within Table 13.2 for each
    assert by_provider["CSP North"]["3"] == 8 and by_provider["CSP South"]["3"] == 8
    assert run.criterion("issue-thresholds")["status"] == "met"
    assert "CSP North S1 0/0" in run.criterion("issue-thresholds")["detail"]
    project_single.tests("""
        import pytest

        @pytest.mark.ttm("REQ-1", "REQ-2", "REQ-3")
        @pytest.mark.parametrize("i", range(16))
        @pytest.mark.testing_issue(cause="dcc", provider="CSP North")
        def test_north(dmc, i):
            assert False
    """)
    over = project_single.run(*argv).criterion("issue-thresholds")
    assert over["status"] == "not_met" and "over the limits: CSP North" in over["detail"]


def test_an_unknown_provider_is_a_collection_error(project_single):
    project_single.tests("""
        import pytest

        @pytest.mark.ttm("REQ-1")
        @pytest.mark.testing_issue(provider="Nobody")
        def test_x(dmc):
            pass
    """)
    run = project_single.run("--svtad-dmc", "DMC-A", "--svtad-store", "none")
    assert run.ret != 0 and "DCC Service Provider 'Nobody' is not in the criteria file's providers" in run.text


def test_cause_set_later_takes_an_issue_out_of_the_count(project_single, store_url, capsys):
    project_single.tests(SEVERE.format(marker=""))
    project_single.run("--svtad-dmc", "DMC-A,DMC-B", "--svtad-store", store_url, "--svtad-campaign", "C")
    assert criterion(campaign_verdict(capsys, store_url, "C"), "issue-thresholds")["status"] == "not_met"
    issue_id = Store(store_url).issues()[0]["id"]
    code, out = cli(capsys, "issues", "set-cause", issue_id, "device", "--reason", "ESME firmware 1.0.0 defect",
                    "--by", "test manager", "--store", store_url)
    assert code == 0 and "cause: device" in out and "test manager: cause: undetermined -> device" in out
    assert criterion(campaign_verdict(capsys, store_url, "C"), "issue-thresholds")["status"] == "met"


# -- 5. Work Off Plans (15.1, 12.6(g)(h)) -------------------------------------------------------------------------

def _workoff(capsys, store_url: str, campaign: str, *extra: str) -> list[dict[str, str]]:
    capsys.readouterr()  # what earlier in-process runs printed
    code = main(["workoff", "--campaign", campaign, "--tcc-date", "2026-12-18", "--today", "2026-12-21",
                 "--format", "csv", "--store", store_url, *extra])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return list(csv.DictReader(io.StringIO(captured.out)))


def test_a_tag_excluded_open_issue_stays_on_the_work_off_plan(project_single, store_url, capsys):
    project_single.tests(FAILS_ON_EVERY_DMC)
    project_single.run("--svtad-dmc", "DMC-A", "--svtad-store", store_url, "--svtad-campaign", "C")
    issue_id = Store(store_url).issues()[0]["id"]
    assert cli(capsys, "issues", "exclude", issue_id, "--rationale", "lab rig", "--tag-agreed",
               "--store", store_url)[0] == 0
    rows = _workoff(capsys, store_url, "C")
    assert [row["issue_id"] for row in rows] == [issue_id]  # 15.1: all open Testing Issues
    assert rows[0]["status"] == "excluded" and rows[0]["counted"] == "false" and rows[0]["due_date"] == "2027-01-20"


def test_a_preceding_phase_s_work_off_plan_must_be_worked_off(project_single, store_url, capsys):
    project_single.tests(FAILS_ON_EVERY_DMC)
    common = ("--svtad-dmc", "DMC-A", "--svtad-store", store_url, "--svtad-release", "IOC")
    project_single.run(*common, "--svtad-stage", "PIT", "--svtad-campaign", "PIT-IOC")
    assert len(_workoff(capsys, store_url, "PIT-IOC", "--record")) == 1
    project_single.tests(PASSES.replace("def test_x", "def test_other"))
    sit = project_single.run(*common, "--svtad-campaign", "SIT-IOC")
    work_off = sit.criterion("work-off-plans")
    assert work_off["status"] == "not_met" and "0/1 tests re-run and passed" in work_off["detail"]
    assert work_off["clause"] == "12.6(g)-(h); 15.1"
    project_single.tests(PASSES)  # test_x re-run in SIT, and it passes now
    rerun = project_single.run(*common, "--svtad-campaign", "SIT-IOC")
    assert rerun.criterion("work-off-plans")["status"] == "met"


# -- 6. DMCT completion (20.14, 20.19, 20.26-20.30) ---------------------------------------------------------------

DMCT_PACK = """
import pytest

@pytest.mark.ttm("REQ-1", "REQ-2", "REQ-3")
def test_x(dmc):
    assert {ok}
"""
DMCT_CRITERIA = """\
stages:
  DMCT-MT: {functional_pass_rate: 1.0, regression: {required: false}}
  DMCT-SRVT: {functional_pass_rate: 1.0, regression: {required: false}}
thresholds:
  DMCT-MT: {1: 0, 2: 0, 3: 5, 4: 10, 5: 20}
  DMCT-SRVT: {1: 0, 2: 0, 3: 5, 4: 10, 5: 20}
"""


def test_dmct_srvt_alone_does_not_complete_a_dmc(project):
    project.tests(DMCT_PACK.format(ok="True"))
    criteria = project.file("criteria.yaml", DMCT_CRITERIA)
    run = project.run("--svtad-dmc", "DMC-A", "--svtad-stage", "DMCT-SRVT", "--svtad-criteria", str(criteria),
                      "--svtad-store", "none")
    dmct = run.verdict()["dmct"]["DMC-A"]
    assert dmct["completed"] is False and dmct["recommended_entry"] is None
    assert any("no DMCT-MT results" in reason and "20.14" in reason for reason in dmct["reasons"])
    assert run.verdict()["schema"] == 2


def test_dmct_completes_over_both_stages_of_a_campaign(project_single, store_url):
    project_single.tests(DMCT_PACK.format(ok="True"))
    criteria = project_single.file("criteria.yaml", DMCT_CRITERIA)
    common = ("--svtad-dmc", "DMC-A", "--svtad-criteria", str(criteria), "--svtad-store", store_url,
              "--svtad-campaign", "DMCT-W49")
    mt = project_single.run(*common, "--svtad-stage", "DMCT-MT")
    assert mt.verdict()["dmct"]["DMC-A"]["completed"] is False  # SRVT not run yet
    srvt = project_single.run(*common, "--svtad-stage", "DMCT-SRVT")
    dmct = srvt.verdict()["dmct"]["DMC-A"]
    assert dmct == {**dmct, "completed": True, "recommended_entry": "DMC-A", "reasons": []}
    assert "20.26" in srvt.text


def test_mt_under_the_mtad_lets_srvt_alone_complete(project_single):
    project_single.tests(DMCT_PACK.format(ok="True"))
    criteria = project_single.file("criteria.yaml", DMCT_CRITERIA + """\
dmct_mt_under_mtad:
  DMC-A: {completed: true, reference: "Panel determination 2026-11-30"}
""")
    run = project_single.run("--svtad-dmc", "DMC-A", "--svtad-stage", "DMCT-SRVT", "--svtad-criteria",
                             str(criteria), "--svtad-store", "none")
    dmct = run.verdict()["dmct"]["DMC-A"]
    assert dmct["completed"] is True and dmct["required_stages"] == ["DMCT-SRVT"]
    assert any("20.27" in line for line in dmct["basis"])


def test_an_open_severity_two_issue_blocks_the_recommendation(project):
    project.tests("""
        import pytest

        @pytest.mark.ttm("REQ-1", "REQ-2", "REQ-3")
        @pytest.mark.parametrize("i", range(10))
        def test_x(dmc, i):
            pass

        @pytest.mark.ttm("REQ-1")
        @pytest.mark.severity(2)
        def test_critical(dmc):
            assert False
    """)
    criteria = project.file("criteria.yaml", DMCT_CRITERIA + """\
dmct_completion: {all_executed: true, pass_rate: 0.5}
dmct_mt_under_mtad:
  DMC-A: {completed: true, reference: "TAB 2026-11"}
""")
    run = project.run("--svtad-dmc", "DMC-A", "--svtad-stage", "DMCT-SRVT", "--svtad-criteria", str(criteria),
                      "--svtad-store", "none")
    dmct = run.verdict()["dmct"]["DMC-A"]
    # 10 of 11 passed is over the rule's 50%, but an open severity 2 issue blocks the EPCL recommendation
    assert dmct["completed"] is False and any("severity 1-2" in reason for reason in dmct["reasons"])


# -- 7. 13.22 and 13.23 ---------------------------------------------------------------------------------------------

def test_an_sct_issue_counts_against_sit_only_when_agreed(project_single, store_url, capsys):
    project_single.tests(SEVERE.format(marker=""))
    common = ("--svtad-dmc", "DMC-A", "--svtad-store", store_url, "--svtad-release", "IOC")
    project_single.run(*common, "--svtad-stage", "SCT", "--svtad-campaign", "SCT-IOC")
    project_single.tests(PASSES)
    project_single.run(*common, "--svtad-campaign", "SIT-IOC")
    assert campaign_verdict(capsys, store_url, "SIT-IOC")["issues"]["extant"]["2"] == 0
    sct_issue = Store(store_url).issues(stage="SCT")[0]["id"]
    code, out = cli(capsys, "issues", "count-in", sct_issue, "SIT", "--agreement", "TAG 55 minute 3",
                    "--store", store_url)
    assert code == 0 and "SIT IOC (13.22: TAG 55 minute 3)" in out
    verdict = campaign_verdict(capsys, store_url, "SIT-IOC")
    assert verdict["issues"]["extant"]["2"] == 1
    assert criterion(verdict, "issue-thresholds")["status"] == "not_met"
    assert "13.22" in criterion(verdict, "issue-thresholds")["detail"]


def test_uts_counts_production_issues_where_the_tag_agreed(project_single, store_url, capsys):
    project_single.tests(PASSES)
    project_single.run("--svtad-dmc", "DMC-A", "--svtad-store", store_url, "--svtad-stage", "UTS",
                       "--svtad-release", "IOC", "--svtad-campaign", "UTS-IOC")
    record = ("issues", "record", "--stage", "UTS", "--release", "IOC", "--campaign", "UTS-IOC", "--severity", "3",
              "--origin", "production", "--store", store_url)
    assert cli(capsys, *record[:2], "PRD-1", *record[2:], "--title", "late alerts in production")[0] == 0
    listed = campaign_verdict(capsys, store_url, "UTS-IOC")
    assert listed["issues"]["extant"]["3"] == 0 and listed["issues"]["not_counted"] == ["PRD-1"]
    assert cli(capsys, *record[:2], "PRD-2", *record[2:], "--title", "E21 bursts", "--agreement", "TAG 55/4")[0] == 0
    counted = campaign_verdict(capsys, store_url, "UTS-IOC")
    assert counted["issues"]["extant"]["3"] == 1
    assert "13.23(ii)" in criterion(counted, "issue-thresholds")["detail"]


# -- 8. Citations and numbers the seeds do not give -------------------------------------------------------------

def test_the_sct_pack_reads_its_limits_from_the_criteria_file():
    from pytest_svtad.files.datafiles import load_criteria

    root = Path(__file__).resolve().parent.parent
    source = (root / "testpacks" / "sct" / "test_sct_capacity.py").read_text()
    assert "15 * 60" not in source and "<= 5" not in source and "0.01 *" not in source
    criteria = load_criteria(root / "testpacks" / "sct" / "criteria.yaml")
    assert (criteria.sct_end_of_day_queue_max, criteria.sct_outage_drain_max_s,
            criteria.sct_read_e21_max_fraction) == (5, 900, 0.01)
    text = (root / "testpacks" / "sct" / "criteria.yaml").read_text()
    assert "THIS SAMPLE'S CHOICE" in text


def test_dmct_recommendation_cites_20_26_and_failure_20_30():
    from pytest_svtad.rules.dmct import DmctAssessment

    done = DmctAssessment("D", "E", True, "rule", "source")
    failed = DmctAssessment("D", "E", False, "rule", "source", reasons=["x"])
    assert "20.26" in done.recommendation and "20.30" not in done.recommendation
    assert "20.30" in failed.recommendation


# -- 9. De-scoping (12.6(a), Table 13.1 row 2) -------------------------------------------------------------------

DESCOPED = """
import pytest

@pytest.mark.ttm("REQ-1", "REQ-2", "REQ-3")
def test_x(dmc):
    pass

@pytest.mark.ttm("REQ-1")
@pytest.mark.descoped("awaiting PPMID stock", "TAB-2026-14"{approved})
def test_ppmid(dmc):
    pass

@pytest.mark.regression
@pytest.mark.ttm("REQ-1")
def test_reg(dmc):
    pass

@pytest.mark.regression
@pytest.mark.ttm("REQ-1")
@pytest.mark.descoped("rig down", "TAB-2026-15", approved_by=("TAB", "SoS"))
def test_reg_descoped(dmc):
    pass
"""


def test_a_sit_de_scoping_needs_the_secretary_of_state(project):
    project.tests(DESCOPED.format(approved=', approved_by="TAB"'))
    run = project.run("--svtad-dmc", "DMC-A", "--svtad-store", "none")
    execution = run.criterion("functional-execution")
    assert execution["status"] == "not_met"
    assert "1 de-scoped test without the Secretary of State's approval" in execution["detail"]
    assert "test_pack.py::test_ppmid" in execution["detail"]
    regression = run.criterion("regression")  # shown, with the table's silence said
    assert regression["status"] == "met" and "1 de-scoped (Table 13.1 row 2 makes no provision" in regression["detail"]
    results = [json.loads(line) for line in (run.path / "report" / "results.jsonl").read_text().splitlines()]
    ppmid = next(r for r in results if "test_ppmid" in r["nodeid"])
    assert ppmid["descoped"]["approved_by"] == ["TAB"]


def test_a_sit_de_scoping_approved_by_the_secretary_of_state_is_met(project_single):
    project_single.tests(DESCOPED.format(approved=', approved_by=("TAB", "Secretary of State")'))
    run = project_single.run("--svtad-dmc", "DMC-A", "--svtad-store", "none")
    assert run.criterion("functional-execution")["status"] == "met"
    # PIT needs the TAB's approval only: not a condition there
    pit = project_single.run("--svtad-dmc", "DMC-A", "--svtad-stage", "PIT", "--svtad-store", "none")
    assert "Secretary of State" not in pit.criterion("functional-execution")["detail"]


def test_a_campaign_verdict_file_holds_the_notes_the_terminal_shows(project_single, store_url, capsys, tmp_path):
    project_single.tests(PASSES)
    project_single.run("--svtad-dmc", "DMC-A", "--svtad-store", store_url, "--svtad-campaign", "C")
    verdict = campaign_verdict(capsys, store_url, "C", str(tmp_path / "out"))
    written = json.loads((tmp_path / "out" / "verdict.json").read_text())
    assert written["notes"] == verdict["notes"] and any("read without running tests" in n for n in written["notes"])
    code, out = cli(capsys, "issues", "list", "--campaign", "NOPE", "--store", store_url)
    assert code == 2 and "no campaign 'NOPE'" in out
