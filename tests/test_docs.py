"""The documentation cannot rot: the tutorial notebook runs cell by cell on a real Jupyter kernel,
and the mkdocs site (with the API reference from the docstrings) builds in strict mode."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_tutorial_notebook_runs():
    nbformat = pytest.importorskip("nbformat", reason="the test extras install nbformat")
    from nbclient import NotebookClient

    nb = nbformat.read(ROOT / "docs" / "tutorial.ipynb", as_version=4)
    assert any("run_batch" in c.source for c in nb.cells) and any("from_geodataframe" in c.source for c in nb.cells)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "docs")}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                     for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "relief_within_target" in text and "OPTIMAL" in text and "Figure" in text


def test_the_docs_site_builds_strict(tmp_path):
    pytest.importorskip("mkdocstrings", reason="the test extras install mkdocs and mkdocstrings")
    res = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    api = (tmp_path / "site" / "api" / "location" / "index.html").read_text(encoding="utf-8")
    assert "from_geodataframe" in api and (tmp_path / "site" / "tutorial.ipynb").is_file()
