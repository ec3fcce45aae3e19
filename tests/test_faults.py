"""Faults a session must survive without a false or lost result (issue 13): unwritable or full report folders, two
sessions on one report folder, signals, a store that fails mid-run, plan folders left by a killed session.

Real faults where the machine allows: tmpfs mounts for a full disk, read-only bind mounts, real signals to real
process groups. Every wait has a deadline."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import ONE_PROCESS, Project
from pytest_svtad.store import Store

EVIDENCE_PACK = """
import pytest

@pytest.mark.ttm("REQ-1")
@pytest.mark.srv("4.1.1")
def test_read_register(smets1):
    assert smets1.request("4.1.1").code == "I0"

@pytest.mark.ttm("REQ-2", "REQ-3")
def test_attach_note(dmc, svtad_evidence):
    svtad_evidence.text("note.txt", "checked by hand")
"""


def _mount(*args: str) -> None:
    proc = subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount here ({proc.stderr.strip() or proc.returncode}): needs root with CAP_SYS_ADMIN")


@contextlib.contextmanager
def mounted(target: Path, *args: str) -> Iterator[Path]:
    target.mkdir(parents=True, exist_ok=True)
    _mount(*args, str(target))
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True, timeout=30)


def _fill(folder: Path) -> None:
    """Fill the file system under ``folder`` to the last byte."""
    with contextlib.suppress(OSError), (folder / "filler").open("wb", buffering=0) as handle:
        while True:
            handle.write(b"\0" * 4096)


def _assert_outcomes_kept(run, why: str) -> None:
    """Every test passed as it did, no Testing Issue was raised, and the evidence criterion says why not met."""
    assert run.ret == 0, run.text
    results = run.results()
    assert len(results) == 4 and {row["outcome"] for row in results} == {"passed"}, results
    assert not any(row["error"] for row in results)
    verdict = run.verdict()
    assert verdict["issues"]["raised"] == 0
    evidence = run.criterion("evidence")
    assert evidence["status"] == "not_met" and "could not be stored" in evidence["detail"], evidence
    assert why in evidence["detail"], evidence


@ONE_PROCESS
def test_evidence_folder_that_cannot_be_made_keeps_passing_tests_passed(project: Project) -> None:
    project.tests(EVIDENCE_PACK)
    (project.pytester.path / "report").mkdir()
    (project.pytester.path / "report" / "evidence").write_text("a file where the evidence folder should be")
    run = project.run("--svtad-dmc", "DMC-A,DMC-B", "--svtad-campaign", "C")
    _assert_outcomes_kept(run, "Not a directory")
    store = Store(f"sqlite:///{project.pytester.path / '.svtad' / 'svtad.db'}")
    try:
        assert store.issues() == []  # no false Testing Issue in the campaign
    finally:
        store.close()


@ONE_PROCESS
def test_full_disk_under_the_evidence_folder_keeps_passing_tests_passed(project: Project) -> None:
    project.tests(EVIDENCE_PACK)
    with mounted(project.pytester.path / "report" / "evidence", "-t", "tmpfs", "-o", "size=64k", "tmpfs") as folder:
        _fill(folder)
        run = project.run("--svtad-dmc", "DMC-A,DMC-B")
    _assert_outcomes_kept(run, "No space left on device")


def test_read_only_evidence_folder_keeps_passing_tests_passed(project: Project) -> None:
    project.tests(EVIDENCE_PACK)
    evidence = project.pytester.path / "report" / "evidence"
    evidence.mkdir(parents=True)
    with mounted(evidence, "--bind", "-o", "ro", str(evidence)):
        run = project.run("--svtad-dmc", "DMC-A,DMC-B")
    _assert_outcomes_kept(run, "Read-only file system")


def _one_usage_error(run) -> str:
    assert run.ret == pytest.ExitCode.USAGE_ERROR, run.text
    assert "Traceback" not in run.text and "INTERNALERROR" not in run.text, run.text
    lines = [line for line in run.text.splitlines() if line.startswith("ERROR: svtad:")]
    assert len(lines) == 1, run.text
    return lines[0]


@pytest.mark.parametrize("where", ["file", "under-a-file", "proc"])
def test_report_path_that_is_a_file_or_cannot_be_made_is_a_usage_error(project: Project, where: str) -> None:
    project.tests(EVIDENCE_PACK)
    blocker = project.pytester.path / "blocker"
    blocker.write_text("")
    path = {"file": blocker, "under-a-file": blocker / "report", "proc": Path("/proc/self/fdinfo/report")}[where]
    line = _one_usage_error(project.run("--svtad-report", str(path), report=False))
    assert str(path) in line
    assert not (project.pytester.path / ".svtad").exists()  # refused before anything was written


def _pytest_argv(*extra: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--svtad-ttm", "ttm.csv", *extra]


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


SLOW_PACK = """
import os
import time
from pathlib import Path

