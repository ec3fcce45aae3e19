"""The Testing Issue record, its lifecycle and audit trail, and the threshold counts over its attribution."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import fields

import pytest

from pytest_svtad.cli import main
from pytest_svtad.reports.files import ISSUE_COLUMNS, ISSUE_LOG_FIELDS, write_issue_log
from pytest_svtad.rules import issue_lifecycle as lifecycle
from pytest_svtad.rules.criteria import Criteria, EpclThresholds
from pytest_svtad.rules.issue_lifecycle import LifecycleError
from pytest_svtad.rules.issues import (
    FIELDS,
    STORED_FIELDS,
    TestingIssue,
    aggregate,
    by_epcl_entry,
    by_provider,
    extant_counts,
    on_dmc,
    over_limits,
)
from pytest_svtad.rules.verdict import _issue_thresholds
from pytest_svtad.store import Store
from pytest_svtad.store import schema as t
from pytest_svtad.store.fallback import read_fallback
from pytest_svtad.store.issues import BOOKKEEPING


def _issue(issue_id: str = "TI-1", severity: int = 3, **values) -> TestingIssue:
    return TestingIssue(id=issue_id, title=f"issue {issue_id}", severity=severity, **values)


# -- one record ---------------------------------------------------------------------------------------------------

def test_the_issue_table_holds_the_record_s_stored_fields_and_the_store_s_bookkeeping():
    assert {column.name for column in t.issues.columns} == set(STORED_FIELDS) | set(BOOKKEEPING)
    assert set(FIELDS) - set(STORED_FIELDS) == {"counted", "counted_because"}  # the phase's view, never stored


def test_the_issue_log_and_the_json_form_are_the_record_s_fields():
    assert set(ISSUE_LOG_FIELDS) <= set(FIELDS)
    assert ISSUE_COLUMNS[0] == "issue_id" and ISSUE_COLUMNS[1:] == ISSUE_LOG_FIELDS[1:]
    issue = _issue(dmcs=["D1", "D2"], count_in=[{"stage": "SIT", "release": None}], counted=False)
    assert list(issue.to_dict()) == [f.name for f in fields(TestingIssue)]
    assert TestingIssue.from_dict(json.loads(json.dumps(issue.to_dict()))) == issue


def test_a_record_from_a_row_takes_its_fields_by_name_and_leaves_the_bookkeeping():
    row = {**_issue().to_dict(), "uid": 7, "phase_key": "SIT", "first_seen": None, "related": None}
    issue = TestingIssue.from_dict(row)
    assert issue.related == [] and issue.id == "TI-1"
    with pytest.raises(ValueError, match="needs severity"):
        TestingIssue.from_dict({"id": "TI-1", "title": "t"})


def test_the_issue_log_row_shows_the_phase_and_whether_it_counts_there(tmp_path):
    path = tmp_path / "testing-issues.csv"
    write_issue_log(path, [_issue(dmcs=["D1", "D2"], cause="device"), _issue("TI-2", known_defect=True)],
                    "SIT", "IOC")
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert rows[0]["issue_id"] == "TI-1" and rows[0]["dmcs"] == "D1;D2" and rows[0]["counted"] == "false"
    assert rows[0]["stage"] == "SIT" and rows[0]["release"] == "IOC" and rows[0]["campaign"] == ""
    assert rows[1]["known_defect"] == "true" and rows[1]["counted"] == "true"


def test_a_fallback_issue_line_reads_back_as_the_record(tmp_path):
    issue = _issue(dmcs=["D1"], tests=["t[D1]"], stage="SIT")
    path = tmp_path / "store-fallback.jsonl"
    path.write_text(json.dumps({"type": "run", "stage": "SIT", "started_at": "2026-12-01T10:00:00+00:00"}) + "\n"
                    + json.dumps({"type": "issue", **issue.to_dict()}) + "\n")
    assert read_fallback(path).issues == {"TI-1": issue}


# -- the lifecycle (pure) -----------------------------------------------------------------------------------------

def test_closing_needs_a_reason():
    with pytest.raises(LifecycleError, match="needs a reason") as raised:
        lifecycle.close(_issue(), "  ")
    assert raised.value.needs == "reason"
    closed = lifecycle.close(_issue(), "fixed in 1.1")
    assert closed.issue.status == "closed" and closed.changed == {"status": "closed"}
    assert closed.events == (lifecycle.Event("status", "open", "closed", "fixed in 1.1"),)


def test_reopening_drops_the_tag_s_agreement_to_an_exclusion():
    excluded = lifecycle.exclude(_issue(), "rig fault", tag_agreed=True).issue
    assert excluded.status == "excluded" and excluded.tag_agreed and not excluded.extant
    reopened = lifecycle.reopen(excluded, "")
    assert reopened.issue.extant and not reopened.issue.tag_agreed
    assert [(e.change, e.old, e.new) for e in reopened.events] == [("status", "excluded", "open"),
                                                                  ("tag_agreed", "yes", "no")]


def test_an_exclusion_needs_a_rationale_and_says_it_in_its_events():
    with pytest.raises(LifecycleError, match="rationale"):
        lifecycle.exclude(_issue(), "", tag_agreed=True)
    events = lifecycle.exclude(_issue(), "rig fault", tag_agreed=False).events
    assert [(e.change, e.new, e.why) for e in events] == [("status", "excluded", "rig fault"),
                                                         ("rationale", "rig fault", "rig fault")]


def test_an_unchanged_value_is_no_event_and_bad_values_are_refused():
    assert lifecycle.set_severity(_issue(severity=3), "3", "why").events == ()
    with pytest.raises(LifecycleError, match="severity must be 1-5, got '6'"):
        lifecycle.set_severity(_issue(), "6", "")
    with pytest.raises(LifecycleError, match="cause must be one of dcc, device, undetermined"):
        lifecycle.set_cause(_issue(), "weather", "")
    with pytest.raises(LifecycleError, match="Service Provider"):
        lifecycle.set_provider(_issue(), " ", "")
    assert lifecycle.set_provider(_issue(), " CSP North ", "").issue.provider == "CSP North"


def test_an_agreement_to_count_in_a_phase_replaces_the_earlier_one_for_that_phase():
    sct = _issue(stage="SCT")
    first = lifecycle.count_in(sct, "SIT", "IOC", "TAG 1").issue
    second = lifecycle.count_in(first, "SIT", "IOC", "TAG 2")
    assert second.issue.count_in == [{"stage": "SIT", "release": "IOC", "agreement": "TAG 2", "clause": "13.22"}]
    assert second.events[0].why == "13.22: TAG 2"
    with pytest.raises(LifecycleError, match="agreement"):
        lifecycle.count_in(sct, "SIT", "IOC", "")


def test_a_failure_seen_again_adds_its_tests_reopens_and_takes_a_stated_cause():
    stored = _issue(status="closed", dmcs=["D1"], tests=["t[D1]"])
    again = _issue(dmcs=["D2"], tests=["t[D2]"], cause="dcc")
    seen = lifecycle.seen_again(stored, again, "run 2")
    assert seen.issue.dmcs == ["D1", "D2"] and seen.issue.status == "open" and seen.issue.cause == "dcc"
    assert seen.who == lifecycle.SYSTEM
    assert [(e.change, e.old, e.new) for e in seen.events] == [
        ("seen again", None, "t[D2]"), ("status", "closed", "open"), ("cause", "undetermined", "dcc")]
    assert lifecycle.seen_again(seen.issue, again, "run 3").events == ()  # nothing new: nothing recorded


# -- thresholds: one count over an attribution --------------------------------------------------------------------

def test_one_count_over_aggregate_provider_epcl_entry_and_dmc():
    issues = [_issue("A", 3, provider="CSP N", epcl_entries=["E1", "E2"], dmcs=["D1"]),
              _issue("B", 3, provider="CSP S", epcl_entries=["E2"], dmcs=["D2"]),
              _issue("C", 2, provider="CSP S", epcl_entries=["E1"], cause="device", dmcs=["D1"]),
              _issue("D", 4, status="closed", epcl_entries=["E1"], dmcs=["D1"])]
    assert extant_counts(issues, aggregate, "SIT")["aggregate"] == {1: 0, 2: 0, 3: 2, 4: 0, 5: 0}
    providers = extant_counts(issues, by_provider, "SIT", shown=("DCC",))
    assert list(providers) == ["DCC", "CSP N", "CSP S"] and providers["CSP S"][3] == 1
    by_entry = extant_counts(issues, by_epcl_entry, "DMCT-SRVT", sort=True)
    assert by_entry == {"E1": {1: 0, 2: 1, 3: 1, 4: 0, 5: 0}, "E2": {1: 0, 2: 0, 3: 2, 4: 0, 5: 0}}
    assert extant_counts(issues, on_dmc("D1", "E9"))["D1"] == {1: 0, 2: 1, 3: 1, 4: 0, 5: 0}
    assert over_limits(by_entry, {1: 0, 2: 0, 3: 5, 4: 5, 5: 5}) == ["E1"]


def test_table_13_2_is_counted_per_provider_and_names_the_one_over():
    issues = ([_issue(f"N{i}", 3, provider="CSP N", cause="dcc") for i in range(16)]
              + [_issue("S1", 3, provider="CSP S", cause="dcc")])
    criterion, limits, *_ = _issue_thresholds("SIT", issues, Criteria(providers=["CSP N", "CSP S"]))
    assert criterion.status == "not_met" and limits is not None
    assert criterion.detail == ("extant Testing Issues per DCC Service Provider against Table 13.2 limits for SIT: "
                                "CSP N S1 0/0, S2 0/0, S3 16/15 OVER, S4 0/30, S5 0/60; "
                                "CSP S S1 0/0, S2 0/0, S3 1/15, S4 0/30, S5 0/60; over the limits: CSP N")


def test_per_epcl_entry_limits_and_their_aggregate_are_both_checked():
    limits = {"per_entry": {1: 0, 2: 0, 3: 1, 4: 5, 5: 5}, "aggregate": {1: 0, 2: 0, 3: 2, 4: 5, 5: 5}}
    criteria = Criteria(per_epcl_entry=True, epcl_thresholds=EpclThresholds(**limits))
    within = [_issue("A", 3, epcl_entries=["E1"]), _issue("B", 3, epcl_entries=["E2"])]
    assert _issue_thresholds("SIT", within, criteria)[0].status == "met"
    aggregate_over = within + [_issue("C", 3, epcl_entries=["E3"])]
    criterion = _issue_thresholds("SIT", aggregate_over, criteria)[0]
    assert criterion.status == "not_met" and "EPCL entries over" not in criterion.detail
    entry_over = within + [_issue("C", 3, epcl_entries=["E1"])]
    assert "EPCL entries over their limit: E1" in _issue_thresholds("SIT", entry_over, criteria)[0].detail


# -- the audit trail, through the store and `svtad issues` --------------------------------------------------------

@pytest.fixture
def store(tmp_path, monkeypatch) -> str:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'svtad.db'}"
    made = Store(url)
    made.upsert_issues([_issue("TI-1", dmcs=["D1"], tests=["t[D1]"], test_key="t")], stage="SIT",
                       release="IOC", campaign="C", run_id=1)
    made.close()
    return url


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_show_prints_human_text_and_the_trail_with_who_when_and_why(store, capsys, monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "ann")
    assert _cli(capsys, "issues", "exclude", "TI-1", "--rationale", "rig fault", "--store", store)[0] == 0
    assert _cli(capsys, "issues", "close", "TI-1", "--reason", "fixed in 1.1", "--by", "Bob", "--store",
                store)[0] == 0
    code, out, _ = _cli(capsys, "issues", "show", "TI-1", "--store", store)
    assert code == 0
    for python_form in ("None", "False", "True", "['", "{'", "+00:00"):
        assert python_form not in out
    assert re.search(r"first_seen: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\n", out)  # no microseconds
    assert "known_defect: no" in out and "epcl_entries: -" in out and "dmcs: D1\n" in out
    assert re.search(r"\d\d:\d\d:\d\d UTC pytest-svtad: raised: - -> issue TI-1 \(failed in run 1\)", out)
    assert "ann: status: open -> excluded (rig fault)" in out  # --by defaults to the OS user
    assert "ann: rationale: - -> rig fault (rig fault)" in out
    assert "Bob: status: excluded -> closed (fixed in 1.1)" in out


def test_closing_without_a_reason_is_one_line_and_changes_nothing(store, capsys):
    code, out, err = _cli(capsys, "issues", "close", "TI-1", "--store", store)
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.strip() == ("svtad: error: issues close TI-1: closing a Testing Issue needs a reason (it goes into "
                           "its history); give it with --reason")
    reader = Store(store)
    row = reader.issue("TI-1")
    assert row["status"] == "open" and [e["change"] for e in reader.history(row["uid"])] == ["raised"]
    reader.close()


def test_every_change_is_an_event_in_the_store(store, capsys):
    for argv in (("set-severity", "TI-1", "2"), ("set-cause", "TI-1", "dcc"), ("set-provider", "TI-1", "CSP N"),
                 ("count-in", "TI-1", "UTS", "--agreement", "TAG 9"), ("reopen", "TI-1")):
        assert _cli(capsys, "issues", *argv, "--reason", "review 3", "--by", "tm", "--store", store)[0] == 0
    reader = Store(store)
    row = reader.issue("TI-1")
    trail = [(e["change"], e["old"], e["new"], e["who"]) for e in reader.history(row["uid"])]
    reader.close()
    assert trail == [("raised", None, "issue TI-1", "pytest-svtad"), ("severity", "3", "2", "tm"),
                     ("cause", "undetermined", "dcc", "tm"), ("provider", "DCC", "CSP N", "tm"),
                     ("counted in", None, "UTS IOC", "tm")]  # reopening an open issue changes nothing
    code, _, err = _cli(capsys, "issues", "set-severity", "TI-1", "7", "--store", store)
    assert code == 2 and err.strip() == "svtad: error: issues set-severity TI-1: severity must be 1-5, got '7'"


def test_a_later_run_s_new_dmc_and_stated_cause_are_in_the_trail(store):
    writer = Store(store)
    writer.upsert_issues([_issue("TI-1", dmcs=["D2"], tests=["t[D2]"], cause="dcc", test_key="t")], stage="SIT",
                         release="IOC", campaign="C", run_id=2)
    row = writer.issue("TI-1")
    trail = [(e["change"], e["new"], e["why"]) for e in writer.history(row["uid"])]
    writer.close()
    assert row["dmcs"] == ["D1", "D2"] and row["cause"] == "dcc"
    assert trail[1:] == [("seen again", "t[D2]", "failed again in run 2"),
                         ("cause", "dcc", "stated by the test that failed again in run 2")]
