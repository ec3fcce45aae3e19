"""Evidence people open: heatmap.html, completion-report.html, dmct-<DMC>.html and the Allure results, checked
against a known run in one process and under -n 2; escaping of what tests and devices send."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import ONE_PROCESS, Run
from pytest_svtad.reports.html import rate_fill, script_json

KNOWN_RUN = """
import pytest

@pytest.mark.ttm("REQ-1")
@pytest.mark.srv("4.1.1")
@pytest.mark.parametrize("i", range(3))
def test_read(dmc, i):
    pass

@pytest.mark.ttm("REQ-2")
@pytest.mark.srv("7.2")
@pytest.mark.severity(2)
def test_disable(dmc):
    assert dmc.id != "DMC-B", "<script>alert('device')</script> supply stayed on"

@pytest.mark.ttm("REQ-3")
@pytest.mark.requires("PPMID")
@pytest.mark.witnessed(by="TAG observer")
def test_top_up(dmc):
    pass

@pytest.mark.ttm("REQ-3")
@pytest.mark.requires("PPMID")
@pytest.mark.witnessed
@pytest.mark.skip(reason="PPMID not delivered to the lab")
def test_ppmid_display(dmc):
    pass
"""


def html(project, name: str) -> str:
    root = project.path if isinstance(project, Run) else project.pytester.path
    return (root / "report" / name).read_text(encoding="utf-8")


def known_run_of_every_dmc(project, shared_runs) -> Run:
    """KNOWN_RUN over every DMC, run once per test module and variant: the tests that only read its outputs share
    it (in its first test's folder)."""
    key = ("known-run-every-dmc", project.workers)
    if key not in shared_runs:
        project.tests(KNOWN_RUN)
        shared_runs[key] = project.run("--svtad-dmc", "all")
    return shared_runs[key]


def embedded_data(page: str) -> dict:
    raw = re.search(r'<script type="application/json" id="svtad-data">(.*?)</script>', page, re.S).group(1)
    return json.loads(raw)


@ONE_PROCESS
def test_heatmap_html_holds_the_cells_and_each_cell_its_tests(project, shared_runs):
    run = known_run_of_every_dmc(project, shared_runs)
    assert run.ret == 1
    page = html(run, "heatmap.html")
    assert "http://" not in page and "https://" not in page and "<link" not in page  # self-contained
    data = embedded_data(page)
    reads_b = data["cells"]["reads\tDMC-B"]
    assert (reads_b["planned"], reads_b["passed"], reads_b["failed"]) == (3, 3, 0)
    supply_b = data["cells"]["supply\tDMC-B"]
    assert (supply_b["planned"], supply_b["failed"]) == (1, 1)
    failed = data["tests"][supply_b["tests"][0]]
    assert failed["outcome"] == "failed" and failed["srv"] == "7.2" and failed["ttm"] == ["REQ-2"]
    assert "prepayment\tDMC-B" not in data["cells"]  # no PPMID on DMC-B: not applicable, empty
    prepay_c = data["cells"]["prepayment\tDMC-C"]
    assert (prepay_c["planned"], prepay_c["not_run"]) == (2, 1)
    requirement = next(row for row in data["requirements"] if row["id"] == "REQ-3")
    assert sorted(requirement["by_dmc"]) == ["DMC-C"]  # only DMC-C has the PPMID its tests require
    for dmc in ("DMC-A", "DMC-B", "DMC-C"):
        assert f"><span>{dmc}</span></th>" in page
    assert "EXIT CRITERIA NOT MET" in page


@ONE_PROCESS
def test_a_failure_message_with_markup_stays_text_everywhere(project):
    project.tests(KNOWN_RUN)
    project.run("--svtad-dmc", "DMC-B")
    for name in ("heatmap.html", "completion-report.html"):
        page = html(project, name)
        assert "<script>alert(" not in page, name
    assert "&lt;script&gt;alert(" in html(project, "completion-report.html")
    assert "\\u003cscript\\u003ealert(" in html(project, "heatmap.html")


def test_device_firmware_with_markup_is_escaped(project_single):
    model = project_single.pytester.path / "device_profiles" / "models" / "esme.yaml"
    model.write_text(model.read_text().replace("'1.0.0'", "'<img src=x onerror=alert(1)>'"))
    project_single.tests(KNOWN_RUN)
    project_single.run("--svtad-dmc", "DMC-A")
    page = html(project_single, "completion-report.html")
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_test_names_requirement_titles_and_dmc_names_with_markup_are_escaped_in_every_report(project_single):
    ttm = project_single.pytester.path / "ttm.csv"
    ttm.write_text(ttm.read_text().replace("Read registers", "Read <b onmouseover=alert(2)>registers</b>"))
    dmc = project_single.pytester.path / "device_profiles" / "dmcs" / "DMC-B.yaml"
    dmc.write_text(dmc.read_text().replace("name: DMC-B test", "name: '<svg onload=alert(3)>'"))
    project_single.tests("""
        import pytest

        @pytest.mark.ttm("REQ-1")
        @pytest.mark.srv("4.1.1")
        @pytest.mark.witnessed(by="<i>observer</i>")
        @pytest.mark.parametrize("case", ["<script>x()</script>"])
        def test_read(dmc, case):
            assert False, case
    """)
    project_single.run("--svtad-dmc", "DMC-B", "--svtad-stage", "DMCT-SRVT")
    for name in ("heatmap.html", "completion-report.html", "dmct-DMC-B.html"):
        page = html(project_single, name)
        for markup in ("<b onmouseover", "<svg onload", "<i>observer", "<script>x()"):
            assert markup not in page, (name, markup)
    completion = html(project_single, "completion-report.html")
    assert "&lt;svg onload=alert(3)&gt;" in completion and "&lt;i&gt;observer&lt;/i&gt;" in completion
    assert "Read &lt;b onmouseover=alert(2)&gt;registers&lt;/b&gt;" in html(project_single, "heatmap.html")


@ONE_PROCESS
def test_completion_report_sections_against_a_known_run(project, shared_runs):
    page = html(known_run_of_every_dmc(project, shared_runs), "completion-report.html")
    for heading in ("9.5 Evaluation of each exit criterion", "(a) Planned testing", "(b) Tests run",
                    "(c) Why tests were not run", "(d) Failed tests", "(e) Testing Issues raised",
                    "(f) Outstanding Testing Issues", "(g) Test environment", "(h) Recommended further tests",
                    "(i) Lessons learnt", "Witnessed tests (13.11", "Risk of what was not tested"):
        assert heading in page, heading
    assert "PPMID not delivered to the lab" in page  # why it was not run
    # witnessing: test_top_up on DMC-C passed, test_ppmid_display on DMC-C not run
    assert "2 tests in the witnessed subset: 1 passed, 0 failed, 1 not run" in page
    assert "passed 100.0% of executed" in page
    assert "Not provided (--svtad-completion-notes" in page  # (h) and (i) are never invented
    assert "REQ-3" in page and "planned tests not run on" in page


def test_completion_notes_fill_sections_h_and_i(project_single):
    notes = project_single.file("notes.yaml", """\
        recommended_further_tests: Re-run the PPMID display tests once devices arrive.
        lessons_learnt: Book PPMIDs <early>.
    """)
    project_single.tests(KNOWN_RUN)
    project_single.run("--svtad-dmc", "DMC-A", "--svtad-completion-notes", str(notes))
    page = html(project_single, "completion-report.html")
    assert "Re-run the PPMID display tests once devices arrive." in page
    assert "Book PPMIDs &lt;early&gt;." in page


REGRESSION_RUN = """
import pytest

@pytest.mark.ttm("REQ-1")
@pytest.mark.regression
def test_reg_read(dmc):
    pass

@pytest.mark.ttm("REQ-2")
@pytest.mark.regression
@pytest.mark.known_defect("TI-KNOWN-1")
def test_reg_disable(dmc):
    assert dmc.id != "DMC-A", "relay stuck <closed>"

@pytest.mark.ttm("REQ-1")
@pytest.mark.descoped("meter firmware withdrawn", "TAB-2026-07")
def test_descoped_read(dmc):
    pass
"""


def section(page: str, heading: str) -> str:
    """The text of one report section: from its heading to the next h2."""
    return page.split(heading, 1)[1].split("<h2>", 1)[0]


@ONE_PROCESS
def test_completion_report_regression_open_issues_and_risk_against_a_known_run(project):
    project.tests(KNOWN_RUN)
    project.tests(REGRESSION_RUN, name="test_regr")
    project.run("--svtad-dmc", "all")
    page = html(project, "completion-report.html")
    regression = section(page, "Regression testing: scope, coverage and metrics")
    assert "3 DMCs, 2 functional groups (reads, supply)" in regression
    assert "no regression test: prepayment" in regression
    row_a = re.search(r"<tr><td>DMC-A</td>(.*?)</tr>", regression).group(1)
    assert re.findall(r">(\d+)<", row_a) == ["2", "2", "1", "1", "1", "0", "0"]  # one failure, a known defect
    assert "relay stuck &lt;closed&gt;" in regression
    issues = section(page, "(f) Outstanding Testing Issues")
    assert "<strong>test_disable</strong> on DMC-B, SRV 7.2, REQ-2" in issues
    assert "&lt;script&gt;alert(&#39;device&#39;)&lt;/script&gt; supply stayed on" in issues
    assert "TI-KNOWN-1" in issues
    risk = section(page, "Risk of what was not tested")
    req3 = re.search(r"<tr><td>REQ-3 .*?</tr>", risk, re.S).group(0)
    assert "planned tests not run on DMC-C" in req3 and ">3<" in req3 and "DMC-C" in req3.split("</td>")[-2]
    req1 = re.search(r"<tr><td>REQ-1 .*?</tr>", risk, re.S).group(0)
    assert "de-scoped on DMC-A, DMC-B, DMC-C" in req1 and "DMC-A, DMC-B, DMC-C</td></tr>" in req1
    descoped = section(page, "(c) Why tests were not run")
    assert "meter firmware withdrawn" in descoped and "TAB-2026-07" in descoped
    witnessed = section(page, "Witnessed tests (13.11")
    assert "TAG observer" in witnessed and "not named" in witnessed


def test_traceability_counts_leave_de_scoped_tests_out(project_single):
    project_single.tests(REGRESSION_RUN, name="test_regr")
    project_single.run("--svtad-dmc", "DMC-B")
    data = embedded_data(html(project_single, "heatmap.html"))
    req1 = next(row for row in data["requirements"] if row["id"] == "REQ-1")
    assert len(req1["by_dmc"]["DMC-B"]) == 2  # the panel lists both tests, the de-scoped one too
    page = html(project_single, "heatmap.html")
    assert re.search(r'data-req="REQ-1" data-dmc="DMC-B"[^>]*>1/1<', page)  # ...but counts only the planned one


def test_completion_notes_may_be_markdown_headings(project_single):
    notes = project_single.file("notes.md", """\
        # 9.4(h) Recommended further tests

        Re-run the PPMID display tests once devices arrive.

        - DMC-C <PPMID>
        - DMC-D

        ## 9.4(i) Lessons learnt
        Book PPMIDs early.
    """)
    project_single.tests(KNOWN_RUN)
    project_single.run("--svtad-dmc", "DMC-A", "--svtad-completion-notes", str(notes))
    page = html(project_single, "completion-report.html")
    further = section(page, "(h) Recommended further tests")
    assert "<p>Re-run the PPMID display tests once devices arrive.</p>" in further
    assert "<ul><li>DMC-C &lt;PPMID&gt;</li><li>DMC-D</li></ul>" in further
    assert "<p>Book PPMIDs early.</p>" in section(page, "(i) Lessons learnt")
    assert "Not provided (--svtad-completion-notes, key open_issues_view)" in page


def test_markdown_completion_notes_with_an_unknown_heading_are_a_one_line_usage_error(project_single):
    notes = project_single.file("notes.md", "## Lessons learnt\nok\n\n## Musings\nno\n")
    project_single.tests(KNOWN_RUN)
    run = project_single.run("--svtad-dmc", "DMC-A", "--svtad-completion-notes", str(notes))
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    lines = [line for line in run.text.splitlines() if line.startswith("ERROR: svtad:")]
    assert len(lines) == 1 and "notes.md:4" in lines[0] and "unknown heading 'Musings'" in lines[0]


def test_bad_completion_notes_are_a_one_line_usage_error(project_single):
    notes = project_single.file("notes.yaml", "lessons: typo\n")
    project_single.tests(KNOWN_RUN)
    run = project_single.run("--svtad-dmc", "DMC-A", "--svtad-completion-notes", str(notes))
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    lines = [line for line in run.text.splitlines() if line.startswith("ERROR: svtad:")]
    assert len(lines) == 1 and "notes.yaml:1" in lines[0] and "lessons" in lines[0]


MT_UNDER_MTAD = """\
    stages:
      DMCT-SRVT: {functional_pass_rate: 0.9}
    dmct_mt_under_mtad:  # 20.14: MT under the MTAD determined complete, so DMCT SRVT alone completes a DMC
      DMC-A: {completed: true, reference: "TAB 2026-11 minute 4"}
      DMC-B: {completed: true, reference: "TAB 2026-11 minute 4"}
      DMC-C: {completed: true, reference: "TAB 2026-11 minute 4"}
"""


def test_dmct_report_per_dmc_with_the_default_completion_rule(project):
    project.tests(KNOWN_RUN)
    criteria = project.file("criteria.yaml", MT_UNDER_MTAD)
    run = project.run("--svtad-dmc", "all", "--svtad-stage", "DMCT-SRVT", "--svtad-criteria", str(criteria))
    report = project.pytester.path / "report"
    assert sorted(path.name for path in report.glob("dmct-*.html")) == [
        "dmct-DMC-A.html", "dmct-DMC-B.html", "dmct-DMC-C.html"]
    page_b = (report / "dmct-DMC-B.html").read_text()
    assert "NOT COMPLETED" in page_b and "default rule of pytest-svtad" in page_b
    assert "below 90%" in page_b and "not recommended" in page_b
    assert "<strong>test_disable</strong> on DMC-B, SRV 7.2" in page_b and "route not yet decided" in page_b
    page_a = (report / "dmct-DMC-A.html").read_text()
    assert "No Testing Issue was raised for this DMC." in page_a
    assert ">COMPLETED<" in page_a and "recommend EPCL entry DMC-A" in page_a
    assert "DMCT DMC-C: NOT completed" in run.text  # a skipped witnessed test: not every pack test executed


def test_dmct_completion_rule_from_the_criteria_file(project_single):
    criteria = project_single.file("criteria.yaml", MT_UNDER_MTAD + """\
    dmct_completion: {all_executed: false, pass_rate: 0.5}
    """)
    project_single.tests(KNOWN_RUN)
    project_single.run("--svtad-dmc", "DMC-C", "--svtad-stage", "DMCT-SRVT", "--svtad-criteria", str(criteria))
    page = html(project_single, "dmct-DMC-C.html")
    assert ">COMPLETED<" in page and "at least 50% of planned" in page
    # inputs named relative to the invocation dir (issue 15 item 13), never by an absolute path
    assert "criteria file criteria.yaml" in page and str(criteria) not in page


def test_no_dmct_reports_outside_the_dmct_stages(project_single, shared_runs):
    run = known_run_of_every_dmc(project_single, shared_runs)
    assert not list((run.path / "report").glob("dmct-*.html"))


def allure_results(folder: Path) -> list[dict]:
    return [json.loads(path.read_text()) for path in folder.glob("*-result.json")]


def labels(result: dict, name: str) -> list[str]:
    return [label["value"] for label in result["labels"] if label["name"] == name]


def test_allure_results_are_labelled_once_each_with_the_verdict_result(project):
    project.tests(KNOWN_RUN)
    project.run("--svtad-dmc", "all", "--svtad-release", "IOC", "--alluredir", "allure",
                "--allure-link-pattern", "requirement:https://req.example/{}")
    folder = project.pytester.path / "allure"
    results = allure_results(folder)
    verdicts = [r for r in results if r["name"] == "SVTAD exit criteria"]
    tests = [r for r in results if r["name"] != "SVTAD exit criteria"]
    planned = [row["nodeid"] for row in json.loads("[" + ",".join(
        (project.pytester.path / "report" / "results.jsonl").read_text().splitlines()) + "]")]
    assert sorted(labels(r, "svtadNodeId")[0] for r in tests) == sorted(planned)  # nothing lost or doubled
    assert len(verdicts) == 1 and verdicts[0]["status"] == "failed"
    assert [step["name"].split(" ")[0] for step in verdicts[0]["steps"]][:3] == [
        "entry-criteria", "functional-execution", "functional-pass-rate"]  # 12.5 first
    disable_b = next(r for r in tests if labels(r, "svtadNodeId") == ["test_pack.py::test_disable[DMC-B]"])
    assert labels(disable_b, "parentSuite") == ["SIT"] and labels(disable_b, "suite") == ["DMC-B"]
    assert labels(disable_b, "subSuite") == ["supply"] and labels(disable_b, "feature") == ["supply"]
    assert labels(disable_b, "epic") == ["IOC"] and labels(disable_b, "story") == ["7.2"]
    assert "DMC-B" in labels(disable_b, "tag") and labels(disable_b, "severity") == ["critical"]
    assert disable_b["links"] == [{"type": "requirement", "url": "https://req.example/REQ-2", "name": "REQ-2"}]
    assert disable_b["statusDetails"]["message"].startswith("[SVTAD S2] ")
    environment = (folder / "environment.properties").read_text()
    assert "SVTAD.stage=SIT" in environment and "SVTAD.release=IOC" in environment
    assert re.search(r"^DMC-A=ESME Test esme fw 1\.0\.0;", environment, re.M)
    names = [row["name"] for row in json.loads((folder / "categories.json").read_text())]
    assert names[:4] == ["SVTAD exit criteria not met", "Known defects", "Device not responding (E20/E21)",
                         "Broken setups (errors outside the test body, crashed workers)"]
    assert "Testing Issue severity 2" in names
    executor = json.loads((folder / "executor.json").read_text())
    assert executor["reportName"] == "SVTAD SIT IOC: EXIT CRITERIA NOT MET"


def test_allure_has_a_result_for_a_test_whose_worker_crashed(project_xdist):
    project_xdist.tests("""
        import os
        import pytest

        @pytest.mark.ttm("REQ-1")
        def test_read(dmc):
            pass

        @pytest.mark.ttm("REQ-2")
        @pytest.mark.srv("7.2")
        @pytest.mark.severity(2)
        def test_disable(dmc):
            if dmc.id == "DMC-B":
                os._exit(3)
    """)
    project_xdist.run("--svtad-dmc", "all", "--alluredir", "allure",
                      "--allure-link-pattern", "requirement:https://req.example/{}")
    results = allure_results(project_xdist.pytester.path / "allure")
    by_nodeid = [labels(r, "svtadNodeId")[0] for r in results if r["name"] != "SVTAD exit criteria"]
    assert sorted(by_nodeid) == sorted(f"test_pack.py::{name}[{dmc}]" for name in ("test_read", "test_disable")
                                       for dmc in ("DMC-A", "DMC-B", "DMC-C"))
    crashed = next(r for r in results if labels(r, "svtadNodeId") == ["test_pack.py::test_disable[DMC-B]"])
    assert crashed["status"] == "broken" and crashed["statusDetails"]["message"].startswith(
        "[SVTAD S2] [worker crashed] ")
    assert labels(crashed, "suite") == ["DMC-B"] and labels(crashed, "story") == ["7.2"]
    assert crashed["links"] == [{"type": "requirement", "url": "https://req.example/REQ-2", "name": "REQ-2"}]


def test_allure_has_a_not_run_result_for_each_test_an_interrupted_session_never_reached(project_single):
    project_single.tests("""
        import pytest

        @pytest.mark.ttm("REQ-1")
        @pytest.mark.parametrize("i", range(3))
        def test_read(dmc, i):
            assert i != 0
    """)
    project_single.run("--svtad-dmc", "DMC-A", "--alluredir", "allure", "-x")
    results = [r for r in allure_results(project_single.pytester.path / "allure")
               if r["name"] != "SVTAD exit criteria"]
    assert sorted((labels(r, "svtadNodeId")[0], r["status"]) for r in results) == [
        ("test_pack.py::test_read[DMC-A-0]", "failed"), ("test_pack.py::test_read[DMC-A-1]", "skipped"),
        ("test_pack.py::test_read[DMC-A-2]", "skipped")]
    assert all(r["statusDetails"]["message"].startswith("[not run] ") for r in results if r["status"] == "skipped")


def test_allure_files_of_an_earlier_session_are_left_alone(project_single):
    project_single.tests(KNOWN_RUN)
    project_single.run("--svtad-dmc", "DMC-B", "--alluredir", "allure")
    folder = project_single.pytester.path / "allure"
    first = {path.name: path.read_text() for path in folder.glob("*-result.json")}
    project_single.run("--svtad-dmc", "DMC-B", "--alluredir", "allure")
    second = allure_results(folder)
    assert {name: (folder / name).read_text() for name in first} == first  # not prefixed twice, not rewritten
    assert len(second) == 2 * len(first)  # each session: its tests and its verdict, nothing added for the other


def test_environment_properties_escape_keys_and_non_ascii_values(project_single):
    model = project_single.pytester.path / "device_profiles" / "models" / "esme.yaml"
    model.write_text(model.read_text().replace("manufacturer: Test", "manufacturer: 'Tést = Co: ltd'"))
    project_single.tests(KNOWN_RUN)
    project_single.run("--svtad-dmc", "DMC-A", "--alluredir", "allure", "--svtad-sut-version", "DSP 4.2\\nx")
    environment = (project_single.pytester.path / "allure" / "environment.properties").read_bytes()
    assert environment.isascii()
    text = environment.decode()
    assert "DMC-A=ESME T\\u00e9st = Co: ltd esme fw 1.0.0;" in text
    assert "SVTAD.sut_version=DSP 4.2\\\\nx" in text


def test_allure_attaches_the_transcript_of_a_simulated_installation(project_single):
    project_single.tests("""
        import pytest

        @pytest.mark.ttm("REQ-1")
        @pytest.mark.srv("4.1.1")
        def test_read(smets1):
            assert smets1.request("4.1.1").ok
    """)
    project_single.run("--svtad-dmc", "DMC-A", "--alluredir", "allure")
    attachments = list((project_single.pytester.path / "allure").glob("*-attachment.txt"))
    assert len(attachments) == 1 and "4.1.1 Read Instantaneous Import Registers" in attachments[0].read_text()


def test_script_json_cannot_close_its_script_element():
    encoded = str(script_json({"reason": "</script><script>alert(1)</script>&amp;"}))
    assert "</script>" not in encoded and "&" not in encoded
    assert json.loads(encoded)["reason"] == "</script><script>alert(1)</script>&amp;"


def test_colour_marks_cells_under_the_pass_line_apart_from_cells_over_it():
    def red_and_blue(rate: float) -> tuple[int, int]:
        fill = rate_fill(rate, 0.9)
        return int(fill[1:3], 16), int(fill[5:7], 16)

    assert all(red > blue for red, blue in map(red_and_blue, (0.0, 0.5, 0.89)))  # orange under the line
    assert all(blue > red for red, blue in map(red_and_blue, (0.9, 0.95, 1.0)))  # blue from it


def test_a_regression_test_is_tagged_with_its_dmc_and_regression_once_each(project_single):
    project_single.tests("""
        import pytest

        @pytest.mark.ttm("REQ-1")
        @pytest.mark.regression
        def test_read(dmc):
            pass
    """)
    project_single.run("--svtad-dmc", "DMC-A", "--alluredir", "allure")
    results = allure_results(project_single.pytester.path / "allure")
    result = next(r for r in results if r["name"] != "SVTAD exit criteria")
    assert sorted(labels(result, "tag")) == ["DMC-A", "regression"]


@ONE_PROCESS
def test_reports_that_cannot_be_written_cost_neither_results_nor_verdict(project):
    project.tests(KNOWN_RUN)
    root = project.pytester.path
    (root / "report" / "heatmap.html").mkdir(parents=True)  # a folder where the file should go
    (root / "allure" / "environment.properties").mkdir(parents=True)
    run = project.run("--svtad-dmc", "all", "--alluredir", "allure")
    assert run.ret == 1  # tests failed: pytest's own status, not an error of the plugin
    verdict = run.verdict()
    assert verdict["verdict"] == "not_met" and len(run.results()) == 14
    assert any(note.startswith("heatmap.html not written: ") for note in verdict["notes"])
    assert any(note.startswith("Allure results not completed in ") for note in verdict["notes"])
    assert "note: heatmap.html not written: " in run.text
    assert (root / "report" / "completion-report.html").is_file()  # the other reports are still written
    assert (root / "report" / "heatmap.png").is_file()


def test_heatmap_png_of_40_dmcs_by_15_groups_keeps_numbers_that_fit_their_cells():
    from matplotlib.textpath import TextPath

    from pytest_svtad.reports.heatmap import PngLayout

    layout = PngLayout.for_grid(groups=15, columns=40)
    assert layout.annotate and layout.font >= 7
    cell_px = (layout.width - 2.8) / 40 * layout.DPI  # 2.8 inches hold the group names and the colour bar
    widest = max(TextPath((0, 0), text, size=layout.font).get_extents().width for text in ("12/12", "F12 NR12"))
    assert widest * layout.DPI / 72 < cell_px
    assert layout.width * layout.DPI < 3200  # fits a wall screen, not a poster
    assert not PngLayout.for_grid(groups=15, columns=61).annotate  # past 60 DMCs: colour only, numbers in the CSV


def test_work_off_plan_html_has_the_reports_look_with_owner_and_planned_fix(tmp_path, capsys):
    from pytest_svtad.cli import main
    from pytest_svtad.rules.issues import TestingIssue
    from pytest_svtad.store.db import Store

    url = f"sqlite:///{tmp_path / 'svtad.db'}"
    store = Store(url)
    store.begin_run(campaign="C", stage="SIT", release=None, sut_version="1", seed=0, host="h", firmware={})
    store.upsert_issues([TestingIssue(id="TI-1", title="late read", severity=3, provider="SMSO"),
                         TestingIssue(id="TI-2", title="no supply", severity=1)], stage="SIT", release=None,
                        campaign="C")
    store.close()
    main(["workoff", "--campaign", "C", "--tcc-date", "2026-03-27", "--today", "2026-06-01", "--format", "html",
          "--store", url])
    page = capsys.readouterr().out
    assert "<th>Owner</th><th>Planned fix</th>" in page
    assert "<td>SMSO</td><td class=\"fill\">to be planned</td>" in page
    assert "@media print" in page and "Work Off Plan — campaign C" in page  # base.html.j2, as every report
    assert "<tr class=\"error\"><td>TI-2</td>" in page and "<tr class=\"late\"><td>TI-1</td>" in page


def test_weekly_report_dates_have_no_microseconds_and_status_has_colour():
    from datetime import datetime

    from pytest_svtad.reports.html import page, when

    stamp = datetime(2026, 11, 27, 14, 3, 5, 123456)
    assert when(stamp) == when(stamp.isoformat()) == "2026-11-27 14:03"
    html_page = page("weekly.html.j2", campaign="C", week="2026-W48", monday="2026-11-23", sunday="2026-11-29",
                     exit_version="1.0", trend=[], week_runs=[], groups=[], dmcs=[], cells={}, pass_line=0.9,
                     png="weekly.png", open_now=[], closed=[],
                     opened=[{"id": "TI-1", "severity": 3, "status": "open", "first_seen": stamp, "title": "t"}])
    assert "2026-11-27 14:03<" in html_page and "123456" not in html_page and ":05" not in html_page
    assert '<span class="status status-open">open</span>' in html_page and ".status-open {" in html_page


def test_requirement_links_follow_the_ttm_url_column_without_a_link_pattern(project_single):
    root = project_single.pytester.path
    (root / "ttm.csv").write_text("requirement_id,functional_group,title,url\n"
                                  "REQ-1,reads,Read registers,https://req.example/items/REQ-1\n"
                                  "REQ-2,supply,Disable supply,\n")
    project_single.tests("""
        import pytest

        @pytest.mark.ttm("REQ-1", "REQ-2")
        def test_read(dmc):
            pass
    """)
    project_single.run("--svtad-dmc", "DMC-A", "--alluredir", "allure")
    result = next(r for r in allure_results(root / "allure") if r["name"] != "SVTAD exit criteria")
    assert sorted((link["name"], link["url"], link["type"]) for link in result["links"]) == [
        ("REQ-1", "https://req.example/items/REQ-1", "requirement"), ("REQ-2", "REQ-2", "requirement")]


def test_a_ttm_url_that_is_not_a_web_address_is_a_one_line_error(tmp_path):
    from pytest_svtad.errors import SvtadInputError
    from pytest_svtad.files.datafiles import load_ttm

    ttm = tmp_path / "ttm.csv"
    ttm.write_text("requirement_id,functional_group,title,url\nREQ-1,reads,Read,req-tool/REQ-1\n")
    with pytest.raises(SvtadInputError) as error:
        load_ttm(ttm)
    assert str(error.value).count("\n") == 0 and "ttm.csv:2" in str(error.value) and "url must start with" in str(
        error.value)


def test_heatmap_cells_use_one_colour_blind_safe_scale_in_png_and_html():
    from pytest_svtad.reports.heatmap import hex_colour, pass_rate_colour
    from pytest_svtad.reports.html import rate_fill

    def blue_over_red(rate: float) -> float:
        red, _, blue = pass_rate_colour(rate, 0.9)
        return blue - red

    assert all(blue_over_red(rate) < 0 for rate in (0.0, 0.5, 0.8999))  # orange under the line
    assert all(blue_over_red(rate) > 0 for rate in (0.9, 0.95, 1.0))  # blue from it: never red against green
    assert sum(pass_rate_colour(0.0, 0.9)) < sum(pass_rate_colour(0.89, 0.9))  # darker the further under
    assert sum(pass_rate_colour(1.0, 0.9)) < sum(pass_rate_colour(0.9, 0.9))
    assert rate_fill(0.85, 0.9) == hex_colour(pass_rate_colour(0.85, 0.9)) and rate_fill(None) == "#b0b0b0"
