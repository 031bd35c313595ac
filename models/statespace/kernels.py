"""Compiled kernels of the conjugate dynamic linear model (numba, cached on disk).

Three loops that NumPy cannot vectorise because each step needs the previous one:

- :func:`forward_filter` — the West & Harrison forward filter with a state discount
  ``delta_beta`` (random-walk alpha and betas, ``W_t = C_{t-1} (1 - delta) / delta``) and a
  variance discount ``delta_v`` (normal / inverse-gamma observation variance that drifts:
  ``n_t = delta_v n_{t-1} + 1``); it returns the filtered moments, the one-step-ahead
  Student-t predictive ``(f_t, q_t, df_t)`` and its log density at the observation.
- :func:`backward_sample` — the backward sampler (FFBS) of the precisions and the states,
  in :mod:`macroattr.models.statespace.backward`.
- :func:`filtered_sample` — real-time draws: each block of periods (a day, a month, a
  quarter) as estimated at its last period (filtered draw there, backward sampler inside the
  block), the discount grid point picked from the real-time grid weights.

Random numbers come from a counter-based stream per (seed, grid point, period, draw)
(splitmix64; normals by Marsaglia's polar method, gammas by Marsaglia-Tsang), so draws can run in any order,
any span of periods is reproducible on its own and no value at ``t`` depends on later data.
Users call :mod:`macroattr.models.statespace.dlm`.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["components", "filter_start", "filter_step", "filtered_sample", "forward_filter",
           "store_at", "stream_key"]


_LOG_PI = math.log(math.pi)


_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)
_TWO53 = 1.0 / 9007199254740992.0


@numba.njit(cache=True, inline="always")
def _mix(x):  # noqa: ANN001, ANN202 - splitmix64 finaliser (uint64 -> uint64)
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


@numba.njit(cache=True, inline="always")
def stream_key(seed: int, a: int, b: int, c: int):  # noqa: ANN201
    """Key of one random stream, from the seed and three counters (grid point, period, draw).

    Every (period, draw) has its own counter-based stream (splitmix64), so draws are
    reproducible in any order, in parallel and over any span of periods."""
    k = _mix(np.uint64(seed) + _GOLD)
    k = _mix(k ^ (np.uint64(a) * _GOLD + np.uint64(1)))
    k = _mix(k ^ (np.uint64(b) * _GOLD + np.uint64(2)))
    return _mix(k ^ (np.uint64(c) * _GOLD + np.uint64(3)))


@numba.njit(cache=True, inline="always")
def _uniform(key, ctr):  # noqa: ANN001, ANN202
    """Uniform on (0, 1) from a stream key and a counter."""
    x = _mix(key + np.uint64(ctr) * _GOLD)
    return (float(x >> np.uint64(11)) + 0.5) * _TWO53


@numba.njit(cache=True, inline="always")
def _polar(key, ctr):  # noqa: ANN001, ANN202
    """Marsaglia's polar pair: ``(u, v, f, next counter)`` with ``u f`` and ``v f``
    independent standard normals (pairs outside the unit disc drawn again)."""
    while True:
        u = 2.0 * _uniform(key, ctr) - 1.0
        v = 2.0 * _uniform(key, ctr + 1) - 1.0
        ctr += 2
        r2 = u * u + v * v
        if r2 < 1.0 and r2 != 0.0:
            return u, v, math.sqrt(-2.0 * math.log(r2) / r2), ctr


@numba.njit(cache=True)
def _normals(key, ctr, z):  # noqa: ANN001, ANN202
    """Fill ``z`` with standard normals (Marsaglia's polar method: one log and one square
    root per pair, no trigonometry); returns the next counter."""
    n = z.shape[0]
    i = 0
    while i < n:
        u, v, f, ctr = _polar(key, ctr)
        z[i] = u * f
        if i + 1 < n:
            z[i + 1] = v * f
        i += 2
    return ctr


@numba.njit(cache=True)
def _gamma(key, ctr, shape):  # noqa: ANN001, ANN202
    """Gamma(shape, 1) by Marsaglia-Tsang (shape < 1 boosted); returns (value, next counter)."""
    boost = 1.0
    a = shape
    if a < 1.0:
        boost = _uniform(key, ctr) ** (1.0 / a)
        ctr += 1
        a += 1.0
    dd = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * dd)
    while True:
        u1, _, f, ctr = _polar(key, ctr)
        x = u1 * f
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u = _uniform(key, ctr)
        ctr += 1
        if math.log(u) < 0.5 * x * x + dd - dd * v + dd * math.log(v):
            return dd * v * boost, ctr


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


@numba.njit(cache=True, inline="always")
def filter_start(m0, C0, n0, d0):  # noqa: ANN001, ANN202
    """The state before the first period, ``(m, C = C0 S, n, d, S, known)`` (``known``:
    ``n0 = inf``), and the scratch ``R, RF, Cs, L`` of :func:`filter_step`."""
    p = m0.shape[0]
    known = math.isinf(n0)
    S = d0 if known else d0 / n0
    return (m0.copy(), C0 * S, n0, d0, S, known, np.empty((p, p)), np.empty(p),
            np.empty((p, p)), np.zeros((p, p)))


@numba.njit(cache=True, inline="always")
def filter_step(yt, F, t, m, C, n, d, S, delta_step, delta_v, vary, known, R, RF):  # noqa: ANN001, ANN202
    """The one filter step (plain, monitored and real-time-mixture filters) at period ``t``,
    in place: ``m``, ``C`` (scaled) become the moments after ``yt``; returns ``(f, q, df, ll,
    n, d, S)``. ``delta_step`` discounts the ``vary`` block; ``R``, ``RF`` are scratch."""
    p = m.shape[0]
    for i in range(p):
        for j in range(p):
            R[i, j] = C[i, j] / delta_step if vary[i] * vary[j] > 0.0 else C[i, j]
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
    e = yt - f
    if known:
        ll = -0.5 * (math.log(2.0 * math.pi * q) + e * e / q)
    else:
        ll = (math.lgamma(0.5 * (df + 1.0)) - math.lgamma(0.5 * df)
              - 0.5 * (math.log(df) + _LOG_PI + math.log(q))
              - 0.5 * (df + 1.0) * math.log1p(e * e / (df * q)))
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
    return f, q, df, ll, n, d, S_new


@numba.njit(cache=True, inline="always")
def store_at(t, slot, m, C, S, n, d, Cs, L, m_out, L_out, n_out, d_out):  # noqa: ANN001, ANN202
    """Write the filtered moments after period ``t``: ``m`` and the Cholesky factor of
    ``C* = C / S`` (``Cs``, ``L`` scratch) at row ``slot[t]`` (not kept when negative;
    ``slot`` empty: row ``t``), ``n`` and ``d`` at row ``t``."""
    k = slot[t] if slot.shape[0] else t
    if k >= 0:
        p = m.shape[0]
        for i in range(p):
            m_out[k, i] = m[i]
            for j in range(p):
                Cs[i, j] = C[i, j] / S
        _chol(Cs, L)
        for i in range(p):
            for j in range(p):
                L_out[k, i, j] = L[i, j]
    n_out[t] = n
    d_out[t] = d


@numba.njit(cache=True, nogil=True)
def forward_filter(y, F, delta_beta, delta_v, vary, m0, C0, n0, d0, store,
                   m_out, L_out, n_out, d_out, f_out, q_out, df_out, ll_out, slot):  # noqa: ANN001
    """Run the filter for one pair of discounts; fills the ``*_out`` arrays in place.

    ``C0`` is the prior state covariance *in units of the observation variance* (C*),
    ``n0``/``d0`` the prior degrees of freedom and sum of squares (``S0 = d0 / n0``).
    ``n0 = inf`` means a known, constant observation variance ``d0`` (Gaussian
    predictives, no variance learning: the textbook Kalman filter).
    With ``store`` false only ``f/q/df/ll`` are written (``m_out``/``L_out`` may be
    empty). ``L_out[t]`` is the Cholesky factor of ``C*_t = C_t / S_t``.
    ``vary`` (p,) marks the state elements the discount applies to (block discounting,
    West & Harrison 6.3: ``R = C`` except ``R[V, V] = C[V, V] / delta_beta``); all ones is
    the model the backward sampler draws from. Each period is one :func:`filter_step`.
    ``slot`` (T,) int64: with ``store``, keep ``m`` and ``L`` of period ``t`` in row
    ``slot[t]`` only (none when negative; ``n``, ``d`` of every period); empty: every row.
    Returns the log marginal likelihood (sum of ``ll_out``).
    """
    T = F.shape[0]
    m, C, n, d, S, known, R, RF, Cs, L = filter_start(m0, C0, n0, d0)
    total = 0.0
    for t in range(T):
        f, q, df, ll, n, d, S = filter_step(y[t], F, t, m, C, n, d, S, delta_beta, delta_v,
                                            vary, known, R, RF)
        f_out[t] = f
        q_out[t] = q
        df_out[t] = df
        ll_out[t] = ll
        total += ll
        if store:
            store_at(t, slot, m, C, S, n, d, Cs, L, m_out, L_out, n_out, d_out)
    return total


@numba.njit(cache=True)
def filtered_sample(m, L, n, d, delta_beta, delta_v, cumw, u, seed, starts, ends, t0,
                    theta_out, v_out, dstep):  # noqa: ANN001
    """Real-time draws, one block of periods at a time.

    Each block ``starts[b] .. ends[b] - 1`` is drawn as it was estimated at its last period:
    the grid point where ``cumw[te]`` (cumulative real-time grid weights with data to ``te``)
    first reaches ``u[s]``, a draw from the filtered distribution at ``te``, then the
    backward sampler down to the block's first period. One-period blocks are the filtered
    marginals. ``m (G, T, p)``, ``L (G, T, p, p)``, ``n``, ``d (G, T)`` and the discounts
    ``delta_beta``, ``delta_v (G,)`` are the grid's; writes ``theta_out (S, rows, p)`` and
    ``v_out (S, rows)`` for rows ``t0 ..``. ``dstep (G, T)``: the discount of each step
    when it changes from step to step (the real-time interventions of a monitored filter);
    empty (0, 0): ``delta_beta[g]`` throughout.
    """
    S_n = theta_out.shape[0]
    G = m.shape[0]
    varying = dstep.shape[0] > 0
    p = m.shape[2]
    for s in range(S_n):  # each draw has its own streams and rows
        z = np.empty(p)
        theta = np.empty(p)
        for b in range(starts.shape[0]):
            te = ends[b] - 1
            lo = 0  # first g with cumw[te, g] >= u[s] (binary search)
            hi = G - 1
            while lo < hi:
                mid = (lo + hi) // 2
                if cumw[te, mid] < u[s]:
                    lo = mid + 1
                else:
                    hi = mid
            g = lo
            db = delta_beta[g]
            dv = delta_v[g]
            sb = math.sqrt(1.0 - db)
            phi = 1.0
            for t in range(te, starts[b] - 1, -1):
                key = stream_key(seed, 1000003 + te, t, s)
                ctr = 0
                fresh = t == te
                if fresh and math.isinf(n[g, t]):  # known variance: d is the variance
                    phi = 1.0 / d[g, t]
                elif fresh:
                    gam, ctr = _gamma(key, ctr, 0.5 * n[g, t])
                    phi = gam * 2.0 / d[g, t]
                elif dv < 1.0 and not math.isinf(n[g, t]):
                    gam, ctr = _gamma(key, ctr, 0.5 * (1.0 - dv) * n[g, t])
                    phi = dv * phi + gam * 2.0 / d[g, t]
                sd = 1.0 / math.sqrt(phi)
                _normals(key, ctr, z)
                if varying and not fresh:
                    db = dstep[g, t + 1]
                    sb = math.sqrt(1.0 - db)
                for i in range(p):
                    acc = 0.0
                    for j in range(i + 1):
                        acc += L[g, t, i, j] * z[j]
                    if fresh:
                        val = m[g, t, i] + sd * acc
                    else:
                        val = (1.0 - db) * m[g, t, i] + db * theta[i] + sb * sd * acc
                    theta[i] = val
                    theta_out[s, t - t0, i] = val
                v_out[s, t - t0] = 1.0 / phi


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


@numba.njit(cache=True)
def components_summed(theta, Xs, c, y_mean, y_sd, group_of, n_groups, y, block_of, out):  # noqa: ANN001
    """:func:`components` summed into periods in the same pass: row ``t`` adds into
    ``out[:, block_of[t]]`` (``out (S, n_blocks, G + 2)``, zeroed here), so a quarterly
    attribution never holds a value per day and draw."""
    S, n, p = theta.shape
    K = p - 1
    for s in range(S):
        for bb in range(out.shape[1]):
            for g in range(n_groups + 2):
                out[s, bb, g] = 0.0
        for t in range(n):
            bb = block_of[t]
            a = float(theta[s, t, 0])
            tot = 0.0
            for k in range(K):
                b = float(theta[s, t, k + 1])
                a -= b * c[k]
                v = y_sd * b * Xs[t, k]
                out[s, bb, group_of[k] + 1] += v
                tot += v
            a = y_mean + y_sd * a
            out[s, bb, 0] += a
            out[s, bb, n_groups + 1] += y[t] - a - tot
