"""The DMCT Schedule (20.9-20.10, 20.17): reading CSV and YAML with file/line/field errors, versions and their
diff, publishing through the DMCT Status List, ``svtad dmct schedule``, the timeline, and a DMCT run's pack check."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from pytest_svtad.cli.main import main
from pytest_svtad.errors import SvtadInputError
from pytest_svtad.files.dmct_schedule import load_schedule
from pytest_svtad.reports.dmct_schedule import timeline_bars, timeline_svg
from pytest_svtad.rules.dmct_process import Status, Submission
from pytest_svtad.rules.dmct_schedule import check_packs, diff
from pytest_svtad.store import Store, StoreError
from pytest_svtad.store.dmct import DmctRegister
from pytest_svtad.store.dmct_schedule import ScheduleRepository, publish_schedule

HEADER = ("dmc,epcl_entry,installation,planned_start,planned_completion,dormant_only_suffices,mt_pack,mt_standard,"
          "srvt_pack,srvt_standard,srvt_rationale,srvt_tag_agreed\n")
CSV = HEADER + (
    "DMC-A,EPCL-A-D,dormant,2026-03-02,2026-03-20,yes,dmct_dormant_migration,yes,dmct_srvt,yes,,\n"
    "DMC-A,EPCL-A-A,active,,,,,,,,,\n"
    "DMC-B,EPCL-B-A,active,2026-04-01,2026-04-24,no,,,non_standard_example,no,No GSME: display tests only,yes\n")


def _write(tmp_path: Path, text: str, name: str = "schedule.csv") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


# -- reading -----------------------------------------------------------------------------------------------

def test_csv_schedule_has_dates_per_epcl_entry_packs_and_the_dormant_only_choice(tmp_path: Path) -> None:
    schedule = load_schedule(_write(tmp_path, CSV), {"DMC-A", "DMC-B"})
    a, b = schedule.dmcs["DMC-A"], schedule.dmcs["DMC-B"]
    assert [(e.entry, e.planned_start) for e in a.entries] == [("EPCL-A-D", date(2026, 3, 2)), ("EPCL-A-A", None)]
    assert a.dormant_only_suffices and a.packs["DMCT-MT"].standard and a.packs["DMCT-SRVT"].pack == "dmct_srvt"
    assert "DMCT-MT" not in b.packs  # 20.14: SRVT only
    assert (b.packs["DMCT-SRVT"].standard, b.packs["DMCT-SRVT"].tag_agreed) == (False, True)
    assert b.packs["DMCT-SRVT"].rationale == "No GSME: display tests only"


@pytest.mark.parametrize(("row", "expected"), [
    ("DMC-A,E1,dormant,2026-02-30,2026-03-20,no,p,yes,,,,", r"schedule.csv:2: field 'planned_start': expected a date"),
    ("DMC-A,E1,dormant,2026-03-20,2026-03-02,no,p,yes,,,,", r":2: DMC 'DMC-A': field 'planned_completion'.*before"),
    ("DMC-A,E1,dormant,2026-03-02,2026-03-20,no,,,p,no,,", r":2: DMC 'DMC-A': field 'srvt_rationale'.*20.17"),
    ("DMC-Z,E1,dormant,2026-03-02,2026-03-20,no,p,yes,,,,", r":2: field 'dmc': 'DMC-Z' is not a DMC of the profiles"),
    ("DMC-A,E1,active,,,no,p,yes,,,,", r":2: DMC 'DMC-A': field 'planned_start': .*needs planned start"),
    ("DMC-A,E1,active,2026-03-02,2026-03-20,yes,p,yes,,,,", r"field 'dormant_only_suffices'.*no dormant-only"),
    ("DMC-A,E1,dormant,2026-03-02,2026-03-20,maybe,p,yes,,,,", r":2: field 'dormant_only_suffices': expected yes"),
    ("DMC-A,E1,dormant,2026-03-02,2026-03-20,no,p,yes,,,,\nDMC-A,E2,active,2026-03-02,2026-03-20,no,q,,,,,",
     r":3: field 'mt_pack': 'q' differs from 'p' given for DMC-A on line 2"),
])
def test_a_bad_csv_row_names_file_line_and_field(tmp_path: Path, row: str, expected: str) -> None:
    with pytest.raises(SvtadInputError, match=expected):
        load_schedule(_write(tmp_path, HEADER + row + "\n"), {"DMC-A"})


def test_yaml_schedule_and_its_errors_name_the_line(tmp_path: Path) -> None:
    text = """\
        dmcs:
          - dmc: DMC-A
            epcl_entries:
              - {entry: EPCL-A-D, installation: dormant, planned_start: 2026-03-02, planned_completion: 2026-03-20}
            packs:
              DMCT-SRVT: {pack: non_standard_example, standard: false, rationale: "display only"}
        """
    schedule = load_schedule(_write(tmp_path, text, "s.yaml"))
    assert schedule.dmcs["DMC-A"].packs["DMCT-SRVT"].tag_agreed is False  # not assumed
    with pytest.raises(SvtadInputError, match=r"s.yaml:6: field 'packs.DMCT-SRVP': unknown DMCT stage"):
        load_schedule(_write(tmp_path, text.replace("DMCT-SRVT:", "DMCT-SRVP:"), "s.yaml"))
    with pytest.raises(SvtadInputError, match=r"s.yaml:6: DMC 'DMC-A': field 'DMCT-SRVT rationale'"):
        load_schedule(_write(tmp_path, text.replace(', rationale: "display only"', ""), "s.yaml"))
    with pytest.raises(SvtadInputError, match=r"s.yaml:4: field 'planned_start': expected a date"):
        load_schedule(_write(tmp_path, text.replace("2026-03-02", "'next week'"), "s.yaml"))


# -- rules: diff, pack check, timeline -----------------------------------------------------------------------

def test_diff_lists_dmcs_added_removed_and_each_changed_field(tmp_path: Path) -> None:
    first = load_schedule(_write(tmp_path, CSV))
    second = load_schedule(_write(tmp_path, CSV.replace("2026-03-20", "2026-04-03").replace(
        "DMC-B,EPCL-B-A", "DMC-C,EPCL-C-A").replace(",dmct_srvt,yes,,", ",dmct_srvt_v2,yes,,"), "second.csv"))
    lines = [change.line() for change in diff(first, second)]
    assert "~ DMC-A: EPCL entry EPCL-A-D planned_completion 2026-03-20 -> 2026-04-03" in lines
    assert "~ DMC-A: DMCT-SRVT pack dmct_srvt (standard) -> dmct_srvt_v2 (standard)" in lines
    assert "- DMC-B: no longer on the DMCT Schedule" in lines
    assert any(line.startswith("+ DMC-C: scheduled: EPCL-C-A (active) 2026-04-01 to 2026-04-24") for line in lines)
    assert len(lines) == 4
    assert [c.kind for c in diff(None, first)] == ["added", "added"]


def test_pack_check_warns_on_a_mismatch_an_unscheduled_dmc_and_no_schedule(tmp_path: Path) -> None:
    schedule = load_schedule(_write(tmp_path, CSV))
    ok = check_packs("DMCT-SRVT", ["DMC-B"], ["non_standard_example"], schedule, "version 1")
    assert not ok.warnings and "DMC-B DMCT-SRVT ran non_standard_example (non-standard" in ok.lines[0]
    bad = check_packs("DMCT-SRVT", ["DMC-A", "DMC-B", "DMC-C"], ["dmct_srvt"], schedule, "version 1")
    assert [w.split(":")[1].strip().split(" ")[0] for w in bad.warnings] == ["DMC-B", "DMC-C"]
    assert "pack mismatch" in bad.warnings[0] and "not on the published DMCT Schedule" in bad.warnings[1]
    assert bad.notes()[0].startswith("WARNING: ")
    not_planned = check_packs("DMCT-MT", ["DMC-B"], ["dmct_dormant_migration"], schedule, "version 1")
    assert "DMCT-MT is not planned for DMC-B" in not_planned.warnings[0]
    none = check_packs("DMCT-MT", ["DMC-A"], ["dmct_dormant_migration"], None, "store s")
    assert "no published schedule" in none.warnings[0]


def test_timeline_has_a_bar_per_dated_entry_and_escapes_what_files_say(tmp_path: Path) -> None:
    schedule = load_schedule(_write(tmp_path, CSV.replace("EPCL-B-A", "<script>x</script>")))
    assert [(b.dmc, b.epcl_entry) for b in timeline_bars(schedule)] == [("DMC-A", "EPCL-A-D"),
                                                                         ("DMC-B", "<script>x</script>")]
    svg = timeline_svg(schedule)
    assert svg.startswith("<svg") and "<script>" not in svg and "&lt;script&gt;" in svg and "Apr 2026" in svg


# -- the store and the Status List ---------------------------------------------------------------------------

def _register(store: Store, *dmcs: str) -> DmctRegister:
    register = DmctRegister(store)
    for dmc in dmcs:
        register.submit(Submission("Supplier 1", dmc, date(2026, 1, 5)), window=None)
        register.transition(dmc, Status.CONSIDERED, why="none of 20.6(a)-(f) applies")
    return register


def test_publishing_versions_the_schedule_and_moves_its_dmcs_to_scheduled(store_url: str, tmp_path: Path) -> None:
    store = Store(store_url)
    register = _register(store, "DMC-A", "DMC-B")
    repository = ScheduleRepository(store)
    with pytest.raises(StoreError, match="no draft"):
        publish_schedule(store, "jo")
    repository.import_draft(load_schedule(_write(tmp_path, CSV)), "schedule.csv", "jo")
    assert repository.published() is None  # importing publishes nothing
    first = publish_schedule(store, "jo")
    assert first.published.version == 1 and first.moved == ["DMC-A", "DMC-B"]
    assert register.dmc("DMC-A").status is Status.SCHEDULED and repository.draft() is None
    repository.import_draft(load_schedule(_write(tmp_path, CSV.replace("2026-04-24", "2026-05-01"), "v2.csv")),
                            "v2.csv", "jo")
    second = publish_schedule(store, "kim")
    assert second.published.version == 2 and second.moved == ["DMC-B"]
    assert [c.line() for c in second.changes] == [
        "~ DMC-B: EPCL entry EPCL-B-A planned_completion 2026-04-24 -> 2026-05-01"]
    before, after, changes = repository.changes()
    assert (before.version if before else None, after.version, len(changes)) == (1, 2, 1)
    assert [v.published_by for v in repository.versions()] == ["jo", "kim"]
    assert "planned_completion 2026-04-24 -> 2026-05-01" in register.history("DMC-B")[-1]["why"]
    store.close()


def test_a_dmc_not_on_the_status_list_is_refused_and_nothing_is_published(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    _register(store, "DMC-A")
    ScheduleRepository(store).import_draft(load_schedule(_write(tmp_path, CSV)), "schedule.csv")
    with pytest.raises(StoreError, match="DMC DMC-B is not on the DMCT Status List"):
        publish_schedule(store)
    assert ScheduleRepository(store).published() is None


# -- svtad dmct schedule ---------------------------------------------------------------------------------------

def test_svtad_dmct_schedule_import_publish_show_and_diff(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 's.db'}"
    _register(Store(url), "DMC-A", "DMC-B")
    store = ["--store", url]
    assert main(["dmct", "schedule", "import", str(_write(tmp_path, CSV)), *store]) == 0
    assert "not published yet" in capsys.readouterr().out
    assert main(["dmct", "schedule", "publish", "--by", "jo", *store]) == 0
    out = capsys.readouterr().out
    assert "version 1 published" in out and "DMC-A, DMC-B now 'scheduled'" in out
    assert main(["dmct", "schedule", "import", str(_write(tmp_path, CSV.replace("2026-03-02", "2026-03-09"))),
                 *store]) == 0
    assert main(["dmct", "schedule", "publish", *store]) == 0
    capsys.readouterr()
    assert main(["dmct", "schedule", "--diff", *store]) == 0
    out = capsys.readouterr().out
    assert "version 2" in out and "~ DMC-A: EPCL entry EPCL-A-D planned_start 2026-03-02 -> 2026-03-09" in out
    assert main(["dmct", "schedule", "show", "--version", "1", *store]) == 0
    assert "DMC-A        EPCL-A-D         dormant      2026-03-02" in capsys.readouterr().out
    assert main(["dmct", "schedule", "show", "--csv", *store]) == 0
    assert load_schedule(_write(tmp_path, capsys.readouterr().out, "again.csv")).dmcs.keys() == {"DMC-A", "DMC-B"}
    assert main(["dmct", "schedule", "import", str(_write(tmp_path, HEADER + "DMC-A,E,dormant,x,,no,p,,,,,\n")),
                 *store]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "schedule.csv:2: field 'planned_start'" in err


# -- a DMCT run checks the pack it runs against the published schedule -----------------------------------------

def test_a_dmct_session_says_whether_each_dmc_ran_its_scheduled_pack(project_single, tmp_path: Path) -> None:
    root = project_single.pytester.path
    pack = root / "srvt_pack"
    pack.mkdir()
    (pack / "pack.yaml").write_text("stage: DMCT-SRVT\nttm: ../ttm.csv\n")
    (pack / "test_srvt.py").write_text("import pytest\n\n@pytest.mark.ttm('REQ-1', 'REQ-2', 'REQ-3')\n"
                                       "def test_read(dmc):\n    pass\n")
    url = f"sqlite:///{tmp_path / 'run.db'}"
    store = Store(url)
    _register(store, "DMC-A", "DMC-B")
    rows = HEADER + ("DMC-A,EPCL-A-A,active,2026-03-02,2026-03-20,no,,,srvt_pack,yes,,\n"
                     "DMC-B,EPCL-B-A,active,2026-03-02,2026-03-20,no,,,dmct_srvt,yes,,\n")
    ScheduleRepository(store).import_draft(load_schedule(_write(tmp_path, rows)), "rows.csv")
    publish_schedule(store, "jo")
    store.close()
    run = project_single.run("srvt_pack", "--svtad-stage", "DMCT-SRVT", "--svtad-store", url)
    notes = run.verdict()["notes"]
    assert any(n.startswith("DMCT Schedule: DMC-A DMCT-SRVT ran srvt_pack (standard) as scheduled") for n in notes)
    assert any(n.startswith("WARNING: DMCT Schedule: DMC-B DMCT-SRVT pack mismatch") and "names dmct_srvt" in n
               for n in notes)
    assert any(n.startswith("WARNING: DMCT Schedule: DMC-C is not on the published DMCT Schedule") for n in notes)
    assert "note: WARNING: DMCT Schedule: DMC-B DMCT-SRVT pack mismatch" in run.text


def test_the_example_schedule_of_the_docs_is_valid_for_the_sample_profiles() -> None:
    from pytest_svtad.smets1.profiles import load_profiles

    root = Path(__file__).resolve().parent.parent
    schedule = load_schedule(root / "docs" / "examples" / "dmct-schedule.csv",
                             set(load_profiles(root / "device_profiles").dmcs))
    assert schedule.dmcs["DMC-003"].dormant_only_suffices and not schedule.dmcs["DMC-003"].packs["DMCT-SRVT"].standard


def test_two_publishers_at_once_publish_the_draft_once(store_url: str, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    store = Store(store_url)
    _register(store, "DMC-A", "DMC-B")
    ScheduleRepository(store).import_draft(load_schedule(_write(tmp_path, CSV)), "schedule.csv")

    def publish(who: str) -> str:
        try:
            return f"v{publish_schedule(Store(store_url), who).published.version}"
        except StoreError as exc:
            return str(exc)

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(publish, ["jo", "kim"]))
    assert outcomes[1] == "v1" and "no draft" in outcomes[0]
    assert [v.version for v in ScheduleRepository(store).versions()] == [1]
    assert DmctRegister(store).dmc("DMC-A").status is Status.SCHEDULED
