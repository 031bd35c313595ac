"""The default panels on real (snapshot) data: spans, groups, units, known values, round trips."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from macroattr.data_pipelines import calendars, Panel, build_panel, catalog
from macroattr.core.errors import InputError


def test_default_monthly_panel_spans_1989_to_2025_without_gaps(monthly_panel):
    d = monthly_panel.data
    assert d.index[0] <= pd.Timestamp("1990-01-31")
    assert d.index[-1] >= pd.Timestamp("2024-12-31")
    assert list(d.columns) == ["rel_return", *catalog.DEFAULT_FACTORS]
    assert not d.isna().any().any()
    # one row per month, no month skipped
    months = d.index.to_period("M")
    assert (np.diff(months.asi8) == 1).all()


def test_factors_carry_group_and_unit(monthly_panel):
    m = monthly_panel.meta
    assert m["groups"] == {"rates": ["d_2y", "mp_target", "mp_path"], "inflation": ["cpi_surprise"],
                           "leverage": ["d_baa_spread"], "political": ["d_rep_win_prob", "dlog_epu"]}
    assert m["units"] == {"rel_return": "pp", "d_2y": "pp", "mp_target": "pp", "mp_path": "pp",
                          "cpi_surprise": "pp", "d_baa_spread": "pp", "d_rep_win_prob": "pp",
                          "dlog_epu": "log change"}
    for name in catalog.DEFAULT_FACTORS:
        assert m["factors"][name]["group"] == catalog.get(name).group
        assert (m["factors"][name]["fred_ids"] or m["factors"][name].get("surprise_sources")
                or m["factors"][name].get("odds_sources"))
    json.dumps(m)  # JSON-serialisable


def test_july_2024_rel_return_matches_raw_closes(monthly_panel, raw_dir):
    # from 2024-06-27 the total-return legs are the hull adjusted closes (dividend steps on the ex-dates)
    def hull(t):
        return pd.read_csv(raw_dir / f"fresh_2026/etf_adj_hullpipeline/{t}.csv", skiprows=3, header=None,
                           index_col=0)[1]

    iwm, spy = hull("IWM"), hull("SPY")
    expected = 100 * (np.log(iwm["2024-07-31"] / iwm["2024-06-28"]) - np.log(spy["2024-07-31"] / spy["2024-06-28"]))
    got = monthly_panel.data.loc["2024-07-31", "rel_return"]
    assert got == pytest.approx(expected, abs=1e-10)
    assert 8.0 < got < 9.5  # IWM +10.3%, SPY +1.2% (raw PROVENANCE.md)


def test_target_splice_is_recorded_and_index_based_before_etfs(monthly_panel, raw_dir):
    spans = monthly_panel.meta["target_sources"]
    assert [s["source"] for s in spans] == ["^RUT/^GSPC", "IWM/SPY"]
    assert spans[1]["first"] == "2000-06-30" and spans[0]["last"] == "2000-05-31"
    rut = pd.read_csv(raw_dir / "equity_yahoo/RUT.csv", index_col="Date")["Close"]
    gspc = pd.read_csv(raw_dir / "equity_yahoo/GSPC_1927_2023.csv", index_col="Date")["Close"]
    # 1995-03: last trading days 1995-02-28 and 1995-03-31
    exp = 100 * (np.log(rut["1995-03-31"] / rut["1995-02-28"]) - np.log(gspc["1995-03-31"] / gspc["1995-02-28"]))
    assert monthly_panel.data.loc["1995-03-31", "rel_return"] == pytest.approx(exp, abs=1e-10)


def test_monthly_factor_values_from_raw(monthly_panel, raw_dir):
    dgs2 = pd.read_csv(raw_dir / "fred_rates/DGS2.csv", index_col=0)["DGS2"]
    assert monthly_panel.data.loc["2024-07-31", "d_2y"] == pytest.approx(dgs2["2024-07-31"] - dgs2["2024-06-28"])
    baa = pd.read_csv(raw_dir / "credit/BAA10Y.csv", index_col=0)["BAA10Y"]
    assert monthly_panel.data.loc["2020-03-31", "d_baa_spread"] == pytest.approx(baa["2020-03-31"] - baa["2020-02-28"])
    srcs = monthly_panel.meta["factors"]["d_baa_spread"]["sources"]
    assert srcs[0]["source"] == "BAA10YM" and srcs[-1]["source"] == "BAA10Y"


def test_catalog_first_dates_match_what_the_snapshot_gives():
    every = list(catalog.FACTORS)
    from macroattr.data_pipelines.factors import Getter, build_factor
    from macroattr.data_pipelines.target import snapshot_target

    for freq in ("M", "D"):
        get = Getter()
        y, _ = snapshot_target(freq, get)
        for name in every:
            if freq not in catalog.get(name).first_date:  # FRED-store-only or monthly-only factors
                continue
            first = build_factor(name, freq, get, y.index).values.dropna()
            first = first[first.index.isin(y.index)].index[0]
            assert catalog.get(name).first_date[freq] == first.strftime("%Y-%m-%d"), (name, freq)


def test_daily_panel_and_cpi_release_days():
    p = build_panel(freq="D", start="2024-01-02", end="2024-12-31")
    d = p.data
    assert not d.isna().any().any()
    nonzero = d.index[d["cpi_surprise"] != 0]
    days = calendars.cpi_release_days()
    days = days[(days >= "2024-01-02") & (days <= "2024-12-31")]
    assert len(days) == 12 and set(nonzero) <= set(days)  # prints only on BLS release days
    # actual minus consensus (pp); 0 where the print matched the consensus (a measured zero)
    assert d.loc["2024-07-11", "cpi_surprise"] == pytest.approx(-0.2)  # June 2024 CPI: -0.1 vs +0.1
    assert pd.Timestamp("2024-07-15") not in nonzero
    # daily target sums to the monthly one (log returns add) over July 2024
    m = build_panel(freq="M", start="2024-07-01", end="2024-07-31", factors="d_2y")
    assert d.loc["2024-07-01":"2024-07-31", "rel_return"].sum() == pytest.approx(m.data["rel_return"].iloc[0], abs=1e-9)


def test_to_file_read_round_trip(tmp_path, monthly_panel):
    for name in ("p.csv", "p.parquet"):
        out = monthly_panel.to_file(tmp_path / name)
        assert (tmp_path / f"{name}.meta.json").is_file()
        back = Panel.read(out)
        pd.testing.assert_frame_equal(back.data, monthly_panel.data, check_freq=False)
        assert back.meta == json.loads(json.dumps(monthly_panel.meta))


def test_read_without_sidecar_is_a_plain_panel_and_bad_files_fail(tmp_path, monthly_panel):
    out = monthly_panel.to_file(tmp_path / "p.csv")
    (tmp_path / "p.csv.meta.json").unlink()
    plain = Panel.read(out)  # the sidecar is optional metadata
    pd.testing.assert_frame_equal(plain.data, monthly_panel.data, check_freq=False)
    assert plain.meta["freq"] == "M" and plain.meta["groups"] == {}
    assert "no .meta.json sidecar" in plain.meta["notes"][0]
    (tmp_path / "p.csv.meta.json").write_text('{"not": "ours"}')
    with pytest.raises(InputError, match="not a macroattr panel sidecar"):
        Panel.read(out)
    with pytest.raises(InputError, match="must end in .csv or .parquet"):
        Panel.read(tmp_path / "p.txt")
    out = monthly_panel.to_file(tmp_path / "q.csv")
    text = out.read_text().splitlines()
    text[5] = text[5].rsplit(",", 1)[0] + ","
    out.write_text("\n".join(text))
    with pytest.raises(InputError, match="missing value in column dlog_epu"):
        Panel.read(out)


def test_explicit_span_errors_name_the_factor():
    with pytest.raises(InputError, match="factor d_breakeven_5y exists .*2003-02-28"):
        build_panel(start="1995-01-01", factors="d_2y,d_breakeven_5y")
    with pytest.raises(InputError, match="end 2030-01-31 is after factor dlog_epu stops"):  # USEPUINDXM
        build_panel(end="2030-01-31")
    with pytest.raises(InputError, match="unknown factor 'nope'"):
        build_panel(factors="d_2y,nope")


def test_repr_html_and_summary(monthly_panel):
    h = monthly_panel._repr_html_()
    assert "d_baa_spread" in h and "leverage" in h and "IWM/SPY" in h
    s = monthly_panel.summary()
    assert s.loc["dlog_epu", "unit"] == "log change" and s.loc["rel_return", "periods"] == len(monthly_panel)


def test_as_of_uses_release_lags():
    p = build_panel(freq="M", as_of="2024-08-12")
    # July 2024 closes are public by 1 Aug; the July EPU index is dated the 10th rolled to a
    # business day (Sat 10 Aug -> Mon 12 Aug)
    assert build_panel(freq="M", as_of="2024-08-09").data.index[-1] == pd.Timestamp("2024-06-30")
    assert p.data.index[-1] == pd.Timestamp("2024-07-31")
    q = build_panel(freq="M", as_of="2024-07-31")  # DGS2 for 31 July is only published on 1 Aug
    assert q.data.index[-1] == pd.Timestamp("2024-06-30")
    # the CPI surprise dated July (June print, released ~15 July) exists as of 10 Aug,
    # but with as_of 14 July the June print is not yet out
    r = build_panel(freq="M", factors="cpi_surprise", as_of="2024-07-14")
    assert r.data.index[-1] == pd.Timestamp("2024-06-30")
    assert p.meta["as_of"] == "2024-08-12"
