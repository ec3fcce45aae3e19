"""Reading a DMCT Schedule file (20.9) from CSV or YAML into :class:`pytest_svtad.rules.dmct_schedule.Schedule`.

Every error is one line naming the file, the line and the field, and what was expected (``SvtadInputError``).

CSV: one row per planned EPCL entry of a DMC (``CSV_COLUMNS``; ``CSV_REQUIRED`` must be in the header). A DMC's
own fields (``dormant_only_suffices`` and the pack columns) are given on its first row and may be repeated on its
other rows, or left blank there; a repeated value that differs is an error. ``mt_*`` is the DMCT MT pack, ``srvt_*``
the DMCT SRVT pack; an empty ``*_pack`` means that stage is not planned for the DMC (20.14).

YAML::

    dmcs:
      - dmc: DMC-001
        dormant_only_suffices: false        # 20.9, optional
        epcl_entries:
          - {entry: EPCL-001-D, installation: dormant, planned_start: 2026-03-02, planned_completion: 2026-03-20}
        packs:
          DMCT-MT: {pack: dmct_dormant_migration, standard: true}
          DMCT-SRVT: {pack: non_standard_example, standard: false, rationale: "...", tag_agreed: true}
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from pytest_svtad.errors import SvtadInputError
from pytest_svtad.files.reader import load_yaml, yes_no
from pytest_svtad.rules.appendix_ak import DMCT_STAGES
from pytest_svtad.rules.dmct_schedule import EpclPlan, PackChoice, Schedule, ScheduledDmc, ScheduleProblem, check_dmc

CSV_REQUIRED = ("dmc", "epcl_entry", "installation", "planned_start", "planned_completion")
PACK_FIELDS = ("pack", "standard", "rationale", "tag_agreed", "secretary_of_state")
STAGE_PREFIX = {"DMCT-MT": "mt", "DMCT-SRVT": "srvt"}
CSV_COLUMNS = (*CSV_REQUIRED, "dormant_only_suffices",
               *(f"{prefix}_{name}" for prefix in STAGE_PREFIX.values() for name in PACK_FIELDS))
ENTRY_FIELDS = ("entry", "installation", "planned_start", "planned_completion")
DMC_FIELDS = ("dmc", "dormant_only_suffices", "epcl_entries", "packs")


def load_schedule(path: Path, known_dmcs: Collection[str] | None = None) -> Schedule:
    """The schedule in ``path`` (CSV, or YAML by its suffix); ``known_dmcs``: the DMC ids a scheduled DMC must be
    one of (the profiles'), None to accept any id."""
    if not path.is_file():
        raise SvtadInputError(path, "DMCT Schedule file not found")
    if path.suffix.lower() in (".yaml", ".yml"):
        schedule = _from_yaml(path, known_dmcs)
    else:
        schedule = _from_csv(path, known_dmcs)
    if not schedule.dmcs:
        raise SvtadInputError(path, "the DMCT Schedule lists no DMC")
    return schedule


def _bool(path: Path, line: int | None, name: str, value: Any) -> bool:
    return yes_no(value, path, line, name)


def _day(path: Path, line: int | None, name: str, value: Any) -> date | None:
    if isinstance(value, date):
        return value
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SvtadInputError(path, f"field '{name}': expected a date YYYY-MM-DD, got '{text}'", line) from None


def _known(path: Path, line: int | None, dmc: str, known: Collection[str] | None) -> None:
    if not dmc:
        raise SvtadInputError(path, "field 'dmc': empty DMC id", line)
    if known is not None and dmc not in known:
        shown = ", ".join(sorted(known)[:10]) + (" ..." if len(known) > 10 else "")
        raise SvtadInputError(path, f"field 'dmc': '{dmc}' is not a DMC of the profiles (known: {shown or 'none'})",
                              line)


def _checked(path: Path, line: int | None, item: ScheduledDmc, lines: Mapping[str, int | None] | None = None) -> None:
    try:
        check_dmc(item)
    except ScheduleProblem as exc:
        where = (lines or {}).get(exc.field, line)
        raise SvtadInputError(path, f"DMC '{item.dmc}': field '{exc.field}': {exc}", where) from None


# -- CSV ---------------------------------------------------------------------------------------------------------

def _from_csv(path: Path, known: Collection[str] | None) -> Schedule:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in reader.fieldnames or []]
            missing = [name for name in CSV_REQUIRED if name not in header]
            unknown = [name for name in header if name not in CSV_COLUMNS]
            if missing or unknown:
                problem = (f"missing column(s) {', '.join(missing)}" if missing
                           else f"unknown column(s) {', '.join(unknown)}")
                raise SvtadInputError(path, f"{problem}; expected the columns {', '.join(CSV_COLUMNS)}", 1)
            reader.fieldnames = header
            rows: dict[str, list[tuple[int, dict[str, str]]]] = {}
            for row in reader:
                line = reader.line_num
                if row.get(None):  # type: ignore[call-overload]
                    raise SvtadInputError(path, f"more fields than the {len(header)} columns of the header", line)
                values = {key: (value or "").strip() for key, value in row.items() if key is not None}
                if not any(values.values()):
                    continue
                rows.setdefault(values["dmc"], []).append((line, values))
    except (OSError, UnicodeDecodeError) as exc:
        raise SvtadInputError(path, f"cannot read the DMCT Schedule: {exc}") from None
    except csv.Error as exc:
        raise SvtadInputError(path, f"malformed CSV: {exc}") from None
    return Schedule({dmc: _csv_dmc(path, dmc, group, known) for dmc, group in rows.items()}, str(path))


