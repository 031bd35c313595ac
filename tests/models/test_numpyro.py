"""The numpyro sampler: same Fit, stats and NetCDF as the other samplers, reproducible
with a seed, and (slow) in agreement with the exact conjugate posterior."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from macroattr.core.errors import InputError
from macroattr.models import ModelConfig, fit_model, load_fit
from macroattr.models.synthetic import simulate_panel

needs_numpyro = pytest.mark.skipif(importlib.util.find_spec("numpyro") is None,
                                   reason="numpyro/jax not installed")


@pytest.fixture(scope="module")
def small():
    return simulate_panel(n=120, seed=3)


def _tiny(truth, seed: int) -> ModelConfig:
    """One tiny numpyro setting for the plumbing tests: the same model, data and draw counts
    give the same XLA programs (only the seed differs, a run-time argument), so after the
    first fit the others read them from JAX's persistent cache instead of compiling."""
    return ModelConfig(groups=truth["groups"]).override(name="numpyro", draws=60, tune=80,
                                                        chains=2, seed=seed)


@needs_numpyro
def test_numpyro_fit_has_the_same_stats_diagnostics_and_netcdf(small, tmp_path):
    panel, truth = small
    cfg = _tiny(truth, seed=13)
    a = fit_model(panel, cfg)
    assert a.meta["sampler"] == "numpyro"
    # XLA programs kept beside PyTensor's cache, so a refit reads them instead of compiling
    import jax
    import pytensor

    cache = Path(jax.config.jax_compilation_cache_dir)
    assert cache == Path(pytensor.config.base_compiledir) / "jax" and any(cache.iterdir())
    # same variables, dims and dtypes as the nutpie/PyMC paths
    assert set(a.posterior.data_vars) == {"alpha_std", "beta_std", "sigma_std", "nu"}
    assert a.posterior["beta_std"].dims == ("chain", "draw", "factor")
    assert list(a.posterior["factor"].values) == cfg.factors
    assert a.posterior["beta_std"].dtype == np.float64  # JAX ran in 64-bit
    assert {"diverging", "energy", "n_steps", "step_size", "tree_depth"} <= set(a.sample_stats)
    assert a.sample_stats["diverging"].dtype == bool
    assert dict(a.sample_stats.sizes) == {"chain": 2, "draw": 60}
    # the stats reach the diagnostics and the gate
    d = a.diagnostics
    assert d.divergences == int(a.sample_stats["diverging"].sum())
    assert len(d.bfmi) == 2 and all(np.isfinite(d.bfmi))
    assert not d.gate.passed  # 120 draws cannot reach a bulk ESS of 400
    assert any("ESS" in r for r in d.gate.reasons)
    assert a.meta["versions"]["numpyro"] != "not installed"
    # the posterior is the model's, not noise: betas near the simulated truth
    c = a.coefficients().set_index("factor")
    for f, b in truth["betas"].items():
        assert abs(c.loc[f, "mean"] - b) < 4 * c.loc[f, "sd"] + 1e-9, f
    # NetCDF round trip
    path = tmp_path / "np.nc"
    a.save(str(path))
    back = load_fit(str(path))
    assert back.meta["sampler"] == "numpyro"
    assert back.posterior.identical(a.posterior)
    np.testing.assert_array_equal(back.sample_stats["energy"], a.sample_stats["energy"])
    assert back.diagnostics.gate.passed == d.gate.passed


@pytest.mark.slow
@needs_numpyro
def test_numpyro_same_seed_same_draws(small):
    panel, truth = small
    cfg = _tiny(truth, seed=21)
    a = fit_model(panel, cfg)
    b = fit_model(panel, cfg)  # same structure: the PyMC model is reused, draws must not change
    assert b.meta["cache_hit"]
    assert a.posterior.identical(b.posterior)
    assert a.sample_stats.identical(b.sample_stats)
    assert not a.posterior.identical(fit_model(panel, cfg.override(seed=22)).posterior)


@pytest.mark.slow
@needs_numpyro
def test_numpyro_time_varying_runs(small):
    panel, truth = small
    cfg = ModelConfig(groups=truth["groups"]).override(name="numpyro", betas="time_varying",
                                                       likelihood="normal", draws=30, tune=40,
                                                       chains=2, seed=2)
    fit = fit_model(panel, cfg)
    assert fit.posterior["tv_path"].dims == ("chain", "draw", "knot", "factor")
    assert np.isfinite(fit.betas(draws=True).values).all()


@pytest.mark.parametrize("missing", ["numpyro", "jax"])
def test_numpyro_missing_is_one_line_input_error(small, monkeypatch, missing):
    monkeypatch.setitem(sys.modules, missing, None)  # `import missing` raises ImportError
    panel, truth = small
    cfg = ModelConfig(groups=truth["groups"]).override(name="numpyro", draws=20, tune=20)
    with pytest.raises(InputError, match="sampler 'numpyro' needs jax and numpyro: pip install "
                                         "numpyro jax") as err:
        fit_model(panel, cfg)
    assert "\n" not in str(err.value)


@needs_numpyro
@pytest.mark.slow
def test_numpyro_matches_exact_conjugate_posterior(sim):
    panel, truth = sim
    base = ModelConfig(groups=truth["groups"]).override(likelihood="normal", family="conjugate",
                                                        draws=1000, tune=1000, chains=4, seed=8)
    nuts = fit_model(panel, base.override(name="numpyro"))
    exact = fit_model(panel, base.override(method="exact", draws=4000))
    assert nuts.diagnostics.gate.passed, nuts.diagnostics.gate.line()
    mcse = nuts.diagnostics.table.set_index("parameter")["mcse_mean"]
    cn = nuts.coefficients().set_index("factor")
    ce = exact.coefficients().set_index("factor")
    for f in cn.index:
        assert abs(cn.loc[f, "mean"] - ce.loc[f, "mean"]) < 4 * mcse[f"beta[{f}]"], f
        assert cn.loc[f, "sd"] == pytest.approx(ce.loc[f, "sd"], rel=0.10), f
    pn = nuts.parameters().set_index("parameter")
    pe = exact.parameters().set_index("parameter")
    assert abs(pn.loc["alpha", "mean"] - pe.loc["alpha", "mean"]) < 4 * mcse["alpha"]
    assert abs(pn.loc["sigma", "mean"] - pe.loc["sigma", "mean"]) < 4 * mcse["sigma"]
    assert pn.loc["sigma", "sd"] == pytest.approx(pe.loc["sigma", "sd"], rel=0.10)
