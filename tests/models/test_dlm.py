"""The exact state-space engine (models.dlm) against oracles and known truth."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from macroattr.core.errors import InputError
from macroattr.models.statespace.dlm import DLMPrior, check_inputs, forward_filter, grid_filter


def _data(T: int, p: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    F = np.column_stack([np.ones(T), rng.normal(size=(T, p - 1))])
    y = F @ rng.normal(size=p) + rng.normal(size=T)
    return y, F


def _filtered_cov(res, variance: float) -> np.ndarray:
    """Filtered covariance C_t = V L L' of a known-variance run."""
    return variance * np.einsum("tij,tkj->tik", res.L, res.L)


@pytest.mark.parametrize("delta", [1.0, 0.97])
def test_known_variance_loglik_matches_statsmodels(delta):
    """Known observation variance: the filter's log-likelihood equals statsmodels'
    KalmanFilter with the same (discount-implied, time-varying) state covariance."""
    from statsmodels.tsa.statespace.kalman_filter import KalmanFilter

    T, p, V = 200, 4, 0.7
    y, F = _data(T, p, 3)
    C0 = np.diag([1.0, 0.25, 0.25, 0.25])
    m0 = np.array([0.1, 0.0, -0.2, 0.3])
    res = forward_filter(y, F, delta, 1.0, DLMPrior.known_variance(m0, C0, V))
    C = _filtered_cov(res, V)
    W = np.zeros((p, p, T))
    for t in range(T - 1):  # transition t -> t+1 adds C_t (1 - delta) / delta
        W[:, :, t] = C[t] * (1.0 - delta) / delta
    kf = KalmanFilter(k_endog=1, k_states=p, k_posdef=p)
    kf.bind(y[:, None].copy())
    kf.design = F.T[None, :, :]
    kf.obs_cov = np.array([[V]])
    kf.transition = np.eye(p)
    kf.selection = np.eye(p)
    kf.state_cov = W
    kf.initialize_known(m0, V * C0 / delta)
    assert res.log_ml == pytest.approx(kf.loglike(), abs=1e-8)
    assert np.allclose(res.ll, kf.loglikeobs(), atol=1e-8)


def test_known_variance_loglik_matches_dense_gaussian():
    """Brute force on a small T: y ~ N(F m0, Cov) with Cov(theta_t, theta_u) =
    V C0 + sum_{s <= min(t, u)} W_s."""
    T, p, V, delta = 25, 3, 1.3, 0.9
    y, F = _data(T, p, 5)
    C0 = np.diag([1.0, 0.5, 0.5])
    m0 = np.array([0.0, 0.2, -0.1])
    res = forward_filter(y, F, delta, 1.0, DLMPrior.known_variance(m0, C0, V))
    C = _filtered_cov(res, V)
    W = [V * C0 * (1 - delta) / delta] + [C[t] * (1 - delta) / delta for t in range(T - 1)]
    cumW = np.cumsum(np.stack(W), axis=0)
    cov = np.empty((T, T))
    for t in range(T):
        for u in range(T):
            P = V * C0 + cumW[min(t, u)]
            cov[t, u] = F[t] @ P @ F[u]
    cov += V * np.eye(T)
    dense = stats.multivariate_normal(F @ m0, cov).logpdf(y)
    assert res.log_ml == pytest.approx(dense, abs=1e-8)


def test_static_unknown_variance_is_the_conjugate_regression():
    """delta_beta = delta_v = 1: the marginal likelihood is the multivariate Student-t of
    the conjugate normal/inverse-gamma regression, and the last filtered mean is its
    closed-form posterior mean."""
    T, p = 40, 3
    y, F = _data(T, p, 7)
    prior = DLMPrior.conjugate(p, alpha_sd=1.0, beta_sd=0.5, sigma2_shape=2.0, sigma2_scale=1.5)
    res = forward_filter(y, F, 1.0, 1.0, prior)
    S0 = prior.d0 / prior.n0
    dense = stats.multivariate_t(F @ prior.m0, S0 * (np.eye(T) + F @ prior.C0 @ F.T),
                                 df=prior.n0).logpdf(y)
    assert res.log_ml == pytest.approx(dense, abs=1e-8)
    prec = F.T @ F + np.linalg.inv(prior.C0)
    assert np.allclose(res.m[-1], np.linalg.solve(prec, F.T @ y), atol=1e-10)


