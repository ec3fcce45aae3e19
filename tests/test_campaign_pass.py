"""The campaign read in one pass (``store/campaign_pass.py``) against the records it replaces: ``combine`` over
``plan_and_results``, counted by ``rules.counts.count``, traced by ``rules.ttm.trace`` and written by
``result_lines``; and ``svtad verdict --campaign``'s record closed out both ways, file for file. SQLite and
PostgreSQL (``store_url``), one pass and two node-id ranges at once."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from pytest_svtad.closeout import close_out, html_reports
from pytest_svtad.model import Descoping, Outcome, PlanEntry, Result
from pytest_svtad.result_lines import result_lines
from pytest_svtad.rules.counts import count
from pytest_svtad.rules.ttm import Requirement, Ttm, trace
from pytest_svtad.store import Store, campaign_pass
from pytest_svtad.store.campaign import campaign_record, load_campaign, phase_runs, summarize_campaign

TTM = Ttm("ttm.csv", {rid: Requirement(rid, "G1", f"requirement {rid}") for rid in ("REQ-1", "REQ-2", "REQ-3")})
LONG = "AssertionError: " + "x" * 300
APPROVED = Descoping("not deliverable", "TAB-7", ("TAB", "Secretary of State"))


def _plan(nodeid: str, dmc: str | None = "DMC-1", **tags: object) -> PlanEntry:
    tags.setdefault("ttm", ("REQ-1",))
    return PlanEntry(nodeid, dmc, **tags)  # type: ignore[arg-type]


def _run(store: Store, sut: str, entries: list[PlanEntry], results: list[Result], stage: str = "SIT") -> None:
    run_id = store.begin_run(campaign="C", stage=stage, release="R1", sut_version=sut, seed=3, host="h",
                             firmware={})
    store.record_plan(run_id, entries)
    store.record_results(run_id, results)
    store.finish_run(run_id, interrupted=False, verdict=None)


def _fill(store: Store) -> None:
    """Three runs, two SUT versions (1.1 the exit version): every case the campaign rule has."""
    _run(store, "1.0", [
        _plan("t.py::test_a[DMC-1]"), _plan("t.py::test_a[DMC-2]", "DMC-2", known_defect="KD-1", severity=2),
        _plan("t.py::test_reg[DMC-1]", regression=True, ttm=("REQ-2",)),
        _plan("t.py::test_reg_old[DMC-1]", regression=True),  # only ever run on 1.0: not run on the exit version
        _plan("t.py::test_old[DMC-1]", srv="1.1.1", functional_group="Old"),
        _plan("t.py::test_desc[DMC-1]", descoped=APPROVED, ttm=("REQ-3",)),
        _plan("t.py::test_xf[DMC-2]", "DMC-2", witnessed=""),
        _plan("t.py::test_crash[DMC-2]", "DMC-2", ttm=("REQ-1", "REQ-X")),
        _plan("t.py::test_untraced[DMC-1]", ttm=()),
        _plan("t.py::test_nodmc", None, ttm=("REQ-2",)),
        _plan("t.py::test_ünicode[\"q\\\\]", "DMC-1", functional_group="Grüppe", witnessed="Ofgem"),
    ], [
        Result("t.py::test_a[DMC-1]", Outcome.PASSED, duration=0.25),
        Result("t.py::test_a[DMC-2]", Outcome.FAILED, reason="boom\nline 2", evidence=["e/1.txt", "e/2.txt"]),
        Result("t.py::test_reg[DMC-1]", Outcome.PASSED),
        Result("t.py::test_reg_old[DMC-1]", Outcome.PASSED),
        Result("t.py::test_old[DMC-1]", Outcome.PASSED, duration=1e-07),
        Result("t.py::test_desc[DMC-1]", Outcome.NOT_RUN, reason="descoped"),
        Result("t.py::test_xf[DMC-2]", Outcome.FAILED, xfailed=True, reason="expected"),
        Result("t.py::test_crash[DMC-2]", Outcome.FAILED, error=True, crashed=True, reason=LONG,
               duration=float("inf")),
        Result("t.py::test_untraced[DMC-1]", Outcome.PASSED, duration=0.1 + 0.2),
        Result("t.py::test_nodmc", Outcome.FAILED, reason="née"),
        Result("t.py::test_ünicode[\"q\\\\]", Outcome.PASSED, reason="ok ✓"),
    ])
    _run(store, "1.1", [
        _plan("t.py::test_a[DMC-1]"),  # skipped here: the earlier pass stands
        _plan("t.py::test_a[DMC-2]", "DMC-2", known_defect="KD-1", severity=1, functional_group="G2",
              cause="device", provider="DSP"),
        _plan("t.py::test_reg[DMC-1]", regression=True, ttm=("REQ-2",)),  # planned, not executed on 1.1
        _plan("t.py::test_reg2[DMC-1]", regression=True),
        _plan("t.py::test_later[DMC-1]"),  # planned, never reported
        _plan("t.py::test_xf[DMC-2]", "DMC-2", witnessed=""),
    ], [
        Result("t.py::test_a[DMC-1]", Outcome.NOT_RUN, reason="skipped"),
        Result("t.py::test_a[DMC-2]", Outcome.FAILED, reason="again"),
        Result("t.py::test_reg2[DMC-1]", Outcome.PASSED),
        Result("t.py::test_xf[DMC-2]", Outcome.PASSED, duration=12345.5),
    ])
    _run(store, "1.1", [
        _plan("t.py::test_reg[DMC-2]", "DMC-2", regression=True),
        _plan("t.py::test_reg2[DMC-1]", regression=True),
    ], [
        Result("t.py::test_reg[DMC-2]", Outcome.FAILED, reason="regressed"),
        Result("t.py::test_reg2[DMC-1]", Outcome.FAILED, reason="flaky"),
    ])
    _run(store, "1.1", [_plan("t.py::test_other_stage[DMC-1]")], [], stage="PIT")  # another phase: not read


@pytest.fixture
def filled(store_url: str):
    store = Store(store_url)
    _fill(store)
    yield store
    store.close()


def test_one_pass_equals_the_records(filled: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    view = load_campaign(filled, "C", stage="SIT", release="R1")
    assert view.exit_version == "1.1" and len(view.plan) == 14
    common = {"stage": "SIT", "release": "R1", "sut_version": "1.1", "seed": 3}
    path, halves = tmp_path / "results.jsonl", tmp_path / "halves.jsonl"
    summary = summarize_campaign(filled, phase_runs(filled, "C", "SIT", "R1"), None, common, path)
    monkeypatch.setattr(campaign_pass, "PARALLEL_FROM", 0)  # two ranges even for this small store
    with filled._reading("cut") as conn:
        assert len(campaign_pass.split_points(conn, 2)) == 1
    in_two = summarize_campaign(filled, phase_runs(filled, "C", "SIT", "R1"), None, common, halves, 2)
    assert halves.read_bytes() == path.read_bytes()
    assert in_two.tally == summary.tally and in_two.covering == summary.covering
    assert (in_two.executed, in_two.planned, in_two.dmcs) == (summary.executed, summary.planned, summary.dmcs)
    expected = "".join(f"{line}\n" for line in result_lines(
        ((entry, view.results[entry.nodeid]) for entry in sorted(view.plan, key=lambda e: e.nodeid)), common))
    assert path.read_text(encoding="utf-8") == expected
    assert '"outcome": "not_run", "provider": null, "reason": "not executed on the stage-exit SUT version 1.1"' \
        in expected  # test_reg[DMC-1]: passed on 1.0 only
    assert '{"cause": "device",' in expected and '"provider": "DSP"' in expected  # the test's attribution (13.19)
    assert '"duration": Infinity' in expected and "\\u00fc" in expected  # the unusual lines went through too
    counted = count(view.plan, view.results, ["DMC-1", "DMC-2"])
    mine = summary.counts(["DMC-1", "DMC-2"])
    assert {k: c.as_dict(regression=True) for k, c in mine.functional_by_dmc.items()} == \
        {k: c.as_dict(regression=True) for k, c in counted.functional_by_dmc.items()}
    assert mine.regression == counted.regression and mine.functional == counted.functional
    assert mine.by_group_and_dmc == counted.by_group_and_dmc
    assert mine.regression.failed == 2 and mine.regression.not_run == 2  # reg[DMC-2], reg2; reg[DMC-1], reg_old
    traced = trace(TTM, view.plan, "SIT")
    assert summary.traceability(TTM, "SIT").as_dict() == traced.as_dict()
    assert traced.unknown == ["REQ-X"] and traced.untraced_tests == ["t.py::test_untraced[DMC-1]"]
    assert summary.traceability(None).as_dict() == trace(None, view.plan).as_dict()
    assert summary.executed == sum(1 for r in view.results.values() if r.executed)
    assert summary.descoped == [e for e in view.plan if e.descoped is not None]
    assert sorted(summary.dmcs) == ["DMC-1", "DMC-2"]


def test_rows_a_row_at_a_time_read_each_set_of_tags_once(filled: Store, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The plan's tags are read beside the rows, when a batch names a set not read yet: with one row a batch,
    every set is still read once and the pass is the same."""
    common = {"stage": "SIT", "release": "R1", "sut_version": "1.1", "seed": 3}
    runs = phase_runs(filled, "C", "SIT", "R1")
    whole = tmp_path / "whole.jsonl"
    summary = summarize_campaign(filled, runs, None, common, whole)
    asked: list[int] = []
    reader = campaign_pass.SideReader.tags

    def counted(self: campaign_pass.SideReader, ids: object) -> object:
        found = reader(self, ids)  # type: ignore[arg-type]
        asked.extend(found)
        return found

    monkeypatch.setattr(campaign_pass.SideReader, "tags", counted)
    monkeypatch.setattr(campaign_pass, "BATCH", 1)
    single = tmp_path / "single.jsonl"
    again = summarize_campaign(filled, runs, None, common, single)
    assert single.read_bytes() == whole.read_bytes()
    assert (again.tally, again.covering, again.executed) == (summary.tally, summary.covering, summary.executed)
    assert len(asked) == len(set(asked)) > 5  # each set once, and the store's sets were many


