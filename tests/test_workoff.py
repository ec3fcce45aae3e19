"""Work Off Plans (15.1-15.2): Working Days over Christmas and Easter, counted by hand."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from pytest_svtad.cli import main
from pytest_svtad.files.calendar import bank_holidays
from pytest_svtad.rules.issues import TestingIssue
from pytest_svtad.rules.workoff import add_working_days, work_off_plan
from pytest_svtad.store import Store

ENGLAND = bank_holidays(date(2026, 1, 1), date(2027, 12, 31))


def test_twenty_working_days_over_christmas_2026():
    # TCC Fri 18 Dec 2026. Working Days: 21, 22, 23, 24 Dec (4); 25 Dec and 28 Dec (Boxing Day observed) are bank
    # holidays; 29, 30, 31 Dec (7); 1 Jan 2027 is a bank holiday; 4-8 Jan (12); 11-15 Jan (17); 18, 19, 20 Jan (20)
    assert add_working_days(date(2026, 12, 18), 20, ENGLAND) == date(2027, 1, 20)


def test_twenty_working_days_over_easter_2026():
    # TCC Fri 27 Mar 2026. 30, 31 Mar, 1, 2 Apr (4); Good Friday 3 Apr and Easter Monday 6 Apr; 7-10 Apr (8);
    # 13-17 Apr (13); 20-24 Apr (18); 27, 28 Apr (20)
    assert add_working_days(date(2026, 3, 27), 20, ENGLAND) == date(2026, 4, 28)


def test_forty_and_sixty_working_days_from_christmas_eve():
    # Thu 24 Dec 2026: 25 and 28 Dec bank holidays; 29-31 Dec (3); 1 Jan holiday; 4-8 Jan (8), 11-15 (13),
    # 18-22 (18), 25-29 (23), 1-5 Feb (28), 8-12 (33), 15-19 (38), 22, 23 Feb (40); 24-26 Feb (43), 1-5 Mar (48),
    # 8-12 (53), 15-19 (58), 22, 23 Mar (60)
    assert add_working_days(date(2026, 12, 24), 40, ENGLAND) == date(2027, 2, 23)
    assert add_working_days(date(2026, 12, 24), 60, ENGLAND) == date(2027, 3, 23)


def test_scotland_has_its_own_bank_holidays():
    scotland = bank_holidays(date(2026, 1, 1), date(2027, 12, 31), "SCT")
    assert date(2027, 1, 4) in scotland  # 2 January (observed)
    assert date(2027, 1, 4) not in ENGLAND
    assert add_working_days(date(2026, 12, 18), 20, scotland) == date(2027, 1, 21)


def _issue(issue_id: str, severity: int, status: str = "open") -> TestingIssue:
    return TestingIssue(id=issue_id, title=f"issue {issue_id}", severity=severity, status=status)


def test_plan_dates_by_severity_flags_lateness_and_refuses_severity_one_and_two():
    issues = [_issue("A", 3), _issue("B", 4), _issue("C", 5), _issue("D", 2), _issue("E", 3, "closed")]
    items = work_off_plan(issues, date(2026, 12, 18), date(2027, 1, 21), ENGLAND)
    by_id = {item.issue_id: item for item in items}
    assert set(by_id) == {"A", "B", "C", "D"}  # closed issues are not on the plan
    assert by_id["A"].due_date == date(2027, 1, 20) and by_id["A"].needs_correction_plan  # a day late (15.2)
    assert by_id["B"].due_date == date(2027, 2, 17) and not by_id["B"].needs_correction_plan
    assert by_id["C"].due_date == date(2027, 3, 17)
    assert by_id["D"].due_date is None and "cannot go on a Work Off Plan" in by_id["D"].error
    assert [item.issue_id for item in items] == ["D", "A", "B", "C"]


@pytest.fixture
def store_with_issues(tmp_path):
    url = f"sqlite:///{tmp_path / 'svtad.db'}"
    store = Store(url)
    store.begin_run(campaign="SIT-FOC", stage="SIT", release="FOC", sut_version="1", seed=0, host="h", firmware={})
    store.upsert_issues([_issue("TI-3", 3), _issue("TI-5", 5)], stage="SIT", release="FOC", campaign="SIT-FOC")
    store.close()
    return url


def test_workoff_command_writes_csv_with_due_dates(store_with_issues, capsys):
    code = main(["workoff", "--campaign", "SIT-FOC", "--tcc-date", "2026-03-27", "--today", "2026-04-01",
                 "--store", store_with_issues])
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert code == 0
    assert [(r["issue_id"], r["severity"], r["due_date"]) for r in rows] == [
        ("TI-3", "3", "2026-04-28"), ("TI-5", "5", "2026-06-25")]  # 60: May Day and Spring Bank Holiday skipped


def test_workoff_html_escapes_titles(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'svtad.db'}"
    store = Store(url)
    store.begin_run(campaign="C", stage="SIT", release=None, sut_version="1", seed=0, host="h", firmware={})
    store.upsert_issues([TestingIssue(id="TI-X", title="<script>alert(1)</script>", severity=3)], stage="SIT",
                        release=None, campaign="C")
    store.close()
    assert main(["workoff", "--campaign", "C", "--tcc-date", "2026-03-27", "--format", "html", "--store", url]) == 0
    page = capsys.readouterr().out
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_workoff_errors_are_one_line(store_with_issues, capsys):
    assert main(["workoff", "--campaign", "NOPE", "--tcc-date", "2026-03-27", "--store", store_with_issues]) == 2
    assert "no runs of campaign 'NOPE'" in capsys.readouterr().err
    assert main(["workoff", "--campaign", "SIT-FOC", "--tcc-date", "27/03/2026", "--store", store_with_issues]) == 2
    assert "--tcc-date: expected a date YYYY-MM-DD" in capsys.readouterr().err
