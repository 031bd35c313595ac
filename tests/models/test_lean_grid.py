"""A lean grid (models.statespace.dlm, ``keep_moments=False``): it holds no grid point's
filtered moments and reruns one grid point's filter when a sampler reads them, so memory is
one grid point's, not the grid's. Every number equals the grid that keeps them, bit for bit:
moments, revised and real-time draws, the forecast predictive, and a whole fit's page
numbers (with and without forecast monitoring)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from macroattr.models import ModelConfig, fit_model
from macroattr.models.statespace import dlm
from macroattr.models.statespace.dlm import DLMPrior, GridFilter, grid_filter
from macroattr.models.statespace.forecast import window_predictive
from macroattr.models.statespace.monitor import Monitor
from macroattr.models.synthetic import simulate_panel

GRIDS = ([0.97, 0.99, 0.999, 1.0], [0.95, 1.0])


def _data(T=500, seed=0):
    rng = np.random.default_rng(seed)
    F = np.column_stack([np.ones(T), rng.normal(size=(T, 2))])
    beta = np.where(np.arange(T) < T // 2, 1.5, -1.5)           # a sign flip: the monitor fires
    y = 0.1 + beta * F[:, 1] + 0.5 * F[:, 2] + rng.normal(size=T)
    return y, F


@pytest.fixture(params=[None, Monitor()], ids=["plain", "monitored"])
def pair(request):
    y, F = _data()
    prior = DLMPrior.conjugate(3)
    kept = grid_filter(y, F, *GRIDS, prior, monitor=request.param)
    lean = grid_filter(y, F, *GRIDS, prior, monitor=request.param, keep_moments=False)
    return kept, lean


def test_lean_grid_holds_no_moments_and_recomputes_them_exactly(pair):
    kept, lean = pair
    assert kept.keeps_moments and not lean.keeps_moments
    assert all(len(r.m) == 0 and len(r.L) == 0 for r in lean.results)
    assert np.array_equal(kept.log_ml, lean.log_ml)
    for g in range(len(kept.deltas)):
        a, b = kept.results[g], lean.filtered(g)
        for k in ("m", "L", "n", "d", "f", "q", "ll"):
            assert np.array_equal(getattr(a, k), getattr(b, k)), (g, k)
        rows = np.array([3, 40, 499])
        sub = lean.filtered(g, rows=rows)
        assert np.array_equal(sub.m, a.m[rows]) and np.array_equal(sub.L, a.L[rows])
        assert np.array_equal(kept.filtered(g, rows=rows).L, a.L[rows])
        assert np.array_equal(kept.revised_filter(g).L, lean.revised_filter(g).L)
    ia, ib = kept.interventions(), lean.interventions()
    assert bool(ia) == (kept.monitor is not None)                 # the monitor fired
    assert ia.keys() == ib.keys() and all(np.array_equal(ia[g], ib[g]) for g in ia)


def test_lean_grid_draws_the_same_paths(pair):
    kept, lean = pair
    gi = kept.allocate(300, seed=5)
    for t_end in (None, 321):
        for a, b in zip(kept.sample_smoothed(gi, 5, t_end), lean.sample_smoothed(gi, 5, t_end),
                        strict=True):
            assert np.array_equal(a, b)
    quarters = (np.arange(0, 500, 63), np.r_[np.arange(63, 500, 63), 500])
    for kw in ({}, {"t0": 100, "t1": 180}, {"blocks": quarters}):
        for a, b in zip(kept.sample_filtered(300, 5, **kw), lean.sample_filtered(300, 5, **kw),
                        strict=True):
            assert np.array_equal(a, b), kw


def test_lean_grid_forecast_predictive_is_the_same(pair):
    kept, lean = pair
    _, F = _data()
    a, b = window_predictive(kept, F, 200, 230), window_predictive(lean, F, 200, 230)
    for k in a:
        assert np.array_equal(a[k], b[k]), k


def test_picked_grid_points_are_those_the_sampler_picks():
    """The grid points a real-time draw can pick, against a per-row, per-draw search."""
    rng = np.random.default_rng(3)
    w = rng.dirichlet(np.full(9, 0.2), size=200)
    w[:, 4] = 0.0                                                 # never picked
    w /= w.sum(axis=1, keepdims=True)
    cumw = np.cumsum(w, axis=1)
    cumw[7, -1] = 0.9999999                                       # rounding short of 1
    u = (rng.permutation(50) + 0.5) / 50
    brute = {min(int(np.searchsorted(row, x, side="left")), 8) for row in cumw for x in u}
    assert GridFilter.picked(cumw, u).tolist() == sorted(brute)
    assert 4 not in brute


def test_grid_is_lean_above_the_moment_budget(monkeypatch):
    y, F = _data(T=200)
    assert grid_filter(y, F, *GRIDS, DLMPrior.conjugate(3)).keeps_moments
    monkeypatch.setattr(dlm, "KEEP_MOMENTS_BYTES", 8 * 200 * 3 * 4 * 8 - 1)  # one byte short
    assert not grid_filter(y, F, *GRIDS, DLMPrior.conjugate(3)).keeps_moments


def _frames(fit):
    out = {"attribution Q": fit.attribution("Q"),
           "first estimate Q": fit.attribution("Q", estimate="filtered"),
           "coefficients": fit.coefficients(),
           "one step ahead": fit.one_step_ahead(),
           "event": fit.event("2002-03-07", "2002-03-18").table(),
           "event first estimate": fit.event("2002-03-07", "2002-03-18").table(estimate="real time")}
    return {k: v.reset_index(drop=True) for k, v in out.items()}


@pytest.mark.parametrize("monitor", [False, True])
def test_lean_fit_gives_the_page_numbers_of_a_kept_one(monkeypatch, monitor):
    """A fit whose grid is lean (as a long or wide panel's is) reports the very numbers of
    the same fit with every moment held."""
    panel, truth = simulate_panel(n=900, freq="D", seed=4)
    cfg = ModelConfig(groups=truth["groups"]).override(
        betas="state_space", method="exact", draws=40, chains=2,
        beta_discounts=[0.99, 0.999, 1.0], variance_discounts=[0.95, 1.0], monitor=monitor)
    kept = _frames(fit_model(panel, cfg))
    monkeypatch.setattr(dlm, "KEEP_MOMENTS_BYTES", 0)
    fit = fit_model(panel, cfg)
    assert not fit.paths.filter.keeps_moments
    lean = _frames(fit)
    for k, v in kept.items():
        pd.testing.assert_frame_equal(lean[k], v, check_exact=True, obj=k)
