"""The DMCT Schedule (SVTAD 20.9-20.10, 20.17): what is planned for each scheduled DMC, versions compared, and the
check that a DMCT run uses the pack the published schedule names.

Pure data and functions: reading a schedule file is ``pytest_svtad.files.dmct_schedule``, keeping its versions is
``pytest_svtad.store.dmct_schedule``.

- 20.9(a): per scheduled DMC, the planned start and completion dates of each planned EPCL entry comprised of it,
  with the entry's details (here its installation type: active, dormant or mixed meters).
- 20.9(b): the test pack planned for DMCT Migration Testing (DMCT MT) and for DMCT SRV Testing (DMCT SRVT), one of
  them possibly not planned (20.14: with Migration Testing under the MTAD only DMCT SRVT is run).
- 20.9(c), 20.17: a DMCT Non-Standard Test Pack needs its rationale, and the TAG is asked to agree (or the Secretary
  of State decides): whether the TAG agreed is recorded, never assumed.
- 20.9 (last sentence): when a dormant-only entry is tested the DCC may choose not to additionally test the active or
  mixed entries of the same DMC: ``dormant_only_suffices``. Those entries stay on the schedule without dates.
- 20.9 "publish any changes from the previously published DMCT Schedule": :func:`diff`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pytest_svtad.rules.appendix_ak import DMCT_STAGES

INSTALLATION_TYPES = ("active", "dormant", "mixed")  # SMETS1 Installations of Active, Dormant or both meters


@dataclass(frozen=True, slots=True)
class EpclPlan:
    """One planned EPCL entry comprised of the DMC, with its planned testing dates (20.9(a))."""

    entry: str
    installation: str  # active | dormant | mixed
    planned_start: date | None
    planned_completion: date | None

    def as_dict(self) -> dict[str, Any]:
        return {"entry": self.entry, "installation": self.installation,
                "planned_start": self.planned_start.isoformat() if self.planned_start else None,
                "planned_completion": self.planned_completion.isoformat() if self.planned_completion else None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EpclPlan:
        return cls(entry=str(data["entry"]), installation=str(data["installation"]),
                   planned_start=_date(data.get("planned_start")),
                   planned_completion=_date(data.get("planned_completion")))

    def dates(self) -> str:
        if self.planned_start is None:
            return "no dates (covered by the dormant-only entry, 20.9)"
        end = self.planned_completion.isoformat() if self.planned_completion else "?"
        return f"{self.planned_start.isoformat()} to {end}"


@dataclass(frozen=True, slots=True)
class PackChoice:
    """The pack planned for one DMCT stage (20.9(b)-(c), 20.15-20.17)."""

    pack: str
    standard: bool
    rationale: str = ""  # 20.9(c): required for a non-standard pack
    tag_agreed: bool = False  # 20.17: whether the TAG agreed the non-standard pack
    secretary_of_state: str = ""  # 20.17: the Secretary of State's decision, when referred

    def as_dict(self) -> dict[str, Any]:
        return {"pack": self.pack, "standard": self.standard, "rationale": self.rationale,
                "tag_agreed": self.tag_agreed, "secretary_of_state": self.secretary_of_state}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PackChoice:
        return cls(pack=str(data["pack"]), standard=bool(data["standard"]), rationale=str(data.get("rationale", "")),
                   tag_agreed=bool(data.get("tag_agreed", False)),
                   secretary_of_state=str(data.get("secretary_of_state", "")))

    def describe(self) -> str:
        if self.standard:
            return f"{self.pack} (standard)"
        agreed = "TAG agreed" if self.tag_agreed else "TAG agreement NOT recorded"
        if self.secretary_of_state:
            agreed += f"; Secretary of State: {self.secretary_of_state}"
        return f"{self.pack} (non-standard, 20.17: {agreed}; rationale: {self.rationale})"


@dataclass(frozen=True, slots=True)
class ScheduledDmc:
    dmc: str
    entries: tuple[EpclPlan, ...]
    packs: Mapping[str, PackChoice]  # DMCT stage -> pack; a stage absent is not planned (20.14)
    dormant_only_suffices: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"dmc": self.dmc, "dormant_only_suffices": self.dormant_only_suffices,
                "epcl_entries": [e.as_dict() for e in self.entries],
                "packs": {stage: choice.as_dict() for stage, choice in sorted(self.packs.items())}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScheduledDmc:
        return cls(dmc=str(data["dmc"]), dormant_only_suffices=bool(data.get("dormant_only_suffices", False)),
                   entries=tuple(EpclPlan.from_dict(e) for e in data.get("epcl_entries", [])),
                   packs={stage: PackChoice.from_dict(p) for stage, p in dict(data.get("packs", {})).items()})

    @property
    def window(self) -> tuple[date | None, date | None]:
        starts = [e.planned_start for e in self.entries if e.planned_start]
        ends = [e.planned_completion for e in self.entries if e.planned_completion]
        return (min(starts) if starts else None, max(ends) if ends else None)


@dataclass(frozen=True, slots=True)
class Schedule:
    """A DMCT Schedule: the DMCs the DCC is reasonably confident of the proposed test dates for (20.9)."""

    dmcs: Mapping[str, ScheduledDmc]
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"dmcs": [self.dmcs[key].as_dict() for key in sorted(self.dmcs)]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "") -> Schedule:
        dmcs = [ScheduledDmc.from_dict(d) for d in data.get("dmcs", [])]
        return cls({d.dmc: d for d in dmcs}, source)


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


class ScheduleProblem(ValueError):
    """A schedule that breaks a rule of 20.9 / 20.17; ``field`` names the field for the reader's message."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


