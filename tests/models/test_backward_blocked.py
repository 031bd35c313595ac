"""The blocked backward sampler (backward.backward_sample_rows) draws bit-identically to the
draw-by-draw loop it replaced, writes straight into its output rows, and stays the same
whatever the block boundaries (draw counts around BLOCK_DRAWS)."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

from macroattr.models.statespace import backward as KB
from macroattr.models.statespace import kernels as K
from macroattr.models.statespace.dlm import DLMPrior, grid_filter


@numba.njit
def _reference(m, L, n, d, delta_beta, delta_v, seed, grid, t_end, S):
    """The previous sampler: one draw at a time over all periods (float64 state)."""
    p = m.shape[1]
    theta_out = np.empty((S, t_end + 1, p), dtype=np.float32)
    v_out = np.empty((S, t_end + 1), dtype=np.float32)
    sb = math.sqrt(1.0 - delta_beta)
    static = delta_beta == 1.0 and delta_v == 1.0
    for s in range(S):
        z = np.empty(p)
        theta = np.empty(p)
        phi = 1.0
        for t in range(t_end, -1, -1):
            fresh = t == t_end
            if static and not fresh:
                for i in range(p):
                    theta_out[s, t, i] = theta[i]
                v_out[s, t] = 1.0 / phi
                continue
            key = K.stream_key(seed, grid, t, s)
            ctr = 0
            if fresh and math.isinf(n[t]):
                phi = 1.0 / d[t]
            elif fresh:
                g, ctr = K._gamma(key, ctr, 0.5 * n[t])
                phi = g * 2.0 / d[t]
            elif delta_v < 1.0 and not math.isinf(n[t]):
                g, ctr = K._gamma(key, ctr, 0.5 * (1.0 - delta_v) * n[t])
                phi = delta_v * phi + g * 2.0 / d[t]
            sd = 1.0 / math.sqrt(phi)
            ctr = K._normals(key, ctr, z)
            for i in range(p):
                acc = 0.0
                for j in range(i + 1):
                    acc += L[t, i, j] * z[j]
                if fresh:
                    val = m[t, i] + sd * acc
                else:
                    val = (1.0 - delta_beta) * m[t, i] + delta_beta * theta[i] + sb * sd * acc
                theta[i] = val
                theta_out[s, t, i] = val
            v_out[s, t] = 1.0 / phi
    return theta_out, v_out


@pytest.fixture(scope="module")
def grid():
    rng = np.random.default_rng(3)
    T = 120
    F = np.column_stack([np.ones(T), rng.normal(size=(T, 3))])
    y = np.where(np.arange(T) < 60, 1.0, -0.5) * F[:, 1] + 0.3 * F[:, 2] + 0.5 * rng.normal(size=T)
    return grid_filter(y, F, [0.97, 1.0], [0.95, 1.0], DLMPrior.conjugate(4))


@pytest.mark.parametrize("S", [1, KB.BLOCK_DRAWS - 1, KB.BLOCK_DRAWS, 2 * KB.BLOCK_DRAWS + 5])
def test_blocked_sampler_is_bit_identical_to_the_draw_by_draw_loop(grid, S):
    for g, r in enumerate(grid.results):  # drifting, variance-only and static grid points
        want_th, want_v = _reference(r.m, r.L, r.n, r.d, r.delta_beta, r.delta_v, 11, g,
                                     grid.n_periods - 1, S)
        th = np.full((S, grid.n_periods, 4), np.nan, dtype=np.float32)
        v = np.full((S, grid.n_periods), np.nan, dtype=np.float32)
        KB.backward_sample(r.m, r.L, r.n, r.d, r.delta_beta, r.delta_v, 11, g,
                          grid.n_periods - 1, th, v)
        np.testing.assert_array_equal(th, want_th)
        np.testing.assert_array_equal(v, want_v)


def test_rows_are_written_in_place_and_match_per_grid_point_draws(grid):
    gi = grid.allocate(3 * KB.BLOCK_DRAWS + 7, seed=5)
    theta, v = grid.sample_smoothed(gi, seed=5)
    assert theta.dtype == np.float32 and np.isfinite(theta).all()
    for g in np.unique(gi):
        r, sel = grid.results[g], np.flatnonzero(gi == g)
        want_th, want_v = _reference(r.m, r.L, r.n, r.d, r.delta_beta, r.delta_v, 5, int(g),
                                     grid.n_periods - 1, len(sel))
        np.testing.assert_array_equal(theta[sel], want_th)
        np.testing.assert_array_equal(v[sel], want_v)


@numba.njit
def _reference_coef(m, L, B, Lh, n, d, delta_v, seed, stream, t_end, S):
    """The subset-mixture sampler before blocking: one draw at a time over all periods."""
    p = m.shape[1]
    theta_out = np.empty((S, t_end + 1, p), dtype=np.float32)
    v_out = np.empty((S, t_end + 1), dtype=np.float32)
    for s in range(S):
        z = np.empty(p)
        theta = np.empty(p)
        dev = np.empty(p)
        phi = 1.0
        for t in range(t_end, -1, -1):
            key = K.stream_key(seed, stream, t, s)
            ctr = 0
            fresh = t == t_end
            if fresh and math.isinf(n[t]):
                phi = 1.0 / d[t]
            elif fresh:
                g, ctr = K._gamma(key, ctr, 0.5 * n[t])
                phi = g * 2.0 / d[t]
            elif delta_v < 1.0 and not math.isinf(n[t]):
                g, ctr = K._gamma(key, ctr, 0.5 * (1.0 - delta_v) * n[t])
                phi = delta_v * phi + g * 2.0 / d[t]
            sd = 1.0 / math.sqrt(phi)
            ctr = K._normals(key, ctr, z)
            if fresh:
                for i in range(p):
                    acc = 0.0
                    for j in range(i + 1):
                        acc += L[t, i, j] * z[j]
                    theta[i] = m[t, i] + sd * acc
            else:
                for i in range(p):
                    dev[i] = theta[i] - m[t, i]
                for i in range(p):
                    acc = m[t, i]
                    for j in range(p):
                        acc += B[t, i, j] * dev[j] + sd * Lh[t, i, j] * z[j]
                    theta[i] = acc
            for i in range(p):
                theta_out[s, t, i] = theta[i]
            v_out[s, t] = 1.0 / phi
    return theta_out, v_out


@pytest.mark.parametrize("S", [1, KB.BLOCK_DRAWS, 2 * KB.BLOCK_DRAWS + 5])
def test_blocked_subset_sampler_is_bit_identical_and_writes_its_rows(S):
    """mixture.backward_sample_coef_rows (blocked over draws and stretches of periods,
    writing into the caller's rows) draws exactly what the draw-by-draw loop drew, over more
    than one stretch of BLOCK_PERIODS periods."""
    from macroattr.models.statespace.dlm import forward_filter
    from macroattr.models.statespace.mixture import (backward_coefficients,
                                                     backward_sample_coef_rows)

    rng = np.random.default_rng(4)
    T = KB.BLOCK_PERIODS + 90
    F = np.column_stack([np.ones(T), rng.normal(size=(T, 3))])
    y = 0.8 * F[:, 1] - 0.3 * F[:, 3] + rng.normal(size=T)
    prior = DLMPrior.conjugate(4)
    mask = np.array([True, True, False, True])
    for db, dv in ((0.97, 0.95), (0.98, 1.0)):
        r = forward_filter(y, F, db, dv, prior, store=True, vary=mask)
        B, Lh = backward_coefficients(r.L, db, mask)
        want_th, want_v = _reference_coef(r.m, r.L, B, Lh, r.n, r.d, dv, 9, 123, T - 1, S)
        rows = np.arange(S) * 2 + 1  # every other row of a bigger output
        th = np.full((2 * S + 1, T, 4), np.nan, dtype=np.float32)
        v = np.full((2 * S + 1, T), np.nan, dtype=np.float32)
        backward_sample_coef_rows(r.m, r.L, B, Lh, r.n, r.d, dv, 9, 123, T - 1, rows, th, v)
        np.testing.assert_array_equal(th[rows], want_th)
        np.testing.assert_array_equal(v[rows], want_v)
        assert np.isnan(th[0]).all() and np.isnan(v[::2]).all()  # other rows untouched
