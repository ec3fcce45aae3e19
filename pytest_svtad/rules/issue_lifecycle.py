"""The lifecycle of a Testing Issue: every change to one, as a pure transition from the record to the record.

A transition says which stored fields change and the events that record why (``svtad issues show`` prints them as
the issue's audit trail, issue 15 item 11). Who made the change and when are the store's to stamp: it applies a
transition in one transaction (:meth:`pytest_svtad.store.issues.IssueRepository.apply`).

- raised by a failing test (13.18: in its Test Phase and campaign), or recorded by hand from another environment,
  production or a Testing Participant (13.23 (a)-(c));
- seen again: a later failure of the same test in the same phase adds its DMCs and tests, reopens the issue if it
  had been closed, and sets a cause that was undetermined;
- severity (1-5, 13.19), cause (13.19), DCC Service Provider (Table 13.2 is per provider);
- close (needs a reason), reopen (an exclusion's TAG agreement lapses), exclude (13.20: needs a rationale; it
  leaves the count only with the TAG's agreement), and an agreement to count it in another phase (13.22-13.23).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from pytest_svtad.errors import SvtadInputError
from pytest_svtad.rules import appendix_ak as ak
from pytest_svtad.rules.issues import ORIGINS, STORED_FIELDS, TestingIssue

STATUSES = ("open", "closed", "excluded")
SYSTEM = "pytest-svtad"  # who raised an issue or saw it again: the harness, not a person


class LifecycleError(SvtadInputError):
    """A change the lifecycle refuses; ``needs`` names what the change lacks (reason, rationale, agreement, ...),
    so a face can name its own option for it."""

    def __init__(self, issue_id: str, message: str, needs: str) -> None:
        super().__init__(issue_id, message)
        self.needs = needs


@dataclass(frozen=True, slots=True)
class Event:
    """One line of an issue's audit trail: what changed (a field name, or raised, recorded, seen again, counted in,
    migrated), from what to what, and why."""

    change: str
    old: str | None
    new: str | None
    why: str


@dataclass(frozen=True, slots=True)
class Transition:
    """The issue after a change, the stored fields that changed (name -> new value) and the events recording it."""

    issue: TestingIssue
    changed: dict[str, Any]
    events: tuple[Event, ...]
    who: str | None = None  # None: the person making the change; SYSTEM for the harness's own changes


def as_text(value: Any) -> str | None:
    """A value as the audit trail keeps it: booleans yes/no, lists comma-separated, nothing as None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(item) for item in value)
    return str(value)


def change(issue: TestingIssue, why: str, **values: Any) -> Transition:
    """Set stored fields of ``issue``; an event per field whose value changes. A status of closed needs a reason."""
    unknown = sorted(set(values) - set(STORED_FIELDS))
    if unknown:
        raise ValueError(f"not stored fields of a Testing Issue: {', '.join(unknown)}")
    if "status" in values and values["status"] not in STATUSES:
        raise LifecycleError(issue.id, f"status must be one of {', '.join(STATUSES)}, got '{values['status']}'",
                             "status")
    if values.get("status") == "closed" and not why.strip():
        raise LifecycleError(issue.id, "closing a Testing Issue needs a reason (it goes into its history)", "reason")
    changed = {name: value for name, value in values.items() if getattr(issue, name) != value}
    events = tuple(Event(name, as_text(getattr(issue, name)), as_text(value), why)
                   for name, value in changed.items())
    return Transition(replace(issue, **changed), changed, events)


def set_severity(issue: TestingIssue, severity: int | str | None, why: str) -> Transition:
    return change(issue, why, severity=parse_severity(severity, issue.id))


def parse_severity(value: int | str | None, issue_id: str = "severity") -> int:
    """13.19: 1 (worst) to 5."""
    if str(value) not in {str(s) for s in ak.SEVERITIES}:
        raise LifecycleError(issue_id, f"severity must be 1-5, got '{value}'", "severity")
    return int(str(value))


def set_cause(issue: TestingIssue, cause: str | None, why: str) -> Transition:
    """13.19: only issues arising from the DCC count against Table 13.2 (undetermined ones conservatively)."""
    if cause not in ak.CAUSES:
        raise LifecycleError(issue.id, f"cause must be one of {', '.join(ak.CAUSES)}, got '{cause}'", "cause")
    return change(issue, why, cause=cause)


def set_provider(issue: TestingIssue, provider: str | None, why: str) -> Transition:
    if not provider or not provider.strip():
        raise LifecycleError(issue.id, "expected the DCC Service Provider's name", "provider")
    return change(issue, why, provider=provider.strip())


