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


def _width(a):
    lo, hi = np.quantile(a, [0.05, 0.95], axis=0)
    return hi - lo


def _stack(da):
    return da.stack(s=("chain", "draw")).transpose("s", "time", "factor").values


def test_static_truth_first_estimates_static_like(static_truth):
    """First estimates honour P(varies) too: with a static truth, once the data to t say
    the betas are static the first-estimate intervals have the static fit's first-estimate
    width (not the all-drifting model's), and in a block drawn jointly (a year as first
    estimated at its end) the share of draws whose beta is exactly constant is 1 - P(varies)
    with the data to the block's end."""
    fit = static_truth
    b = _stack(fit.betas(estimate="filtered", draws=True))
    st = _stack(fit.static_counterpart().betas(estimate="filtered", draws=True))
    drift = fit.paths.filter.sample_filtered(fit.paths.n_samples, fit.paths.seed)[0]
    drift = drift[:, :, 1:].astype(np.float64) * (fit.paths.scales["y_sd"] / fit.paths.scales["x_sd"])
    rt = fit.paths.realtime_mixture()
    T = fit.design.n_obs
    # at the span's end the revised P(varies), up to the models pruned on the way (Occam's window)
    assert np.allclose(rt.p_varies[-1], fit.p_varies().values, atol=1e-3)
    assert "a first estimate draws them with P(varies) as it stood at its date" in fit.paths_text()
    for t in (150, 300, 450, 500, 550, T - 1):
        ratio = _width(b[:, t]) / _width(st[:, t])
        wide = _width(drift[:, t]) / _width(st[:, t])              # the all-drifting model alone
        assert np.all(ratio < wide), (t, ratio, wide)
        # real-time P(varies) of every beta is below 0.1 from about t = 500 here (around
        # t = 300 the data to t still favoured a drifting d_2y): the static fit's width
        if t >= 500:
            assert np.all(rt.p_varies[t] < 0.1), (t, rt.p_varies[t])
            assert np.all((ratio > 0.85) & (ratio < 1.3)) and np.all(wide > 4.0), (t, ratio, wide)
    th, _ = fit.paths.states(T - 12, T, "filtered", (np.array([T - 12]), np.array([T])))
    flat = np.all(th[:, :, 1:] == th[:, :1, 1:], axis=1).mean(axis=0)
    assert np.allclose(flat, 1.0 - rt.p_varies[T - 1], atol=0.01), (flat, rt.p_varies[T - 1])


def test_first_estimates_reproduce(static_truth):
    fit = static_truth
    again = fit_model(fit.panel, fit.config)
    a = fit.betas(estimate="filtered", draws=True).values
    assert np.array_equal(a, again.betas(estimate="filtered", draws=True).values)
    other = fit_model(fit.panel, fit.config.override(seed=fit.config.sampler.seed + 1))
    assert not np.array_equal(a, other.betas(estimate="filtered", draws=True).values)


@pytest.mark.parametrize("monitor", [False, True])
def test_realtime_mixture_uses_no_later_data(monitor):
    """Changing the data after period 300 changes nothing drawn for blocks ending by 300:
    the weights, the pruning, the picks, the moments and the random numbers use data to
    each block's end only (one-period blocks and quarters drawn jointly alike); a span drawn
    on its own gives the same numbers."""
    from macroattr.models.statespace.monitor import Monitor
    from macroattr.models.statespace.realtime import realtime_mixture, sample_filtered_mixture

    rng = np.random.default_rng(0)
    T, cut = 420, 300
    F = np.column_stack([np.ones(T), rng.normal(size=(T, 2))])
    y = np.where(np.arange(T) < 200, 1.0, -1.0) * F[:, 1] + 0.5 * F[:, 2] + rng.normal(size=T)
    y2 = y.copy()
    y2[cut:] += 4.0 * np.sin(np.arange(T - cut))
    prior = DLMPrior.conjugate(3)
    blocks = (np.arange(0, T, 60), np.arange(60, T + 1, 60))     # 'quarters' of 60 periods
    out = []
    for yy in (y, y2):
        gf = grid_filter(yy, F, [0.97, 0.99, 1.0], [0.98, 1.0], prior,
                         monitor=Monitor() if monitor else None)
        rt = realtime_mixture(gf, F, prior, 0.5, 300)
        out.append((rt, sample_filtered_mixture(gf, F, prior, rt, seed=3),
                    sample_filtered_mixture(gf, F, prior, rt, seed=3, blocks=blocks), gf))
    (ra, (a, va), (qa, _), gf), (rb, (b, vb), (qb, _), _) = out
    assert np.array_equal(a[:, :cut], b[:, :cut]) and np.array_equal(va[:, :cut], vb[:, :cut])
    assert np.array_equal(qa[:, :cut], qb[:, :cut])
    assert not np.allclose(a[:, cut:], b[:, cut:]) and not np.allclose(qa[:, cut:], qb[:, cut:])
    assert np.array_equal(ra.p_varies[:cut], rb.p_varies[:cut])
    assert np.array_equal(ra.first[:cut + 1], rb.first[:cut + 1])
    assert np.array_equal(ra.model[:ra.first[cut]], rb.model[:rb.first[cut]])
    part, _ = sample_filtered_mixture(gf, F, prior, ra, seed=3, t0=100, t1=200)
    assert np.array_equal(part, a[:, 100:200])
    # moment filters kept between calls (a small cache, so some are dropped) change nothing
    from macroattr.models.statespace.realtime import FilterCache

    cache = FilterCache(limit=2 * 2**20)
    for lo, hi in ((0, 2), (2, 5), (5, 7)):
        sub = (blocks[0][lo:hi], blocks[1][lo:hi])
        got, _ = sample_filtered_mixture(gf, F, prior, ra, seed=3, t0=int(sub[0][0]),
                                         t1=int(sub[1][-1]), blocks=sub, cache=cache)
        assert np.array_equal(got, qa[:, sub[0][0]:sub[1][-1]])
    assert len(cache.items) and cache.size <= cache.limit
    # the flipping beta drifts, the static one is drawn exactly constant within a block in
    # the share the weights at the block's end give it
    assert ra.p_varies[-1, 0] > 0.9
    flat = np.all(qa[:, 360:, 2] == qa[:, 360:361, 2], axis=1).mean()
    assert abs(flat - (1.0 - ra.p_varies[T - 1, 1])) < 0.01


