"""How a ``wrong_value`` firmware quirk corrupts an answer."""

from __future__ import annotations

from typing import Any

from pytest_svtad.smets1.profiles import Quirk


def _wrong(value: Any, quirk: Quirk) -> Any:
    if quirk.value is not None:
        return quirk.value
    if isinstance(value, bool) or not isinstance(value, int | float) or quirk.factor is None:
        return value
    result = value * quirk.factor
    return round(result) if isinstance(value, int) else round(result, 3)


def corrupt(body: dict[str, Any], quirk: Quirk) -> dict[str, Any]:
    """``body`` with ``quirk.field`` wrong. ``a.b`` reaches field ``b`` of every item of the list ``a``."""
    assert quirk.field is not None
    head, _, tail = quirk.field.partition(".")
    if head not in body:
        return body
    result = dict(body)
    if tail and isinstance(body[head], list):
        result[head] = [{**item, tail: _wrong(item.get(tail), quirk)} if isinstance(item, dict) and tail in item
                        else item for item in body[head]]
    elif not tail:
        result[head] = _wrong(body[head], quirk)
    return result
