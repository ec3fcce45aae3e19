"""The store's Testing Issues and Work Off Plans: one place for their rows, their lifecycle and their history.

- An issue row belongs to its Test Phase and campaign (``phase_key``, 13.18). The same failure in a later run of the
  same phase updates it (last seen, DMCs, tests) and reopens it if it had been closed; in another phase it is
  another issue, which names the earlier ones as ``related``.
- Every change (raised, seen again, reopened, severity, cause, provider, status, exclusion, agreement to count) is
  an event with when, who and why (``svtad issues show`` prints the history). Closing needs a reason.
- Work Off Plans recorded at a phase's exit (15.1) are kept with their items, so a later phase can check 12.6(h).
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from pytest_svtad.rules import appendix_ak as ak
from pytest_svtad.rules.issues import TestingIssue
from pytest_svtad.rules.workoff import RecordedItem, RecordedPlan, WorkOffItem
from pytest_svtad.store import schema as t
from pytest_svtad.store.migrations import inserted_id, phase_key

STATUSES = ("open", "closed", "excluded")


class StoreError(Exception):
    """The store cannot be opened, read or written; the message names the store and the cause."""


def _now() -> datetime:
    return datetime.now(UTC)


def whoami() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name (a container without a passwd entry)
        return "unknown"


def issue_from_row(row: dict[str, Any]) -> TestingIssue:
    return TestingIssue(id=row["id"], title=row["title"], severity=row["severity"], known_defect=row["known_defect"],
                        status=row["status"], tag_agreed=row["tag_agreed"], rationale=row["rationale"],
                        dmcs=list(row["dmcs"]), tests=list(row["tests"]), epcl_entries=list(row["epcl_entries"]),
                        cause=row["cause"], provider=row["provider"], stage=row["stage"], release=row["release"],
                        campaign=row["campaign"], test_key=row["test_key"], origin=row["origin"],
                        related=list(row["related"] or []), count_in=list(row["count_in"] or []))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


class IssueRepository:
    """Mixed into :class:`pytest_svtad.store.db.Store`: its Testing Issue and Work Off Plan rows."""

    name: str

    def _writing(self, what: str) -> AbstractContextManager[Connection]:  # provided by Store
        raise NotImplementedError

    _reading = _writing

    # -- raising ---------------------------------------------------------------------------------------------

    def upsert_issues(self, raised: Sequence[TestingIssue], *, stage: str, release: str | None,
                      campaign: str | None, run_id: int | None = None) -> None:
        """Record the issues a run raised in its phase; an exclusion stands until changed by hand."""
        stamp = _now()
        key = phase_key(stage, release, campaign)
        run = f"run {run_id}" if run_id is not None else "a run"
        with self._writing("record Testing Issues") as conn:
            for issue in raised:
                row = conn.execute(select(t.issues).where(
                    and_(t.issues.c.id == issue.id, t.issues.c.phase_key == key))).mappings().first()
                if row is None:
                    related = sorted(set(conn.execute(select(t.issues.c.id).where(and_(
                        t.issues.c.test_key == issue.test_key, t.issues.c.phase_key != key,
                        t.issues.c.test_key != ""))).scalars())) if issue.test_key else []
                    result = conn.execute(insert(t.issues).values(
                        id=issue.id, phase_key=key, title=issue.title, severity=issue.severity, status="open",
                        known_defect=issue.known_defect, tag_agreed=False, rationale="", stage=stage,
                        release=release, campaign=campaign, dmcs=issue.dmcs, tests=issue.tests,
                        epcl_entries=issue.epcl_entries, first_seen=stamp, last_seen=stamp, cause=issue.cause,
                        provider=issue.provider, test_key=issue.test_key, origin="test", related=related,
                        count_in=[]))
                    self._event(conn, inserted_id(result), "raised", None, issue.title,
                                f"failed in {run}", stamp, who="pytest-svtad")
                    continue
                values: dict[str, Any] = {
                    "last_seen": stamp, "dmcs": sorted(set(row["dmcs"]) | set(issue.dmcs)),
                    "tests": sorted(set(row["tests"]) | set(issue.tests)),
                    "epcl_entries": sorted(set(row["epcl_entries"]) | set(issue.epcl_entries))}
                if row["status"] == "closed":
                    values.update(status="open", closed_at=None)
                    self._event(conn, row["uid"], "status", "closed", "open", f"failed again in {run}", stamp,
                                who="pytest-svtad")
                if row["cause"] == ak.DEFAULT_CAUSE and issue.cause != ak.DEFAULT_CAUSE:
                    values["cause"] = issue.cause
                conn.execute(update(t.issues).where(t.issues.c.uid == row["uid"]).values(**values))

    def record_issue(self, *, issue_id: str, title: str, severity: int, stage: str, release: str | None,
                     campaign: str | None, origin: str, cause: str, provider: str, why: str,
                     who: str | None = None) -> dict[str, Any]:
        """An issue not raised by a test here: identified in another DCC environment, in production, or raised by a
        Testing Participant (13.23 (a)-(c)). It is listed for the phase, and counted only once agreed."""
        stamp = _now()
        key = phase_key(stage, release, campaign)
        with self._writing("record a Testing Issue") as conn:
            exists = conn.execute(select(t.issues.c.uid).where(
                and_(t.issues.c.id == issue_id, t.issues.c.phase_key == key))).first()
            if exists is not None:
                raise StoreError(f"Testing Issue '{issue_id}' is already recorded for {stage} "
                                 f"{release or ''} {campaign or ''} in {self.name}".replace("  ", " "))
            result = conn.execute(insert(t.issues).values(
                id=issue_id, phase_key=key, title=title, severity=severity, status="open", known_defect=False,
                tag_agreed=False, rationale="", stage=stage, release=release, campaign=campaign, dmcs=[], tests=[],
                epcl_entries=[], first_seen=stamp, last_seen=stamp, cause=cause, provider=provider, test_key="",
                origin=origin, related=[], count_in=[]))
            uid = inserted_id(result)
            self._event(conn, uid, "recorded", None, f"{origin}: {title}", why, stamp, who=who)
        return self.issue_by_uid(uid)

    # -- reading ---------------------------------------------------------------------------------------------

    def issues(self, *, campaign: str | None = None, stage: str | None = None, release: str | None = None,
               status: str | None = None) -> list[dict[str, Any]]:
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
        query = select(t.issue_events).where(t.issue_events.c.issue_uid == uid).order_by(t.issue_events.c.id)
        with self._reading("read a Testing Issue's history") as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    # -- the lifecycle ---------------------------------------------------------------------------------------

    def change_issue(self, uid: int, *, why: str, who: str | None = None, **values: Any) -> dict[str, Any]:
        """Change fields of one issue, each change an event. ``status`` closed sets ``closed_at``; closing needs
        a reason."""
        row = self.issue_by_uid(uid)
        if values.get("status") == "closed" and not why.strip():
            raise StoreError(f"closing Testing Issue '{row['id']}' needs a reason (--reason)")
        if "status" in values:
            values["closed_at"] = _now() if values["status"] == "closed" else None
        stamp = _now()
        with self._writing("change a Testing Issue") as conn:
            conn.execute(update(t.issues).where(t.issues.c.uid == uid).values(**values))
            for name, value in values.items():
                if name != "closed_at" and row.get(name) != value:
                    self._event(conn, uid, name, _text(row.get(name)), _text(value), why, stamp, who=who)
        return self.issue_by_uid(uid)

    def agree_count_in(self, uid: int, *, stage: str, release: str | None, agreement: str, clause: str,
                       who: str | None = None) -> dict[str, Any]:
        """Record the TAG's agreement that the issue counts in another phase (13.22: an SCT issue against SIT) or,
        for an issue from another environment or production, in its own (13.23(ii))."""
        row = self.issue_by_uid(uid)
        entries = [entry for entry in (row["count_in"] or [])
                   if not (entry.get("stage") == stage and entry.get("release") == release)]
        entries.append({"stage": stage, "release": release, "agreement": agreement, "clause": clause})
        with self._writing("record an agreement to count a Testing Issue") as conn:
            conn.execute(update(t.issues).where(t.issues.c.uid == uid).values(count_in=entries))
            self._event(conn, uid, "counted in", None, f"{stage} {release or ''}".strip(),
                        f"{clause}: {agreement}", _now(), who=who)
        return self.issue_by_uid(uid)

    def _event(self, conn: Connection, uid: int, change: str, old: str | None, new: str | None, why: str,
               at: datetime, who: str | None = None) -> None:
        conn.execute(insert(t.issue_events).values(issue_uid=uid, at=at, who=who or whoami(), change=change,
                                                   old=old, new=new, why=why))

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
        query = select(t.results.c.nodeid).select_from(
            t.results.join(t.runs, t.runs.c.id == t.results.c.run_id)).where(
            and_(t.results.c.nodeid.in_(list(nodeids)), t.results.c.outcome == "passed",
                 t.runs.c.started_at > since))
        return frozenset(conn.execute(query).scalars())
