"""The DMCT Process (SVTAD Clause 20) as rules and records: statuses and transitions (20.8), the reasons a DMC is
left out (20.5, 20.6(a)-(f), 20.7, 20.11(b)), disagreements (20.12), Testing Issue routes (20.19-20.25), devices no
longer available (20.18), the 20.2 submission windows in Working Days (hand-counted around Christmas and Easter),
submission files, and the store: as-of Status Lists, history, and concurrent transitions from two processes."""

from __future__ import annotations

import multiprocessing
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, inspect, select

from pytest_svtad.errors import SvtadInputError
from pytest_svtad.files.calendar import bank_holidays
from pytest_svtad.files.dmct_submissions import load_submissions
from pytest_svtad.rules import dmct_process as rules
from pytest_svtad.rules.dmct_process import DmctProcessError, Status, Submission
from pytest_svtad.store import SCHEMA_VERSION, Store
from pytest_svtad.store import schema as t
from pytest_svtad.store.dmct import DmctRegister, counts_by_status, exclusions_by_reason, record_dmct_run
from pytest_svtad.store.migrations import DMCT_TABLES_5, legacy_metadata

HOLIDAYS = bank_holidays(date(2025, 1, 1), date(2028, 12, 31))  # England and Wales


# -- 20.2 windows, hand-counted --------------------------------------------------------------------------------

def test_january_window_after_christmas_skips_boxing_day_substitute_and_new_year():
    # Christmas 2026: Fri 25 Dec and Mon 28 Dec (Boxing Day's substitute) are bank holidays, Fri 1 Jan 2027 too.
    # Submissions: the first 5 Working Days of January are Mon 4 to Fri 8.
    # Data request: 10 whole Working Days before 1 Jan: 31, 30, 29, 24, 23, 22, 21, 18, 17, 16 Dec -> by Tue 15 Dec.
    window = rules.submission_window(date(2027, 1, 1), HOLIDAYS)
    assert (window.opens, window.closes, window.data_request_by) == (
        date(2027, 1, 4), date(2027, 1, 8), date(2026, 12, 15))


def test_april_2026_window_loses_good_friday_and_easter_monday():
    # Easter 2026: Good Friday 3 April, Easter Monday 6 April. April's Working Days: 1, 2, 7, 8, 9 -> closes Thu 9.
    # Data request: 31, 30, 27, 26, 25, 24, 23, 20, 19, 18 March -> by Tue 17 March.
    window = rules.submission_window(date(2026, 4, 1), HOLIDAYS)
    assert (window.opens, window.closes, window.data_request_by) == (
        date(2026, 4, 1), date(2026, 4, 9), date(2026, 3, 17))


def test_data_request_for_april_2027_counts_back_over_easter_at_the_end_of_march():
    # Easter 2027: Good Friday 26 March, Easter Monday 29 March. Back from 31 March: 31, 30, 25, 24, 23, 22, 19,
    # 18, 17, 16 -> by Mon 15 March. April: 1, 2, 5, 6, 7 -> closes Wed 7.
    window = rules.submission_window(date(2027, 4, 1), HOLIDAYS)
    assert (window.closes, window.data_request_by) == (date(2027, 4, 7), date(2027, 3, 15))


def test_windows_start_in_the_first_full_month_after_the_effective_date_then_every_second_month():
    months = [w.month for w in rules.submission_windows(date(2026, 12, 10), date(2027, 7, 31), HOLIDAYS)]
    assert months == [date(2027, 1, 1), date(2027, 3, 1), date(2027, 5, 1), date(2027, 7, 1)]
    assert rules.first_submission_month(date(2026, 12, 1)) == date(2027, 1, 1)  # a 1st: the next month follows it
    assert rules.window_for(date(2027, 1, 8), date(2026, 12, 10), HOLIDAYS).month == date(2027, 1, 1)
    assert rules.window_for(date(2027, 1, 11), date(2026, 12, 10), HOLIDAYS) is None  # 6th Working Day: late
    assert rules.window_for(date(2027, 2, 1), date(2026, 12, 10), HOLIDAYS) is None  # not a submission month


# -- transitions, reasons, routes (pure) ------------------------------------------------------------------------

