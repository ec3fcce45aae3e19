"""The store's write path for plans and results (issue 18 item 1): rows built as tuples and sent with the driver's
``executemany`` through ``Connection.exec_driver_sql``, the SQL text built once per table and dialect.

Why not SQLAlchemy's ``insert()``: a session writes one result row per test, and the Core path (a statement
object compiled per call, a dict per row, bind and JSON processors per value) cost several times the driver's own
work. The rows here carry exactly what that path stored: JSON columns as ``json.dumps`` text (the same text the
``JSON`` type writes on SQLite; on PostgreSQL the text is cast to ``json``), booleans and numbers as the driver binds
them. ``COLUMNS`` lists the columns each row fills; ``tests/test_store_writes.py`` checks it against the schema, so
a column added there without being added here fails a test instead of failing sessions.

A plan entry's tags but its TTM ids are stored once per distinct set in ``svtad_tags`` (schema 7) and the entry
refers to them by id: ``plan_tag_ids`` finds or adds the sets (through SQLAlchemy: a session meets a few), and the
Store remembers the ids it has committed, so writing a plan entry is a tuple and a dictionary look-up.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Table, insert, select

from pytest_svtad.model import PlanEntry, Result
from pytest_svtad.store import schema as t
from pytest_svtad.store.issues import StoreError
from pytest_svtad.store.tags import TAG_COLUMNS, Tags, entry_tags, tags_key

CHUNK = 999  # node ids per IN (...) look-up: within the 999 bound variables of SQLite before 3.32

PLAN_COLUMNS = ("run_id", "test_id", "tags_id", "ttm")
RESULT_COLUMNS = ("run_id", "test_id", "outcome", "error", "xfailed", "crashed", "reason", "duration", "evidence")
COLUMNS = {t.plan_entries.name: PLAN_COLUMNS, t.results.name: RESULT_COLUMNS,
           t.plan_tags.name: ("key", *TAG_COLUMNS)}
JSON_COLUMNS = frozenset({"ttm", "descoped", "evidence"})
DIALECTS = ("sqlite", "postgresql")  # others write through SQLAlchemy's insert() (store/results.py)

EMPTY_LIST = json.dumps([])


def insert_new(conn: Connection, table: Table) -> Any:
    """An INSERT that leaves rows already there alone (same primary key or unique key): a write repeated after an
    interruption, or two sessions planning the same test at once, adds nothing twice."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing()
    return insert(table)


def ids_by_key(conn: Connection, column: Column[Any], keys: Sequence[str],
               new_rows: Callable[[list[str]], list[dict[str, Any]]], what: tuple[str, str]) -> dict[str, int]:
    """The ``id`` of each key of a unique ``column``, adding the rows ``new_rows`` gives for the keys its table lacks
    (through SQLAlchemy: read the keys there are, add the rest, read those; a key another session adds meanwhile
    is read, not added twice). ``what``: the ids and keys, for the error, e.g. ``("test ids", "node ids")``."""
    table = column.table
    found: dict[str, int] = {}
    missing = list(keys)
    for attempt in range(2):
        for start in range(0, len(missing), CHUNK):
            for key, row_id in conn.execute(select(column, table.c.id).where(
                    column.in_(missing[start:start + CHUNK]))):
                found[key] = row_id
        missing = [key for key in missing if key not in found]
        if not missing or attempt:
            break
        for start in range(0, len(missing), CHUNK):
            conn.execute(insert_new(conn, table), new_rows(missing[start:start + CHUNK]))
    if missing:
        raise StoreError(f"cannot record {what[0]}: {len(missing)} {what[1]} not stored (e.g. {missing[0]})")
    return found


def plan_tag_ids(conn: Connection, entries: Sequence[PlanEntry],
                 known: Mapping[Tags, int]) -> tuple[list[int], dict[Tags, int]]:
    """Each entry's tags id, in order, and the ids read or added for sets not in ``known`` (for the caller to
    remember once the transaction has committed: a rolled back id may be given again to another set)."""
    tags_of = [entry_tags(e) for e in entries]
    wanted = {tags: tags_key(tags) for tags in dict.fromkeys(tags_of) if tags not in known}
    new: dict[Tags, int] = {}
    if wanted:
        first: dict[str, Tags] = {}  # each key's set (equal sets, one key)
        for tags, key in wanted.items():
            first.setdefault(key, tags)

        def rows(keys: list[str]) -> list[dict[str, Any]]:
            return [{"key": key, **dict(zip(TAG_COLUMNS, first[key], strict=True)),
                     "descoped": first[key][6].to_dict() if first[key][6] else None} for key in keys]

        by_key = ids_by_key(conn, t.plan_tags.c.key, list(first), rows, ("plan tags", "sets"))
        new = {tags: by_key[key] for tags, key in wanted.items()}
    ids = [known[tags] if tags in known else new[tags] for tags in tags_of]
    return ids, new


