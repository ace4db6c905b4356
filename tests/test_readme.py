"""The README's two set-up commands stay true: CI runs the test command verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_readme_has_two_setup_commands():
    commands = setup_commands()
    assert len(commands) == 2, commands
    main_job, tests = commands
    assert "python -m geo map" in main_job
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert setup_commands()[1] in ci


def test_scripts_named_by_the_readme_exist():
    for command in setup_commands():
        for script in re.findall(r"\./(scripts/[\w.-]+)", command):
            assert (ROOT / script).is_file(), script


def test_readme_quick_start_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Jupyter quick start", 1)[1]
    code = re.findall(r"```python\n(.+?)\n```", section, flags=re.S)[0]
    assert len(code.splitlines()) < 10
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert len(namespace["table"]) > 0
    assert {"overlap", "near"} <= set(namespace["table"]["relation"])


def test_readme_own_file_example_loads(tmp_path):
    import geo

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Bring your own territories or PTCE", 1)[1]
    table = re.findall(r"```text\n(.+?)\n```", section, flags=re.S)[0]
    path = tmp_path / "mes_territoires.csv"
    path.write_bytes(table.encode("cp1252"))  # as the README says: ';', Windows-1252
    territories = geo.load_territories(path)
    assert list(territories["codes_insee"]) == ["14167", "78440", "60684"]
    assert list(territories["statut"]) == ["TH", "TH", "PE"]


def test_readme_analyst_block_runs(tmp_path, monkeypatch):
    import pyogrio

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Jupyter quick start", 1)[1].split("\n## ", 1)[0]
    first, second = re.findall(r"```python\n(.+?)\n```", section, flags=re.S)[:2]
    monkeypatch.chdir(tmp_path)  # the block writes tzptce.gpkg and carte.pdf where it runs
    namespace: dict = {}
    exec(compile(first + "\n" + second, "README.md", "exec"), namespace)
    assert namespace["autour"].crs.to_epsg() == 4326
    isolated = namespace["isoles"]
    assert isolated.geometry.name == "territory_geometry" and isolated.crs.to_epsg() == 4326
    assert set(isolated.geom_type) <= {"Polygon", "MultiPolygon"} and len(isolated) > 0
    assert isolated.attrs["metric_crs"]["metropole"] == "EPSG:2154"
    layers = pyogrio.list_layers(tmp_path / "tzptce.gpkg")
    assert [(name, kind) for name, kind in layers] == [
        ("isoles", "MultiPolygon"),
        ("liens", "LineString"),
        ("ptce_autour", "Point"),
    ]
    assert (tmp_path / "carte.pdf").read_bytes().startswith(b"%PDF")
    page = namespace["carte"].get_root().render()
    assert "Mon repère" in page and "leaflet.awesome-markers.js" in page
    image = ROOT / "maps" / "static_synergies.png"
    assert image.is_file() and f"]({image.relative_to(ROOT)})" in readme
