"""Checks of what the ``svtad`` command is given (numbers, dates, output paths, a verdict.json to print): each
problem is one ``SvtadInputError`` naming the option or file and what was expected, printed as ``svtad: error:``."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from pytest_svtad.errors import SvtadInputError

# Working Days are counted with the bank holidays of the years around a date: far outside this range the calendar
# (and Python's dates) run out, and no Test Completion Certificate is dated there
FIRST_YEAR, LAST_YEAR = 2000, 2199


def positive_number(value: float, option: str, *, most: float | None = None, zero: bool = False) -> float:
    """A finite number above zero (or at least zero), at most ``most``; nan and inf are refused."""
    low_ok = value >= 0 if zero else value > 0
    if not math.isfinite(value) or not low_ok or (most is not None and value > most):
        expected = "a finite number " + (">= 0" if zero else "> 0") + (f" and <= {most:g}" if most is not None else "")
        raise SvtadInputError(option, f"expected {expected}, got '{value}'")
    return value


def plan_date(text: str, option: str) -> date:
    """A date YYYY-MM-DD within the years the Working Day calendar covers."""
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise SvtadInputError(option, f"expected a date YYYY-MM-DD, got '{text}'") from None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise SvtadInputError(option, f"expected a date in the years {FIRST_YEAR}-{LAST_YEAR}, got '{text}'")
    return value


def write_output_file(path: Path, text: str, option: str) -> None:
    """Write ``text`` to a file the user named; a folder, a missing parent or a write error is one line."""
    if path.is_dir():
        raise SvtadInputError(option, f"'{path}' is a folder: expected a file to write")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SvtadInputError(option, f"cannot write '{path}': {exc.strerror or exc}") from None


def output_folder(path: Path, option: str) -> Path:
    """A folder to write into, created if missing; an existing file there, or a folder that cannot be made, is
    one line."""
    if path.exists() and not path.is_dir():
        raise SvtadInputError(option, f"'{path}' is a file: expected a folder to write into")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SvtadInputError(option, f"cannot create the folder '{path}': {exc.strerror or exc}") from None
    return path


class _Criterion(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    id: str
    status: str
    detail: str = ""


class VerdictFile(BaseModel):
    """The part of verdict.json that ``svtad verdict`` prints (docs/verdict-schema.md); the rest is not read."""

    model_config = ConfigDict(extra="allow", strict=True)

    stage: str | None = None
    release: str | None = None
    verdict: Literal["met", "not_met"]
    criteria: list[_Criterion] = []


def read_verdict_file(path: Path) -> VerdictFile:
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SvtadInputError(path, f"cannot read verdict: {getattr(exc, 'strerror', None) or exc}") from None
    except ValueError as exc:
        raise SvtadInputError(path, f"cannot read verdict: not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise SvtadInputError(path, f"verdict file: expected a JSON object, got {type(raw).__name__}")
    try:
        return VerdictFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(document)"
        message = "required field is missing" if first["type"] == "missing" else first["msg"]
        raise SvtadInputError(path, f"verdict file: field '{field}': {message}") from None