@pytest.mark.parametrize("monitor", [False, True])
def test_many_spans_at_once_draw_what_each_span_draws_alone(monitor):
    """``sample_filtered_many`` (each subset model's moment filter run once for every span,
    to the last period any span picks it at) gives each span's draws bit for bit as drawn
    alone: quarters jointly, event windows inside them and after them, a span of single
    days; with outliers late in the span so the monitored filters intervene after some
    spans' last periods."""
    from macroattr.models.statespace.monitor import Monitor
    from macroattr.models.statespace.realtime import (
        FilterCache, realtime_mixture, sample_filtered_many, sample_filtered_mixture)

    rng = np.random.default_rng(4)
    T = 420
    F = np.column_stack([np.ones(T), rng.normal(size=(T, 2))])
    y = np.where(np.arange(T) < 200, 1.0, -1.0) * F[:, 1] + 0.5 * F[:, 2] + rng.normal(size=T)
    y[[330, 331, 395]] += [9.0, -8.0, 10.0]
    prior = DLMPrior.conjugate(3)
    gf = grid_filter(y, F, [0.97, 0.99, 1.0], [0.98, 1.0], prior,
                     monitor=Monitor() if monitor else None)
    rt = realtime_mixture(gf, F, prior, 0.5, 200)
    quarters = (np.arange(0, T, 60), np.arange(60, T + 1, 60))
    one = lambda a, b: (np.array([a]), np.array([b]))  # noqa: E731
    requests = [(0, T, quarters), (205, 212, one(205, 212)), (322, 336, one(322, 336)),
                (100, 160, None), (60, 180, (quarters[0][1:3], quarters[1][1:3])),
                (400, T, one(400, T))]
    got = sample_filtered_many(gf, F, prior, rt, 5, requests)
    for (t0, t1, blocks), (th, v) in zip(requests, got, strict=True):
        alone, va = sample_filtered_mixture(gf, F, prior, rt, 5, t0, t1, blocks)
        assert np.array_equal(th, alone) and np.array_equal(v, va), (t0, t1)
    # and with a cache kept between calls (as a fit's paths do)
    cache = FilterCache()
    again = sample_filtered_many(gf, F, prior, rt, 5, requests[1:3], cache)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(again, got[1:3], strict=True))


