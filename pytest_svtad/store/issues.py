"""The store's Testing Issues and Work Off Plans: their rows, the lifecycle persisted, and their history.

- An issue row is the record :class:`~pytest_svtad.rules.issues.TestingIssue` (its stored fields by name) and the
  store's bookkeeping (``BOOKKEEPING``). It belongs to its Test Phase and campaign (``phase_key``, 13.18); in
  another phase the same failure is another issue, which names the earlier ones as ``related``.
- Every change is a transition of :mod:`pytest_svtad.rules.issue_lifecycle` (raised, seen again, severity, cause,
  provider, close, reopen, exclude, count in, recorded by hand), applied here in one transaction with its events:
  when, who (by default the OS user) and why (``svtad issues show`` prints the trail). Closing needs a reason.
- Work Off Plans recorded at a phase's exit (15.1) are kept with their items, so a later phase can check 12.6(h).
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from pytest_svtad.rules import appendix_ak as ak
from pytest_svtad.rules import issue_lifecycle as lifecycle
from pytest_svtad.rules.issue_lifecycle import Transition
from pytest_svtad.rules.issues import TestingIssue, stored_values
from pytest_svtad.rules.workoff import RecordedItem, RecordedPlan, WorkOffItem
from pytest_svtad.store import schema as t
from pytest_svtad.store.migrations import inserted_id, phase_key

BOOKKEEPING = ("uid", "phase_key", "first_seen", "last_seen", "closed_at")  # the store's columns, not the record's


class StoreError(Exception):
    """The store cannot be opened, read or written; the message names the store and the cause."""


def _now() -> datetime:
    return datetime.now(UTC)


def whoami() -> str:
    """The OS user: who makes a change unless ``--by`` says otherwise."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name (a container without a passwd entry)
        return "unknown"


def issue_from_row(row: Mapping[str, Any]) -> TestingIssue:
    """The record from its row: the record's fields by name (the bookkeeping columns stay in the row)."""
    return TestingIssue.from_dict(row)


