"""The shape of the house (issue 14): no circular imports between modules, ``simulators`` imports nothing of
the plugin but the vocabulary (``pytest_svtad.smets1``), and only ``pytest_svtad.plugin`` imports pytest.

Imports are read from the source (``ast``), function-level ones included (a lazy import is still a dependency),
``if TYPE_CHECKING:`` blocks excluded (annotations only)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("pytest_svtad", "simulators")
PYTEST_MODULES = ("pytest", "_pytest", "xdist", "allure", "allure_commons", "allure_pytest", "pluggy")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def imports_of(name: str) -> set[str]:
    """Every module ``name`` imports (ours resolved to a module of ours, others by their top-level name)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*anchor, base] if base else anchor)
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            targets.add(submodule if submodule in MODULES else base)
    return {t for t in targets if t != name}


GRAPH = {name: {t for t in imports_of(name) if t in MODULES} for name in MODULES}
EXTERNAL = {name: {t.split(".")[0] for t in imports_of(name) if t not in MODULES} for name in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_the_graph_is_read_from_every_module() -> None:
    assert "pytest_svtad.plugin.hooks" in MODULES and "simulators.installation" in MODULES
    assert "pytest_svtad.plugin.session" in GRAPH["pytest_svtad.plugin.hooks"]
    assert "pytest" in EXTERNAL["pytest_svtad.plugin.hooks"]


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_back_through_others() -> None:
    assert cycles(GRAPH) == []


@pytest.mark.parametrize("name", [n for n in MODULES if n.startswith("simulators")])
def test_simulators_import_only_the_vocabulary_of_the_plugin(name: str) -> None:
    ours = {t for t in GRAPH[name] if t.startswith("pytest_svtad")}
    assert all(t == "pytest_svtad.smets1" or t.startswith("pytest_svtad.smets1.") for t in ours), ours


def test_only_the_plugin_package_imports_pytest() -> None:
    offenders = {name: sorted(EXTERNAL[name] & set(PYTEST_MODULES)) for name in MODULES
                 if EXTERNAL[name] & set(PYTEST_MODULES) and not name.startswith("pytest_svtad.plugin")}
    assert offenders == {}
