"""Paths that honour P(varies): draws from the mixture over which betas drift.

The fit's P(varies) (:func:`macroattr.models.statespace.dlm.factor_variation`) weighs every
subset of factors held static (block discounting, West & Harrison 6.3) by its exact
marginal likelihood. The revised paths are drawn from that same mixture: each draw keeps
its discount grid point ``g`` (allocated by the grid weights) and gets a subset model
(which betas drift) with the subset's posterior probability given ``g``; its path is then
drawn from that model. A beta the fit calls static with probability 0.9 is drawn exactly
constant in 90% of the draws.

A subset model's backward sampler has no ``delta I`` closed form (only the drifting block
is discounted), so the coefficients of ``theta_t | theta_{t+1}, v_t ~ N(m_t + B_t
(theta_{t+1} - m_t), v_t H*_t)`` are computed once per model (``B_t = C*_t R*_{t+1}^-1``,
``H*_t = C*_t - B_t C*_t``; a static beta has ``theta_{k,t} = theta_{k,t+1}`` exactly), and
:func:`backward_sample_coef` draws with them (the volatility backward step is that of
:func:`macroattr.models.statespace.backward.backward_sample`). The all-drifting model and the
static grid points use the existing sampler unchanged.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> T = 300
>>> F = np.column_stack([np.ones(T), rng.normal(size=(T, 2))])
>>> y = np.where(np.arange(T) < 150, 1.0, -1.0) * F[:, 1] + 0.5 * F[:, 2] + 0.5 * rng.normal(size=T)
>>> from macroattr.models.statespace.dlm import DLMPrior, factor_variation, grid_filter
>>> prior = DLMPrior.conjugate(3)
>>> gf = grid_filter(y, F, [0.95, 0.98], [1.0], prior)
>>> fv = factor_variation(gf, F, prior)
>>> gi = gf.allocate(200, seed=1)
>>> vary = draw_masks(fv, gf, gi, seed=1)
>>> round(float(vary[:, 0].mean()), 2), bool(vary[:, 1].mean() < 0.5)
(1.0, True)
>>> theta, v = sample_smoothed_mixture(gf, F, prior, gi, vary, seed=1)
>>> th2 = theta[~vary[:, 1], :, 2]                       # draws with factor 2 static
>>> bool(np.all(th2 == th2[:, :1]))                      # ... are exactly constant
True
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from macroattr.models.statespace import backward as _B

__all__ = ["allocate_joint", "backward_coefficients", "backward_sample_coef", "backward_sample_coef_rows",
           "backward_sample_coef_span", "sample_smoothed_span", "draw_masks",
           "p_varies_by_grid",
           "sample_smoothed_mixture", "with_approximate_p_varies", "with_masks"]

#: stream counter offset of the subset models (the grid points' own streams use 0 .. G - 1)
_STREAM_BASE = 5_000_011


def _conditional(fv: dict[str, np.ndarray], g: int, g_ref: int) -> tuple[np.ndarray, np.ndarray]:
    """Masks (rows, K) and their probabilities given grid point ``g`` (rows of ``g_ref`` when
    ``g`` was not expanded into subsets)."""
    rows = np.flatnonzero(fv["grid"] == g)
    if not len(rows):
        rows = np.flatnonzero(fv["grid"] == g_ref)
    lp = fv["log_post"][rows]
    w = np.exp(lp - lp.max())
    return fv["masks"][rows], w / w.sum()


def draw_masks(fv: dict[str, np.ndarray], grid: object, grid_index: np.ndarray,
               seed: int) -> np.ndarray:
    """Which betas drift in each draw: (S, K) bool.

    Draws at grid point ``g`` with ``delta_beta < 1`` get subsets in proportion to their
    posterior probability given ``g`` (counts by largest remainder, seeded random order);
    draws at a static grid point (``delta_beta = 1``) drift nowhere (all False). ``fv`` is
    the output of :func:`~macroattr.models.statespace.dlm.factor_variation`, ``grid`` the
    :class:`~macroattr.models.statespace.dlm.GridFilter` it was computed on.
    """
    gi = np.asarray(grid_index, dtype=np.int64).ravel()
    K = fv["masks"].shape[1]
    out = np.zeros((len(gi), K), dtype=bool)
    g_ref = int(fv["grid"][np.argmax(fv["log_post"])])
    for g in np.unique(gi):
        sel = np.flatnonzero(gi == g)
        if grid.deltas[g, 0] == 1.0:
            continue
        masks, p = _conditional(fv, int(g), g_ref)
        raw = p * len(sel)
        counts = np.floor(raw).astype(np.int64)
        short = len(sel) - int(counts.sum())
        if short > 0:
            counts[np.argsort(-(raw - counts), kind="stable")[:short]] += 1
        rows = np.random.default_rng([int(seed), 11, int(g)]).permutation(
            np.repeat(np.arange(len(p)), counts))
        out[sel] = masks[rows]
    return out


def allocate_joint(fv: dict[str, np.ndarray], n_draws: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Grid point (S,) and drifting betas (S, K) of ``n_draws`` draws allocated over the
    rows (grid point, subset) of ``fv`` by their joint posterior probability (counts by
    largest remainder, seeded random order): the share of draws in which a beta drifts is
    its P(varies) to within 1 / ``n_draws``."""
    lp = fv["log_post"]
    w = np.exp(lp - lp.max())
    w /= w.sum()
    raw = w * n_draws
    counts = np.floor(raw).astype(np.int64)
    short = n_draws - int(counts.sum())
    if short > 0:
        counts[np.argsort(-(raw - counts), kind="stable")[:short]] += 1
    rows = np.random.default_rng([int(seed), 13]).permutation(np.repeat(np.arange(len(w)), counts))
    return fv["grid"][rows].astype(np.int64), fv["masks"][rows].astype(bool)