def _outputs(folder: Path) -> dict[str, str]:
    return {path.name: re.sub(r"generated \d{4}-\d\d-\d\d \d\d:\d\d UTC", "generated (time)",
                              path.read_text(encoding="utf-8").replace(str(folder), "REPORT"))
            for path in sorted(folder.iterdir()) if path.is_file() and path.suffix != ".png"}


def test_verdict_from_tallies_writes_what_the_records_wrote(filled: Store, tmp_path: Path) -> None:
    """``svtad verdict --campaign``'s record (tallies, lazy records) and the same record built from the
    combined records, closed out with every report: the same files (heatmap.png is drawn from the same cells)."""
    new_dir, old_dir = tmp_path / "new" / "report", tmp_path / "old" / "report"
    record = campaign_record(filled, "C", "SIT", "R1", report_dir=new_dir, ttm=TTM)
    assert record.summary is not None and len(record.results) == 14
    close_out(record, (html_reports,))
    view = load_campaign(filled, "C", stage="SIT", release="R1")
    old = campaign_record(filled, "C", "SIT", "R1", report_dir=old_dir, ttm=TTM)
    old = replace(old, plan=view.plan, results=view.results, summary=None, results_file=None)
    old.settings.report_dir = old_dir
    close_out(old, (html_reports,))
    new, before = _outputs(new_dir), _outputs(old_dir)
    assert set(new) == {"completion-report.html", "heatmap.csv", "heatmap.html", "results.jsonl",
                        "testing-issues.csv", "verdict.json"}
    assert new == before
    assert "t.py::test_a[DMC-1]" in new["heatmap.html"]  # the HTML reports read the records, lazily
    assert not list(new_dir.glob(".*.tmp")) and not list(new_dir.glob("*.jsonl.*"))


def test_an_outcome_the_rules_do_not_know_is_one_line_naming_the_test(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The store is input too: an outcome that is not passed/failed/not_run is refused, naming the test and run,
    also when the part that met it was read in a forked process (the last node id is in the last range)."""
    from pytest_svtad.store import schema as t
    from pytest_svtad.store.issues import StoreError

    store = Store(f"sqlite:///{tmp_path / 'svtad.db'}")
    _fill(store)
    with store.engine.begin() as conn:
        conn.execute(t.results.update().values(outcome="bogus").where(t.results.c.reason == "ok ✓"))
    runs = phase_runs(store, "C", "SIT", "R1")
    with pytest.raises(StoreError, match=r"test_ünicode.* of run \d+ has outcome 'bogus'; expected one of"):
        summarize_campaign(store, runs)
    monkeypatch.setattr(campaign_pass, "PARALLEL_FROM", 0)
    with pytest.raises(StoreError, match=r"test_ünicode.* has outcome 'bogus'"):
        summarize_campaign(store, runs, parts=2)
    store.close()
