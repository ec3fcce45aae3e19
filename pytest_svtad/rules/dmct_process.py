"""The DMCT Process of SVTAD Clause 20 as a state machine: the statuses a DMC has on the DMCT Status List (20.8),
the legal transitions between them, the reasons a DMC is left out of testing (20.6(a)-(f)) and what each needs,
the routes that resolve a DMCT Testing Issue (20.19(a)-(d)) with their consequences (20.20-20.25), and the 20.2
submission windows in Working Days.

Pure: no store, no files, no clock. The caller supplies the bank holidays (``pytest_svtad.files.calendar``).

Clause numbers are the seed's (SVTAD v1.23). The seed prints some clauses as unnumbered bullets between numbered
ones (20.2, 20.4, 20.21, 20.22, 20.28, 20.31); they are cited here by their place in that sequence.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from pytest_svtad.rules.workoff import add_working_days, is_working_day


@dataclass(frozen=True, slots=True)
class Submission:
    """One Supplier Party's entry for one DMC (20.2), or its confirmation that the data is unchanged (20.3)."""

    supplier: str
    dmc: str
    received: date
    devices: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # kind -> {model, firmware}
    quantity: int | None = None
    epcl_entries: tuple[str, ...] = ()
    unchanged: bool = False
    missing: tuple[str, ...] = ()  # data the Supplier Party could not give: the DCC sources it (20.4)
    submitted_only: bool = False
    source: str = ""


class DmctProcessError(ValueError):
    """A change the DMCT Process does not allow; the message is one line and says what is allowed."""


class Status(StrEnum):
    """A DMC's classification on the DMCT Status List (20.8)."""

    SUBMITTED = "submitted"  # in a Supplier Party's submission (20.2; or confirmed unchanged, 20.3)
    DATA_MISSING = "data missing"  # part of the data not provided: the DCC must source it (20.4)
    DATA_COMPLETE = "data complete"  # all data provided or sourced: ready for consideration (20.6)
    CONSIDERED = "considered"  # 20.6 considered, none of (a)-(f) leaves it out: to be scheduled
    SCHEDULED = "scheduled"  # on the DMCT Schedule (20.9; recorded by the schedule's own tables)
    IN_TEST = "in test"  # testing has commenced (20.18 applies from here)
    ISSUE_ROUTE = "testing issue route"  # a DMCT Testing Issue is being resolved by a route of 20.19
    COMPLETED = "completed"  # testing complete: a DMCT Report (20.26, 20.29)
    FAILED = "failed"  # failed testing: reasons to the Supplier Parties (20.30)
    EXCLUDED = "excluded"  # left out: a reason of 20.5, 20.6(a)-(f) or 20.23(b)/(c)
    REFERRED = "referred"  # a disagreement referred to the Secretary of State (20.12(b))
    DEVICES_UNAVAILABLE = "devices unavailable"  # testing commenced, not enough devices left (20.18)
    ENDED = "ended"  # the DMCT Process no longer undertaken: firmware upgrade required (20.23(a))


TERMINAL = frozenset({Status.COMPLETED, Status.FAILED, Status.ENDED})
# Statuses a later submission (20.2/20.3) may bring back to "submitted": 20.5, 20.18 and 20.23(b)-(c) say so.
RESUBMITTABLE = frozenset({Status.EXCLUDED, Status.DEVICES_UNAVAILABLE})

ALLOWED: dict[Status, frozenset[Status]] = {
    Status.SUBMITTED: frozenset({Status.DATA_MISSING, Status.DATA_COMPLETE, Status.SUBMITTED}),
    Status.DATA_MISSING: frozenset({Status.DATA_COMPLETE, Status.EXCLUDED, Status.SUBMITTED}),
    # data complete -> scheduled: considered (20.6, nothing applies) and scheduled in one step (20.9)
    Status.DATA_COMPLETE: frozenset({Status.CONSIDERED, Status.SCHEDULED, Status.EXCLUDED, Status.SUBMITTED}),
    Status.CONSIDERED: frozenset({Status.SCHEDULED, Status.EXCLUDED, Status.SUBMITTED}),
    Status.SCHEDULED: frozenset({Status.IN_TEST, Status.EXCLUDED, Status.SCHEDULED, Status.SUBMITTED}),
    Status.IN_TEST: frozenset({Status.ISSUE_ROUTE, Status.COMPLETED, Status.FAILED, Status.DEVICES_UNAVAILABLE,
                               Status.SCHEDULED}),
    Status.ISSUE_ROUTE: frozenset({Status.IN_TEST, Status.SCHEDULED, Status.EXCLUDED, Status.ENDED, Status.FAILED,
                                   Status.DEVICES_UNAVAILABLE, Status.ISSUE_ROUTE}),
    Status.EXCLUDED: frozenset({Status.SUBMITTED, Status.SCHEDULED, Status.REFERRED, Status.CONSIDERED}),
    Status.REFERRED: frozenset({Status.SCHEDULED, Status.EXCLUDED}),
    Status.DEVICES_UNAVAILABLE: frozenset({Status.SUBMITTED}),
    Status.COMPLETED: frozenset(),
    Status.FAILED: frozenset(),
    Status.ENDED: frozenset(),
}


