"""The store's plans and results: what each run planned and how each planned test came out, written as the session
goes and read back in batches for a campaign (a million rows)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from functools import cached_property
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Engine, Text, insert, select, type_coerce

from pytest_svtad.model import Descoping, Outcome, PlanEntry, Result
from pytest_svtad.store import schema as t
from pytest_svtad.store.tags import Tags
from pytest_svtad.store.writes import DIALECTS, Writer, ids_by_key, insert_new, plan_tag_ids

BATCH = 1000
NO_EVIDENCE: Any = ()  # shared by the results read without evidence (most of a million)


def test_ids(conn: Connection, nodeids: Iterable[str], known: Mapping[str, int] | None = None) -> dict[str, int]:
    """The integer test id of each node id (schema 4), adding the node ids the store has not seen. ``known``: ids
    read before (a node id's id never changes), so a session asks the store only about node ids new to it."""
    known = known or {}
    ids: dict[str, int] = {}
    missing = []
    for nodeid in dict.fromkeys(nodeids):
        found = known.get(nodeid)
        if found is None:
            missing.append(nodeid)
        else:
            ids[nodeid] = found
    if missing:
        ids.update(ids_by_key(conn, t.tests.c.nodeid, missing,
                              lambda new: [{"nodeid": nodeid} for nodeid in new], ("test ids", "node ids")))
    return ids


def keyed_rows(run_id: int, rows: Iterable[dict[str, Any]], ids: Mapping[str, int]) -> list[dict[str, Any]]:
    """Result dicts (``Result.to_dict``) as table rows: the node id becomes its test id."""
    out = []
    for row in rows:
        row = dict(row)
        row["test_id"] = ids[row.pop("nodeid")]
        row["run_id"] = run_id
        out.append(row)
    return out


def plan_rows(conn: Connection, run_id: int, entries: Sequence[PlanEntry], ids: Mapping[str, int],
              known_tags: Mapping[Tags, int]) -> tuple[list[dict[str, Any]], dict[Tags, int]]:
    """Plan entries as table rows (test id, tags id, TTM ids), and the tags ids read or added."""
    tag_ids, new_tags = plan_tag_ids(conn, entries, known_tags)
    return [{"run_id": run_id, "test_id": ids[e.nodeid], "tags_id": tags_id, "ttm": list(e.ttm)}
            for e, tags_id in zip(entries, tag_ids, strict=True)], new_tags


class ResultRepository:
    """Mixed into :class:`pytest_svtad.store.db.Store`: the plan and result rows of its runs."""

    name: str
    engine: Engine

    def _writing(self, what: str) -> AbstractContextManager[Connection]:  # provided by Store
        raise NotImplementedError

    _reading = _writing

    @cached_property
    def _known_test_ids(self) -> dict[str, int]:
        """Test ids this Store has read or written (committed): a session's results need no look-up."""
        return {}

    @cached_property
    def _known_tag_ids(self) -> dict[Tags, int]:
        """Tags ids (``svtad_tags``) this Store has read or written (committed)."""
        return {}

    def record_plan(self, run_id: int, entries: Iterable[PlanEntry]) -> None:
        """Add plan entries; entries the run has already are left alone. Reads nothing but the ids of node ids new
        to this Store: the cost is proportional to the entries given, not to the plan stored."""
        self.record(run_id, list(entries), ())

    def record_results(self, run_id: int, results: Sequence[Result]) -> None:
        self.record(run_id, (), results)

    def record(self, run_id: int, entries: Sequence[PlanEntry], results: Sequence[Result]) -> None:
        """Plan entries and results in one transaction (the session's sink: one commit per batch). SQLite and
        PostgreSQL write tuples through the driver (``store.writes``); other databases through ``insert()``."""
        if not entries and not results:
            return
        writer = self._writer
        what = ("record the plan and results" if entries and results else
                "record the plan" if entries else "record results")
        known, known_tags = self._known_test_ids, self._known_tag_ids
        with self._writing(what) as conn:
            if writer is None:
                ids, new_tags = self._record_core(conn, run_id, entries, results, known, known_tags)
            else:
                ids, new_tags = writer.write(conn, run_id, entries, results, known, known_tags)
        known.update(ids)  # committed: the ids exist
        known_tags.update(new_tags)

    @cached_property
    def _writer(self) -> Writer | None:
        """The raw write path's SQL for this Store's dialect, built once (None: a dialect it does not know)."""
        dialect = self.engine.dialect
        return Writer(dialect.name, dialect.paramstyle) if dialect.name in DIALECTS else None

    @staticmethod
    def _record_core(conn: Connection, run_id: int, entries: Sequence[PlanEntry], results: Sequence[Result],
                     known: Mapping[str, int],
                     known_tags: Mapping[Tags, int]) -> tuple[dict[str, int], dict[Tags, int]]:
        """``record`` through SQLAlchemy's ``insert()``, for a database the raw write path does not know."""
        ids = test_ids(conn, [*(e.nodeid for e in entries), *(r.nodeid for r in results)], known)
        rows, new_tags = plan_rows(conn, run_id, entries, ids, known_tags) if entries else ([], {})
        for start in range(0, len(rows), BATCH):
            conn.execute(insert_new(conn, t.plan_entries), rows[start:start + BATCH])
        keyed = keyed_rows(run_id, [r.to_dict() for r in results], ids)
        for start in range(0, len(keyed), BATCH):
            conn.execute(insert(t.results), keyed[start:start + BATCH])
        return {nodeid: test_id for nodeid, test_id in ids.items() if nodeid not in known}, new_tags

    def plan_and_results(self, run_ids: Sequence[int]) -> tuple[dict[int, list[PlanEntry]], dict[int, list[Result]]]:
        """Every plan entry and result of the runs. Built for a million rows: one query joining integer test ids,
        rows fetched in batches from the DB-API cursor, JSON values decoded once per distinct text, repeated
        strings shared, and the common values (no evidence, no reason, not descoped) recognised without decoding."""
        plans: dict[int, list[PlanEntry]] = {run_id: [] for run_id in run_ids}
        results: dict[int, list[Result]] = {run_id: [] for run_id in run_ids}
        if not run_ids:
            return plans, results
        decode = _JsonCache()
        share: dict[Any, Any] = {}
        p, g, r, n = t.plan_entries.c, t.plan_tags.c, t.results.c, t.tests.c
        # one pass over plan joined to results: each node id is read once (results exist only for planned tests)
        query = select(p.run_id, n.nodeid, g.dmc, type_coerce(p.ttm, Text), g.srv, g.functional_group,
                       g.regression, g.severity, g.known_defect, type_coerce(g.descoped, Text), g.witnessed,
                       g.cause, g.provider, r.outcome, r.error, r.xfailed, r.crashed, r.reason, r.duration,
                       type_coerce(r.evidence, Text)).select_from(
            t.plan_entries.join(t.tests, n.id == p.test_id).join(t.plan_tags, g.id == p.tags_id)
            .outerjoin(t.results, (r.run_id == p.run_id) & (r.test_id == p.test_id))
        ).where(p.run_id.in_(run_ids))
        outcomes = {outcome.value: outcome for outcome in Outcome}
        no_value = (None, "null", "[]")
        with self._reading("read plans and results") as conn:
            for batch in self._raw_batches(conn, query):
                for (run_id, nodeid, dmc, ttm, srv, group, regression, severity, defect, descoped, witnessed,
                     cause, provider, outcome, error, xfailed, crashed, reason, duration, evidence) in batch:
                    descoped_value = None if descoped in no_value else decode(descoped)
                    plans[run_id].append(PlanEntry(
                        nodeid, share.setdefault(dmc, dmc), decode.tuple(ttm), share.setdefault(srv, srv),
                        share.setdefault(group, group), bool(regression), int(severity), defect,
                        Descoping.from_dict(descoped_value) if descoped_value else None, witnessed,
                        share.setdefault(cause, cause), share.setdefault(provider, provider)))
                    if outcome is not None:
                        results[run_id].append(Result(
                            nodeid, outcomes[outcome], bool(error), bool(xfailed), bool(crashed),
                            "" if not reason else share.setdefault(reason, reason) if len(reason) < 200 else reason,
                            float(duration or 0.0), NO_EVIDENCE if evidence in no_value else decode.list(evidence)))
        return plans, results

    def _raw_batches(self, conn: Connection, query: Any) -> Iterator[Sequence[Any]]:
        """Rows straight from the DB-API cursor in batches: for a million rows SQLAlchemy's per-row handling is
        most of the cost. Only for queries whose parameters are plain integers (run ids), inlined by the dialect."""
        sql = str(query.compile(dialect=self.engine.dialect, compile_kwargs={"literal_binds": True}))
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if conn.dialect.name == "postgresql":  # streamed in chunks: the client never holds the whole result
                rows = cursor.stream(sql, size=20_000)
                while chunk := list(islice(rows, 20_000)):
                    yield chunk
                return
            cursor.execute(sql)
            while batch := cursor.fetchmany(20_000):
                yield batch
        finally:
            cursor.close()


class _JsonCache:
    """Decode JSON column values once per distinct text (most are '[]', 'null' or a few requirement lists).
    PostgreSQL drivers may hand back decoded values already: those pass through."""

    def __init__(self) -> None:
        self._seen: dict[str, Any] = {}
        self._tuples: dict[Any, tuple[Any, ...]] = {}  # by JSON text, or by the decoded value itself

    def __call__(self, raw: Any) -> Any:
        if not isinstance(raw, str):
            return raw
        value = self._seen.get(raw)
        if value is None and raw not in self._seen:
            value = self._seen[raw] = json.loads(raw)
        return value

    def list(self, raw: Any) -> Any:
        """A list value; the empty ones share one empty tuple (a million results mostly carry no evidence)."""
        value = self(raw)
        return list(value) if value else ()

    def tuple(self, raw: Any) -> tuple[Any, ...]:
        if not isinstance(raw, str):  # decoded by the driver (psycopg): share equal values all the same
            value = tuple(raw or ())
            return self._tuples.setdefault(value, value)
        found = self._tuples.get(raw)
        if found is None:
            found = self._tuples[raw] = tuple(self(raw) or ())
        return found
