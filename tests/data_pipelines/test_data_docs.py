"""The runnable examples in the data_pipelines docstrings stay true (they use real snapshot data)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["data_pipelines", "data_pipelines.transforms", "data_pipelines.releases", "data_pipelines.sources",
           "data_pipelines.catalog", "data_pipelines.cpi", "data_pipelines.user_files", "data_pipelines.target",
           "data_pipelines.factors", "data_pipelines.panel", "data_pipelines.vintages", "data_pipelines.fred.store"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    res = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0 and (res.attempted > 0 or name == "data_pipelines.sources")


def test_auto_source_falls_back_to_snapshot_for_an_empty_store(tmp_path):
    from data_pipelines import build_panel
    from data_pipelines.sources import get_series

    s, meta = get_series("DGS2", source="auto", store=tmp_path)
    assert meta["source"] == "snapshot" and len(s) > 9000
    p = build_panel(freq="M", start="2024-01-01", end="2024-06-30", source="auto", store=tmp_path)
    assert {m["source"] for m in p.meta["series"].values()} == {"snapshot"}
