"""The package type-checks: mypy on geo/ with the project's configuration, no error."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
import tomllib

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_mypy_is_clean_on_the_package():
    if importlib.util.find_spec("mypy") is None:
        pytest.fail("mypy is missing: pip install -e '.[test]' installs it")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            "/dev/null",  # nothing written into the checkout
            str(ROOT / "geo"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_package_ships_its_type_marker():
    assert (ROOT / "geo" / "py.typed").is_file()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["geo"]


def test_lazy_names_are_visible_to_type_checkers():
    tree = ast.parse((ROOT / "geo" / "__init__.py").read_text(encoding="utf-8"))
    lazy: dict[str, str] = {}
    typed: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "_LAZY":
            lazy = ast.literal_eval(node.value)
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom)
                for alias in imp.names:
                    typed[alias.asname or alias.name] = str(imp.module).removeprefix("geo.")
    assert lazy and typed == lazy, (
        "every name of geo._LAZY must also be imported under `if TYPE_CHECKING:` "
        "in geo/__init__.py, from the same module"
    )


def test_doctests_run_with_the_tests():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    options = config["tool"]["pytest"]["ini_options"]
    assert "--doctest-modules" in options["addopts"] and "geo" in options["testpaths"]
