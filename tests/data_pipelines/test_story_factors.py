"""The factors that measure the July 2024 story: election odds and CPI consensus surprises."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from macroattr.core.errors import InputError
from macroattr.data_pipelines import build_panel, calendars
from macroattr.data_pipelines.election import odds_table, rep_win_prob_change


@pytest.fixture(scope="module")
def daily():
    return build_panel(freq="D", factors="cpi_surprise,cpi_core_surprise,d_rep_win_prob", start="2000-01-03",
                       end="2026-08-21")


def _poly(day: str) -> float:
    """The normalised Polymarket level of the 00:00 UTC snapshot of ``day``."""
    t = odds_table()
    row = t[(t["source"] == "polymarket") & (t["time_utc"] == pd.Timestamp(day))]
    return float(row["p_rep"].iloc[0])


def test_polymarket_move_on_the_first_session_after_13_july_2024(daily):
    d = daily.data["d_rep_win_prob"]
    # Monday 15 July's level is the 00:00 UTC 16 July snapshot (20:00 ET on the 15th); Friday 12 July's
    # is the 00:00 UTC 13 July one: the Saturday shooting lands on Monday
    want = 100 * (_poly("2024-07-16") - _poly("2024-07-13"))
    assert d["2024-07-15"] == pytest.approx(want, abs=1e-12) and want > 10
    assert d["2024-07-12"] == pytest.approx(100 * (_poly("2024-07-13") - _poly("2024-07-12")), abs=1e-12)
    runs = daily.meta["factors"]["d_rep_win_prob"]["sources"]
    assert any(r["source"] == "polymarket" and r["first"] <= "2024-07-15" <= r["last"] for r in runs)
    # Trump's Yes price over the sum of all candidates' prices
    raw = odds_table()
    row = raw[(raw["source"] == "polymarket") & (raw["time_utc"] == pd.Timestamp("2024-07-16"))].iloc[0]
    assert row["p_rep_raw"] == pytest.approx(0.705) and row["p_rep"] < row["p_rep_raw"]


def test_oddschecker_2016_margin_is_removed(daily):
    raw = odds_table()
    o = raw[raw["source"] == "oddschecker"].set_index("time_utc")
    # 2016-10-07 (Access Hollywood tape after the close): Trump 29.88, Clinton 74.36 -> margin 4.24 pp removed
    t = o.loc[pd.Timestamp("2016-10-07 20:00")]  # 16:00 ET = 20:00 UTC (EDT)
    assert t["p_rep"] == pytest.approx(29.88 / (29.88 + 74.36), abs=1e-12)
    assert t["p_rep_raw"] == pytest.approx(0.2988)
    lvl_fri = 29.88 / (29.88 + 74.36)
    lvl_mon = 21.85 / (21.85 + 82.19)
    assert daily.data.loc["2016-10-10", "d_rep_win_prob"] == pytest.approx(100 * (lvl_mon - lvl_fri), abs=1e-12)


def test_no_value_outside_the_covered_cycles_and_every_session_sourced(daily):
    d = daily.data["d_rep_win_prob"]
    runs = daily.meta["factors"]["d_rep_win_prob"]["sources"]
    lab = pd.Series("", index=d.index, dtype=object)
    for r in runs:
        lab[r["first"]:r["last"]] = r["source"]
    assert (lab != "").all()  # every session carries a source
    assert (d[lab == "none"] == 0).all()
    assert set(lab) == {"none", "polymarket", "predictit", "oddschecker", "fivethirtyeight"}
    assert (d["2017-01-01":"2019-12-31"] == 0).all() and (d["2025-01-01":] == 0).all()
    assert lab["2024-11-06"] == "none"  # the result: no quote after election night is held
    assert lab["2020-08-20"] == "predictit"  # the market wins where FiveThirtyEight's model also has a run
    assert any("outside the covered election cycles" in n for n in daily.meta["notes"])


def test_monthly_is_the_sum_within_months(daily):
    m = build_panel(freq="M", factors="d_rep_win_prob", start="2015-01-31", end="2025-12-31")
    s = m.data["d_rep_win_prob"]
    d = daily.data.loc["2014-12-31":, "d_rep_win_prob"]
    per = d.groupby(d.index.to_period("M")).sum()
    np.testing.assert_allclose(s.to_numpy(), per.reindex(s.index.to_period("M")).to_numpy(), atol=1e-9)
    assert s["2024-07-31"] != 0 and s["2019-07-31"] == 0


def test_user_odds_file_extends_and_takes_precedence(tmp_path):
    f = tmp_path / "odds.csv"
    f.write_text("date,probability\n2025-03-03,0.40\n2025-03-04,0.45\n2025-03-05,0.44\n")
    p = build_panel(freq="D", factors="d_rep_win_prob", start="2025-03-03", end="2025-03-07", odds_csv=f)
    d = p.data["d_rep_win_prob"]
    assert d["2025-03-04"] == pytest.approx(5.0) and d["2025-03-05"] == pytest.approx(-1.0)
    assert d["2025-03-06"] == 0.0
    assert p.meta["series"]["user:odds"]["file"] == str(f)
    runs = p.meta["factors"]["d_rep_win_prob"]["sources"]
    assert {"source": "user", "first": "2025-03-04", "last": "2025-03-05"} in runs
    bad = tmp_path / "bad.csv"
    bad.write_text("date,probability\n2025-03-03,55\n")
    with pytest.raises(InputError, match=r"bad.csv line 2 \(2025-03-03\): probability 55.0 is outside 0..1"):
        build_panel(freq="D", factors="d_rep_win_prob", odds_csv=bad)


def test_as_of_uses_only_quotes_published_by_then():
    cal = pd.bdate_range("2024-07-08", "2024-07-19")
    r = rep_win_prob_change(cal, as_of=pd.Timestamp("2024-07-12"))
    assert (r.values["2024-07-15":] == 0).all() and r.values["2024-07-11"] != 0


def test_cpi_consensus_surprise_2024_07_11_headline_and_core(daily):
    d = daily.data
    assert d.loc["2024-07-11", "cpi_surprise"] == pytest.approx(-0.2, abs=1e-12)  # -0.1 vs +0.1
    assert d.loc["2024-07-11", "cpi_core_surprise"] == pytest.approx(-0.1, abs=1e-12)  # 0.1 vs 0.2
    assert d.loc["2024-07-12", "cpi_surprise"] == 0.0
    assert d.loc["2026-07-14", "cpi_surprise"] == pytest.approx(-0.3, abs=1e-12)  # -0.4 vs -0.1 (investing.com)


def test_ar1_filled_prints_are_flagged(daily):
    notes = [n for n in daily.meta["notes"] if n.startswith("cpi_surprise: AR(1) surprise")]
    assert len(notes) == 1 and "2018-12..2019-11" in notes[0] and "2020-08..2020-12" in notes[0]
    runs = daily.meta["factors"]["cpi_surprise"]["surprise_sources"]
    src_2019 = [r["source"] for r in runs if r["first"] <= "2019-06-01" <= r["last"]]
    assert src_2019 == ["ar1"]
    # a 2019 print is the AR(1) surprise, on its BLS release day, and not 0
    jun19 = calendars.cpi_release_days()["2019-06-01"]
    assert d_nonzero(daily, jun19)
    rt = daily.meta["factors"]["cpi_surprise"]["real_time"]
    assert "2018-12..2019-11" in rt["ar1_months"] and "2021-01..2025-09" in rt["consensus_months"]


def d_nonzero(panel, day) -> bool:
    return panel.data.loc[day, "cpi_surprise"] != 0


def test_user_consensus_file_takes_precedence(tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("date,consensus\n2024-06-01,0.0\n")
    p = build_panel(freq="D", factors="cpi_surprise", start="2024-07-01", end="2024-07-31", consensus_csv=f)
    # revised CPIAUCSL m/m for June 2024 minus the user's 0.0
    assert p.data.loc["2024-07-11", "cpi_surprise"] != pytest.approx(-0.2)
    assert any("user consensus file for 1 print" in n for n in p.meta["notes"])


def test_russell_recon_calendar_in_event_windows():
    p = build_panel(freq="D", factors="d_baa_spread,event_russell_recon", events_csv="builtin:russell_recon",
                    start="2023-01-03", end="2025-12-31")
    ev = p.data["event_russell_recon"]
    assert list(ev.index[ev == 1].strftime("%Y-%m-%d")) == ["2023-06-23", "2024-06-28", "2025-06-27"]
    r = calendars.russell_recon_days(2024, 2024)
    assert f"{r.loc[2024, 'rank_day']:%Y-%m-%d}" == "2024-04-30"