class IssueRepository:
    """Mixed into :class:`pytest_svtad.store.db.Store`: its Testing Issue and Work Off Plan rows."""

    name: str

    def _writing(self, what: str) -> AbstractContextManager[Connection]:  # provided by Store
        raise NotImplementedError

    _reading = _writing

    # -- raising ---------------------------------------------------------------------------------------------

    def upsert_issues(self, raised: Sequence[TestingIssue], *, stage: str, release: str | None,
                      campaign: str | None, run_id: int | None = None) -> None:
        """Record the issues a run raised in its phase (13.18); one seen before is seen again (an exclusion stands
        until changed by hand)."""
        stamp = _now()
        key = phase_key(stage, release, campaign)
        run = f"run {run_id}" if run_id is not None else "a run"
        with self._writing("record Testing Issues") as conn:
            for issue in raised:
                issue = replace(issue, stage=stage, release=release, campaign=campaign)
                row = conn.execute(select(t.issues).where(
                    and_(t.issues.c.id == issue.id, t.issues.c.phase_key == key))).mappings().first()
                if row is None:
                    related = sorted(set(conn.execute(select(t.issues.c.id).where(and_(
                        t.issues.c.test_key == issue.test_key, t.issues.c.phase_key != key,
                        t.issues.c.test_key != ""))).scalars())) if issue.test_key else []
                    self._insert(conn, lifecycle.raised(issue, related, run), key, stamp)
                    continue
                self._persist(conn, row["uid"], lifecycle.seen_again(issue_from_row(dict(row)), issue, run), stamp,
                              last_seen=stamp)

    def record_issue(self, *, issue_id: str, title: str, severity: int, stage: str, release: str | None,
                     campaign: str | None, origin: str, cause: str, provider: str, why: str,
                     who: str | None = None) -> dict[str, Any]:
        """An issue not raised by a test here: identified in another DCC environment, in production, or raised by a
        Testing Participant (13.23 (a)-(c)). It is listed for the phase, and counted only once agreed."""
        stamp = _now()
        key = phase_key(stage, release, campaign)
        issue = TestingIssue(id=issue_id, title=title, severity=severity, stage=stage, release=release,
                             campaign=campaign, origin=origin, cause=cause, provider=provider)
        transition = lifecycle.recorded(issue, why)
        with self._writing("record a Testing Issue") as conn:
            exists = conn.execute(select(t.issues.c.uid).where(
                and_(t.issues.c.id == issue_id, t.issues.c.phase_key == key))).first()
            if exists is not None:
                raise StoreError(f"Testing Issue '{issue_id}' is already recorded for {stage} "
                                 f"{release or ''} {campaign or ''} in {self.name}".replace("  ", " "))
            uid = self._insert(conn, replace(transition, who=who), key, stamp)
        return self.issue_by_uid(uid)

    def _insert(self, conn: Connection, transition: Transition, key: str, stamp: datetime) -> int:
        result = conn.execute(insert(t.issues).values(**stored_values(transition.issue), phase_key=key,
                                                      first_seen=stamp, last_seen=stamp))
        uid = inserted_id(result)
        self._record_events(conn, uid, transition, stamp)
        return uid

    # -- reading ---------------------------------------------------------------------------------------------

    def issues(self, *, campaign: str | None = None, stage: str | None = None, release: str | None = None,
               status: str | None = None) -> list[dict[str, Any]]:
        """Issue rows (the record's fields and the store's bookkeeping), worst severity first."""
        query = select(t.issues).order_by(t.issues.c.severity, t.issues.c.id, t.issues.c.uid)
        for column, value in ((t.issues.c.campaign, campaign), (t.issues.c.stage, stage),
                              (t.issues.c.release, release), (t.issues.c.status, status)):
            if value is not None:
                query = query.where(column == value)
        with self._reading("read Testing Issues") as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def issue_by_uid(self, uid: int) -> dict[str, Any]:
        with self._reading("read a Testing Issue") as conn:
            row = conn.execute(select(t.issues).where(t.issues.c.uid == uid)).mappings().first()
        if row is None:
            raise StoreError(f"no Testing Issue #{uid} in {self.name}")
        return dict(row)

    def issue(self, issue_id: str, *, stage: str | None = None, release: str | None = None,
              campaign: str | None = None) -> dict[str, Any]:
        """The issue ``issue_id``; a known defect's id may stand in several phases: name one to choose."""
        rows = [row for row in self.issues(stage=stage, release=release, campaign=campaign) if row["id"] == issue_id]
        if not rows:
            where = " ".join(f"{name} {value}" for name, value in (("stage", stage), ("release", release),
                                                                   ("campaign", campaign)) if value)
            raise StoreError(f"no Testing Issue '{issue_id}'{' in ' + where if where else ''} in {self.name}")
        if len(rows) > 1:
            phases = "; ".join(f"{row['stage']} {row['release'] or '-'} campaign {row['campaign'] or '-'}"
                               for row in rows)
            raise StoreError(f"Testing Issue '{issue_id}' stands in {len(rows)} phases ({phases}): name one with "
                             "--stage, --release and --campaign")
        return rows[0]

    def history(self, uid: int) -> list[dict[str, Any]]:
        """The issue's audit trail, oldest first: when, who, what changed from what to what, and why."""
        query = select(t.issue_events).where(t.issue_events.c.issue_uid == uid).order_by(t.issue_events.c.id)
        with self._reading("read a Testing Issue's history") as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    # -- the lifecycle (pytest_svtad.rules.issue_lifecycle), persisted -----------------------------------------

    def apply(self, uid: int, step: Callable[[TestingIssue], Transition], who: str | None = None) -> dict[str, Any]:
        """Apply one lifecycle transition to the issue as it stands in the store, in one transaction: its changed
        fields, ``closed_at`` when its status closes or reopens it, and its events stamped with when and who
        (``who`` by default the OS user)."""
        stamp = _now()
        with self._writing("change a Testing Issue") as conn:
            row = conn.execute(select(t.issues).where(t.issues.c.uid == uid)).mappings().first()
            if row is None:
                raise StoreError(f"no Testing Issue #{uid} in {self.name}")
            transition = step(issue_from_row(dict(row)))
            self._persist(conn, uid, replace(transition, who=who or transition.who), stamp)
        return self.issue_by_uid(uid)

    def change_issue(self, uid: int, *, why: str, who: str | None = None, **values: Any) -> dict[str, Any]:
        """Change stored fields of one issue, each change an event (closing needs a reason)."""
        return self.apply(uid, lambda issue: lifecycle.change(issue, why, **values), who)

    def agree_count_in(self, uid: int, *, stage: str, release: str | None, agreement: str, clause: str | None = None,
                       who: str | None = None) -> dict[str, Any]:
        """Record the TAG's agreement that the issue counts in another phase (13.22) or its own (13.23(ii))."""
        return self.apply(uid, lambda issue: lifecycle.count_in(issue, stage, release, agreement, clause), who)

    def _persist(self, conn: Connection, uid: int, transition: Transition, stamp: datetime,
                 **bookkeeping: Any) -> None:
        values = {**transition.changed, **bookkeeping}
        if "status" in transition.changed:
            values["closed_at"] = stamp if transition.changed["status"] == "closed" else None
        if values:
            conn.execute(update(t.issues).where(t.issues.c.uid == uid).values(**values))
        self._record_events(conn, uid, transition, stamp)

    def _record_events(self, conn: Connection, uid: int, transition: Transition, stamp: datetime) -> None:
        who = transition.who or whoami()
        for event in transition.events:
            conn.execute(insert(t.issue_events).values(issue_uid=uid, at=stamp, who=who, change=event.change,
                                                       old=event.old, new=event.new, why=event.why))

    # -- Work Off Plans (15.1, 12.6(h)) ----------------------------------------------------------------------

    def record_work_off_plan(self, *, stage: str, release: str | None, campaign: str | None, tcc_date: date,
                             items: Iterable[WorkOffItem]) -> int:
        rows = [{"issue_id": item.issue_id, "severity": item.severity, "due_date": str(item.due_date or ""),
                 "tests": list(item.tests), "status": item.status, "counted": item.counted, "cause": item.cause,
                 "provider": item.provider, "title": item.title} for item in items]
        with self._writing("record a Work Off Plan") as conn:
            result = conn.execute(insert(t.work_off_plans).values(
                stage=stage, release=release, campaign=campaign, tcc_date=tcc_date.isoformat(),
                recorded_at=_now(), items=rows))
            return inserted_id(result)

    def preceding_work_off_plans(self, stage: str, release: str | None) -> list[RecordedPlan]:
        """Recorded Work Off Plans of phases preceding ``stage`` ``release`` (12.6(h)), each item as it stands now:
        its issue closed or not, and which of its tests passed in a run started after the plan was recorded."""
        with self._reading("read Work Off Plans") as conn:
            plans = [dict(row) for row in conn.execute(
                select(t.work_off_plans).order_by(t.work_off_plans.c.recorded_at, t.work_off_plans.c.id)).mappings()]
            plans = [plan for plan in plans if ak.precedes((plan["stage"], plan["release"]), (stage, release))]
            recorded: list[RecordedPlan] = []
            for plan in plans:
                key = phase_key(plan["stage"], plan["release"], plan["campaign"])
                items = []
                for raw in plan["items"] or []:
                    status = conn.execute(select(t.issues.c.status).where(and_(
                        t.issues.c.id == raw["issue_id"], t.issues.c.phase_key == key))).scalar()
                    tests = tuple(raw.get("tests") or ())
                    items.append(RecordedItem(raw["issue_id"], int(raw["severity"]), tests, status == "closed",
                                              self._passed_since(conn, tests, plan["recorded_at"])))
                stamp = plan["recorded_at"]
                recorded.append(RecordedPlan(plan["stage"], plan["release"], plan["campaign"],
                                             stamp.strftime("%Y-%m-%d %H:%M") if hasattr(stamp, "strftime")
                                             else str(stamp), tuple(items)))
        return recorded

    def _passed_since(self, conn: Connection, nodeids: Sequence[str], since: datetime) -> frozenset[str]:
        if not nodeids:
            return frozenset()
        query = select(t.tests.c.nodeid).select_from(
            t.results.join(t.runs, t.runs.c.id == t.results.c.run_id)
            .join(t.tests, t.tests.c.id == t.results.c.test_id)).where(
            and_(t.tests.c.nodeid.in_(list(nodeids)), t.results.c.outcome == "passed",
                 t.runs.c.started_at > since)).distinct()
        return frozenset(conn.execute(query).scalars())
