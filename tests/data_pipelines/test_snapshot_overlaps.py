"""The 2026 refresh: every overlap check the raw sources carry, re-run; the dividend days pinned.

Tests reading ``../shared/data/raw`` skip on a user's clone (one line) and fail under CI=true
(``raw_dir`` fixture, ``tests.cli.skip_unless_ci``); the pinned-value tests need only the snapshot.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from macroattr.data_pipelines import snapshot_tables as st
from macroattr.data_pipelines.calendars import cpi_release_days, fomc_days
from macroattr.data_pipelines.snapshot_build import _read_csv_series, _read_epu_monthly, _read_hull
from macroattr.data_pipelines.sources import get_series, snapshot_provenance

F = "fresh_2026/"


def _ret(s: pd.Series) -> pd.Series:
    return np.log(s).diff().dropna()


# -- pinned on the snapshot alone ------------------------------------------------------------------
def test_iwm_dividend_steps_sit_on_the_ex_dates():
    """IWM went ex-dividend on 2025-09-16 (the older adjusted copy missed it) and not on 2025-11-17
    (the older copy had a false -0.33% step there)."""
    r = _ret(get_series("IWM")[0])
    # raw close 239.35 -> 238.28 (-0.448%) plus the distribution step (+0.283%)
    assert r["2025-09-16"] == pytest.approx(-0.0016479489, abs=1e-9)
    assert r["2025-11-17"] == pytest.approx(-0.0200754959, abs=1e-9)  # = the raw-close return: no step
    spy = _ret(get_series("SPY")[0])
    assert spy["2025-11-17"] == pytest.approx(-0.0093600161, abs=1e-9)
    assert spy["2025-09-19"] == pytest.approx(0.0049406433, abs=1e-9)  # SPY's own ex-date


def test_snapshot_reaches_2026():
    prov = snapshot_provenance()
    assert prov.loc["USEPUINDXD", "last"] == "2026-09-30" and prov.loc["BAA10Y", "last"] == "2026-09-30"
    assert prov.loc["T5YIE", "last"] == "2026-08-21"
    for sid in ("IWM", "SPY", "^RUT", "^GSPC"):
        assert prov.loc[sid, "last"] == "2026-08-21", sid
    assert prov.loc["CPIAUCSL", "last"] == "2026-07-01" and prov.loc["CPILFESL", "last"] == "2026-07-01"
    assert prov.loc["DGS2", "last"] == "2026-04-17"  # no newer copy in the raw files: the panels say so
    assert fomc_days()[-1] == pd.Timestamp("2026-12-09") and cpi_release_days().iloc[-1] == pd.Timestamp("2026-12-10")


# -- the sources' own overlap checks, re-run --------------------------------------------------------
def test_daily_epu_vintages_agree_except_the_newest_month(raw_dir):
    old = _read_csv_series(raw_dir / "epu/USEPUINDXD.csv", "USEPUINDXD")
    ang = _read_csv_series(raw_dir / F / "epu_daily_angelicavanti/USEPUINDXD_2017_2026-07-27_commit29672f88.csv",
                           "USEPUINDXD")
    head = _read_csv_series(raw_dir / F / "epu_daily_angelicavanti/USEPUINDXD_2018_2025-12-31_HEAD.csv", "USEPUINDXD")
    fre = _read_csv_series(raw_dir / F / "epu_daily_freeggit_excerpt/USEPUINDXD_excerpt_2026-06-01_2026-09-30.csv",
                           "USEPUINDXD")
    c = old.index.intersection(ang.index)
    diff = (old[c] - ang[c]).abs()
    assert len(c) == 2992 and (diff[c < "2025-02-11"] == 0).all()
    assert (diff[c >= "2025-02-11"] > 0).sum() >= 25 and diff.max() == pytest.approx(233.25, abs=0.01)
    c = head.index.intersection(ang.index)
    assert ((head[c] - ang[c]).abs() == 0).all()  # the verified rebuild holds the git copy unchanged
    c = fre.index.intersection(ang.index)
    d = (fre[c] - ang[c]).abs()
    assert (d[c <= "2026-07-01"] == 0).all() and (d[c > "2026-07-01"] > 0).sum() == 26
    snap = get_series("USEPUINDXD")[0]
    assert snap["2025-03-11"] == ang["2025-03-11"] and snap["2026-07-27"] == fre["2026-07-27"]  # newest vintage wins


def test_monthly_epu_workbooks_agree_except_the_revised_months(raw_dir):
    old = _read_epu_monthly(raw_dir / "epu/US_Policy_Uncertainty_Data.xlsx", "News_Based_Policy_Uncert_Index")
    new = _read_epu_monthly(raw_dir / F / "epu_monthly_bosetridib/US_Policy_Uncertainty_Data.xlsx",
                            "News_Based_Policy_Uncert_Index")
    c = old.index.intersection(new.index)
    d = (old[c] - new[c]).abs()
    assert (d[c < "2025-08-01"] < 1e-4).all() and (d[c >= "2025-08-01"] > 1).all()
    assert new.index[-1] == pd.Timestamp("2026-01-01")


@pytest.mark.parametrize("series,files", [
    ("BAA10Y", ["credit/BAA10Y.csv", "credit/BAA10Y_2010_2025.csv", F + "fred_andrewsrh_2026-07/BAA10Y.csv",
                F + "heliar_market_base/fred__credit__credit.csv",
                F + "fred_freeggit_excerpts/BAA10Y_excerpt_2026-07-06_2026-09-30.csv"]),
    ("T5YIE", ["breakeven/T5YIE.csv", F + "fred_andrewsrh_2026-07/T5YIE.csv",
               F + "heliar_market_base/fred__inflation__inflation.csv"]),
    ("BAA", ["fred_monthly/BAA.csv", F + "fred_andrewsrh_2026-07/BAA.csv", F + "heliar_market_base/fred__credit__credit.csv"]),
    ("AAA", ["fred_monthly/AAA.csv", F + "fred_andrewsrh_2026-07/AAA.csv", F + "heliar_market_base/fred__credit__credit.csv"]),
    ("BAA10YM", ["fred_monthly/BAA10YM.csv", F + "fred_andrewsrh_2026-07/BAA10YM.csv"]),
])
def test_fred_downloads_identical_on_every_common_date(raw_dir, series, files):
    got = [_read_csv_series(raw_dir / f, series) for f in files]
    for i, a in enumerate(got):
        for b in got[i + 1:]:
            c = a.index.intersection(b.index)
            if len(c):
                assert float((a[c] - b[c]).abs().max()) == 0.0, (series, len(c))
    snap = get_series(series)[0]
    assert snap.index[-1] == max(g.index[-1] for g in got)


def test_cpi_levels_and_calendars(raw_dir):
    cpi = _read_csv_series(raw_dir / "fred_monthly/CPIAUCSL.csv", "CPIAUCSL")
    hel = _read_csv_series(raw_dir / F / "heliar_market_base/fred__inflation__inflation.csv", "CPI")
    c = cpi.index.intersection(hel.index)
    assert len(c) >= 948 and float((cpi[c] - hel[c]).abs().max()) == 0.0
    new = pd.read_csv(raw_dir / F / "cpi_release_dates_2026/cpi_release_dates.csv", dtype=str)
    old = pd.read_csv(raw_dir / "calendars/cpi_release_dates.csv", dtype=str)
    both = new.merge(old, on="reference_month", suffixes=("_new", "_old"))
    assert len(both) == 53 and (both["release_date_new"] == both["release_date_old"]).all()


def test_equity_sources_agree(raw_dir):
    rut_y = _read_csv_series(raw_dir / "equity_yahoo/RUT.csv", "Close")
    rut_h = _read_csv_series(raw_dir / F / "heliar_market_base/indices__RUT.csv", "close")
    c = rut_y.index.intersection(rut_h.index)
    c = c[c < "2026-02-23"]  # Yahoo's last row is intraday
    assert len(c) >= 2400 and float((rut_y[c] / rut_h[c] - 1).abs().max()) < 6e-4
    spx = _read_csv_series(raw_dir / F / "heliar_market_base/indices__SPX.csv", "close")
    gspc = _read_csv_series(raw_dir / "equity_yahoo/GSPC_1927_2023.csv", "Close")
    c = spx.index.intersection(gspc.index)
    assert len(c) == 1889 and float((spx[c] - gspc[c]).abs().max()) < 1e-3
    for t, n in (("IWM", 5658), ("SPY", 5759)):
        raw = _read_csv_series(raw_dir / F / f"etf_raw_kittycapital/{t}.csv", "Close")
        xj = _read_csv_series(raw_dir / f"equity_yahoo/xjcarter_{t}.csv", "Close")
        c = raw.index.intersection(xj.index)
        assert len(c) == n and float((raw[c] - xj[c]).abs().max()) < 1e-4
        # the old adjusted copy and the hull copy: same daily returns but on the two misplaced-step days
        old, hull = _ret(_read_csv_series(raw_dir / f"equity_yahoo/{t}.csv", "Close")), _ret(
            _read_hull(raw_dir / F / f"etf_adj_hullpipeline/{t}.csv"))
        c = old.index.intersection(hull.index)
        bad = c[(old[c] - hull[c]).abs().to_numpy() > 1e-3]
        assert set(bad.strftime("%Y-%m-%d")) <= {"2025-09-16", "2025-11-17", "2025-09-19"}, (t, list(bad))
        assert pd.Timestamp("2025-11-17") in bad
        # every dividend step of the hull copy (vs raw closes) is on a Mar/Jun/Sep/Dec day
        r_raw = _ret(raw)
        c = hull.index.intersection(r_raw.index)
        steps = c[(hull[c] - r_raw[c]).abs().to_numpy() > 1e-4]
        assert len(steps) >= 7 and steps.month.isin([3, 6, 9, 12]).all()
        snap = _ret(get_series(t)[0])
        c = snap.index.intersection(hull.index)
        assert float((snap[c] - hull[c]).abs().max()) < 1e-9  # the snapshot takes them as they are


def test_cpi_consensus_sources_agree_and_2024_07_11(raw_dir):
    cpi, _, checks = st.read_calendar_2026(raw_dir, cpi_release_days()[cpi_release_days().index <= "2025-11-01"],
                                           fomc_days()[fomc_days() <= "2025-12-31"])
    cons, cchecks = st.read_cpi_consensus(raw_dir, cpi)  # raises if the two calendars disagree on a row
    assert any("identical on" in c for c in cchecks)
    jul = cons[cons["release_date"] == "2024-07-11"].set_index("event")
    assert jul.loc["headline", "actual"] - jul.loc["headline", "consensus"] == pytest.approx(-0.2)
    assert jul.loc["core", "actual"] - jul.loc["core", "consensus"] == pytest.approx(-0.1)
    assert cons["release_date"].max() == pd.Timestamp("2026-08-12")
    assert not (cons["release_date"].dt.year == 2019).any()  # no consensus held for 2019


def test_election_odds_cross_checks(raw_dir):
    odds = st.read_election_odds(raw_dir)
    lines = st.overlap_checks(raw_dir, odds)
    assert "max |diff| 0.0000" in lines[0]  # Polymarket daily = its hourly export at 00:00 UTC
    corr = float(lines[1].rsplit(" ", 1)[1])
    assert corr > 0.5  # Kalshi's "Trump wins" moves with Polymarket
    assert set(odds["source"]) == {"polymarket", "predictit", "oddschecker", "fivethirtyeight"}
