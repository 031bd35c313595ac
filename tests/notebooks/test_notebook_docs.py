"""The benchmark helpers' docstring examples stay true (package modules: tests/architecture)."""

from __future__ import annotations

import doctest
import importlib.util

from .conftest import REPO


def test_import_time_helpers_examples():
    spec = importlib.util.spec_from_file_location("import_time", REPO / "benchmarks" / "import_time.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert res.failed == 0 and res.attempted > 0