def test_illegal_transitions_are_refused_in_one_line_naming_what_is_allowed():
    with pytest.raises(DmctProcessError) as refused:
        rules.check_transition("DMC-7", Status.SUBMITTED, Status.COMPLETED)
    message = str(refused.value)
    assert "\n" not in message and "DMC-7 cannot go from 'submitted' to 'completed'" in message
    assert "data complete" in message
    with pytest.raises(DmctProcessError, match="enters as 'submitted'"):
        rules.check_transition("DMC-8", None, Status.SCHEDULED)
    for final in rules.TERMINAL:
        with pytest.raises(DmctProcessError, match="it is final"):
            rules.check_transition("DMC-9", final, Status.SUBMITTED)
    rules.check_transition("DMC-9", Status.SCHEDULED, Status.IN_TEST)  # the schedule engineer's move


@pytest.mark.parametrize(("code", "given", "missing"), [
    ("c", {}, "rationale"), ("d", {"rationale": "same CH"}, "equivalent"), ("e", {}, "rationale"),
    ("f", {}, "Secretary of State"),
])
def test_each_reason_needs_what_the_seed_asks_for(code, given, missing):
    with pytest.raises(DmctProcessError, match=missing):
        rules.check_exclusion("DMC-1", rules.parse_reason(code), **given)


def test_reasons_a_and_b_need_nothing_more_and_only_a_to_e_are_20_11_notice_reasons():
    rules.check_exclusion("DMC-1", rules.parse_reason("20.6(a)"))
    rules.check_exclusion("DMC-1", rules.parse_reason("b"))
    assert [c for c in rules.CONSIDERATION_REASONS if rules.REASONS[c].in_notice] == ["a", "b", "c", "d", "e"]
    with pytest.raises(DmctProcessError, match="unknown exclusion reason 'g'"):
        rules.parse_reason("g")


def test_routes_of_20_19_have_the_consequences_of_20_20_to_20_25():
    firmware = rules.route_outcome("c", device_change="firmware", sos_agreed=True)
    assert (firmware.status, firmware.clause) == (Status.ENDED, "20.23(a)")
    config = rules.route_outcome("c", device_change="configuration", sos_agreed=True)
    assert (config.status, config.clause, config.exclusion) == (Status.EXCLUDED, "20.23(b)", "configuration-change")
    both = rules.route_outcome("c", device_change="both", sos_agreed=True)
    assert (both.status, both.clause) == (Status.EXCLUDED, "20.23(c)")
    assert rules.route_outcome("c", device_change="firmware").status is Status.ISSUE_ROUTE  # awaiting SoS
    assert rules.route_outcome("c", device_change="firmware", sos_agreed=False).reconsider  # 20.24
    a = rules.route_outcome("a", material_impact=True)
    assert (a.status, a.clause, a.revise_schedule) == (Status.SCHEDULED, "20.20(b)", True)
    assert rules.route_outcome("a").clause == "20.20(a)"
    assert rules.route_outcome("b", sos_agreed=False).reconsider
    assert rules.route_outcome("d", draft_published=True).status is Status.IN_TEST  # 20.25(a)
    assert rules.route_outcome("d", draft_published=False, sos_agreed=False).reconsider  # 20.25(b)
    with pytest.raises(DmctProcessError, match="--device-change"):
        rules.route_outcome("c")
    with pytest.raises(DmctProcessError, match="unknown route 'e'"):
        rules.route_outcome("e")


# -- submission files -------------------------------------------------------------------------------------------

HEADER = "supplier,dmc,received,devices,quantity,epcl_entries,unchanged,missing,submitted_only\n"