class Writer:
    """The SQL of one dialect, built once per Store; every method runs inside the caller's transaction."""

    def __init__(self, dialect: str, paramstyle: str) -> None:
        if dialect not in DIALECTS:
            raise ValueError(f"no raw write path for {dialect}")
        self.mark = "?" if paramstyle == "qmark" else "%s"
        # SQLite stores a Boolean column as the integer 0 or 1 either way, but Python's sqlite3 binds a bool through
        # its adapter look-up (bool is not exactly int): the result's three flags as ints halve the driver's and
        # SQLite's cost of a result row (measured: 4.9-5.2 us a row against 2.4-3.1, docs/BENCHMARKS.md). On
        # PostgreSQL the columns are boolean and take Python's bool.
        self.flag: Callable[[bool], int | bool] = int if dialect == "sqlite" else bool
        self.json_mark = f"CAST({self.mark} AS JSON)" if dialect == "postgresql" else self.mark
        self._ttm_text: dict[tuple[str, ...], str] = {(): EMPTY_LIST}
        self.insert_plan = self._insert(t.plan_entries.name, PLAN_COLUMNS, " ON CONFLICT DO NOTHING")
        self.insert_results = self._insert(t.results.name, RESULT_COLUMNS, "")
        self.insert_tests = f"INSERT INTO {t.tests.name} (nodeid) VALUES ({self.mark}) ON CONFLICT DO NOTHING"

    def _insert(self, table: str, columns: Sequence[str], tail: str) -> str:
        marks = ", ".join(self.json_mark if name in JSON_COLUMNS else self.mark for name in columns)
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}){tail}"

    def _select_ids(self, count: int) -> str:
        return f"SELECT nodeid, id FROM {t.tests.name} WHERE nodeid IN ({', '.join([self.mark] * count)})"

    def test_ids(self, conn: Connection, nodeids: Iterable[str], known: Mapping[str, int]) -> dict[str, int]:
        """The test id of each node id not in ``known``, adding the node ids the store lacks (a node id's id never
        changes, so ``known`` is every id this Store has committed)."""
        missing = [nodeid for nodeid in dict.fromkeys(nodeids) if nodeid not in known]
        ids: dict[str, int] = {}
        if not missing:
            return ids
        self._read_ids(conn, missing, ids)
        new = [(nodeid,) for nodeid in missing if nodeid not in ids]
        if new:
            conn.exec_driver_sql(self.insert_tests, new)
            self._read_ids(conn, [nodeid for (nodeid,) in new], ids)
        lost = [nodeid for nodeid in missing if nodeid not in ids]
        if lost:
            raise StoreError(f"cannot record test ids: {len(lost)} node ids not stored (e.g. {lost[0]})")
        return ids

    def _read_ids(self, conn: Connection, nodeids: list[str], into: dict[str, int]) -> None:
        """Read on the transaction's DB-API cursor: SQLAlchemy's result rows cost 2 us a node id, more than the
        look-up itself (a session's plan reads every node id it has not committed)."""
        cursor = conn.connection.cursor()
        try:
            for start in range(0, len(nodeids), CHUNK):
                chunk = nodeids[start:start + CHUNK]
                cursor.execute(self._select_ids(len(chunk)), tuple(chunk))
                into.update(cursor.fetchall())
        finally:
            cursor.close()

    def plan_rows(self, run_id: int, entries: Iterable[PlanEntry], ids: Mapping[str, int],
                  tag_ids: Iterable[int]) -> list[tuple[Any, ...]]:
        ttm_text = self._ttm_text
        rows = []
        for e, tags_id in zip(entries, tag_ids, strict=True):
            ttm = ttm_text.get(e.ttm)
            if ttm is None:
                ttm = ttm_text[e.ttm] = json.dumps(list(e.ttm))
            rows.append((run_id, ids[e.nodeid], tags_id, ttm))
        return rows

    def result_rows(self, run_id: int, results: Iterable[Result], ids: Mapping[str, int]) -> list[tuple[Any, ...]]:
        flag = self.flag
        return [(run_id, ids[r.nodeid], r.outcome.value, flag(r.error), flag(r.xfailed), flag(r.crashed), r.reason,
                 r.duration, json.dumps(list(r.evidence)) if r.evidence else EMPTY_LIST) for r in results]

    def write(self, conn: Connection, run_id: int, entries: Sequence[PlanEntry], results: Sequence[Result],
              known: Mapping[str, int], known_tags: Mapping[Tags, int]) -> tuple[dict[str, int], dict[Tags, int]]:
        """Plan entries (those the run has already are left alone) and results, in the caller's transaction.
        Returns the test ids and tags ids read or added, for the caller to remember once the transaction has
        committed."""
        ids = self.test_ids(conn, [e.nodeid for e in entries] + [r.nodeid for r in results], known)
        both = {**known, **ids} if ids and known else (ids or known)  # ids are new only while the plan grows
        new_tags: dict[Tags, int] = {}
        if entries:
            tag_ids, new_tags = plan_tag_ids(conn, entries, known_tags)
            conn.exec_driver_sql(self.insert_plan, self.plan_rows(run_id, entries, both, tag_ids))
        if results:
            conn.exec_driver_sql(self.insert_results, self.result_rows(run_id, results, both))
        return ids, new_tags
