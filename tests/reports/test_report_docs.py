"""The runnable examples in the reports and pipeline docstrings stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["reports.figures", "reports.narrative", "reports.quarters", "reports.tables",
           "reports.render", "macroattr.pipeline"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    res = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert res.failed == 0 and res.attempted > 0
