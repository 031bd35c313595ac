"""Event windows (``fit.event``): exact window sums, the July 2024 total, release days, tail
probabilities and one-line errors."""

from __future__ import annotations

import sys
import types

import numpy as np
import pandas as pd
import pytest

from macroattr.core.errors import InputError
from macroattr.models import ModelConfig, fit_model
from macroattr.models.synthetic import simulate_panel


@pytest.fixture(scope="module")
def july_fit():
    """Exact-method daily fit of the default model on the snapshot, 2023-2024."""
    from macroattr.data_pipelines import build_panel

    panel = build_panel(freq="D", start="2023-01-01", end="2024-12-31")
    return fit_model(panel, ModelConfig.shipped("static_monthly").override(method="exact", draws=250, chains=4))


@pytest.fixture(scope="module")
def tv_fit():
    """A time-varying daily fit (cheap stand-in draws: the plumbing, not the sampler)."""
    from tests.support.cheap_nuts import install_cheap_sampler

    mp = pytest.MonkeyPatch()
    install_cheap_sampler(mp)
    try:
        n = 400
        paths = {"d_2y": np.linspace(-2.0, 3.0, n)}
        panel, truth = simulate_panel(n=n, freq="D", seed=9, start="2023-01-02", beta_paths=paths)
        cfg = ModelConfig(groups=truth["groups"]).override(betas="time_varying", draws=100,
                                                          chains=2, knots_per_year=2.0)
        return fit_model(panel, cfg)
    finally:
        mp.undo()


def test_july_2024_total_is_the_panels_sum_and_components_add_up_draw_by_draw(july_fit):
    ev = july_fit.event("2024-07-10", "2024-07-16")
    rel = july_fit.panel.data.loc["2024-07-10":"2024-07-16", "rel_return"]
    assert ev.sessions == [d.strftime("%Y-%m-%d") for d in rel.index] and len(ev.sessions) == 5
    assert ev.observed == pytest.approx(float(rel.sum()), abs=1e-12)
    assert ev.observed > 8.0  # the record small-cap run (about 9 pp of log return)
    np.testing.assert_allclose(ev.draws.sum(axis=1), ev.observed, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ev.daily.sum(axis=2), np.broadcast_to(rel.to_numpy(), ev.daily.shape[:2]),
                               rtol=0, atol=1e-9)
    t = ev.table()
    assert list(t.columns) == ["component", "mean", "median", "hdi_low", "hdi_high", "unit"]
    assert t["component"].tolist() == ["alpha", *july_fit.groups, "residual", "total"]
    tot = t.set_index("component").loc["total"]
    assert tot["mean"] == tot["hdi_low"] == tot["hdi_high"] == pytest.approx(float(rel.sum()))
    assert t.loc[t.component != "total", "mean"].sum() == pytest.approx(ev.observed, abs=1e-9)


def test_window_equals_the_sum_of_the_fits_own_daily_contributions(july_fit):
    """Oracle: the whole-history contributions, selected and summed by hand."""
    ev = july_fit.event("2024-07-10", "2024-07-16")
    full = july_fit.contributions("D")
    days = [p for p in full["period"].values if "2024-07-10" <= p <= "2024-07-16"]
    hand = full.sel(period=days).sum("period").stack(s=("chain", "draw")).transpose("s", "component")
    np.testing.assert_allclose(ev.draws, hand.values, rtol=0, atol=1e-12)
    # the daily table's means are the per-day posterior means
    d = ev.daily_table().query("component == 'rates'")
    np.testing.assert_allclose(d["mean"], full.sel(period=days, component="rates").mean(("chain", "draw")),
                               atol=1e-12)


def test_time_varying_window_uses_each_days_betas(tv_fit):
    ev = tv_fit.event("2023-06-01", "2023-06-09")
    b = tv_fit.betas("2023-06-01", "2023-06-09", draws=True).stack(s=("chain", "draw")).transpose("s", "time", "factor")
    x = tv_fit.panel.data.loc["2023-06-01":"2023-06-09", ["d_2y", "d_policy_path"]].to_numpy()
    rates = (b.sel(factor=["d_2y", "d_policy_path"]).values * x[None]).sum(axis=(1, 2))
    np.testing.assert_allclose(ev.draws[:, ev.components.index("rates")], rates, atol=1e-9)
    np.testing.assert_allclose(ev.draws.sum(axis=1), ev.observed, atol=1e-9)
    assert ev.realtime_draws is None  # no filtered estimates on this fit: none invented
    with pytest.raises(InputError, match="no real-time"):
        ev.table(estimate="real time")


