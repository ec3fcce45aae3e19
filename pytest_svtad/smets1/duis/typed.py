"""Typed values in the harness's own element (``smets1_body_element`` of duis_formats.yaml): how a SMETS1 response
body, an alert's details, and request params DUIS has no element for travel. A harness format, not DUIS: each value
is an ``sr:Item`` with a ``name`` and a ``type`` (str, int, float, bool, null, datetime, date, map, list), so a body
comes back exactly as it was sent; nesting is bounded, since the sender is not trusted."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from lxml import etree

from pytest_svtad.smets1.duis.errors import DuisError, error_code
from pytest_svtad.smets1.duis.formats import setting
from pytest_svtad.smets1.duis.tree import sub
from pytest_svtad.smets1.duis.xml import child, children


def write_value(parent: etree._Element, value: Any, name: str | None = None) -> None:
    attrs = {"name": name} if name is not None else {}
    if value is None:
        sub(parent, "Item", type="null", **attrs)
    elif isinstance(value, bool):
        sub(parent, "Item", "true" if value else "false", type="bool", **attrs)
    elif isinstance(value, int):
        sub(parent, "Item", str(value), type="int", **attrs)
    elif isinstance(value, float):
        sub(parent, "Item", repr(value), type="float", **attrs)
    elif isinstance(value, datetime):
        sub(parent, "Item", value.isoformat(), type="datetime", **attrs)
    elif isinstance(value, date):
        sub(parent, "Item", value.isoformat(), type="date", **attrs)
    elif isinstance(value, str):
        sub(parent, "Item", value, type="str", **attrs)
    elif isinstance(value, Mapping):
        node = sub(parent, "Item", type="map", **attrs)
        for key, item in value.items():
            write_value(node, item, str(key))
    elif isinstance(value, list | tuple):
        node = sub(parent, "Item", type="list", **attrs)
        for item in value:
            write_value(node, item)
    else:
        sub(parent, "Item", str(value), type="str", **attrs)


_MAX_DEPTH = 32


def read_value(element: etree._Element, depth: int = 0) -> Any:
    if depth > _MAX_DEPTH:
        raise DuisError(error_code("bad_value"), f"response body nested deeper than {_MAX_DEPTH} levels")
    kind, raw = element.get("type", "str"), element.text or ""
    try:
        if kind == "null":
            return None
        if kind == "bool":
            return raw == "true"
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "datetime":
            return datetime.fromisoformat(raw)
        if kind == "date":
            return date.fromisoformat(raw)
        if kind == "map":
            return {item.get("name", ""): read_value(item, depth + 1) for item in children(element)}
        if kind == "list":
            return [read_value(item, depth + 1) for item in children(element)]
    except ValueError:
        raise DuisError(error_code("bad_value"), f"response body item {element.get('name')!r}: "
                                                 f"{raw[:40]!r} is not a {kind}") from None
    return raw


def harness_element(parent: etree._Element, values: Mapping[str, Any]) -> None:
    node = sub(parent, str(setting("smets1_body_element")))
    for key, value in values.items():
        write_value(node, value, key)


def read_harness(parent: etree._Element) -> dict[str, Any]:
    node = child(parent, str(setting("smets1_body_element")))
    if node is None:
        return {}
    return {item.get("name", ""): read_value(item) for item in children(node)}
