"""The pure rules, on plain data: Table 13.1, Table 13.2, known defects, per-EPCL-entry thresholds."""

from __future__ import annotations

import pytest

from pytest_svtad.model import Descoping, Outcome, PlanEntry, Result
from pytest_svtad.rules.criteria import Criteria, EpclThresholds
from pytest_svtad.rules.issues import issue_id_for, raise_issues
from pytest_svtad.rules.ttm import Requirement, Ttm
from pytest_svtad.rules.verdict import Outputs, evaluate

TTM = Ttm("ttm.csv", {"R1": Requirement("R1", "reads", "t")})


def _plan(n: int, dmc: str = "D1", **tags) -> list[PlanEntry]:
    return [PlanEntry(f"t.py::test_{i}[{dmc}]", dmc=dmc, ttm=("R1",), **tags) for i in range(n)]


def _results(plan: list[PlanEntry], failed: int = 0, not_run: int = 0) -> dict[str, Result]:
    out = {}
    for index, entry in enumerate(plan):
        outcome = Outcome.FAILED if index < failed else Outcome.NOT_RUN if index < failed + not_run \
            else Outcome.PASSED
        out[entry.nodeid] = Result(entry.nodeid, outcome, reason="boom" if outcome is Outcome.FAILED else "")
    return out


def _verdict(plan, results, stage="SIT", criteria=None, epcl=None):
    issues = raise_issues(plan, results, epcl or {})
    stored = frozenset(plan_entry.nodeid for plan_entry in plan)
    outputs = Outputs(report_dir="r", stored_results=stored, issue_log_written=True, heatmap_written=True)
    return evaluate(stage=stage, release="IOC", plan=plan, results=results, criteria=criteria or Criteria(),
                    issues=issues, ttm=TTM, outputs=outputs)


def _status(verdict, cid):
    return next(c.status for c in verdict.criteria if c.id == cid)


@pytest.mark.parametrize(("planned", "failed", "status"), [
    (10, 1, "met"), (100, 10, "met"), (1000, 101, "not_met"), (30, 3, "met"), (29, 3, "not_met"),
])
def test_functional_pass_rate_boundary_is_exact(planned, failed, status):
    plan = _plan(planned)
    assert _status(_verdict(plan, _results(plan, failed=failed)), "functional-pass-rate") == status


def test_descoped_tests_leave_the_planned_count():
    plan = _plan(9) + [PlanEntry("t.py::test_x[D1]", dmc="D1", ttm=("R1",), descoped=Descoping("r", "SoS-1"))]
    verdict = _verdict(plan, _results(plan, failed=0))
    counts = verdict.counts.functional_by_dmc["D1"]
    assert (counts.planned, counts.descoped, counts.pass_rate) == (9, 1, 1.0)


def test_failure_without_a_result_is_not_run():
    plan = _plan(4)
    results = _results(plan)
    del results[plan[0].nodeid]
    verdict = _verdict(plan, results)
    assert verdict.counts.functional_by_dmc["D1"].not_run == 1
    assert _status(verdict, "functional-execution") == "not_met"


@pytest.mark.parametrize("stage", ["MT-ACTIVE", "MT-DORMANT", "MT-MIXED", "DMCT-MT", "DMCT-SRVT"])
def test_thresholds_the_seeds_do_not_give_are_not_configured_and_not_met(stage):
    plan = _plan(3)
    verdict = _verdict(plan, _results(plan), stage=stage)
    criterion = next(c for c in verdict.criteria if c.id == "issue-thresholds")
    assert criterion.status == "not_met"
    assert "not configured" in criterion.detail
    assert verdict.thresholds is None


def test_criteria_file_configures_mt_thresholds():
    plan = _plan(3)
    criteria = Criteria(thresholds={"MT-DORMANT": {1: 0, 2: 0, 3: 0, 4: 1, 5: 1}}, source="c.yaml")
    verdict = _verdict(plan, _results(plan, failed=1), stage="MT-DORMANT", criteria=criteria)
    assert _status(verdict, "issue-thresholds") == "not_met"  # one severity-3 issue, limit 0
    criteria = Criteria(thresholds={"MT-DORMANT": {1: 0, 2: 0, 3: 1, 4: 1, 5: 1}}, source="c.yaml")
    verdict = _verdict(plan, _results(plan, failed=1), stage="MT-DORMANT", criteria=criteria)
    assert _status(verdict, "issue-thresholds") == "met"