@pytest.mark.parametrize(("row", "expected"), [
    ("Acme,DMC-999,2027-01-05,ESME:E1@1.0,10,EPCL-1,,,", "subs.csv:3: field 'dmc': DMC 'DMC-999' is not in the "
                                                         "device profiles; mark it submitted_only"),
    ("Acme,DMC-002,2027-13-05,ESME:E1@1.0,10,EPCL-1,,,", "subs.csv:3: field 'received': expected a date"),
    ("Acme,DMC-002,2027-01-05,ESME:E1,10,EPCL-1,,,", "subs.csv:3: field 'devices': 'ESME:E1' is not"),
    ("Acme,DMC-002,2027-01-05,XYZ:E1@1,10,EPCL-1,,,", "unknown device kind 'XYZ'"),
    ("Acme,DMC-002,2027-01-05,ESME:E1@1.0,0,EPCL-1,,,", "subs.csv:3: field 'quantity': expected a whole number"),
    ("Acme,DMC-002,2027-01-05,ESME:E1@1.0,10,,,,", "subs.csv:3: field 'epcl_entries': required unless"),
    ("Acme,DMC-002,2027-01-05,ESME:E1@1.0,10,EPCL-1,maybe,,", "field 'unchanged': expected yes or no"),
    ("Acme,DMC-001,2027-01-05,ESME:E1@1.0,10,EPCL-1,,,", "subs.csv:3: Acme submits DMC DMC-001 twice (first on "
                                                         "line 2)"),
])
def test_a_bad_submission_line_names_the_file_line_and_field(tmp_path, row, expected):
    path = tmp_path / "subs.csv"
    path.write_text(HEADER + "Acme,DMC-001,2027-01-05,ESME:E1@1.0;CH:H@2,10,EPCL-1,,,\n" + row + "\n")
    with pytest.raises(SvtadInputError) as error:
        load_submissions(path, {"DMC-001", "DMC-002"})
    assert expected in str(error.value) and "\n" not in str(error.value)


def test_yaml_submissions_name_the_line_of_the_bad_field_and_read_unchanged_and_missing(tmp_path):
    path = tmp_path / "subs.yaml"
    path.write_text("submissions:\n"
                    "  - supplier: Acme\n    dmc: DMC-001\n    received: 2027-01-05\n    unchanged: yes\n"
                    "  - supplier: Acme\n    dmc: DMC-NEW\n    received: 2027-01-05\n    submitted_only: true\n"
                    "    epcl_entries: [EPCL-9]\n    missing: [devices, quantity]\n")
    first, second = load_submissions(path, {"DMC-001"})
    assert first.unchanged and first.devices == {} and second.missing == ("devices", "quantity")
    assert second.submitted_only and second.source == "subs.yaml:6"
    path.write_text("submissions:\n  - supplier: Acme\n    dmc: DMC-001\n    received: 2027-01-05\n"
                    "    devices: {ESME: {model: E1}}\n    quantity: 3\n    epcl_entries: [E]\n")
    with pytest.raises(SvtadInputError, match=r"subs.yaml:5: field 'devices.ESME': expected a mapping"):
        load_submissions(path, {"DMC-001"})


# -- the store ----------------------------------------------------------------------------------------------------

def _submit(register: DmctRegister, dmc: str, supplier: str, on: date, **extra) -> None:
    register.submit(Submission(supplier=supplier, dmc=dmc, received=on, devices={"ESME": {"model": "E1",
                                                                                          "firmware": "1"}},
                               quantity=5, epcl_entries=(f"EPCL-{dmc}",), **extra), window=None, who="tm")


def test_status_list_as_of_a_date_replays_history_with_who_and_why(store_url):
    register = DmctRegister(Store(store_url))
    _submit(register, "DMC-001", "Acme", date(2027, 1, 5))
    _submit(register, "DMC-002", "Beta", date(2027, 1, 6), missing=("quantity",))
    register.transition("DMC-001", Status.CONSIDERED, why="none applies", on=date(2027, 1, 20), who="dcc")
    register.exclude("DMC-001", rules.REASONS["d"], rationale="same models", equivalent="EPCL-0042",
                     on=date(2027, 2, 1), who="dcc")
    register.exclude("DMC-002", rules.REASONS["unsourced-data"], on=date(2027, 2, 2))
    january = {r.dmc: r for r in register.status_list(date(2027, 1, 31))}
    assert january["DMC-001"].status is Status.CONSIDERED and january["DMC-001"].reason is None
    assert january["DMC-002"].status is Status.DATA_MISSING  # 20.4: the DCC must source the quantity
    now = {r.dmc: r for r in register.status_list()}
    assert (now["DMC-001"].status, now["DMC-001"].reason, now["DMC-001"].equivalent) == (
        Status.EXCLUDED, "d", "EPCL-0042")
    assert exclusions_by_reason(now.values())["unsourced-data"] == 1
    assert counts_by_status(now.values())["excluded"] == 2
    trail = register.history("DMC-001")
    assert [(e["old"], e["new"], e["who"]) for e in trail] == [
        (None, "submitted", "tm"), ("submitted", "data complete", "tm"), ("data complete", "considered", "dcc"),
        ("considered", "excluded", "dcc")]
    assert trail[-1]["clause"] == "20.6(d)" and trail[-1]["on_date"] == "2027-02-01"
    with pytest.raises(DmctProcessError, match="before its last transition"):
        register.transition("DMC-001", Status.SUBMITTED, why="late", on=date(2027, 1, 1))


