"""The real-time CPI surprise and real CPI release dates, from vintages stored by a refresh.

No CPIAUCSL vintage history was recorded, so the real vintage data used here are GDP's ALFRED
all-releases (and FRED's recorded first-release answer for GDP), served under the id CPIAUCSL:
the code paths are the ones a CPIAUCSL store takes (the period, a quarter here, is inferred from
the dates). The release-day test serves the recorded CPIAUCSL observations with the recorded
vintage dates of UNRATE (a monthly BLS series, released on the first Friday or so) as CPIAUCSL's
vintage dates, so those days differ visibly from the 15th-of-the-month rule.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from macroattr.data_pipelines import build_panel
from macroattr.data_pipelines.cpi import cpi_surprise
from macroattr.data_pipelines.fred.refresh import refresh
from macroattr.data_pipelines.fred.store import SeriesStore
from macroattr.data_pipelines.releases import cpi_release_date
from macroattr.data_pipelines.vintages import first_releases
from tests.fred_server import load_fixture

from .conftest import fixture_json, wire_float

QUARTER = pd.DateOffset(months=3)


@pytest.fixture(autouse=True)
def no_embedded_consensus(monkeypatch):
    """These tests check the real-time AR(1) surprise from the FRED store's vintages (GDP's
    recorded vintages standing in for CPI): the embedded market consensus, which replaces the
    AR(1) surprise from 2007 on, is switched off so the statistical surprise is what is built."""
    from macroattr.data_pipelines import cpi

    empty = cpi.consensus_table().iloc[:0]
    monkeypatch.setattr(cpi, "consensus_table", lambda event="headline": empty)


@pytest.fixture
def gdp_as_cpi(client, fred_server, tmp_path):
    """A store whose CPIAUCSL entry holds GDP's real vintages (refreshed with --vintages)."""
    fred_server.add(load_fixture("GDP"), as_id="CPIAUCSL")
    try:
        store = SeriesStore(tmp_path / "store")
        refresh(store, client, ["CPIAUCSL"], vintages=True)
    finally:
        fred_server.add(load_fixture("CPIAUCSL"))
    return store


def _rows() -> pd.DataFrame:
    """GDP's recorded real-time periods, straight from the fixture (FRED's own realtime_end)."""
    v = fixture_json("GDP")["vintages"]
    return pd.DataFrame({
        "date": pd.to_datetime(v["date"]),
        "start": pd.to_datetime(v["realtime_start"]),
        "end": pd.to_datetime([e if e < "2262" else "2262-01-01" for e in v["realtime_end"]]),
        "value": [wire_float(x) for x in v["value"]],
    })


