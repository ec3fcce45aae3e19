"""Parameter checks for Service Requests: each names the field and what was expected."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from simulators.errors import RequestError

Check = Callable[[str, str, Any], Any]


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    check: Check
    required: bool = False
    expected: str = ""


def _fail(srv: str, name: str, expected: str, value: Any) -> RequestError:
    return RequestError(f"SRV {srv}: parameter '{name}': expected {expected}, got {value!r}")


def integer(minimum: int | None = None, maximum: int | None = None) -> Check:
    expected = "an integer" + (f" >= {minimum}" if minimum is not None else "") + (
        f" <= {maximum}" if maximum is not None else "")

    def check(srv: str, name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or (minimum is not None and value < minimum) or (
                maximum is not None and value > maximum):
            raise _fail(srv, name, expected, value)
        return value
    return check


def number(minimum: float | None = None, maximum: float | None = None) -> Check:
    expected = "a number" + (f" >= {minimum:g}" if minimum is not None else "") + (
        f" <= {maximum:g}" if maximum is not None else "")

    def check(srv: str, name: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or (
                minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise _fail(srv, name, expected, value)
        return float(value)
    return check


def text(pattern: Callable[[str], bool] | None = None, expected: str = "a non-empty string") -> Check:
    def check(srv: str, name: str, value: Any) -> str:
        if not isinstance(value, str) or not value or (pattern is not None and not pattern(value)):
            raise _fail(srv, name, expected, value)
        return value
    return check


def choice(*options: str) -> Check:
    expected = "one of " + ", ".join(repr(option) for option in options)

    def check(srv: str, name: str, value: Any) -> str:
        if value not in options:
            raise _fail(srv, name, expected, value)
        return str(value)
    return check


def mapping(srv: str, name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(srv, name, "a mapping", value)
    return dict(value)


def codes(srv: str, name: str, value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) and len(item) == 4 for item in value):
        raise _fail(srv, name, "a list of 4-hex alert codes", value)
    return [item.upper() for item in value]


def moment(srv: str, name: str, value: Any) -> datetime:
    """A datetime (naive ones are taken as UTC), a date (its midnight) or an ISO 8601 string."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise _fail(srv, name, "a datetime or ISO 8601 string", value) from None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise _fail(srv, name, "a datetime or ISO 8601 string", value)


def validate(srv: str, spec: tuple[Param, ...], given: Mapping[str, Any]) -> dict[str, Any]:
    known = {param.name: param for param in spec}
    unknown = sorted(set(given) - set(known))
    if unknown:
        expected = ", ".join(known) or "none"
        raise RequestError(f"SRV {srv}: unexpected parameter '{unknown[0]}' (parameters: {expected})")
    checked: dict[str, Any] = {}
    for param in spec:
        if param.name in given and given[param.name] is not None:
            checked[param.name] = param.check(srv, param.name, given[param.name])
        elif param.required:
            raise RequestError(f"SRV {srv}: parameter '{param.name}' is required ({param.expected or 'see the SRV'})")
    return checked
