"""What a test needs of its DMC's link beyond ``DeviceLink``, so that a test using a simulator-only power is not
applicable (not failed) on a link that lacks it, whatever the link's kind.

A test says so in one of three ways, all read at collection:

- it asks for a capability fixture (``smets1_clock``, ``smets1_faults``, ``smets1_migration``,
  ``smets1_consumer``, ``smets1_han``, or ``migrated``, which migrates the installation itself);
- it carries ``@pytest.mark.requires_sim(reason)``: it reads the simulator's own state (an IHD's screen, a
  device object's fields), which no real link exposes: it needs every simulator-only power;
- it is inferred from the test function's own source: ``<link>.advance(...)``, ``<link>.now``, ``<link>.faults``,
  ``<link>.migrate(...)``, ``<link>.press_button()``, ``<link>.han`` need their capability, and any other member
  of the link that ``DeviceLink`` does not define (``installation.meters()``), or a field of ``<link>.devices[k]``
  that a device model does not have (``.display_message``), needs the simulator. ``<link>`` is a parameter of the
  test naming a link fixture (``smets1``, ``installation``, ``dormant``, ``migrated``, a capability fixture).

What inference cannot see (a helper function given the link, an alias) a test declares with the marker or a
capability fixture. The capabilities are the protocols of ``pytest_svtad.links.protocol``: a link declares them,
so a new kind (DUIS) is judged by what it declares, never by its name.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from pytest_svtad.links.protocol import (
    CAPABILITIES,
    ConsumerAction,
    DeviceLink,
    FaultInjection,
    HanAccess,
    Migration,
    SimulatedTime,
    capability_of,
    members,
)
from pytest_svtad.smets1.profiles import DeviceModel

CAPABILITY_FIXTURES: dict[str, type] = {
    "smets1_clock": SimulatedTime,
    "smets1_faults": FaultInjection,
    "smets1_migration": Migration,
    "smets1_consumer": ConsumerAction,
    "smets1_han": HanAccess,
    "migrated": Migration,  # the fixture migrates the installation itself
}
LINK_FIXTURES = frozenset({"smets1", "installation", "dormant", *CAPABILITY_FIXTURES})

# every power only the simulator has: what reading the simulator's own state amounts to
SIMULATOR = frozenset(capability for capability, where in CAPABILITIES.items() if where == "a simulated link")
_LINK_MEMBERS = frozenset({*members(DeviceLink), "dmc"})
_MODEL_FIELDS = frozenset(DeviceModel.model_fields)


@dataclass(frozen=True, slots=True)
class NotApplicable:
    """A (test, DMC) left out because the DMC's link lacks a power the test needs: not planned (a test that cannot
    apply to a DMC is not planned for it), but listed in the verdict's notes so that nothing vanishes unseen."""

    nodeid: str
    dmc: str
    reason: str

    def note(self) -> str:
        return f"not applicable on {self.dmc}: {self.nodeid}: {self.reason}"


def capability_names(capabilities: Iterable[type]) -> str:
    return ", ".join(sorted(capability.__name__ for capability in capabilities))


def needs(function: Callable[..., Any] | None, fixturenames: Iterable[str],
          marks: Iterable[Any] = ()) -> dict[type, str]:
    """Each capability the test needs of its link, with why (the first use found), e.g.
    ``{SimulatedTime: "uses installation.advance"}``."""
    found: dict[type, str] = {}
    fixtures = list(fixturenames)
    for name in fixtures:
        capability = CAPABILITY_FIXTURES.get(name)
        if capability is not None:
            found.setdefault(capability, f"asks for {name}")
    for mark in marks:
        if mark.name == "requires_sim":
            reason = mark.kwargs.get("reason", mark.args[0] if mark.args else None)
            why = f"marked requires_sim: {reason}" if reason else "marked requires_sim"
            for capability in sorted(SIMULATOR, key=lambda c: c.__name__):
                found.setdefault(capability, why)
    if function is not None:
        link_names = frozenset(name for name in fixtures if name in LINK_FIXTURES)
        for capabilities, why in _inferred(function, link_names):
            for capability in sorted(capabilities, key=lambda c: c.__name__):
                found.setdefault(capability, why)
    return found


def lacking(needed: Mapping[type, str], has: frozenset[type]) -> dict[type, str]:
    return {capability: why for capability, why in needed.items() if capability not in has}


def _inferred(function: Callable[..., Any], link_names: frozenset[str]) -> tuple[tuple[frozenset[type], str], ...]:
    if not link_names:
        return ()
    code = getattr(inspect.unwrap(function), "__code__", None)
    if code is None:
        return ()
    return _scan(code, link_names)


@lru_cache(maxsize=256)  # a process running many sessions (the suite's pytester runs) keeps only recent files
def _functions_in(filename: str, stamp: tuple[int, int]) -> dict[int, ast.AST]:
    """Every function of a source file by its first line (the first decorator's, as ``co_firstlineno``): each test
    module parsed once, instead of ``inspect.getsource`` tokenizing the file again for each of its functions (most
    of what collection cost in this module; issue 18 item 5). ``stamp`` (mtime, size) keys the file's version: a
    process running several sessions (pytester, ``svtad packs``) may see a test file rewritten between them."""
    try:
        tree = ast.parse(Path(filename).read_bytes(), filename)
    except (OSError, ValueError, SyntaxError):
        return {}
    return {min([node.lineno, *(d.lineno for d in node.decorator_list)]): node for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def _function_tree(code: Any) -> ast.AST | None:
    try:
        stat = Path(code.co_filename).stat()
        node = _functions_in(code.co_filename, (stat.st_mtime_ns, stat.st_size)).get(code.co_firstlineno)
    except (OSError, ValueError):
        node = None
    if node is not None and getattr(node, "name", None) == code.co_name:
        return node
    try:  # not found in its file as named (built dynamically, or the file changed): its own source, if any
        return ast.parse(textwrap.dedent(inspect.getsource(code)))
    except (OSError, TypeError, SyntaxError):  # no source (built dynamically): nothing to infer
        return None


@cache
def _scan(code: Any, link_names: frozenset[str]) -> tuple[tuple[frozenset[type], str], ...]:
    """The uses of simulator-only powers in one function's source (cached per code object: a test function is
    parametrized over many DMCs)."""
    tree = _function_tree(code)
    if tree is None:
        return ()
    uses: list[tuple[frozenset[type], str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "hasattr") \
                and len(node.args) >= 2 and isinstance(node.args[0], ast.Name) and node.args[0].id in link_names \
                and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
            capability = capability_of(node.args[1].value)
            if capability is not None:  # getattr(installation, "han", None): the power, looked for
                uses.append((frozenset({capability}), f"uses {node.func.id}({node.args[0].id}, "
                                                       f"{node.args[1].value!r})"))
            continue
        if not isinstance(node, ast.Attribute):
            continue
        owner = node.value
        if isinstance(owner, ast.Name) and owner.id in link_names:
            if node.attr in _LINK_MEMBERS or node.attr.startswith("__"):
                continue
            capability = capability_of(node.attr)
            needed = frozenset({capability}) if capability is not None else SIMULATOR
            uses.append((needed, f"uses {owner.id}.{node.attr}"))
        elif isinstance(owner, ast.Subscript) and isinstance(owner.value, ast.Attribute) \
                and owner.value.attr == "devices" and isinstance(owner.value.value, ast.Name) \
                and owner.value.value.id in link_names and node.attr not in _MODEL_FIELDS:
            uses.append((SIMULATOR, f"uses {owner.value.value.id}.devices[...].{node.attr} (simulator state)"))
    return tuple(uses)
