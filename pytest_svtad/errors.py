"""Domain errors. Each carries one line naming the file, line or field and what was expected."""

from __future__ import annotations

from pathlib import Path


class SvtadInputError(Exception):
    """Bad user input (a profile, a TTM, a criteria file): one line, no traceback wanted.

    The plugin turns it into ``pytest.UsageError``; the ``svtad`` command prints it and exits 2.
    """

    def __init__(self, source: str | Path, message: str, line: int | None = None) -> None:
        self.source = str(source)
        self.line = line
        self.message = message
        where = f"{self.source}:{line}" if line else self.source
        super().__init__(f"{where}: {message}")