def test_disagreement_reschedules_d_refers_c_and_needs_a_supplier_that_submitted(tmp_path):
    register = DmctRegister(Store(f"sqlite:///{tmp_path / 's.db'}"))
    for dmc in ("DMC-D", "DMC-C", "DMC-A"):
        _submit(register, dmc, "Acme", date(2026, 11, 2))
    register.exclude("DMC-D", rules.REASONS["d"], rationale="r", equivalent="DMC-X", on=date(2026, 11, 10))
    register.exclude("DMC-C", rules.REASONS["c"], rationale="SIT late", on=date(2026, 11, 10))
    register.exclude("DMC-A", rules.REASONS["a"], on=date(2026, 11, 10))
    with pytest.raises(DmctProcessError, match="Beta did not include it"):
        register.disagree("DMC-D", supplier="Beta", why="no")
    assert register.disagree("DMC-D", supplier="Acme", why="different CH").status is Status.SCHEDULED
    referred = register.disagree("DMC-C", supplier="Acme", why="SIT on time")
    assert (referred.status, referred.clause, referred.reason) == (Status.REFERRED, "20.12(b)", "c")
    with pytest.raises(DmctProcessError, match="only with an exclusion for 20.6"):
        register.disagree("DMC-A", supplier="Acme", why="x")


def test_unchanged_submission_reuses_the_last_data_and_needs_one(tmp_path):
    register = DmctRegister(Store(f"sqlite:///{tmp_path / 's.db'}"))
    with pytest.raises(DmctProcessError, match=r"confirms DMC DMC-001 unchanged \(20.3\) but has submitted no data"):
        register.submit(Submission("Acme", "DMC-001", date(2026, 11, 2), unchanged=True), window=None)
    _submit(register, "DMC-001", "Acme", date(2026, 11, 2))
    register.exclude("DMC-001", rules.REASONS["unsourced-data"], on=date(2026, 11, 9))  # 20.5: may come back
    record = register.submit(Submission("Acme", "DMC-001", date(2026, 11, 20), unchanged=True), window=None)
    assert record.status is Status.DATA_COMPLETE and record.clause == "20.3"
    latest = register.submissions("DMC-001")[-1]
    assert latest["unchanged"] and latest["quantity"] == 5 and latest["epcl_entries"] == ["EPCL-DMC-001"]


def test_routes_end_or_exclude_the_dmc_and_devices_unavailable_is_a_state(tmp_path):
    register = DmctRegister(Store(f"sqlite:///{tmp_path / 's.db'}"))
    for dmc in ("DMC-F", "DMC-G", "DMC-H"):
        _submit(register, dmc, "Acme", date(2026, 11, 2))
        for status in (Status.CONSIDERED, Status.SCHEDULED, Status.IN_TEST):
            register.transition(dmc, status, why="on", on=date(2026, 11, 16))
    ended = register.record_route("DMC-F", "TI-1", "c", device_change="firmware", resolution="fw 2.0 needed",
                                  outcome=rules.route_outcome("c", device_change="firmware", sos_agreed=True))
    assert ended.status is Status.ENDED
    excluded = register.record_route("DMC-G", "TI-2", "c", device_change="configuration",
                                     outcome=rules.route_outcome("c", device_change="configuration",
                                                                 sos_agreed=True))
    assert (excluded.status, excluded.reason) == (Status.EXCLUDED, "configuration-change")
    assert [r["clause"] for r in register.routes()] == ["20.23(a)", "20.23(b)"]
    gone = register.transition("DMC-H", Status.DEVICES_UNAVAILABLE, why="2 of 3 ESMEs failed", clause="20.18")
    assert gone.status is Status.DEVICES_UNAVAILABLE
    with pytest.raises(DmctProcessError, match="while it is in test"):
        register.record_route("DMC-H", "TI-3", "a", outcome=rules.route_outcome("a"), device_change=None)


