"""benchmarks/run_all.py: the one table every benchmark feeds (issue 18). Pure unit tests: nothing is measured."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("run_all", ROOT / "benchmarks" / "run_all.py")
assert spec and spec.loader
run_all = importlib.util.module_from_spec(spec)
sys.modules["run_all"] = run_all
spec.loader.exec_module(run_all)

GOOD = {"measure": "m", "baseline": 2.0, "project": 3.0, "unit": "s", "ratio": 1.5, "target": "<= 1.5x", "met": True}


def loader_of(**modules: types.ModuleType):
    def load(name: str) -> types.ModuleType:
        if name not in modules:
            raise ModuleNotFoundError(f"No module named {name!r}")
        return modules[name]
    return load


def module(**attrs: object) -> types.ModuleType:
    mod = types.ModuleType("fake")
    mod.__dict__.update(attrs)
    return mod


def test_a_module_without_measures_is_listed_as_not_measured_not_skipped():
    rows = run_all.run_module("bench_old", False, loader_of(bench_old=module()))
    assert [row["measure"] for row in rows] == ["not measured: module has no measures()"]
    assert rows[0]["met"] is None


def test_rows_keep_the_interface_fields_and_quick_reaches_the_module():
    seen = []

    def measures(quick: bool = False) -> list[dict]:
        seen.append(quick)
        return [GOOD, {**GOOD, "met": False}]

    rows = run_all.run_module("bench_x", True, loader_of(bench_x=module(measures=measures)))
    assert seen == [True]
    assert [(row["module"], row["met"]) for row in rows] == [("bench_x", True), ("bench_x", False)]


@pytest.mark.parametrize(("measures", "reason"), [
    (lambda quick=False: [{"measure": "m"}], "row lacks baseline, project, unit, ratio, target, met"),
    (lambda quick=False: [], "returned no rows"),
    (lambda quick=False: 1 / 0, "measures() failed: ZeroDivisionError"),
])
def test_a_broken_module_becomes_one_row_saying_why(measures, reason, capsys):
    rows = run_all.run_module("bench_bad", False, loader_of(bench_bad=module(measures=measures)))
    assert len(rows) == 1 and reason in rows[0]["measure"] and rows[0]["met"] is None


def test_import_failure_and_missing_file_are_rows():
    assert "import failed: ModuleNotFoundError" in run_all.run_module("bench_gone", False, loader_of())[0]["measure"]
    assert "does not exist yet" in run_all.run_module("bench_never_written", False)[0]["measure"]


def test_markdown_table_has_versions_and_one_line_per_row_with_pipes_escaped():
    rows = [run_all.check_row("bench_x", {**GOOD, "measure": "a | b"}), run_all.not_measured("bench_y", "why")]
    text = run_all.markdown(rows, quick=True, seconds=1.0)
    assert "python " in text and "pytest-xdist" in text and "sqlalchemy" in text and "(--quick)" in text
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert len(table) == 2 + len(rows)
    assert "a \\| b" in table[2] and "| 1.500 | <= 1.5x | yes |" in table[2]


def test_unknown_module_is_a_one_line_error_and_exit_2(capsys):
    assert run_all.main(["--only", "bench_nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown module bench_nope" in err
