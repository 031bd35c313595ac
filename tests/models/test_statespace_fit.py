"""State-space fits (betas = "state_space", method exact): the Fit interface end to end."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import xarray as xr
import pytest

from macroattr.core.errors import InputError
from macroattr.data_pipelines.panel import Panel
from macroattr.models import ModelConfig, fit_model, load_fit
from macroattr.models.synthetic import simulate_panel
from tests.cli import one_line_error, run_cli


@pytest.fixture(scope="module")
def flip():
    """Monthly panel whose d_2y beta flips sign half way, volatility bursting at 2/3."""
    n = 360
    path = np.where(np.arange(n) < n // 2, 4.0, -4.0)
    panel, truth = simulate_panel(n=n, seed=5, sigma=1.5, beta_paths={"d_2y": path})
    df = panel.data.copy()
    rng = np.random.default_rng(0)
    burst = slice(240, 270)
    df.iloc[burst, 0] += rng.normal(scale=6.0, size=30)
    return Panel(df, dict(panel.meta)), truth


@pytest.fixture(scope="module")
def ss_cfg(flip):
    return ModelConfig(groups=flip[1]["groups"]).override(
        betas="state_space", method="exact", draws=250, chains=4,
        beta_discounts=[0.95, 0.98, 0.99, 1.0], variance_discounts=[0.9, 0.95, 1.0])


@pytest.fixture(scope="module")
def ss_fit(flip, ss_cfg):
    return fit_model(flip[0], ss_cfg)


@pytest.mark.parametrize("estimate", ["smoothed", "filtered"])
@pytest.mark.parametrize("freq", ["M", "Q"])
def test_identity_draw_by_draw(ss_fit, estimate, freq):
    c = ss_fit.contributions(freq, estimate=estimate)
    assert list(c.dims) == ["chain", "draw", "period", "component"]
    assert float(abs(c.sum("component") - ss_fit.observed(freq)).max()) < 1e-9
    tab = ss_fit.attribution(freq, 0.9, estimate=estimate)
    means = tab[tab.component != "total"].groupby("period", sort=False)["mean"].sum()
    tot = tab[tab.component == "total"].set_index("period")["mean"]
    assert np.allclose(means.loc[tot.index], tot, atol=1e-9)


def test_betas_sigma_shapes_and_units(ss_fit):
    b = ss_fit.betas(estimate="filtered", draws=True)
    assert b.dims == ("chain", "draw", "time", "factor") and b.shape[:2] == (4, 250)
    sub = ss_fit.betas("2010-01-01", "2010-12-31", draws=True)
    assert sub.sizes["time"] == 12
    s = ss_fit.sigma()
    assert s.dims == ("chain", "draw", "time") and float(s.min()) > 0
    assert s.attrs["units"] == "pp"


def test_recovers_flip_and_burst(ss_fit, flip):
    panel, truth = flip
    b = ss_fit.betas(draws=True).sel(factor="d_2y").mean(("chain", "draw")).to_numpy()
    # a random walk bends through a step change: judge the regimes away from the break
    assert b[40:140].mean() > 2.0 and b[240:360].mean() < -2.0
    s = ss_fit.sigma().mean(("chain", "draw")).to_numpy()
    assert s[245:265].mean() > 2.0 * s[60:160].mean()
    osa = ss_fit.one_step_ahead()
    static = ss_fit.one_step_ahead(static=True)
    assert list(osa.columns) == ["date", "observed", "mean", "scale", "df", "log_score", "pit"]
    assert osa["log_score"].sum() > static["log_score"].sum() + 10  # time variation supported
    # discounts: the posterior puts its mass on time-varying betas and volatility
    assert float((ss_fit.posterior["delta_beta"] < 1).mean()) > 0.99
    pv = ss_fit.p_varies()
    assert pv["d_2y"] > 0.95 and list(pv.index) == ss_fit.design.factors


def test_save_load_same_numbers_small_file(ss_fit, tmp_path):
    path = tmp_path / "ss.nc"
    ss_fit.save(path)
    again = load_fit(path)
    assert again.state_space
    for est in ("smoothed", "filtered"):
        a = ss_fit.contributions("Q", estimate=est)
        b = again.contributions("Q", estimate=est)
        assert np.array_equal(a.values, b.values)
    # small: no per-draw path of every period and state; what grows the file is the
    # per-draw period sums and summaries the page reads (macroattr.models.fit.stored)
    kept = sum(v.nbytes for v in again._store.values())
    assert path.stat().st_size < 2_000_000 + kept
    S, T = again.n_samples, again.design.n_obs
    assert not any(v.ndim >= 2 and v.shape[:2] == (S, T) for v in again._store.values())
    pd.testing.assert_frame_equal(ss_fit.one_step_ahead(), again.one_step_ahead(), check_dtype=False)


def test_filtered_has_no_look_ahead(flip, ss_cfg):
    panel, _ = flip
    df = panel.data.copy()
    cut = 200
    df.iloc[cut:, 0] = -df.iloc[cut:, 0] * 3
    df.iloc[cut:, 1] = df.iloc[cut:, 1] * 2
    a = fit_model(panel, ss_cfg)
    b = fit_model(Panel(df, dict(panel.meta)), ss_cfg)
    fa = a.betas(estimate="filtered", draws=True).isel(time=slice(0, cut)).values
    fb = b.betas(estimate="filtered", draws=True).isel(time=slice(0, cut)).values
    assert np.array_equal(fa, fb)
    assert np.array_equal(a.sigma(estimate="filtered").values[:, :, :cut],
                          b.sigma(estimate="filtered").values[:, :, :cut])
    assert np.array_equal(a.one_step_ahead()["log_score"][:cut], b.one_step_ahead()["log_score"][:cut])
    sa, sb = a.betas(draws=True).values[:, :, :cut], b.betas(draws=True).values[:, :, :cut]
    assert not np.allclose(sa, sb)  # smoothed estimates are revised by later data


def test_static_fit_filtered_is_refused(sim, exact_cfg):
    fit = fit_model(sim[0], exact_cfg)
    with pytest.raises(InputError, match="needs a state-space fit"):
        fit.betas(estimate="filtered", draws=True)
    assert len(fit.one_step_ahead()) == fit.design.n_obs  # static: the delta = 1 filter


def _write(tmp_path, df, name="p.csv"):
    p = tmp_path / name
    df.rename_axis("date").to_csv(p)
    return p


def _cfg(tmp_path, extra=""):
    c = tmp_path / "ss.toml"
    c.write_text('[groups]\nrates = ["d_2y"]\nleverage = ["d_baa_spread"]\n'
                 '[model]\nbetas = "state_space"\n[sampler]\nmethod = "exact"\ndraws = 50\n'
                 + extra)
    return c


@pytest.mark.parametrize("case, match", [
    ("constant", "'d_baa_spread' is constant"),
    ("short", "observations in the fit span"),
    ("nan", r"missing value in column d_2y on 2000-11-30"),
    ("discount", r"state_space.beta_discounts: .*outside \(0, 1\]"),
    ("vdiscount", r"state_space.variance_discounts: .*outside \(0, 1\]"),
])
def test_cli_bad_input_one_line(tmp_path, capsys, case, match):
    panel, _ = simulate_panel(n=60, seed=3)
    df = panel.data[["rel_return", "d_2y", "d_baa_spread"]].copy()
    extra = ""
    if case == "constant":
        df["d_baa_spread"] = 0.25
    elif case == "short":
        df = df.iloc[:3]
    elif case == "nan":
        df.iloc[10, 1] = np.nan
    elif case == "discount":
        extra = "[state_space]\nbeta_discounts = [0.99, 1.5]\n"
    else:
        extra = "[state_space]\nvariance_discounts = [0.0]\n"
    out = tmp_path / "f.nc"
    code, _, err = run_cli(["fit", "--panel", str(_write(tmp_path, df)), "--config",
                            str(_cfg(tmp_path, extra)), "--out", str(out)], capsys)
    line = one_line_error(code, err)
    assert re.search(match, line), line
    assert not out.exists()


def test_cli_fit_and_summary(tmp_path, capsys):
    panel, _ = simulate_panel(n=120, seed=3)
    p = _write(tmp_path, panel.data[["rel_return", "d_2y", "d_baa_spread"]])
    out = tmp_path / "f.nc"
    code, stdout, err = run_cli(["fit", "--panel", str(p), "--config", str(_cfg(tmp_path)),
                                 "--out", str(out)], capsys)
    assert code == 0, err
    code, stdout, err = run_cli(["summary", "--fit", str(out)], capsys)
    assert code == 0, err
    assert "one-step-ahead LPDS" in stdout and "delta_beta" in stdout and "P(varies)" in stdout


def test_attribution_of_a_span(ss_fit):
    full = ss_fit.attribution("Q", estimate="filtered")
    q = ss_fit.quarters[-3:-1]
    start = str(pd.Period(q[0], freq="Q").start_time.date())
    end = str(pd.Period(q[-1], freq="Q").end_time.date())
    part = ss_fit.attribution("Q", estimate="filtered", start=start, end=end)
    assert sorted(part["period"].unique()) == sorted(q)
    ref = full[full["period"].isin(q)].reset_index(drop=True)
    pd.testing.assert_frame_equal(part.reset_index(drop=True), ref)
    with pytest.raises(InputError, match="no fitted periods"):
        ss_fit.attribution("Q", start="1900-01-01", end="1900-03-31")


def test_volatility_table_and_plot(ss_fit):
    vol = ss_fit.volatility()
    assert list(vol.columns) == ["time", "mean", "median", "hdi_low", "hdi_high", "unit"]
    assert (vol["hdi_low"] <= vol["mean"]).all() and (vol["mean"] <= vol["hdi_high"]).all()
    s = ss_fit.sigma().mean(("chain", "draw")).to_numpy()
    assert np.allclose(vol["mean"], s)
    fig = ss_fit.plot.volatility(estimate="filtered")
    assert len(fig.data) == 3


def test_filtered_quarter_is_the_estimate_at_its_end(flip, ss_cfg):
    """A quarter's real-time attribution is the quarter as estimated with data to its last
    day: unchanged when later data change, jointly drawn within the quarter (its interval is
    not the too-narrow sum of independent daily draws)."""
    panel, _ = flip
    a = fit_model(panel, ss_cfg)
    q = a.quarters[40]
    end = pd.Period(q, freq="Q").end_time
    df = panel.data.copy()
    later = df.index > end
    df.loc[later, "rel_return"] = df.loc[later, "rel_return"] * -2 + 1
    b = fit_model(Panel(df, dict(panel.meta)), ss_cfg)
    ca = a.contributions("Q", estimate="filtered").sel(period=q)
    cb = b.contributions("Q", estimate="filtered").sel(period=q)
    assert np.array_equal(ca.values, cb.values)
    # the monthly pieces of the same quarter (each as estimated at its month end) differ
    months = a.contributions("M", estimate="filtered")
    in_q = [m for m in months.period.values if pd.Period(m, freq="M").asfreq("Q") == pd.Period(q, freq="Q")]
    assert not np.allclose(months.sel(period=in_q).sum("period").values, ca.values)


def test_static_monthly_counterpart_of_a_daily_fit():
    panel, truth = simulate_panel(n=700, freq="D", seed=4, sigma=1.0)
    cfg = ModelConfig(groups=truth["groups"]).override(
        betas="state_space", method="exact", draws=50, chains=2,
        beta_discounts=[0.995, 1.0], variance_discounts=[0.98, 1.0])
    fit = fit_model(panel, cfg)
    m = fit.static_counterpart("M")
    assert m.freq == "M" and m.design.n_obs == len(fit.observed("M"))
    # the months' observed returns are the days' sums; the identity holds on the months
    assert np.allclose(m.observed("Q").values, fit.observed("Q").values)
    c = m.contributions("Q")
    assert float(abs(c.sum("component") - m.observed("Q")).max()) < 1e-9
    assert float(m.posterior["delta_beta"].min()) == 1.0
    assert fit.static_counterpart("M") is m  # computed once


def test_summed_pass_equals_the_sum_of_periods(ss_fit):
    """Quarters summed inside the compiled pass equal the months summed afterwards."""
    m = ss_fit.contributions("M")
    q = ss_fit.contributions("Q")
    quarters = [str(pd.Period(p, freq="M").asfreq("Q")) for p in m.period.values]
    by_q = m.groupby(xr.DataArray(quarters, dims="period", name="quarter")).sum("period")
    assert np.allclose(by_q.sel(quarter=list(q.period.values)).values,
                       q.transpose("chain", "draw", "period", "component").values, atol=1e-10)


def test_cli_attribution_filtered(tmp_path, capsys):
    panel, _ = simulate_panel(n=120, seed=3)
    p = _write(tmp_path, panel.data[["rel_return", "d_2y", "d_baa_spread"]])
    fit_file = tmp_path / "f.nc"
    code, _, err = run_cli(["fit", "--panel", str(p), "--config", str(_cfg(tmp_path)),
                            "--out", str(fit_file)], capsys)
    assert code == 0, err
    out = tmp_path / "a.csv"
    code, _, err = run_cli(["attribution", "--fit", str(fit_file), "--estimate", "filtered",
                            "--out", str(out)], capsys)
    assert code == 0, err
    table = pd.read_csv(out)
    ref = load_fit(fit_file).attribution("Q", 0.9, estimate="filtered")
    assert np.allclose(table["mean"], ref["mean"], atol=1e-6)
    # one vocabulary: "first estimate" is the reader's word for filtered, "revised" for smoothed;
    # every spelling writes the same table, the default is the revised one
    revised = load_fit(fit_file).attribution("Q", 0.9, estimate="smoothed")
    for spelling, want in (("first estimate", ref), ("real time", ref), ("First-Estimate", ref),
                           ("revised", revised), ("smoothed", revised), (None, revised)):
        code, _, err = run_cli(["attribution", "--fit", str(fit_file),
                                *(["--estimate", spelling] if spelling else []),
                                "--out", str(tmp_path / "b.csv")], capsys)
        assert code == 0, err
        assert np.allclose(pd.read_csv(tmp_path / "b.csv")["mean"], want["mean"], atol=1e-9), spelling
    assert not np.allclose(ref["mean"], revised["mean"])
