"""``svtad dmct``: the DMCT Process run from the command line in the order a DCC runs it (import, consider with each
reason of 20.6(a)-(f), notices, disagreement, into test, routes, 20.18, Status List as of a date, dashboard), bad
input as one line with exit status 2, the dashboard and the weekly report in headless Chromium, and the DMCT Report
of a session showing each Testing Issue's route (20.29(e))."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import update

from pytest_svtad.cli.main import main
from pytest_svtad.rules import dmct_process as rules
from pytest_svtad.rules.dmct_process import Status, Submission
from pytest_svtad.store import Store
from pytest_svtad.store import schema as t
from pytest_svtad.store.dmct import DmctRegister

ROOT = Path(__file__).resolve().parents[1]
PROFILES = str(ROOT / "device_profiles")
CHROMIUM = os.environ.get("SVTAD_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
# Clause 20 effective 10 Dec 2026: the first window is January 2027, whose 5th Working Day is Fri 8 Jan (25 and
# 28 Dec and 1 Jan are bank holidays); a submission received Mon 11 Jan is late.
SUBMISSIONS = """\
supplier,dmc,received,devices,quantity,epcl_entries,unchanged,missing,submitted_only
Acme Energy,DMC-001,2027-01-04,ESME:E470@2.1;CH:Hub@1.0,1200,EPCL-001-A,,,
Acme Energy,DMC-002,2027-01-05,ESME:E470@2.1,40,EPCL-002-A,,,
Acme Energy,DMC-003,2027-01-05,ESME:E470@2.1,40,EPCL-003-A,,,
Beta Power,DMC-001,2027-01-06,ESME:E470@2.1;CH:Hub@1.0,300,EPCL-001-A,,,
Beta Power,DMC-004,2027-01-07,ESME:E470@2.1,9,EPCL-004-A,,,
Beta Power,DMC-005,2027-01-08,ESME:E470@2.1,9,EPCL-005-A,,,
Beta Power,DMC-006,2027-01-08,ESME:E470@2.1,9,EPCL-006-A,,,
Gamma Gas,DMC-X1,2027-01-11,,,EPCL-X,,devices;quantity,yes
"""


def svtad(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def dmct(tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]):
    """A store through the whole DMCT Process (dates in early 2027)."""
    (tmp_path / "subs.csv").write_text(SUBMISSIONS)
    store = ("--store", store_url)

    def run(*argv: str) -> str:
        code, out, err = svtad(capsys, "dmct", *argv, *store)
        assert code == 0, err
        return out

    out = run("import", str(tmp_path / "subs.csv"), "--profiles", PROFILES, "--effective", "2026-12-10",
              "--by", "tm")
    assert "8 submission(s)" in out
    assert "DMC-X1 received 2027-01-11, outside every 20.2 window" in out
    assert "DMC-X1         data missing" in out  # 20.4: the DCC sources devices and quantity
    run("source", "DMC-X1", "--unsourced", "--why", "the SMSO has no records", "--on", "2027-01-20")  # 20.5
    run("consider", "DMC-001", "--include", "--on", "2027-01-20")
    run("consider", "DMC-002", "--reason", "a", "--on", "2027-01-20")
    run("consider", "DMC-003", "--reason", "d", "--rationale", "same ESME and CH <b>firmware</b>",
        "--equivalent", "EPCL-0042", "--on", "2027-01-20")
    run("consider", "DMC-004", "--reason", "c", "--rationale", "=SIT for MOC late", "--on", "2027-01-20")
    run("consider", "DMC-005", "--reason", "e", "--rationale", "no CH stock", "--on", "2027-01-20")
    run("consider", "DMC-006", "--reason", "f", "--sos-decision", "agreed 2027-01-18", "--on", "2027-01-20")
    run("transition", "DMC-001", "scheduled", "--why", "schedule v1 published", "--clause", "20.9",
        "--on", "2027-01-25")
    run("transition", "DMC-001", "in test", "--why", "DMCT SRVT started", "--on", "2027-02-01")
    return run, tmp_path


def test_the_dmct_process_from_the_command_line(dmct):
    run, tmp_path = dmct
    # -- the Status List (20.8), as of any date, exported
    before = run("status", "--as-of", "2027-01-10")
    assert "DMC-001        data complete" in before and "DMC-X1" not in before  # received on the 11th
    out = run("status", "--as-of", "2027-01-31", "--csv", str(tmp_path / "list.csv"),
              "--html", str(tmp_path / "list.html"))
    assert "DMC-001        scheduled" in out and "counts: scheduled 1, excluded 6" in out
    rows = {row["dmc"]: row for row in csv.DictReader(io.StringIO((tmp_path / "list.csv").read_text()))}
    assert rows["DMC-003"]["reason"].startswith("20.6(d)") and rows["DMC-003"]["equivalent"] == "EPCL-0042"
    assert rows["DMC-004"]["rationale"] == "'=SIT for MOC late"  # a spreadsheet shows it, does not run it
    assert rows["DMC-001"]["suppliers"] == "Acme Energy; Beta Power"
    page = (tmp_path / "list.html").read_text()
    assert "&lt;b&gt;firmware&lt;/b&gt;" in page and "<b>firmware" not in page
    history = run("history", "DMC-001")
    assert "2027-01-25  considered -> scheduled  by " in history and "[20.9]  schedule v1 published" in history

    # -- 20.11 notices: per Supplier Party, the reason, the rationale for (c)-(e), the equivalent for (d)
    run("notices", "--out", str(tmp_path / "notices"), "--as-of", "2027-02-01")
    acme = (tmp_path / "notices" / "dmct-notice-acme-energy.txt").read_text()
    assert "- DMC-002: 20.6(a): already on the SMETS1 Eligible Product Combinations list" in acme
    assert "- DMC-003: 20.6(d)" in acme and "equivalent to: EPCL-0042" in acme
    assert "rationale: same ESME and CH <b>firmware</b>" in acme  # a text file: kept as written
    assert "DMC-001" not in acme  # in test, not excluded
    assert "before the next submission window opens on 2027-03-01" in acme  # every second month from January
    beta = (tmp_path / "notices" / "dmct-notice-beta-power.txt").read_text()
    listed, others = beta.split("on other grounds")
    assert "DMC-004: 20.6(c)" in listed and "DMC-005: 20.6(e)" in listed and "no CH stock" in listed
    assert "DMC-006: 20.6(f), 20.7" in others and "Secretary of State's decision: agreed 2027-01-18" in others
    assert "DMC-X1: 20.5" in (tmp_path / "notices" / "dmct-notice-gamma-gas.txt").read_text()
    assert sorted(p.name for p in (tmp_path / "notices").iterdir()) == [
        "dmct-notice-acme-energy.txt", "dmct-notice-beta-power.txt", "dmct-notice-gamma-gas.txt"]

    # -- 20.12 disagreements, 20.19-20.25 routes, 20.18 devices no longer available
    assert "DMC-003: scheduled (20.12(a))" in run("disagree", "DMC-003", "--supplier", "Acme Energy", "--why",
                                                  "different CH", "--on", "2027-02-02")
    assert "DMC-004: referred (20.12(b))" in run("disagree", "DMC-004", "--supplier", "Beta Power", "--why",
                                                 "SIT on time", "--on", "2027-02-02")
    out = run("route", "DMC-001", "--issue", "TI-3", "--route", "a", "--material-impact", "--on", "2027-02-03")
    assert "20.20(b)" in out and "now scheduled" in out and "revise the DMC's completion dates" in out
    run("transition", "DMC-001", "in test", "--why", "re-run", "--on", "2027-02-04")
    run("unavailable", "DMC-001", "--why", "two of three CHs failed", "--on", "2027-02-05")
    run("transition", "DMC-003", "in test", "--why", "started", "--on", "2027-02-06")
    out = run("route", "DMC-003", "--issue", "TI-9", "--route", "c", "--device-change", "firmware",
              "--sos-agreed", "yes", "--resolution", "firmware 2.2 required", "--on", "2027-02-10")
    assert "20.23(a)" in out and "now ended" in out
    run("transition", "DMC-005", "scheduled", "--why", "CHs sourced after all", "--on", "2027-02-06")
    run("transition", "DMC-005", "in test", "--why", "started", "--on", "2027-02-07")
    run("transition", "DMC-005", "failed", "--why", "3 of 40 SRVs failed: TI-4, TI-5", "--on", "2027-02-08")
    run("notices", "--out", str(tmp_path / "n"))
    notice = (tmp_path / "n" / "dmct-notice-devices-unavailable.txt").read_text()
    assert "20.18" in notice and "the Secretary of State" in notice and "DMC-001 (since 2027-02-05)" in notice
    assert "DMC-003" not in (tmp_path / "n" / "dmct-notice-acme-energy.txt").read_text()  # ended, not excluded
    beta = (tmp_path / "n" / "dmct-notice-beta-power.txt").read_text()
    assert "failed testing" in beta and "- DMC-005 (since 2027-02-08): 3 of 40 SRVs failed: TI-4, TI-5" in beta
    out = run("status")
    assert "DMC-001        devices unavailable" in out and "DMC-004        referred" in out
    assert "DMC-003        ended" in out
    assert "route (c) 20.23(a)" in run("history", "DMC-003") and "firmware 2.2 required" in run("history", "DMC-003")


@pytest.mark.parametrize(("argv", "expected"), [
    (["consider", "DMC-002", "--reason", "c"], "reason 20.6(c) needs a rationale (20.11(b)): give --rationale"),
    (["consider", "DMC-002", "--reason", "d", "--rationale", "x"], "needs the equivalent DMC or EPCL entry"),
    (["consider", "DMC-002", "--reason", "f"], "needs the Secretary of State's decision (20.7)"),
    (["transition", "DMC-002", "completed", "--why", "x"], "DMC DMC-002 cannot go from 'data complete' to "
                                                           "'completed'"),
    (["transition", "DMC-002", "done", "--why", "x"], "unknown DMCT status 'done'"),
    (["transition", "DMC-002", "considered", "--why", "x", "--on", "2027-02-30"], "--on: expected a date"),
    (["status", "--as-of", "yesterday"], "--as-of: expected a date YYYY-MM-DD"),
    (["disagree", "DMC-001", "--supplier", "Acme", "--why", "x"], "is 'data complete', not excluded"),
    (["route", "DMC-002", "--issue", "T", "--route", "c"], "route (c) needs --device-change"),
])
def test_refused_changes_and_bad_values_are_one_line_with_status_2(tmp_path, capsys, argv, expected):
    url = f"sqlite:///{tmp_path / 's.db'}"
    register = DmctRegister(Store(url))
    for dmc in ("DMC-001", "DMC-002"):
        register.submit(Submission("Acme", dmc, date(2026, 11, 2), devices={"ESME": {"model": "E", "firmware": "1"}},
                                   quantity=1, epcl_entries=("E",)), window=None)
    code, out, err = svtad(capsys, "dmct", *argv, "--store", url)
    assert code == 2 and expected in err and err.count("\n") == 1 and "Traceback" not in err


def test_bad_submission_file_is_one_line_and_records_nothing(tmp_path, capsys):
    bad = tmp_path / "subs.csv"
    bad.write_text(SUBMISSIONS.replace("Beta Power,DMC-004,2027-01-07", "Beta Power,DMC-404,2027-01-07"))
    url = f"sqlite:///{tmp_path / 's.db'}"
    code, _, err = svtad(capsys, "dmct", "import", str(bad), "--profiles", PROFILES, "--store", url)
    assert code == 2 and err.count("\n") == 1
    assert "subs.csv:6: field 'dmc': DMC 'DMC-404' is not in the device profiles" in err
    assert not (tmp_path / "s.db").exists()


def test_windows_lists_the_hand_counted_january_and_march_dates(capsys):
    code, out, _ = svtad(capsys, "dmct", "windows", "--effective", "2026-12-10", "--until", "2027-03-31")
    assert code == 0
    assert "January 2027: data request by 2026-12-15; submissions 2027-01-04 to 2027-01-08" in out
    assert "March 2027: data request by 2027-02-12; submissions 2027-03-01 to 2027-03-05" in out
    assert "February" not in out


def chromium(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    if CHROMIUM is None:
        pytest.skip("no chromium: set SVTAD_CHROMIUM")
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", *extra, url],
                          capture_output=True, text=True, timeout=120, check=False)


def test_dashboard_and_weekly_report_show_dmct_progress_in_chromium(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 's.db'}"
    store = Store(url)
    register = DmctRegister(store)
    for i in range(6):
        register.submit(Submission("Acme", f"DMC-{i}", date(2026, 11, 23), devices={"ESME": {"model": "E",
                                                                                              "firmware": "1"}},
                                   quantity=1, epcl_entries=(f"E{i}",)), window=None)
    register.exclude("DMC-0", rules.REASONS["e"], rationale="<script>alert(1)</script>", on=date(2026, 11, 24))
    register.exclude("DMC-1", rules.REASONS["e"], rationale="none in stock", on=date(2026, 11, 24))
    register.exclude("DMC-2", rules.REASONS["b"], on=date(2026, 11, 24))
    for status in (Status.CONSIDERED, Status.SCHEDULED, Status.IN_TEST):
        register.transition("DMC-3", status, why="on", on=date(2026, 11, 25))
    register.record_route("DMC-3", "TI-1", "d", outcome=rules.route_outcome("d"), device_change=None,
                          on=date(2026, 11, 26))
    run_id = store.begin_run(campaign="C", stage="DMCT-SRVT", release="IOC", sut_version="1.0", seed=0, host="h",
                             firmware={})
    store.finish_run(run_id, interrupted=False, verdict="met")
    with store.engine.begin() as conn:  # a run of that week, whatever today is
        conn.execute(update(t.runs).values(started_at=datetime(2026, 11, 24, 9, tzinfo=UTC),
                                           ended_at=datetime(2026, 11, 24, 10, tzinfo=UTC)))
    page = tmp_path / "dash.html"
    code, out, err = svtad(capsys, "dmct", "dashboard", "--out", str(page), "--store", url)
    assert code == 0, err
    dom = chromium(page.as_uri(), "--dump-dom").stdout
    assert 'data-status="excluded"><td>excluded</td><td class="num">3</td>' in dom
    assert 'data-status="testing issue route"><td>testing issue route</td><td class="num">1</td>' in dom
    assert 'data-reason="e"><td>suitable devices' in dom and '<td>20.6(e)</td><td class="num">2</td>' in dom
    assert "<script>alert(1)" not in dom and "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert 'id="timeline-empty"' in dom  # no schedule recorded: said, not drawn empty
    shots = tmp_path / "screenshots"
    shots.mkdir()
    chromium(page.as_uri(), f"--screenshot={shots / 'dmct-dashboard.png'}", "--window-size=1300,1400")
    assert (shots / "dmct-dashboard.png").stat().st_size > 10_000
    code, out, err = svtad(capsys, "weekly", "--campaign", "C", "--week", "2026-W48", "--output",
                           str(tmp_path / "weekly"), "--store", url)
    assert code == 0, err
    weekly = (tmp_path / "weekly" / "weekly-2026-W48.html").read_text()  # static HTML, as the report tests read it
    assert "DMCT Process progress (16.2" in weekly
    assert "6 DMCs on the DMCT Status List at the end of the week: data complete 2, testing issue route 1, " \
           "excluded 3." in weekly
    assert "<td>DMC-3</td><td>2026-11-26</td><td>in test</td><td>testing issue route</td>" in weekly
    assert "Acme" not in weekly  # 16.1: anonymised


def test_the_dmct_report_shows_each_testing_issue_s_route_and_resolution(project):
    store_path = project.pytester.path / "store.db"
    register = DmctRegister(Store(f"sqlite:///{store_path}"))
    register.submit(Submission("Acme", "DMC-B", date(2026, 11, 2), devices={"ESME": {"model": "E", "firmware": "1"}},
                               quantity=1, epcl_entries=("EPCL-B",)), window=None)
    for status in (Status.CONSIDERED, Status.SCHEDULED, Status.IN_TEST):
        register.transition("DMC-B", status, why="on", on=date(2026, 11, 3))
    register.record_route("DMC-B", "TI-OLD", "d", outcome=rules.route_outcome("d", draft_published=True),
                          device_change=None, resolution="SEC draft published", on=date(2026, 11, 4))
    register.record_route("DMC-B", "TI-77", "a", outcome=rules.route_outcome("a"), device_change=None,
                          resolution="head-end fix 4.2 deployed", on=date(2026, 11, 5))
    assert register.dmc("DMC-B").status is Status.SCHEDULED  # 20.20: re-run the test pack
    project.tests("""
        import pytest

        @pytest.mark.ttm("REQ-1")
        @pytest.mark.known_defect("TI-77")
        def test_read(dmc):
            assert False, "no response"
    """)
    run = project.run("--svtad-dmc", "DMC-B", "--svtad-stage", "DMCT-SRVT", "--svtad-store", str(store_path))
    page = (run.path / "report" / "dmct-DMC-B.html").read_text()
    assert "route (a) 20.20(a): change the DCC Internal Systems" in page
    assert "resolution: head-end fix 4.2 deployed" in page
    assert "<td>TI-OLD</td><td>(d)</td><td>20.25(a)</td>" in page and "SEC draft published" in page
    assert register.dmc("DMC-B").status is Status.IN_TEST  # the DMCT run: testing commenced (20.13)
    assert "DMCT Status List: DMC-B in test" in run.verdict()["notes"]


def test_dashboard_draws_a_timeline_bar_per_planned_entry_with_its_dates_escaped():
    from pytest_svtad.reports.dmct_dashboard import TimelineBar, dashboard_html

    bars = [TimelineBar("DMC-1", "EPCL-<i>1</i>", date(2027, 3, 1), date(2027, 4, 30)),
            TimelineBar("DMC-2", "EPCL-2", date(2027, 5, 3), date(2027, 6, 11), label="dormant only (20.9)")]
    page = dashboard_html([], as_of=date(2027, 2, 1), timeline=bars)
    assert page.count('<rect class="plan"') == 2 and 'id="timeline-empty"' not in page
    assert "DMC-1 · EPCL-&lt;i&gt;1&lt;/i&gt;" in page and "<i>1</i>" not in page
    assert "<title>DMC-2 EPCL-2: 2027-05-03 to 2027-06-11 (dormant only (20.9))</title>" in page
    assert [label in page for label in ("Mar 2027", "Apr 2027", "May 2027", "Jun 2027")] == [True] * 4
    assert "0 DMCs on the DMCT Status List" in page