def check_dmc(item: ScheduledDmc) -> None:
    """The rules one scheduled DMC must follow; a ``ScheduleProblem`` naming the field otherwise."""
    if not item.entries:
        raise ScheduleProblem("epcl_entries", "a scheduled DMC needs at least one planned EPCL entry (20.9(a))")
    seen: set[str] = set()
    for plan in item.entries:
        if plan.entry in seen:
            raise ScheduleProblem("epcl_entry", f"EPCL entry '{plan.entry}' given twice for {item.dmc}")
        seen.add(plan.entry)
        if plan.installation not in INSTALLATION_TYPES:
            raise ScheduleProblem("installation", f"expected one of {', '.join(INSTALLATION_TYPES)}, got "
                                  f"'{plan.installation}'")
        covered = item.dormant_only_suffices and plan.installation != "dormant"
        if (plan.planned_start is None) != (plan.planned_completion is None):
            missing = "planned_start" if plan.planned_start is None else "planned_completion"
            raise ScheduleProblem(missing, f"EPCL entry '{plan.entry}': both planned dates or neither")
        if plan.planned_start is None and not covered:
            raise ScheduleProblem("planned_start", f"EPCL entry '{plan.entry}' needs planned start and completion "
                                  "dates (20.9(a)); only active or mixed entries covered by a dormant-only entry "
                                  "(dormant_only_suffices, 20.9) may go without")
        if plan.planned_start and plan.planned_completion and plan.planned_completion < plan.planned_start:
            raise ScheduleProblem("planned_completion", f"EPCL entry '{plan.entry}': planned completion "
                                  f"{plan.planned_completion} is before the planned start {plan.planned_start}")
    if item.dormant_only_suffices and not any(p.installation == "dormant" and p.planned_start for p in item.entries):
        raise ScheduleProblem("dormant_only_suffices", "true, but the DMC has no dormant-only EPCL entry with "
                              "planned dates: 20.9 lets a dormant-only entry stand for the others only when it is "
                              "tested")
    if not item.packs:
        raise ScheduleProblem("packs", f"no pack planned for {' or '.join(DMCT_STAGES)} (20.9(b))")
    for stage, choice in item.packs.items():
        if stage not in DMCT_STAGES:
            raise ScheduleProblem("packs", f"unknown DMCT stage '{stage}' (expected {' or '.join(DMCT_STAGES)})")
        if not choice.pack.strip():
            raise ScheduleProblem(f"{stage} pack", "empty pack name")
        if not choice.standard and not choice.rationale.strip():
            raise ScheduleProblem(f"{stage} rationale", f"the non-standard pack '{choice.pack}' needs its rationale "
                                  "(20.9(c), 20.17)")


# -- comparing versions (20.9: "publish any changes from the previously published DMCT Schedule") ---------------

@dataclass(frozen=True, slots=True)
class Change:
    dmc: str
    kind: str  # added | removed | changed
    what: str

    def line(self) -> str:
        mark = {"added": "+", "removed": "-", "changed": "~"}[self.kind]
        return f"{mark} {self.dmc}: {self.what}"


def describe_dmc(item: ScheduledDmc) -> str:
    entries = "; ".join(f"{e.entry} ({e.installation}) {e.dates()}" for e in item.entries)
    packs = "; ".join(f"{stage} {choice.describe()}" for stage, choice in sorted(item.packs.items()))
    not_planned = [stage for stage in DMCT_STAGES if stage not in item.packs]
    if not_planned:
        packs += f"; {', '.join(not_planned)} not planned (20.14)"
    dormant = "; dormant-only entry suffices (20.9)" if item.dormant_only_suffices else ""
    return f"{entries}; {packs}{dormant}"


