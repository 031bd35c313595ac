"""NUTS fits: reproducibility, compiled-sampler reuse, and (slow) statistical checks
against the exact conjugate oracle and simulated truth."""

from __future__ import annotations

import numpy as np
import pytest

from macroattr.models import ModelConfig, fit_model
from macroattr.models.synthetic import simulate_panel


def test_nutpie_same_seed_same_draws_and_refit_reuses_compiled_sampler(sim):
    panel, truth = sim
    cfg = ModelConfig(groups=truth["groups"]).override(draws=100, tune=150, chains=2, seed=5)
    a = fit_model(panel, cfg)
    b = fit_model(panel, cfg)  # same structure: compiled sampler comes from the cache
    assert b.meta["cache_hit"]
    assert a.posterior.identical(b.posterior)
    # a changed prior value and a shorter span reuse the compiled sampler and change the answer
    c = fit_model(panel, cfg.override(beta_sd=0.05, end="2015-12-31"))
    assert c.meta["cache_hit"] and c.design.n_obs == 192
    assert np.abs(c.posterior["beta_std"]).mean() < np.abs(a.posterior["beta_std"]).mean()
    assert set(a.posterior.data_vars) == {"alpha_std", "beta_std", "sigma_std", "nu"}
    assert a.sample_stats["diverging"].dtype == bool


@pytest.mark.slow
def test_nuts_matches_exact_conjugate_oracle(sim):
    panel, truth = sim
    base = ModelConfig(groups=truth["groups"]).override(likelihood="normal", family="conjugate",
                                                        draws=1000, tune=1000, chains=4)
    nuts = fit_model(panel, base)
    exact = fit_model(panel, base.override(method="exact", draws=4000))
    assert nuts.diagnostics.gate.passed, nuts.diagnostics.gate.line()
    cn = nuts.coefficients().set_index("factor")
    ce = exact.coefficients().set_index("factor")
    mcse = nuts.diagnostics.table.set_index("parameter")["mcse_mean"]
    for f in cn.index:
        assert abs(cn.loc[f, "mean"] - ce.loc[f, "mean"]) < 4 * mcse[f"beta[{f}]"] + 1e-12, f
        assert cn.loc[f, "sd"] == pytest.approx(ce.loc[f, "sd"], rel=0.10), f
    pn = nuts.parameters().set_index("parameter")
    pe = exact.parameters().set_index("parameter")
    assert abs(pn.loc["alpha", "mean"] - pe.loc["alpha", "mean"]) < 4 * mcse["alpha"]
    assert pn.loc["sigma", "sd"] == pytest.approx(pe.loc["sigma", "sd"], rel=0.10)


@pytest.mark.slow
def test_student_t_static_recovers_betas():
    panel, truth = simulate_panel(n=400, seed=21, nu=4.0, sigma=2.5)
    fit = fit_model(panel, ModelConfig(groups=truth["groups"]).override(draws=500, tune=500, chains=4))
    assert fit.diagnostics.divergences == 0
    c = fit.coefficients().set_index("factor")
    inside = [c.loc[f, "hdi_low"] <= b <= c.loc[f, "hdi_high"] for f, b in truth["betas"].items()]
    assert sum(inside) >= 4
    nu = fit.parameters().set_index("parameter").loc["nu"]
    assert nu["hdi_low"] < 4.0 < nu["hdi_high"]


@pytest.mark.slow
def test_time_varying_recovers_a_regime_change():
    n = 360
    t = np.arange(n)
    path = np.where(t < n // 2, 4.0, -4.0)  # d_2y beta flips sign halfway (as in the data)
    panel, truth = simulate_panel(n=n, seed=5, sigma=1.0, beta_paths={"d_2y": path})
    cfg = ModelConfig(groups=truth["groups"]).override(betas="time_varying", likelihood="normal",
                                                       draws=500, tune=700, chains=2,
                                                       target_accept=0.95)  # as benchmarks/configs/knot_grid_monthly.toml
    fit = fit_model(panel, cfg)
    assert fit.diagnostics.divergences == 0
    bp = fit.beta_paths(hdi=0.9)
    d2y = bp[bp.factor == "d_2y"].reset_index(drop=True)
    early, late = d2y.iloc[20:140], d2y.iloc[220:340]
    assert early["mean"].mean() > 2.0 and late["mean"].mean() < -2.0
    cover = ((d2y.hdi_low <= path) & (path <= d2y.hdi_high)).iloc[list(range(0, 160)) + list(range(200, 360))]
    assert cover.mean() > 0.7  # away from the jump, which a random walk smooths
    # factors that do not move: the path stays near the truth
    spread = bp[bp.factor == "d_baa_spread"]
    assert ((spread.hdi_low <= -3.0) & (-3.0 <= spread.hdi_high)).mean() > 0.8


@pytest.mark.slow
def test_pymc_sampler_same_seed_same_draws(sim):
    panel, truth = sim
    cfg = ModelConfig(groups=truth["groups"]).override(name="pymc", draws=60, tune=60, chains=2, seed=9)
    a, b = fit_model(panel, cfg), fit_model(panel, cfg)
    assert b.meta["cache_hit"] and a.meta["sampler"] == "pymc"
    assert a.posterior.identical(b.posterior)
