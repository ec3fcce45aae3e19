"""The DMCT Schedule's versions in the store (20.9-20.10): one draft (imported, not yet published) and every
published version, whole, in order. Publishing turns the draft into the next version in one transaction; two
publishers at once get consecutive versions (the version is unique: the loser of a race retries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from pytest_svtad.rules.dmct_schedule import Change, Schedule, diff
from pytest_svtad.store import schema as t
from pytest_svtad.store.db import Store
from pytest_svtad.store.issues import StoreError, whoami

PUBLISH_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class StoredSchedule:
    """A schedule as the store keeps it: the draft (``version`` None) or a published version."""

    version: int | None
    schedule: Schedule
    source: str
    imported_at: datetime
    imported_by: str
    published_at: datetime | None = None
    published_by: str | None = None

    def label(self) -> str:
        if self.version is None:
            return f"the draft imported {self.imported_at:%Y-%m-%d %H:%M} UTC by {self.imported_by}"
        assert self.published_at is not None
        return f"version {self.version} published {self.published_at:%Y-%m-%d %H:%M} UTC by {self.published_by}"


def _row_schedule(row: Any) -> StoredSchedule:
    def utc(value: datetime | None) -> datetime | None:  # SQLite gives naive datetimes back
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

    imported = utc(row["imported_at"])
    assert imported is not None
    return StoredSchedule(version=row["version"], schedule=Schedule.from_dict(row["content"], row["source"]),
                          source=row["source"], imported_at=imported, imported_by=row["imported_by"],
                          published_at=utc(row["published_at"]), published_by=row["published_by"])


class ScheduleRepository:
    """The DMCT Schedule rows of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def import_draft(self, schedule: Schedule, source: str, who: str | None = None) -> StoredSchedule:
        """Keep ``schedule`` as the draft (replacing an earlier draft): nothing is published until ``publish``."""
        stamp = datetime.now(UTC)
        with self.store._writing("import the DMCT Schedule") as conn:
            conn.execute(delete(t.dmct_schedules).where(t.dmct_schedules.c.version.is_(None)))
            conn.execute(insert(t.dmct_schedules).values(
                version=None, source=source, imported_at=stamp, imported_by=who or whoami(),
                content=schedule.as_dict()))
        draft = self.draft()
        assert draft is not None
        return draft

    def draft(self) -> StoredSchedule | None:
        with self.store._reading("read the DMCT Schedule draft") as conn:
            row = conn.execute(select(t.dmct_schedules).where(t.dmct_schedules.c.version.is_(None))).mappings().first()
        return _row_schedule(row) if row is not None else None

    def published(self, version: int | None = None) -> StoredSchedule | None:
        """The latest published version, or ``version``; None if there is none (or no such version)."""
        query = select(t.dmct_schedules).where(t.dmct_schedules.c.version.is_not(None))
        query = (query.where(t.dmct_schedules.c.version == version) if version is not None
                 else query.order_by(t.dmct_schedules.c.version.desc()).limit(1))
        with self.store._reading("read the DMCT Schedule") as conn:
            row = conn.execute(query).mappings().first()
        return _row_schedule(row) if row is not None else None

    def versions(self) -> list[StoredSchedule]:
        with self.store._reading("read the DMCT Schedule versions") as conn:
            rows = conn.execute(select(t.dmct_schedules).where(t.dmct_schedules.c.version.is_not(None))
                                .order_by(t.dmct_schedules.c.version)).mappings().all()
        return [_row_schedule(row) for row in rows]

    def publish(self, who: str | None = None) -> tuple[StoredSchedule, list[Change]]:
        """Publish the draft as the next version (20.10) and return it with its changes from the previously
        published version (20.9). A StoreError if there is no draft."""
        by = who or whoami()
        for attempt in range(PUBLISH_ATTEMPTS):
            try:
                with self.store._writing("publish the DMCT Schedule") as conn:
                    version = self._publish(conn, by)
                break
            except StoreError as exc:  # another publisher took the version (unique): take the next
                if "no draft" in str(exc) or attempt == PUBLISH_ATTEMPTS - 1:
                    raise
        published = self.published(version)
        assert published is not None
        before = self.published(version - 1) if version > 1 else None
        return published, diff(before.schedule if before else None, published.schedule)

    def _publish(self, conn: Connection, by: str) -> int:
        """Read the draft and the latest version and write the next one in one serialised transaction: on SQLite
        the write lock is taken before the reads (pysqlite would run them outside any transaction, so a second
        publisher could see a draft the first has already published), on PostgreSQL the draft row is locked."""
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        draft = conn.execute(select(t.dmct_schedules).where(t.dmct_schedules.c.version.is_(None))
                             .with_for_update()).mappings().first()
        if draft is None:
            raise StoreError(f"no draft DMCT Schedule in store {self.store.name}: import one first "
                             "(svtad dmct schedule import FILE)")
        latest = conn.execute(select(func.max(t.dmct_schedules.c.version))).scalar()
        version = int(latest or 0) + 1
        conn.execute(insert(t.dmct_schedules).values(
            version=version, source=draft["source"], imported_at=draft["imported_at"],
            imported_by=draft["imported_by"], published_at=datetime.now(UTC), published_by=by,
            content=draft["content"]))
        conn.execute(delete(t.dmct_schedules).where(t.dmct_schedules.c.id == draft["id"]))
        return version

    def changes(self, version: int | None = None) -> tuple[StoredSchedule | None, StoredSchedule, list[Change]]:
        """The changes of published ``version`` (default: the latest) from the version before it."""
        after = self.published(version)
        if after is None:
            raise StoreError(f"no published DMCT Schedule{f' version {version}' if version else ''} in store "
                             f"{self.store.name} (svtad dmct schedule publish)")
        assert after.version is not None
        before = self.published(after.version - 1) if after.version > 1 else None
        return before, after, diff(before.schedule if before else None, after.schedule)


