"""Exact conjugate path: recovery, OLS agreement, the attribution identity, reproducibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from macroattr.models import ModelConfig, fit_model
from macroattr.models.synthetic import simulate_panel


@pytest.mark.parametrize("freq", ["M", "Q", "Y"])
def test_components_sum_to_observed_every_draw_and_period(sim, exact_cfg, freq):
    fit = fit_model(sim[0], exact_cfg)
    c = fit.contributions(freq)
    assert c.dims == ("chain", "draw", "period", "component")
    assert list(c.component.values) == ["alpha", "rates", "inflation", "leverage", "political", "residual"]
    obs = fit.observed(freq)
    err = np.abs(c.sum("component") - obs).max()
    assert float(err) < 1e-9
    # Q and Y are exact sums of the months (log returns add)
    monthly = fit.contributions("M")
    if freq != "M":
        first = c.period.values[0]
        months = [p for p in monthly.period.values
                  if (p[:4] == first[:4]) and (freq == "Y" or (int(p[5:7]) - 1) // 3 + 1 == int(first[-1]))]
        np.testing.assert_allclose(monthly.sel(period=months).sum("period"), c.sel(period=first),
                                   atol=1e-9)


def test_time_varying_identity_with_stand_in_draws(sim, cheap_sampler):
    cfg = ModelConfig(groups=sim[1]["groups"]).override(betas="time_varying", draws=50, chains=2)
    fit = fit_model(sim[0], cfg)
    b = fit.betas(draws=True)
    assert b.dims == ("chain", "draw", "time", "factor")
    assert float(b.std("time").max()) > 0  # betas do move over time
    for freq in ("M", "Q", "Y"):
        c = fit.contributions(freq)
        assert float(np.abs(c.sum("component") - fit.observed(freq)).max()) < 1e-9
    # the base beta is the time-average of the path (deviations centred over the span)
    base = fit.coefficients()["mean"].to_numpy()
    np.testing.assert_allclose(b.mean(("chain", "draw", "time")).values, base, rtol=1e-5, atol=1e-6)


def test_attribution_table_columns_and_total(sim, exact_cfg):
    fit = fit_model(sim[0], exact_cfg)
    t = fit.attribution("Q", hdi=0.8)
    assert list(t.columns) == ["period", "component", "mean", "median", "hdi_low", "hdi_high", "unit",
                               "complete"]
    assert t["period"].iloc[0] == "2000Q1" and set(t["unit"]) == {"pp"}
    q = t[t.period == "2003Q2"].set_index("component")
    assert list(q.index) == ["alpha", "rates", "inflation", "leverage", "political", "residual", "total"]
    # means add up to the observed total; intervals contain the means
    assert q.loc[q.index != "total", "mean"].sum() == pytest.approx(q.loc["total", "mean"], abs=1e-9)
    assert (t.hdi_low <= t["mean"] + 1e-12).all() and (t["mean"] <= t.hdi_high + 1e-12).all()
    y = sim[0].data["rel_return"]
    assert q.loc["total", "mean"] == pytest.approx(y["2003-04":"2003-06"].sum(), abs=1e-12)


def test_same_seed_same_draws_other_seed_other_draws(sim, exact_cfg):
    a = fit_model(sim[0], exact_cfg)
    b = fit_model(sim[0], exact_cfg)
    c = fit_model(sim[0], exact_cfg.override(seed=exact_cfg.sampler.seed + 1))
    assert a.posterior.identical(b.posterior)
    assert not np.allclose(a.posterior["beta_std"], c.posterior["beta_std"])


def test_vague_prior_posterior_mean_matches_statsmodels_ols(sim):
    import statsmodels.api as sm
    panel, truth = sim
    cfg = ModelConfig(groups=truth["groups"]).override(
        method="exact", likelihood="normal", alpha_sd=1e4, beta_sd=1e4, draws=4000)
    fit = fit_model(panel, cfg)
    factors = cfg.factors
    ols = sm.OLS(panel.data["rel_return"], sm.add_constant(panel.data[factors])).fit()
    coefs = fit.coefficients().set_index("factor")
    # posterior mean of the conjugate posterior is the OLS estimate; draws: within 4 MCSE
    se = ols.bse[factors].to_numpy()
    mcse = se / np.sqrt(4 * 4000)
    assert np.all(np.abs(coefs.loc[factors, "mean"].to_numpy() - ols.params[factors].to_numpy()) < 4 * mcse + 1e-9)
    # posterior sd ~ OLS standard error (t vs normal and the IG prior: within 3%)
    np.testing.assert_allclose(coefs.loc[factors, "sd"].to_numpy(), se, rtol=0.03)
    alpha = fit.parameters().set_index("parameter").loc["alpha", "mean"]
    assert alpha == pytest.approx(ols.params["const"], abs=4 * ols.bse["const"] / np.sqrt(16000) + 1e-9)


def test_recovery_and_90pct_coverage_over_repeated_simulations():
    hits, n = 0, 0
    errors = []
    for seed in range(60):
        panel, truth = simulate_panel(n=240, seed=1000 + seed)
        cfg = ModelConfig(groups=truth["groups"]).override(method="exact", likelihood="normal",
                                                           draws=400, chains=2, seed=seed)
        coefs = fit_model(panel, cfg).coefficients(hdi=0.9).set_index("factor")
        for f, b in truth["betas"].items():
            lo, hi = coefs.loc[f, ["hdi_low", "hdi_high"]]
            hits += lo <= b <= hi
            n += 1
            errors.append(coefs.loc[f, "mean"] - b)
    coverage = hits / n
    assert 0.85 <= coverage <= 0.95, coverage  # 300 intervals: binomial sd 1.7 pp
    assert abs(np.mean(errors)) < 0.15  # no systematic bias (pp per unit)


def test_variance_shares_add_to_100(sim, exact_cfg):
    fit = fit_model(sim[0], exact_cfg)
    v = fit.variance_shares().set_index("component")
    assert list(v.index)[-3:] == ["covariance between groups", "fitted/observed", "macro/observed"]
    groups = ["rates", "inflation", "leverage", "political", "covariance between groups"]
    # per-draw shares + covariance sum to 100, so the means do too
    assert v.loc[groups, "mean"].sum() == pytest.approx(100.0)
    assert (v.loc[["rates", "leverage"], "mean"] > 5).all()
    # the streamed computation equals the direct one on the full contributions array
    c = fit.contributions("M").stack(sample=("chain", "draw")).transpose("sample", "period", "component").values
    fitted = c[:, :, :-1].sum(axis=2)
    direct = 100 * c[:, :, 1:-1].var(axis=1, ddof=1) / fitted.var(axis=1, ddof=1)[:, None]
    np.testing.assert_allclose(v.loc[groups[:-1], "mean"].to_numpy(), direct.mean(axis=0), rtol=1e-8)


def test_coefficients_in_natural_units(sim, exact_cfg):
    fit = fit_model(sim[0], exact_cfg)
    c = fit.coefficients().set_index("factor")
    assert c.loc["d_2y", "unit"] == "pp per 100 bp"
    assert c.loc["cpi_surprise", "unit"] == "pp per pp"
    assert c.loc["dlog_epu", "unit"] == "pp per 100% change"
    # credit spread: true -3 pp per 100 bp, recovered in natural units
    assert c.loc["d_baa_spread", "hdi_low"] < -3 < c.loc["d_baa_spread", "hdi_high"]


def test_ppc_and_loo(sim, exact_cfg):
    fit = fit_model(sim[0], exact_cfg)
    p = fit.ppc()
    assert len(p) == 240 and 0.8 < p["inside"].mean() < 0.98
    q = fit.ppc("Q")
    assert len(q) == 80
    np.testing.assert_allclose(q["observed"].sum(), sim[0].data["rel_return"].sum())
    row = fit.summary.loo().iloc[0]
    assert row["n_obs"] == 240 and row["pareto_k_gt_0.7"] == 0


def test_gate_exact_passes_trivially_and_fails_on_too_few_draws(sim, exact_cfg):
    fit = fit_model(sim[0], exact_cfg)
    assert fit.diagnostics.gate.passed and "iid" in fit.diagnostics.gate.note
    few = fit_model(sim[0], exact_cfg.override(draws=20, chains=2))
    assert not few.diagnostics.gate.passed
    assert "bulk ESS" in few.diagnostics.gate.line()


def test_repr_html_shows_spec_span_gate_and_table(sim, exact_cfg):
    fit = fit_model(sim[0], exact_cfg)
    h = fit._repr_html_()
    assert "PASSED" in h and "2000-01-31" in h and "d_baa_spread" in h and "pp per 100 bp" in h
    assert isinstance(fit.summary.attribution("Y"), pd.DataFrame)


def test_single_chain_nuts_fails_the_gate_with_a_reason_not_a_crash(sim, cheap_sampler):
    """R-hat needs two chains: one chain is a failed gate that says why, never an exception."""
    from macroattr.models import ModelConfig, fit_model

    cfg = ModelConfig(groups=sim[1]["groups"]).override(draws=60, tune=10, chains=1)
    fit = fit_model(sim[0], cfg)
    assert not fit.diagnostics.gate.passed
    assert any("single chain" in r for r in fit.diagnostics.gate.reasons)


def test_single_chain_exact_passes_without_r_hat(sim):
    from macroattr.models import ModelConfig, fit_model

    cfg = ModelConfig(groups=sim[1]["groups"]).override(method="exact", likelihood="normal",
                                                         draws=800, chains=1)
    fit = fit_model(sim[0], cfg)
    assert fit.diagnostics.gate.passed, fit.diagnostics.gate.reasons
