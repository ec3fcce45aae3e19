"""The store's plans and results: what each run planned and how each planned test came out, written as the session
goes and read back in batches for a campaign (a million rows)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, Engine, Text, insert, select, type_coerce

from pytest_svtad.model import Descoping, Outcome, PlanEntry, Result
from pytest_svtad.store import schema as t

BATCH = 1000


class ResultRepository:
    """Mixed into :class:`pytest_svtad.store.db.Store`: the plan and result rows of its runs."""

    name: str
    engine: Engine

    def _writing(self, what: str) -> AbstractContextManager[Connection]:  # provided by Store
        raise NotImplementedError

    _reading = _writing

    def record_plan(self, run_id: int, entries: Iterable[PlanEntry]) -> None:
        with self._writing("record the plan") as conn:
            known = set(conn.execute(select(t.plan_entries.c.nodeid).where(t.plan_entries.c.run_id == run_id))
                        .scalars())
            rows = [{"run_id": run_id, **e.to_dict()} for e in entries if e.nodeid not in known]
            for start in range(0, len(rows), BATCH):
                conn.execute(insert(t.plan_entries), rows[start:start + BATCH])

    def record_results(self, run_id: int, results: Sequence[Result]) -> None:
        if not results:
            return
        with self._writing("record results") as conn:
            rows = [{"run_id": run_id, **r.to_dict()} for r in results]
            for start in range(0, len(rows), BATCH):
                conn.execute(insert(t.results), rows[start:start + BATCH])

    def plan_and_results(self, run_ids: Sequence[int]) -> tuple[dict[int, list[PlanEntry]], dict[int, list[Result]]]:
        """Every plan entry and result of the runs. Built for a million rows: rows are fetched in batches, JSON
        values decoded once per distinct text, and repeated strings shared."""
        plans: dict[int, list[PlanEntry]] = {run_id: [] for run_id in run_ids}
        results: dict[int, list[Result]] = {run_id: [] for run_id in run_ids}
        if not run_ids:
            return plans, results
        decode = _JsonCache()
        share: dict[Any, Any] = {}
        p, r = t.plan_entries.c, t.results.c
        # one pass over plan joined to results: each node id is read once (results exist only for planned tests)
        query = select(p.run_id, p.nodeid, p.dmc, type_coerce(p.ttm, Text), p.srv, p.functional_group,
                       p.regression, p.severity, p.known_defect, type_coerce(p.descoped, Text), p.witnessed,
                       r.outcome, r.error, r.xfailed, r.crashed, r.reason, r.duration,
                       type_coerce(r.evidence, Text)).select_from(
            t.plan_entries.outerjoin(t.results, (r.run_id == p.run_id) & (r.nodeid == p.nodeid))
        ).where(p.run_id.in_(run_ids))
        nodeids: dict[str, str] = {}
        outcomes = {outcome.value: outcome for outcome in Outcome}
        with self._reading("read plans and results") as conn:
            for batch in self._raw_batches(conn, query):
                for (run_id, nodeid, dmc, ttm, srv, group, regression, severity, defect, descoped, witnessed,
                     outcome, error, xfailed, crashed, reason, duration, evidence) in batch:
                    nodeid = nodeids.setdefault(nodeid, nodeid)
                    descoped_value = decode(descoped)
                    plans[run_id].append(PlanEntry(
                        nodeid, share.setdefault(dmc, dmc), decode.tuple(ttm), share.setdefault(srv, srv),
                        share.setdefault(group, group), bool(regression), int(severity), defect,
                        Descoping.from_dict(descoped_value) if descoped_value else None, witnessed))
                    if outcome is not None:
                        results[run_id].append(Result(
                            nodeid, outcomes[outcome], bool(error), bool(xfailed), bool(crashed),
                            share.setdefault(reason, reason) if len(reason or "") < 200 else reason,
                            float(duration or 0.0), decode.list(evidence)))
        return plans, results

    def _raw_batches(self, conn: Connection, query: Any) -> Iterator[Sequence[Any]]:
        """Rows straight from the DB-API cursor in batches: for a million rows SQLAlchemy's per-row handling is
        most of the cost. Only for queries whose parameters are plain integers (run ids), inlined by the dialect."""
        sql = str(query.compile(dialect=self.engine.dialect, compile_kwargs={"literal_binds": True}))
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
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
        self._tuples: dict[str, tuple[Any, ...]] = {}

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
        if not isinstance(raw, str):
            return tuple(raw or ())
        found = self._tuples.get(raw)
        if found is None:
            found = self._tuples[raw] = tuple(self(raw) or ())
        return found
