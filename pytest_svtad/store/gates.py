"""Entry Criteria sign-offs in the store (12.5(a), (b), (e)) per Test Phase (stage + release) and campaign.

Rows are only ever added: a sign-off, or its withdrawal; the latest row of a criterion is what stands, and the
history says who did what when (``svtad gate history``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select

from pytest_svtad.rules.entry_criteria import SIGNED_CRITERIA, EntryAssessment, SignOff, check_signoff
from pytest_svtad.store import schema as t
from pytest_svtad.store.db import Store
from pytest_svtad.store.issues import StoreError
from pytest_svtad.store.migrations import phase_key


@dataclass(frozen=True, slots=True)
class SignOffEvent:
    criterion: str
    action: str  # signed | withdrawn
    who: str
    signed_on: str
    recorded_at: datetime
    reference: str
    basis: str
    details: dict[str, str]
    why: str

    def line(self) -> str:
        stamp = f"{self.recorded_at:%Y-%m-%d %H:%M} UTC"
        what = f"{self.basis}: " if self.basis else ""
        extra = "".join(f"; {key.replace('_', ' ')} {value}" for key, value in sorted(self.details.items()))
        why = f" ({self.why})" if self.why else ""
        return (f"{stamp}  12.5({self.criterion}) {self.action} by {self.who} on {self.signed_on}: "
                f"{what}{self.reference}{extra}{why}")


class GateRepository:
    """The Entry Criteria sign-off rows of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def sign(self, signoff: SignOff, *, stage: str, release: str | None, campaign: str | None,
             why: str = "") -> None:
        problem = check_signoff(signoff)
        if problem:
            raise StoreError(problem)
        self._add(stage, release, campaign, signoff.criterion, "signed", signoff.who, signoff.signed_on,
                  signoff.reference, signoff.basis, dict(signoff.details), why)

    def withdraw(self, criterion: str, *, stage: str, release: str | None, campaign: str | None, who: str,
                 why: str) -> None:
        if criterion not in SIGNED_CRITERIA:
            raise StoreError(f"criterion '{criterion}' is not a sign-off (12.5(a), (b), (e))")
        if criterion not in self.current(stage=stage, release=release, campaign=campaign):
            raise StoreError(f"12.5({criterion}) is not signed off for this phase: nothing to withdraw")
        if not why.strip():
            raise StoreError("a withdrawal needs its reason (--why)")
        self._add(stage, release, campaign, criterion, "withdrawn", who, datetime.now(UTC).date(), "", "", {}, why)

    def _add(self, stage: str, release: str | None, campaign: str | None, criterion: str, action: str, who: str,
             signed_on: date, reference: str, basis: str, details: dict[str, str], why: str) -> None:
        with self.store._writing("record an Entry Criteria sign-off") as conn:
            conn.execute(insert(t.entry_signoffs).values(
                phase_key=phase_key(stage, release, campaign), stage=stage, release=release, campaign=campaign,
                criterion=criterion, action=action, basis=basis, reference=reference, who=who,
                signed_on=signed_on.isoformat(), recorded_at=datetime.now(UTC), details=details, why=why))

    def history(self, *, stage: str, release: str | None, campaign: str | None) -> list[SignOffEvent]:
        key = phase_key(stage, release, campaign)
        with self.store._reading("read Entry Criteria sign-offs") as conn:
            rows = conn.execute(select(t.entry_signoffs).where(t.entry_signoffs.c.phase_key == key)
                                .order_by(t.entry_signoffs.c.id)).mappings().all()
        return [_event(row) for row in rows]

    def current(self, *, stage: str, release: str | None, campaign: str | None) -> dict[str, SignOff]:
        """The sign-offs that stand for the phase: the latest row of each criterion, unless a withdrawal."""
        standing: dict[str, SignOff] = {}
        for event in self.history(stage=stage, release=release, campaign=campaign):
            if event.action == "withdrawn":
                standing.pop(event.criterion, None)
                continue
            standing[event.criterion] = SignOff(event.criterion, event.who, date.fromisoformat(event.signed_on),
                                                event.reference, event.basis, event.details)
        return standing

    def record_check(self, run_id: int, assessment: EntryAssessment, *, stage: str, release: str | None,
                     campaign: str | None) -> None:
        """The Entry Criteria a session found at its start, kept with its run (for ``svtad verdict --campaign``)."""
        with self.store._writing("record the Entry Criteria of a run") as conn:
            conn.execute(insert(t.entry_checks).values(run_id=run_id, phase_key=phase_key(stage, release, campaign),
                                                       recorded_at=datetime.now(UTC),
                                                       assessment=assessment.as_dict()))

    def latest_check(self, run_ids: Sequence[int]) -> EntryAssessment | None:
        """The Entry Criteria found by the newest of ``run_ids`` that recorded them (None: none did)."""
        if not run_ids:
            return None
        with self.store._reading("read the Entry Criteria of runs") as conn:
            row = conn.execute(select(t.entry_checks.c.assessment).where(t.entry_checks.c.run_id.in_(list(run_ids)))
                               .order_by(t.entry_checks.c.run_id.desc(), t.entry_checks.c.id.desc())
                               .limit(1)).first()
        return EntryAssessment.from_dict(row[0]) if row is not None else None

    def phases(self) -> list[tuple[str, str | None, str | None]]:
        """Every phase with a sign-off row, for listings."""
        with self.store._reading("read Entry Criteria sign-offs") as conn:
            rows = conn.execute(select(t.entry_signoffs.c.stage, t.entry_signoffs.c.release,
                                       t.entry_signoffs.c.campaign).distinct()).all()
        return sorted(((r[0], r[1], r[2]) for r in rows), key=lambda p: (p[0], p[1] or "", p[2] or ""))


def _event(row: Any) -> SignOffEvent:
    recorded = row["recorded_at"]
    if recorded.tzinfo is None:
        recorded = recorded.replace(tzinfo=UTC)
    return SignOffEvent(row["criterion"], row["action"], row["who"], row["signed_on"], recorded, row["reference"],
                        row["basis"], dict(row["details"] or {}), row["why"])


__all__ = ["GateRepository", "SignOffEvent"]
