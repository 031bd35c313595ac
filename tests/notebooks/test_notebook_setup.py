"""macroattr.notebook.setup(): macroattr errors are one line in a real kernel; other errors
keep their traceback; teardown() restores IPython's default."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from macroattr.core.errors import FredError, InputError
from macroattr.notebook import error_line, setup, teardown
from macroattr.core.redact import register_secret


def test_error_line_is_the_cli_line_and_redacts_the_key():
    key = "abcdef0123456789abcdef0123456789"
    register_secret(key)
    line = error_line(FredError(f"FRED said no to api_key={key}\n  try later"))
    assert line.startswith("macroattr: error: FRED said no") and key not in line
    assert "\n" not in line


def test_setup_outside_ipython_is_a_no_op():
    assert setup() is False and teardown() is False


@pytest.mark.notebook
def test_one_line_errors_in_a_kernel():
    cells = [
        "import macroattr.notebook\nprint(macroattr.notebook.setup())",
        "from macroattr.data_pipelines import build_panel\nbuild_panel(freq='M', start='1900-01-01')",
        "1 / 0",
        "macroattr.notebook.teardown()\nbuild_panel(freq='X')",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    for c in nb.cells[1:]:
        c.metadata["tags"] = ["raises-exception"]
    NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    assert nb.cells[0].outputs[0]["text"] == "True\n"
    err = [o for o in nb.cells[1].outputs if o.output_type == "error"][0]
    assert err["ename"] == "InputError"
    assert err["traceback"] == [error_line(InputError(err["evalue"]))]
    assert "1900-01-01" in err["traceback"][0]
    # other exceptions keep IPython's full traceback
    zero = [o for o in nb.cells[2].outputs if o.output_type == "error"][0]
    assert zero["ename"] == "ZeroDivisionError" and len(zero["traceback"]) > 1
    # after teardown a macroattr error is a normal (multi-line) traceback again
    back = [o for o in nb.cells[3].outputs if o.output_type == "error"][0]
    assert back["ename"] == "InputError" and len(back["traceback"]) > 1
