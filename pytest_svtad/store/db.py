"""The store: the engine, opening (creating or upgrading the schema), one transaction per write, and the ``Store``
composed of one repository per aggregate: runs (``store.runs``), plans and results (``store.results``), Testing
Issues and Work Off Plans (``store.issues``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, delete, event, insert, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from pytest_svtad.store import schema as t
from pytest_svtad.store.issues import IssueRepository, StoreError
from pytest_svtad.store.migrations import SCHEMA_VERSION, upgrade
from pytest_svtad.store.results import BATCH, ResultRepository
from pytest_svtad.store.runs import RunRepository, now
from pytest_svtad.urls import default_url, mask_text, mask_url, store_url

__all__ = ["BATCH", "Store", "StoreError", "default_url", "now", "store_url"]


def _safe_url(url: str) -> str:
    """The URL without its credentials, for messages (``pytest_svtad.urls.mask_url``)."""
    return mask_url(url)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # concurrent readers with one writer; writers queue
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a committed transaction survives the process
    # being killed (the sink's fault: SIGKILL, OOM), and only an OS crash or power cut can lose the last ones.
    # FULL cost an fsync per batch of results (docs/store.md).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Store(RunRepository, ResultRepository, IssueRepository):
    """One campaign store."""

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
        with self.engine.connect():  # a store that cannot be reached fails now: only the DDL race is retried
            pass
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

    @contextmanager
    def _writing(self, what: str) -> Iterator[Connection]:
        """One transaction; any database error becomes a StoreError naming the store and the cause."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot {what} in store {self.name}: {_cause(exc)}") from None

    _reading = _writing


def _cause(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return mask_text(text[0]) if text else type(exc).__name__
