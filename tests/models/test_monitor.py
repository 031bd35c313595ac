"""Forecast monitoring with automatic intervention (models.statespace.monitor): exact when it
never fires, smoothed paths that are those of one DLM with the interventions (statsmodels'
smoother as the oracle), no look-ahead in real-time values, a sign flip covered, rare false
alarms."""

from __future__ import annotations

import numpy as np
import pytest

from macroattr.models import ModelConfig, fit_model
from macroattr.models.statespace.dlm import DLMPrior, forward_filter, grid_filter
from macroattr.models.statespace.monitor import Monitor
from macroattr.models.synthetic import simulate_panel

#: a monitor that cannot fire (Bayes factor threshold e^-700)
NEVER = Monitor(tau=1e-300)


def _flip(T=600, seed=0, sd=1.0, b=1.0):
    rng = np.random.default_rng(seed)
    F = np.column_stack([np.ones(T), rng.normal(size=(T, 2))])
    beta = np.where(np.arange(T) < T // 2, b, -b)
    y = 0.1 + beta * F[:, 1] + 0.5 * F[:, 2] + sd * rng.normal(size=T)
    return y, F, beta


def test_monitor_that_never_fires_is_the_plain_filter_bit_for_bit():
    y, F, _ = _flip()
    prior = DLMPrior.conjugate(3)
    for db, dv in ((0.99, 0.95), (0.999, 1.0)):
        a = forward_filter(y, F, db, dv, prior)
        b = forward_filter(y, F, db, dv, prior, monitor=NEVER)
        assert len(b.interventions()) == 0
        for k in ("f", "q", "df", "ll", "m", "L", "n", "d"):
            assert np.array_equal(getattr(a, k), getattr(b, k)), k
        assert a.log_ml == b.log_ml
    grids = ([0.98, 0.995, 1.0], [0.95, 1.0])
    ga, gb = grid_filter(y, F, *grids, prior), grid_filter(y, F, *grids, prior, monitor=NEVER)
    gi = ga.allocate(200, seed=3)
    for x, z in zip(ga.sample_smoothed(gi, 3), gb.sample_smoothed(gi, 3), strict=True):
        assert np.array_equal(x, z)
    for x, z in zip(ga.sample_filtered(200, 3), gb.sample_filtered(200, 3), strict=True):
        assert np.array_equal(x, z)


def test_weights_are_the_discount_models_own_likelihoods():
    """The monitor changes the paths, not the evidence: grid weights, one-step-ahead
    predictive and log marginal likelihoods equal the unmonitored filters' exactly."""
    y, F, _ = _flip()
    grids = ([0.99, 0.999, 1.0], [1.0])
    a = grid_filter(y, F, *grids, DLMPrior.conjugate(3))
    b = grid_filter(y, F, *grids, DLMPrior.conjugate(3), monitor=Monitor())
    assert b.interventions()                                     # it did fire
    assert np.array_equal(a.log_ml, b.log_ml)
    for k, v in a.one_step_ahead().items():
        assert np.array_equal(v, b.one_step_ahead()[k]), k


def test_revised_paths_are_one_dlm_with_the_interventions():
    """Known variance: the smoothed draws at a grid point whose monitor fired have the mean
    and sd of the Kalman smoother (statsmodels) of the DLM whose state covariance is inflated
    at the breaks' onsets, and that DLM's log-likelihood is statsmodels' to 1e-9."""
    from statsmodels.tsa.statespace.kalman_smoother import KalmanSmoother

    T, p, V, delta = 500, 3, 1.0, 0.999
    y, F, _ = _flip(T=T, seed=2)
    C0 = np.diag([1.0, 0.25, 0.25])
    prior = DLMPrior.known_variance(np.zeros(p), C0, V)
    gf = grid_filter(y, F, [delta], [1.0], prior, monitor=Monitor())
    onsets = gf.results[0].onsets()
    assert len(onsets), onsets
    r = gf.revised_filter(0)
    assert np.array_equal(r.interventions(), onsets)            # placed at the onsets
    ds = r.step_discount
    C = V * np.einsum("tij,tkj->tik", r.L, r.L)
    W = np.zeros((p, p, T))
    for t in range(T - 1):  # transition t -> t + 1 adds C_t (1 - delta_{t+1}) / delta_{t+1}
        W[:, :, t] = C[t] * (1.0 - ds[t + 1]) / ds[t + 1]
    ks = KalmanSmoother(k_endog=1, k_states=p, k_posdef=p)
    ks.bind(y[:, None].copy())
    ks.design = F.T[None, :, :]
    ks.obs_cov = np.array([[V]])
    ks.transition = np.eye(p)
    ks.selection = np.eye(p)
    ks.state_cov = W
    ks.initialize_known(np.zeros(p), V * C0 / ds[0])
    sm = ks.smooth()
    assert abs(float(np.sum(sm.llf_obs)) - r.log_ml) < 1e-9
    S = 4000
    theta, _ = gf.sample_smoothed(np.zeros(S, np.int64), seed=5)
    mean, sd = sm.smoothed_state.T, np.sqrt(np.einsum("iit->ti", sm.smoothed_state_cov))
    z = (theta.mean(axis=0) - mean) / (sd / np.sqrt(S))
    assert np.abs(z).max() < 5.0
    ratio = theta.std(axis=0) / sd
    assert np.all((ratio > 0.9) & (ratio < 1.1))


def test_subset_paths_use_the_intervened_filter():
    """The subset mixture (a static beta held exactly constant) draws from the subset model's
    own monitored filter with its interventions at the onsets."""
    from macroattr.models.statespace.mixture import sample_smoothed_mixture

    y, F, beta = _flip(T=600, seed=1)
    prior = DLMPrior.conjugate(3)
    gf = grid_filter(y, F, [0.999], [1.0], prior, monitor=Monitor())
    S = 400
    vary = np.tile([True, False], (S, 1))                       # beta 1 drifts, beta 2 static
    theta, _ = sample_smoothed_mixture(gf, F, prior, np.zeros(S, np.int64), vary, seed=2)
    assert np.all(theta[:, :, 2] == theta[:, -1:, 2])
    lo, hi = np.quantile(theta[:, :, 1], [0.05, 0.95], axis=0)
    win = np.r_[240:360]
    assert np.mean((beta[win] >= lo[win]) & (beta[win] <= hi[win])) > 0.7


def test_no_look_ahead_with_monitoring():
    """Real-time draws and the one-step-ahead predictive to t do not change when data after
    t change, interventions included."""
    y, F, _ = _flip()
    grids = ([0.99, 0.999], [0.95, 1.0])
    a = grid_filter(y, F, *grids, DLMPrior.conjugate(3), monitor=Monitor())
    y2 = y.copy()
    y2[450:] += 3.0 * np.sin(np.arange(150))
    b = grid_filter(y2, F, *grids, DLMPrior.conjugate(3), monitor=Monitor())
    assert a.interventions() and a.interventions(revised=False)
    ta, va = a.sample_filtered(300, seed=4)
    tb, vb = b.sample_filtered(300, seed=4)
    assert np.array_equal(ta[:, :450], tb[:, :450]) and np.array_equal(va[:, :450], vb[:, :450])
    assert not np.allclose(ta[:, 450:], tb[:, 450:])


def _coverage(fit, path, centre, half=60):
    b = fit.betas(draws=True).sel(factor="d_2y").stack(s=("chain", "draw")).transpose("s", "time").values
    lo, hi = np.quantile(b, [0.05, 0.95], axis=0)
    win = np.r_[centre - half:centre + half]
    return float(np.mean((path[win] >= lo[win]) & (path[win] <= hi[win])))


def _daily_fit(seed, flip=True, monitor=True, n=2000, sigma=2.0, nu=None):
    path = np.where(np.arange(n) < n // 2, 2.0, -2.0) if flip else np.full(n, 2.0)
    panel, truth = simulate_panel(n=n, freq="D", seed=seed, sigma=sigma, nu=nu,
                                  beta_paths={"d_2y": path})
    ss = ModelConfig().state_space                             # the shipped discount grids
    cfg = ModelConfig(groups=truth["groups"]).override(
        betas="state_space", method="exact", draws=100, chains=2,
        beta_discounts=ss.beta_discounts, variance_discounts=ss.variance_discounts,
        monitor=monitor)
    return fit_model(panel, cfg), path


@pytest.mark.slow
def test_sign_flip_covered_within_60_days():
    """A sign flip of the d_2y beta (+2 to -2 pp per pp, daily, residual sd 2 pp): the
    revised 90% intervals cover the true beta on most days within +-60 days of the break
    with the monitor (mean over seeds > 50%), against almost none without it."""
    on, off = [], []
    for seed in range(4):
        fit, path = _daily_fit(seed)
        on.append(_coverage(fit, path, len(path) // 2))
        assert len(fit.interventions()) >= 1
        fit_off, _ = _daily_fit(seed, monitor=False)
        off.append(_coverage(fit_off, path, len(path) // 2))
    assert np.mean(on) > 0.5, on
    assert np.mean(off) < 0.2, off


@pytest.mark.slow
def test_no_break_false_alarms_are_rare():
    """No break (constant betas; normal and Student-t(4) errors): over 4 x 2,000 days the
    monitor of the heaviest grid point fires at most once per 2,000 days on average."""
    fired = 0
    for seed, nu in ((0, None), (1, None), (2, 4.0), (3, 4.0)):
        fit, _ = _daily_fit(seed, flip=False, nu=nu)
        fired += len(fit.interventions())
    assert fired <= 4 // 2, fired


def test_page_marks_the_interventions():
    """The model check names each break with its onset and signal dates, and the coefficient
    chart draws a dashed line at each onset; with the monitor off the page says so."""
    from macroattr.models.plotting import figures
    from macroattr.reports.model_check import breaks_reading

    fit, _ = _daily_fit(1, sigma=1.5)
    iv = fit.interventions()
    assert len(iv) >= 1 and list(iv.columns) == ["onset", "signalled", "weight"]
    assert (iv["signalled"] > iv["onset"]).all()
    text = breaks_reading(fit)
    for o, sg in zip(iv["onset"], iv["signalled"], strict=True):
        assert f"{o:%Y-%m-%d} (signalled {sg:%Y-%m-%d})" in text
    paths = fit.beta_paths(times=fit.design.dates[::20])
    fig = figures.coefficient_bands(paths, breaks=list(iv["onset"]))
    lines = [sh for sh in fig.layout.shapes if sh.line.dash == "dash"]
    assert len(lines) == len(iv) * len(fit.design.factors)
    off, _ = _daily_fit(1, sigma=1.5, monitor=False)
    assert "monitor = false" in breaks_reading(off) and not len(off.interventions())
