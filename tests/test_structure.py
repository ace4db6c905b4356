"""The package's structure, checked mechanically from its source.

No two modules of ``geo`` import each other (directly or through others,
function-level imports included), and no module reads another module's
private names (``other._name``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "geo"


def _modules() -> dict[str, ast.Module]:
    return {
        path.stem: ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for path in sorted(PACKAGE.glob("*.py"))
    }


def _imported(name: str, tree: ast.Module, known: set[str]) -> dict[str, set[str]]:
    """Modules of ``geo`` that ``name`` imports -> local names bound to them."""
    found: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 or (node.level == 0 and (node.module or "").startswith("geo")):
                base = (node.module or "").removeprefix("geo").strip(".")
                if base:
                    if base.split(".")[0] in known:
                        found.setdefault(base.split(".")[0], set())
                else:  # from . import x, y
                    for alias in node.names:
                        if alias.name in known:
                            found.setdefault(alias.name, set()).add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "geo" and len(parts) > 1 and parts[1] in known:
                    found.setdefault(parts[1], set()).add(alias.asname or alias.name)
    found.pop(name, None)
    found.pop("__init__", None)  # every module is under the package
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: set(_imported(name, tree, known)) for name, tree in modules.items()}


def _cycle_through(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """A path start -> ... -> start, or None."""
    stack = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def test_the_graph_sees_function_level_imports() -> None:
    # cli imports its commands' modules inside functions only
    graph = _graph()
    assert "communes" in graph["cli"] and "cog" in graph["communes"]


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = _graph()
    cycles = {}
    for name in sorted(graph):
        if name == "__init__":
            continue
        cycle = _cycle_through(graph, name)
        if cycle:
            cycles[name] = " -> ".join(cycle)
    assert not cycles, f"import cycles: {cycles}"


def test_cycle_detection_finds_a_cycle() -> None:
    assert _cycle_through({"a": {"b"}, "b": {"c"}, "c": {"a"}}, "a") == ["a", "b", "c", "a"]
    assert _cycle_through({"a": {"b"}, "b": set()}, "a") is None


def test_cog_is_the_bottom_module() -> None:
    allowed = {"errors", "_text"}
    assert _graph()["cog"] <= allowed


def _private_reads(tree: ast.Module, aliases: dict[str, set[str]]) -> list[str]:
    names = {alias: module for module, bound in aliases.items() for alias in bound}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            for alias in node.names:  # from .module import _name (not: from . import _module)
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"from .{node.module or ''} import {alias.name}")
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in names
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append(f"{node.value.id}.{node.attr} (line {node.lineno})")
    return found


@pytest.mark.parametrize("name", sorted(p.stem for p in PACKAGE.glob("*.py")))
def test_no_module_reads_another_modules_private_names(name: str) -> None:
    modules = _modules()
    tree = modules[name]
    aliases = _imported(name, tree, set(modules))
    assert _private_reads(tree, aliases) == []


def test_private_read_detection() -> None:
    tree = ast.parse("from . import communes\nfrom .x import _y\ncommunes._MEMORY.clear()\n")
    assert _private_reads(tree, {"communes": {"communes"}}) == [
        "from .x import _y",
        "communes._MEMORY (line 3)",
    ]
