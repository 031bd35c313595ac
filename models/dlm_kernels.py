"""Compiled kernels of the conjugate dynamic linear model (numba, cached on disk).

Three loops that NumPy cannot vectorise because each step needs the previous one:

- :func:`forward_filter` — the West & Harrison forward filter with a state discount
  ``delta_beta`` (random-walk alpha and betas, ``W_t = C_{t-1} (1 - delta) / delta``) and a
  variance discount ``delta_v`` (normal / inverse-gamma observation variance that drifts:
  ``n_t = delta_v n_{t-1} + 1``); it returns the filtered moments, the one-step-ahead
  Student-t predictive ``(f_t, q_t, df_t)`` and its log density at the observation.
- :func:`backward_sample` — the backward sampler (FFBS) of the precisions and the states,
  which with a discount has the closed form ``theta_t = (1 - delta) m_t + delta theta_{t+1}
  + sqrt((1 - delta) v_t) L*_t z`` (``B_t = delta I`` because ``R_{t+1} = C_t / delta``).
- :func:`filtered_sample` — draws of the filtered (real-time) marginals, the discount grid
  point of each draw picked from the real-time grid weights.

Random numbers are reseeded per period from ``(seed, grid point, period)`` so any span of
periods is reproducible on its own and no value at ``t`` depends on how many random numbers
later periods consumed. Users call :mod:`macroattr.models.dlm`.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["backward_sample", "filtered_sample", "forward_filter", "period_seed"]

_LOG_PI = math.log(math.pi)


@numba.njit(cache=True, inline="always")
def period_seed(seed: int, grid: int, t: int) -> int:
    """Seed of one period's random numbers (a 32-bit mix of seed, grid point and period)."""
    h = (seed * 2654435761 + grid * 40503 + t * 2246822519 + 374761393) % 4294967291
    return int(h % 4294967295)


@numba.njit(cache=True)
def _chol(A: np.ndarray, L: np.ndarray) -> None:
    """Lower Cholesky factor of a small symmetric positive (semi)definite matrix, in place."""
    p = A.shape[0]
    for j in range(p):
        s = A[j, j]
        for k in range(j):
            s -= L[j, k] * L[j, k]
        ljj = math.sqrt(s) if s > 0.0 else 0.0
        L[j, j] = ljj
        for i in range(j + 1, p):
            s = A[i, j]
            for k in range(j):
                s -= L[i, k] * L[j, k]
            L[i, j] = s / ljj if ljj > 0.0 else 0.0
        for i in range(j):
            L[i, j] = 0.0


@numba.njit(cache=True)
def forward_filter(y, F, delta_beta, delta_v, m0, C0, n0, d0, store,
                   m_out, L_out, n_out, d_out, f_out, q_out, df_out, ll_out):  # noqa: ANN001
    """Run the filter for one pair of discounts; fills the ``*_out`` arrays in place.

    ``C0`` is the prior state covariance *in units of the observation variance* (C*),
    ``n0``/``d0`` the prior degrees of freedom and sum of squares (``S0 = d0 / n0``).
    ``n0 = inf`` means a known, constant observation variance ``d0`` (Gaussian
    predictives, no variance learning: the textbook Kalman filter).
    With ``store`` false only ``f/q/df/ll`` are written (``m_out``/``L_out`` may be
    empty). ``L_out[t]`` is the Cholesky factor of ``C*_t = C_t / S_t``.
    Returns the log marginal likelihood (sum of ``ll_out``).
    """
    T, p = F.shape
    m = m0.copy()
    known = math.isinf(n0)
    S = d0 if known else d0 / n0
    C = C0 * S  # scaled covariance
    n = n0
    d = d0
    R = np.empty((p, p))
    RF = np.empty(p)
    Cs = np.empty((p, p))
    L = np.zeros((p, p))
    total = 0.0
    for t in range(T):
        for i in range(p):
            for j in range(p):
                R[i, j] = C[i, j] / delta_beta
        f = 0.0
        for i in range(p):
            f += F[t, i] * m[i]
            s = 0.0
            for j in range(p):
                s += R[i, j] * F[t, j]
            RF[i] = s
        q = S
        for i in range(p):
            q += F[t, i] * RF[i]
        df = delta_v * n
        e = y[t] - f
        if known:
            ll = -0.5 * (math.log(2.0 * math.pi * q) + e * e / q)
        else:
            ll = (math.lgamma(0.5 * (df + 1.0)) - math.lgamma(0.5 * df)
                  - 0.5 * (math.log(df) + _LOG_PI + math.log(q))
                  - 0.5 * (df + 1.0) * math.log1p(e * e / (df * q)))
        f_out[t] = f
        q_out[t] = q
        df_out[t] = df
        ll_out[t] = ll
        total += ll
        if known:
            S_new = S
        else:
            n = df + 1.0
            d = delta_v * d + S * e * e / q
            S_new = d / n
        r = S_new / S
        for i in range(p):
            m[i] += RF[i] / q * e
        for i in range(p):
            for j in range(i, p):
                c = r * (R[i, j] - RF[i] * RF[j] / q)
                C[i, j] = c
                C[j, i] = c
        S = S_new
        if store:
            for i in range(p):
                m_out[t, i] = m[i]
                for j in range(p):
                    Cs[i, j] = C[i, j] / S
            _chol(Cs, L)
            for i in range(p):
                for j in range(p):
                    L_out[t, i, j] = L[i, j]
            n_out[t] = n
            d_out[t] = d
    return total


