"""Issue 18 items 1-2: store writes proportional to what is new, the integer test id upgrade (schema 3 -> 4), and
the campaign's results.jsonl fast path byte for byte. Unit tests of the store and the encoder: no inner sessions."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, insert, inspect, select

from pytest_svtad.model import Descoping, Outcome, PlanEntry, Result, result_line
from pytest_svtad.result_lines import result_lines
from pytest_svtad.store import Store
from pytest_svtad.store import schema as t
from pytest_svtad.store.migrations import SCHEMA_VERSION, legacy_metadata
from pytest_svtad.store.sink import StoreSink

RUN: dict[str, Any] = {"campaign": "C", "stage": "SIT", "release": "IOC", "sut_version": "1.0", "seed": 0, "host": "h",
       "firmware": {}}


class Statements:
    """Every statement the engine sends, with how many parameter sets (rows) it carried."""

    def __init__(self, store: Store) -> None:
        self.seen: list[tuple[str, int]] = []
        event.listen(store.engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
                executemany: bool) -> None:
        self.seen.append((statement, len(parameters) if executemany else 1))

    def rows_into(self, table: str) -> int:
        return sum(rows for sql, rows in self.seen if sql.startswith(f"INSERT INTO {table} "))

    def reads_of(self, table: str) -> int:
        return sum(1 for sql, _ in self.seen if sql.startswith("SELECT") and f"FROM {table}" in sql)


def _session(tmp_path: Path, size: int) -> Statements:
    """A store sink through a whole session of ``size`` tests: the plan known at once, ten more tests planned
    half-way (as under xdist), every result added, then the session's end."""
    store = Store(f"sqlite:///{tmp_path / f'{size}.db'}")
    seen = Statements(store)
    plan = {f"m.py::test_{i}[DMC-001]": PlanEntry(f"m.py::test_{i}[DMC-001]", "DMC-001", ("R1",), "4.1.1", "g")
            for i in range(size)}
    sink = StoreSink(store.url, tmp_path / "fallback.jsonl", dict(RUN), plan_source=lambda: plan)
    sink.store = store
    sink.update()
    for index, entry in enumerate(list(plan.values())):
        if index == size // 2:
            for extra in range(10):
                nodeid = f"m.py::test_late_{extra}[DMC-001]"
                plan[nodeid] = PlanEntry(nodeid, "DMC-001")
            sink.update()
        sink.add(entry, Result(entry.nodeid, Outcome.PASSED))
    sink.flush(plan.values(), {})
    sink.end(interrupted=False, verdict="met")
    sink.close()
    assert sink.error is None
    stored = Store(store.url)
    (run,) = stored.runs("C")
    plans, results = stored.plan_and_results([run["id"]])
    assert len(plans[run["id"]]) == size + 10 and len(results[run["id"]]) == size  # nothing lost
    return seen


