"""The transcript of one installation's traffic: every request, acknowledgement, response, alert and fault (the
simulator writes it) or every frame exchanged (a real-device link writes it).

Lines are kept as data and rendered on demand; rendering is deterministic (sorted JSON keys, ISO times), so the
same seed gives the same bytes. Key material never appears: credentials are fingerprints by construction.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pytest_svtad.smets1.messages import plain


def _json(value: Any) -> str:
    return json.dumps(plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=True)


class Transcript:
    def __init__(self, header: str) -> None:
        self._header = header
        self._lines: list[tuple[datetime, str, str, Any]] = []

    def add(self, when: datetime, tag: str, text: str, data: Any = None) -> None:
        self._lines.append((when, tag, text, data))

    def now(self, tag: str, text: str, data: Any = None) -> None:
        """A line stamped with the wall clock (real links: the device's time is not ours)."""
        self.add(datetime.now(UTC), tag, text, data)

    def __len__(self) -> int:
        return len(self._lines)

    def text(self) -> str:
        rendered = [self._header]
        for when, tag, text, data in self._lines:
            stamp = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
            line = f"{stamp} {tag:<5} {text}"
            rendered.append(line if data is None else f"{line} {_json(data)}")
        return "\n".join(rendered) + "\n"
