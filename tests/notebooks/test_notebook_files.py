"""The stored notebooks: clean (no outputs), python3 kernel, one papermill parameter cell,
and identical to what notebooks/build_notebooks.py generates."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from .conftest import NOTEBOOKS

NAMES = ["01_quickstart.ipynb", "02_refit_and_compare.ipynb", "03_july_2024_rotation.ipynb",
         "04_bring_your_own_data.ipynb", "quarterly_report.ipynb"]


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_clean_and_parameterised(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code), "store without outputs"
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    # every notebook opts in to one-line errors before it does anything else
    first_code = code[code.index(tagged[0]) + 1]
    assert "macroattr.notebook.setup()" in first_code.source


def test_every_notebook_is_listed():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(NAMES)


def test_notebooks_match_their_generator():
    res = subprocess.run([sys.executable, str(NOTEBOOKS / "build_notebooks.py"), "--check"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