def _sign_flip(T=600, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(T, 2))
    beta1 = np.where(np.arange(T) < T // 2, 1.0, -1.0)   # sign flip half way
    beta2 = np.full(T, 0.5)                               # truly static
    sd = np.where((np.arange(T) >= 400) & (np.arange(T) < 460), 3.0, 0.6)  # volatility burst
    y = 0.1 + beta1 * x[:, 0] + beta2 * x[:, 1] + sd * rng.normal(size=T)
    F = np.column_stack([np.ones(T), x])
    return y, F, beta1, beta2, sd


def test_sign_flip_and_volatility_burst_recovered():
    y, F, beta1, beta2, sd = _sign_flip()
    gf = grid_filter(y, F, [0.9, 0.95, 0.98, 0.99, 0.995, 1.0], [0.8, 0.9, 0.95, 1.0],
                     DLMPrior.conjugate(3))
    # a time-varying beta and a volatility burst: static discounts get no weight
    assert gf.weights[(gf.deltas[:, 0] == 1.0) | (gf.deltas[:, 1] == 1.0)].sum() < 1e-6
    th_f, v_f = gf.sample_filtered(2000, seed=1)
    th_s, v_s = gf.sample_smoothed(gf.allocate(2000, seed=1), seed=1)
    for th in (th_f, th_s):  # filtered (real time) and smoothed (revised) paths
        lo, hi = np.quantile(th[:, :, 1], [0.05, 0.95], axis=0)
        cover = np.mean((beta1 >= lo) & (beta1 <= hi))
        assert 0.85 <= cover <= 0.95, cover
        # the path tracks the truth away from the break (the filter needs a few periods)
        mean = th[:, :, 1].mean(axis=0)
        assert np.mean(np.abs(mean - beta1)[np.r_[50:280, 350:600]]) < 0.3
    # volatility: the burst is recovered (smoothed sd about 3 inside, about 0.6 outside)
    s = np.sqrt(v_s).mean(axis=0)
    assert 2.0 < s[410:450].mean() < 4.0 and 0.4 < s[100:300].mean() < 0.9


def test_no_look_ahead_in_filtered_values():
    """Filtered draws and one-step-ahead scores up to t are unchanged when data after t
    change; smoothed ones do change."""
    y, F, *_ = _sign_flip()
    grids = ([0.95, 0.99, 1.0], [0.9, 1.0])
    a = grid_filter(y, F, *grids, DLMPrior.conjugate(3))
    y2, F2 = y.copy(), F.copy()
    y2[350:] += 5.0 * np.sin(np.arange(250))
    F2[350:, 1] *= -2.0
    b = grid_filter(y2, F2, *grids, DLMPrior.conjugate(3))
    ta, va = a.sample_filtered(300, seed=4)
    tb, vb = b.sample_filtered(300, seed=4)
    assert np.array_equal(ta[:, :350], tb[:, :350]) and np.array_equal(va[:, :350], vb[:, :350])
    assert not np.allclose(ta[:, 350:], tb[:, 350:])
    oa, ob = a.one_step_ahead(), b.one_step_ahead()
    for k in ("mean", "scale", "log_score", "pit"):
        assert np.array_equal(oa[k][:350], ob[k][:350])
    # a span sampled on its own gives the same numbers as the whole span
    part, _ = a.sample_filtered(300, seed=4, t0=100, t1=200)
    assert np.array_equal(part, ta[:, 100:200])
    sa, _ = a.sample_smoothed(a.allocate(300, seed=4), seed=4)
    sb, _ = b.sample_smoothed(b.allocate(300, seed=4), seed=4)
    assert not np.allclose(sa[:, :350], sb[:, :350])


def test_same_seed_same_draws():
    y, F, *_ = _sign_flip(T=200)
    gf = grid_filter(y, F, [0.95, 1.0], [0.9, 1.0], DLMPrior.conjugate(3))
    a = gf.sample_smoothed(gf.allocate(100, seed=9), seed=9)
    b = gf.sample_smoothed(gf.allocate(100, seed=9), seed=9)
    assert all(np.array_equal(x, z) for x, z in zip(a, b, strict=True))


@pytest.mark.parametrize("case, match", [
    ("nan", "NaN or infinite"),
    ("constant", "constant over the span"),
    ("short", "state has 3 elements"),
])
def test_bad_input_one_line(case, match):
    y, F = _data(30, 3, 1)
    if case == "nan":
        F[7, 2] = np.nan
    elif case == "constant":
        F[:, 1] = 2.0
    else:
        y, F = y[:3], F[:3]
    with pytest.raises(InputError, match=match) as exc:
        check_inputs(y, F, ["alpha", "x1", "x2"])
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize("bad", [0.0, 1.01, -0.5])
def test_discount_outside_unit_interval(bad):
    y, F = _data(30, 2, 1)
    with pytest.raises(InputError, match=r"outside \(0, 1\]"):
        grid_filter(y, F, [0.99, bad], [1.0], DLMPrior.conjugate(2))
    with pytest.raises(InputError, match=r"outside \(0, 1\]"):
        forward_filter(y, F, 1.0, bad, DLMPrior.conjugate(2))


def test_filtered_draws_have_the_student_t_moments():
    """The compiled random streams (Box-Muller normals, Marsaglia-Tsang gammas): filtered
    draws at a period have the multivariate Student-t mean m_t and covariance
    C_t n_t / (n_t - 2), and 1/v the Gamma(n_t/2, d_t/2) mean."""
    y, F, *_ = _sign_flip(T=120)
    gf = grid_filter(y, F, [0.98], [0.95], DLMPrior.conjugate(3))
    r = gf.results[0]
    S = 40000
    th, v = gf.sample_filtered(S, seed=3)
    for t in (5, 60, 119):
        n, d = r.n[t], r.d[t]
        C = (d / n) * r.L[t] @ r.L[t].T * n / (n - 2)
        draws = th[:, t].astype(np.float64)
        se = np.sqrt(np.diag(C) / S)
        assert np.all(np.abs(draws.mean(axis=0) - r.m[t]) < 4 * se)
        assert np.allclose(np.cov(draws.T), C, rtol=0.06, atol=0.06 * np.sqrt(np.outer(np.diag(C), np.diag(C))).max())
        prec = 1.0 / v[:, t].astype(np.float64)
        assert prec.mean() == pytest.approx(n / d, rel=4 * np.sqrt(2 / n) / np.sqrt(S) * 3 + 1e-3)


def test_p_varies_separates_a_drifting_from_a_static_beta():
    """Exact averaging over which betas drift: the flipping beta gets P(varies) near 1, the
    truly static one low; with a prior that calls every beta static the probabilities
    fall, and a grid that only allows no drift says nothing varies."""
    from macroattr.models.statespace.dlm import factor_variation

    y, F, *_ = _sign_flip()
    prior = DLMPrior.conjugate(3)
    gf = grid_filter(y, F, [0.95, 0.98, 0.99, 1.0], [0.9, 1.0], prior)
    pv = factor_variation(gf, F, prior, static_prob=0.5)["p_varies"]
    assert pv[0] > 0.99 and pv[1] < 0.3, pv
    sceptic = factor_variation(gf, F, prior, static_prob=0.99)["p_varies"]
    assert sceptic[1] < pv[1]
    frozen = grid_filter(y, F, [1.0], [1.0], prior)
    assert np.all(factor_variation(frozen, F, prior)["p_varies"] == 0.0)
    # the subset in which every factor drifts is the grid point's own filter
    full = forward_filter(y, F, 0.98, 0.9, prior, store=False, vary=np.ones(3, bool))
    assert full.log_ml == pytest.approx(forward_filter(y, F, 0.98, 0.9, prior).log_ml, abs=1e-12)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("delta_v", [1.0, 0.95])
def test_known_variance_backward_sampler_matches_the_smoother(delta_v):
    """Known variance (n0 = inf): the backward sampler ends (it looped forever on a gamma
    draw of infinite shape), draws the constant variance, and its draws have the Kalman
    smoother's mean and variance (statsmodels' simulation-free smoother, same model)."""
    from statsmodels.tsa.statespace.kalman_smoother import KalmanSmoother

    T, p, V, delta = 120, 3, 0.7, 0.95
    y, F = _data(T, p, 11)
    C0 = np.diag([1.0, 0.25, 0.25])
    m0 = np.zeros(p)
    prior = DLMPrior.known_variance(m0, C0, V)
    gf = grid_filter(y, F, [delta], [delta_v], prior)
    theta, v = gf.sample_smoothed(np.zeros(4000, dtype=np.int64), seed=3)
    assert np.allclose(v, V, rtol=1e-6)
    res = gf.results[0]
    C = _filtered_cov(res, V)
    W = np.zeros((p, p, T))
    for t in range(T - 1):
        W[:, :, t] = C[t] * (1.0 - delta) / delta
    ks = KalmanSmoother(k_endog=1, k_states=p, k_posdef=p)
    ks.bind(y[:, None].copy())
    ks.design = F.T[None, :, :]
    ks.obs_cov = np.array([[V]])
    ks.transition = np.eye(p)
    ks.selection = np.eye(p)
    ks.state_cov = W
    ks.initialize_known(m0, V * C0 / delta)
    sm = ks.smooth()
    mean, sd = sm.smoothed_state.T, np.sqrt(np.einsum("iit->ti", sm.smoothed_state_cov))
    z = (theta.mean(axis=0) - mean) / (sd / np.sqrt(theta.shape[0]))
    assert np.abs(z).max() < 5.0
    ratio = theta.std(axis=0) / sd
    assert np.all((ratio > 0.9) & (ratio < 1.1))
