"""Paths that honour P(varies): draws from the mixture over which betas drift
(:mod:`macroattr.models.statespace.mixture`)."""

from __future__ import annotations

import numpy as np
import pytest

from macroattr.models import ModelConfig, fit_model
from macroattr.models.statespace.dlm import DLMPrior, grid_filter
from macroattr.models.statespace.mixture import sample_smoothed_mixture
from macroattr.models.synthetic import simulate_panel


def test_subset_backward_sampler_matches_the_smoother():
    """Known variance, alpha and beta 1 drifting, beta 2 static (block discounting): the
    draws have the Kalman smoother's mean and sd with the block-discount state covariance
    (statsmodels), and the static beta is exactly constant along each path."""
    from statsmodels.tsa.statespace.kalman_smoother import KalmanSmoother

    rng = np.random.default_rng(3)
    T, p, V, delta = 150, 3, 0.6, 0.95
    F = np.column_stack([np.ones(T), rng.normal(size=(T, 2))])
    y = F @ np.array([0.1, 1.0, -0.5]) + rng.normal(scale=np.sqrt(V), size=T)
    C0 = np.diag([1.0, 0.25, 0.25])
    prior = DLMPrior.known_variance(np.zeros(p), C0, V)
    gf = grid_filter(y, F, [delta], [1.0], prior)
    mask = np.array([True, True, False])
    S = 4000
    theta, v = sample_smoothed_mixture(gf, F, prior, np.zeros(S, np.int64),
                                       np.tile(mask[1:], (S, 1)), seed=5)
    assert np.all(theta[:, :, 2] == theta[:, -1:, 2]) and np.allclose(v, V)
    from macroattr.models.statespace.dlm import forward_filter

    r = forward_filter(y, F, delta, 1.0, prior, vary=mask)
    C = V * np.einsum("tij,tkj->tik", r.L, r.L)
    W = np.zeros((p, p, T))
    blk = np.outer(mask, mask)
    for t in range(T - 1):
        W[:, :, t] = np.where(blk, C[t] * (1.0 - delta) / delta, 0.0)
    ks = KalmanSmoother(k_endog=1, k_states=p, k_posdef=p)
    ks.bind(y[:, None].copy())
    ks.design = F.T[None, :, :]
    ks.obs_cov = np.array([[V]])
    ks.transition = np.eye(p)
    ks.selection = np.eye(p)
    ks.state_cov = W
    ks.initialize_known(np.zeros(p), V * np.where(blk, C0 / delta, C0))
    sm = ks.smooth()
    mean, sd = sm.smoothed_state.T, np.sqrt(np.einsum("iit->ti", sm.smoothed_state_cov))
    z = (theta.mean(axis=0) - mean) / (sd / np.sqrt(S))
    assert np.abs(z).max() < 5.0
    ratio = theta.std(axis=0) / sd
    assert np.all((ratio > 0.9) & (ratio < 1.1))


@pytest.fixture(scope="module")
def static_truth():
    """Monthly panel with constant betas; only discounts below 1 on the grid, so every draw
    drifts alpha and P(varies) alone decides whether a beta is drawn static."""
    panel, truth = simulate_panel(n=600, seed=8, sigma=1.0)
    cfg = ModelConfig(groups=truth["groups"]).override(
        betas="state_space", method="exact", draws=250, chains=4,
        beta_discounts=[0.95], variance_discounts=[1.0])
    return fit_model(panel, cfg)


def test_static_truth_draws_static_paths(static_truth):
    fit = static_truth
    pv = fit.p_varies()
    assert (pv < 0.05).all(), pv
    b = fit.betas(draws=True).stack(s=("chain", "draw")).transpose("s", "time", "factor").values
    flat = np.all(b == b[:, :1, :], axis=1)                      # (draws, factor) exactly constant
    share_static = flat.mean(axis=0)
    assert np.allclose(share_static, 1.0 - pv.values, atol=2e-3)  # P(varies) draw by draw
    # the interval width matches the static fit's (same data, no time variation)
    st = fit.static_counterpart().betas(draws=True).stack(s=("chain", "draw")).transpose("s", "time", "factor").values
    mid = b.shape[1] // 2

    def width(a):
        lo, hi = np.quantile(a, [0.05, 0.95], axis=0)
        return hi - lo

    ratio = width(b[:, mid]) / width(st[:, mid])
    assert np.all((ratio > 0.85) & (ratio < 1.2)), ratio
    # ... whereas the all-drifting model alone (what the paths were before) is much wider early on
    drift = fit.paths.grid.sample_smoothed(fit.paths.grid_index(), 1)[0]
    scale = fit.paths.scales["y_sd"] / fit.paths.scales["x_sd"]
    wd = width(drift[:, 30, 1:].astype(np.float64) * scale)
    assert np.all(wd / width(st[:, 30]) > 1.3), wd / width(st[:, 30])


def test_mixture_paths_reproduce(static_truth):
    fit = static_truth
    again = fit_model(fit.panel, fit.config)
    assert np.array_equal(fit.betas(draws=True).values, again.betas(draws=True).values)


def test_p_varies_text_two_decimals_with_its_sensitivity():
    n = 360
    path = np.where(np.arange(n) < n // 2, 4.0, -4.0)
    panel, truth = simulate_panel(n=n, seed=5, sigma=1.5, beta_paths={"d_2y": path})
    fit = fit_model(panel, ModelConfig(groups=truth["groups"]).override(
        betas="state_space", method="exact", draws=100, chains=2,
        beta_discounts=[0.95, 0.97, 0.98, 0.99], variance_discounts=[1.0]))
    rng = fit.p_varies_range()
    w = fit.discounts().set_index(["delta_beta", "delta_v"])["weight"]
    assert (w >= 0.01).sum() >= 2                                   # several settings weigh
    pv = fit.p_varies()
    assert np.all((rng["low"] <= pv + 1e-12) & (pv <= rng["high"] + 1e-12))
    text = fit.p_varies_text()
    for k, v in pv.items():
        assert f"{k} {v:.2f}" in text
    assert "method exact" in text and "range of P(varies)" in text
