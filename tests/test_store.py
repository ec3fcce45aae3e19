"""The campaign store on SQLite and PostgreSQL: campaigns over runs and versions, issues, writers, failures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from conftest import ONE_PROCESS, Project
from pytest_svtad.cli import main
from pytest_svtad.store import Store, StoreError
from pytest_svtad.store import schema as t

PACK = """
import os
import pytest

RUN = os.environ.get("SVTAD_TEST_RUN", "1")

@pytest.mark.ttm("REQ-1", "REQ-2", "REQ-3")
@pytest.mark.parametrize("i", range(3))
def test_functional(dmc, i):
    assert not (RUN == "1" and dmc.id == "DMC-A" and i == 0), "register not advanced"

@pytest.mark.ttm("REQ-1")
@pytest.mark.regression
def test_regression(dmc):
    assert RUN != "1", "regression on the old version"

@pytest.mark.ttm("REQ-2")
@pytest.mark.severity(2)
def test_critical(dmc):
    assert not (RUN == "1" and dmc.id == "DMC-B"), "supply left enabled"
"""


def _session(project: Project, store_url: str, run: str, version: str, *args: str, campaign: str = "SIT-IOC"):
    os.environ["SVTAD_TEST_RUN"] = run
    try:
        return project.run("--svtad-store", store_url, "--svtad-campaign", campaign, "--svtad-sut-version",
                           version, "--svtad-dmc", "DMC-A,DMC-B", "--svtad-release", "IOC", *args)
    finally:
        del os.environ["SVTAD_TEST_RUN"]


def test_campaign_takes_latest_results_and_regression_on_exit_version(project_single, store_url):
    project_single.tests(PACK)
    first = _session(project_single, store_url, "1", "1.0")
    assert first.verdict()["dmcs"]["DMC-A"]["failed"] == 1
    _session(project_single, store_url, "2", "2.0", "-k", "regression")
    third = _session(project_single, store_url, "3", "2.0", "-k", "functional")
    verdict = third.verdict()
    # run 3 fixed DMC-A's functional failure; test_critical[DMC-B] last failed in run 1 and still counts
    assert verdict["dmcs"]["DMC-A"] == {"planned": 4, "executed": 4, "passed": 4, "failed": 0, "not_run": 0,
                                        "descoped": 0, "pass_rate": 1.0}
    assert verdict["dmcs"]["DMC-B"]["failed"] == 1
    # regression: run 1 (1.0) failed both, run 2 (2.0, the exit version) passed both
    assert verdict["regression"]["planned"] == 2 and verdict["regression"]["passed"] == 2
    assert verdict["sut_version"] == "2.0"
    assert any("3 runs" in note for note in verdict["notes"])
    # issues raised in run 1 stay open until closed: the functional failure and the regression test's failure on
    # both DMCs (one issue, severity 3), the critical one (severity 2)
    assert verdict["issues"]["extant"] == {"1": 0, "2": 1, "3": 2, "4": 0, "5": 0}
    # counted on version 1.0 instead, regression fails
    old = _session(project_single, store_url, "3", "2.0", "-k", "nothing_matches", "--svtad-exit-version", "1.0")
    assert old.verdict()["regression"]["failed"] == 2
    assert next(c for c in old.verdict()["criteria"] if c["id"] == "regression")["status"] == "not_met"


def test_excluded_issue_counts_until_the_tag_agrees(project_single, store_url, capsys):
    project_single.tests(PACK)
    _session(project_single, store_url, "1", "1.0")
    store = Store(store_url)
    critical = [row for row in store.issues(campaign="SIT-IOC") if row["severity"] == 2]
    assert len(critical) == 1
    issue_id = critical[0]["id"]
    args = ["--store", store_url]

    def thresholds() -> str:
        assert main(["verdict", "--campaign", "SIT-IOC", "--json", *args]) in (0, 1)
        out = capsys.readouterr().out
        verdict = json.loads(out[out.index("{\n  \"schema\""):])
        return next(c["status"] for c in verdict["criteria"] if c["id"] == "issue-thresholds")

    assert thresholds() == "not_met"
    assert main(["issues", "exclude", issue_id, "--rationale", "test rig fault, not DCC", *args]) == 0
    assert "still counts" in capsys.readouterr().out
    assert thresholds() == "not_met"  # proposed only (13.20)
    assert main(["issues", "exclude", issue_id, "--rationale", "test rig fault", "--tag-agreed", *args]) == 0
    capsys.readouterr()
    assert thresholds() == "met"
    assert main(["issues", "reopen", issue_id, *args]) == 0
    capsys.readouterr()
    assert thresholds() == "not_met"
    assert main(["issues", "set-severity", issue_id, "4", *args]) == 0
    capsys.readouterr()
    assert thresholds() == "met"
    store.close()


def test_same_failure_in_a_later_run_updates_its_issue(project_single, store_url):
    project_single.tests(PACK)
    _session(project_single, store_url, "1", "1.0")
    store = Store(store_url)
    before = {row["id"]: row for row in store.issues()}
    store.change_issue(next(iter(before.values()))["uid"], status="closed", why="fixed in 1.1")
    _session(project_single, store_url, "1", "1.1")
    after = {row["id"]: row for row in store.issues()}
    assert set(after) == set(before)  # no new issue for the same failures
    assert all(row["status"] == "open" for row in after.values())  # the closed one failed again: reopened
    assert all(after[i]["last_seen"] >= before[i]["last_seen"] for i in after)
    store.close()


def test_issue_open_in_an_earlier_release_counts_in_a_later_one(project_single, store_url):
    project_single.tests(PACK)
    _session(project_single, store_url, "1", "1.0", campaign="SIT-IOC")
    later = _session(project_single, store_url, "3", "2.0", "--svtad-release", "MOC", campaign="SIT-MOC")
    # nothing fails in the MOC campaign, but the IOC issues are still open (13.18)
    assert later.verdict()["dmcs"]["DMC-A"]["failed"] == 0
    assert later.verdict()["issues"]["extant"]["2"] == 1
    assert later.verdict()["issues"]["raised"] == 0  # counted here, raised in IOC


def _pytest_argv(store_url: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--svtad-ttm", "ttm.csv",
            "--svtad-store", store_url, "--svtad-campaign", "C", *extra]


def test_two_concurrent_writers_lose_nothing(pytester, store_url):
    project = Project(pytester, 0)
    for name in ("test_one", "test_two"):
        project.tests("""
            import time
            import pytest

            @pytest.mark.ttm("REQ-1", "REQ-2", "REQ-3")
            @pytest.mark.parametrize("i", range(40))
            def test_x(dmc, i):
                time.sleep(0.01)
        """, name=name)
    procs = [subprocess.Popen(_pytest_argv(store_url, f"{name}.py", *extra), cwd=pytester.path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for name, extra in (("test_one", ()), ("test_two", ()))]
    outputs = [proc.communicate(timeout=300)[0].decode() for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), outputs
    assert not any("store-fallback" in out for out in outputs), outputs
    store = Store(store_url)
    runs = store.runs("C")
    assert len(runs) == 2 and all(run["status"] == "finished" for run in runs)
    plans, results = store.plan_and_results([run["id"] for run in runs])
    assert sorted(len(r) for r in results.values()) == [120, 120]  # 40 x 3 DMCs each, none lost
    assert sorted(len(p) for p in plans.values()) == [120, 120]
    store.close()


def test_killed_session_keeps_what_it_ran(pytester, store_url):
    project = Project(pytester, 0)
    project.tests("""
        import time
        import pytest

        @pytest.mark.ttm("REQ-1", "REQ-2", "REQ-3")
        @pytest.mark.parametrize("i", range(40))
        def test_slow(dmc, i):
            time.sleep(0.1)
    """)
    proc = subprocess.Popen(_pytest_argv(store_url, "--svtad-report", "report"), cwd=pytester.path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = pytester.path / "report" / "results.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (results.exists() and len(results.read_text().splitlines()) >= 25):
        time.sleep(0.1)
    time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    store = Store(store_url)
    runs = store.runs("C")
    assert len(runs) == 1 and runs[0]["status"] == "running"  # never finished: not mistaken for a complete run
    plans, stored = store.plan_and_results([runs[0]["id"]])
    assert len(plans[runs[0]["id"]]) == 120  # the whole plan was written with the first results
    assert len(stored[runs[0]["id"]]) >= 12  # written as they finished (every half second), not at the end
    store.close()


def test_interrupted_session_is_marked_interrupted(project_single, store_url):
    project_single.tests("""
        import pytest

        @pytest.mark.ttm("REQ-1", "REQ-2", "REQ-3")
        @pytest.mark.parametrize("i", range(3))
        def test_x(dmc, i):
            if i == 1:
                raise KeyboardInterrupt
    """)
    # in a subprocess: an in-process KeyboardInterrupt would stop this suite too
    project_single.pytester.runpytest_subprocess("-p", "no:cacheprovider", "--svtad-ttm", "ttm.csv",
                                                 "--svtad-store", store_url, "--svtad-campaign", "C")
    store = Store(store_url)
    run = store.runs("C")[0]
    assert run["status"] == "interrupted"
    plans, results = store.plan_and_results([run["id"]])
    assert len(plans[run["id"]]) == 9 and len(results[run["id"]]) == 9  # not run ones included
    store.close()


@ONE_PROCESS
def test_unwritable_store_sends_everything_to_a_jsonl_file(project):
    project.tests(PACK)
    blocker = project.pytester.path / "not-a-directory"
    blocker.write_text("")
    run = project.run("--svtad-store", f"sqlite:///{blocker}/svtad.db", "--svtad-dmc", "DMC-A")
    verdict = run.verdict()
    note = next(n for n in verdict["notes"] if "cannot open store" in n)
    fallback = next((project.pytester.path / "report").glob("store-fallback-*.jsonl"))
    assert str(fallback.name) in note
    lines = [json.loads(line) for line in fallback.read_text().splitlines()]
    kinds = [line["type"] for line in lines]
    assert kinds.count("result") == 5 and kinds.count("plan") == 5 and kinds[0] == "run" and kinds[-1] == "end"
    assert run.criterion("evidence")["status"] == "met"  # results.jsonl still holds every result


def test_store_newer_than_the_code_is_refused(store_url):
    store = Store(store_url)
    with store.engine.begin() as conn:
        conn.execute(update(t.meta).where(t.meta.c.key == "schema_version").values(value="99"))
    store.close()
    with pytest.raises(StoreError, match="schema version 99, newer than this pytest-svtad"):
        Store(store_url)


def test_plain_suite_writes_no_store(project_single):
    project_single.tests("""
        def test_plain():
            pass
    """)
    project_single.run(ttm=False, report=False)
    assert not (project_single.pytester.path / ".svtad").exists()


def test_weekly_report_shows_progress_groups_and_issues(project_single, store_url, tmp_path):
    project_single.tests(PACK)
    _session(project_single, store_url, "1", "1.0")
    _session(project_single, store_url, "3", "2.0")
    week = datetime.now(UTC).strftime("%G-W%V")
    assert main(["weekly", "--campaign", "SIT-IOC", "--week", week, "--output", str(tmp_path),
                 "--store", store_url]) == 0
    page = (tmp_path / f"weekly-{week}.html").read_text()
    assert (tmp_path / f"weekly-{week}.png").read_bytes()[:4] == b"\x89PNG"
    # opened: the functional failure, the critical one, the regression test's failure on both DMCs (one issue)
    assert "DMC-A" in page and "DMC-B" in page and "Opened this week: 3" in page
    # after run 2 everything passed: 10 planned, 10 executed, 10 passed
    assert "<td>10</td><td>10</td><td>10</td>" in page.replace("\n", "")
    assert main(["weekly", "--campaign", "SIT-IOC", "--week", "2026-48", "--store", store_url]) == 2
