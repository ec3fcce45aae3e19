"""How counts and long texts are written in human output (the terminal, ``svtad`` commands): "1 DMC", "2 DMCs";
a shortened text keeps its start and says it was cut."""

from __future__ import annotations


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """``counted(1, "DMC")`` is "1 DMC", ``counted(2, "DMC")`` "2 DMCs"; give ``plural`` where adding an "s" is
    wrong (``counted(2, "entry", "entries")``). Only the first word is pluralised: "Testing Issue" -> "Testing
    Issues" is the caller's ``plural``."""
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def shortened(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters: its start, and "…" where the rest was left out."""
    if len(text) <= width:
        return text
    return text[: max(width - 1, 0)].rstrip() + "…"