def p_varies_by_grid(fv: dict[str, np.ndarray], grid: Any) -> np.ndarray:
    """P(varies | grid point) (n, K) of each grid point with ``delta_beta < 1`` that ``fv``
    expanded into subsets: how much P(varies) depends on the discount setting (empty
    (0, K) when none)."""
    out = []
    for g in np.unique(fv["grid"]):
        if grid.deltas[g, 0] == 1.0:
            continue
        masks, p = _conditional(fv, int(g), int(g))
        out.append((p[:, None] * masks).sum(axis=0))
    return np.array(out).reshape(len(out), fv["masks"].shape[1])


def with_masks(post: Any, fv: dict[str, np.ndarray], grid: Any, seed: int,
               joint: bool = True) -> Any:
    """Add ``vary`` (chain, draw, factor), int8: which betas drift in each draw, from the
    subset posterior behind P(varies); the revised paths of a draw come from its subset
    model. ``joint`` (the exact method): the draws' grid points and subsets are allocated
    together by :func:`allocate_joint` (``grid_index``, ``delta_beta``, ``delta_v`` are
    rewritten); otherwise (nuts, whose draws' discounts are MCMC draws) each draw keeps its
    grid point and gets a subset by :func:`draw_masks`."""
    gi = np.asarray(post["grid_index"].values, dtype=np.int64)
    if joint:
        new_gi, vary = allocate_joint(fv, gi.size, seed)
        new_gi = new_gi.reshape(gi.shape)
        post = post.assign(grid_index=(("chain", "draw"), new_gi),
                           delta_beta=(("chain", "draw"), grid.deltas[new_gi, 0]),
                           delta_v=(("chain", "draw"), grid.deltas[new_gi, 1]))
    else:
        vary = draw_masks(fv, grid, gi.ravel(), seed)
    by = p_varies_by_grid(fv, grid)
    if len(by):  # sensitivity of P(varies) to the discount setting
        post = post.assign(p_varies_low=(("factor",), by.min(axis=0)),
                           p_varies_high=(("factor",), by.max(axis=0)))
    return post.assign(vary=(("chain", "draw", "factor"), vary.reshape(*gi.shape, -1).astype(np.int8)))


def with_approximate_p_varies(post: Any, gf: Any, F: np.ndarray, prior: Any,
                              static_prob: float, factors: list[str],
                              min_weight: float) -> Any:
    """``post`` with P(varies) of a fit of more than :data:`MAX_SUBSET_FACTORS` factors by
    :func:`~macroattr.models.statespace.dlm.factor_variation_one_at_a_time` (its range over
    the grid points in ``p_varies_low/high``; ``p_varies.attrs["method"]`` says how it was
    computed). The paths then draw every beta drifting (no subset mixture)."""
    from macroattr.models.statespace.dlm import (MAX_SUBSET_FACTORS, P_VARIES_APPROX,
                                                 factor_variation_one_at_a_time)

    fv = factor_variation_one_at_a_time(gf, F, prior, static_prob, min_weight)
    post = post.assign_coords(factor=factors).assign(
        p_varies=(("factor",), fv["p_varies"],
                  {"method": P_VARIES_APPROX.format(limit=MAX_SUBSET_FACTORS)}))
    if len(fv["by_grid"]):
        post = post.assign(p_varies_low=(("factor",), fv["by_grid"].min(axis=0)),
                           p_varies_high=(("factor",), fv["by_grid"].max(axis=0)))
    return post