def diff(before: Schedule | None, after: Schedule) -> list[Change]:
    """Every change from ``before`` (the previously published schedule; None: the first) to ``after``."""
    old = before.dmcs if before is not None else {}
    changes: list[Change] = []
    for dmc in sorted(set(old) | set(after.dmcs)):
        if dmc not in old:
            changes.append(Change(dmc, "added", f"scheduled: {describe_dmc(after.dmcs[dmc])}"))
        elif dmc not in after.dmcs:
            changes.append(Change(dmc, "removed", "no longer on the DMCT Schedule"))
        else:
            changes.extend(Change(dmc, "changed", what) for what in _dmc_changes(old[dmc], after.dmcs[dmc]))
    return changes


def _dmc_changes(a: ScheduledDmc, b: ScheduledDmc) -> list[str]:
    out: list[str] = []
    a_entries = {e.entry: e for e in a.entries}
    b_entries = {e.entry: e for e in b.entries}
    for entry in sorted(set(a_entries) | set(b_entries)):
        x, y = a_entries.get(entry), b_entries.get(entry)
        if x is None and y is not None:
            out.append(f"EPCL entry {entry} ({y.installation}) added, {y.dates()}")
        elif y is None and x is not None:
            out.append(f"EPCL entry {entry} removed")
        elif x is not None and y is not None:
            for name in ("installation", "planned_start", "planned_completion"):
                was, now = getattr(x, name), getattr(y, name)
                if was != now:
                    out.append(f"EPCL entry {entry} {name} {_shown(was)} -> {_shown(now)}")
    for stage in DMCT_STAGES:
        was, now = a.packs.get(stage), b.packs.get(stage)
        if was != now:
            out.append(f"{stage} pack {was.describe() if was else 'not planned'} -> "
                       f"{now.describe() if now else 'not planned'}")
    if a.dormant_only_suffices != b.dormant_only_suffices:
        out.append(f"dormant-only entry suffices (20.9) {a.dormant_only_suffices} -> {b.dormant_only_suffices}")
    return out


def _shown(value: object) -> str:
    if value is None:
        return "(none)"
    return value.isoformat() if isinstance(value, date) else str(value)


# -- a DMCT run against the published schedule ---------------------------------------------------------------------

@dataclass(slots=True)
class PackCheck:
    """What a DMCT session found comparing the packs it ran with the published schedule: one line per DMC;
    ``warnings`` are mismatches (never a silent pass)."""

    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def notes(self) -> list[str]:
        return [*(f"WARNING: {w}" for w in self.warnings), *self.lines]


def check_packs(stage: str, dmcs: Iterable[str], packs_run: Iterable[str], schedule: Schedule | None,
                version: str) -> PackCheck:
    """Whether the packs this DMCT ``stage`` session ran are the ones the published schedule (``version``, e.g.
    "version 3 published 2026-03-01 by jo") names for each DMC (20.9(b)-(c), 20.15, 20.17)."""
    ran = sorted(set(packs_run))
    ran_text = ", ".join(ran) if ran else "no pack (the tests are in no folder with a pack.yaml)"
    result = PackCheck()
    dmc_list = sorted(set(dmcs))
    if schedule is None:
        result.warnings.append(f"DMCT Schedule: no published schedule in the store ({version}): the packs run "
                               f"({ran_text}) for {', '.join(dmc_list) or 'no DMC'} are not checked against 20.9(b)")
        return result
    for dmc in dmc_list:
        item = schedule.dmcs.get(dmc)
        if item is None:
            result.warnings.append(f"DMCT Schedule: {dmc} is not on the published DMCT Schedule ({version}): "
                                   f"{stage} of it is not scheduled (20.9)")
            continue
        choice = item.packs.get(stage)
        if choice is None:
            result.warnings.append(f"DMCT Schedule: {stage} is not planned for {dmc} in {version} (20.9(b), 20.14); "
                                   f"ran {ran_text}")
            continue
        if ran != [choice.pack]:
            others = [p for p in ran if p != choice.pack]
            what = (f"ran {ran_text}, but the schedule names {choice.describe()}" if choice.pack not in ran else
                    f"ran {choice.pack} together with {', '.join(others)}, which the schedule does not name")
            result.warnings.append(f"DMCT Schedule: {dmc} {stage} pack mismatch ({version}): {what}")
            continue
        if not choice.standard and not choice.tag_agreed and not choice.secretary_of_state:
            result.warnings.append(f"DMCT Schedule: {dmc} {stage} ran the scheduled non-standard pack {choice.pack} "
                                   "without the TAG's agreement recorded (20.17)")
            continue
        result.lines.append(f"DMCT Schedule: {dmc} {stage} ran {choice.describe()} as scheduled ({version})")
    return result
