"""The snapshot is the fallback source (docstring examples run in tests/architecture/test_doctests.py)."""

from __future__ import annotations


def test_auto_source_falls_back_to_snapshot_for_an_empty_store(tmp_path):
    from macroattr.data_pipelines import build_panel
    from macroattr.data_pipelines.sources import get_series

    s, meta = get_series("DGS2", source="auto", store=tmp_path)
    assert meta["source"] == "snapshot" and len(s) > 9000
    p = build_panel(freq="M", start="2024-01-01", end="2024-06-30", source="auto", store=tmp_path)
    assert {m["source"] for m in p.meta["series"].values()} == {"snapshot"}