import pytest

@pytest.mark.ttm("REQ-1", "REQ-2", "REQ-3")
@pytest.mark.parametrize("i", range(3))
def test_quick(dmc, i):
    pass

@pytest.mark.ttm("REQ-1")
def test_long(dmc):
    Path(os.environ["SVTAD_TEST_STARTED"]).touch()
    time.sleep(120)
"""


@pytest.mark.parametrize("workers", [0, 2], ids=["n0", "n2"])
def test_second_session_on_the_same_report_folder_is_refused(pytester: pytest.Pytester, workers: int) -> None:
    project = Project(pytester, 0)
    project.tests(SLOW_PACK)
    started = pytester.path / "started"
    env = {**os.environ, "SVTAD_TEST_STARTED": str(started)}
    xdist = ["-n", str(workers)] if workers else []
    first = subprocess.Popen(_pytest_argv("--svtad-report", "report", "--svtad-dmc", "DMC-A", "--svtad-store",
                                          "none", *xdist), cwd=pytester.path, env=env, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(started.exists, "the first session's long test")
        argv = _pytest_argv("--svtad-report", "report", "--svtad-dmc", "DMC-B", "--svtad-store", "none",
                            "-k", "quick", *xdist)
        second = subprocess.run(argv, cwd=pytester.path, env=env, capture_output=True, text=True, timeout=120)
    finally:
        _stop(first)
    assert second.returncode == pytest.ExitCode.USAGE_ERROR, second.stdout + second.stderr
    message = [line for line in (second.stdout + second.stderr).splitlines() if line.startswith("ERROR: svtad:")]
    assert len(message) == 1, second.stdout + second.stderr
    assert str(pytester.path / "report") in message[0] and f"pid {first.pid}" in message[0]
    # the first session's results are untouched by the second
    lines = (pytester.path / "report" / "results.jsonl").read_text().splitlines()
    assert lines and all("DMC-A" in line for line in lines)


def test_evidence_criterion_checks_results_on_disk(project_single: Project) -> None:
    """A results.jsonl replaced under a running session (by hand, or a tool that does not lock) is noticed."""
    project_single.tests("""
        import json
        from pathlib import Path

        import pytest

        @pytest.mark.ttm("REQ-1", "REQ-2", "REQ-3")
        def test_first(dmc):
            pass

        @pytest.mark.ttm("REQ-1")
        def test_replaces_results(dmc):
            path = Path("report/results.jsonl")
            path.unlink()
            path.write_text(json.dumps({"nodeid": "someone-else"}) + "\\n")
    """)
    run = project_single.run("--svtad-dmc", "DMC-A")
    assert run.ret == 0, run.text
    evidence = run.criterion("evidence")
    assert evidence["status"] == "not_met", evidence
    assert "test_first[DMC-A]" in evidence["detail"]
    assert json.loads((project_single.pytester.path / "report" / "verdict.json").read_text())["verdict"] == "not_met"


def _start(pytester: pytest.Pytester, *args: str) -> subprocess.Popen[bytes]:
    """An inner session in its own process group, as CI runs one (so signals reach it and its workers)."""
    env = {**os.environ, "SVTAD_TEST_STARTED": str(pytester.path / "started")}
    return subprocess.Popen(_pytest_argv(*args), cwd=pytester.path, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _streamed(pytester: pytest.Pytester) -> int:
    """Results the controller has streamed to results.jsonl so far."""
    path = pytester.path / "report" / "results.jsonl"
    return len(path.read_text().splitlines()) if path.exists() else 0


def _store_of(pytester: pytest.Pytester) -> str:
    return f"sqlite:///{pytester.path / 'store.db'}"


@pytest.mark.parametrize("workers", [0, 2], ids=["n0", "n2"])
def test_sigterm_during_a_long_test_is_an_interrupted_session(pytester: pytest.Pytester, workers: int) -> None:
    Project(pytester, 0).tests(SLOW_PACK)
    xdist = ["-n", str(workers)] if workers else []
    proc = _start(pytester, "--svtad-report", "report", "--svtad-dmc", "DMC-A", "--svtad-store", _store_of(pytester),
                  "--svtad-campaign", "C", *xdist)
    try:
        _wait_for((pytester.path / "started").exists, "the long test")
        # under xdist the long test can start on one worker before the other's quick results reach the controller
        _wait_for(lambda: _streamed(pytester) >= 3, "the quick tests' results")
        os.killpg(proc.pid, signal.SIGTERM)  # what a CI timeout sends
        output = proc.communicate(timeout=60)[0].decode()
    finally:
        _stop(proc)
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, output
    assert "INTERNALERROR" not in output and "SVTAD verdict" in output, output
    lines = [json.loads(line) for line in (pytester.path / "report" / "results.jsonl").read_text().splitlines()]
    outcomes = {line["nodeid"].split("::")[-1]: line["outcome"] for line in lines}
    assert outcomes == {"test_quick[DMC-A-0]": "passed", "test_quick[DMC-A-1]": "passed",
                        "test_quick[DMC-A-2]": "passed", "test_long[DMC-A]": "not_run"}, outcomes
    verdict = json.loads((pytester.path / "report" / "verdict.json").read_text())
    assert verdict["interrupted"] is True
    assert verdict["dmcs"]["DMC-A"]["planned"] == 4 and verdict["dmcs"]["DMC-A"]["not_run"] == 1
    store = Store(_store_of(pytester))
    try:
        runs = store.runs("C")
        assert [run["status"] for run in runs] == ["interrupted"]
        plans, results = store.plan_and_results([runs[0]["id"]])
        assert len(plans[runs[0]["id"]]) == 4
        assert sorted(r.outcome.value for r in results[runs[0]["id"]]) == ["not_run", "passed", "passed", "passed"]
    finally:
        store.close()


@pytest.mark.parametrize("workers", [0, 2], ids=["n0", "n2"])
def test_sigkill_during_a_long_test_keeps_the_results_finished_before(pytester: pytest.Pytester,
                                                                      workers: int) -> None:
    Project(pytester, 0).tests(SLOW_PACK)
    xdist = ["-n", str(workers)] if workers else []
    proc = _start(pytester, "--svtad-dmc", "DMC-A", "--svtad-store", _store_of(pytester), "--svtad-campaign", "C",
                  *xdist)
    try:
        _wait_for((pytester.path / "started").exists, "the long test")
        time.sleep(1.5)  # three flush intervals: the quick tests ended before the long one started
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        _stop(proc)
    store = Store(_store_of(pytester))
    try:
        runs = store.runs("C")
        assert [run["status"] for run in runs] == ["running"]  # never ended: not mistaken for a complete run
        plans, results = store.plan_and_results([runs[0]["id"]])
        assert len(plans[runs[0]["id"]]) == 4  # the whole plan, the long test's included
        assert sorted(r.nodeid.split("::")[-1] for r in results[runs[0]["id"]]) == [
            "test_quick[DMC-A-0]", "test_quick[DMC-A-1]", "test_quick[DMC-A-2]"]
    finally:
        store.close()


BREAKS_THE_STORE = """
import os
import sqlite3
import time