def _per_dmc(path: Path, dmc: str, group: list[tuple[int, dict[str, str]]], name: str) -> tuple[str, int]:
    """A DMC-level value: from the first row that gives it; a later row that gives another is an error."""
    found: tuple[str, int] | None = None
    for line, values in group:
        value = values.get(name, "")
        if not value:
            continue
        if found is None:
            found = (value, line)
        elif value != found[0]:
            raise SvtadInputError(path, f"field '{name}': '{value}' differs from '{found[0]}' given for {dmc} on "
                                  f"line {found[1]} (a DMC's own fields are the same on each of its rows)", line)
    return found if found is not None else ("", group[0][0])


def _csv_dmc(path: Path, dmc: str, group: list[tuple[int, dict[str, str]]],
             known: Collection[str] | None) -> ScheduledDmc:
    first = group[0][0]
    _known(path, first, dmc, known)
    entries = []
    for line, values in group:
        if not values["epcl_entry"]:
            raise SvtadInputError(path, "field 'epcl_entry': empty EPCL entry", line)
        entries.append(EpclPlan(values["epcl_entry"], values["installation"].lower(),
                                _day(path, line, "planned_start", values["planned_start"]),
                                _day(path, line, "planned_completion", values["planned_completion"])))
    lines: dict[str, int | None] = {}
    packs: dict[str, PackChoice] = {}
    for stage, prefix in STAGE_PREFIX.items():
        fields = {name: _per_dmc(path, dmc, group, f"{prefix}_{name}") for name in PACK_FIELDS}
        for name, (_, line) in fields.items():
            lines[f"{stage} {name}"] = line
        if not fields["pack"][0]:
            others = [f"{prefix}_{name}" for name in PACK_FIELDS if name != "pack" and fields[name][0]]
            if others:
                raise SvtadInputError(path, f"field '{others[0]}': given without '{prefix}_pack'", fields[others[0]][1])
            continue
        standard_raw, standard_line = fields["standard"]
        standard = _bool(path, standard_line, f"{prefix}_standard", standard_raw or "yes")
        packs[stage] = PackChoice(
            pack=fields["pack"][0], standard=standard, rationale=fields["rationale"][0],
            tag_agreed=_bool(path, fields["tag_agreed"][1], f"{prefix}_tag_agreed", fields["tag_agreed"][0]),
            secretary_of_state=fields["secretary_of_state"][0])
    dormant_raw, dormant_line = _per_dmc(path, dmc, group, "dormant_only_suffices")
    lines["dormant_only_suffices"] = dormant_line
    lines["packs"] = first
    item = ScheduledDmc(dmc, tuple(entries), packs, _bool(path, dormant_line, "dormant_only_suffices", dormant_raw))
    entry_lines = {e.entry: line for e, (line, _) in zip(entries, group, strict=True)}
    try:
        check_dmc(item)
    except ScheduleProblem as exc:
        where = lines.get(exc.field) or _entry_line(str(exc), entry_lines) or first
        raise SvtadInputError(path, f"DMC '{dmc}': field '{_csv_name(exc.field)}': {exc}", where) from None
    return item


def _entry_line(message: str, entry_lines: Mapping[str, int]) -> int | None:
    return next((line for entry, line in entry_lines.items() if f"'{entry}'" in message), None)


def _csv_name(name: str) -> str:
    stage, _, rest = name.partition(" ")
    return f"{STAGE_PREFIX[stage]}_{rest}" if stage in STAGE_PREFIX and rest else name


# -- YAML --------------------------------------------------------------------------------------------------------

