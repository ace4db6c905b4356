"""The package's structure, checked mechanically from its source.

``geo`` is built in layers (``../shared/STYLE.md`` and the README's layout section):

    base       geo.errors, geo.settings, geo.schema, geo.crs
    _core      atomic files, downloads, progress, text, tables, header detection
    reference  COG, communes, boundary sources, QPV, lookup, geocoding, placement
    loading    load_territories, load_ptce
    analysis   synergies, observatory, timeline
    publish    maps, pages, uMap, site, charts, exports
    shipped    build, validate and report the shipped data
    top        geo/__init__, geo.cli (and its geo.cli_* command modules), geo.__main__
               and the one-release aliases

A module imports only modules of its own layer or of a layer listed above it
(function-level imports included), no two modules import each other (directly
or through others), and no module reads another module's private names.
JavaScript and CSS live in ``geo/publish/static/``, never in a ``.py`` file.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "geo"
ROOT_STATIC = PACKAGE / "publish" / "static"
LAYERS = ("base", "_core", "reference", "loading", "analysis", "publish", "shipped", "top")
BASE = {"geo.errors", "geo.settings", "geo.schema", "geo.crs"}
TOP = {
    "geo",
    "geo.cli",
    "geo.cli_analysts",
    "geo.cli_args",
    "geo.cli_data",
    "geo.cli_observatory",
    "geo.cli_publish",
    "geo.__main__",
    "geo.datasets",
    "geo.observatory",
}


def _dotted(path: Path) -> str:
    parts = ["geo", *path.relative_to(PACKAGE).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache  # parsed once per run; no test changes a tree
def _modules() -> dict[str, ast.Module]:
    return {
        _dotted(path): ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def layer_of(module: str) -> str:
    """The layer a dotted module name belongs to."""
    if module in BASE:
        return "base"
    if module in TOP:
        return "top"
    return module.split(".")[1]


def _is_package(module: str) -> bool:
    return (PACKAGE.joinpath(*module.split(".")[1:]) / "__init__.py").is_file()


def _imported(module: str, tree: ast.Module, known: set[str]) -> dict[str, set[str]]:
    """Modules of ``geo`` that ``module`` imports -> local names bound to them."""
    found: dict[str, set[str]] = {}
    package = module if _is_package(module) else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target != "geo" and not target.startswith("geo."):
                continue
            if target in known:
                found.setdefault(target, set())
            for alias in node.names:  # from geo.publish import maps
                sub = f"{target}.{alias.name}"
                if sub in known:
                    found.setdefault(sub, set()).add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known and alias.name != "geo":
                    found.setdefault(alias.name, set()).add(alias.asname or alias.name)
    found.pop(module, None)
    found.pop("geo", None)  # every module is under the package
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


def test_the_graph_sees_function_level_and_package_imports() -> None:
    graph = _graph()
    # cli imports its commands' modules inside functions only
    assert "geo.reference.communes" in graph["geo.cli"]
    assert "geo.reference.cog" in graph["geo.reference.communes"]


def test_every_module_has_a_known_layer() -> None:
    assert {layer_of(name) for name in _modules()} <= set(LAYERS)


def test_no_layer_imports_a_layer_above_it() -> None:
    rank = {layer: i for i, layer in enumerate(LAYERS)}
    upward = sorted(
        f"{name} ({layer_of(name)}) imports {target} ({layer_of(target)})"
        for name, targets in _graph().items()
        for target in targets
        if rank[layer_of(target)] > rank[layer_of(name)]
    )
    assert not upward, "\n".join(upward)


def test_layer_check_finds_an_upward_import() -> None:
    tree = ast.parse("from geo.publish import maps\nfrom ..analysis import synergies\n")
    known = {"geo.publish.maps", "geo.analysis.synergies", "geo.publish", "geo.analysis"}
    found = _imported("geo.reference.cog", tree, known)
    assert set(found) == {
        "geo.publish",
        "geo.publish.maps",
        "geo.analysis",
        "geo.analysis.synergies",
    }
    assert layer_of("geo.publish.maps") == "publish" and layer_of("geo.crs") == "base"


def test_nothing_but_the_top_imports_publish_or_shipped() -> None:
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in _graph().items()
        for target in targets
        if layer_of(target) in ("publish", "shipped")
        and layer_of(name) not in (layer_of(target), "top")
        and not (layer_of(name) == "shipped" and layer_of(target) == "publish")
    )
    assert not wrong, wrong


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = _graph()
    cycles = {}
    for name in sorted(graph):
        cycle = _cycle_through(graph, name)
        if cycle:
            cycles[name] = " -> ".join(cycle)
    assert not cycles, f"import cycles: {cycles}"


def test_cycle_detection_finds_a_cycle() -> None:
    assert _cycle_through({"a": {"b"}, "b": {"c"}, "c": {"a"}}, "a") == ["a", "b", "c", "a"]
    assert _cycle_through({"a": {"b"}, "b": set()}, "a") is None


def test_cog_is_the_bottom_of_reference() -> None:
    assert _graph()["geo.reference.cog"] <= {"geo.errors", "geo._core.text"}


def test_no_module_inside_geo_imports_the_package_itself() -> None:
    offenders = []
    for name, tree in _modules().items():
        if layer_of(name) == "top":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "geo" and node.level == 0:
                bad = [a.name for a in node.names if f"geo.{a.name}" not in _modules()]
                if bad:
                    offenders.append(f"{name}: from geo import {', '.join(bad)}")
    assert not offenders, offenders


def _private_reads(tree: ast.Module, aliases: dict[str, set[str]]) -> list[str]:
    names = {alias: module for module, bound in aliases.items() for alias in bound}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("geo"):
            for alias in node.names:  # from geo.x import _name (not: from geo import _module)
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    if node.module == "geo" or f"{node.module}.{alias.name}" in aliases:
                        continue
                    found.append(f"from {node.module} import {alias.name}")
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in names
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append(f"{node.value.id}.{node.attr} (line {node.lineno})")
    return found


@pytest.mark.parametrize("name", sorted(_modules()))
def test_no_module_reads_another_modules_private_names(name: str) -> None:
    modules = _modules()
    aliases = _imported(name, modules[name], set(modules))
    assert _private_reads(modules[name], aliases) == []


def test_private_read_detection() -> None:
    tree = ast.parse(
        "from geo.reference import communes\nfrom geo.x import _y\ncommunes._MEMORY.clear()\n"
    )
    assert _private_reads(tree, {"geo.reference.communes": {"communes"}}) == [
        "from geo.x import _y",
        "communes._MEMORY (line 3)",
    ]


# --------------------------------------------------------------------------- no JS/CSS in .py

#: A line of typical JavaScript: a function, an arrow, a declaration with a value, a DOM
#: call, a closing brace alone, a braced if/for/while.
_JS_LINE = re.compile(
    r"\bfunction\b\s*[\w$]*\s*\(|=>|\b(?:var|let|const)\s+[\w$]+\s*=|\bdocument\.\w"
    r"|\bwindow\.\w|\.addEventListener\(|^\s*\}\)?[;,]?\s*$|^\s*(?:if|for|while)\s*\(.*\)\s*\{"
)
#: A CSS rule (``selector { property: value }``, also several on one line) and a CSS
#: declaration alone on its line (``property: value;``).
_CSS_RULE = re.compile(r"[\w.#:\[\]=\"'*>+~ ,()-]+\{\s*[-a-z]+\s*:[^{}]*\}")
_CSS_DECL = re.compile(r"^\s*-?[a-z][-a-z]*\s*:\s*[^;{}]+;\s*$", re.M)
#: Browser code allowed in one string constant: the glue that starts the map
#: (``var m = L.map(...)``) and folium's one-rule map template stay under it; the map
#: runtime, its stylesheet or a site script would not (they had hundreds of such lines).
_BROWSER_SYNTAX_MAX = 2


def _string_constants(tree: ast.Module) -> list[tuple[int, str]]:
    """Every string constant, and every f-string with its fields as ``X``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.value))
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "X" for v in node.values)
            found.append((node.lineno, text))
    return found