def test_plan_rows_written_do_not_grow_with_the_session(tmp_path: Path) -> None:
    small, large = _session(tmp_path, 300), _session(tmp_path, 3000)
    # each planned test is written once, whenever it became known, however many results the session flushed
    assert small.rows_into("svtad_plan") == 310 and large.rows_into("svtad_plan") == 3010
    assert small.rows_into("svtad_results") == 300 and large.rows_into("svtad_results") == 3000
    # the stored plan is never read back to find what is new (it was once per flush: quadratic in the session)
    assert small.reads_of("svtad_plan") == 0 and large.reads_of("svtad_plan") == 0
    # node ids are looked up once per new test, in batches, never per result
    assert large.rows_into("svtad_tests") == 3010 and large.reads_of("svtad_tests") <= 2 * (3010 // 1000 + 2) + 2


def test_recording_a_plan_again_adds_nothing_and_fails_nothing(store_url: str) -> None:
    store = Store(store_url)
    run_id = store.begin_run(**RUN)
    entries = [PlanEntry(f"m.py::test_{i}", "DMC-001") for i in range(5)]
    store.record_plan(run_id, entries)
    store.record_plan(run_id, [*entries, PlanEntry("m.py::test_new")])  # a write repeated after an interruption
    store.record_results(run_id, [Result("m.py::test_new", Outcome.FAILED, reason="boom")])
    plans, results = store.plan_and_results([run_id])
    assert sorted(e.nodeid for e in plans[run_id]) == sorted([e.nodeid for e in entries] + ["m.py::test_new"])
    assert [(r.nodeid, r.outcome, r.reason) for r in results[run_id]] == [("m.py::test_new", Outcome.FAILED, "boom")]
    with store.engine.connect() as conn:
        assert len(conn.execute(select(t.tests.c.id)).all()) == 6  # one id per node id, shared by the runs
    store.close()


def _v3_store(url: str) -> tuple[int, int]:
    """A schema 3 store (plans and results keyed by node id) with two runs sharing a test."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    old = legacy_metadata(3)
    old.create_all(engine)
    started = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(old.tables["svtad_meta"]).values(key="schema_version", value="3"))
        first, second = (conn.execute(insert(old.tables["svtad_runs"]).values(
                campaign="C", stage="SIT", release="IOC", sut_version=version, seed=0, host="h",
                started_at=started, status="finished", firmware={}, verdict="met")).inserted_primary_key[0]
            for version in ("1.0", "2.0"))
        conn.execute(insert(old.tables["svtad_plan"]), [
            {"run_id": first, "nodeid": "a.py::test_x[DMC-001]", "dmc": "DMC-001", "ttm": ["R1"], "srv": "4.1.1",
             "functional_group": "g", "regression": True, "severity": 2, "known_defect": "KD-1",
             "descoped": {"reason": "r", "approval": "A-1", "approved_by": ["TAB"]}, "witnessed": "",
             "cause": "dcc", "provider": "DCC"},
            {"run_id": first, "nodeid": "a.py::test_y[DMC-001]", "dmc": "DMC-001", "ttm": [], "srv": None,
             "functional_group": "g", "regression": False, "severity": 3, "known_defect": None, "descoped": None,
             "witnessed": None, "cause": None, "provider": None},
            {"run_id": second, "nodeid": "a.py::test_x[DMC-001]", "dmc": "DMC-001", "ttm": ["R1"], "srv": "4.1.1",
             "functional_group": "g", "regression": True, "severity": 2, "known_defect": None, "descoped": None,
             "witnessed": None, "cause": None, "provider": None}])
        conn.execute(insert(old.tables["svtad_results"]), [
            {"run_id": first, "nodeid": "a.py::test_x[DMC-001]", "outcome": "failed", "error": True, "xfailed": False,
             "crashed": False, "reason": "boom", "duration": 1.5, "evidence": ["e.txt"]},
            {"run_id": second, "nodeid": "a.py::test_x[DMC-001]", "outcome": "passed", "error": False, "xfailed": False,
             "crashed": False, "reason": "", "duration": 0.25, "evidence": []}])
    engine.dispose()
    return first, second


def test_a_schema_3_store_is_upgraded_to_integer_test_ids_with_every_row_kept(store_url: str) -> None:
    first_run, second_run = _v3_store(store_url)
    store = Store(store_url)
    with store.engine.connect() as conn:
        found = conn.execute(select(t.meta.c.value).where(t.meta.c.key == "schema_version")).scalar()
        plan_columns = {c["name"] for c in inspect(conn).get_columns("svtad_plan")}
        result_columns = {c["name"] for c in inspect(conn).get_columns("svtad_results")}
        tests = dict(conn.execute(select(t.tests.c.nodeid, t.tests.c.id)).all())
    assert found == str(SCHEMA_VERSION)
    assert "test_id" in plan_columns and "nodeid" not in plan_columns
    assert "test_id" in result_columns and "nodeid" not in result_columns
    assert sorted(tests) == ["a.py::test_x[DMC-001]", "a.py::test_y[DMC-001]"]  # each node id once
    plans, results = store.plan_and_results([first_run, second_run])
    first = {e.nodeid: e for e in plans[first_run]}["a.py::test_x[DMC-001]"]
    assert (first.dmc, first.ttm, first.srv, first.regression, first.severity, first.known_defect,
            first.descoped, first.witnessed) == ("DMC-001", ("R1",), "4.1.1", True, 2, "KD-1",
                                                 Descoping("r", "A-1", ("TAB",)), "")
    assert [e.nodeid for e in plans[second_run]] == ["a.py::test_x[DMC-001]"] and len(plans[first_run]) == 2
    assert [(r.outcome, r.error, r.reason, r.duration, list(r.evidence)) for r in results[first_run]] == [
        (Outcome.FAILED, True, "boom", 1.5, ["e.txt"])]
    assert [(r.outcome, r.reason, list(r.evidence)) for r in results[second_run]] == [(Outcome.PASSED, "", [])]
    # the upgraded store takes new runs of the same tests under the same ids
    run_id = store.begin_run(**RUN)
    store.record_plan(run_id, [PlanEntry("a.py::test_y[DMC-001]", "DMC-001")])
    with store.engine.connect() as conn:
        assert dict(conn.execute(select(t.tests.c.nodeid, t.tests.c.id)).all()) == tests
    store.close()
    assert len(Store(store_url).runs("C")) == 3  # opening it again changes nothing


def test_a_schema_6_store_moves_its_tags_to_one_row_per_set_with_every_entry_kept(store_url: str) -> None:
    from pytest_svtad.store.tags import entry_tags

    pairs = [pair for pair in _records(300) if pair[0].nodeid != "x"]
    if store_url.startswith("sqlite:///"):
        Path(store_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(store_url)
    old = legacy_metadata(6)
    old.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(old.tables["svtad_meta"]).values(key="schema_version", value="6"))
        runs = [conn.execute(insert(old.tables["svtad_runs"]).values(
            campaign="C", stage="SIT", release="IOC", sut_version=version, seed=0, host="h",
            started_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC), status="finished", firmware={})
            ).inserted_primary_key[0] for version in ("1.0", "2.0")]
        conn.execute(insert(old.tables["svtad_tests"]), [{"nodeid": e.nodeid} for e, _ in pairs])
        ids = dict(conn.execute(select(old.tables["svtad_tests"].c.nodeid, old.tables["svtad_tests"].c.id)).all())
        for run_id in runs:  # both runs plan every test: the same sets of tags twice
            conn.execute(insert(old.tables["svtad_plan"]), [
                {**{k: v for k, v in e.to_dict().items() if k != "nodeid"}, "run_id": run_id,
                 "test_id": ids[e.nodeid]} for e, _ in pairs])
    engine.dispose()
    store = Store(store_url)
    with store.engine.connect() as conn:
        assert conn.execute(select(t.meta.c.value).where(t.meta.c.key == "schema_version")).scalar() == "7"
        assert {c["name"] for c in inspect(conn).get_columns("svtad_plan")} == {"run_id", "test_id", "tags_id", "ttm"}
        stored_sets = conn.execute(select(t.plan_tags.c.id)).all()
    assert len(stored_sets) == len({entry_tags(e) for e, _ in pairs}) < len(pairs)  # each set once
    plans, _results = store.plan_and_results(runs)
    for run_id in runs:  # every value read back as it was
        assert sorted(plans[run_id], key=lambda e: e.nodeid) == sorted((e for e, _ in pairs), key=lambda e: e.nodeid)
    # a session planning the same tags after the upgrade finds the sets there
    run_id = store.begin_run(**RUN)
    store.record_plan(run_id, [e for e, _ in pairs])
    with store.engine.connect() as conn:
        assert len(conn.execute(select(t.plan_tags.c.id)).all()) == len(stored_sets)
    store.close()


def _records(count: int) -> list[tuple[PlanEntry, Result]]:
    rng = random.Random(18)
    pairs = []
    for i in range(count):
        entry = PlanEntry(
            f"t/é_{i}.py::test[\"{i}\"-DMC-ü]", rng.choice([None, "DMC-001", "DMC-ü"]),
            tuple(rng.sample(["R1", "R2", "R\u2603"], rng.randint(0, 3))), rng.choice([None, "4.1.1"]),
            rng.choice(["Ungrouped", 'g "1"\\']), rng.random() < 0.5, rng.randint(1, 5),
            rng.choice([None, "KD-1"]), rng.choice([None, Descoping("r", "a", ("TAB", "Secretary of State"))]),
            rng.choice([None, "", "Ofgem"]), rng.choice([None, "dcc"]), rng.choice([None, "DCC"]))
        pairs.append((entry, Result(entry.nodeid, rng.choice(list(Outcome)), rng.random() < 0.5, rng.random() < 0.5,
                                    rng.random() < 0.5, rng.choice(["", "x\n\u2603\t", "y" * 300]),
                                    rng.choice([0.0, 1e-7, 123.456, 1e20, rng.random()]),
                                    rng.choice([[], ["a.txt", "b\u00e9.png"], ()]))))
    # values of other types than the store and the collector give: the encoder of record handles them
    pairs += [(PlanEntry("x", severity=True), Result("x", duration=1)),  # type: ignore[arg-type]
              (PlanEntry("x"), Result("x", duration=float("nan"))), (PlanEntry("x", dmc=["a"]), Result("x"))]  # type: ignore[arg-type]
    return pairs


@pytest.mark.parametrize("common", [{"stage": "SIT", "release": None, "sut_version": "1.0", "seed": 3},
                                    {"stage": "DMCT-SRVT", "release": "R2.\u00e9", "sut_version": None, "seed": 0}])
def test_campaign_results_lines_are_byte_identical_to_result_line(common: dict[str, Any]) -> None:
    pairs = _records(3000)
    assert list(result_lines(pairs, common)) == [result_line(entry, result, common) for entry, result in pairs]


def test_results_lines_of_unexpected_fields_fall_back_to_result_line() -> None:
    common = {"stage": "SIT", "release": None, "sut_version": "1.0", "seed": 3, "extra": "x"}
    pairs = _records(20)
    assert list(result_lines(pairs, common)) == [result_line(entry, result, common) for entry, result in pairs]
