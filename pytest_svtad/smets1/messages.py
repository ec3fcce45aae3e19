"""ServiceRequest / ServiceResponse / Alert: the one message vocabulary of tests, simulators and links.

Shaped after DUIS (DCC User Interface Specification): a request names its Service Reference Variant (SRV) and
carries a RequestID ``originator:target:counter``; a response carries a DUIS-style response code (``I0`` success,
``I99`` acknowledged, ``E..`` errors) and a body; alerts carry a GBCS-style 4-hex code (device alerts) or an ``N``
code (DCC alerts). Times are timezone-aware datetimes in the installation's time (simulated or real); ``to_dict``
turns them into ISO 8601 strings so a message can cross a process or a wire as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

SUCCESS_CODES = frozenset({"I0", "I99"})


def plain(value: Any) -> Any:
    """``value`` with datetimes as ISO strings, tuples as lists: JSON-able, stable for transcripts."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def _as_dict(message: Any) -> dict[str, Any]:
    return {item.name: plain(getattr(message, item.name)) for item in fields(message)}


@dataclass(frozen=True, slots=True)
class ServiceRequest:
    srv: str
    params: dict[str, Any] = field(default_factory=dict)
    request_id: str = ""
    device: str = ""  # the device kind the request is for ("" = the SRV's default device kind)
    command_variant: int = 1
    execution_time: datetime | None = None  # a future-dated request

    def to_dict(self) -> dict[str, Any]:
        return _as_dict(self)


@dataclass(frozen=True, slots=True)
class ServiceResponse:
    request_id: str
    srv: str
    code: str
    body: dict[str, Any] = field(default_factory=dict)
    device: str = ""
    issued_at: datetime | None = None
    completed_at: datetime | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.code in SUCCESS_CODES

    @property
    def failed_at_device(self) -> bool:
        """Delivered, but the device declined the command (GBCS carries the failure inside the response)."""
        return self.body.get("result") == "failure"

    def expect(self, code: str = "I0") -> dict[str, Any]:
        """The body, once the response is ``code`` (and, for ``I0``, the device did not decline the command);
        otherwise an AssertionError that says what came back, for the test's failure message."""
        if self.code != code or (code == "I0" and self.failed_at_device):
            got = self.code + (f", device declined: {self.body.get('reason')}" if self.failed_at_device else "")
            detail = f" ({self.detail})" if self.detail and not self.failed_at_device else ""
            raise AssertionError(f"SRV {self.srv} to {self.device or 'DCC'}: expected {code}, got {got}{detail}")
        return self.body

    def to_dict(self) -> dict[str, Any]:
        return _as_dict(self)


@dataclass(frozen=True, slots=True)
class Alert:
    code: str
    device: str = ""
    name: str = ""
    raised_at: datetime | None = None  # by the device's clock
    details: dict[str, Any] = field(default_factory=dict)
    delivered_at: datetime | None = None  # when it reached the DCC User

    def to_dict(self) -> dict[str, Any]:
        return _as_dict(self)
