"""macroattr.models.estimation.compiled: nutpie on disk-cached PyTensor functions gives the right posterior.

A normal mean with known scale has a closed-form posterior, so the sampler's mean and sd
are checked against it, before and after swapping the data with ``with_data`` (a refit
without compiling), and the same seed must give identical draws.
"""

from __future__ import annotations

import numpy as np
import pytest

import nutpie
import pymc as pm

from macroattr.models.estimation.compiled import compile_nutpie  # noqa: E402

PRIOR_SD = 10.0


def _model(y: np.ndarray):
    with pm.Model(coords={"obs": np.arange(len(y))}) as m:
        data = pm.Data("y", y)
        mu = pm.Normal("mu", 0.0, PRIOR_SD)
        pm.Deterministic("two_mu", 2 * mu)  # a stored deterministic
        pm.Normal("lik", mu, 1.0, observed=data, shape=data.shape)
    return m


def _exact(y: np.ndarray) -> tuple[float, float]:
    prec = 1 / PRIOR_SD**2 + len(y)
    return float(y.sum() / prec), float(prec**-0.5)


def _draw(cm, seed: int = 3):
    tr = nutpie.sample(cm, draws=600, tune=300, chains=2, seed=seed, progress_bar=False)
    post = tr["posterior"].to_dataset()
    return np.asarray(post["mu"]), (np.asarray(post["two_mu"]) if "two_mu" in post else None)


def test_posterior_matches_closed_form_and_refit_swaps_data():
    rng = np.random.default_rng(0)
    y1 = rng.normal(1.5, 1.0, 40)
    cm = compile_nutpie(_model(y1), ["mu", "two_mu", "not_in_model"])
    mu, two_mu = _draw(cm)
    m, s = _exact(y1)
    assert mu.mean() == pytest.approx(m, abs=4 * s / np.sqrt(300))
    assert mu.std() == pytest.approx(s, rel=0.15)
    np.testing.assert_allclose(two_mu, 2 * mu)

    y2 = rng.normal(-3.0, 1.0, 90)  # new data of another length: no recompiling
    mu2, _ = _draw(cm.with_data(y=y2))
    m2, s2 = _exact(y2)
    assert mu2.mean() == pytest.approx(m2, abs=4 * s2 / np.sqrt(300))
    assert mu2.std() == pytest.approx(s2, rel=0.15)


def test_same_seed_same_draws():
    y = np.random.default_rng(1).normal(0.5, 1.0, 30)
    cm = compile_nutpie(_model(y), ["mu"])
    a, _ = _draw(cm, seed=11)
    b, _ = _draw(cm, seed=11)
    np.testing.assert_array_equal(a, b)
