"""The store's I/O: open (creating or checking the schema), write runs, plans, results and issues, read campaigns."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Text,
    create_engine,
    delete,
    event,
    insert,
    inspect,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from pytest_svtad.model import Descoping, Outcome, PlanEntry, Result
from pytest_svtad.store import schema as t
from pytest_svtad.store.issues import IssueRepository, StoreError
from pytest_svtad.store.migrations import SCHEMA_VERSION, upgrade
from pytest_svtad.urls import mask_text, mask_url

BATCH = 1000


def default_url(rootdir: Path) -> str:
    return f"sqlite:///{rootdir / '.svtad' / 'svtad.db'}"


def store_url(given: str, base: Path) -> str:
    """A store URL as users write it: a SQLAlchemy URL, or a plain path (relative to ``base``) to an SQLite file."""
    given = given.strip()
    if "://" in given:
        return given
    path = Path(given).expanduser()
    return f"sqlite:///{path if path.is_absolute() else (base / path).resolve()}"


def now() -> datetime:
    return datetime.now(UTC)


def _safe_url(url: str) -> str:
    """The URL without its credentials, for messages (``pytest_svtad.urls.mask_url``)."""
    return mask_url(url)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # concurrent readers with one writer; writers queue
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Store(IssueRepository):
    """One campaign store. Testing Issues and Work Off Plans: ``pytest_svtad.store.issues``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = _safe_url(url)
        try:
            if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
                Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(url, future=True, pool_pre_ping=True)
            if self.engine.dialect.name == "sqlite":
                event.listen(self.engine, "connect", _sqlite_pragmas)
            self._check_schema()
        except (SQLAlchemyError, OSError, ImportError, ValueError) as exc:
            raise StoreError(f"cannot open store {self.name}: {_cause(exc)}") from None

    def _check_schema(self) -> None:
        """Create a new store, or check the schema version of an existing one and upgrade it in place, one version
        at a time, in the same transaction (``pytest_svtad.store.migrations``). Two sessions may open a store at the
        same moment: on PostgreSQL they take turns under an advisory lock; on SQLite the loser of the race sees the
        tables and the version on its next try."""
        found: int | None = None
        for attempt in range(5):
            try:
                with self.engine.begin() as conn:
                    if self.engine.dialect.name == "postgresql":
                        conn.execute(text("SELECT pg_advisory_xact_lock(5372823)"))
                    else:  # one transaction for the DDL too (pysqlite does not begin before DDL by itself)
                        conn.exec_driver_sql("BEGIN IMMEDIATE")
                    if inspect(conn).has_table(t.meta.name):
                        raw = conn.execute(select(t.meta.c.value).where(t.meta.c.key == "schema_version")).scalar()
                        found = int(raw) if raw is not None else SCHEMA_VERSION
                    else:
                        found = SCHEMA_VERSION
                    if found > SCHEMA_VERSION:
                        break
                    if found < SCHEMA_VERSION:
                        upgrade(conn, found)
                    t.metadata.create_all(conn, checkfirst=True)
                    conn.execute(delete(t.meta).where(t.meta.c.key == "schema_version"))
                    conn.execute(insert(t.meta).values(key="schema_version", value=str(SCHEMA_VERSION)))
                break
            except SQLAlchemyError:
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))
        if found is not None and found > SCHEMA_VERSION:
            raise StoreError(f"store {self.name} has schema version {found}, newer than this pytest-svtad "
                             f"understands ({SCHEMA_VERSION}): upgrade pytest-svtad")

    def close(self) -> None:
        self.engine.dispose()

    # -- writing a run ---------------------------------------------------------------------------------------

    def begin_run(self, *, campaign: str | None, stage: str, release: str | None, sut_version: str | None,
                  seed: int, host: str, firmware: dict[str, dict[str, str]]) -> int:
        with self._writing("begin a run") as conn:
            row = conn.execute(insert(t.runs).values(
                campaign=campaign, stage=stage, release=release, sut_version=sut_version, seed=seed, host=host,
                started_at=now(), status="running", firmware=firmware).returning(t.runs.c.id))
            return int(row.scalar_one())

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

    def finish_run(self, run_id: int, *, interrupted: bool, verdict: str | None) -> None:
        with self._writing("finish the run") as conn:
            conn.execute(update(t.runs).where(t.runs.c.id == run_id).values(
                ended_at=now(), status="interrupted" if interrupted else "finished", verdict=verdict))

    @contextmanager
    def _writing(self, what: str) -> Iterator[Connection]:
        """One transaction; any database error becomes a StoreError naming the store and the cause."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot {what} in store {self.name}: {_cause(exc)}") from None

    # -- reading campaigns -------------------------------------------------------------------------------------

    _reading = _writing

    def runs(self, campaign: str) -> list[dict[str, Any]]:
        query = select(t.runs).where(t.runs.c.campaign == campaign).order_by(t.runs.c.started_at, t.runs.c.id)
        with self._reading("read runs") as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

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


def _cause(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return mask_text(text[0]) if text else type(exc).__name__