def backward_coefficients(L: np.ndarray, delta_beta: float | np.ndarray,
                          vary: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Backward-step coefficients of a block-discounted model from its filtered ``L``
    (T, p, p) (Cholesky factors of ``C*_t``) and ``vary`` (p,) bool (state elements that
    drift; alpha first): ``B (T, p, p)`` and a square root ``Lh (T, p, p)`` of ``H*_t`` for
    the step from ``t + 1`` to ``t`` (row ``T - 1`` unused). Static rows of ``B`` are unit
    rows and of ``Lh`` zero, so a static beta is exactly constant along the path.
    ``delta_beta``: the discount, or (T,) the discount of each step (automatic
    interventions; the step from ``t + 1`` to ``t`` uses entry ``t + 1``)."""
    vary = np.asarray(vary, dtype=bool)
    C = np.einsum("tij,tkj->tik", L, L)
    if np.ndim(delta_beta):
        nxt = np.asarray(delta_beta, dtype=np.float64)
        nxt = np.r_[nxt[1:], nxt[-1:]][:, None, None]  # the discount of the step t -> t + 1
        R = np.where(np.outer(vary, vary)[None], C / nxt, C)
    else:
        scale = np.where(np.outer(vary, vary), 1.0 / delta_beta, 1.0)
        R = C * scale[None]
    B = np.swapaxes(np.linalg.solve(R, C), 1, 2)           # C R^-1 (R, C symmetric)
    V = np.flatnonzero(vary)
    S = np.flatnonzero(~vary)
    B[:, S, :] = 0.0
    B[:, S, S] = 1.0
    H_vv = C[:, V][:, :, V] - np.einsum("tij,tjk->tik", B[:, V, :], C[:, :, V])
    H_vv = 0.5 * (H_vv + np.swapaxes(H_vv, 1, 2))
    Lh = np.zeros_like(L)
    jitter = 1e-12 * np.maximum(np.einsum("tii->t", H_vv), 1e-300)[:, None, None] * np.eye(len(V))
    Lh_vv = np.linalg.cholesky(H_vv + jitter)
    Lh[:, V[:, None], V[None, :]] = Lh_vv
    return np.ascontiguousarray(B), np.ascontiguousarray(Lh)


@numba.njit(cache=True)
def backward_sample_coef(m, L, B, Lh, n, d, delta_v, seed, stream, t_end,
                         theta_out, v_out):  # noqa: ANN001
    """Backward sampler with explicit coefficients, from ``t_end`` down to 0, every row of
    ``theta_out (S, >= t_end + 1, p)`` and ``v_out``; see :func:`backward_sample_coef_rows`."""
    rows = np.arange(theta_out.shape[0])
    backward_sample_coef_rows(m, L, B, Lh, n, d, delta_v, seed, stream, t_end, rows,
                              theta_out, v_out)


@numba.njit(cache=True)
def backward_sample_coef_rows(m, L, B, Lh, n, d, delta_v, seed, stream, t_end, rows,
                              theta_out, v_out):  # noqa: ANN001
    """Backward sampler with explicit coefficients, from ``t_end`` down to 0.

    Period ``t_end`` is drawn from its filtered distribution ``N(m, v L L')``; then
    ``1/v_t = delta_v / v_{t+1} + Gamma((1 - delta_v) n_t / 2, d_t / 2)`` and ``theta_t =
    m_t + B_t (theta_{t+1} - m_t) + sqrt(v_t) Lh_t z``. Random numbers from the stream
    ``(seed, stream, t, s)``; draw ``s`` (``0 <= s < len(rows)``) is written straight into
    row ``rows[s]`` of ``theta_out`` / ``v_out`` (no temporary per subset model).

    Blocked like :func:`~macroattr.models.statespace.backward.backward_sample_rows`: draws
    advance in blocks of ``BLOCK_DRAWS`` over stretches of ``BLOCK_PERIODS`` periods, so a
    stretch's coefficients (``B``, ``Lh``: ``2 p^2`` values a period) are read from memory
    once per block instead of once per draw. Each draw's arithmetic (float64 state, same
    operations in the same order) is that of the draw-by-draw loop: bit-identical draws.
    """
    p = m.shape[1]
    backward_sample_coef_span(m, L, B, Lh, 0, n, d, delta_v, seed, stream, t_end, t_end, 0, rows,
                              np.empty((1, p)), np.empty(1), 0, np.empty((1, 1, p)),
                              np.empty((1, 1)), theta_out, v_out)


@numba.njit(cache=True, nogil=True)
def backward_sample_coef_span(m, L, B, Lh, c_off, n, d, delta_v, seed, stream, t_end, t_hi, t_lo,
                              rows, theta0, phi0, ck_every, ck_theta, ck_phi, theta_out,
                              v_out):  # noqa: ANN001
    """:func:`backward_sample_coef_rows` over periods ``t_hi`` down to ``t_lo`` (output
    column ``t - t_lo``; ``B``, ``Lh`` hold rows from ``c_off`` on), resuming from kept
    states and keeping checkpoints as
    :func:`~macroattr.models.statespace.backward.backward_sample_span` does: the one
    backward kernel (:func:`~macroattr.models.statespace.backward.backward_span`) with
    explicit coefficients."""
    _B.backward_span(m, L, n, d, 1.0, delta_v, seed, stream, t_end, t_hi, t_lo, rows, theta0,
                     phi0, ck_every, ck_theta, ck_phi, theta_out, v_out, np.empty(0), B, Lh,
                     c_off, False, t_lo, np.empty(0, np.int64))


def sample_smoothed_mixture(grid: object, F: np.ndarray, prior: object, grid_index: np.ndarray,
                            vary: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Revised draws (S, T, p) and variances (S, T), float32, from the subset mixture.

    Draw ``s`` uses grid point ``grid_index[s]`` and drifts the betas ``vary[s]`` (alpha
    always drifts when ``delta_beta < 1``); draws that drift every beta, or none (a static
    grid point), come from :meth:`GridFilter.sample_smoothed` as before. Each subset model
    is filtered (stored moments), sampled and discarded in turn, so memory stays that of
    one model. See :func:`sample_smoothed_span` for a span of periods.
    """
    theta, v, _ = sample_smoothed_span(grid, F, prior, grid_index, vary, seed)
    return theta, v


def sample_smoothed_span(grid: Any, F: np.ndarray, prior: object, grid_index: np.ndarray,
                         vary: np.ndarray | None, seed: int, t_lo: int = 0,
                         t_hi: int | None = None,
                         init: tuple[np.ndarray, np.ndarray] | None = None,
                         ck_every: int = 0) -> tuple[np.ndarray, np.ndarray, Any]:
    """Revised draws of periods ``t_lo .. t_hi`` (default all): theta (S, n, p) and
    variances (S, n), float32, exactly those rows of the full draw.

    ``vary`` None: every beta drifts (no subset mixture). ``t_hi`` below the last period
    resumes each draw from its state at ``t_hi + 1``, ``init = (theta (S, p), phi (S,))``
    (float64, kept by a full pass as checkpoints). ``ck_every > 0`` also returns the
    checkpoints ``(theta (S, T // ck_every + 1, p), phi (S, T // ck_every + 1))``: each
    draw's state after every period ``t`` with ``t % ck_every == 0``; otherwise None. Only
    periods up to ``t_hi`` are filtered for the subset models (the filtered moments up to a
    period do not depend on later data), and their backward coefficients are computed for
    ``t_lo .. t_hi`` only.
    """
    from macroattr.models.statespace.dlm import forward_filter, sound
    from macroattr.models.statespace.threads import run_each

    gi = np.asarray(grid_index, dtype=np.int64).ravel()
    S = len(gi)
    T, p = grid.n_periods, F.shape[1]
    K = p - 1
    vary = (np.ones((S, K), dtype=bool) if vary is None
            else np.asarray(vary, dtype=bool).reshape(S, -1))
    t_end = T - 1
    t_hi = t_end if t_hi is None else int(t_hi)
    t_lo = int(t_lo)
    if t_hi < t_end and init is None:
        raise ValueError("a span ending before the last period needs the states after it")
    n = t_hi - t_lo + 1
    static_g = grid.deltas[gi, 0] == 1.0
    plain = static_g | vary.all(axis=1)
    theta0, phi0 = init if init is not None else (np.empty((1, p)), np.empty(1))
    theta0 = np.ascontiguousarray(theta0, dtype=np.float64)
    phi0 = np.ascontiguousarray(phi0, dtype=np.float64)
    if ck_every > 0:
        ck_theta = np.zeros((S, T // ck_every + 1, p))
        ck_phi = np.ones((S, T // ck_every + 1))
    else:
        ck_theta, ck_phi = np.empty((1, 1, p)), np.empty((1, 1))
    ck = (ck_theta, ck_phi) if ck_every > 0 else None
    if plain.all() and np.all(static_g) and np.all(grid.deltas[gi, 1] == 1.0):
        th, vv = grid.sample_smoothed(gi, seed)  # no time variation: one draw per path
        return th[:, t_lo:t_hi + 1], vv[:, t_lo:t_hi + 1], ck
    theta = np.empty((S, n, p), dtype=np.float32)
    v = np.empty((S, n), dtype=np.float32)
    if plain.any():
        sel = np.flatnonzero(plain)
        gs = gi[sel]
        if np.all(grid.deltas[gs, 0] == 1.0) and np.all(grid.deltas[gs, 1] == 1.0):
            th, vv = grid.sample_smoothed(gs, seed)  # one draw per path (its own streams)
            theta[sel], v[sel] = th[:, t_lo:t_hi + 1], vv[:, t_lo:t_hi + 1]
        else:  # as grid.sample_smoothed(gs, seed), written straight into the rows
            for g in np.unique(gs):
                r = grid.revised_filter(int(g), t_end)
                dstep = r.step_discount if r.step_discount is not None and len(r.interventions()) \
                    else np.empty(0)
                _B.backward_sample_span(r.m, r.L, r.n, r.d, r.delta_beta, r.delta_v, int(seed),
                                        int(g), t_end, t_hi, t_lo, sel[gs == g], theta0, phi0,
                                        int(ck_every), ck_theta, ck_phi, theta, v, dstep)
    codes = vary.astype(np.int64) @ (1 << np.arange(K, dtype=np.int64))
    monitor = getattr(grid, "monitor", None)

    def draw_subset(model: tuple[int, int]) -> None:
        g, code = model
        sel = np.flatnonzero(~plain & (gi == g) & (codes == code))
        db, dv = grid.deltas[g]
        mask = np.r_[True, vary[sel[0]]]
        # without a monitor the filtered moments up to t_hi need the data to t_hi only; a
        # monitored filter's interventions sit at onsets signalled later, so it runs in full
        top = T if monitor is not None else t_hi + 1
        r = forward_filter(grid.y[:top], F[:top], db, dv, prior, store=True, vary=mask,
                           monitor=monitor)
        if len(r.onsets()):  # interventions placed at the breaks' onsets (revised paths)
            fixed = np.zeros(T, dtype=bool)
            fixed[r.onsets()] = True
            r = forward_filter(grid.y, F, db, dv, prior, store=True, vary=mask, monitor=monitor,
                               fixed=fixed)
            if not sound(r):  # numerical breakdown: the subset model's own filter
                r = forward_filter(grid.y, F, db, dv, prior, store=True, vary=mask)
        hi2 = min(len(r.L), t_hi + 2)  # the step from t + 1 to t reads the discount of t + 1
        step = r.step_discount[t_lo:hi2] if len(r.interventions()) else db
        B, Lh = backward_coefficients(r.L[t_lo:hi2], step, mask)
        backward_sample_coef_span(r.m, r.L, B, Lh, t_lo, r.n, r.d, float(dv), int(seed),
                                  _STREAM_BASE + g * (1 << K) + code, t_end, t_hi, t_lo, sel,
                                  theta0, phi0, int(ck_every), ck_theta, ck_phi, theta, v)

    # each subset model writes only its own draws' rows: the same numbers on any number of
    # threads (the kernels release the GIL)
    run_each(draw_subset, sorted({(int(a), int(b)) for a, b in zip(gi[~plain], codes[~plain])}))
    return theta, v, ck
