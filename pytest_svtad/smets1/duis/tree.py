"""Small helpers to build and read DUIS elements (``sr:`` namespace) with typed values and precise errors."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from pytest_svtad.smets1.duis.errors import DuisError, error_code
from pytest_svtad.smets1.duis.xml import NS, child, children, local, text


def q(name: str) -> str:
    return f"{{{NS}}}{name}"


def sub(parent: etree._Element, tag: str, value: object = None, /, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, q(tag), attrs)
    if value is not None:
        element.text = value if isinstance(value, str) else str(value)
    return element


def duis_time(moment: datetime) -> str:
    """DUIS dateTime as the templates write it: UTC, two fractional digits, ``Z``."""
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    fraction = f"{moment.microsecond // 10000:02d}" if moment.microsecond % 10000 == 0 else f"{moment.microsecond:06d}"
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + fraction + "Z"


def parse_time(value: str, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise DuisError(error_code("bad_value"), f"{where}: expected an xs:dateTime, got {value!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def need(parent: etree._Element, path: str, where: str) -> etree._Element:
    node = parent
    for step in path.split("/"):
        found = child(node, step)
        if found is None:
            raise DuisError(error_code("missing_element"), f"{where}: missing mandatory element {step}")
        node = found
    return node


def need_text(parent: etree._Element, path: str, where: str) -> str:
    value = text(need(parent, path, where))
    if not value:
        raise DuisError(error_code("missing_element"), f"{where}: element {path} is empty")
    return value


def opt_text(parent: etree._Element, path: str) -> str | None:
    node: etree._Element | None = parent
    for step in path.split("/"):
        node = child(node, step) if node is not None else None
    return text(node) if node is not None else None


def integer(value: str, where: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise DuisError(error_code("bad_value"), f"{where}: expected an integer, got {value!r}") from None


def decimal(value: str, where: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise DuisError(error_code("bad_value"), f"{where}: expected a decimal, got {value!r}") from None
    if not number.is_finite():
        raise DuisError(error_code("bad_value"), f"{where}: expected a finite decimal, got {value!r}")
    return number


def scaled_to_pence(value: int, scale: int) -> float | int:
    """An integer DUIS amount at ``10**scale`` GBP, in pence; an int where it is whole (for exact round trips)."""
    pence = Decimal(value).scaleb(scale + 2)
    return int(pence) if pence == pence.to_integral_value() else float(pence)


def pence_to_scaled(pence: float, scale: int, where: str) -> int:
    amount = Decimal(str(pence)).scaleb(-(scale + 2))
    if amount != amount.to_integral_value():
        raise DuisError(error_code("bad_value"), f"{where}: {pence} pence is finer than the DUIS scale 10^{scale} GBP")
    return int(amount)


def named(parent: etree._Element, name: str) -> list[etree._Element]:
    return [item for item in children(parent) if local(item) == name]


def index_of(element: etree._Element, where: str) -> int:
    raw = element.get("index")
    if raw is None:
        raise DuisError(error_code("missing_element"), f"{where}: {local(element)} has no index attribute")
    return integer(raw, f"{where} index")
