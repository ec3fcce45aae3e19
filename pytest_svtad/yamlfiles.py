"""YAML reading that remembers where each value came from, so errors can name the line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from pytest_svtad.errors import SvtadInputError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it


class _Node:
    """A composed YAML node with a pointer to its line (1-based)."""

    __slots__ = ("line", "children")

    def __init__(self, line: int, children: dict[Any, _Node] | list[_Node] | None = None) -> None:
        self.line = line
        self.children = children


class LocatedYaml:
    """Parsed YAML data plus a way to ask which line a field path came from."""

    def __init__(self, path: Path, data: Any, root: _Node | None) -> None:
        self.path = path
        self.data = data
        self._root = root

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """Line of the deepest node on ``loc`` that exists (pydantic error locations fit here)."""
        node = self._root
        line = node.line if node else None
        for key in loc:
            if node is None or node.children is None:
                break
            if isinstance(node.children, dict):
                node = node.children.get(key)
            elif isinstance(key, int) and 0 <= key < len(node.children):
                node = node.children[key]
            else:
                node = None
            if node is not None:
                line = node.line
        return line


def _index(node: yaml.Node) -> _Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        children: dict[Any, _Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key_node.tag.endswith(":int"):
                try:
                    key = int(key)
                except ValueError:
                    pass
            children[key] = _index(value_node)
        return _Node(line, children)
    if isinstance(node, yaml.SequenceNode):
        return _Node(line, [_index(item) for item in node.value])
    return _Node(line)


def load_yaml(path: Path, what: str) -> LocatedYaml:
    """Read one YAML document; any read or syntax error becomes an SvtadInputError naming the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SvtadInputError(path, f"cannot read {what}: {exc}") from None
    loader = _Loader(text)
    try:
        root = loader.get_single_node()  # one parse: the node tree gives the lines, then the values
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise SvtadInputError(path, f"invalid YAML in {what}: {exc.problem or exc}", line) from None
    except yaml.YAMLError as exc:
        raise SvtadInputError(path, f"invalid YAML in {what}: {exc}") from None
    finally:
        loader.dispose()
    return LocatedYaml(path, data, _index(root) if root is not None else None)


def pydantic_error(located: LocatedYaml, exc: Any, what: str, prefix: Sequence[str | int] = ()) -> SvtadInputError:
    """Turn the first error of a pydantic ``ValidationError`` into a one-line input error."""
    first = exc.errors()[0]
    loc = [*prefix, *first["loc"]]
    field = ".".join(str(part) for part in first["loc"]) or "(document)"
    message = first["msg"]
    if first["type"] == "missing":
        message = "required field is missing"
    elif first["type"] == "extra_forbidden":
        message = "unknown field"
    return SvtadInputError(located.path, f"{what}: field '{field}': {message}", located.line_of(loc))
