"""The generic Entry Criteria of a Test Phase (SVTAD 12.5(a)-(e), with 5.7, 8.5(c) and 11.2), as pure rules.

12.5 requires, to permit entry to every Test Phase:

- (a) the test plan signed off by the DCC; (e) an approval to proceed certificate for the phase issued by the DCC;
  (b) Test Completion Certificates for any precursor Test Phase issued, unless under 5.7 it is determined that the
  phase may overlap (5.7: SIT and SMETS1 Interface Testing overlap only after the TAG's review and the Panel's
  agreement). These are people's decisions: recorded sign-offs (``svtad gate sign``), each with who and when. One
  not recorded is reported as "not recorded", never taken as met.
- (c) the test specification prepared, including a TTM, except for SIT for IOC: the harness checks that the TTM is
  loaded and carries its id, version and assurance date (11.2: the TTM is assured by the DCC, before SIT starts for
  MOC and FOC), and that the assurance date is not after the session's start.
- (d) laboratories, SMETS1 Devices, tools, stubs, environments and data in place, secure and ready; with 8.5(c),
  the firmware versions each phase needs installed on the devices. The harness checks the firmware: every device of
  every selected DMC, read through its link with SRV 11.2 Read Firmware Version, reports the version its profile
  requires. The rest of (d) it cannot see, and says so.

The criterion ``entry-criteria`` is ``not_met`` when a check of the harness fails ((c) or (d)), ``manual`` when the
checks pass but a sign-off is not recorded, ``met`` when all five hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

MET, NOT_MET, MANUAL = "met", "not_met", "manual"
SIGNED_CRITERIA = ("a", "b", "e")  # 12.5's recorded sign-offs
CHECKED_CRITERIA = ("c", "d")  # what the harness checks itself
B_BASES = ("certificates", "overlap", "none")  # (b): precursor TCCs issued; a 5.7 overlap; no precursor phase
CLAUSE = "12.5(a)-(e); 5.7, 8.5(c), 11.2"

WHAT = {
    "a": "test plan signed off by the DCC",
    "b": "Test Completion Certificates of precursor Test Phases issued (or an overlap under 5.7)",
    "c": "test specification prepared, including a TTM (except SIT for IOC)",
    "d": "devices, tools, stubs, environments and data in place and ready; firmware installed (8.5(c))",
    "e": "approval to proceed certificate for the Test Phase issued by the DCC",
}


@dataclass(frozen=True, slots=True)
class SignOff:
    """A recorded sign-off of 12.5(a), (b) or (e) for one Test Phase."""

    criterion: str  # a, b, e
    who: str
    signed_on: date
    reference: str = ""  # the signed test plan, the certificate(s), the approval to proceed
    basis: str = ""  # (b): certificates, overlap, none
    details: Mapping[str, str] = field(default_factory=dict)  # (b) overlap: tag_reviewed, panel_agreed (who, when)

    def describe(self) -> str:
        what = self.reference
        if self.criterion == "b" and self.basis == "overlap":
            what = (f"overlap under 5.7: TAG review {self.details.get('tag_reviewed', '?')}, Panel agreement "
                    f"{self.details.get('panel_agreed', '?')}" + (f" ({self.reference})" if self.reference else ""))
        elif self.criterion == "b" and self.basis == "none":
            what = f"no precursor Test Phase ({self.reference})" if self.reference else "no precursor Test Phase"
        elif self.criterion == "b":
            what = f"Test Completion Certificates {self.reference}"
        return f"{what}, signed off by {self.who} on {self.signed_on.isoformat()}"


def check_signoff(signoff: SignOff) -> str | None:
    """What is wrong with a sign-off before it is recorded (None: nothing)."""
    if signoff.criterion not in SIGNED_CRITERIA:
        return (f"criterion '{signoff.criterion}' is not a sign-off: 12.5(a), (b) and (e) are signed off; (c) and "
                "(d) are checked by the harness at session start")
    if not signoff.who.strip():
        return "who signed it off is required (--by)"
    if signoff.criterion in ("a", "e") and not signoff.reference.strip():
        document = "test plan" if signoff.criterion == "a" else "approval to proceed certificate"
        return f"12.5({signoff.criterion}) needs the reference of the {document} (--reference)"
    if signoff.criterion == "b":
        if signoff.basis not in B_BASES:
            return f"12.5(b) needs a basis: one of {', '.join(B_BASES)}"
        if signoff.basis == "certificates" and not signoff.reference.strip():
            return "12.5(b) on certificates needs the Test Completion Certificate reference(s) (--reference)"
        if signoff.basis == "overlap" and not (signoff.details.get("tag_reviewed") and
                                               signoff.details.get("panel_agreed")):
            return ("a 5.7 overlap needs the TAG's prior review and the Panel's agreement (--tag-reviewed and "
                    "--panel-agreed, each 'WHO on YYYY-MM-DD')")
    return None


@dataclass(frozen=True, slots=True)
class TtmAssurance:
    """What the loaded TTM says of itself (its header: id, version, assurance date; 11.2)."""

    source: str | None  # None: no TTM loaded
    ttm_id: str | None = None
    version: str | None = None
    assured_on: date | None = None
    assured_by: str | None = None


@dataclass(frozen=True, slots=True)
class FirmwareReading:
    """One device's firmware as read through its link with SRV 11.2 (``reported`` None: not read; ``error`` why)."""

    dmc: str
    device: str  # the device kind
    required: str
    reported: str | None
    error: str | None = None
    dormant: bool = False  # a dormant installation: the DCC has no route to it before migration

    @property
    def ok(self) -> bool:
        return self.error is None and self.reported == self.required

    @property
    def unreachable_dormant(self) -> bool:
        """Not read because the installation is dormant: the harness cannot check it, a person must."""
        return self.dormant and self.reported is None