@numba.njit(cache=True)
def backward_sample(m, L, n, d, delta_beta, delta_v, seed, grid, t_end, t_stop,
                    theta_end, phi_end, start_given, theta_out, v_out):  # noqa: ANN001
    """Backward sampler from period ``t_end`` down to ``t_stop`` (inclusive).

    ``m (T, p)``, ``L (T, p, p)``, ``n``, ``d (T,)`` are one grid point's filtered moments
    (``L`` = Cholesky factor of C*_t). When ``start_given`` the states and precisions at
    ``t_end + 1`` are ``theta_end (S, p)`` / ``phi_end (S,)`` (a checkpoint); otherwise
    period ``t_end`` is drawn from its filtered distribution. Writes
    ``theta_out (S, t_end - t_stop + 1, p)`` and ``v_out (S, ...)`` (variances) with
    ``theta_out[:, 0]`` = period ``t_stop``; returns the state and precision at ``t_stop``.
    """
    S_n = theta_out.shape[0]
    p = m.shape[1]
    theta = theta_end.copy()
    phi = phi_end.copy()
    z = np.empty(p)
    sb = math.sqrt(1.0 - delta_beta)
    for t in range(t_end, t_stop - 1, -1):
        np.random.seed(period_seed(seed, grid, t))
        col = t - t_stop
        fresh = (t == t_end) and not start_given
        if not fresh and delta_beta == 1.0 and delta_v == 1.0:
            for s in range(S_n):  # static model: the path is the last period's draw
                for i in range(p):
                    theta_out[s, col, i] = theta[s, i]
                v_out[s, col] = 1.0 / phi[s]
            continue
        for s in range(S_n):
            if fresh:
                phi[s] = np.random.gamma(0.5 * n[t], 2.0 / d[t])
            elif delta_v < 1.0:
                phi[s] = delta_v * phi[s] + np.random.gamma(0.5 * (1.0 - delta_v) * n[t], 2.0 / d[t])
            sd = 1.0 / math.sqrt(phi[s])
            for i in range(p):
                z[i] = np.random.standard_normal()
            for i in range(p):
                acc = 0.0
                for j in range(i + 1):
                    acc += L[t, i, j] * z[j]
                if fresh:
                    val = m[t, i] + sd * acc
                else:  # component i of h_t needs only component i of theta_{t+1}
                    val = (1.0 - delta_beta) * m[t, i] + delta_beta * theta[s, i] + sb * sd * acc
                theta[s, i] = val
                theta_out[s, col, i] = val
            v_out[s, col] = 1.0 / phi[s]
    return theta, phi


@numba.njit(cache=True)
def filtered_sample(m, L, n, d, cumw, u, seed, t0, t1, theta_out, v_out):  # noqa: ANN001
    """Draws of the filtered marginals for periods ``t0 .. t1 - 1``.

    ``m (G, T, p)``, ``L (G, T, p, p)``, ``n``, ``d (G, T)`` hold every grid point's filtered
    moments and ``cumw (T, G)`` the cumulative real-time grid weights at each period (data
    to that period only); draw ``s`` uses the grid point where ``cumw[t]`` first reaches
    ``u[s]``. Writes ``theta_out (S, t1 - t0, p)`` and ``v_out (S, t1 - t0)``.
    """
    S_n = theta_out.shape[0]
    G = m.shape[0]
    p = m.shape[2]
    z = np.empty(p)
    for t in range(t0, t1):
        np.random.seed(period_seed(seed, 99991, t))
        col = t - t0
        for s in range(S_n):
            lo = 0  # first g with cumw[t, g] >= u[s] (binary search)
            hi = G - 1
            while lo < hi:
                mid = (lo + hi) // 2
                if cumw[t, mid] < u[s]:
                    lo = mid + 1
                else:
                    hi = mid
            g = lo
            phi = np.random.gamma(0.5 * n[g, t], 2.0 / d[g, t])
            sd = 1.0 / math.sqrt(phi)
            for i in range(p):
                z[i] = np.random.standard_normal()
            for i in range(p):
                acc = 0.0
                for j in range(i + 1):
                    acc += L[g, t, i, j] * z[j]
                theta_out[s, col, i] = m[g, t, i] + sd * acc
            v_out[s, col] = 1.0 / phi


@numba.njit(cache=True)
def components(theta, Xs, c, y_mean, y_sd, group_of, n_groups, y, out):  # noqa: ANN001
    """Attribution components of standardised states, natural units, in one pass.

    ``theta (S, n, K + 1)`` (any float dtype and strides), ``Xs = X / x_sd (n, K)``,
    ``c = x_mean / x_sd (K,)``, ``group_of (K,)``. Writes ``out (S, n, G + 2)``: alpha
    ``y_mean + y_sd (theta_0 - sum_k theta_k c_k)``, each group ``y_sd sum_{k in g} theta_k
    Xs_k`` and the residual ``y - alpha - sum_g``, so the row sums to ``y`` exactly.
    """
    S, n, p = theta.shape
    K = p - 1
    for s in range(S):
        for t in range(n):
            a = float(theta[s, t, 0])
            for g in range(n_groups):
                out[s, t, g + 1] = 0.0
            for k in range(K):
                b = float(theta[s, t, k + 1])
                a -= b * c[k]
                out[s, t, group_of[k] + 1] += y_sd * b * Xs[t, k]
            a = y_mean + y_sd * a
            out[s, t, 0] = a
            tot = a
            for g in range(n_groups):
                tot += out[s, t, g + 1]
            out[s, t, n_groups + 1] = y[t] - tot
