"""Reading the user's data files (TTM, criteria) into the pure models, with one-line errors naming file and line."""

from __future__ import annotations

import csv
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from pytest_svtad.errors import SvtadInputError
from pytest_svtad.files.reader import load_yaml, validate
from pytest_svtad.rules.appendix_ak import STAGES
from pytest_svtad.rules.criteria import Criteria
from pytest_svtad.rules.ttm import Requirement, Ttm
from pytest_svtad.smets1.catalogue import default_catalogue

TTM_REQUIRED = ("requirement_id", "functional_group", "title")
TTM_OPTIONAL = ("section", "clause", "severity", "stages", "url")
TTM_ASSURANCE = ("ttm_id", "version", "assured_on", "assured_by")  # the TTM's header (11.2, 12.5(c))
TTM_HEADER_HINT = ",".join(TTM_REQUIRED) + "[," + ",".join(TTM_OPTIONAL) + "]"


def _requirement(path: Path, line: int | None, row: dict[str, Any], seen: dict[str, int | None]) -> Requirement:
    values = {key: ("" if row.get(key) is None else str(row.get(key)).strip()) for key in TTM_REQUIRED + TTM_OPTIONAL}
    rid = values["requirement_id"]
    if not rid:
        raise SvtadInputError(path, "empty requirement_id", line)
    if rid in seen:
        first = f" (first on line {seen[rid]})" if seen[rid] else ""
        raise SvtadInputError(path, f"duplicate requirement_id '{rid}'{first}", line)
    seen[rid] = line
    if not values["functional_group"]:
        raise SvtadInputError(path, f"requirement '{rid}': empty functional_group", line)
    severity: int | None = None
    if values["severity"]:
        try:
            severity = int(values["severity"])
        except ValueError:
            severity = 0
        if severity not in range(1, 6):
            raise SvtadInputError(path, f"requirement '{rid}': severity must be 1-5, got '{values['severity']}'", line)
    stages = tuple(name for name in values["stages"].replace(",", ";").replace(" ", ";").split(";") if name)
    unknown = [name for name in stages if name not in STAGES]
    if unknown:
        raise SvtadInputError(path, f"requirement '{rid}': unknown stage '{unknown[0]}' in stages (expected "
                              f"stage names separated by ';': {', '.join(STAGES)})", line)
    url = values["url"]
    if url and not url.startswith(("https://", "http://")):
        raise SvtadInputError(path, f"requirement '{rid}': url must start with https:// or http://, got '{url}'", line)
    return Requirement(rid, values["functional_group"], values["title"], values["section"], values["clause"],
                       severity, stages, url)


def _assurance(path: Path, fields: dict[str, tuple[Any, int | None]]) -> dict[str, Any]:
    """The TTM's own header (``TTM_ASSURANCE``: id, version, assurance date and by whom, 11.2), checked."""
    out: dict[str, Any] = {}
    for key, (value, line) in fields.items():
        if key not in TTM_ASSURANCE:
            raise SvtadInputError(path, f"TTM header field '{key}': unknown (expected {', '.join(TTM_ASSURANCE)})",
                                  line)
        if value is None or str(value).strip() == "":
            continue
        if key == "assured_on":
            if isinstance(value, date) and not isinstance(value, datetime):
                out[key] = value
                continue
            try:
                out[key] = date.fromisoformat(str(value).strip())
            except ValueError:
                raise SvtadInputError(path, f"TTM header field 'assured_on': expected a date YYYY-MM-DD, got "
                                      f"'{value}'", line) from None
        elif isinstance(value, dict | list | bool):
            raise SvtadInputError(path, f"TTM header field '{key}': expected a string", line)
        else:
            out[key] = str(value).strip()
    return out


def _csv_header_lines(path: Path, handle: Any) -> tuple[dict[str, tuple[Any, int | None]], int]:
    """The ``# key: value`` lines before a CSV TTM's column header, and how many lines they took."""
    fields: dict[str, tuple[Any, int | None]] = {}
    count = 0
    while True:
        position = handle.tell()
        line = handle.readline()
        if not line.startswith("#"):
            handle.seek(position)
            return fields, count
        count += 1
        key, sep, value = line[1:].strip().partition(":")
        if not key.strip() and not sep:
            continue  # a bare comment line
        if not sep:
            raise SvtadInputError(path, f"TTM header line: expected '# key: value' (keys {', '.join(TTM_ASSURANCE)}),"
                                  f" got '{line.strip()}'", count)
        fields[key.strip()] = (value.strip(), count)