import pytest

STORE = os.environ["SVTAD_TEST_STORE_FILE"]

@pytest.mark.ttm("REQ-1", "REQ-2", "REQ-3")
@pytest.mark.parametrize("i", range(4))
def test_before(dmc, i):
    pass

@pytest.mark.ttm("REQ-1")
def test_store_goes_away(dmc):
    # once the results before are in the store, its results table goes away (as if locked for good)
    conn = sqlite3.connect(STORE, timeout=30)
    deadline = time.monotonic() + 30
    while conn.execute("SELECT count(*) FROM svtad_results r JOIN svtad_tests s ON s.id = r.test_id "
                       "WHERE s.nodeid LIKE '%test_before%'").fetchone()[0] < 4:
        assert time.monotonic() < deadline, "results never reached the store"
        time.sleep(0.05)
    conn.execute("ALTER TABLE svtad_results RENAME TO svtad_results_away")
    conn.commit()
    conn.close()

@pytest.mark.ttm("REQ-2")
@pytest.mark.parametrize("i", range(4))
def test_after(dmc, i):
    pass
"""


def _tables(url: str) -> dict[str, list[tuple[object, ...]]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {name: sorted(map(tuple, conn.execute(text(f"SELECT * FROM {name}"))), key=repr)
                    for name in ("svtad_runs", "svtad_plan", "svtad_results", "svtad_issues")}
    finally:
        engine.dispose()


def _campaign_verdict(url: str, capsys) -> dict:
    from pytest_svtad.cli import main

    assert main(["verdict", "--campaign", "C", "--store", url, "--json"]) in (0, 1)
    out = capsys.readouterr().out
    return json.loads(out[out.index('{\n  "schema"'):])


def test_fallback_after_a_store_failure_mid_run_is_imported_once(project: Project, monkeypatch, capsys) -> None:
    import sqlite3

    from pytest_svtad.cli import main

    db = project.pytester.path / "store.db"
    url = f"sqlite:///{db}"
    monkeypatch.setenv("SVTAD_TEST_STORE_FILE", str(db))
    project.tests(BREAKS_THE_STORE)
    run = project.run("--svtad-store", url, "--svtad-campaign", "C", "--svtad-dmc", "DMC-A")
    assert run.ret == 0, run.text
    with sqlite3.connect(db) as conn:
        conn.execute("ALTER TABLE svtad_results_away RENAME TO svtad_results")
    fallback = next((project.pytester.path / "report").glob("store-fallback-*.jsonl"))
    note = next(n for n in run.verdict()["notes"] if str(fallback) in n)
    assert "is incomplete" in note and f"svtad store import {fallback}" in note, note
    store = Store(url)
    try:
        [stored] = store.runs("C")
        assert stored["status"] == "incomplete"
        assert 4 <= len(store.plan_and_results([stored["id"]])[1][stored["id"]]) < 9
    finally:
        store.close()
    capsys.readouterr()
    verdict = _campaign_verdict(url, capsys)
    assert verdict["dmcs"]["DMC-A"]["executed"] < 9  # the results only in the file are not counted ...
    assert any(note.startswith(f"campaign 'C': run {stored['id']} ") and "is incomplete" in note
               for note in verdict["notes"]), verdict["notes"]  # ... and the verdict says so

    assert main(["store", "import", str(fallback)]) == 0  # the file names its store
    out = capsys.readouterr().out
    assert f"run {stored['id']}" in out and "completed" in out and "status finished" in out, out
    store = Store(url)
    try:
        [stored] = store.runs("C")
        assert stored["status"] == "finished" and stored["verdict"] == run.verdict()["verdict"]
        plans, results = store.plan_and_results([stored["id"]])
        assert len(plans[stored["id"]]) == 9 and len(results[stored["id"]]) == 9
    finally:
        store.close()
    verdict = _campaign_verdict(url, capsys)
    assert verdict["dmcs"]["DMC-A"]["executed"] == verdict["dmcs"]["DMC-A"]["passed"] == 9
    assert not any("is incomplete" in note for note in verdict["notes"])

    before = _tables(url)
    assert main(["store", "import", str(fallback), "--store", url]) == 0
    out = capsys.readouterr().out
    assert "already complete: 0 plan entries, 0 results, 0 Testing Issues added" in out, out
    assert _tables(url) == before  # importing twice changes nothing


def test_fallback_of_a_session_that_never_reached_its_store_creates_the_run_once(project_single: Project,
                                                                                   store_url: str,
                                                                                   capsys) -> None:
    from pytest_svtad.cli import main

    project_single.tests("""
        import pytest

        @pytest.mark.ttm("REQ-1", "REQ-2", "REQ-3")
        @pytest.mark.parametrize("i", range(3))
        def test_x(dmc, i):
            assert i != 2, "register not advanced"
    """)
    blocker = project_single.pytester.path / "blocker"
    blocker.write_text("")
    run = project_single.run("--svtad-store", f"sqlite:///{blocker}/svtad.db", "--svtad-campaign", "C",
                             "--svtad-dmc", "DMC-A,DMC-B")
    fallback = next((project_single.pytester.path / "report").glob("store-fallback-*.jsonl"))
    url = store_url  # the conftest fixture: SQLite and PostgreSQL
    capsys.readouterr()
    assert main(["store", "import", str(fallback), "--store", url]) == 0
    # test_x[2] failed on both DMCs: one Testing Issue listing both (13.19)
    assert "created: 6 plan entries, 6 results, 1 Testing Issue added; status finished" in capsys.readouterr().out
    before = _tables(url)
    assert main(["store", "import", str(fallback), "--store", url]) == 0
    assert "already complete" in capsys.readouterr().out
    assert _tables(url) == before
    verdict = _campaign_verdict(url, capsys)
    assert verdict["dmcs"] == run.verdict()["dmcs"]
    assert verdict["issues"]["extant"]["3"] == 1


def test_store_import_of_a_file_that_is_not_a_fallback_is_one_line(tmp_path, capsys) -> None:
    from pytest_svtad.cli import main

    path = tmp_path / "results.jsonl"
    path.write_text('{"nodeid": "x"}\n')
    assert main(["store", "import", str(path), "--store", f"sqlite:///{tmp_path / 's.db'}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("svtad: error: ") and str(path) in err and "not a store-fallback file" in err
    assert len(err.strip().splitlines()) == 1


PASSING = """
import pytest

