"""The one YAML reader of every data file (profiles, TTM, criteria, completion notes, pack manifests, load
profiles, the SRV catalogue): it remembers where each value came from, so errors can name the line, and refuses
what would make a data file mean something else than it reads as: a key given twice (YAML would silently keep the
last), and anchors and aliases (a recursive alias never ends; a "billion laughs" file expands to gigabytes).

It lives under ``smets1`` because the simulators read load profiles with it and may import only the vocabulary.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from pytest_svtad.errors import SvtadInputError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it
MAX_DEPTH = 64  # nesting deeper than any data file needs; deeper input would only exhaust the stack
_MERGE = "tag:yaml.org,2002:merge"
ModelT = TypeVar("ModelT", bound=BaseModel)


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


def _check_events(loader: Any, path: Path, what: str) -> None:
    """One pass over the parser's events, before anything is built: no anchors, no aliases, bounded nesting."""
    depth = 0
    while loader.check_event():
        event = loader.get_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise SvtadInputError(path, f"invalid YAML in {what}: alias '*{event.anchor}' (aliases and anchors are "
                                  "not allowed in data files: write the value out)", line)
        if getattr(event, "anchor", None) is not None:
            raise SvtadInputError(path, f"invalid YAML in {what}: anchor '&{event.anchor}' (aliases and anchors are "
                                  "not allowed in data files: write the value out)", line)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise SvtadInputError(path, f"invalid YAML in {what}: nested more than {MAX_DEPTH} levels deep", line)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _index(node: yaml.Node, loader: Any, path: Path, what: str) -> _Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        children: dict[Any, _Node] = {}
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE:
                key = loader.construct_object(key_node, deep=True)  # '1' and 0x1 are one key to YAML too
                try:
                    seen = first_line.get(key)
                except TypeError:  # unhashable: the constructor has refused it already
                    seen = None
                key_line = key_node.start_mark.line + 1
                if seen is not None:
                    raise SvtadInputError(path, f"invalid YAML in {what}: duplicate key '{key_node.value}' (first "
                                          f"on line {seen}): a key may be given once", key_line)
                first_line[key] = key_line
            children[key] = _index(value_node, loader, path, what)
        return _Node(line, children)
    if isinstance(node, yaml.SequenceNode):
        return _Node(line, [_index(item, loader, path, what) for item in node.value])
    return _Node(line)


def load_yaml(path: Path, what: str) -> LocatedYaml:
    """Read one YAML document; any read or syntax error, a duplicate key, an anchor or an alias becomes an
    SvtadInputError naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SvtadInputError(path, f"cannot read {what}: {exc}") from None
    loader = None
    try:
        loader = _Loader(text)
        _check_events(loader, path, what)
        loader.dispose()
        loader = _Loader(text)
        root = loader.get_single_node()  # one parse: the node tree gives the lines, then the values
        data = loader.construct_document(root) if root is not None else None
        index = _index(root, loader, path, what) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise SvtadInputError(path, f"invalid YAML in {what}: {exc.problem or exc}", line) from None
    except yaml.YAMLError as exc:
        raise SvtadInputError(path, f"invalid YAML in {what}: {exc}") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # a constructor's own error (a date)
        raise SvtadInputError(path, f"invalid YAML in {what}: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return LocatedYaml(path, data, index)


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


def validate(located: LocatedYaml, model: type[ModelT], what: str, data: Any = None) -> ModelT:
    """``model`` from the file's data (or ``data`` built from it), every error one line naming file, line and
    field. A number written as a string (``"0.9"``) where the model wants a number is an error too: pydantic would
    quietly convert it, and a value the author quoted may not be the value they meant."""
    raw = located.data if data is None else data
    try:
        value = model.model_validate(raw)
    except ValidationError as exc:
        raise pydantic_error(located, exc, what) from None
    quoted = _quoted_number(raw, value, [])
    if quoted is not None:
        loc, text = quoted
        field = ".".join(str(part) for part in loc)
        raise SvtadInputError(located.path, f"{what}: field '{field}': expected a number, got the string "
                              f"{text!r} (write it without quotes)", located.line_of(loc))
    return value


def _has(mapping: dict[Any, Any], key: Any) -> bool:
    try:
        return key in mapping
    except TypeError:
        return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _quoted_number(raw: Any, value: Any, loc: list[str | int]) -> tuple[list[str | int], str] | None:
    """The first place where the data has a string and the validated model a number (values and mapping keys)."""
    if isinstance(value, BaseModel):
        if not isinstance(raw, dict):
            return None
        for name, info in type(value).model_fields.items():
            key = info.alias or name
            if key in raw:
                found = _quoted_number(raw[key], getattr(value, name), [*loc, key])
                if found:
                    return found
        return None
    if isinstance(value, dict) and isinstance(raw, dict) and len(value) == len(raw):
        items = list(value.items())  # a validator may have sorted them: pair by key where the key is unchanged
        for index, (raw_key, raw_item) in enumerate(raw.items()):
            key, item = (raw_key, value[raw_key]) if _has(value, raw_key) else items[index]
            if isinstance(raw_key, str) and _is_number(key):
                return [*loc, raw_key], raw_key
            found = _quoted_number(raw_item, item, [*loc, raw_key])
            if found:
                return found
        return None
    if isinstance(value, list | tuple) and isinstance(raw, list) and len(value) == len(raw):
        for index, (raw_item, item) in enumerate(zip(raw, value, strict=True)):
            found = _quoted_number(raw_item, item, [*loc, index])
            if found:
                return found
        return None
    if isinstance(raw, str) and _is_number(value):
        return loc, raw
    return None


YES = ("yes", "true", "y", "1")
NO = ("no", "false", "n", "0", "")


def yes_no(value: Any, path: Path, line: int | None, name: str, where: str = "") -> bool:
    """A yes/no field of a data file (a YAML boolean, or yes/no, true/false, y/n, 1/0 as text; empty is no);
    anything else an SvtadInputError naming the file, line and field."""
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise SvtadInputError(path, f"{where}field '{name}': expected yes or no, got '{value}'", line)
