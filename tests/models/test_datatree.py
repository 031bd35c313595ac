"""Fits speak ArviZ: ``fit.to_datatree()`` in natural units, read by az.summary, az.loo and
az.plot_forest, for static and state-space fits."""

from __future__ import annotations

import warnings

import arviz as az
import numpy as np
import pytest

from macroattr.models import ModelConfig, fit_model
from macroattr.models.synthetic import simulate_panel


@pytest.fixture(scope="module", params=["static", "state_space"])
def fit(request):
    panel, truth = simulate_panel(n=120, seed=5)
    kw = {"betas": "state_space"} if request.param == "state_space" else {"likelihood": "normal"}
    return fit_model(panel, ModelConfig(groups=truth["groups"]).override(method="exact", draws=150,
                                                                         chains=2, **kw))


def test_groups_and_natural_units(fit):
    tree = fit.to_datatree(log_likelihood=True)
    want = {"posterior", "observed_data", "constant_data", "log_likelihood"}
    if fit.state_space:
        want.add("discount_grid")
    assert set(tree.children) == want
    post = tree["posterior"].to_dataset()
    beta = post["beta_mean" if fit.time_varying else "beta"]
    assert beta.dims == ("chain", "draw", "factor") and list(beta["factor"].values) == fit.design.factors
    # the same numbers as the fit's own coefficient table (natural units, not standardised)
    coef = fit.coefficients().set_index("factor")
    np.testing.assert_allclose(beta.mean(("chain", "draw")).values, coef.loc[fit.design.factors, "mean"],
                               atol=1e-9)
    np.testing.assert_array_equal(tree["observed_data"][fit.config.target].values, fit.design.y)
    np.testing.assert_array_equal(tree["constant_data"]["x"].values, fit.design.X)
    if fit.time_varying:  # paths with labelled dims
        assert post["beta"].dims == ("chain", "draw", "time", "factor")
        np.testing.assert_allclose(post["beta"].values, fit.betas(draws=True).values, atol=1e-12)
        assert post["sigma_path"].dims == ("chain", "draw", "time")
        grid = tree["discount_grid"].to_dataset()
        np.testing.assert_allclose(grid["weight"].values.sum(), 1.0, atol=1e-9)
        assert "grid_weight" not in post and "grid" not in post.dims
    else:
        params = fit.parameters().set_index("parameter")
        np.testing.assert_allclose(float(post["sigma"].mean()), params.loc["sigma", "mean"], atol=1e-9)
        assert post["sigma"].attrs["units"].startswith(fit.target_unit)


def test_arviz_reads_it(fit):
    tree = fit.to_datatree(log_likelihood=True)
    s = az.summary(tree)
    name = "beta_mean" if fit.time_varying else "beta"
    rows = [r for r in s.index if str(r).startswith(name + "[")]
    assert len(rows) == fit.design.n_factors
    assert np.isfinite(s.loc[rows, "r_hat"].astype(float)).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loo = az.loo(tree)
    assert np.isclose(loo.elpd, fit.loo.elpd, atol=1e-6)
    pc = az.plot_forest(tree, var_names=[name], backend="matplotlib")
    assert pc is not None


def test_paths_can_be_left_out(fit):
    tree = fit.to_datatree(paths=False)
    assert "beta" not in tree["posterior"] or not fit.time_varying
    assert "log_likelihood" not in tree.children