@pytest.mark.parametrize(("start", "end", "needle"), [
    ("2019-01-02", "2019-01-08", "outside the fit's data (2023-01-03 to 2024-12-31)"),
    ("2024-12-30", "2025-01-06", "outside the fit's data"),
    ("2024-07-16", "2024-07-10", "is before its start"),
    ("2024-07-13", "2024-07-14", "no sessions of the fit between 2024-07-13 and 2024-07-14"),
    ("10 July", "2024-07-16", "window start '10 July' is not a date"),
])
def test_bad_windows_are_one_line_errors(july_fit, start, end, needle):
    with pytest.raises(InputError) as exc:
        july_fit.event(start, end)
    assert needle in str(exc.value) and "\n" not in str(exc.value)


def _release_panel():
    panel, truth = simulate_panel(n=120, freq="D", seed=3, start="2024-05-01")
    data = panel.data
    data["cpi_surprise"] = 0.0
    data.loc["2024-07-15", "cpi_surprise"] = -0.2  # an approximate release day (15th rule)
    data["event_election"] = 0.0
    data.loc["2024-07-16", "event_election"] = 1.0
    panel.meta["factors"] = {"cpi_surprise": {"real_time": {"values": "latest"}}}
    groups = dict(truth["groups"], political=["dlog_epu", "event_election"])
    return fit_model(panel, ModelConfig(groups=groups).override(method="exact", draws=50))


def test_release_days_from_the_calendars_and_the_users_events():
    fit = _release_panel()
    ev = fit.event("2024-07-10", "2024-07-31")
    assert ev.releases.values.tolist() == [["2024-07-11", "cpi", "CPI release"],
                                           ["2024-07-16", "event", "election"],
                                           ["2024-07-31", "fomc", "FOMC announcement"]]
    assert ev.notes == []
    rel = ev.daily_table().drop_duplicates("period").set_index("period")["release"]
    assert rel["2024-07-11"] == "CPI release" and rel["2024-07-12"] == ""


def test_without_calendars_the_panels_release_factor_marks_the_days(monkeypatch):
    import macroattr.data_pipelines as dp

    monkeypatch.delattr(dp, "calendars", raising=False)
    monkeypatch.setitem(sys.modules, "macroattr.data_pipelines.calendars", None)
    ev = _release_panel().event("2024-07-10", "2024-07-16")
    assert ev.releases.values.tolist() == [["2024-07-15", "release", "cpi_surprise release"],
                                           ["2024-07-16", "event", "election"]]
    assert any("no release calendar" in n for n in ev.notes)


def test_windows_outside_the_calendars_say_so():
    panel, truth = simulate_panel(n=60, freq="D", seed=3, start="1996-01-01")
    fit = fit_model(panel, ModelConfig(groups=truth["groups"]).override(method="exact", draws=20))
    ev = fit.event("1996-02-01", "1996-02-09")
    assert ev.releases.empty
    assert any("CPI release calendar covers 2004-01-16" in n for n in ev.notes)


def test_a_release_calendar_replaces_the_panel_rule_when_installed(monkeypatch):
    cal = types.ModuleType("macroattr.data_pipelines.calendars")
    cal.cpi_release_days = lambda: pd.DatetimeIndex(["2024-06-12", "2024-07-11"])
    cal.fomc_days = lambda: pd.DataFrame({"date": pd.to_datetime(["2024-07-31"])})
    monkeypatch.setitem(sys.modules, "macroattr.data_pipelines.calendars", cal)
    import macroattr.data_pipelines as dp

    monkeypatch.setattr(dp, "calendars", cal, raising=False)
    panel, truth = simulate_panel(n=80, freq="D", seed=3, start="2024-05-01")
    fit = fit_model(panel, ModelConfig(groups=truth["groups"]).override(method="exact", draws=20))
    ev = fit.event("2024-07-01", "2024-07-31")
    assert ev.releases[["date", "kind"]].values.tolist() == [["2024-07-11", "cpi"], ["2024-07-31", "fomc"]]
    assert not ev.notes


