"""The heatmap data and the svtad command, on a known run."""

from __future__ import annotations

import csv

from conftest import ONE_PROCESS
from pytest_svtad.cli import main

PACK = """
import pytest

@pytest.mark.ttm("REQ-1")
@pytest.mark.parametrize("i", range(4))
def test_read(dmc, i):
    assert not (dmc.id == "DMC-B" and i == 0)

@pytest.mark.ttm("REQ-3")
@pytest.mark.requires("PPMID")
def test_prepay(dmc):
    pass

@pytest.mark.ttm("REQ-2")
def test_supply(dmc):
    if dmc.id == "DMC-A":
        import pytest
        pytest.skip("rig busy")
"""


@ONE_PROCESS
def test_heatmap_cells_count_group_by_dmc(project):
    project.tests(PACK)
    run = project.run()
    report = project.pytester.path / "report"
    with (report / "heatmap.csv").open() as handle:
        rows = {(r["functional_group"], r["dmc"]): r for r in csv.DictReader(handle)}
    assert rows[("reads", "DMC-B")]["planned"] == "4" and rows[("reads", "DMC-B")]["failed"] == "1"
    assert rows[("reads", "DMC-B")]["pass_rate"] == "0.7500"
    assert rows[("supply", "DMC-A")]["not_run"] == "1" and rows[("supply", "DMC-A")]["executed"] == "0"
    assert ("prepayment", "DMC-A") not in rows  # not applicable: no cell
    assert rows[("prepayment", "DMC-C")]["passed"] == "1"
    assert (report / "heatmap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert run.criterion("heatmap")["status"] == "met"


def test_svtad_verdict_command_reads_the_report(project_single, capsys):
    project_single.tests(PACK)
    project_single.run()
    code = main(["verdict", str(project_single.pytester.path / "report")])
    out = capsys.readouterr().out
    assert code == 1  # a failure on DMC-B at 75% and a skip on DMC-A
    assert "functional-pass-rate" in out and "NOT MET" in out and "NOT_MET" not in out


def test_svtad_check_names_the_bad_line(tmp_path, capsys):
    ttm = tmp_path / "ttm.csv"
    ttm.write_text("requirement_id,functional_group,title\nA,g,t\nA,g,t\n")
    assert main(["check", "--ttm", str(ttm)]) == 2
    assert "ttm.csv:3: duplicate requirement_id 'A'" in capsys.readouterr().err


def test_svtad_profiles_lists_dmcs_with_firmware(capsys):
    assert main(["profiles", "device_profiles"]) == 0
    out = capsys.readouterr().out
    assert "DMC-001" in out and "fw " in out


@ONE_PROCESS
def test_witnessed_marker_reaches_the_results(project):
    project.tests("""
        import pytest

        @pytest.mark.ttm("REQ-1", "REQ-2", "REQ-3")
        @pytest.mark.witnessed(by="TAG observer")
        def test_read(dmc):
            pass
    """)
    run = project.run("--svtad-dmc", "DMC-A")
    assert run.results()[0]["witnessed"] == "TAG observer"


def test_options_can_come_from_ini_keys(project_single):
    project_single.pytester.makeini("""
        [pytest]
        svtad_stage = UTS
        svtad_release = FOC
        svtad_ttm = ttm.csv
        svtad_report = report
        svtad_dmc = DMC-B
    """)
    project_single.tests(PACK)
    run = project_single.run(ttm=False, report=False)
    verdict = run.verdict()
    assert (verdict["stage"], verdict["release"], list(verdict["dmcs"])) == ("UTS", "FOC", ["DMC-B"])
    assert verdict["issues"]["thresholds"]["3"] == 5  # Table 13.2, UTS column


def test_collect_only_is_no_run_and_has_no_verdict(project_single):
    project_single.tests(PACK)
    run = project_single.run("--collect-only")
    assert "SVTAD" not in run.text
    assert not (project_single.pytester.path / "report").exists()
    assert not (project_single.pytester.path / ".svtad").exists()
