"""Every docstring example in the four packages runs (numpydoc ``Examples`` as doctests).

Modules are found from pyproject's package-dir map, so a new module is covered without
being listed.  Examples that need a fitted model, a network or a long run are marked
``# doctest: +SKIP`` in place.
"""

from __future__ import annotations

import doctest
import importlib

import pytest

from tests.support.layout import modules as _modules

# entry points that parse argv or start work when imported
NOT_IMPORTABLE = {"macroattr.cli.__main__", "macroattr.notebooks.build_notebooks"}
MODULES = sorted(m for m in _modules() if m not in NOT_IMPORTABLE)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    mod = importlib.import_module(name)
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                          verbose=False, report=True)
    assert res.failed == 0, f"{res.failed} of {res.attempted} examples in {name} failed"


def test_the_examples_are_many():
    """The suite really runs examples (a change that hid them all would fail here)."""
    total = 0
    for name in MODULES:
        finder = doctest.DocTestFinder()
        total += sum(len(t.examples) for t in finder.find(importlib.import_module(name)))
    assert total > 100