def test_tail_probability_is_calibrated_and_flags_an_outlier_window():
    panel, truth = simulate_panel(n=1000, freq="D", seed=21, sigma=1.0, start="2020-01-01")
    y = panel.data["rel_return"]
    outlier = y.index[500:505]
    panel.data.loc[outlier, "rel_return"] += 3.0  # a 15-sd-of-a-day (6.7 window sd) rally
    fit = fit_model(panel, ModelConfig(groups=truth["groups"]).override(method="exact", likelihood="normal",
                                                                        draws=500))
    ev = fit.event(f"{outlier[0]:%Y-%m-%d}", f"{outlier[-1]:%Y-%m-%d}")
    assert ev.tail_probability == 0.0 and "< " in ev.tail_text()
    probs = []
    for i in range(0, 480, 10):  # ordinary windows: one-sided tails spread over (0, 0.5)
        d = y.index[i:i + 5]
        probs.append(fit.event(f"{d[0]:%Y-%m-%d}", f"{d[-1]:%Y-%m-%d}").tail_probability)
    assert 0.15 < float(np.mean(probs)) < 0.35
    assert min(probs) < 0.1 and max(probs) > 0.35


def test_notable_windows_are_the_largest_non_overlapping_moves(july_fit):
    from macroattr.models.analysis.events import notable_windows

    wins = notable_windows(july_fit, "2024Q3", length=5, n=2)
    y = july_fit.panel.data["rel_return"].loc["2024-07-01":"2024-09-30"]
    best = y.rolling(5).sum().abs().idxmax()
    assert wins[0][1] == f"{best:%Y-%m-%d}"
    (a1, b1), (a2, b2) = wins
    assert b2 < a1 or a2 > b1  # no overlap
    assert notable_windows(july_fit, "2030Q1") == []


def test_plot_marks_the_release_days(july_fit):
    fig = july_fit.event("2024-07-10", "2024-07-16").plot()
    assert [a.text for a in fig.layout.annotations] == ["CPI release"]
    names = {t.name for t in fig.data}  # reader labels
    assert "Rates" in names and "Observed total" in names and any(n.startswith("Residual") for n in names)


@pytest.fixture(scope="module")
def ss_fit():
    """Exact state-space fit (revised and real-time estimates) on a simulated daily panel
    whose rates beta drifts from -2 to +3."""
    n = 400
    panel, truth = simulate_panel(n=n, freq="D", seed=9, start="2023-01-02",
                                  beta_paths={"d_2y": np.linspace(-2.0, 3.0, n)})
    return fit_model(panel, ModelConfig(groups=truth["groups"]).override(
        betas="state_space", method="exact", likelihood="normal", draws=100))


def test_state_space_window_has_revised_and_real_time_attributions(ss_fit):
    from macroattr.models.fit.draws import estimates

    assert estimates(ss_fit) == ("revised", "real time")
    ev = ss_fit.event("2023-06-01", "2023-06-09")
    for draws in (ev.draws, ev.realtime_draws):  # both add up to the window, draw by draw
        np.testing.assert_allclose(draws.sum(axis=1), ev.observed, atol=1e-9)
    # real time = the window drawn jointly as estimated with data to its last day: same
    # distribution as the backward sampler run with data to that day (grid points by the
    # real-time weights there), summed over the window by hand
    pa = ss_fit.paths
    t0 = int(ss_fit.design.dates.searchsorted(np.datetime64("2023-06-01")))
    t1 = t0 + len(ev.sessions)
    gi = pa.grid.allocate(4000, 5, weights=pa.grid.realtime_weights()[t1 - 1])
    th, _ = pa.grid.sample_smoothed(gi, 5, t_end=t1 - 1)
    sc, d = pa.scales, ss_fit.design
    beta = th[:, t0:t1, 1:].astype(np.float64) * (sc["y_sd"] / sc["x_sd"])
    ks = [list(d.factors).index(f) for f in ss_fit.groups["rates"]]
    rates = (beta[:, :, ks] * d.X[t0:t1, ks][None]).sum(axis=(1, 2))
    mine = ev.realtime_draws[:, ev.components.index("rates")]
    assert abs(mine.mean() - rates.mean()) < 4 * rates.std() / np.sqrt(len(mine))
    assert 0.8 < mine.std() / rates.std() < 1.25
    smooth = ss_fit.contributions("D", estimate="smoothed").sel(
        period=ev.sessions).sum("period").stack(s=("chain", "draw")).transpose("s", "component")
    np.testing.assert_allclose(ev.draws, smooth.values, atol=1e-9)
    assert not np.allclose(ev.draws, ev.realtime_draws)
    rt = ev.table(estimate="real time")
    assert rt["component"].tolist() == ev.table()["component"].tolist()
    # the predictive uses the fit's time-varying volatility over the window
    assert ev.tail_probability is not None and 0 <= ev.tail_probability <= 0.5 + 1e-9
