"""The backward sampler (FFBS) of the conjugate dynamic linear model, compiled (numba).

One kernel, :func:`backward_span`, draws every revised path: the model of every beta
drifting, whose backward step has the closed form ``theta_t = (1 - delta) m_t + delta
theta_{t+1} + sqrt((1 - delta) v_t) L*_t z`` (``B_t = delta I`` because ``R_{t+1} = C_t /
delta``), and the subset models of :mod:`macroattr.models.statespace.mixture`, whose step
uses explicit coefficients ``theta_t = m_t + B_t (theta_{t+1} - m_t) + sqrt(v_t) Lh_t z``.
Both share the volatility step, the blocking over draws and periods, the resumption from
checkpoints and the loop over blocks of draws (each draw has its own random streams and
output rows). The loop is serial: numba's ``parallel=True`` with ``cache=True`` gave cached
kernels that crashed (SIGSEGV) when another process loaded them (seen in CI).
Random numbers: the counter-based streams of :mod:`macroattr.models.statespace.kernels`.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from macroattr.models.statespace import kernels as _K

__all__ = ["BLOCK_DRAWS", "BLOCK_PERIODS", "backward_sample", "backward_sample_rows",
           "backward_sample_span", "backward_span"]

#: draws advanced together through time by the backward sampler: each period's moments are
#: read once per block (not once per draw), which keeps the work linear in days and draws
BLOCK_DRAWS = 32
#: periods a block of draws walks through before the next draw of the block takes them: the
#: stretch's moments (~0.1 MB) stay in cache for all the block's draws, and each draw writes
#: its stretch of output contiguously
BLOCK_PERIODS = 256


@numba.njit(cache=True)
def backward_sample(m, L, n, d, delta_beta, delta_v, seed, grid, t_end, theta_out, v_out):  # noqa: ANN001
    """Backward sampler (FFBS) from period ``t_end`` down to period 0.

    ``m (T, p)``, ``L (T, p, p)``, ``n``, ``d (T,)`` are one grid point's filtered moments
    (``L`` = Cholesky factor of C*_t). Period ``t_end`` is drawn from its filtered
    distribution, then ``1/v_t = delta_v / v_{t+1} + Gamma((1 - delta_v) n_t / 2, d_t / 2)``
    and ``theta_t = (1 - delta) m_t + delta theta_{t+1} + sqrt((1 - delta) v_t) L*_t z``.
    Writes ``theta_out (S, t_end + 1, p)`` and ``v_out (S, t_end + 1)`` (variances); draw
    ``s`` uses stream ``s``. See :func:`backward_sample_rows`.
    """
    rows = np.arange(theta_out.shape[0])
    backward_sample_rows(m, L, n, d, delta_beta, delta_v, seed, grid, t_end, rows,
                         theta_out, v_out, np.empty(0))


@numba.njit(cache=True)
def backward_sample_rows(m, L, n, d, delta_beta, delta_v, seed, grid, t_end, rows,
                         theta_out, v_out, dstep):  # noqa: ANN001
    """:func:`backward_sample` of ``len(rows)`` draws written straight into rows ``rows`` of
    ``theta_out (S_all, >= t_end + 1, p)`` and ``v_out`` (no temporary per grid point).

    Draw ``s`` (``0 <= s < len(rows)``, stream ``(seed, grid, t, s)``) goes to row
    ``rows[s]``. The draws advance through time in blocks of :data:`BLOCK_DRAWS` draws and
    stretches of :data:`BLOCK_PERIODS` periods: a stretch's moments are read from memory once
    per block and stay in cache for its draws, instead of every draw sweeping all ``T``
    periods (which fell out of cache and made the sampler superlinear in days). Each draw's arithmetic is unchanged
    (float64 state, the same operations in the same order), so the draws are bit-identical
    to the draw-by-draw loop; ``theta_out`` may be float32 (stored paths: ~7 significant
    digits, far below the posterior spread).

    ``dstep`` (T,): the discount applied at each step when it changes from step to step
    (automatic interventions, :mod:`macroattr.models.statespace.monitor`; the step from
    ``t + 1`` to ``t`` uses ``dstep[t + 1]``); empty: ``delta_beta`` at every step.
    """
    p = m.shape[1]
    backward_sample_span(m, L, n, d, delta_beta, delta_v, seed, grid, t_end, t_end, 0, rows,
                         np.empty((1, p)), np.empty(1), 0, np.empty((1, 1, p)), np.empty((1, 1)),
                         theta_out, v_out, dstep)


@numba.njit(cache=True)
def backward_sample_span(m, L, n, d, delta_beta, delta_v, seed, grid, t_end, t_hi, t_lo, rows,
                         theta0, phi0, ck_every, ck_theta, ck_phi, theta_out, v_out,
                         dstep):  # noqa: ANN001
    """:func:`backward_sample_rows` over periods ``t_hi`` down to ``t_lo`` only, written to
    ``theta_out[rows[s], t - t_lo]``.

    ``t_hi == t_end`` starts afresh at the last period; ``t_hi < t_end`` resumes from the
    state at ``t_hi + 1`` of each draw, ``theta0[rows[s]]`` (float64) and ``phi0[rows[s]]``
    (its precision), kept by an earlier full pass: the draws are then exactly those rows of
    the full pass (the random numbers are keyed by period and draw, the state is carried
    in float64). With ``ck_every > 0`` the state after each period ``t`` with ``t %
    ck_every == 0`` is kept in ``ck_theta[rows[s], t // ck_every]`` and ``ck_phi`` (the
    checkpoints a later span resumes from). ``dstep``: as in :func:`backward_sample_rows`.
    """
    p = m.shape[1]
    backward_span(m, L, n, d, delta_beta, delta_v, seed, grid, t_end, t_hi, t_lo, rows, theta0,
                  phi0, ck_every, ck_theta, ck_phi, theta_out, v_out, dstep,
                  np.empty((0, p, p)), np.empty((0, p, p)), 0, False, t_lo, np.empty(0, np.int64))


@numba.njit(cache=True)
def backward_span(m, L, n, d, delta_beta, delta_v, seed, stream, t_end, t_hi, t_lo, rows,
                  theta0, phi0, ck_every, ck_theta, ck_phi, theta_out, v_out, dstep,
                  B, Lh, c_off, by_row, o_off, slot):  # noqa: ANN001
    """The backward sampler of periods ``t_hi`` down to ``t_lo``: draw ``s`` (stream
    ``(seed, stream, t, s)``, or ``(seed, stream, t, rows[s])`` with ``by_row``) written to
    ``theta_out[rows[s], t - o_off]`` and ``v_out`` (the revised paths: ``o_off = t_lo``).
    ``m``, ``L`` of period ``t`` are read at row ``slot[t]`` (``slot`` empty: row ``t``;
    the real-time sampler's moment filters keep a few blocks of periods only).

    With ``B`` empty (0, p, p) the step is the all-drifting model's closed form (discount
    ``delta_beta``, or ``dstep[t + 1]`` per step when ``dstep`` is not empty; a grid point
    with both discounts 1 repeats its last draw); otherwise the explicit coefficients
    ``B``, ``Lh`` (rows from ``c_off`` on) of a subset model. Resumption (``t_hi <
    t_end``: ``theta0``, ``phi0``) and checkpoints (``ck_every``) as described in
    :func:`backward_sample_span`. Draws advance in blocks of :data:`BLOCK_DRAWS` over
    stretches of :data:`BLOCK_PERIODS` periods; each draw's arithmetic
    is that of the draw-by-draw loop (``tests/models/test_backward_blocked.py``).
    """
    S_n = rows.shape[0]
    coef = B.shape[0] > 0
    varying = dstep.shape[0] > 0
    p = m.shape[1]
    sb = math.sqrt(1.0 - delta_beta) if not coef else 0.0
    static = (not coef) and delta_beta == 1.0 and delta_v == 1.0
    NB = BLOCK_DRAWS
    Tc = BLOCK_PERIODS
    for bi in range((S_n + NB - 1) // NB):  # blocks of draws (each draw its own streams)
        b0 = bi * NB
        nb = min(NB, S_n - b0)
        z = np.empty(p)
        th = np.empty(p)
        dev = np.empty(p)
        theta = np.empty((NB, p))
        phi = np.ones(NB)
        if t_hi < t_end:  # resume from the kept state of the period after t_hi
            for j in range(nb):
                r = rows[b0 + j]
                phi[j] = phi0[r]
                for i in range(p):
                    theta[j, i] = theta0[r, i]
        for hi in range(t_hi, t_lo - 1, -Tc):  # a stretch of periods, for every draw of the block
            lo = max(t_lo - 1, hi - Tc)
            for j in range(nb):
                s = b0 + j
                r = rows[s]
                ph = phi[j]
                for i in range(p):
                    th[i] = theta[j, i]
                for t in range(hi, lo, -1):
                    fresh = t == t_end
                    if not (static and not fresh):  # static: the path is the last draw
                        kt = slot[t] if slot.shape[0] else t
                        key = _K.stream_key(seed, stream, t, r if by_row else s)
                        ctr = 0
                        known = math.isinf(n[t])
                        if fresh and known:  # known variance (n = inf): d is the variance
                            ph = 1.0 / d[t]
                        elif fresh:
                            g, ctr = _K._gamma(key, ctr, 0.5 * n[t])
                            ph = g * 2.0 / d[t]
                        elif delta_v < 1.0 and not known:
                            g, ctr = _K._gamma(key, ctr, 0.5 * (1.0 - delta_v) * n[t])
                            ph = delta_v * ph + g * 2.0 / d[t]
                        sd = 1.0 / math.sqrt(ph)
                        ctr = _K._normals(key, ctr, z)
                        if fresh or not coef:
                            db = delta_beta
                            sbt = sb
                            if varying and not fresh:
                                db = dstep[t + 1]
                                sbt = math.sqrt(1.0 - db)
                            for i in range(p):
                                acc = 0.0
                                for k in range(i + 1):
                                    acc += L[kt, i, k] * z[k]
                                if fresh:
                                    th[i] = m[kt, i] + sd * acc
                                else:  # component i of h_t needs only component i of theta_{t+1}
                                    th[i] = (1.0 - db) * m[kt, i] + db * th[i] + sbt * sd * acc
                        else:
                            for i in range(p):
                                dev[i] = th[i] - m[kt, i]
                            for i in range(p):
                                acc = m[kt, i]
                                for k in range(p):
                                    acc += B[t - c_off, i, k] * dev[k] + sd * Lh[t - c_off, i, k] * z[k]
                                th[i] = acc
                    for i in range(p):
                        theta_out[r, t - o_off, i] = th[i]
                    v_out[r, t - o_off] = 1.0 / ph
                    if ck_every > 0 and t % ck_every == 0:
                        for i in range(p):
                            ck_theta[r, t // ck_every, i] = th[i]
                        ck_phi[r, t // ck_every] = ph
                phi[j] = ph
                for i in range(p):
                    theta[j, i] = th[i]
