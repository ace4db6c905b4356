"""The notebooks run top to bottom, offline, in a scratch copy of notebooks/, with no warning."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


@pytest.mark.parametrize(
    "name", ["01_prise_en_main.ipynb", "02_un_territoire.ipynb", "03_observatoire.ipynb"]
)
def test_notebook_runs(name, tmp_path, session_cache, monkeypatch):
    workdir = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, workdir)
    monkeypatch.setenv("TZPTCE_CACHE_DIR", str(session_cache))
    monkeypatch.setenv("TZPTCE_OFFLINE", "1")
    notebook = nbformat.read(workdir / name, as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code"), (
        "notebooks are stored without outputs"
    )
    before = sorted(p.relative_to(workdir) for p in workdir.rglob("*"))
    client = NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": workdir}}
    )
    client.execute()  # raises CellExecutionError naming the failing cell
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    stderr = [o["text"] for o in outputs if o.output_type == "stream" and o["name"] == "stderr"]
    assert not stderr, f"the notebook printed warnings or errors: {stderr}"
    after = sorted(p.relative_to(workdir) for p in workdir.rglob("*"))
    assert after == before, "a notebook wrote into its folder (the checkout)"
    html = [o for o in outputs if "text/html" in o.get("data", {})]
    if name != "03_observatoire.ipynb":
        assert any("leaflet" in o["data"]["text/html"].lower() for o in html), "the map is shown"
        assert all("<iframe title=" in o["data"]["text/html"] for o in html if "srcdoc" in str(o))