def browser_syntax(text: str) -> int:
    """How many lines of JavaScript and CSS rules or declarations ``text`` holds."""
    js = sum(1 for line in text.splitlines() if _JS_LINE.search(line))
    return js + len(_CSS_RULE.findall(text)) + len(_CSS_DECL.findall(text))


def _browser_code(tree: ast.Module) -> list[str]:
    return [
        f"line {line}: {browser_syntax(text)} lines of JS/CSS syntax: {text[:60]!r}"
        for line, text in _string_constants(tree)
        if browser_syntax(text) > _BROWSER_SYNTAX_MAX
    ]


def test_no_py_file_holds_javascript_or_css() -> None:
    """No string constant (f-strings included) holds more than 2 lines of JS/CSS syntax."""
    found = {name: hits for name, tree in _modules().items() if (hits := _browser_code(tree))}
    assert not found, found


def test_browser_code_detection() -> None:
    js = (ROOT_STATIC / "site.js").read_text(encoding="utf-8")
    css = (ROOT_STATIC / "site.css").read_text(encoding="utf-8")
    for code in (js, css, ".a{color:red}.b{margin:0}.c>d{padding:1px}"):
        assert _browser_code(ast.parse(f"TEXT = {code!r}\n"))
    doubled = css.replace("{", "{{").replace("}", "}}")  # an f-string with a field
    assert _browser_code(ast.parse(f"def f(x):\n    return f{doubled + '{x}'!r}\n"))
    # the ordinary strings of a Python module are not browser code
    assert _browser_code(ast.parse(PACKAGE.joinpath("publish", "site.py").read_text())) == []
    assert browser_syntax('var m = L.map("m", {zoom: 6});') <= _BROWSER_SYNTAX_MAX
    assert browser_syntax("<p>Key: value; more.</p>\nA {b}: c") == 0


# --------------------------------------------------------------------------- templates from files

_ENVIRONMENTS = {"Environment", "SandboxedEnvironment", "ImmutableSandboxedEnvironment"}