def _flip_with_outliers(seed: int, T: int, outliers: list[int]):
    """Three factors, the first beta flipping sign half-way, the second static, two
    outliers (the monitor intervenes at them): ``(rng, T, F, y)``."""
    rng = np.random.default_rng(seed)
    F = np.column_stack([np.ones(T), rng.normal(size=(T, 3))])
    y = np.where(np.arange(T) < T // 2, 1.0, -1.0) * F[:, 1] + 0.5 * F[:, 2] + rng.normal(size=T)
    y[outliers] += [8.0, -9.0]
    return rng, T, F, y


@pytest.mark.parametrize("monitor", [False, True])
def test_threads_change_no_draw(monitor, monkeypatch):
    """The real-time and the revised samplers draw their models on threads
    (``MACROATTR_THREADS``): serial, two and three threads give the same draws bit for bit,
    first estimates, revised paths and checkpoints alike."""
    from macroattr.models.statespace.mixture import sample_smoothed_span
    from macroattr.models.statespace.monitor import Monitor
    from macroattr.models.statespace.realtime import realtime_mixture, sample_filtered_many

    rng, T, F, y = _flip_with_outliers(6, 360, [250, 300])
    prior = DLMPrior.conjugate(4)
    gf = grid_filter(y, F, [0.97, 0.99, 1.0], [0.98, 1.0], prior,
                     monitor=Monitor() if monitor else None)
    rt = realtime_mixture(gf, F, prior, 0.5, 240)
    S = 240
    gi = rng.integers(0, len(gf.deltas), size=S)
    vary = rng.random((S, 3)) < 0.5
    spans = [(0, T, (np.arange(0, T, 60), np.arange(60, T + 1, 60))), (100, 130, None)]
    runs = []
    for threads in ("1", "2", "3"):
        monkeypatch.setenv("MACROATTR_THREADS", threads)
        first = sample_filtered_many(gf, F, prior, rt, 2, spans)
        revised = sample_smoothed_span(gf, F, prior, gi, vary, 2, ck_every=50)
        runs.append((first, revised))
    (f1, (th1, v1, ck1)) = runs[0]
    assert len({int(a) for a in gi[~vary.all(axis=1)]}) > 1  # several subset models
    for first, (th, v, ck) in runs[1:]:
        assert all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
                   for a, b in zip(first, f1, strict=True))
        assert np.array_equal(th, th1) and np.array_equal(v, v1)
        assert np.array_equal(ck[0], ck1[0]) and np.array_equal(ck[1], ck1[1])


@pytest.mark.parametrize("monitor", [False, True])
def test_threads_change_no_filter(monitor, monkeypatch):
    """The grid's filters and P(varies)' subset filters run on threads too: serial, two
    and three threads give the same moments, marginal likelihoods, interventions and
    P(varies) (exact and one factor at a time) bit for bit."""
    from macroattr.models.statespace.dlm import factor_variation, factor_variation_one_at_a_time
    from macroattr.models.statespace.monitor import Monitor

    _, T, F, y = _flip_with_outliers(8, 300, [200, 260])
    prior = DLMPrior.conjugate(4)
    runs = []
    for threads in ("1", "2", "3"):
        monkeypatch.setenv("MACROATTR_THREADS", threads)
        gf = grid_filter(y, F, [0.95, 0.97, 0.99, 1.0], [0.98, 1.0], prior,
                         monitor=Monitor() if monitor else None)
        runs.append((gf, factor_variation(gf, F, prior, min_weight=0.0),
                     factor_variation_one_at_a_time(gf, F, prior, min_weight=0.0)))
    gf1, fv1, one1 = runs[0]
    if monitor:
        assert sum(len(r.interventions()) > 0 for r in gf1.results) > 1  # refiltered on threads
    assert len(fv1["log_post"]) > 2 * 8  # several grid points' subsets
    for gf, fv, one in runs[1:]:
        assert np.array_equal(gf.deltas, gf1.deltas) and np.array_equal(gf.plain, gf1.plain)
        for a, b in zip(gf.results, gf1.results, strict=True):
            assert a.log_ml == b.log_ml and np.array_equal(a.m, b.m) and np.array_equal(a.f, b.f)
            assert np.array_equal(a.interventions(), b.interventions())
        for k in ("p_varies", "log_post", "grid", "masks"):
            assert np.array_equal(fv[k], fv1[k]), k
        for k in ("p_varies", "by_grid", "grid"):
            assert np.array_equal(one[k], one1[k]), k


def test_realtime_weights_are_the_exact_subset_posterior():
    """With no pruning the weights at each period are the exact posterior over the subset
    models with the data to that period: at the span's end P(varies) equals the revised
    one (same subsets, prior odds and one-step-ahead densities) to 1e-9, and at t that of
    the data cut at t."""
    from macroattr.models.statespace.dlm import factor_variation
    from macroattr.models.statespace.realtime import realtime_mixture

    rng = np.random.default_rng(1)
    T = 300
    F = np.column_stack([np.ones(T), rng.normal(size=(T, 3))])
    y = np.where(np.arange(T) < 150, 1.0, -1.0) * F[:, 1] + 0.5 * F[:, 2] + rng.normal(size=T)
    prior = DLMPrior.conjugate(4)
    gf = grid_filter(y, F, [0.96, 0.99], [1.0], prior)
    rt = realtime_mixture(gf, F, prior, 0.3, 100, prune=1e-300)
    for t in (120, T - 1):
        g = grid_filter(y[:t + 1], F[:t + 1], [0.96, 0.99], [1.0], prior)
        pv = factor_variation(g, F[:t + 1], prior, 0.3, min_weight=0.0)["p_varies"]
        assert np.allclose(rt.p_varies[t], pv, atol=1e-9), (t, rt.p_varies[t], pv)
