"""DuisError: bad DUIS input as the E-code a DCC User Interface would answer with, plus a one-line reason."""

from __future__ import annotations

from pytest_svtad.smets1.duis.formats import FORMATS


class DuisError(Exception):
    """A DUIS message that cannot be accepted: ``code`` is the DUIS response code (``E..``), ``message`` one line."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def error_code(kind: str) -> str:
    """The E-code for a class of bad input (``malformed``, ``namespace``, ``unknown_srv`` ...), from the data file."""
    return str(FORMATS["error_codes"][kind]["code"])