def parse_status(value: str) -> Status:
    try:
        return Status(value.strip().lower().replace("-", " ").replace("_", " "))
    except ValueError:
        raise DmctProcessError(f"unknown DMCT status '{value}'; expected one of "
                               f"{', '.join(s.value for s in Status)}") from None


def check_transition(dmc: str, current: Status | None, new: Status) -> None:
    """Refuse a transition the DMCT Process does not allow, in one line naming the DMC and what is allowed."""
    if current is None:
        if new is not Status.SUBMITTED:
            raise DmctProcessError(f"DMC {dmc} is not on the DMCT Status List: it enters as 'submitted' (20.2)")
        return
    if new not in ALLOWED[current]:
        allowed = ", ".join(sorted(s.value for s in ALLOWED[current])) or "nothing (it is final)"
        raise DmctProcessError(f"DMC {dmc} cannot go from '{current.value}' to '{new.value}'; "
                               f"from '{current.value}' it can go to: {allowed}")


# -- 20.5, 20.6(a)-(f), 20.23: why a DMC is excluded ----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    clause: str
    text: str
    needs_rationale: bool = False  # 20.11(b): (c), (d), (e)
    needs_equivalent: bool = False  # 20.6(d): the equivalent DMC or EPCL entry
    needs_sos_decision: bool = False  # 20.7: (f) only on the Secretary of State's agreement
    in_notice: bool = True  # 20.11(a) names (a)-(e); (f) and the others are notified under their own clauses


REASONS: dict[str, Reason] = {reason.code: reason for reason in (
    Reason("a", "20.6(a)", "already on the SMETS1 Eligible Product Combinations list or proposed for addition"),
    Reason("b", "20.6(b)", "currently an MOC or FOC SIT DMC, an IOC Migration Testing DMC, or tested in PPCT"),
    Reason("c", "20.6(c)", "MT and SIT for its Capability Release unlikely to complete in time to schedule it "
                           "with reasonable confidence", needs_rationale=True),
    Reason("d", "20.6(d)", "substantively equivalent to an EPCL entry, a proposed entry, or a DMC planned for "
                           "testing", needs_rationale=True, needs_equivalent=True),
    Reason("e", "20.6(e)", "suitable devices for testing cannot be sourced, or not yet known whether they can",
           needs_rationale=True),
    Reason("f", "20.6(f), 20.7", "not economic to test (Secretary of State agreed)", needs_sos_decision=True,
           in_notice=False),
    Reason("unsourced-data", "20.5", "the DCC could not source all the data it requires", in_notice=False),
    Reason("configuration-change", "20.23(b)", "a device configuration change is required: excluded until a "
                                               "Supplier Party evidences it (20.2/20.3)", in_notice=False),
    Reason("firmware-and-configuration", "20.23(c)", "the DMC of the new firmware is excluded until a Supplier "
                                                     "Party evidences the configuration change (20.2/20.3)",
           in_notice=False),
)}
CONSIDERATION_REASONS = ("a", "b", "c", "d", "e", "f")


def parse_reason(value: str) -> Reason:
    code = value.strip().lower().removeprefix("20.6").strip("() ")
    if code not in REASONS:
        raise DmctProcessError(f"unknown exclusion reason '{value}'; expected one of {', '.join(REASONS)}")
    return REASONS[code]


