"""Issue 18 item 1: the store's write path (store/writes.py) and the sink's hand-over. Unit tests of the store and
the sink, no inner sessions: the raw path stores exactly what SQLAlchemy's insert() stored, every column of the
tables is filled, one transaction per batch, SQLite opened in WAL with synchronous=NORMAL, and results handed
over while a write is in progress are neither lost nor kept waiting for it."""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, text

from pytest_svtad.model import Descoping, Outcome, PlanEntry, Result
from pytest_svtad.store import Store
from pytest_svtad.store import schema as t
from pytest_svtad.store.sink import StoreSink
from pytest_svtad.store.writes import COLUMNS

RUN: dict[str, Any] = {"campaign": "W", "stage": "SIT", "release": "IOC", "sut_version": "1.0", "seed": 0,
                       "host": "h", "firmware": {}}

ENTRIES = [
    PlanEntry("w.py::test_a[DMC-001]", "DMC-001", ("R1", "R\u2603"), "4.1.1", "g \"1\"", True, 1, "KD-1",
              Descoping("why", "A-1", ("TAB", "Secretary of State")), "Ofgem", "dcc", "DCC"),
    PlanEntry("w.py::test_b"),
    PlanEntry("w.py::test_c[DMC-002]", "DMC-002", ("R1",), None, "Ungrouped", False, 5, None, None, "", None, None),
]
RESULTS = [
    Result("w.py::test_a[DMC-001]", Outcome.FAILED, True, False, True, "boom\n\u2603", 1.25, ["e.txt", "f\u00e9.png"]),
    Result("w.py::test_b", Outcome.PASSED),
    Result("w.py::test_c[DMC-002]", Outcome.NOT_RUN, reason="skipped: x", duration=1e-7),
]


def test_the_raw_inserts_fill_every_column_of_their_tables() -> None:
    # a column added to the schema must be added to the write path too (else its rows would lack it)
    for table in (t.plan_entries, t.results, t.plan_tags):
        assert set(COLUMNS[table.name]) | {"id"} == {column.name for column in table.columns} | {"id"}


