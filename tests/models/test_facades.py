"""Notebook facades: fit.summary tables and fit.plot figures (plotly) work on a fit."""

from __future__ import annotations

import pytest

from macroattr.models import ModelConfig, fit_model


@pytest.fixture
def exact_fit(sim, exact_cfg):
    return fit_model(sim[0], exact_cfg)


def test_summary_tables(exact_fit):
    s = exact_fit.summary
    assert list(s.coefficients().factor) == exact_fit.design.factors
    assert set(s.parameters().parameter) == {"alpha", "sigma"}
    assert "PASSED" in s.gate()
    assert {"r_hat", "ess_bulk", "ess_tail"} <= set(s.diagnostics().columns)
    assert "beta_sd" in set(s.priors().prior)


@pytest.mark.parametrize("name", ["contributions", "waterfall", "cumulative", "coefficients",
                                  "predictive", "diagnostics"])
def test_plot_figures(exact_fit, name):
    fig = getattr(exact_fit.plot, name)()
    assert fig.data, name
    assert fig.layout.title.text


def test_time_varying_coefficients_plot_bands(sim, cheap_sampler):
    cfg = ModelConfig(groups=sim[1]["groups"]).override(betas="time_varying", draws=30, chains=2)
    fit = fit_model(sim[0], cfg)
    paths = fit.beta_paths()
    assert len(paths) == 240 * 5 and paths["time"].is_monotonic_increasing is False
    assert fit.plot.coefficients().data
    assert {"beta_rw_sd[d_2y]", "nu"} <= set(fit.parameters().parameter)
