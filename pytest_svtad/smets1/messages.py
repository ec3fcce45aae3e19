"""ServiceRequest / ServiceResponse / Alert: the one message vocabulary of tests, simulators and links.

Shaped after DUIS (DCC User Interface Specification): a request names its Service Reference Variant (SRV) and
carries a RequestID ``originator:target:counter``; a response carries a DUIS-style response code (``I0`` success,
``I99`` acknowledged, ``E..`` errors) and a body; alerts carry a GBCS-style 4-hex code (device alerts) or an ``N``
code (DCC alerts). Everything is plain data (JSON-able) so it can cross a process or a wire.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SUCCESS_CODES = frozenset({"I0", "I99"})


@dataclass(frozen=True, slots=True)
class ServiceRequest:
    srv: str
    params: dict[str, Any] = field(default_factory=dict)
    request_id: str = ""
    device: str = ""  # the device kind the request is for ("" = the SRV's default device kind)
    command_variant: int = 1
    execution_time: str | None = None  # ISO timestamp for a future-dated request

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ServiceResponse:
    request_id: str
    srv: str
    code: str
    body: dict[str, Any] = field(default_factory=dict)
    device: str = ""
    issued_at: str = ""  # ISO timestamps in the installation's (simulated or real) time
    completed_at: str = ""
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.code in SUCCESS_CODES

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Alert:
    code: str
    device: str = ""
    name: str = ""
    raised_at: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