def _known_on(rows: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    """Values in force on ``day`` (the row whose real-time period contains it)."""
    r = rows[(rows["start"] <= day) & (rows["end"] >= day)]
    return r.set_index("date")["value"].dropna().sort_index()


def _ar1_by_hand(levels: pd.Series, target: pd.Timestamp) -> float:
    """AR(1) fitted on the 120 pairs (change k-1, change k), k = the 120 quarters before ``target``
    (>= 60 usable pairs), via np.polyfit; forecast from the last change."""
    idx = pd.date_range(target - 122 * QUARTER, target - QUARTER, freq="3MS")
    lev = levels.reindex(idx)
    chg = (100 * (lev / lev.shift(1) - 1)).to_numpy()
    x, y = chg[1:-1], chg[2:]
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 60 or not np.isfinite(chg[-1]):
        return np.nan
    slope, intercept = np.polyfit(x[ok], y[ok], 1)
    return intercept + slope * chg[-1]


def test_first_releases_equal_freds_own_first_release_answer(gdp_as_cpi):
    got = first_releases(gdp_as_cpi.read_vintages("CPIAUCSL"))
    want = fixture_json("GDP_recorded_checks")["first_release"]  # FRED's output_type=4 response
    assert list(got.index.strftime("%Y-%m-%d")) == want["date"]
    assert list(got["release_date"].dt.strftime("%Y-%m-%d")) == want["realtime_start"]
    np.testing.assert_array_equal(got["value"].to_numpy(), [float(x) for x in want["value"]])


def test_realtime_surprise_equals_hand_computation_from_first_releases(gdp_as_cpi):
    rows = _rows()
    first = fixture_json("GDP_recorded_checks")["first_release"]
    expected = {}
    for d, r, x in zip(first["date"], first["realtime_start"], first["value"], strict=True):
        d, r = pd.Timestamp(d), pd.Timestamp(r)
        prev_at_release = _known_on(rows, r)[d - QUARTER]
        actual = 100 * (float(x) / prev_at_release - 1)
        forecast = _ar1_by_hand(_known_on(rows, r - pd.Timedelta(days=1)), d)
        expected[(r + pd.offsets.MonthEnd(0)).normalize()] = actual - forecast
    expected = pd.Series(expected).sort_index()

    kw = dict(factors="cpi_surprise", source="fred", store=gdp_as_cpi.path, start="1995-01-01")
    panel = build_panel(**kw, end="2024-07-31")
    got = panel.data["cpi_surprise"]
    inside = expected[expected.index.isin(got.index)]
    assert len(inside) > 100
    np.testing.assert_allclose(got[inside.index].to_numpy(), inside.to_numpy(), rtol=0, atol=1e-9)
    # months without a release carry 0 (no print, no news)
    assert (got.drop(inside.index) == 0).all()
    meta = panel.meta["factors"]["cpi_surprise"]["real_time"]
    assert meta["values"] == "first releases" and meta["vintages"] == 395
    assert any(n.startswith("cpi_surprise: real time from 395 stored CPIAUCSL vintage(s)") for n in panel.meta["notes"])

    # an as-of panel shows the same surprise for every print released by then: no later revision leaks in
    asof = build_panel(**kw, end="2018-10-31", as_of="2019-01-01")  # last release by then: 26 Oct 2018
    pd.testing.assert_series_equal(asof.data["cpi_surprise"], got[:"2018-10-31"])
    # a release month is the month of the real release day, not the month after the reference month
    assert got["2024-07-31"] == pytest.approx(expected["2024-07-31"]) and got["2024-07-31"] != 0  # Q2 2024 on 25 July


def test_realtime_differs_from_latest_vintage_exactly_where_its_inputs_were_revised(gdp_as_cpi):
    rows = _rows()
    latest_levels = _known_on(rows, pd.Timestamp("2024-12-19"))
    latest = cpi_surprise(latest_levels)  # the one-vintage computation on today's revised values
    panel = build_panel(factors="cpi_surprise", source="fred", store=gdp_as_cpi.path, start="1992-01-01",
                        end="2024-07-31")
    tab_first = first_releases(gdp_as_cpi.read_vintages("CPIAUCSL"))
    differs, revised = set(), set()
    for d, (r, x) in tab_first.iterrows():
        month = (r + pd.offsets.MonthEnd(0)).normalize()
        if month not in panel.data.index:
            continue
        if panel.data.loc[month, "cpi_surprise"] != latest.loc[d, "surprise"]:
            differs.add(d)
        window = pd.date_range(d - 122 * QUARTER, d - QUARTER, freq="3MS")
        before = _known_on(rows, r - pd.Timedelta(days=1)).reindex(window)
        at = _known_on(rows, r)
        if (x != latest_levels[d] or at[d - QUARTER] != latest_levels[d - QUARTER]
                or not before.equals(latest_levels.reindex(window))):
            revised.add(d)
    assert len(differs) > 100
    assert differs == revised


@pytest.fixture
def cpi_with_vintage_dates(fred_server):
    fx = copy.deepcopy(load_fixture("CPIAUCSL"))
    fx["vintage_dates"] = load_fixture("UNRATE")["vintage_dates"]
    fred_server.add(fx)
    yield pd.DatetimeIndex(pd.to_datetime(fx["vintage_dates"]))
    fred_server.add(load_fixture("CPIAUCSL"))


def test_daily_panel_dates_prints_on_stored_vintage_dates(client, cpi_with_vintage_dates, tmp_path):
    store = SeriesStore(tmp_path / "store")
    refresh(store, client, ["CPIAUCSL"], vintages=True)
    assert store.read_vintage_dates("CPIAUCSL").equals(cpi_with_vintage_dates.rename("vintage_date"))
    kw = dict(freq="D", factors="cpi_surprise", source="fred", store=store.path, start="2016-01-04",
              end="2020-04-30")
    panel = build_panel(**kw)
    got = panel.data["cpi_surprise"]

    levels = store.read("CPIAUCSL")[0]
    tab = cpi_surprise(levels)  # one stored vintage: values as today, release days from vintage dates
    vd = cpi_with_vintage_dates
    want = {}
    for m in pd.date_range("2015-11-01", "2020-03-01", freq="MS"):
        day = vd[vd >= m + pd.DateOffset(months=1)][0]  # first vintage date after the month ends
        trading = got.index[got.index >= day]
        if day >= got.index[0] and len(trading):
            want[trading[0]] = want.get(trading[0], 0.0) + tab.loc[m, "surprise"]
    want = pd.Series(want).sort_index()
    nonzero = got[got != 0]
    assert list(nonzero.index) == list(want.index)
    np.testing.assert_allclose(nonzero.to_numpy(), want.to_numpy(), rtol=0, atol=1e-12)
    # the June 2019 print sits on the vintage date of 5 July 2019, not on the rule's 15 July
    assert got["2019-07-05"] == pytest.approx(tab.loc["2019-06-01", "surprise"], abs=1e-12)
    assert cpi_release_date(pd.DatetimeIndex(["2019-06-01"]))[0] == pd.Timestamp("2019-07-15")
    assert got["2019-07-15"] == 0
    [note] = [n for n in panel.meta["notes"] if n.startswith("cpi_surprise release dates")]
    runs = panel.meta["factors"]["cpi_surprise"]["real_time"]["release_dates"]
    [run] = [r for r in runs if r["first"] <= "2015-11-01" <= r["last"]]
    assert run["source"] == "vintage dates" and run["last"] == "2020-04-01"  # the fixture's dates end 2020-05-08
    assert note.startswith("cpi_surprise release dates: by FRED vintage dates for reference months ")
    assert f" {run['first'][:7]}..2020-04;" in note
    assert "by the BLS release calendar for reference months" in note  # after it


def test_without_vintage_dates_the_bls_calendar_is_used_and_said(client, tmp_path):
    store = SeriesStore(tmp_path / "store")
    refresh(store, client, ["CPIAUCSL"])  # no --vintages: no vintage dates stored
    assert store.read_vintage_dates("CPIAUCSL") is None
    panel = build_panel(freq="D", factors="cpi_surprise", source="fred", store=store.path,
                        start="2019-01-02", end="2019-12-31")
    got = panel.data["cpi_surprise"]
    assert got["2019-07-11"] != 0 and got["2019-07-05"] == 0 and got["2019-07-15"] == 0  # BLS: 11 July 2019
    notes = [n for n in panel.meta["notes"] if n.startswith("cpi_surprise")]
    assert any("by the BLS release calendar" in n for n in notes)
    assert any("one vintage: the FRED store's latest values" in n for n in notes)
    runs = panel.meta["factors"]["cpi_surprise"]["real_time"]["release_dates"]
    [run] = [r for r in runs if r["first"] <= "2019-06-01" <= r["last"]]
    assert run["source"] == "BLS calendar" and run["first"] == "2003-12-01"  # the rule only before the calendar
    assert {r["source"] for r in runs} <= {"BLS calendar", "rule (approximate)"}
