"""End to end: refresh from the replay server, then build panels from the store (latest and as-of).

The as-of case uses the only real vintage history recorded (GDP's ALFRED all-releases),
served under the catalog id DGS2 so the panel's d_2y factor is built from it.
"""

from __future__ import annotations

import pandas as pd
import pytest

from macroattr.data_pipelines import build_panel
from macroattr.data_pipelines.fred.refresh import refresh
from macroattr.data_pipelines.fred.store import SeriesStore
from tests.fred_server import load_fixture


@pytest.fixture
def vintage_store(client, fred_server, tmp_path):
    fred_server.add(load_fixture("GDP"), as_id="DGS2")
    try:
        store = SeriesStore(tmp_path / "store")
        refresh(store, client, ["DGS2"], vintages=True)
    finally:
        fred_server.add(load_fixture("DGS2"))
    return store


def test_as_of_panel_differs_from_latest_exactly_where_vintages_differ(vintage_store):
    kw = dict(factors="d_2y", source="fred", store=vintage_store.path, start="2000-01-01", end="2018-04-30")
    latest = build_panel(**kw)
    asof = build_panel(**kw, as_of="2019-01-01")
    assert latest.data.index.equals(asof.data.index) and len(latest.data) > 50
    pd.testing.assert_series_equal(latest.data["rel_return"], asof.data["rel_return"])
    assert latest.meta["series"]["DGS2"]["source"] == asof.meta["series"]["DGS2"]["source"] == "fred"

    lev_latest, _ = vintage_store.read("DGS2")
    lev_asof, _ = vintage_store.read("DGS2", as_of="2019-01-01")
    obs_dates = lev_asof.index
    changed_level = {d for d in obs_dates if lev_asof[d] != lev_latest[d]}
    expected = set()
    for month_end in latest.data.index:
        d = month_end.to_period("M").to_timestamp()  # the observation dated the 1st of that month
        prev = obs_dates[obs_dates.get_loc(d) - 1]
        if d in changed_level or prev in changed_level:
            expected.add(month_end)
    differs = set(latest.data.index[latest.data["d_2y"] != asof.data["d_2y"]])
    assert differs == expected and len(differs) > 10
    # where no vintage differs, the panels agree to the last bit
    same = latest.data.index.difference(sorted(differs))
    assert (latest.data.loc[same, "d_2y"] == asof.data.loc[same, "d_2y"]).all()


def test_auto_source_uses_store_when_it_has_the_series(client, tmp_path):
    store = SeriesStore(tmp_path / "store")
    refresh(store, client, ["DGS2"])
    kw = dict(factors="d_2y", start="2016-01-01", end="2024-06-30", store=store.path)
    auto = build_panel(source="auto", **kw)
    snap = build_panel(source="snapshot", **kw)
    assert auto.meta["series"]["DGS2"]["source"] == "fred"
    assert snap.meta["series"]["DGS2"]["source"] == "snapshot"
    # both are the same real FRED series, fetched at different times: identical over the overlap
    pd.testing.assert_series_equal(auto.data["d_2y"], snap.data["d_2y"], check_exact=False, atol=1e-9)
