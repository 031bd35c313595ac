"""Event windows as event studies: the out-of-sample predictive made at the window's eve
is calibrated (PIT ~ uniform) and the real-time window intervals, drawn jointly over the
window's days, cover the truth at their nominal rate, on data simulated from the model."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from macroattr.models.statespace.dlm import DLMPrior, forward_filter, grid_filter
from macroattr.models.statespace.forecast import mixture_cdf, window_predictive


def _simulate(rng, T, delta, prior):
    """One draw from the model's own process (delta_v = 1): v from its prior, theta_0 from
    N(m0, v C0), theta_t = theta_{t-1} + w_t with w_t ~ N(0, v C*_{t-1} (1 - delta) / delta)
    (C*_t does not depend on y), y_t ~ N(F_t theta_t, v)."""
    p = len(prior.m0)
    F = np.column_stack([np.ones(T), rng.normal(size=(T, p - 1))])
    Cs = forward_filter(np.zeros(T), F, delta, 1.0, prior).L
    Cs = np.einsum("tij,tkj->tik", Cs, Cs)
    v = 1.0 / rng.gamma(prior.n0 / 2.0, 2.0 / prior.d0)
    theta = np.empty((T, p))
    prev = rng.multivariate_normal(prior.m0, v * prior.C0)
    for t in range(T):
        Wt = (prior.C0 if t == 0 else Cs[t - 1]) * (1.0 - delta) / delta
        prev = prev + rng.multivariate_normal(np.zeros(p), v * Wt)
        theta[t] = prev
    y = np.einsum("tp,tp->t", F, theta) + rng.normal(scale=np.sqrt(v), size=T)
    return y, F, theta


@pytest.mark.slow
def test_eve_predictive_and_joint_realtime_window_are_calibrated():
    rng = np.random.default_rng(2024)
    prior = DLMPrior.conjugate(2, beta_sd=1.0)
    T, k, delta, reps, S = 60, 5, 0.95, 1000, 400
    pit, joint, indep = np.empty(reps), np.empty(reps), np.empty(reps)
    for r in range(reps):
        y, F, theta = _simulate(rng, T, delta, prior)
        gf = grid_filter(y, F, [delta], [1.0], prior)
        t0 = T - k
        pit[r] = mixture_cdf(window_predictive(gf, F, t0, T), float(y[t0:].sum()))
        truth = float((F[t0:, 1] * theta[t0:, 1]).sum())          # the factor's window contribution
        th, _ = gf.sample_filtered(S, r, t0, T, blocks=(np.array([t0]), np.array([T])))
        c = (F[t0:, 1][None, :] * th[:, :, 1]).sum(axis=1)
        lo, hi = np.quantile(c, [0.05, 0.95])
        joint[r] = lo <= truth <= hi
        th1, _ = gf.sample_filtered(S, r, t0, T)                  # each day alone, summed
        c1 = (F[t0:, 1][None, :] * th1[:, :, 1]).sum(axis=1)
        lo, hi = np.quantile(c1, [0.05, 0.95])
        indep[r] = lo <= truth <= hi
    assert stats.kstest(pit, "uniform").pvalue > 0.001
    one_sided = np.minimum(pit, 1.0 - pit)
    assert 0.025 < np.mean(one_sided < 0.025) < 0.08              # 5% expected (two tails)
    assert abs(np.mean(pit < 0.05) - 0.05) < 0.025 and abs(np.mean(pit > 0.95) - 0.05) < 0.025
    assert abs(joint.mean() - 0.9) < 0.035, joint.mean()
    print(f"PIT KS p {stats.kstest(pit, 'uniform').pvalue:.3f}; one-sided p < 0.025 in "
          f"{100 * np.mean(one_sided < 0.025):.1f}% (5% expected); 90% real-time window "
          f"coverage joint {joint.mean():.3f}, per-day independent {indep.mean():.3f}")


def test_state_space_event_uses_the_eve_forecast():
    from macroattr.models import ModelConfig, fit_model
    from macroattr.models.synthetic import simulate_panel

    # the window lies after the first two years, which scale the prior (scale_years = 2)
    panel, truth = simulate_panel(n=1000, freq="D", seed=4, start="2021-01-01")
    fit = fit_model(panel, ModelConfig(groups=truth["groups"]).override(
        betas="state_space", method="exact", draws=100, chains=2))
    ev = fit.event("2024-07-10", "2024-07-16")
    assert ev.predictive_origin == "2024-07-09"
    # the yardstick ignores the window's own returns: change them, the forecast stays
    df = panel.data.copy()
    df.loc["2024-07-10":"2024-07-16", "rel_return"] += 5.0
    from macroattr.data_pipelines.panel import Panel

    fit2 = fit_model(Panel(df, dict(panel.meta)), fit.config)
    ev2 = fit2.event("2024-07-10", "2024-07-16")
    assert np.array_equal(ev.predictive, ev2.predictive)
    t0 = int(fit.design.dates.searchsorted(np.datetime64("2024-07-10")))
    p1 = fit.paths.window_predictive(t0, t0 + 5)
    p2 = fit2.paths.window_predictive(t0, t0 + 5)
    for key in ("weights", "loc", "scale", "df"):
        assert np.allclose(p1[key], p2[key], rtol=1e-12, atol=1e-12)
    assert ev2.tail_probability < ev.tail_probability or ev2.observed > ev.observed
    # the real-time window is drawn jointly and adds up to the observed total draw by draw
    assert np.allclose(ev.realtime_draws.sum(axis=1), ev.observed, atol=1e-9)
    assert "eve" in ev.tail_text()