def _from_yaml(path: Path, known: Collection[str] | None) -> Schedule:
    located = load_yaml(path, "DMCT Schedule")
    data = located.data
    if not isinstance(data, dict) or not isinstance(data.get("dmcs"), list):
        raise SvtadInputError(path, "expected a mapping with 'dmcs:', a list of scheduled DMCs", 1)
    extra = [key for key in data if key != "dmcs"]
    if extra:
        raise SvtadInputError(path, f"field '{extra[0]}': unknown field (expected only 'dmcs')",
                              located.line_of([extra[0]]))
    dmcs: dict[str, ScheduledDmc] = {}
    for index, raw in enumerate(data["dmcs"]):
        base: list[str | int] = ["dmcs", index]
        line = located.line_of(base)
        if not isinstance(raw, dict):
            raise SvtadInputError(path, f"dmcs #{index + 1}: expected a mapping of fields {', '.join(DMC_FIELDS)}",
                                  line)
        unknown = [key for key in raw if key not in DMC_FIELDS]
        if unknown:
            raise SvtadInputError(path, f"dmcs #{index + 1}: field '{unknown[0]}': unknown field (expected "
                                  f"{', '.join(DMC_FIELDS)})", located.line_of([*base, unknown[0]]))
        dmc = str(raw.get("dmc") or "").strip()
        _known(path, located.line_of([*base, "dmc"]) or line, dmc, known)
        if dmc in dmcs:
            raise SvtadInputError(path, f"field 'dmc': '{dmc}' is scheduled twice", located.line_of([*base, "dmc"]))
        lines: dict[str, int | None] = {"dormant_only_suffices": located.line_of([*base, "dormant_only_suffices"]),
                                        "packs": located.line_of([*base, "packs"]),
                                        "epcl_entries": located.line_of([*base, "epcl_entries"])}
        entries = _yaml_entries(path, located, base, raw.get("epcl_entries"), lines)
        packs = _yaml_packs(path, located, base, raw.get("packs"), lines)
        item = ScheduledDmc(dmc, entries, packs, _bool(path, lines["dormant_only_suffices"], "dormant_only_suffices",
                                                       raw.get("dormant_only_suffices", False)))
        _checked(path, line, item, lines)
        dmcs[dmc] = item
    return Schedule(dmcs, str(path))


def _yaml_entries(path: Path, located: Any, base: list[str | int], raw: Any,
                  lines: dict[str, int | None]) -> tuple[EpclPlan, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise SvtadInputError(path, "field 'epcl_entries': expected a list of planned EPCL entries",
                              lines["epcl_entries"])
    entries = []
    for number, entry in enumerate(raw):
        where: list[str | int] = [*base, "epcl_entries", number]
        if not isinstance(entry, dict):
            raise SvtadInputError(path, f"field 'epcl_entries' #{number + 1}: expected a mapping of "
                                  f"{', '.join(ENTRY_FIELDS)}", located.line_of(where))
        unknown = [key for key in entry if key not in ENTRY_FIELDS]
        if unknown:
            raise SvtadInputError(path, f"field '{unknown[0]}': unknown field (expected {', '.join(ENTRY_FIELDS)})",
                                  located.line_of([*where, unknown[0]]))
        name = str(entry.get("entry") or "").strip()
        if not name:
            raise SvtadInputError(path, "field 'entry': empty EPCL entry", located.line_of(where))
        plan = EpclPlan(name, str(entry.get("installation") or "").lower(),
                        _day(path, located.line_of([*where, "planned_start"]), "planned_start",
                             entry.get("planned_start")),
                        _day(path, located.line_of([*where, "planned_completion"]), "planned_completion",
                             entry.get("planned_completion")))
        for field_name in ENTRY_FIELDS[1:]:
            lines.setdefault(field_name, located.line_of([*where, field_name]) or located.line_of(where))
        entries.append(plan)
    return tuple(entries)


def _yaml_packs(path: Path, located: Any, base: list[str | int], raw: Any,
                lines: dict[str, int | None]) -> dict[str, PackChoice]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise SvtadInputError(path, f"field 'packs': expected a mapping of {' and/or '.join(DMCT_STAGES)} to a pack",
                              lines["packs"])
    packs: dict[str, PackChoice] = {}
    for stage, choice in raw.items():
        where: list[str | int] = [*base, "packs", stage]
        if stage not in DMCT_STAGES:
            raise SvtadInputError(path, f"field 'packs.{stage}': unknown DMCT stage (expected "
                                  f"{' or '.join(DMCT_STAGES)})", located.line_of(where))
        if not isinstance(choice, dict) or not str(choice.get("pack") or "").strip():
            raise SvtadInputError(path, f"field 'packs.{stage}': expected a mapping with 'pack' (and 'standard', "
                                  "'rationale', 'tag_agreed', 'secretary_of_state')", located.line_of(where))
        unknown = [key for key in choice if key not in PACK_FIELDS]
        if unknown:
            raise SvtadInputError(path, f"field 'packs.{stage}.{unknown[0]}': unknown field (expected "
                                  f"{', '.join(PACK_FIELDS)})", located.line_of([*where, unknown[0]]))
        for name in PACK_FIELDS:
            lines[f"{stage} {name}"] = located.line_of([*where, name]) or located.line_of(where)
        packs[stage] = PackChoice(
            pack=str(choice["pack"]).strip(),
            standard=_bool(path, lines[f"{stage} standard"], f"packs.{stage}.standard", choice.get("standard", True)),
            rationale=str(choice.get("rationale") or ""),
            tag_agreed=_bool(path, lines[f"{stage} tag_agreed"], f"packs.{stage}.tag_agreed",
                             choice.get("tag_agreed", False)),
            secretary_of_state=str(choice.get("secretary_of_state") or ""))
    return packs
