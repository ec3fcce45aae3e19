"""The store-fallback file read back into the store (``svtad store import``), and the runs it left incomplete.

A session whose store failed writes its run, plan, results, issues and end to ``store-fallback-<time>-<pid>.jsonl``.
When the store failed mid-run, the run's row exists with part of its results: it is marked ``incomplete`` (when the
store answers again at the session's end) and the campaign verdict lists it until the file is imported. Importing
completes that run, or creates the run when the store never had it; importing the same file again changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from pytest_svtad.errors import SvtadInputError
from pytest_svtad.model import PlanEntry, Result
from pytest_svtad.rules.issues import TestingIssue
from pytest_svtad.store import schema as t
from pytest_svtad.store.db import BATCH, Store, StoreError
from pytest_svtad.store.results import keyed_rows, plan_rows, test_ids

INCOMPLETE = "incomplete"  # runs.status: some of the run's rows are only in its fallback file
OPEN_STATUSES = ("running", INCOMPLETE)  # not ended in the store: an import may still complete them
IDENTITY = ("campaign", "stage", "release", "sut_version", "seed", "host")
SAME_SESSION = timedelta(days=1)  # a run row begins within this long after its session started


def import_hint(path: Path | str) -> str:
    return f"import it with: svtad store import {path}"


@contextmanager
def _transaction(store: Store, what: str) -> Iterator[Connection]:
    try:
        with store.engine.begin() as conn:
            yield conn
    except SQLAlchemyError as exc:
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        raise StoreError(f"cannot {what} in store {store.name}: {cause[0] if cause else type(exc).__name__}") \
            from None


def mark_incomplete(store: Store, run_id: int) -> bool:
    """Say in the store that the run lacks rows that went to its fallback file; False if the store still fails."""
    try:
        with _transaction(store, "mark the run incomplete") as conn:
            conn.execute(update(t.runs).where(t.runs.c.id == run_id, t.runs.c.status == "running")
                         .values(status=INCOMPLETE))
        return True
    except StoreError:
        return False


def incomplete_run_notes(store: Store, campaign: str) -> list[str]:
    """One verdict note per run of the campaign that is waiting for its fallback file to be imported."""
    try:
        runs = [run for run in store.runs(campaign) if run["status"] == INCOMPLETE]
    except StoreError:
        return []
    return [f"campaign '{campaign}': run {run['id']} (started {_utc(run['started_at']):%Y-%m-%d %H:%M:%S} UTC on "
            f"{run['host'] or 'an unnamed host'}) is incomplete: the results it wrote to its store-fallback file "
            "are not counted until imported (svtad store import FILE)" for run in runs]


@dataclass
class FallbackFile:
    path: Path
    run: dict[str, Any]
    plan: dict[str, PlanEntry] = field(default_factory=dict)
    results: dict[str, Result] = field(default_factory=dict)
    issues: dict[str, TestingIssue] = field(default_factory=dict)
    end: dict[str, Any] | None = None
    unreadable_lines: int = 0  # e.g. the last line of a session killed while writing it


def read_fallback(path: Path) -> FallbackFile:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SvtadInputError(path, f"cannot read store-fallback file: {getattr(exc, 'strerror', None) or exc}") \
            from None
    found: FallbackFile | None = None
    bad = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
            kind = line.pop("type")
            if found is None:
                if kind != "run":
                    raise SvtadInputError(f"{path}:{number}", "not a store-fallback file: it must start with "
                                          "its run line")
                found = FallbackFile(path, line)
            elif kind == "plan":
                entry = PlanEntry.from_dict(line)
                found.plan[entry.nodeid] = entry
            elif kind == "result":
                found.results[line["nodeid"]] = _result(line)
            elif kind == "issue":
                found.issues[line["id"]] = TestingIssue.from_dict(line)
            elif kind == "end":
                found.end = line
        except SvtadInputError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError):
            bad += 1
    if found is None:
        raise SvtadInputError(path, "not a store-fallback file: no run line")
    for key in ("stage", "started_at"):
        if not found.run.get(key):
            raise SvtadInputError(path, f"the run line has no '{key}'")
    found.unreadable_lines = bad
    return found


def _result(line: dict[str, Any]) -> Result:
    from pytest_svtad.model import Outcome

    return Result(nodeid=line["nodeid"], outcome=Outcome(line["outcome"]), error=bool(line.get("error")),
                  xfailed=bool(line.get("xfailed")), crashed=bool(line.get("crashed")),
                  reason=str(line.get("reason") or ""), duration=float(line.get("duration") or 0.0),
                  evidence=list(line.get("evidence") or []))


@dataclass
class ImportSummary:
    run_id: int
    action: str  # created, completed, already complete
    plan_added: int
    results_added: int
    issues_recorded: int
    status: str
    unreadable_lines: int


def import_fallback(store: Store, path: Path) -> ImportSummary:
    """Complete (or create) the run of a fallback file in the store. Idempotent: rows already there are kept, and a
    run already ended in the store gets nothing but the rows it lacks."""
    data = read_fallback(path)
    run = data.run
    started = _utc(datetime.fromisoformat(str(run["started_at"])))
    with _transaction(store, "import a store-fallback file") as conn:
        row = _find_run(conn, run, started)
        if row is None:
            run_id = int(conn.execute(insert(t.runs).values(
                campaign=run.get("campaign"), stage=run["stage"], release=run.get("release"),
                sut_version=run.get("sut_version"), seed=int(run.get("seed") or 0), host=run.get("host") or "",
                started_at=started, status=INCOMPLETE, firmware=run.get("firmware") or {},
                ttm=run.get("ttm"), criteria=run.get("criteria"))
                .returning(t.runs.c.id)).scalar_one())
            action, status = "created", INCOMPLETE
        else:
            run_id, status = int(row["id"]), str(row["status"])
            action = "completed" if status in OPEN_STATUSES else "already complete"
        plan_added = _insert_missing_plan(conn, run_id, list(data.plan.values()))
        results_added = _insert_missing(conn, t.results, run_id, [r.to_dict() for r in data.results.values()])
    issues = 0
    if status in OPEN_STATUSES:
        if data.issues:
            store.upsert_issues(list(data.issues.values()), stage=run["stage"], release=run.get("release"),
                                campaign=run.get("campaign"), run_id=run_id)
            issues = len(data.issues)
        end = data.end or {}
        status = "interrupted" if end.get("interrupted") or data.end is None else "finished"
        ended = _utc(datetime.fromisoformat(str(end["ended_at"]))) if end.get("ended_at") else None
        with _transaction(store, "complete the run") as conn:
            conn.execute(update(t.runs).where(t.runs.c.id == run_id).values(
                status=status, ended_at=ended, verdict=end.get("verdict")))
    return ImportSummary(run_id, action, plan_added, results_added, issues, status, data.unreadable_lines)


def _find_run(conn: Connection, run: dict[str, Any], started: datetime) -> dict[str, Any] | None:
    """The run this file belongs to: the row the session had created (``run_id``, when the row is the same
    session's), else one an earlier import created (same identity, same start to the microsecond)."""
    query = select(t.runs)
    for key in IDENTITY:
        value = run.get(key)
        if key == "seed":
            value = int(value or 0)
        elif key == "host":
            value = value or ""
        column = t.runs.c[key]
        query = query.where(column.is_(None) if value is None else column == value)
    rows = [dict(row) for row in conn.execute(query).mappings()]
    if run.get("run_id") is not None:
        for row in rows:
            begun = _utc(row["started_at"])
            if row["id"] == run["run_id"] and started - timedelta(seconds=1) <= begun <= started + SAME_SESSION:
                return row
    return next((row for row in rows if abs(_utc(row["started_at"]) - started) < timedelta(microseconds=1)), None)


def _insert_missing(conn: Connection, table: Any, run_id: int, rows: list[dict[str, Any]]) -> int:
    ids = test_ids(conn, (row["nodeid"] for row in rows))
    return _insert_new_rows(conn, table, run_id, keyed_rows(run_id, rows, ids))


def _insert_missing_plan(conn: Connection, run_id: int, entries: list[PlanEntry]) -> int:
    rows, _tags = plan_rows(conn, run_id, entries, test_ids(conn, (e.nodeid for e in entries)), {})
    return _insert_new_rows(conn, t.plan_entries, run_id, rows)


def _insert_new_rows(conn: Connection, table: Any, run_id: int, rows: list[dict[str, Any]]) -> int:
    """The rows whose test the run does not have yet."""
    known = set(conn.execute(select(table.c.test_id).where(table.c.run_id == run_id)).scalars())
    new = [row for row in rows if row["test_id"] not in known]
    for start in range(0, len(new), BATCH):
        conn.execute(insert(table), new[start:start + BATCH])
    return len(new)


def _utc(value: datetime) -> datetime:
    """SQLite hands datetimes back without their zone (they were written in UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
