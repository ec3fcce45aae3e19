"""The DMCT Process in the campaign store: the DMCT Status List (20.8) with each DMC's history, the Supplier Party
submissions (20.2-20.4), exclusions with their reasons (20.5, 20.6(a)-(f), 20.7, 20.23) and the routes of DMCT
Testing Issues (20.19-20.25).

Every change is a transition checked by :mod:`pytest_svtad.rules.dmct_process` against the DMC's status as it
stands in the store, written in one transaction with its event (the date it took effect, who, why, clause). The
DMC's row carries a version: the update only lands ``WHERE version = <the version read>``; a concurrent writer that
moved it on makes the update miss, and the transition is re-read and re-checked (so two processes never lose a
transition, and a transition made illegal by the other one is refused, not applied to a stale status).

Use it over an open :class:`pytest_svtad.store.db.Store`: ``DmctRegister(store).transition("DMC-001",
Status.SCHEDULED, why="published schedule v2", clause="20.9")``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from pytest_svtad.rules import dmct_process as rules
from pytest_svtad.rules.dmct_process import DmctProcessError, Reason, RouteOutcome, Status, Submission
from pytest_svtad.store import schema as t
from pytest_svtad.store.issues import StoreError, whoami

if TYPE_CHECKING:
    from pytest_svtad.store.db import Store

__all__ = ["DmcRecord", "DmctRegister", "Submission", "counts_by_status", "exclusions_by_reason"]
RETRIES = 50


class _Raced(Exception):
    """Another process put the DMC on the list between our read and our insert: the transaction is rolled back
    and the transition retried (a transition re-read after a concurrent one re-checks its legality)."""


@dataclass(frozen=True, slots=True)
class DmcRecord:
    """One DMC's line on the DMCT Status List as of a date."""

    dmc: str
    status: Status
    since: date
    version: int = 0
    reason: str | None = None
    rationale: str = ""
    equivalent: str = ""
    sos_decision: str = ""
    submitted_only: bool = False
    suppliers: tuple[str, ...] = ()
    epcl_entries: tuple[str, ...] = ()
    why: str = ""
    clause: str = ""

    @property
    def reason_clause(self) -> str:
        return rules.REASONS[self.reason].clause if self.reason in rules.REASONS else ""


def _day(value: date | None) -> date:
    return value if value is not None else datetime.now(UTC).date()