def _rows(store: Store, run_id: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every stored column but the run id, as the driver returns it, by node id (a plan entry's tags as stored in
    svtad_tags, with their id)."""
    plan, tags, results, tests = t.plan_entries.c, t.plan_tags.c, t.results.c, t.tests.c
    with store.engine.connect() as conn:
        planned = conn.execute(
            select(tests.nodeid, plan.tags_id, plan.ttm, *[c for c in t.plan_tags.columns if c.name != "id"])
            .select_from(t.plan_entries.join(t.tests, tests.id == plan.test_id)
                         .join(t.plan_tags, tags.id == plan.tags_id))
            .where(plan.run_id == run_id).order_by(tests.nodeid)).all()
        ran = conn.execute(
            select(tests.nodeid, *[c for c in t.results.columns if c.name not in ("run_id", "test_id")])
            .select_from(t.results.join(t.tests, tests.id == results.test_id))
            .where(results.run_id == run_id).order_by(tests.nodeid)).all()
    return [tuple(row) for row in planned], [tuple(row) for row in ran]


def test_the_raw_write_path_stores_what_sqlalchemy_insert_stored(store_url: str) -> None:
    store = Store(store_url)
    raw_run, core_run = store.begin_run(**RUN), store.begin_run(**RUN)
    store.record(raw_run, ENTRIES, RESULTS)
    # the Core path the raw one replaced (still the path of other databases), for the second run, by a Store
    # that has not seen the first run's tags: it finds the same sets, and stores none twice
    other = Store(store_url)
    with other._writing("record") as conn:
        other._record_core(conn, core_run, ENTRIES, RESULTS, {}, {})
    other.close()
    assert _rows(store, raw_run) == _rows(store, core_run)
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.plan_tags)).scalar() == len(ENTRIES)
    plans, results = store.plan_and_results([raw_run])
    assert [(e.nodeid, e.dmc, e.ttm, e.regression, e.severity, e.descoped) for e in
            sorted(plans[raw_run], key=lambda e: e.nodeid)] == [
        (e.nodeid, e.dmc, e.ttm, e.regression, e.severity, e.descoped) for e in ENTRIES]
    assert sorted((r.nodeid, r.outcome, r.error, r.xfailed, r.crashed, r.reason, r.duration, list(r.evidence))
                   for r in results[raw_run]) == sorted(
        (r.nodeid, r.outcome, r.error, r.xfailed, r.crashed, r.reason, r.duration, r.evidence) for r in RESULTS)
    store.record(raw_run, ENTRIES, ())  # the plan written again (a retried batch) adds nothing and fails nothing
    assert len(_rows(store, raw_run)[0]) == len(ENTRIES)
    store.close()


def test_a_set_of_tags_with_a_long_de_scoping_reason_is_stored_and_read_back(store_url: str) -> None:
    # the set's unique key is a digest: PostgreSQL's B-tree refuses index entries past 2.7 kB
    store = Store(store_url)
    run_id = store.begin_run(**RUN)
    long = Descoping(random.Random(18).randbytes(8000).hex(), "A-1", ("TAB",))  # 16 kB that do not compress
    store.record_plan(run_id, [PlanEntry("w.py::test_long", "DMC-001", descoped=long)])
    plans, _results = store.plan_and_results([run_id])
    assert [e.descoped for e in plans[run_id]] == [long]
    store.close()


def test_a_batch_of_plan_and_results_is_one_commit(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'one.db'}")
    run_id = store.begin_run(**RUN)
    commits: list[int] = []
    event.listen(store.engine, "commit", lambda _conn: commits.append(1))
    store.record(run_id, ENTRIES, RESULTS)
    assert len(commits) == 1
    store.close()


def test_sqlite_store_is_opened_in_wal_mode_with_synchronous_normal(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'pragmas.db'}")
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL (FULL is 2)
    store.close()


class _HeldStore(Store):
    """A store whose second write waits until the test lets it go."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.writing, self.release, self.writes = threading.Event(), threading.Event(), 0

    def record(self, run_id: int, entries: Any, results: Any) -> None:
        self.writes += 1
        if self.writes == 2:
            self.writing.set()
            assert self.release.wait(60)
        super().record(run_id, entries, results)


def test_results_handed_over_during_a_write_wait_for_nothing_and_are_all_stored(tmp_path: Path) -> None:
    store = _HeldStore(f"sqlite:///{tmp_path / 'held.db'}")
    plan = {e.nodeid: e for e in (PlanEntry(f"h.py::test_{i}", "DMC-001") for i in range(40))}
    sink = StoreSink(store.url, tmp_path / "fallback.jsonl", dict(RUN), plan_source=lambda: plan)
    sink.store = store
    sink.update()  # the run and the plan: the first write
    entries = list(plan.values())
    sink.add(entries[0], Result(entries[0].nodeid, Outcome.PASSED))
    assert store.writing.wait(60)  # the background writer is inside its write, holding it
    for entry in entries[1:]:  # ... and the session's tests keep ending: nothing here waits for that write
        sink.add(entry, Result(entry.nodeid, Outcome.FAILED, reason="late"))
    store.release.set()
    sink.flush(plan.values(), {})
    sink.end(interrupted=False, verdict="not_met")
    sink.close()
    assert sink.error is None and not (tmp_path / "fallback.jsonl").exists()
    stored = Store(store.url)
    (run,) = stored.runs("W")
    plans, results = stored.plan_and_results([run["id"]])
    assert len(plans[run["id"]]) == 40
    outcomes = {r.nodeid: (r.outcome, r.reason) for r in results[run["id"]]}
    assert len(outcomes) == 40 and outcomes[entries[1].nodeid] == (Outcome.FAILED, "late")
    assert outcomes[entries[0].nodeid] == (Outcome.PASSED, "")
    stored.close()
