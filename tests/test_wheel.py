"""The library built as a wheel and installed outside the checkout has its data.

The wheel is built from a copy of the checkout (a build writes ``*.egg-info``
and ``build/`` next to the sources: never into the checkout), installed with
pip into a fresh venv (without pip of its own; the dependencies are the test
venv's, through a ``.pth`` file added after the install so that pip never
sees the checkout's editable install), and run from another folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from geo.shipped.build import build_frames
from geo.shipped.report import data_report
from geo.shipped.tables import DATA_DIR

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = (
    "territories.geojson",
    "ptce.geojson",
    "tz_territories.csv",
    "ptce.csv",
    "qpv2024_communes.csv",
    "README.md",
)


def _run(*argv: str | Path, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["TZPTCE_OFFLINE"] = "1"  # the installed copy must not need the network either
    result = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return result


def _source_copy(target: Path) -> Path:
    target.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(ROOT / "geo", target / "geo", ignore=shutil.ignore_patterns("__pycache__"))
    (target / "data").mkdir()
    for file in (ROOT / "data").iterdir():
        if file.is_file():
            shutil.copy2(file, target / "data" / file.name)
    # the git-ignored boundary cache must never reach the wheel
    (target / "data" / "communes").mkdir()
    (target / "data" / "communes" / "cache.parquet").write_bytes(b"not package data")
    return target


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("wheel")
    source = _source_copy(base / "src")
    out = base / "dist"
    result = _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "-q",
        "-w",
        out,
        source,
        cwd=base,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (built,) = out.glob("tzptce_geo-*.whl")
    return built


def test_wheel_holds_the_modules_and_the_shipped_data(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for name in SHIPPED:
        assert f"geo/_data/{name}" in names, name
        with zipfile.ZipFile(wheel) as archive:
            assert archive.read(f"geo/_data/{name}") == (ROOT / "data" / name).read_bytes()
    modules = {f"geo/{p.relative_to(ROOT / 'geo')}" for p in (ROOT / "geo").rglob("*.py")}
    assert modules <= names, sorted(modules - names)
    browser = {  # the map runtime, the site's CSS/JS and its page templates
        f"geo/{p.relative_to(ROOT / 'geo')}"
        for folder in ("static", "templates")
        for p in (ROOT / "geo" / "publish" / folder).iterdir()
    }
    assert len(browser) >= 10 and browser <= names, sorted(browser - names)
    assert not [n for n in names if "communes/" in n or n.endswith(".parquet")]


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("venv")
    venv = base / "venv"
    result = _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=base)
    assert result.returncode == 0, result.stderr
    python = venv / "bin" / "python"
    result = _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--no-deps",
        "--no-index",
        "-q",
        wheel,
        cwd=base,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    purelib = _run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=base
    ).stdout.strip()
    # The dependencies: the test venv's site-packages, after the venv's own.
    Path(purelib, "test-venv-dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    return python


def test_installed_wheel_loads_its_data_outside_the_checkout(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import geo, geo.reference.qpv\n"
        "print(geo.__file__)\n"
        "print(len(geo.load_territories()), len(geo.load_ptce()))\n"
        "print(';'.join(geo.qpv_of_commune('78440')['code_qp']))\n"
    )
    result = _run(installed, "-c", code, cwd=elsewhere)
    assert result.returncode == 0, result.stderr[-3000:]
    where, counts, qpv = result.stdout.splitlines()[-3:]
    assert Path(where).is_relative_to(installed.parent.parent), where
    assert not Path(where).is_relative_to(ROOT), "the checkout's editable install was imported"
    territories, ptce = build_frames(DATA_DIR)
    assert counts == f"{len(territories)} {len(ptce)}"
    from geo.reference.qpv import qpv_of_commune

    assert qpv == ";".join(qpv_of_commune("78440")["code_qp"]) and qpv


def test_installed_wheel_draws_the_map_and_reports_from_another_folder(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = elsewhere / "carte.html"
    result = _run(installed, "-m", "geo", "map", "--out", out, cwd=elsewhere)
    assert result.returncode == 0, result.stderr[-3000:]
    html = out.read_text(encoding="utf-8")
    assert "Colombelles" in html and "Le Teil" in html  # the installed tables

    report = _run(installed, "-m", "geo", "data", "report", cwd=elsewhere)
    assert report.returncode == 0, report.stderr[-3000:]
    assert report.stdout == data_report(DATA_DIR) + "\n"

    # the installed data are read-only: a build needs --out
    build = _run(installed, "-m", "geo", "data", "build", cwd=elsewhere)
    assert build.returncode == 1
    assert "read-only" in build.stderr and "--out" in build.stderr


def test_installed_wheel_rebuilds_the_data_from_own_tables(installed, tmp_path):
    """A user of the wheel applies a new décret: own tables -> own data folder -> every command."""
    import csv

    tables = tmp_path / "tables"
    tables.mkdir()
    with open(ROOT / "data" / "tz_territories.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    header = list(rows[0])
    new = dict(rows[0], id="nouveau-territoire", nom="Nouveau territoire")  # a new décret
    with open(tables / "tz_territories.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows([*rows, new])
    shutil.copy2(ROOT / "data" / "ptce.csv", tables / "ptce.csv")
    out = tmp_path / "donnees"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = _run(
        installed, "-m", "geo", "data", "build", "--tables", tables, "--out", out, cwd=elsewhere
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "territoires ajoutés (1) :\n    - nouveau-territoire (Nouveau territoire)" in (
        result.stdout
    )
    assert "territoires retirés" not in result.stdout
    result = _run(installed, "-m", "geo", "data", "ids", "--data-dir", out, cwd=elsewhere)
    assert result.returncode == 0 and "nouveau-territoire" in result.stdout, result.stderr
    code = "import geo; print(len(geo.load_territories()))"
    env_result = subprocess.run(
        [str(installed), "-c", code],
        cwd=elsewhere,
        env={
            **{k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")},
            "TZPTCE_DATA_DIR": str(out),
            "TZPTCE_OFFLINE": "1",
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert env_result.stdout.strip() == str(len(rows) + 1), env_result.stderr[-2000:]
    assert not list((ROOT / "data").glob("nouveau*"))  # nothing written into the checkout