@dataclass(frozen=True, slots=True)
class EntryItem:
    criterion: str  # a-e
    status: str  # met | not_met | manual
    detail: str

    def line(self) -> str:
        shown = {MET: "met", NOT_MET: "NOT MET", MANUAL: "not recorded" if self.criterion in SIGNED_CRITERIA
                 else "to confirm by hand"}[self.status]
        return f"12.5({self.criterion}) {shown}: {self.detail}"


@dataclass(frozen=True, slots=True)
class EntryAssessment:
    """The five Entry Criteria of one Test Phase as found at a session's start."""

    phase: str
    items: tuple[EntryItem, ...]
    where: str = ""  # where the sign-offs were read from

    @property
    def status(self) -> str:
        if any(item.status == NOT_MET for item in self.items):
            return NOT_MET
        return MANUAL if any(item.status == MANUAL for item in self.items) else MET

    @property
    def failed_checks(self) -> list[EntryItem]:
        """The harness's own checks that failed: with ``--svtad-gate`` the session does not start."""
        return [item for item in self.items if item.criterion in CHECKED_CRITERIA and item.status == NOT_MET]

    def detail(self) -> str:
        parts = [f"({item.criterion}) {item_word(item)}" for item in self.items]
        bad = [item.line() for item in self.items if item.status != MET]
        return (f"{self.phase}: " + ", ".join(parts) + (f"; {'; '.join(bad)}" if bad else "")
                + f"; sign-offs read from {self.where}")

    def gate_reason(self) -> str:
        """One line: why a gated session does not start."""
        return (f"svtad: entry criteria not met for {self.phase}, tests not run (--svtad-gate): "
                + "; ".join(item.line() for item in self.failed_checks))

    def as_dict(self) -> dict[str, Any]:
        return {"phase": self.phase, "status": self.status, "where": self.where,
                "items": [{"criterion": i.criterion, "status": i.status, "detail": i.detail} for i in self.items]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EntryAssessment:
        return cls(str(data["phase"]), tuple(EntryItem(str(i["criterion"]), str(i["status"]), str(i["detail"]))
                                             for i in data["items"]), str(data.get("where", "")))


def item_word(item: EntryItem) -> str:
    manual = "not recorded" if item.criterion in SIGNED_CRITERIA else "to confirm by hand"
    return {MET: "met", NOT_MET: "not met", MANUAL: manual}[item.status]


def phase_name(stage: str, release: str | None, campaign: str | None) -> str:
    return stage + (f" {release}" if release else "") + (f" (campaign '{campaign}')" if campaign else "")


def _signed(criterion: str, signoffs: Mapping[str, SignOff], where: str) -> EntryItem:
    found = signoffs.get(criterion)
    if found is None:
        return EntryItem(criterion, MANUAL, f"{WHAT[criterion]}: not recorded (svtad gate sign {criterion})")
    return EntryItem(criterion, MET, found.describe())


def ttm_item(stage: str, release: str | None, ttm: TtmAssurance, today: date) -> EntryItem:
    """12.5(c) with 11.2."""
    if stage == "SIT" and release == "IOC":
        return EntryItem("c", MET, "not required for SIT for IOC (12.5(c))")
    if ttm.source is None:
        return EntryItem("c", NOT_MET, "no TTM loaded (--svtad-ttm): 12.5(c) needs the test specification with "
                         "its TTM")
    missing = [name for name, value in (("ttm_id", ttm.ttm_id), ("version", ttm.version),
                                        ("assured_on", ttm.assured_on)) if not value]
    if missing:
        return EntryItem("c", NOT_MET, f"TTM {ttm.source} is not shown as assured (11.2): its header lacks "
                         f"{', '.join(missing)} (see docs/entry-criteria.md)")
    assert ttm.assured_on is not None
    if ttm.assured_on > today:
        return EntryItem("c", NOT_MET, f"TTM {ttm.ttm_id} version {ttm.version} is dated assured on "
                         f"{ttm.assured_on.isoformat()}, after this session's start ({today.isoformat()})")
    by = f" by {ttm.assured_by}" if ttm.assured_by else ""
    return EntryItem("c", MET, f"TTM {ttm.ttm_id} version {ttm.version} assured on {ttm.assured_on.isoformat()}"
                     f"{by} ({ttm.source})")


def firmware_item(readings: Sequence[FirmwareReading], dmcs: int) -> EntryItem:
    """12.5(d) with 8.5(c): the firmware part, read through the links."""
    rest = "laboratories, tools, stubs, environments and data are not checked by the harness"
    if not readings:
        if dmcs == 0:
            return EntryItem("d", MET, f"no DMC selected: no device firmware to check; {rest}")
        return EntryItem("d", NOT_MET, f"no device of the {dmcs} selected DMCs could be read; {rest}")
    wrong = [r for r in readings if not r.ok and not r.unreachable_dormant]
    unread = [r for r in readings if r.unreachable_dormant]
    if not wrong and unread:
        dmc_ids = sorted({r.dmc for r in unread})
        return EntryItem("d", MANUAL, f"{len(unread)} devices of the dormant DMCs {', '.join(dmc_ids)} cannot be "
                         "read before migration (no route through the DCC; SRV 11.2 unanswered): confirm their "
                         f"firmware by hand (8.5(c)); the other {len(readings) - len(unread)} devices report the "
                         f"firmware their profile requires; {rest}")
    if wrong:
        shown = [f"{r.dmc} {r.device} " + (f"not read ({r.error})" if r.error else
                                             f"reports {r.reported}, profile requires {r.required}")
                 for r in wrong]
        listed = "; ".join(shown[:5]) + (f"; and {len(shown) - 5} more" if len(shown) > 5 else "")
        return EntryItem("d", NOT_MET, f"{len(wrong)} of {len(readings)} devices do not report the firmware their "
                         f"profile requires (SRV 11.2 through each DMC's link; 8.5(c)): {listed}")
    return EntryItem("d", MET, f"all {len(readings)} devices of {dmcs} DMCs report the firmware their profile "
                     f"requires (SRV 11.2 through each DMC's link; 8.5(c)); {rest}")


def assess(*, stage: str, release: str | None, campaign: str | None, signoffs: Mapping[str, SignOff],
           ttm: TtmAssurance, firmware: Sequence[FirmwareReading], dmcs: int, today: date,
           where: str) -> EntryAssessment:
    """The Entry Criteria of the Test Phase (stage, release, campaign): sign-offs as recorded in ``where``, the
    TTM and the firmware as the session found them at its start (``today``)."""
    items = (_signed("a", signoffs, where), _signed("b", signoffs, where), ttm_item(stage, release, ttm, today),
             firmware_item(firmware, dmcs), _signed("e", signoffs, where))
    return EntryAssessment(phase_name(stage, release, campaign), items, where)