@pytest.mark.parametrize(("stage", "limit"), [("PIT", 15), ("SIT", 15), ("UTS", 5), ("SCT", 15)])
def test_table_13_2_severity_three_limits(stage, limit):
    plan = _plan(limit + 1, severity=3)
    at_limit = _verdict(plan, _results(plan, failed=limit), stage=stage,
                        criteria=Criteria(functional_pass_rate=0))
    over = _verdict(plan, _results(plan, failed=limit + 1), stage=stage, criteria=Criteria(functional_pass_rate=0))
    assert _status(at_limit, "issue-thresholds") == "met"
    assert _status(over, "issue-thresholds") == "not_met"


def test_known_defect_failures_are_one_issue_at_the_worst_severity():
    plan = [PlanEntry("a[D1]", dmc="D1", known_defect="TI-1", severity=4),
            PlanEntry("b[D2]", dmc="D2", known_defect="TI-1", severity=2),
            PlanEntry("c[D1]", dmc="D1", severity=5)]
    issues = raise_issues(plan, _results(plan, failed=3))
    assert [(i.id, i.severity, i.dmcs) for i in issues] == [
        ("TI-1", 2, ["D1", "D2"]), (issue_id_for("c", "", None, None), 5, ["D1"])]


def test_issue_ids_are_stable_for_the_same_failure_in_the_same_phase_only():
    same = issue_id_for("t.py::test_a", "SIT", "IOC", "C1")
    assert same == issue_id_for("t.py::test_a", "SIT", "IOC", "C1")
    assert same != issue_id_for("t.py::test_a", "PIT", "IOC", "C1")  # another phase: another issue (13.18)
    assert same != issue_id_for("t.py::test_a", "SIT", "MOC", "C1")
    assert same != issue_id_for("t.py::test_a", "SIT", "IOC", "C2")
    assert same != issue_id_for("t.py::test_a", "SIT", "IOC", "C1", dmc="D1")  # a device issue split per DMC


def test_per_epcl_entry_thresholds_need_configuring():
    plan = _plan(3)
    verdict = _verdict(plan, _results(plan), criteria=Criteria(per_epcl_entry=True))
    criterion = next(c for c in verdict.criteria if c.id == "issue-thresholds")
    assert criterion.status == "not_met" and "not configured" in criterion.detail


def test_per_epcl_entry_limit_and_aggregate_limit():
    plan = _plan(10, dmc="D1") + _plan(10, dmc="D2")
    limits = EpclThresholds(per_entry={1: 0, 2: 0, 3: 1, 4: 5, 5: 5}, aggregate={1: 0, 2: 0, 3: 2, 4: 5, 5: 5})
    criteria = Criteria(per_epcl_entry=True, epcl_thresholds=limits, functional_pass_rate=0)
    results = _results(plan[:10], failed=1) | _results(plan[10:], failed=1)
    epcl = {"D1": "EPCL-1", "D2": "EPCL-2"}
    verdict = _verdict(plan, results, criteria=criteria, epcl=epcl)
    assert _status(verdict, "issue-thresholds") == "met"
    assert verdict.epcl["extant"]["EPCL-1"]["3"] == 1
    results = _results(plan[:10], failed=2) | _results(plan[10:], failed=0)
    verdict = _verdict(plan, results, criteria=criteria, epcl=epcl)
    criterion = next(c for c in verdict.criteria if c.id == "issue-thresholds")
    assert criterion.status == "not_met" and "EPCL-1" in criterion.detail
    results = _results(plan[:10], failed=1) | _results(plan[10:][::-1], failed=1)  # two tests: two issues
    tighter = Criteria(per_epcl_entry=True, functional_pass_rate=0, epcl_thresholds=EpclThresholds(
        per_entry={1: 0, 2: 0, 3: 1, 4: 5, 5: 5}, aggregate={1: 0, 2: 0, 3: 1, 4: 5, 5: 5}))
    assert _status(_verdict(plan, results, criteria=tighter, epcl=epcl), "issue-thresholds") == "not_met"


def test_no_planned_functional_tests_is_never_met():
    verdict = _verdict([], {})
    assert _status(verdict, "functional-execution") == "not_met"
    assert not verdict.met


def test_excluded_issue_leaves_the_count_only_with_tag_agreement():
    plan = _plan(20, severity=2)
    issues = raise_issues(plan, _results(plan, failed=1))
    issues[0].status = "excluded"
    assert issues[0].extant  # proposed, not agreed (13.20)
    issues[0].tag_agreed = True
    assert not issues[0].extant
