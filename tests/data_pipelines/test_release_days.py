"""CPI prints sit on their BLS release days; no as-of panel holds a print before its release."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from macroattr.data_pipelines import build_panel, calendars
from macroattr.data_pipelines.cpi import apply_consensus_table, consensus_table, cpi_surprise
from macroattr.data_pipelines.releases import APPROXIMATE, CALENDAR, cpi_release_days_for
from macroattr.data_pipelines.sources import get_series


@pytest.fixture(scope="module")
def prints() -> pd.DataFrame:
    """Per print: the embedded consensus surprise where held, else the AR(1) surprise (the factor's rule)."""
    return apply_consensus_table(cpi_surprise(get_series("CPIAUCSL")[0]), consensus_table())


@pytest.fixture(scope="module")
def surprises(prints) -> pd.Series:
    return prints["surprise"]


def _days(prints: pd.DataFrame) -> pd.Series:
    """Release day per reference month: the consensus calendar's day where a consensus print is used
    (two 2007 prints came out a day after the transcribed BLS listing), else the BLS calendar."""
    days = calendars.cpi_release_days().copy()
    own = prints["release_date"].dropna()
    own = own[own.index.isin(days.index)]
    days[own.index] = own.to_numpy()
    return days


@pytest.fixture(scope="module")
def daily_cpi() -> pd.Series:
    return build_panel(freq="D", factors="cpi_surprise", start="2004-01-02", end="2025-12-31").data["cpi_surprise"]


def test_calendar_holds_every_release_2004_2026_and_the_shutdowns():
    days = calendars.cpi_release_days()
    assert days.index[0] == pd.Timestamp("2003-12-01") and days.index[-1] == pd.Timestamp("2026-11-01")
    full = pd.date_range("2003-12-01", "2026-11-01", freq="MS")
    assert list(full.difference(days.index)) == [pd.Timestamp("2025-10-01")]  # one row a month but Oct 2025
    assert days["2026-06-01"] == pd.Timestamp("2026-07-14") and days["2026-11-01"] == pd.Timestamp("2026-12-10")
    assert (days > days.index + pd.offsets.MonthEnd(0)).all()  # released after the month ends
    assert days["2013-09-01"] == pd.Timestamp("2013-10-30")  # 2013 shutdown
    assert days["2025-09-01"] == pd.Timestamp("2025-10-24")  # 2025 shutdown
    assert pd.Timestamp("2025-10-01") not in days.index  # October 2025: never published
    assert days["2025-11-01"] == pd.Timestamp("2025-12-18")


def test_every_daily_print_2004_2025_is_on_its_release_trading_day(daily_cpi, surprises, prints):
    days = _days(prints)
    days = days[days <= daily_cpi.index[-1]]
    idx = daily_cpi.index
    want = pd.Series(0.0, index=idx)
    for ref, day in days.items():
        s = surprises.get(ref, np.nan)
        if not np.isfinite(s):
            continue
        pos = idx.searchsorted(day)  # first trading day on or after the release day
        assert pos < len(idx), ref
        if idx[pos] != day:  # a release on a market holiday moves to the next session
            assert (idx[pos] - day).days <= 4, ref
        want.iloc[pos] += s
    # the first days of 2004 carry the rule-dated November 2003 print; compare from the first calendar release
    sl = slice(days.iloc[0], None)
    np.testing.assert_allclose(daily_cpi[sl].to_numpy(), want[sl].to_numpy(), rtol=0, atol=1e-12)
    assert daily_cpi["2024-07-11"] == pytest.approx(surprises["2024-06-01"], abs=1e-12)
    assert daily_cpi["2024-07-15"] == 0.0
    assert daily_cpi["2013-10-30"] == pytest.approx(surprises["2013-09-01"], abs=1e-12)
    assert daily_cpi["2013-10-15"] == 0.0
    assert daily_cpi["2025-10-24"] == pytest.approx(surprises["2025-09-01"], abs=1e-12)


def test_monthly_panel_puts_each_print_in_its_release_month(surprises, prints):
    m = build_panel(freq="M", factors="cpi_surprise", start="2004-01-31", end="2025-12-31").data["cpi_surprise"]
    days = _days(prints)
    days = days[days <= pd.Timestamp("2025-12-31")]
    ok = surprises.reindex(days.index).notna()
    want = surprises.reindex(days.index)[ok].groupby(days[ok].to_numpy().astype("datetime64[M]")).sum()
    want.index = pd.DatetimeIndex(want.index) + pd.offsets.MonthEnd(0)
    np.testing.assert_allclose(m.reindex(want.index).to_numpy(), want.to_numpy(), rtol=0, atol=1e-12)
    assert m["2013-10-31"] == pytest.approx(surprises["2013-09-01"], abs=1e-12)  # Sep 2013 CPI out 30 Oct
    assert m["2025-11-30"] == 0.0  # no October 2025 print, so nothing released in November 2025


def test_as_of_never_holds_a_print_before_its_release_day():
    """Walk every BLS release 2004-2025: the day before it the print is absent, on the day present."""
    days = calendars.cpi_release_days()
    cpi = get_series("CPIAUCSL")[0]
    for ref, day in days.items():
        if ref not in cpi.index:
            continue
        before = get_series("CPIAUCSL", as_of=day - pd.Timedelta(days=1))[0]
        on = get_series("CPIAUCSL", as_of=day)[0]
        assert before.index.max() < ref, (ref, day)
        assert on.index.max() == ref, (ref, day)


@pytest.mark.parametrize("as_of,ref,release", [
    ("2013-10-20", "2013-09-01", "2013-10-30"),  # 2013 shutdown: September CPI came out 30 October
    ("2025-10-23", "2025-09-01", "2025-10-24"),  # 2025 shutdown: September CPI came out 24 October
    ("2024-07-10", "2024-06-01", "2024-07-11"),
])
def test_as_of_panels_around_shutdown_prints(as_of, ref, release, surprises):
    p = build_panel(freq="D", factors="cpi_surprise", as_of=as_of, start=pd.Timestamp(as_of) - pd.Timedelta(days=60))
    s = p.data["cpi_surprise"]
    assert s.index[-1] <= pd.Timestamp(as_of)
    assert not np.isclose(s[s != 0], surprises[ref], atol=1e-12).any()  # the print is not there yet
    later = build_panel(freq="D", factors="cpi_surprise", as_of=release,
                        start=pd.Timestamp(as_of) - pd.Timedelta(days=60)).data["cpi_surprise"]
    assert later[release] == pytest.approx(surprises[ref], abs=1e-12)


def test_pre_2004_days_are_flagged_approximate():
    days, how = cpi_release_days_for(pd.DatetimeIndex(["2003-11-01", "2003-12-01"]))
    assert list(how) == [APPROXIMATE, CALENDAR]
    assert days[1] == pd.Timestamp("2004-01-16")
    p = build_panel(freq="M", factors="cpi_surprise", start="2003-01-31", end="2004-06-30")
    [note] = [n for n in p.meta["notes"] if n.startswith("cpi_surprise release dates")]
    assert "APPROXIMATE rule" in note and "the BLS release calendar for reference months 2003-12" in note
    runs = p.meta["factors"]["cpi_surprise"]["real_time"]["release_dates"]
    early = {r["source"] for r in runs if r["first"] < "2006-12-01"}  # no consensus before 2007
    assert early == {APPROXIMATE, CALENDAR}


def test_as_of_cpi_factor_walk_over_every_release(surprises, prints):
    """The daily CPI factor as of the day before each release holds no print of that month; as of the day it does."""
    from macroattr.data_pipelines.factors import Getter, build_factor
    from macroattr.data_pipelines.target import snapshot_target

    cal = snapshot_target("D", Getter())[0].index
    days = _days(prints)
    for ref, day in days[days <= cal[-1]].items():
        before = build_factor("cpi_surprise", "D", Getter(as_of=day - pd.Timedelta(days=1)), cal).values
        assert before.index[-1] < day, (ref, day)  # nothing dated on or after the release
        s = surprises.get(ref, np.nan)
        if not np.isfinite(s):
            continue
        on = build_factor("cpi_surprise", "D", Getter(as_of=day), cal).values
        first = cal[cal.searchsorted(day)]
        if first <= day:  # released on a trading day: the print is there, on that day
            assert on[first] == pytest.approx(s, abs=1e-12), (ref, day)
