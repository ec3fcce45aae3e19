"""Supplier Party submissions for the DMCT Process (20.2-20.4), read from CSV or YAML, every error naming the file,
the line and the field.

One entry per Supplier Party and DMC: ``supplier``, ``dmc``, ``received`` (YYYY-MM-DD), ``devices`` (the DMC's
devices and firmware), ``quantity`` (how many installations the supplier plans to enrol), ``epcl_entries`` (the
planned EPCL entries), and optionally ``unchanged`` (20.3: the data is wholly unaltered from the last submission, so
devices, quantity and entries may be left out), ``missing`` (20.4: the data the supplier could not give, which the
DCC must source; a required field left empty must be listed here) and ``submitted_only`` (a DMC not yet in the
device profiles; without it an unknown DMC id is an error).

CSV: a header with those columns; ``devices`` as ``KIND:model@firmware`` items and lists separated by ``;``; flags
as yes/no. YAML: ``submissions:`` a list of mappings, ``devices`` as ``{KIND: {model: ..., firmware: ...}}``.
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from pytest_svtad.errors import SvtadInputError
from pytest_svtad.files.reader import load_yaml, yes_no
from pytest_svtad.rules.dmct_process import Submission
from pytest_svtad.smets1.kinds import KIND_NAMES, DeviceKind

FIELDS = ("supplier", "dmc", "received", "devices", "quantity", "epcl_entries", "unchanged", "missing",
          "submitted_only")
REQUIRED = ("supplier", "dmc", "received")
DATA_FIELDS = ("devices", "quantity", "epcl_entries")  # given, or unchanged (20.3), or listed as missing (20.4)
FIRST_YEAR, LAST_YEAR = 2000, 2199
DEVICES_HINT = "KIND:model@firmware items separated by ';' (KIND one of " + KIND_NAMES + ")"


def _flag(value: Any, where: str, line: int | None, path: Path, name: str) -> bool:
    return yes_no(value, path, line, name, where)


def _list(value: Any, path: Path, line: int | None, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        if not all(isinstance(item, str | int) and str(item).strip() for item in value):
            raise SvtadInputError(path, f"field '{name}': expected a list of non-empty names", line)
        return tuple(str(item).strip() for item in value)
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(";") if item.strip())
    raise SvtadInputError(path, f"field '{name}': expected names separated by ';' or a list", line)


def _devices(value: Any, path: Path, line: int | None) -> dict[str, dict[str, str]]:
    items: list[tuple[str, str, str]] = []
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        for part in (p.strip() for p in value.split(";") if p.strip()):
            kind, sep, rest = part.partition(":")
            model, at, firmware = rest.rpartition("@")
            if not sep or not at or not model.strip() or not firmware.strip():
                raise SvtadInputError(path, f"field 'devices': '{part}' is not {DEVICES_HINT}", line)
            items.append((kind.strip(), model.strip(), firmware.strip()))
    elif isinstance(value, Mapping):
        for kind, spec in value.items():
            if not isinstance(spec, Mapping) or not all(isinstance(spec.get(k), str | int | float) and
                                                        str(spec.get(k)).strip() for k in ("model", "firmware")):
                raise SvtadInputError(path, f"field 'devices.{kind}': expected a mapping with model and firmware",
                                      line)
            items.append((str(kind), str(spec["model"]).strip(), str(spec["firmware"]).strip()))
    else:
        raise SvtadInputError(path, f"field 'devices': expected {DEVICES_HINT}, or a mapping", line)
    devices: dict[str, dict[str, str]] = {}
    for kind, model, firmware in items:
        if kind.upper() not in DeviceKind.__members__:
            raise SvtadInputError(path, f"field 'devices': unknown device kind '{kind}'; expected one of "
                                  f"{KIND_NAMES}", line)
        if kind.upper() in devices:
            raise SvtadInputError(path, f"field 'devices': device kind {kind.upper()} given twice", line)
        devices[kind.upper()] = {"model": model, "firmware": firmware}
    return devices


def _entry(raw: Mapping[str, Any], path: Path, line: int | None, known_dmcs: Collection[str]) -> Submission:
    unknown = [str(k) for k in raw if k not in FIELDS]
    if unknown:
        raise SvtadInputError(path, f"unknown field(s) {', '.join(unknown)}; expected {', '.join(FIELDS)}", line)
    for name in REQUIRED:
        if raw.get(name) is None or not str(raw.get(name)).strip():
            raise SvtadInputError(path, f"field '{name}': required, got nothing", line)
    supplier, dmc = str(raw["supplier"]).strip(), str(raw["dmc"]).strip()
    received_raw = raw["received"]
    try:
        received = received_raw if isinstance(received_raw, date) else date.fromisoformat(str(received_raw).strip())
    except ValueError:
        raise SvtadInputError(path, f"field 'received': expected a date YYYY-MM-DD, got '{received_raw}'",
                              line) from None
    if not FIRST_YEAR <= received.year <= LAST_YEAR:
        raise SvtadInputError(path, f"field 'received': expected a date in {FIRST_YEAR}-{LAST_YEAR}, got "
                              f"'{received_raw}'", line)
    unchanged = _flag(raw.get("unchanged"), "", line, path, "unchanged")
    submitted_only = _flag(raw.get("submitted_only"), "", line, path, "submitted_only")
    if dmc not in known_dmcs and not submitted_only:
        raise SvtadInputError(path, f"field 'dmc': DMC '{dmc}' is not in the device profiles; mark it "
                              "submitted_only: yes to register it from the submission alone", line)
    missing = _list(raw.get("missing"), path, line, "missing")
    devices = _devices(raw.get("devices"), path, line)
    quantity: int | None = None
    q = raw.get("quantity")
    if q is not None and str(q).strip() != "":
        try:
            quantity = int(str(q).strip())
        except ValueError:
            quantity = -1
        if isinstance(q, bool) or isinstance(q, float) or quantity < 1:
            raise SvtadInputError(path, f"field 'quantity': expected a whole number of installations >= 1, "
                                  f"got '{q}'", line)
    epcl = _list(raw.get("epcl_entries"), path, line, "epcl_entries")
    given = {"devices": bool(devices), "quantity": quantity is not None, "epcl_entries": bool(epcl)}
    if not unchanged:
        for name in DATA_FIELDS:
            if not given[name] and name not in missing:
                raise SvtadInputError(path, f"field '{name}': required unless the data is unchanged (unchanged: "
                                      f"yes, 20.3) or listed in 'missing' for the DCC to source (20.4)", line)
    return Submission(supplier=supplier, dmc=dmc, received=received, devices=devices, quantity=quantity,
                      epcl_entries=epcl, unchanged=unchanged, missing=missing, submitted_only=submitted_only,
                      source=f"{path.name}:{line}" if line else path.name)


def _check_unique(entries: list[tuple[Submission, int | None]], path: Path) -> None:
    first: dict[tuple[str, str], int | None] = {}
    for sub, line in entries:
        key = (sub.supplier, sub.dmc)
        if key in first:
            raise SvtadInputError(path, f"{sub.supplier} submits DMC {sub.dmc} twice (first on line {first[key]})",
                                  line)
        first[key] = line


def load_submissions(path: Path, known_dmcs: Collection[str]) -> list[Submission]:
    """Every submission entry of a CSV or YAML file, checked (see the module docstring)."""
    if path.suffix.lower() == ".csv":
        entries = _from_csv(path, known_dmcs)
    elif path.suffix.lower() in (".yaml", ".yml"):
        entries = _from_yaml(path, known_dmcs)
    else:
        raise SvtadInputError(path, "expected a .csv, .yaml or .yml submission file")
    if not entries:
        raise SvtadInputError(path, "no submissions in the file")
    _check_unique(entries, path)
    return [sub for sub, _ in entries]


def _from_csv(path: Path, known_dmcs: Collection[str]) -> list[tuple[Submission, int | None]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in (reader.fieldnames or [])]
            missing = [name for name in REQUIRED if name not in header]
            if missing:
                raise SvtadInputError(path, f"missing column(s) {', '.join(missing)}; expected header "
                                      f"{','.join(FIELDS)}", 1)
            reader.fieldnames = header
            out: list[tuple[Submission, int | None]] = []
            for row in reader:
                line = reader.line_num
                if row.get(None):  # type: ignore[call-overload]
                    raise SvtadInputError(path, f"more fields than the {len(header)} columns of the header", line)
                if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
                    continue
                cleaned = {k: (v if v is None else v.strip()) for k, v in row.items() if k is not None}
                out.append((_entry({k: v for k, v in cleaned.items() if v not in (None, "")}, path, line,
                                   known_dmcs), line))
            return out
    except (OSError, UnicodeDecodeError) as exc:
        raise SvtadInputError(path, f"cannot read the submission file: {exc}") from None
    except csv.Error as exc:
        raise SvtadInputError(path, f"malformed CSV: {exc}") from None


def _from_yaml(path: Path, known_dmcs: Collection[str]) -> list[tuple[Submission, int | None]]:
    located = load_yaml(path, "DMCT submission file")
    data = located.data
    if not isinstance(data, Mapping) or not isinstance(data.get("submissions"), list):
        raise SvtadInputError(path, "expected a mapping with 'submissions:' a list of entries", 1)
    out: list[tuple[Submission, int | None]] = []
    for index, raw in enumerate(data["submissions"]):
        line = located.line_of(["submissions", index])
        if not isinstance(raw, Mapping):
            raise SvtadInputError(path, f"submission #{index + 1}: expected a mapping of fields", line)
        try:
            out.append((_entry(raw, path, line, known_dmcs), line))
        except SvtadInputError as exc:
            field = exc.message.split("'")[1] if exc.message.startswith("field '") else None
            field_line = located.line_of(["submissions", index, field.split(".")[0]]) if field else line
            raise SvtadInputError(path, exc.message, field_line) from None
    return out
