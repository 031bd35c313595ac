"""The runnable examples in the notebook-facing modules' docstrings stay true."""

from __future__ import annotations

import doctest
import importlib
import importlib.util

import pytest

from .conftest import REPO

MODULES = ["models.display", "macroattr.notebook"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    res = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert res.failed == 0 and res.attempted > 0


def test_import_time_helpers_examples():
    spec = importlib.util.spec_from_file_location("import_time", REPO / "benchmarks" / "import_time.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert res.failed == 0 and res.attempted > 0
