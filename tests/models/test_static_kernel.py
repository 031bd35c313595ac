"""macroattr.models.estimation.static_kernel: the hand-written static log density is the PyMC model's, exactly.

The C callback must return the same log density and gradient as
``models.specs.build_pymc_model(...).logp()`` at arbitrary unconstrained points (Student-t
and normal, pooled prior), after a data swap (``with_data``: other span, other prior
values) too; a fit through it must give the posterior of nutpie on PyMC's own log
density, and the same seed must give identical draws.
"""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

import numba  # noqa: F401 - a hard dependency (through pymc/nutpie)
import nutpie

from macroattr.models import ModelConfig, fit_model
from macroattr.models.estimation import static_kernel as sk
from macroattr.models.estimation.design import build_design
from macroattr.models.estimation.sampling import clear_cache
from macroattr.models.estimation.specs import build_pymc_model

_SIG = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_void_p,
                        ctypes.c_void_p, ctypes.c_void_p)


def _call(cm, x: np.ndarray) -> tuple[int, float, np.ndarray]:
    out, lp = np.zeros(cm.n_dim), np.zeros(1)
    x = np.ascontiguousarray(x, dtype=np.float64)
    rc = _SIG(cm.compiled_logp_func.address)(cm.n_dim, x.ctypes.data, out.ctypes.data,
                                              lp.ctypes.data, cm.user_data.ctypes.data)
    return int(rc), float(lp[0]), out


def _check_against_pymc(cm, design, cfg, seed: int) -> None:
    model = build_pymc_model(design, cfg)
    logp, dlogp = model.compile_logp(), model.compile_dlogp()
    start = model.initial_point()
    rng = np.random.default_rng(seed)
    for _ in range(4):
        x = rng.normal(0.0, 0.7, cm.n_dim)
        point, i = {}, 0
        for v in model.value_vars:
            shape = np.shape(start[v.name])
            size = int(np.prod(shape))
            point[v.name] = x[i:i + size].reshape(shape)
            i += size
        assert i == cm.n_dim
        rc, lp, grad = _call(cm, x)
        assert rc == 0
        assert lp == pytest.approx(float(logp(point)), rel=1e-10, abs=1e-8)
        np.testing.assert_allclose(grad, dlogp(point), rtol=1e-8, atol=1e-7)


@pytest.mark.parametrize("likelihood", ["student_t", "normal"])
def test_logp_and_gradient_equal_pymc_before_and_after_a_data_swap(sim, likelihood):
    panel, truth = sim
    cfg = ModelConfig(groups=truth["groups"]).override(likelihood=likelihood)
    design = build_design(panel, cfg)
    assert sk.supports(design, cfg)
    cm = sk.compile_static(design, cfg)
    _check_against_pymc(cm, design, cfg, seed=0)

    cfg2 = cfg.override(beta_sd=0.8, start=str(panel.data.index[60].date()))
    design2 = build_design(panel, cfg2)
    assert design2.n_obs < design.n_obs
    cm2 = cm.with_data(design2, cfg2)
    _check_against_pymc(cm2, design2, cfg2, seed=1)
    # the original model still holds its own data
    _check_against_pymc(cm, design, cfg, seed=2)


def test_bad_point_is_reported_not_crashed(sim):
    panel, truth = sim
    cfg = ModelConfig(groups=truth["groups"])
    cm = sk.compile_static(build_design(panel, cfg), cfg)
    x = np.zeros(cm.n_dim)
    x[-1] = 1e6  # nu overflows to inf
    rc, _, _ = _call(cm, x)
    assert rc != 0


def test_not_used_for_models_it_does_not_implement(sim):
    panel, truth = sim
    base = ModelConfig(groups=truth["groups"])
    for cfg in (base.override(family="conjugate"), base.override(betas="time_varying")):
        assert not sk.supports(build_design(panel, cfg), cfg)


def test_fit_matches_the_pytensor_path_and_same_seed_same_draws(sim):
    from macroattr.models.estimation.compiled import compile_nutpie
    from macroattr.models.estimation.specs import STORED_VARS

    panel, truth = sim
    cfg = ModelConfig(groups=truth["groups"]).override(draws=500, tune=300, chains=2)
    clear_cache()
    a = fit_model(panel, cfg)
    b = fit_model(panel, cfg)  # from the in-process cache
    assert b.meta["cache_hit"] is True
    np.testing.assert_array_equal(a.posterior["beta_std"].values, b.posterior["beta_std"].values)
    assert a.diagnostics.divergences == 0

    # the same posterior as nutpie on PyMC's own (PyTensor) log density of the same model
    design = build_design(panel, cfg)
    ref = nutpie.sample(compile_nutpie(build_pymc_model(design, cfg), STORED_VARS), draws=500,
                        tune=300, chains=2, seed=5, progress_bar=False)["posterior"]
    for v in ("alpha_std", "beta_std", "sigma_std", "nu"):
        mine, theirs = np.asarray(a.posterior[v]), np.asarray(ref[v])
        sd = theirs.std(axis=(0, 1))
        np.testing.assert_array_less(np.abs(mine.mean(axis=(0, 1)) - theirs.mean(axis=(0, 1))),
                                     0.3 * sd, err_msg=v)
        np.testing.assert_allclose(mine.std(axis=(0, 1)), sd, rtol=0.2, err_msg=v)
