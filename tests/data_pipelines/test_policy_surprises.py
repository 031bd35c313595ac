"""FOMC policy surprises: on their announcement days, zero elsewhere, sources stated, never zero-filled."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from macroattr.data_pipelines import build_panel, calendars
from macroattr.core.errors import InputError
from macroattr.data_pipelines.policy import (FILE_SOURCE, PROXY_SOURCE, USER_SOURCE, announcement_surprises, coverage_end,
                                             path_surprise, surprise_table)


@pytest.fixture(scope="module")
def daily():
    return build_panel(freq="D", factors="mp_target,mp_path", start="1988-11-08", end="2025-12-31")


def test_every_announcement_in_the_raw_file_sits_on_its_day_and_nowhere_else(daily, raw_dir):
    raw = pd.read_csv(raw_dir / "policy_surprises/fomc_hf_surprises_mp1.csv", dtype=str, keep_default_na=False)
    raw = raw[(raw["possible"] == "1") & (raw["MP1"] != "")]
    main = pd.to_datetime(raw["mainstr"], format="%m/%d/%Y")
    mp1 = pd.Series(raw["MP1"].astype(float).to_numpy(), index=pd.DatetimeIndex(main))
    mp1 = mp1[mp1.index >= "1988-11-08"]
    got = daily.data["mp_target"]
    idx = got.index
    pos = idx.searchsorted(mp1.index)  # an announcement on a closed day (2020-03-15 is a Sunday) -> next session
    assert (idx[pos] - mp1.index).days.max() <= 3
    np.testing.assert_allclose(got.iloc[pos].to_numpy(), mp1.to_numpy(), rtol=0, atol=1e-12)
    ann = announcement_surprises().index
    ann = ann[(ann >= "1988-11-08") & (ann <= idx[-1])]
    every = set(idx[pos]) | set(idx[idx.searchsorted(ann)])
    off = got[~got.index.isin(list(every))]
    assert (off == 0).all() and (daily.data.loc[off.index, "mp_path"] == 0).all()  # zero on every other day
    assert len(mp1) >= 300


def test_september_2024_cut_reads_dovish(daily):
    assert daily.data.loc["2024-09-18", "mp_target"] == pytest.approx(-0.11875, abs=1e-6)  # MP1 -0.12 pp
    assert daily.data.loc["2024-09-17", "mp_target"] == 0 and daily.data.loc["2024-09-19", "mp_target"] == 0
    m = build_panel(freq="M", factors="mp_target", start="2024-09-30", end="2024-09-30")
    assert m.data.loc["2024-09-30", "mp_target"] == pytest.approx(-0.11875, abs=1e-6)
    src = m.meta["factors"]["mp_target"]["surprise_sources"]
    assert any(r["source"] == FILE_SOURCE and r["first"] <= "2024-09-18" <= r["last"] for r in src)


def test_monthly_is_the_sum_of_the_daily_values_within_each_month(daily):
    m = build_panel(freq="M", factors="mp_target,mp_path", start="1995-01-31", end="2025-12-31").data
    for col in ("mp_target", "mp_path"):
        d = daily.data.loc["1995-01-01":, col]
        per = d.groupby(d.index.to_period("M")).sum()
        np.testing.assert_allclose(m[col].to_numpy(), per.reindex(m.index.to_period("M")).to_numpy(), atol=1e-12)
    assert (m.loc["2024-08-31", ["mp_target", "mp_path"]] == 0).all()  # no meeting in August 2024


def test_fomc_calendar_days_are_announcement_days_of_the_file():
    main = surprise_table().index
    days = calendars.fomc_days()
    listed = {pd.Timestamp(d) for ds in surprise_table()["days"] for d in ds.split(";")}
    held = days[days <= main.max()]  # 2026-09-16, 10-28, 12-09: scheduled, no surprise yet
    assert set(held) <= listed and list(days[days > main.max()].strftime("%m-%d")) == ["09-16", "10-28", "12-09"]
    # 174 main days of the 30-minute file + the 5 held 2026 meetings (one-day proxy); the other 5
    # calendar days are a month's second announcement (e.g. 2008-01-30)
    assert days.isin(main).sum() == 174 + 5
    assert list(calendars.fomc_days("unscheduled").strftime("%Y-%m-%d")) == [
        "2008-01-22", "2008-10-08", "2020-03-03", "2020-03-15"]


def test_path_surprise_uses_only_earlier_announcements_and_is_near_orthogonal():
    t = surprise_table()
    base = path_surprise(t["mp1"], t["ed4"])
    later = t["mp1"].copy()
    later.iloc[-1] = 5.0  # a change in the last announcement cannot move any earlier path value
    moved = path_surprise(later, t["ed4"])
    pd.testing.assert_series_equal(base.iloc[:-1], moved.iloc[:-1])
    tab = announcement_surprises()
    both = tab[(tab["source"] == FILE_SOURCE) & (tab["path_source"] == FILE_SOURCE)]
    r = np.corrcoef(both["target"], both["path"])[0, 1]
    raw_r = np.corrcoef(t["mp1"].dropna().reindex(both.index), t["ed4"].reindex(both.index))[0, 1]
    assert abs(r) < 0.15 < raw_r  # ED4 alone co-moves with MP1 (r ~ 0.4); the path surprise does not


def test_missing_futures_use_labelled_proxies_never_zero(daily):
    tab = announcement_surprises()
    assert tab.loc["2001-09-17", "source"].startswith("UST3M proxy")
    assert daily.data.loc["2001-09-17", "mp_target"] == pytest.approx(-0.185)
    notes = " ".join(daily.meta["notes"])
    assert "2001-09-17 UST3M proxy" in notes and "1991-04-30 ED1 proxy" in notes


def test_as_of_excludes_later_announcements():
    p = build_panel(freq="D", factors="mp_target", as_of="2024-09-17", start="2024-09-02")
    assert p.data.index[-1] <= pd.Timestamp("2024-09-17")
    assert (p.data["mp_target"] == 0).all()


def test_user_futures_after_the_file_ends_and_missing_prices_stay_missing(tmp_path):
    t = tmp_path / "t.csv"
    t.write_text("date,rel_return\n2026-06-30,1.0\n2026-07-31,2.0\n2026-08-31,-1.0\n2026-09-30,0.5\n"
                 "2026-10-30,0.2\n")
    f = tmp_path / "ff.csv"
    f.write_text("date,price,announcement\n2026-09-15,96.40,\n2026-09-16,96.45,1\n2026-09-30,96.50,\n"
                 "2026-10-28,96.60,1\n2026-10-30,96.60,\n")
    p = build_panel(freq="M", factors="mp_target", target_csv=t, futures_csv=f)
    d = p.data["mp_target"]
    # the embedded surprises end with the 2026-07-29 one-day proxy; the next FOMC day is 2026-09-16
    assert coverage_end() == pd.Timestamp("2026-09-15")
    assert d["2026-07-31"] == pytest.approx(float(surprise_table().loc["2026-07-29", "mp1"]))
    assert d["2026-09-30"] == pytest.approx(-0.05)  # (100 - 96.45) - (100 - 96.40): a dovish day
    assert d["2026-08-31"] == 0.0  # no announcement
    # 2026-10-28: no price the session before -> missing, so October is dropped, never 0
    assert pd.Timestamp("2026-10-31") not in d.index
    assert any("2026-10-28" in n and "not set to 0" in n for n in p.meta["notes"])
    runs = p.meta["factors"]["mp_target"]["surprise_sources"]
    assert runs[-2]["source"].startswith(PROXY_SOURCE) and runs[-2]["last"] == "2026-07-29"
    assert [r["last"] for r in runs if r["source"] == FILE_SOURCE][-1] == "2025-12-10"
    assert runs[-1] == {"source": USER_SOURCE, "first": "2026-09-16", "last": "2026-10-28"}


def test_bad_announcement_column_is_one_line(tmp_path):
    f = tmp_path / "ff.csv"
    f.write_text("date,price,announcement\n2026-01-27,96.40,yes\n")
    with pytest.raises(InputError, match=r"ff.csv line 2 \(2026-01-27\): column announcement value 'yes'"):
        build_panel(freq="M", factors="mp_target", futures_csv=f)


def test_builtin_fomc_events(tmp_path):
    p = build_panel(freq="D", factors="d_2y,event_fomc", events_csv="builtin:fomc", start="2024-01-02")
    ev = p.data["event_fomc"]
    assert p.data.index[-1] <= pd.Timestamp("2026-12-31")  # the calendar's known span
    days = calendars.fomc_days()
    assert set(ev.index[ev == 1]) == set(days[(days >= "2024-01-02") & (days <= p.data.index[-1])])
    assert p.meta["series"]["builtin:fomc"]["title"] == "FOMC announcement days"
    with pytest.raises(InputError, match="unknown built-in calendar 'builtin:ecb'"):
        build_panel(events_csv="builtin:ecb")


def test_policy_path_is_free_of_effective_funds_rate_noise():
    p = build_panel(freq="D", factors="d_policy_path", start="2000-01-03", end="2024-12-31")
    from macroattr.data_pipelines.sources import get_series
    from macroattr.data_pipelines.transforms import align_asof

    cal = p.data.index
    dff = align_asof(get_series("DFF")[0], cal).diff()
    six = align_asof(get_series("DGS6MO")[0], cal)
    old = (six - align_asof(get_series("DFF")[0], cal)).diff()
    new_r = p.data["d_policy_path"].corr(-dff)
    old_r = old.corr(-dff)
    assert old_r > 0.8 and abs(new_r) < 0.1, (old_r, new_r)


def test_builtin_calendar_in_a_run_config(tmp_path):
    from macroattr.jobs.run_config import load_run_config

    cfg = tmp_path / "run.toml"
    cfg.write_text('[panel]\nfreq = "M"\nevents_csv = "builtin:fomc"\n[groups]\nrates = ["d_2y"]\n')
    rc = load_run_config(cfg)
    assert str(rc.panel.events_csv) == "builtin:fomc"  # not resolved against the config's folder
    rc.panel.check_files()
    p = build_panel(rc.panel, factors="d_2y,event_fomc", start="2024-01-31", end="2024-12-31")
    assert p.data["event_fomc"].sum() == 8  # eight scheduled meetings in 2024


def test_embedded_surprises_sit_on_their_days_without_the_raw_files(daily):
    """Same property from the embedded table alone (a user's clone has no ../shared)."""
    tab = announcement_surprises()
    tab = tab[(tab.index >= "1988-11-08") & (tab.index <= "2025-12-31")]
    got = daily.data["mp_target"]
    pos = got.index.searchsorted(tab.index)
    want = pd.Series(0.0, index=got.index)
    want.iloc[pos] = tab["target"].to_numpy()
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=0, atol=1e-12)
    assert len(tab) == 309 and (tab["source"] != "").all()


def test_2026_meetings_use_the_labelled_one_day_futures_proxy():
    """The 2026 announcements (no 30-minute file yet) carry the daily ZQ proxy, labelled as such."""
    tab = announcement_surprises()
    y26 = tab[tab.index.year == 2026]
    assert list(y26.index.strftime("%m-%d")) == ["01-28", "03-18", "04-29", "06-17", "07-29"]
    assert y26["source"].str.startswith(PROXY_SOURCE).all() and y26["path_source"].str.startswith(PROXY_SOURCE).all()
    assert y26["target"].notna().all() and y26["path"].notna().all()
    # 2026-07-29: the August 2026 contract's implied rate fell 7 bp that day (heliar ZQ_202608 closes)
    assert y26.loc["2026-07-29", "target"] == pytest.approx(-0.07, abs=1e-9)
    p = build_panel(freq="D", factors="mp_target,mp_path", start="2026-01-02", end="2026-08-21")
    assert p.data.loc["2026-07-29", "mp_target"] == pytest.approx(-0.07, abs=1e-9)
    assert (p.data.loc[~p.data.index.isin(y26.index), "mp_target"] == 0).all()
    assert any("1-day fed funds futures proxy" in n for n in p.meta["notes"])