def _hammer(url: str, dmc: str, who: str, times: int) -> None:
    """One process's transitions, each with a pause between reading the DMC and writing it (the legality check),
    so the two processes' read-modify-write cycles overlap."""
    import time

    check = rules.check_transition

    def slow_check(*args: object) -> None:
        check(*args)  # type: ignore[arg-type]
        time.sleep(0.01)

    rules.check_transition = slow_check  # type: ignore[assignment]  # in the forked child only
    register = DmctRegister(Store(url))
    for i in range(times):
        register.transition(dmc, Status.SCHEDULED, why=f"{who} revision {i}", who=who, clause="20.9")


def test_two_processes_editing_one_dmc_never_lose_a_transition(store_url):
    register = DmctRegister(Store(store_url))
    _submit(register, "DMC-001", "Acme", date(2026, 11, 2))
    register.transition("DMC-001", Status.CONSIDERED, why="ok")
    register.transition("DMC-001", Status.SCHEDULED, why="v1")
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_hammer, args=(store_url, "DMC-001", who, 12)) for who in ("p1", "p2")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0, 0]
    trail = register.history("DMC-001")
    assert sorted(e["why"] for e in trail if e["who"] in ("p1", "p2")) == sorted(
        f"{who} revision {i}" for who in ("p1", "p2") for i in range(12))
    with register.store.engine.connect() as conn:  # the row's own version: one bump per transition, none lost
        version = conn.execute(select(t.dmct_dmcs.c.version).where(t.dmct_dmcs.c.dmc == "DMC-001")).scalar()
    assert version == len(trail) == 4 + 24  # 2 on submit, considered, v1, then 24
    assert all(later["old"] == earlier["new"] for earlier, later in zip(trail, trail[1:], strict=False))


def test_a_schema_3_store_gains_the_dmct_tables(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    old = legacy_metadata(3)
    old.create_all(engine)
    assert not set(DMCT_TABLES_5) & set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        conn.execute(insert(old.tables["svtad_meta"]).values(key="schema_version", value="3"))
    engine.dispose()
    store = Store(url)
    assert set(DMCT_TABLES_5) <= set(inspect(store.engine).get_table_names())
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT value FROM svtad_meta WHERE key = 'schema_version'").scalar() == str(
            SCHEMA_VERSION)
    _submit(DmctRegister(store), "DMC-001", "Acme", date(2027, 1, 5))
    assert Path(url.removeprefix("sqlite:///")).is_file()


def test_a_dmct_run_moves_scheduled_dmcs_into_test_and_completed_ones_to_completed(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    register = DmctRegister(store)
    assert record_dmct_run(store, stage="DMCT-SRVT", run="run 1", dmc_ids=["DMC-1"], completed={}) == []  # no list
    for dmc in ("DMC-1", "DMC-2", "DMC-3"):
        _submit(register, dmc, "Acme", date(2026, 11, 2))
    for dmc in ("DMC-1", "DMC-2"):
        register.transition(dmc, Status.CONSIDERED, why="ok", on=date(2026, 11, 3))
        register.transition(dmc, Status.SCHEDULED, why="v1", on=date(2026, 11, 3))
    notes = record_dmct_run(store, stage="DMCT-SRVT", run="run 7", dmc_ids=["DMC-1", "DMC-2", "DMC-3", "DMC-9"],
                            completed={"DMC-2": "recommend EPCL entry E2 in a DMCT Report (20.26)"})
    assert notes == ["DMCT Status List: DMC-1 in test, DMC-2 in test, DMC-2 completed",
                     "DMCT Status List: this run not recorded for DMC-3 is 'data complete', not scheduled or in test",
                     "DMCT Status List: DMC-9 not on it (svtad dmct import): this run not recorded"]
    assert register.dmc("DMC-1").status is Status.IN_TEST and register.dmc("DMC-2").status is Status.COMPLETED
    assert register.history("DMC-2")[-1]["who"] == "svtad session (run 7)"


def test_notice_file_names_stay_in_the_folder_and_apart():
    from pytest_svtad.reports.dmct_notices import notice_file_name

    assert notice_file_name("../../etc/passwd") == "dmct-notice-etc-passwd.txt"
    first = notice_file_name("Acme Energy")
    second = notice_file_name("ACME-energy", {first})
    assert first == "dmct-notice-acme-energy.txt" and second.startswith("dmct-notice-acme-energy-") and second != first
