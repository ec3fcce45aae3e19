"""The DUIS format settings of ``duis_formats.yaml``: what is confirmed and what is assumed, loaded once."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml


def _load() -> dict[str, Any]:
    text = resources.files("pytest_svtad.smets1.duis").joinpath("duis_formats.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


FORMATS: dict[str, Any] = _load()


def setting(*path: str) -> Any:
    """The ``value`` at ``path`` (``setting("money", "prepay_scale")``), or the mapping itself when it has none."""
    node: Any = FORMATS
    for step in path:
        node = node[step]
    return node["value"] if isinstance(node, dict) and "value" in node else node