def template_calls(tree: ast.Module) -> list[str]:
    """Where a module makes a Jinja2 template or environment, and from what.

    ``from_string(...)``, ``Template(<not a literal>)``, ``Template("<literal>")`` and
    ``...Environment(loader=...)`` calls, each as ``"kind line N"``.
    """
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name == "from_string":
            found.append(f"from_string line {node.lineno}")
        elif name == "Template":
            literal = bool(node.args) and isinstance(node.args[0], ast.Constant)
            kind = "literal Template" if literal else "Template from a value"
            found.append(f"{kind} line {node.lineno}")
        elif name in _ENVIRONMENTS:
            loader = any(k.arg == "loader" for k in node.keywords)
            found.append(
                f"{name}{'(loader=...)' if loader else ' without loader'} line {node.lineno}"
            )
    return sorted(found, key=lambda call: int(call.rsplit(" ", 1)[1]))


def test_no_template_is_built_from_a_string_at_run_time() -> None:
    """Pages come from template files through a loader; no template from a runtime string.

    The only Jinja2 environment of the package is the site's sandbox with a file
    loader; ``Template("...")`` appears only with a literal (folium's element
    templates in ``geo.publish.foliummap``: code, never data); ``from_string`` never.
    """
    calls = {name: found for name, tree in _modules().items() if (found := template_calls(tree))}
    envs = {name: [c for c in found if "Environment" in c] for name, found in calls.items()}
    assert {name: found for name, found in envs.items() if found} == {
        "geo.publish.site_templates": [envs["geo.publish.site_templates"][0]]
    }
    assert envs["geo.publish.site_templates"][0].startswith("SandboxedEnvironment(loader=...)")
    wrong = {
        name: [c for c in found if not c.startswith(("literal Template", "Sandboxed"))]
        for name, found in calls.items()
    }
    assert {name: found for name, found in wrong.items() if found} == {}


def test_template_call_detection() -> None:
    tree = ast.parse(
        "env = jinja2.Environment()\n"
        "page = env.from_string(row['nom']).render()\n"
        "t = Template(text)\n"
        "u = Template('{{ this }}')\n"
        "s = SandboxedEnvironment(loader=FileSystemLoader(d))\n"
    )
    assert template_calls(tree) == [
        "Environment without loader line 1",
        "from_string line 2",
        "Template from a value line 3",
        "literal Template line 4",
        "SandboxedEnvironment(loader=...) line 5",
    ]


# --- one job per module -------------------------------------------------------------
#
# How "one job's worth of code" is judged, mechanically: a module holds at most
# MAX_MODULE_LINES lines (docstrings and comments included), and a function at most
# MAX_FUNCTION_LINES lines of code, its docstring not counted. A declarative function
# is exempt: one without any branch or loop (no if, for, while, try, with, match,
# comprehension or conditional expression), such as the command line's argparse
# table, whose length is a list of options rather than logic.

MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 80
_BRANCHES = (
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.Try,
    ast.With,
    ast.AsyncWith,
    ast.Match,
    ast.comprehension,
    ast.IfExp,
)


def _code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function without its docstring."""
    lines = node.end_lineno - node.lineno + 1  # type: ignore[operator]
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        if isinstance(first.value.value, str):
            lines -= first.end_lineno - first.lineno + 1  # type: ignore[operator]
    return lines


def _declarative(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return not any(isinstance(n, _BRANCHES) for n in ast.walk(node))


def long_functions(tree: ast.Module, name: str) -> list[str]:
    """The functions of a module over MAX_FUNCTION_LINES lines of code, not declarative."""
    return [
        f"{name}.{node.name} (line {node.lineno}): {_code_lines(node)} lines"
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and _code_lines(node) > MAX_FUNCTION_LINES
        and not _declarative(node)
    ]


def _long_modules() -> list[str]:
    return [
        f"{path.relative_to(PACKAGE.parent)}: {lines} lines"
        for path in sorted(PACKAGE.rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]


# The size rules of issue 17: no allow-list; a failing run lists the offenders.
def test_no_module_over_800_lines() -> None:
    long = _long_modules()
    assert not long, f"{len(long)} modules over {MAX_MODULE_LINES} lines: {long}"


def test_no_function_over_80_lines_unless_declarative() -> None:
    long = [f for name, tree in _modules().items() for f in long_functions(tree, name)]
    assert not long, f"{len(long)} functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_size_judges_count_code_and_spare_declarative_functions() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(81))
    doc = '    """' + "\n" * 30 + '    """\n'
    straight = ast.parse(f"def f():\n{doc}{body}\n")
    assert long_functions(straight, "m") == []  # 81 assignments, no branch: declarative
    looped = ast.parse(f"def f():\n{doc}{body}\n    for _ in x0:\n        pass\n")
    assert long_functions(looped, "m") == ["m.f (line 1): 84 lines"]  # docstring not counted
    short = ast.parse(
        f"def f():\n{doc}" + "\n".join(body.splitlines()[:70]) + "\n    if x:\n        pass\n"
    )
    assert long_functions(short, "m") == []