class DmctRegister:
    """The DMCT Process's repository over one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- transitions -----------------------------------------------------------------------------------------

    def transition(self, dmc: str, new: Status, *, why: str, on: date | None = None, who: str | None = None,
                   clause: str = "", details: Mapping[str, Any] | None = None, **values: Any) -> DmcRecord:
        """Move ``dmc`` to ``new`` (refused with a one-line :class:`DmctProcessError` when the process does not
        allow it), recording the date it took effect (default today), who (default the OS user) and why. Extra
        ``values`` set the row's columns (reason, rationale, equivalent, sos_decision, epcl_entries, devices)."""
        if not why.strip():
            raise DmctProcessError(f"DMC {dmc}: a transition needs a reason (why)")
        day, by = _day(on), who or whoami()
        for attempt in range(RETRIES):
            try:
                with self.store._writing("record a DMCT transition") as conn:
                    done = self._try(conn, dmc, new, why=why, day=day, who=by, clause=clause,
                                     details=details or {}, values=values)
                    if not done:
                        conn.rollback()
            except _Raced:  # two first transitions of one DMC: the loser re-reads the winner's row
                done = False
            if done:
                break
            time.sleep(0.005 * (attempt + 1))
        else:
            raise StoreError(f"DMC {dmc}: the transition to '{new.value}' kept meeting concurrent changes; retry")
        return self.dmc(dmc)

    def _try(self, conn: Connection, dmc: str, new: Status, *, why: str, day: date, who: str, clause: str,
             details: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
        row = conn.execute(select(t.dmct_dmcs).where(t.dmct_dmcs.c.dmc == dmc)).mappings().first()
        current = Status(row["status"]) if row is not None else None
        rules.check_transition(dmc, current, new)
        if row is not None and day < date.fromisoformat(row["since"]):
            raise DmctProcessError(f"DMC {dmc}: {day.isoformat()} is before its last transition "
                                   f"({row['since']}); the Status List's history only moves forward")
        columns = {key: values[key] for key in ("reason", "rationale", "equivalent", "sos_decision",
                                                "epcl_entries", "devices", "submitted_only") if key in values}
        if new is not Status.EXCLUDED and new is not Status.REFERRED and "reason" not in columns:
            columns.update(reason=None, rationale="", equivalent="", sos_decision="")
        if row is None:
            try:  # the transaction's first write: on a clash the whole transaction rolls back and is retried
                conn.execute(insert(t.dmct_dmcs).values(
                    dmc=dmc, status=new.value, version=1, since=day.isoformat(),
                    **{"rationale": "", "equivalent": "", "sos_decision": "", "epcl_entries": [], "devices": {},
                       **columns}))
            except IntegrityError:
                raise _Raced() from None
        else:
            hit = conn.execute(update(t.dmct_dmcs).where(and_(
                t.dmct_dmcs.c.dmc == dmc, t.dmct_dmcs.c.version == row["version"])).values(
                status=new.value, version=row["version"] + 1, since=day.isoformat(), **columns))
            if hit.rowcount != 1:
                return False  # a concurrent transition moved it on: re-read and re-check
        conn.execute(insert(t.dmct_events).values(
            dmc=dmc, on_date=day.isoformat(), recorded_at=datetime.now(UTC), who=who,
            old=current.value if current else None, new=new.value, clause=clause, why=why,
            details={**details, **{k: v for k, v in columns.items() if k in ("reason", "rationale", "equivalent",
                                                                             "sos_decision") and v}}))
        return True

    # -- reading ---------------------------------------------------------------------------------------------

    def dmc(self, dmc: str) -> DmcRecord:
        records = {r.dmc: r for r in self.status_list(dmcs=[dmc])}
        if dmc not in records:
            raise StoreError(f"DMC {dmc} is not on the DMCT Status List in {self.store.name}")
        return records[dmc]

    def known(self, dmc: str) -> bool:
        with self.store._reading("read the DMCT Status List") as conn:
            return conn.execute(select(t.dmct_dmcs.c.dmc).where(t.dmct_dmcs.c.dmc == dmc)).first() is not None

    def status_list(self, as_of: date | None = None, dmcs: Sequence[str] | None = None) -> list[DmcRecord]:
        """The DMCT Status List (20.8): every DMC's status on ``as_of`` (default: now), replayed from its history,
        with the suppliers that submitted it by then."""
        query = select(t.dmct_events).order_by(t.dmct_events.c.id)
        subs = select(t.dmct_submissions.c.dmc, t.dmct_submissions.c.supplier, t.dmct_submissions.c.received)
        current = select(t.dmct_dmcs)
        if dmcs is not None:
            query = query.where(t.dmct_events.c.dmc.in_(list(dmcs)))
            subs = subs.where(t.dmct_submissions.c.dmc.in_(list(dmcs)))
            current = current.where(t.dmct_dmcs.c.dmc.in_(list(dmcs)))
        with self.store._reading("read the DMCT Status List") as conn:
            events = [dict(row) for row in conn.execute(query).mappings()]
            rows = {row["dmc"]: dict(row) for row in conn.execute(current).mappings()}
            submissions = [dict(row) for row in conn.execute(subs).mappings()]
        cutoff = as_of.isoformat() if as_of else None
        state: dict[str, dict[str, Any]] = {}
        for event in events:
            if cutoff is not None and event["on_date"] > cutoff:
                continue
            entry = state.setdefault(event["dmc"], {"version": 0})
            details = event["details"] or {}
            excluded = event["new"] in (Status.EXCLUDED.value, Status.REFERRED.value)
            entry.update(status=event["new"], since=event["on_date"], why=event["why"], clause=event["clause"],
                         version=entry["version"] + 1)
            for key in ("reason", "rationale", "equivalent", "sos_decision"):
                if key in details:
                    entry[key] = details[key]
                elif not excluded:
                    entry.pop(key, None)
        suppliers: dict[str, set[str]] = {}
        for sub in submissions:
            if cutoff is None or sub["received"] <= cutoff:
                suppliers.setdefault(sub["dmc"], set()).add(sub["supplier"])
        out = []
        for name in sorted(state):
            entry, row = state[name], rows.get(name, {})
            out.append(DmcRecord(
                dmc=name, status=Status(entry["status"]), since=date.fromisoformat(entry["since"]),
                version=entry["version"], reason=entry.get("reason"), rationale=entry.get("rationale", ""),
                equivalent=entry.get("equivalent", ""), sos_decision=entry.get("sos_decision", ""),
                submitted_only=bool(row.get("submitted_only", False)),
                suppliers=tuple(sorted(suppliers.get(name, ()))),
                epcl_entries=tuple(row.get("epcl_entries") or ()), why=entry["why"], clause=entry["clause"]))
        return out

    def history(self, dmc: str) -> list[dict[str, Any]]:
        """Every transition of ``dmc``, oldest first: on (date), recorded_at, who, old, new, clause, why."""
        query = select(t.dmct_events).where(t.dmct_events.c.dmc == dmc).order_by(t.dmct_events.c.id)
        with self.store._reading("read a DMC's DMCT history") as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def submissions(self, dmc: str | None = None, supplier: str | None = None) -> list[dict[str, Any]]:
        query = select(t.dmct_submissions).order_by(t.dmct_submissions.c.id)
        if dmc is not None:
            query = query.where(t.dmct_submissions.c.dmc == dmc)
        if supplier is not None:
            query = query.where(t.dmct_submissions.c.supplier == supplier)
        with self.store._reading("read DMCT submissions") as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    # -- submissions (20.2-20.5) -------------------------------------------------------------------------------

    def submit(self, submission: Submission, *, window: date | None, who: str | None = None) -> DmcRecord:
        """Record one submission line and put the DMC on the Status List: "submitted", then "data missing" when
        the Supplier Party could not give part of the data (20.4), else "data complete". A confirmation that the
        data is unchanged (20.3) reuses the previous submission's data (an error if there is none)."""
        sub = submission
        devices, quantity, epcl = dict(sub.devices), sub.quantity, list(sub.epcl_entries)
        if sub.unchanged:
            previous = self.submissions(dmc=sub.dmc, supplier=sub.supplier)
            if not previous:
                raise DmctProcessError(f"{sub.source or sub.dmc}: {sub.supplier} confirms DMC {sub.dmc} unchanged "
                                       "(20.3) but has submitted no data for it before")
            last = previous[-1]
            devices, quantity, epcl = dict(last["devices"]), last["quantity"], list(last["epcl_entries"])
        with self.store._writing("record a DMCT submission") as conn:
            conn.execute(insert(t.dmct_submissions).values(
                supplier=sub.supplier, dmc=sub.dmc, received=sub.received.isoformat(),
                window=window.isoformat() if window else None, unchanged=sub.unchanged, devices=devices,
                quantity=quantity, epcl_entries=epcl, missing=list(sub.missing), source=sub.source))
        current = self.dmc(sub.dmc).status if self.known(sub.dmc) else None
        clause = "20.3" if sub.unchanged else "20.2"
        why = (f"{sub.supplier}: data unchanged since its last submission" if sub.unchanged
               else f"{sub.supplier}: submission" + (f" ({sub.source})" if sub.source else ""))
        merged = sorted(set(epcl) | set(self._epcl(sub.dmc)))
        if current is None or current in rules.RESUBMITTABLE:
            self.transition(sub.dmc, Status.SUBMITTED, why=why, on=sub.received, who=who, clause=clause,
                            submitted_only=sub.submitted_only, epcl_entries=merged, devices=devices)
            current = Status.SUBMITTED
        if current is Status.SUBMITTED:
            if sub.missing:
                return self.transition(sub.dmc, Status.DATA_MISSING, on=sub.received, who=who, clause="20.4",
                                       why="the DCC must source: " + ", ".join(sub.missing))
            return self.transition(sub.dmc, Status.DATA_COMPLETE, on=sub.received, who=who, clause=clause,
                                   why="all data provided")
        if current is Status.DATA_MISSING and not sub.missing:  # another Supplier Party gave what was missing
            return self.transition(sub.dmc, Status.DATA_COMPLETE, on=sub.received, who=who, clause=clause,
                                   why=f"{why}: all data provided", epcl_entries=merged)
        return self.dmc(sub.dmc)  # complete already or further on: the submission is kept, the status stands

    def _epcl(self, dmc: str) -> list[str]:
        with self.store._reading("read the DMCT Status List") as conn:
            value = conn.execute(select(t.dmct_dmcs.c.epcl_entries).where(t.dmct_dmcs.c.dmc == dmc)).scalar()
        return list(value or [])

    # -- consideration (20.6-20.7, 20.11-20.12) -----------------------------------------------------------------

    def exclude(self, dmc: str, reason: Reason, *, why: str = "", rationale: str = "", equivalent: str = "",
                sos_decision: str = "", on: date | None = None, who: str | None = None) -> DmcRecord:
        """Leave a DMC out of testing for one reason (20.5, 20.6(a)-(f), 20.23(b)-(c)) with what it needs."""
        rules.check_exclusion(dmc, reason, rationale=rationale, equivalent=equivalent, sos_decision=sos_decision)
        return self.transition(dmc, Status.EXCLUDED, why=why or reason.text, on=on, who=who, clause=reason.clause,
                               reason=reason.code, rationale=rationale, equivalent=equivalent,
                               sos_decision=sos_decision)

    def disagree(self, dmc: str, *, supplier: str, why: str, on: date | None = None,
                 who: str | None = None) -> DmcRecord:
        """A Supplier Party disagrees with the exclusion (20.12): (d) back on the schedule, (c) referred."""
        record = self.dmc(dmc)
        if record.status is not Status.EXCLUDED:
            raise DmctProcessError(f"DMC {dmc} is '{record.status.value}', not excluded: nothing to disagree with")
        if supplier not in record.suppliers:
            raise DmctProcessError(f"DMC {dmc}: {supplier} did not include it in a submission (20.12); "
                                   f"submitted by: {', '.join(record.suppliers) or 'nobody'}")
        new, clause = rules.disagreement_outcome(dmc, record.reason)
        keep: dict[str, Any] = {}
        if new is Status.REFERRED:  # the exclusion stands while the Secretary of State decides (20.12(b))
            keep = {"reason": record.reason, "rationale": record.rationale, "equivalent": record.equivalent}
        return self.transition(dmc, new, why=f"{supplier} disagrees: {why}", on=on, who=who, clause=clause, **keep)

    # -- DMCT Testing Issues (20.19-20.25) and 20.18 --------------------------------------------------------------

    def record_route(self, dmc: str, issue_id: str, route: str, *, outcome: RouteOutcome, device_change: str | None,
                     resolution: str = "", on: date | None = None, who: str | None = None) -> DmcRecord:
        """Record the route chosen for a DMCT Testing Issue and apply its consequence to the DMC."""
        day, by = _day(on), who or whoami()
        record = self.dmc(dmc)
        if record.status not in (Status.IN_TEST, Status.ISSUE_ROUTE):
            raise DmctProcessError(f"DMC {dmc} is '{record.status.value}': a DMCT Testing Issue route is chosen "
                                   "while it is in test (20.19)")
        if record.status is Status.IN_TEST:
            self.transition(dmc, Status.ISSUE_ROUTE, on=day, who=by, clause=rules.ROUTES[route].clause,
                            why=f"Testing Issue {issue_id}: route ({route}) {rules.ROUTES[route].text}")
        with self.store._writing("record a DMCT Testing Issue route") as conn:
            conn.execute(insert(t.dmct_routes).values(
                dmc=dmc, issue_id=issue_id, route=route, device_change=device_change, clause=outcome.clause,
                consequence=outcome.consequence, resolution=resolution, on_date=day.isoformat(), who=by))
        if outcome.status is Status.ISSUE_ROUTE:
            return self.dmc(dmc)
        extra = {"reason": outcome.exclusion} if outcome.exclusion else {}
        return self.transition(dmc, outcome.status, on=day, who=by, clause=outcome.clause,
                               why=f"Testing Issue {issue_id}: {outcome.consequence}",
                               details={"issue": issue_id, "route": route}, **extra)

    def routes(self, dmc: str | None = None) -> list[dict[str, Any]]:
        query = select(t.dmct_routes).order_by(t.dmct_routes.c.id)
        if dmc is not None:
            query = query.where(t.dmct_routes.c.dmc == dmc)
        with self.store._reading("read DMCT Testing Issue routes") as conn:
            return [dict(row) for row in conn.execute(query).mappings()]


def counts_by_status(records: Iterable[DmcRecord]) -> dict[str, int]:
    """How many DMCs have each status (every status listed, zero included), in the process's order."""
    counts = {status.value: 0 for status in Status}
    for record in records:
        counts[record.status.value] += 1
    return counts


def exclusions_by_reason(records: Iterable[DmcRecord]) -> dict[str, int]:
    counts = {code: 0 for code in rules.REASONS}
    for record in records:
        if record.status in (Status.EXCLUDED, Status.REFERRED) and record.reason in counts:
            counts[record.reason] += 1
    return counts


# -- settings the seeds leave to the DCC: the date Clause 20 took effect (20.2) and the Working Day region ----------

SETTING_KEYS = {"effective": "dmct_effective", "region": "dmct_region"}


def read_settings(store: Store) -> dict[str, str]:
    """The DMCT Process's recorded settings (``effective``: ISO date Clause 20 took effect; ``region``)."""
    keys = {v: k for k, v in SETTING_KEYS.items()}
    with store._reading("read the DMCT settings") as conn:
        rows = conn.execute(select(t.meta).where(t.meta.c.key.in_(list(keys)))).mappings()
        return {keys[row["key"]]: row["value"] for row in rows}


def write_setting(store: Store, name: str, value: str) -> None:
    key = SETTING_KEYS[name]
    with store._writing("record a DMCT setting") as conn:
        conn.execute(t.meta.delete().where(t.meta.c.key == key))
        conn.execute(insert(t.meta).values(key=key, value=value))


def events_between(store: Store, first: date, last: date) -> list[dict[str, Any]]:
    """Every DMCT transition that took effect from ``first`` to ``last`` (inclusive), oldest first."""
    query = select(t.dmct_events).where(and_(t.dmct_events.c.on_date >= first.isoformat(),
                                             t.dmct_events.c.on_date <= last.isoformat())).order_by(t.dmct_events.c.id)
    with store._reading("read DMCT transitions") as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def routes_by_dmc(store: Store, dmcs: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """The routes recorded for each DMC's DMCT Testing Issues, oldest first, for its DMCT Report (20.29(e))."""
    wanted = sorted(set(dmcs))
    query = select(t.dmct_routes).where(t.dmct_routes.c.dmc.in_(wanted)).order_by(t.dmct_routes.c.id)
    with store._reading("read DMCT Testing Issue routes") as conn:
        rows = [dict(row) for row in conn.execute(query).mappings()]
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["dmc"], []).append({key: row[key] for key in (
            "issue_id", "route", "device_change", "clause", "consequence", "resolution", "on_date", "who")})
    return out


def record_dmct_run(store: Store, *, stage: str, run: str, dmc_ids: Iterable[str],
                    completed: Mapping[str, str]) -> list[str]:
    """A DMCT session's mark on the Status List: each scheduled DMC it ran goes to "in test" (testing commenced,
    20.13; 20.18 applies from here), and one whose DMCT testing the assessment finds complete (``completed``: DMC ->
    the recommendation, 20.26) goes to "completed". Silent for a store with no Status List; otherwise the notes say
    what moved and which DMCs it could not record. Failure (20.30) stays a DCC decision (``svtad dmct transition``)."""
    register = DmctRegister(store)
    listed = {record.dmc: record for record in register.status_list()}
    if not listed:
        return []
    who = f"svtad session ({run})"
    moved, skipped, unlisted = [], [], []
    for dmc in sorted(set(dmc_ids)):
        record = listed.get(dmc)
        if record is None:
            unlisted.append(dmc)
            continue
        status = record.status
        try:
            if status is Status.SCHEDULED:
                status = register.transition(dmc, Status.IN_TEST, why=f"{stage} {run}: testing commenced",
                                             who=who, clause="20.13").status
                moved.append(f"{dmc} in test")
            if dmc in completed and status is Status.IN_TEST:
                status = register.transition(dmc, Status.COMPLETED, why=f"{stage} {run}: {completed[dmc]}",
                                             who=who, clause="20.26, 20.29").status
                moved.append(f"{dmc} completed")
        except DmctProcessError as exc:
            skipped.append(str(exc))
            continue
        if status not in (Status.IN_TEST, Status.ISSUE_ROUTE, Status.COMPLETED):
            skipped.append(f"{dmc} is '{status.value}', not scheduled or in test")
    notes = [f"DMCT Status List: {', '.join(moved)}"] if moved else []
    notes += [f"DMCT Status List: this run not recorded for {reason}" for reason in skipped]
    if unlisted:
        notes.append(f"DMCT Status List: {', '.join(unlisted)} not on it (svtad dmct import): this run not recorded")
    return notes