def check_exclusion(dmc: str, reason: Reason, *, rationale: str = "", equivalent: str = "",
                    sos_decision: str = "") -> None:
    """What each reason needs before it can be recorded (20.7, 20.11(b), 20.6(d))."""
    if reason.needs_rationale and not rationale.strip():
        raise DmctProcessError(f"DMC {dmc}: reason {reason.clause} needs a rationale (20.11(b)): give --rationale")
    if reason.needs_equivalent and not equivalent.strip():
        raise DmctProcessError(f"DMC {dmc}: reason {reason.clause} needs the equivalent DMC or EPCL entry: "
                               "give --equivalent")
    if reason.needs_sos_decision and not sos_decision.strip():
        raise DmctProcessError(f"DMC {dmc}: reason {reason.clause} needs the Secretary of State's decision "
                               "(20.7): give --sos-decision")


# -- 20.12: a Supplier Party's disagreement ---------------------------------------------------------------------

def disagreement_outcome(dmc: str, reason_code: str | None) -> tuple[Status, str]:
    """20.12(a): disagreeing with (d) puts the DMC on the schedule; 20.12(b): disagreeing with (c) is referred to
    the Secretary of State. The seed gives no route for the other reasons."""
    if reason_code == "d":
        return Status.SCHEDULED, "20.12(a)"
    if reason_code == "c":
        return Status.REFERRED, "20.12(b)"
    raise DmctProcessError(f"DMC {dmc}: 20.12 provides for disagreeing only with an exclusion for 20.6(c) or "
                           f"20.6(d); its exclusion is {reason_code or 'none'}")


# -- 20.19-20.25: routes for a DMCT Testing Issue ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Route:
    code: str
    clause: str
    text: str


ROUTES: dict[str, Route] = {route.code: route for route in (
    Route("a", "20.19(a), 20.20", "change to the DCC Internal Systems, no Code change"),
    Route("b", "20.19(b), 20.21-20.22", "change to the DCC Systems and to the Code"),
    Route("c", "20.19(c), 20.23-20.24", "change to a SMETS1 Device"),
    Route("d", "20.19(d), 20.25", "change to the Code only"),
)}
DEVICE_CHANGES = ("firmware", "configuration", "both")  # 20.23(a), (b), (c)


@dataclass(frozen=True, slots=True)
class RouteOutcome:
    """What a route's decision does to the DMC: its next status, the clause, and whether the schedule needs
    revised dates (20.20) or the DCC must recommend another route (20.21-20.22, 20.24, 20.25(b))."""

    status: Status
    clause: str
    consequence: str
    exclusion: str | None = None  # a REASONS code when the DMC is excluded
    revise_schedule: bool = False
    reconsider: bool = False


def route_outcome(route_code: str, *, device_change: str | None = None, sos_agreed: bool | None = None,
                  material_impact: bool = False, draft_published: bool | None = None) -> RouteOutcome:
    """The consequence of the route chosen for a DMCT Testing Issue (20.20-20.25)."""
    if route_code not in ROUTES:
        raise DmctProcessError(f"unknown route '{route_code}'; expected one of a, b, c, d (20.19)")
    if route_code == "a":
        which = "20.20(b)" if material_impact else "20.20(a)"
        return RouteOutcome(Status.SCHEDULED, which,
                            "change the DCC Internal Systems (H8.9-H8.12), re-run the test pack and revise the "
                            "DMCT Schedule's completion dates"
                            + (" unless the Secretary of State directs otherwise" if material_impact else ""),
                            revise_schedule=True)
    if route_code == "b":
        if sos_agreed is False:
            return RouteOutcome(Status.ISSUE_ROUTE, "20.21", "the Secretary of State does not agree the Code change "
                                "should be consulted upon: recommend another route", reconsider=True)
        return RouteOutcome(Status.ISSUE_ROUTE, "20.21-20.22", "testing approach (testing of the change, User "
                            "testing, recommencement) for agreement by the TAG, else the Secretary of State")
    if route_code == "c":
        if device_change not in DEVICE_CHANGES:
            raise DmctProcessError("route (c) needs --device-change firmware, configuration or both (20.23)")
        if sos_agreed is None:
            return RouteOutcome(Status.ISSUE_ROUTE, "20.23", f"recommended to the Secretary of State "
                                f"({device_change} change); awaiting the decision")
        if not sos_agreed:
            return RouteOutcome(Status.ISSUE_ROUTE, "20.24", "the Secretary of State disagrees: recommend another "
                                "route", reconsider=True)
        if device_change == "firmware":
            return RouteOutcome(Status.ENDED, "20.23(a)", "a firmware upgrade is required: the DMCT Process is no "
                                "longer undertaken for this DMC")
        if device_change == "configuration":
            return RouteOutcome(Status.EXCLUDED, "20.23(b)", "excluded from DMCT until a Supplier Party evidences "
                                "the configuration change (20.2/20.3)", exclusion="configuration-change")
        return RouteOutcome(Status.EXCLUDED, "20.23(c)", "the DMC of the new firmware is excluded until a Supplier "
                            "Party evidences the configuration change (20.2/20.3)",
                            exclusion="firmware-and-configuration")
    if draft_published:
        return RouteOutcome(Status.IN_TEST, "20.25(a)", "draft Code change published: testing continues")
    if draft_published is False and sos_agreed is False:
        return RouteOutcome(Status.ISSUE_ROUTE, "20.25(b)", "no draft published and the Secretary of State says "
                            "not to progress it: recommend another route", reconsider=True)
    return RouteOutcome(Status.ISSUE_ROUTE, "20.25", "awaiting a published draft Code change")