def close(issue: TestingIssue, why: str) -> Transition:
    if not why.strip():
        raise LifecycleError(issue.id, "closing a Testing Issue needs a reason (it goes into its history)", "reason")
    return change(issue, why, status="closed")


def reopen(issue: TestingIssue, why: str) -> Transition:
    """Open again; an exclusion's TAG agreement does not survive it (13.20: a new exclusion needs a new one)."""
    return change(issue, why, status="open", tag_agreed=False)


def exclude(issue: TestingIssue, rationale: str | None, tag_agreed: bool, why: str = "") -> Transition:
    """13.20: the DCC states its rationale; the issue leaves the count only if the TAG agreed."""
    if not rationale or not rationale.strip():
        raise LifecycleError(issue.id, "an exclusion needs a rationale (13.20: the DCC states its rationale)",
                             "rationale")
    return change(issue, why or rationale, status="excluded", rationale=rationale, tag_agreed=bool(tag_agreed))


def count_in_clause(issue: TestingIssue, stage: str) -> str:
    """Which clause lets the TAG count ``issue`` in ``stage``."""
    if issue.stage == "SCT" and stage == "SIT":
        return "13.22"
    if stage == "UTS":
        return "13.23"
    return "TAG agreement"


def count_in(issue: TestingIssue, stage: str, release: str | None, agreement: str | None,
             clause: str | None = None) -> Transition:
    """The TAG's agreement that the issue counts in another phase (13.22: an SCT issue against SIT) or, for an
    issue from another environment or production, in its own (13.23(ii)). A new agreement for the same phase
    replaces the old one."""
    if not agreement or not agreement.strip():
        raise LifecycleError(issue.id, "expected the TAG's agreement to count it (13.22-13.23)", "agreement")
    clause = clause or count_in_clause(issue, stage)
    entries = [entry for entry in issue.count_in
               if not (entry.get("stage") == stage and entry.get("release") == release)]
    entries.append({"stage": stage, "release": release, "agreement": agreement, "clause": clause})
    event = Event("counted in", None, f"{stage} {release or ''}".strip(), f"{clause}: {agreement}")
    return Transition(replace(issue, count_in=entries), {"count_in": entries}, (event,))


def raised(issue: TestingIssue, related: list[str], run: str) -> Transition:
    """A failing test raised ``issue`` in its phase for the first time (13.18); ``related`` are the same test's
    issues in other phases."""
    new = replace(issue, status="open", tag_agreed=False, rationale="", origin="test", related=related,
                  count_in=[])
    return Transition(new, {name: getattr(new, name) for name in STORED_FIELDS},
                      (Event("raised", None, issue.title, f"failed in {run}"),), who=SYSTEM)


def recorded(issue: TestingIssue, why: str) -> Transition:
    """An issue not raised by a test here (13.23 (a)-(c)): listed for its phase, counted only once agreed."""
    if issue.origin not in ORIGINS or issue.origin == "test":
        raise LifecycleError(issue.id, f"origin must be one of {', '.join(ORIGINS[1:])}, got '{issue.origin}'",
                             "origin")
    parse_severity(issue.severity, issue.id)
    if issue.cause not in ak.CAUSES:
        raise LifecycleError(issue.id, f"cause must be one of {', '.join(ak.CAUSES)}, got '{issue.cause}'", "cause")
    new = replace(issue, status="open", known_defect=False, tag_agreed=False, rationale="", dmcs=[], tests=[],
                  epcl_entries=[], test_key="", related=[], count_in=[])
    return Transition(new, {name: getattr(new, name) for name in STORED_FIELDS},
                      (Event("recorded", None, f"{issue.origin}: {issue.title}", why),))


def seen_again(stored: TestingIssue, again: TestingIssue, run: str) -> Transition:
    """The same failure in a later run of the same phase: its DMCs, tests and EPCL entries are added, a closed
    issue is reopened, and an undetermined cause takes the one the test now states."""
    why = f"failed again in {run}"
    values: dict[str, Any] = {name: sorted(set(getattr(stored, name)) | set(getattr(again, name)))
                              for name in ("dmcs", "tests", "epcl_entries")}
    added = sorted(set(values["tests"]) - set(stored.tests))
    events = [Event("seen again", None, as_text(added), why)] if added else []
    if stored.status == "closed":
        values["status"] = "open"
        events.append(Event("status", "closed", "open", why))
    if stored.cause == ak.DEFAULT_CAUSE and again.cause != ak.DEFAULT_CAUSE:
        values["cause"] = again.cause
        events.append(Event("cause", stored.cause, again.cause, f"stated by the test that {why}"))
    changed = {name: value for name, value in values.items() if getattr(stored, name) != value}
    return Transition(replace(stored, **changed), changed, tuple(events), who=SYSTEM)