@pytest.mark.ttm("REQ-1", "REQ-2", "REQ-3")
@pytest.mark.parametrize("i", range(2))
def test_read(smets1, i):
    assert smets1.request("4.1.1").code == "I0"
"""


def _both_unwritable(project: Project, report: Path, *extra: str):
    # --opt=VALUE: pytest would take a separate existing path into its rootdir's common ancestor
    return project.run(f"--svtad-report={report}", "--svtad-store=sqlite:////proc/self/fdinfo/s/svtad.db",
                       "--svtad-dmc", "DMC-A", *extra, report=False)


def _assert_verdict_in_terminal_only(run, gate: bool) -> None:
    assert "INTERNALERROR" not in run.text and "Traceback" not in run.text, run.text
    assert run.ret == (1 if gate else 0), run.text  # all passed; with the gate, evidence is not met
    assert "SVTAD verdict for SIT: EXIT CRITERIA NOT MET" in run.text, run.text
    notes = [line for line in run.text.splitlines() if line.startswith("note: ")]
    assert any("cannot open store" in n and "fallback file could not be written either" in n for n in notes), notes
    assert any(n.startswith("note: verdict.json not written") for n in notes), notes
    assert "[NOT MET] evidence" in run.text


@pytest.mark.parametrize(("project", "gate"), [(0, False), (0, True), (2, True)], indirect=["project"],
                         ids=["n0-no-gate", "n0-gate", "n2-gate"])
def test_store_and_report_both_unwritable_still_give_the_verdict(project: Project, gate: bool) -> None:
    project.tests(PASSING)
    run = _both_unwritable(project, Path("/proc/self/fdinfo"), *(["--svtad-gate"] if gate else []))
    _assert_verdict_in_terminal_only(run, gate)


@ONE_PROCESS
def test_store_and_read_only_report_folder_still_give_the_verdict(project: Project) -> None:
    project.tests(PASSING)
    report = project.pytester.path / "report"
    report.mkdir()
    with mounted(report, "--bind", "-o", "ro", str(report)):
        run = _both_unwritable(project, report, "--svtad-gate")
    _assert_verdict_in_terminal_only(run, gate=True)


@ONE_PROCESS
def test_default_store_folder_that_is_a_file_still_gives_the_verdict(project: Project) -> None:
    """No report folder, and .svtad (the default store's folder, and the fallback's) is a file."""
    project.tests(PASSING)
    (project.pytester.path / ".svtad").write_text("not a folder")
    run = project.run("--svtad-dmc", "DMC-A", report=False)
    assert "INTERNALERROR" not in run.text and "Traceback" not in run.text, run.text
    assert run.ret == 0, run.text
    assert "SVTAD verdict for SIT" in run.text and "2 passed" in run.text, run.text
    assert "fallback file could not be written either" in run.text, run.text


def test_plan_folder_of_a_killed_session_is_removed_by_the_next(pytester: pytest.Pytester) -> None:
    Project(pytester, 0).tests(SLOW_PACK)
    plans = pytester.path / ".svtad" / "plans"
    proc = _start(pytester, "--svtad-dmc", "DMC-A", "--svtad-store", "none", "-n", "2")
    try:
        _wait_for((pytester.path / "started").exists, "the long test")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        _stop(proc)
    left = sorted(path.name for path in plans.glob(f"{proc.pid}-*"))
    assert len(left) == 1, "the killed session's plan folder is under .svtad/plans (not the system temp folder)"
    assert {path.name for path in (plans / left[0]).iterdir()} <= {"gw0.json", "gw1.json"}
    following = subprocess.run(_pytest_argv("--svtad-dmc", "DMC-A", "--svtad-store", "none", "-n", "2", "-k",
                                            "quick"), cwd=pytester.path, capture_output=True, text=True, timeout=120)
    assert following.returncode == 0, following.stdout + following.stderr
    assert not plans.exists() or not any(plans.iterdir()), list(plans.iterdir())


@ONE_PROCESS
def test_full_report_disk_keeps_outcomes_and_the_store_has_them(project: Project) -> None:
    project.tests(EVIDENCE_PACK)
    url = f"sqlite:///{project.pytester.path / 'store.db'}"
    with mounted(project.pytester.path / "report", "-t", "tmpfs", "-o", "size=64k", "tmpfs") as folder:
        _fill(folder)
        run = project.run("--svtad-dmc", "DMC-A,DMC-B", "--svtad-store", url, "--svtad-campaign", "C",
                          "--svtad-gate")
    assert "INTERNALERROR" not in run.text and "Traceback" not in run.text, run.text
    assert run.ret == 1, run.text  # the gate: evidence not met; the tests themselves all passed
    assert "4 passed" in run.text and "[NOT MET] evidence" in run.text, run.text
    assert "No space left on device" in run.text, run.text
    store = Store(url)
    try:
        [stored] = store.runs("C")
        assert stored["status"] == "finished"
        results = store.plan_and_results([stored["id"]])[1][stored["id"]]
        assert sorted(r.outcome.value for r in results) == ["passed"] * 4 and not any(r.error for r in results)
        assert store.issues() == []
    finally:
        store.close()