# -- 20.2: submission windows in Working Days --------------------------------------------------------------------

SUBMISSION_WORKING_DAYS = 5  # 20.2: "within 5 Working Days of the start of" the month
DATA_REQUEST_WORKING_DAYS = 10  # 20.2: "a minimum of 10 Working Days in advance of the calendar month"
MONTHS_BETWEEN_SUBMISSIONS = 2  # 20.2: "every second calendar month thereafter"


@dataclass(frozen=True, slots=True)
class SubmissionWindow:
    month: date  # the first day of the submission month
    opens: date  # the first Working Day of the month
    closes: date  # the 5th Working Day of the month: the last day of "within 5 Working Days of the start"
    data_request_by: date  # the latest day the DCC's data request satisfies "10 Working Days in advance"


def _first_of_month(day: date, months_on: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months_on
    return date(index // 12, index % 12 + 1, 1)


def first_submission_month(effective: date) -> date:
    """20.2(i): the first full calendar month that follows the date Clause 20 comes into effect. Read as the
    month after the effective date's month, also when the clause takes effect on a 1st (that month starts on the
    date, it does not follow it)."""
    return _first_of_month(effective, 1)


def submission_window(month: date, bank_holidays: Container[date], *,
                      submission_days: int = SUBMISSION_WORKING_DAYS,
                      request_days: int = DATA_REQUEST_WORKING_DAYS) -> SubmissionWindow:
    """The 20.2 window of the month starting ``month``.

    - Submissions: "within 5 Working Days of the start of" the month is read as the month's first 5 Working Days
      (the first Working Day of the month is day 1), so the window closes on the 5th.
    - The DCC's data request: "a minimum of 10 Working Days in advance of the calendar month" is read as 10 whole
      Working Days lying between the request and the month (neither the request's day nor the 1st counted), so
      the latest request is the last Working Day before the 10th Working Day counted back from the month.
    """
    first = _first_of_month(month)
    opens = first
    while not is_working_day(opens, bank_holidays):
        opens += timedelta(days=1)
    closes = add_working_days(first - timedelta(days=1), submission_days, bank_holidays)
    request, counted = first, 0
    while counted < request_days:
        request -= timedelta(days=1)
        if is_working_day(request, bank_holidays):
            counted += 1
    request -= timedelta(days=1)
    while not is_working_day(request, bank_holidays):
        request -= timedelta(days=1)
    return SubmissionWindow(first, opens, closes, request)


def submission_windows(effective: date, until: date, bank_holidays: Container[date]) -> list[SubmissionWindow]:
    """Every 20.2 window from the first full month after ``effective`` to ``until``, every second month."""
    windows, month = [], first_submission_month(effective)
    while month <= until:
        windows.append(submission_window(month, bank_holidays))
        month = _first_of_month(month, MONTHS_BETWEEN_SUBMISSIONS)
    return windows


def window_for(received: date, effective: date, bank_holidays: Container[date]) -> SubmissionWindow | None:
    """The window a submission received on ``received`` falls in, or None when it is outside every window."""
    for window in submission_windows(effective, received, bank_holidays):
        if window.month <= received <= window.closes:
            return window
    return None