@dataclass(slots=True)
class PublishOutcome:
    published: StoredSchedule
    changes: list[Change]
    moved: list[str]  # the DMCs moved to "scheduled" on the DMCT Status List
    notes: list[str]


def publish_schedule(store: Store, who: str | None = None) -> PublishOutcome:
    """Publish the draft (20.10) and move each DMC it adds or changes to "scheduled" on the DMCT Status List
    (20.8) through the register's transitions. Every DMC must be on the Status List and allowed to become
    scheduled: that is checked for all of them before anything is published (a one-line error naming the DMC)."""
    from pytest_svtad.rules.dmct_process import Status, check_transition
    from pytest_svtad.store.dmct import DmctRegister

    repository = ScheduleRepository(store)
    draft = repository.draft()
    if draft is None:
        raise StoreError(f"no draft DMCT Schedule in store {store.name}: import one first "
                         "(svtad dmct schedule import FILE)")
    register = DmctRegister(store)
    before = repository.published()
    preview = diff(before.schedule if before else None, draft.schedule)
    touched = sorted({change.dmc for change in preview if change.kind != "removed"})
    testing = (Status.IN_TEST, Status.ISSUE_ROUTE)  # in test already: a schedule change does not move it back
    statuses: dict[str, Status] = {}
    for dmc in touched:
        if not register.known(dmc):
            raise StoreError(f"DMC {dmc} is not on the DMCT Status List in {store.name}: submit it first (20.2; "
                             "svtad dmct submit)")
        statuses[dmc] = register.dmc(dmc).status
        if statuses[dmc] not in (Status.SCHEDULED, *testing):
            check_transition(dmc, statuses[dmc], Status.SCHEDULED)  # DmctProcessError: one line naming the DMC
    published, changes = repository.publish(who)
    moved: list[str] = []
    notes: list[str] = []
    changed_text = {dmc: "; ".join(c.what for c in changes if c.dmc == dmc) for dmc in touched}
    for dmc in touched:
        if statuses[dmc] in testing:
            notes.append(f"{dmc} is '{statuses[dmc].value}': its schedule changed ({changed_text[dmc]}), its status "
                         "stays")
            continue
        register.transition(dmc, Status.SCHEDULED, who=who, clause="20.9",
                            why=f"DMCT Schedule {published.label()}: {changed_text[dmc]}"[:1000])
        moved.append(dmc)
    for change in changes:
        if change.kind == "removed":
            notes.append(f"{change.dmc} left the DMCT Schedule: its status on the Status List stays as it is until "
                         "changed (20.11: notify its Supplier Parties if it is excluded)")
    return PublishOutcome(published, changes, moved, notes)
