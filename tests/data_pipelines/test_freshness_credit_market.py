"""Freshness metadata and stale factors; leverage measures (ICE never embedded); the market control."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from macroattr.data_pipelines import build_panel, catalog
from macroattr.core.errors import InputError
from macroattr.data_pipelines.fred.store import SeriesStore
from macroattr.data_pipelines.sources import get_series
from tests.cli import one_line_error, run_cli


def test_freshness_names_last_values_and_what_ends_the_panel(monthly_panel):
    from macroattr.data_pipelines.sources import snapshot_provenance

    fr = monthly_panel.meta["freshness"]
    d = monthly_panel.data
    assert fr["data_to"] == f"{d.index[-1]:%Y-%m-%d}"
    assert set(fr["last_obs"]) == set(d.columns)
    # what ends the panel is the earliest-ending column, named with its series
    first_end = min(fr["last_obs"].values())
    assert fr["data_to"] == first_end and fr["last_obs"][fr["limited_by_column"]] == first_end
    assert fr["limited_by"] == "dlog_epu (USEPUINDXM)"  # the monthly EPU workbook ends 2026-01
    assert fr["last_obs"]["rel_return"] > fr["data_to"]
    prov = snapshot_provenance()
    for sid in ("BAA10Y", "USEPUINDXM", "IWM", "DGS2"):
        assert fr["series_last_obs"][sid] == prov.loc[sid, "last"], sid
    target_prev = pd.DatetimeIndex([pd.Timestamp(fr["last_obs"]["rel_return"])])[0] - pd.offsets.MonthEnd(1)
    want_stale = [c for c in d.columns if c != "rel_return" and pd.Timestamp(fr["last_obs"][c]) < target_prev]
    assert fr["stale"] == want_stale and "dlog_epu" in want_stale and fr["stale_policy"] == "trim"
    [line] = [n for n in monthly_panel.meta["notes"] if "stale factors" in n]  # exactly one line says so
    assert line.startswith(f"panel ends {fr['data_to']}, limited by dlog_epu") and "--stale drop" in line
    json.dumps(fr)


def test_stale_factors_are_dropped_or_carried_only_when_asked():
    trim = build_panel(freq="M", start="2024-01-31")
    stale = trim.meta["freshness"]["stale"]
    assert stale and set(stale) <= set(trim.data.columns)
    drop = build_panel(freq="M", stale="drop", start="2024-01-31")
    assert not set(stale) & set(drop.data.columns)
    fr = drop.meta["freshness"]
    assert fr["data_to"] > trim.meta["freshness"]["data_to"]  # dropping them lets the panel run on
    assert fr["data_to"] == min(v for c, v in fr["last_obs"].items())
    assert any(n.startswith(f"stale factors dropped (stale='drop'): {stale[0]}") for n in drop.meta["notes"])
    carry = build_panel(freq="M", stale="carry", start="2024-01-31")
    for c in stale:
        last = trim.meta["spans"][c][1]
        assert (carry.data.loc[carry.data.index > last, c] == 0).all()
        assert carry.meta["freshness"]["last_obs"][c] == last  # the data's own last value
    assert carry.data.loc["2024-07-31", "dlog_epu"] != 0
    assert any("carried (stale='carry')" in n for n in carry.meta["notes"])
    fresh = build_panel(freq="M", factors="cpi_surprise,d_baa_spread", start="2024-01-31")
    assert fresh.meta["freshness"]["stale"] == [] and not any("stale" in n for n in fresh.meta["notes"])
    covered = build_panel(freq="M", end="2024-12-31", start="2024-01-31")  # the factors cover the asked span
    assert covered.meta["freshness"]["stale"] == [] and covered.meta["freshness"]["limited_by"] == "requested end date"
    with pytest.raises(InputError, match="unknown stale option 'maybe'"):
        build_panel(stale="maybe")


def test_cli_stale_option_and_freshness_line(tmp_path, capsys):
    out = tmp_path / "p.csv"
    code, so, err = run_cli(["data", "panel", "--start", "2024-01-31", "--stale", "drop", "--out", str(out)], capsys)
    assert code == 0, err
    meta = json.loads((tmp_path / "p.csv.meta.json").read_text())
    fr = meta["freshness"]
    assert f"data to {fr['data_to']} (limited by {fr['limited_by']})" in so
    assert fr["stale_policy"] == "drop"
    code, so, err = run_cli(["data", "panel", "--stale", "sometimes", "--out", str(tmp_path / "q.csv")], capsys)
    assert "stale option 'sometimes'" in one_line_error(code, err)
    assert not (tmp_path / "q.csv").exists()
    code, so, err = run_cli(["data", "factors"], capsys)
    assert code == 0
    from macroattr.data_pipelines.calendars import table_provenance
    from macroattr.data_pipelines.sources import snapshot_provenance

    assert f"BAA10Y {snapshot_provenance().loc['BAA10Y', 'last']}" in so
    assert "FRED store only (ICE terms: not embeddable)" in so and "market (not macro)" in so
    for tab in ("policy_surprises", "election_odds", "cpi_consensus"):
        assert f"{tab} {table_provenance().loc[tab, 'last']}" in so, tab


def test_catalog_refuses_to_embed_ice_series(tmp_path, monkeypatch):
    with pytest.raises(InputError, match="BAMLH0A0HYM2 must not be embedded .*ICE"):
        catalog.check_embeddable("BAMLH0A0HYM2")
    assert not catalog.get("d_hy_oas").embeddable and "ICE" in catalog.get("d_hy_oas").description
    from macroattr.data_pipelines import snapshot_build as sb

    ice = sb.RawSpec("BAMLH0A0HYM2", "HY OAS", "percent", "daily", "credit/BAMLH0A0HYM2.csv", "x/y", "p",
                     "0" * 40, "bamlh0a0hym2", "ICE")
    monkeypatch.setattr(sb, "SPECS", (*sb.SPECS, ice))
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "PROVENANCE.md").write_text("x")
    with pytest.raises(InputError, match="must not be embedded"):
        sb.build(tmp_path / "raw", tmp_path / "out")
    assert not (tmp_path / "out").exists()  # refused before writing anything
    from macroattr.data_pipelines.sources import snapshot_ids

    assert not any(i.upper().startswith("BAML") for i in snapshot_ids())


def test_hy_oas_comes_only_from_the_fred_store(tmp_path):
    with pytest.raises(InputError, match="d_hy_oas needs BAMLH0A0HYM2 from the FRED store"):
        build_panel(factors="d_2y,d_hy_oas")
    with pytest.raises(InputError, match="d_hy_oas needs BAMLH0A0HYM2 from the FRED store"):
        build_panel(factors="d_2y,d_hy_oas", source="auto", store=tmp_path / "empty")
    days = pd.bdate_range("2019-12-02", "2024-12-31")
    oas = pd.Series(4.0 + 0.01 * np.arange(len(days)) % 1.5, index=days)
    store = SeriesStore(tmp_path / "store")
    store.write("BAMLH0A0HYM2", oas, {"title": "ICE BofA US High Yield Index Option-Adjusted Spread"})
    p = build_panel(freq="M", factors="d_2y,d_hy_oas", source="auto", store=store.path, start="2020-01-31",
                    end="2024-12-31")
    me = oas.groupby(oas.index.to_period("M")).last()
    want = me.diff().dropna()
    np.testing.assert_allclose(p.data["d_hy_oas"].to_numpy(), want.loc["2020-01":"2024-12"].to_numpy(), atol=1e-12)
    assert p.meta["series"]["BAMLH0A0HYM2"]["source"] == "fred"


def test_baa_minus_aaa_monthly_from_the_snapshot(raw_dir):
    p = build_panel(freq="M", factors="d_baa_aaa", start="2008-01-31", end="2024-12-31")
    baa = pd.read_csv(raw_dir / "fred_monthly/BAA.csv", index_col=0)["BAA"]
    aaa = pd.read_csv(raw_dir / "fred_monthly/AAA.csv", index_col=0)["AAA"]
    want = (baa["2008-10-01"] - aaa["2008-10-01"]) - (baa["2008-09-01"] - aaa["2008-09-01"])
    assert p.data.loc["2008-10-31", "d_baa_aaa"] == pytest.approx(want, abs=1e-12)
    from macroattr.data_pipelines.sources import snapshot_provenance

    # extended with FRED-MD 2025-02 and the 2026 FRED downloads (identical on every common month)
    assert f"{get_series('BAA')[0].index[-1]:%Y-%m-%d}" == snapshot_provenance().loc["BAA", "last"] >= "2026-06-01"
    with pytest.raises(InputError, match="d_baa_aaa is monthly only"):
        build_panel(freq="D", factors="d_baa_aaa")


def test_market_control_is_opt_in_and_labelled():
    assert "mkt_return" not in catalog.DEFAULT_FACTORS
    p = build_panel(freq="M", factors="d_2y,mkt_return", start="2024-07-31", end="2024-07-31")
    assert p.groups["market"] == ["mkt_return"] and p.meta["group_labels"]["market"] == "market (not macro)"
    spy = get_series("SPY")[0]
    want = 100 * np.log(spy["2024-07-31"] / spy["2024-06-28"])
    assert p.data.loc["2024-07-31", "mkt_return"] == pytest.approx(want, abs=1e-12)
    assert any("not a macro factor" in n for n in p.meta["notes"])