def _ttm_from_csv(path: Path) -> tuple[dict[str, Requirement], dict[str, Any]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header_fields, offset = _csv_header_lines(path, handle)
            assurance = _assurance(path, header_fields)
            reader = csv.DictReader(handle)
            header = [name.strip() for name in (reader.fieldnames or [])]
            missing = [name for name in TTM_REQUIRED if name not in header]
            if missing:
                raise SvtadInputError(path, f"missing column(s) {', '.join(missing)}; expected header "
                                      f"{TTM_HEADER_HINT}", offset + 1)
            reader.fieldnames = header
            requirements: dict[str, Requirement] = {}
            seen: dict[str, int | None] = {}
            for row in reader:
                line = reader.line_num + offset
                if not any((value or "").strip() for key, value in row.items() if key is not None):
                    continue  # blank line
                if row.get(None):  # type: ignore[call-overload]
                    raise SvtadInputError(path, f"more fields than the {len(header)} columns of the header", line)
                requirement = _requirement(path, line, row, seen)
                requirements[requirement.requirement_id] = requirement
            return requirements, assurance
    except (OSError, UnicodeDecodeError) as exc:
        raise SvtadInputError(path, f"cannot read TTM: {exc}") from None
    except csv.Error as exc:
        raise SvtadInputError(path, f"malformed CSV: {exc}") from None


def _ttm_from_yaml(path: Path) -> tuple[dict[str, Requirement], dict[str, Any]]:
    located = load_yaml(path, "TTM")
    data = located.data
    prefix: list[str | int] = []
    assurance: dict[str, Any] = {}
    if isinstance(data, dict) and "requirements" in data:
        assurance = _assurance(path, {key: (value, located.line_of([key])) for key, value in data.items()
                                      if key != "requirements"})
        data, prefix = data["requirements"], ["requirements"]
    if not isinstance(data, list):
        raise SvtadInputError(path, "expected a list of requirements (or a mapping with 'requirements:')", 1)
    requirements: dict[str, Requirement] = {}
    seen: dict[str, int | None] = {}
    for index, row in enumerate(data):
        line = located.line_of([*prefix, index])
        if not isinstance(row, dict):
            raise SvtadInputError(path, f"requirement #{index + 1}: expected a mapping of fields", line)
        missing = [name for name in TTM_REQUIRED if name not in row]
        unknown = [name for name in row if name not in TTM_REQUIRED + TTM_OPTIONAL]
        if missing or unknown:
            problem = f"missing field(s) {', '.join(missing)}" if missing else f"unknown field(s) {', '.join(unknown)}"
            raise SvtadInputError(path, f"requirement #{index + 1}: {problem}; expected {TTM_HEADER_HINT}", line)
        for name, value in row.items():
            wrong = _yaml_field_problem(name, value)
            if wrong:
                field_line = located.line_of([*prefix, index, name])
                raise SvtadInputError(path, f"requirement #{index + 1}: field '{name}': {wrong}", field_line)
        if isinstance(row.get("stages"), list):
            row = {**row, "stages": ";".join(row["stages"])}
        requirement = _requirement(path, line, row, seen)
        requirements[requirement.requirement_id] = requirement
    return requirements, assurance


def _yaml_field_problem(name: str, value: Any) -> str | None:
    """What is wrong with a TTM YAML field's type: text fields are scalars (an id may be a bare number), severity a
    number 1-5 (not a string), stages a string or a list of strings."""
    if name == "severity":
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return None
        shown = f"the string {value!r}" if isinstance(value, str) else f"a {_yaml_type(value)}"
        return f"expected a number 1-5, got {shown}"
    if name == "stages" and isinstance(value, list):
        if all(isinstance(item, str) for item in value):
            return None
        return "expected stage names (a string separated by ';', or a list of strings)"
    if isinstance(value, str) or value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and name in ("requirement_id", "section",
                                                                                   "clause"):
        return None
    return f"expected a string, got a {_yaml_type(value)}"


def _yaml_type(value: Any) -> str:
    return {dict: "mapping", list: "list", bool: "boolean", int: "number", float: "number"}.get(
        type(value), type(value).__name__)


def load_ttm(path: Path) -> Ttm:
    """Read a TTM from CSV (header ``requirement_id,functional_group,title[,section,clause,severity,stages]``) or
    YAML. ``stages`` (names separated by ';') scopes a requirement to the stages whose packs must cover it.

    The TTM's own header (11.2: the TTM is assured by the DCC; 12.5(c)): ``ttm_id``, ``version``, ``assured_on``
    (YYYY-MM-DD) and ``assured_by``, as ``# key: value`` lines before a CSV's column header, or as keys beside
    ``requirements:`` in YAML. All optional to read; the Entry Criteria check (c) needs the first three."""
    if not path.is_file():
        raise SvtadInputError(path, "TTM file not found")
    if path.suffix.lower() in (".yaml", ".yml"):
        requirements, assurance = _ttm_from_yaml(path)
    else:
        requirements, assurance = _ttm_from_csv(path)
    if not requirements:
        raise SvtadInputError(path, "TTM has no requirements")
    return Ttm(str(path), requirements, **assurance)


def load_criteria(path: Path) -> Criteria:
    """Read a criteria YAML file; every key is optional and overrides Appendix AK's number."""
    if not path.is_file():
        raise SvtadInputError(path, "criteria file not found")
    located = load_yaml(path, "criteria file")
    data = located.data if located.data is not None else {}
    if not isinstance(data, dict):
        raise SvtadInputError(path, "criteria file: expected a mapping of settings", 1)
    if "source" in data:
        raise SvtadInputError(path, "criteria file: field 'source': unknown field", located.line_of(["source"]))
    criteria = validate(located, Criteria, "criteria file", {**data, "source": str(path)})
    catalogue = default_catalogue()
    for srv in criteria.sct_targets:
        if srv not in catalogue:  # a target for an SRV that does not exist is never measured: a typo
            raise SvtadInputError(path, f"criteria file: field 'sct_targets.{srv}': {catalogue.unknown(srv)} (not in "
                                  "the SRV catalogue)", located.line_of(["sct_targets", srv]))
    return criteria


class CompletionNotes(BaseModel):
    """The Completion Report's sections that people write (9.4(h), 9.4(i), 9.5): never invented by the harness."""

    model_config = ConfigDict(extra="forbid")

    recommended_further_tests: str = ""
    lessons_learnt: str = ""
    assurance_activities: str = ""
    open_issues_view: str = ""


NOTES_FIELDS = tuple(CompletionNotes.model_fields)
# Markdown headings accepted for each field, compared lower-case without clause numbers and punctuation
NOTES_HEADINGS = {
    "recommended further tests": "recommended_further_tests", "further tests": "recommended_further_tests",
    "lessons learnt": "lessons_learnt", "lessons learned": "lessons_learnt",
    "assurance activities": "assurance_activities",
    "view on open issues": "open_issues_view", "open issues view": "open_issues_view",
    "open issues": "open_issues_view",
}
NOTES_HINT = "expected a YAML mapping, or Markdown '## ' headings, of " + ", ".join(NOTES_FIELDS)
HEADINGS_HINT = ("expected the headings Recommended further tests, Lessons learnt, Assurance activities, View on "
                 "open issues")


def load_completion_notes(path: Path) -> CompletionNotes:
    """YAML (a mapping of the fields) or Markdown-ish text (a heading per field, its text below it)."""
    if not path.is_file():
        raise SvtadInputError(path, "completion notes file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SvtadInputError(path, f"cannot read completion notes: {exc}") from None
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if path.suffix.lower() in (".md", ".markdown", ".txt") or first.startswith("#"):
        return _markdown_notes(path, text)
    located = load_yaml(path, "completion notes")
    if located.data is None:
        return CompletionNotes()
    if not isinstance(located.data, dict):
        raise SvtadInputError(path, f"completion notes: {NOTES_HINT}", 1)
    return validate(located, CompletionNotes, "completion notes")


def _heading_field(title: str) -> str | None:
    words = re.sub(r"\b\d+(\.\d+)*\b|\([a-z]\)|[^a-z ]", " ", title.lower()).split()
    return NOTES_HEADINGS.get(" ".join(words))


def _markdown_notes(path: Path, text: str) -> CompletionNotes:
    """``## Recommended further tests`` (clause numbers such as "9.4(h)" allowed), then its text, up to the next
    heading. Text before the first heading, an unknown heading or a repeated one is an error naming the line."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        heading = re.match(r"\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            field = _heading_field(heading.group(1))
            if field is None:
                raise SvtadInputError(path, f"completion notes: unknown heading '{heading.group(1)}'; {HEADINGS_HINT}",
                                      number)
            if field in sections:
                raise SvtadInputError(path, f"completion notes: second '{heading.group(1)}' section", number)
            current = sections[field] = []
        elif current is not None:
            current.append(line)
        elif line.strip():
            raise SvtadInputError(path, f"completion notes: text before the first heading; {HEADINGS_HINT}", number)
    return CompletionNotes(**{field: "\n".join(lines).strip() for field, lines in sections.items()})
