"""The browser code in ``geo/publish/static/``: eslint, and ``node --test`` on its pure functions.

These run without Chromium, so a JavaScript regression fails the quick loop too:
``tests/browser/eslint.config.mjs`` lints every ``.js`` file with eslint's recommended rules
(browser globals, Leaflet's ``L``), and ``tests/js/*.test.mjs`` unit-test the map runtime's
formatting, search and filtering functions with ``node --test``. ``scripts/install-test-deps``
installs node and eslint (``npm ci --prefix tests/browser``).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "geo" / "publish" / "static"
BROWSER_DIR = ROOT / "tests" / "browser"
ESLINT = BROWSER_DIR / "node_modules" / ".bin" / "eslint"
CONFIG = BROWSER_DIR / "eslint.config.mjs"
NODE = shutil.which("node")


def _eslint(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    if not ESLINT.exists():
        pytest.skip(f"needs eslint in {ESLINT.parent}: npm ci --prefix tests/browser")
    return subprocess.run(
        [str(ESLINT), "--config", str(CONFIG), "--max-warnings", "0", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_eslint_finds_no_problem_in_the_shipped_js() -> None:
    result = _eslint("--format", "json", "geo/publish/static")
    reports = json.loads(result.stdout)
    problems = [
        f"{Path(r['filePath']).name}:{m.get('line')}: {m['message']} ({m.get('ruleId')})"
        for r in reports
        for m in r["messages"]
    ]
    assert result.returncode == 0 and not problems, "\n".join(problems) or result.stderr
    # every shipped file was linted (not skipped as outside the config's reach)
    assert sorted(Path(r["filePath"]).name for r in reports) == sorted(
        p.name for p in STATIC.glob("*.js")
    )


def test_eslint_reports_real_mistakes() -> None:
    # the mutant: a config that lints nothing, or turns the recommended rules off
    code = (
        "var x = 1;\nundefinedName(x);\n"  # a typo in a name
        "function f() { var unused = 1; }\nf();\n"
        "if (x = window.y) { L.map(x); }\n"
    )
    result = _eslint(
        "--format", "json", "--stdin", "--stdin-filename", "geo/publish/static/x.js", stdin=code
    )
    rules = {m.get("ruleId") for r in json.loads(result.stdout) for m in r["messages"]}
    assert result.returncode == 1, result.stderr
    assert rules == {"no-undef", "no-unused-vars", "no-cond-assign"}, rules


def test_node_unit_tests_of_the_map_runtime_pass() -> None:
    if NODE is None:
        pytest.skip("needs node on PATH (scripts/install-test-deps)")
    tests = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "js").glob("*.test.mjs"))
    assert tests, "no tests/js/*.test.mjs"
    result = subprocess.run(
        [NODE, "--test", *tests],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = result.stdout + result.stderr
    counts = dict(re.findall(r"^# (tests|pass|fail) (\d+)$", out, re.M))
    assert result.returncode == 0 and counts.get("fail") == "0", out
    assert int(counts["pass"]) >= 16 and counts["pass"] == counts["tests"], out
