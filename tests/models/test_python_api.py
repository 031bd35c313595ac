"""The Python API a notebook user meets: one line for a period the fit does not have, one
vocabulary for the two estimates, a tidy ``fit.betas()``, readable facades."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from macroattr.core.errors import InputError, MacroattrError
from macroattr.models import ModelConfig, fit_model
from macroattr.models.synthetic import simulate_panel

SPELLINGS = {"smoothed": ("revised", "Revised", "smoothed"),
             "filtered": ("first estimate", "First-estimate", "filtered", "real time", "real-time")}


@pytest.fixture(scope="module")
def fits():
    panel, truth = simulate_panel(n=96, seed=4)  # monthly 2000-01..2007-12: quarters 2000Q1..2007Q4
    base = ModelConfig(groups=truth["groups"]).override(draws=60, chains=2)
    static = fit_model(panel, base.override(method="exact", likelihood="normal"))
    ss = fit_model(panel, base.override(betas="state_space", method="exact"))
    return static, ss


# ------------------------------------------------------------ a period the fit does not have
@pytest.mark.parametrize(("call", "needle"), [
    (lambda f: f.plot.waterfall("2030Q1"), "quarter 2030Q1 is not in the fit: its quarters run 2000Q1..2007Q4"),
    (lambda f: f.plot.waterfall("2024Q3-foo"), "quarter '2024Q3-foo' is not a quarter label; use YYYYQn"),
    (lambda f: f.plot.waterfall("2030-01", freq="M"), "month 2030-01 is not in the fit: its months run 2000-01..2007-12"),
    (lambda f: f.plot.contributions(periods=["2007Q4", "2030Q1"]), "quarter 2030Q1 is not in the fit"),
    (lambda f: f.summary.attribution(periods="2030Q1"), "quarter 2030Q1 is not in the fit"),
    (lambda f: f.summary.attribution("Y", periods="2024Q3-foo"), "year '2024Q3-foo' is not a year label"),
])
def test_facades_refuse_a_period_outside_the_fit_in_one_line(fits, call, needle):
    for fit in fits:
        with pytest.raises(InputError) as exc:
            call(fit)
        msg = str(exc.value)
        assert isinstance(exc.value, MacroattrError) and "\n" not in msg
        assert needle in msg, msg


def test_facades_keep_a_period_of_the_fit(fits):
    static, _ = fits
    fig = static.plot.waterfall("2007q4")  # case aside
    assert "2007Q4" in fig.layout.title.text and len(fig.data[0].y) == len(static.components) + 1
    table = static.summary.attribution(periods=["2006Q1", "2007Q4"])
    assert sorted(set(table["period"])) == ["2006Q1", "2007Q4"]
    full = static.attribution("Q")
    pd.testing.assert_frame_equal(
        pd.DataFrame(table), full[full["period"].isin(["2006Q1", "2007Q4"])].reset_index(drop=True))


# ------------------------------------------------------------ one vocabulary
@pytest.mark.parametrize("method", ["attribution", "contributions", "beta_paths", "volatility", "sigma"])
def test_every_spelling_of_an_estimate_gives_the_same_numbers(fits, method):
    _, ss = fits
    for name, spellings in SPELLINGS.items():
        want = getattr(ss, method)(estimate=name)
        for spelling in spellings:
            got = getattr(ss, method)(estimate=spelling)
            if isinstance(want, pd.DataFrame):
                pd.testing.assert_frame_equal(got, want)
            else:
                np.testing.assert_array_equal(got.values, want.values)
    # the two estimates differ (the aliases do not all fall back to one of them)
    a = ss.attribution(estimate="revised")["mean"].to_numpy()
    b = ss.attribution(estimate="first estimate")["mean"].to_numpy()
    assert not np.allclose(a, b)


def test_estimates_of_an_event_window_and_a_table_facade_take_every_spelling(fits):
    _, ss = fits
    ev = ss.event("2007-01-31", "2007-06-30")
    for name, spellings in SPELLINGS.items():
        want = ev.table(estimate=spellings[0])
        for spelling in spellings[1:]:
            pd.testing.assert_frame_equal(ev.table(estimate=spelling), want)
        pd.testing.assert_frame_equal(pd.DataFrame(ss.summary.attribution(estimate=spellings[-1])),
                                      ss.attribution(estimate=name))


def test_a_static_fit_has_no_first_estimate_and_a_typo_is_named(fits):
    static, ss = fits
    for spelling in ("first estimate", "filtered", "real time"):
        with pytest.raises(InputError, match=r"needs a state-space fit.*estimate='revised'"):
            static.attribution(estimate=spelling)
    pd.testing.assert_frame_equal(static.attribution(estimate="revised"),
                                  static.attribution(estimate="smoothed"))
    with pytest.raises(InputError, match=r"estimate 'revisd' is not an estimate: use revised \(alias "
                                         r"smoothed\) or first estimate \(aliases filtered, real time\)"):
        ss.attribution(estimate="revisd")


# ------------------------------------------------------------ tidy betas, readable facades
def test_betas_are_a_tidy_summary_by_default_and_draws_on_request(fits):
    for fit in fits:
        tidy = fit.betas()
        assert list(tidy.columns) == ["time", "factor", "mean", "median", "hdi_low", "hdi_high", "unit"]
        assert len(tidy) == fit.design.n_obs * len(fit.design.factors)
        pd.testing.assert_frame_equal(tidy, fit.beta_paths())
        draws = fit.betas(draws=True)
        assert draws.dims == ("chain", "draw", "time", "factor")
        mean = draws.mean(("chain", "draw")).to_pandas().stack().rename("mean")
        got = tidy.set_index(["time", "factor"])["mean"]
        np.testing.assert_allclose(got.to_numpy(), mean.reindex(got.index).to_numpy(), atol=1e-12)
    _, ss = fits
    sub = ss.betas("2005-01-01", "2005-12-31", estimate="first estimate")
    assert set(sub["time"].dt.year) == {2005}
    pd.testing.assert_frame_equal(
        sub.reset_index(drop=True),
        ss.beta_paths(estimate="filtered", times=ss.design.dates[ss.design.dates.year == 2005]))


def test_facade_reprs_say_what_they_hold_without_an_address(fits):
    for fit in fits:
        for facade, head in ((fit.summary, "fit.summary: tables"), (fit.plot, "fit.plot: figures")):
            text = repr(facade)
            assert text.startswith(head) and repr(fit) in text
            assert not re.search(r"at 0x[0-9a-f]+", text), text
        assert ".attribution(freq='Q', hdi=0.9, periods=None, estimate='revised')" in repr(fit.summary)
        assert ".waterfall(period=None, freq='Q', hdi=0.9)  Waterfall of one period" in repr(fit.plot)


def test_compare_on_different_observations_says_why_and_points_to_the_model_check(fits):
    from macroattr.models import compare

    static, ss = fits
    short = fit_model(static.panel, static.config.override(start="2003-01-01"))
    for other in (static, ss):
        with pytest.raises(InputError) as exc:
            compare({"whole": other, "short": short})
        msg = str(exc.value)
        assert "\n" not in msg and "(60 vs 96 periods)" in msg, msg
        assert "scores on different data (another frequency, span or target) say nothing" in msg
        assert "read the model check" in msg and "`macroattr summary`" in msg
