"""First estimates (real-time, filtered draws) that honour P(varies), with no look-ahead.

The revised paths draw each draw's model — a discount grid point ``g`` and which betas
drift (a subset model, block discounting) — from the posterior behind P(varies)
(:mod:`macroattr.models.statespace.mixture`). The first estimate at period ``t`` draws its
model from the same mixture **as it stood at t**:

* **Models**: every (grid point, subset of drifting betas) pair, fixed a priori: each grid
  point with ``delta_beta < 1`` times the ``2^K`` subsets (alpha always drifts), and each
  static grid point (``delta_beta = 1``) once. The prior is that of P(varies)
  (:func:`~macroattr.models.statespace.dlm.factor_variation`): uniform over grid points,
  each beta static with probability ``static_prob`` independently.
* **Weights at t**: prior times the product of the model's exact one-step-ahead predictive
  densities up to and including ``t`` (the running sum of its log predictive densities:
  the terms whose sum over the span is the marginal likelihood P(varies) is computed
  from), normalised over the models still in the race.
* **Pruning, with data to t only** (Occam's window, Madigan & Raftery 1994): a model whose
  weight at ``t`` falls below :data:`PRUNE_WEIGHT` times the most probable model's leaves
  the race for good from ``t + 1`` (its filter stops). All the models' likelihood filters
  run in one compiled pass (:func:`mixture_pass`), so the cost is that of the models still
  in the window, not of every model over every period.
* **Draws**: the draw ``s`` of a block of periods ending at ``te`` (a day, or a quarter as
  first estimated) takes the model at the quantile ``u_s`` of the weights at ``te`` (the
  same stratified, seeded ``u_s`` as the all-drifting real-time sampler), then is drawn
  from that model's filter (the monitored filter when the fit monitors; its real-time
  interventions): the filtered distribution at ``te`` and the backward sampler inside the
  block, with the random stream of (seed, ``te``, period, draw). A beta the model holds
  static is exactly constant within the block. Only the models some draw picks get a
  moment filter, run to the last period they are picked at.

Nothing drawn at ``te`` depends on data after ``te``: the weights, the pruning, the pick
and the filtered moments at ``te`` all use data to ``te``, and the random numbers depend
on the seed, ``te``, the period and the draw only. At the span's end the weights are the
revised mixture's, except that the race keeps every grid point (P(varies) expands those
holding >= 1% of the final grid weight) and has pruned the models that fell out of
the window at some period.

Fits of more than :data:`~macroattr.models.statespace.dlm.MAX_SUBSET_FACTORS` factors (an
approximate P(varies), no subset mixture) draw every first estimate from the all-drifting
models (:meth:`~macroattr.models.statespace.dlm.GridFilter.sample_filtered`).

Long module: it holds the real-time mixture in one place (the race of likelihood filters,
the picks, the kept moment filters and the compiled draws), whose pieces share one
contract: nothing drawn at a period depends on later data.

Examples
--------
>>> from macroattr.models.statespace.dlm import DLMPrior, grid_filter
>>> rng = np.random.default_rng(0)
>>> T = 400
>>> F = np.column_stack([np.ones(T), rng.normal(size=(T, 2))])
>>> y = np.where(np.arange(T) < 200, 1.0, -1.0) * F[:, 1] + 0.5 * F[:, 2] + rng.normal(size=T)
>>> prior = DLMPrior.conjugate(3)
>>> gf = grid_filter(y, F, [0.98, 1.0], [1.0], prior)
>>> rt = realtime_mixture(gf, F, prior, 0.5, n_draws=200)
>>> pv = rt.p_varies[-1]                    # P(varies) with data to the last period
>>> bool(pv[0] > 0.9 and pv[1] < 0.5)       # the flipping beta drifts, the other does not
True
>>> theta, v = sample_filtered_mixture(gf, F, prior, rt, seed=1)
>>> theta.shape, v.shape
((200, 400, 3), (200, 400))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

from macroattr.models.statespace import backward as _B
from macroattr.models.statespace import kernels as _K

__all__ = ["FILTER_CACHE_BYTES", "FilterCache", "PRUNE_WEIGHT", "RealtimeMixture", "mixture_pass", "realtime_mixture", "sample_filtered_many", "sample_filtered_mixture"]

#: Occam's window: a model leaves the real-time race for good once its weight (data to that
#: period) falls below this fraction of the most probable model's (on the daily panel,
#: P(varies) at the span's end moves by <= 0.01 from 1e-4 to 1e-6, at three times the cost)
PRUNE_WEIGHT = 1e-4


@dataclass
class RealtimeMixture:
    """The real-time weights of the subset models, as the draws use them.

    ``g`` (M,) and ``mask`` (M, K) name each model (grid point; drifting betas, all False
    at a static grid point); ``first`` (T + 1,), ``model`` and ``start`` hold, for each
    period, which model each of the ``n_draws`` stratified quantiles falls in (run-length:
    row ``t``'s entries ``first[t]:first[t + 1]`` give a model and the first quantile it
    takes); ``p_varies`` (T, K) is P(varies) with data to each period and ``pruned_at``
    (M,) the period from which each model is out of the race (T: never).
    """

    g: np.ndarray
    mask: np.ndarray
    first: np.ndarray
    model: np.ndarray
    start: np.ndarray
    p_varies: np.ndarray
    pruned_at: np.ndarray
    n_draws: int

    def picks(self, te: np.ndarray, quantile: np.ndarray) -> np.ndarray:
        """(B, S) model of each draw (quantile index ``quantile[s]``) at each period ``te``."""
        out = np.empty((len(te), len(quantile)), dtype=np.int64)
        _picks(self.first, self.model, self.start, np.asarray(te, dtype=np.int64),
               np.asarray(quantile, dtype=np.int64), out)
        return out


@numba.njit(cache=True)
def _picks(first, model, start, te, quantile, out):  # noqa: ANN001, ANN202
    for b in range(te.shape[0]):
        lo = first[te[b]]
        hi = first[te[b] + 1]
        for s in range(quantile.shape[0]):
            k = quantile[s]
            a, z = lo, hi - 1  # last entry whose start <= k
            while a < z:
                mid = (a + z + 1) // 2
                if start[mid] <= k:
                    a = mid
                else:
                    z = mid - 1
            out[b, s] = model[a]


@numba.njit(cache=True)
def mixture_pass(y, F, delta_beta, delta_v, vary, logprior, m0, C0, n0, d0, log_prune,
                 n_q):  # noqa: ANN001, ANN201
    """The likelihood filters of all models in one pass through time, with pruning.

    Model ``r`` has discounts ``delta_beta[r]``, ``delta_v[r]``, drifting state elements
    ``vary[r]`` (p,) and log prior ``logprior[r]``. At each period every model still in the
    race takes one :func:`~macroattr.models.statespace.kernels.filter_step`; its weight is
    ``prior x exp(running sum of log predictive densities)`` normalised over the race; the
    ``n_q`` stratified quantiles ``(k + 0.5) / n_q`` are assigned to the first model whose
    cumulative weight reaches them; then models whose weight is below ``exp(log_prune)``
    times the largest leave the race.

    Returns ``first, model, start`` (run-length quantile assignment per period, see
    :class:`RealtimeMixture`), ``pv (T, p)`` (the weight of the models drifting each state
    element; P(varies) of beta k is column k + 1) and ``pruned_at (M,)``.
    """
    T, p = F.shape
    M = delta_beta.shape[0]
    known = math.isinf(n0)
    S0 = d0 if known else d0 / n0
    m = np.empty((M, p))
    C = np.empty((M, p, p))
    n = np.full(M, n0)
    d = np.full(M, d0)
    S = np.full(M, S0)
    cum = np.zeros(M)
    for r in range(M):
        for i in range(p):
            m[r, i] = m0[i]
            for j in range(p):
                C[r, i, j] = C0[i, j] * S0
    R = np.empty((p, p))
    RF = np.empty(p)
    alive = np.arange(M)
    n_alive = M
    pruned_at = np.full(M, T, dtype=np.int64)
    lj = np.empty(M)
    first = np.zeros(T + 1, dtype=np.int64)
    cap = max(1024, 4 * T)
    model = np.empty(cap, dtype=np.int64)
    start = np.empty(cap, dtype=np.int64)
    used = 0
    pv = np.zeros((T, p))
    for t in range(T):
        top = -np.inf
        for a in range(n_alive):
            r = alive[a]
            _, _, _, ll, nr, dr, Sr = _K.filter_step(
                y[t], F, t, m[r], C[r], n[r], d[r], S[r], delta_beta[r], delta_v[r], vary[r],
                known, R, RF)
            n[r] = nr
            d[r] = dr
            S[r] = Sr
            cum[r] += ll
            x = logprior[r] + cum[r]
            if not math.isfinite(x):  # a filter that broke down numerically is no evidence
                x = -np.inf
            lj[r] = x
            if x > top:
                top = x
        tot = 0.0
        for a in range(n_alive):
            r = alive[a]
            tot += math.exp(lj[r] - top)
        lse = top + math.log(tot)
        # quantile k goes to the first model whose cumulative weight reaches (k + 0.5) / n_q
        if used + n_alive + 1 > cap:
            cap = 2 * (used + n_alive + 1)
            model2 = np.empty(cap, dtype=np.int64)
            start2 = np.empty(cap, dtype=np.int64)
            model2[:used] = model[:used]
            start2[:used] = start[:used]
            model, start = model2, start2
        cw = 0.0
        k = 0
        last = -1
        for a in range(n_alive):
            r = alive[a]
            w = math.exp(lj[r] - lse)
            if w > 0.0:
                last = r
            cw += w
            for i in range(p):
                if vary[r, i] > 0.0 and delta_beta[r] < 1.0:
                    pv[t, i] += w
            k0 = k
            while k < n_q and (k + 0.5) / n_q <= cw:
                k += 1
            if k > k0:
                model[used] = r
                start[used] = k0
                used += 1
        if k < n_q and not (used > first[t] and model[used - 1] == last):
            model[used] = last  # rounding at the top: the rest go to the last model with weight
            start[used] = k
            used += 1
        first[t + 1] = used
        keep = 0
        for a in range(n_alive):
            r = alive[a]
            if lj[r] - top >= log_prune:
                alive[keep] = r
                keep += 1
            else:
                pruned_at[r] = t + 1
        n_alive = keep
    return first, model[:used].copy(), start[:used].copy(), pv, pruned_at


def _models(grid: Any, K: int, static_prob: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid point (M,), drifting betas (M, K) and log prior (M,) of every model, grid point
    major, subsets in the order of :func:`~macroattr.models.statespace.dlm.subset_masks`."""
    from macroattr.models.statespace.dlm import subset_log_prior, subset_masks

    masks = subset_masks(K)
    lp = subset_log_prior(masks, static_prob)
    g_rows, m_rows, p_rows = [], [], []
    for g in range(len(grid.deltas)):
        if grid.deltas[g, 0] == 1.0:  # nothing drifts, whatever the subset: one model
            g_rows.append(np.array([g]))
            m_rows.append(np.zeros((1, K), dtype=bool))
            p_rows.append(np.zeros(1))
        else:
            g_rows.append(np.full(len(masks), g))
            m_rows.append(masks)
            p_rows.append(lp)
    return (np.concatenate(g_rows).astype(np.int64), np.concatenate(m_rows).reshape(-1, K),
            np.concatenate(p_rows))


def realtime_mixture(grid: Any, F: np.ndarray, prior: Any, static_prob: float,
                     n_draws: int, prune: float = PRUNE_WEIGHT) -> RealtimeMixture:
    """The real-time model weights of ``n_draws`` draws (module docstring): one compiled
    pass of every model's likelihood filter, pruned with data to each period."""
    K = F.shape[1] - 1
    g, mask, lp = _models(grid, K, static_prob)
    vary = np.column_stack([np.ones(len(g)), mask]).astype(np.float64)
    first, model, start, pv, pruned = mixture_pass(
        np.ascontiguousarray(grid.y, dtype=np.float64), np.ascontiguousarray(F, dtype=np.float64),
        np.ascontiguousarray(grid.deltas[g, 0]), np.ascontiguousarray(grid.deltas[g, 1]),
        np.ascontiguousarray(vary), np.ascontiguousarray(lp),
        np.asarray(prior.m0, dtype=np.float64), np.ascontiguousarray(prior.C0, dtype=np.float64),
        float(prior.n0), float(prior.d0), math.log(prune), int(n_draws))
    return RealtimeMixture(g=g, mask=mask, first=first, model=model, start=start,
                           p_varies=pv[:, 1:], pruned_at=pruned, n_draws=int(n_draws))


def _unsound_from(r: Any) -> int:
    """First row at which a filter broke down numerically (len if never): rows before it
    use data before it only, so the check is causal."""
    bad = ~np.isfinite(r.ll) | ~(r.q > 0) | ~(r.d > 0)
    idx = np.flatnonzero(bad)
    return int(idx[0]) if len(idx) else len(r.ll)


#: bytes of subset models' moment filters kept between calls (a fit's quarters are drawn in
#: chunks of periods, and a model picked in several chunks is filtered once)
FILTER_CACHE_BYTES = 256 * 2**20


class FilterCache:
    """Moment filters of subset models kept between calls, least recently used dropped
    first beyond :data:`FILTER_CACHE_BYTES`. A kept filter run to ``top`` serves any pick at
    or before ``top - 1`` whose block's periods it kept (the filtered moments to a period
    use data to that period only)."""

    def __init__(self, limit: int = FILTER_CACHE_BYTES) -> None:
        from collections import OrderedDict

        import threading

        self.limit = int(limit)
        self.items: OrderedDict[int, _Kept] = OrderedDict()
        self.size = 0
        self._lock = threading.Lock()  # the real-time sampler's threads share it

    def get(self, r: int, top: int, rows: np.ndarray) -> _Kept | None:
        with self._lock:
            hit = self.items.get(r)
            if hit is None or hit[0] < top or not bool(np.all(hit[4][rows] >= 0)):
                return None
            self.items.move_to_end(r)
            return hit

    def put(self, r: int, value: _Kept) -> None:
        with self._lock:
            if r in self.items:
                self.size -= _nbytes(self.items.pop(r))
            self.items[r] = value
            self.size += _nbytes(value)
            while self.size > self.limit and len(self.items) > 1:
                self.size -= _nbytes(self.items.popitem(last=False)[1])


#: a kept moment filter: (periods run, monitored result, first unsound period, plain result
#: or None, slot (periods run,): the row of each period's kept moments, -1 if not kept)
_Kept = tuple[int, Any, int, Any, np.ndarray]


def _nbytes(value: _Kept) -> int:
    return sum(x.m.nbytes + x.L.nbytes + x.n.nbytes + x.d.nbytes
               for x in (value[1], value[3]) if x is not None)


def _block_rows(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The periods of the blocks ``starts``/``ends`` (sorted, each once)."""
    lengths = ends - starts
    offs = np.repeat(starts - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
    rows = offs + np.arange(int(lengths.sum()))
    return rows if bool(np.all(rows[1:] > rows[:-1])) else np.unique(rows)


_FULL = np.empty(0, dtype=np.int64)  # slot of a filter that kept every period


def _moment_filter(grid: Any, F: np.ndarray, prior: Any, r: int, g: int, mask: np.ndarray,
                   top: int, te: np.ndarray, rows: np.ndarray, cache: FilterCache | None = None
                   ) -> list[tuple[Any, np.ndarray, np.ndarray]]:
    """The filter(s) model ``r``'s picks at ``te`` draw from: its moment filter to ``top``
    keeping the moments of periods ``rows`` (those of the blocks it is picked in) only
    (the grid's own result, every period kept, for the all-drifting and static models),
    with picks at or after a numerical breakdown of the monitored filter taken from the
    model's plain filter. Returns ``(result, slot, which picks)`` triples (``slot``: the
    row of each period's moments, empty when every period is kept)."""
    from macroattr.models.statespace.dlm import forward_filter

    db, dv = grid.deltas[g]
    if db == 1.0 or mask.all():
        return [(grid.filtered(g), _FULL, np.ones(len(te), dtype=bool))]
    vary = np.r_[True, mask]
    monitor = getattr(grid, "monitor", None)
    hit = cache.get(r, top, rows) if cache is not None else None
    if hit is None:
        res = forward_filter(grid.y[:top], F[:top], db, dv, prior, store=True, vary=vary,
                             monitor=monitor, checked=True, rows=rows)
        slot = np.full(top, -1, dtype=np.int64)
        slot[rows] = np.arange(len(rows))
        hit = (top, res, _unsound_from(res) if monitor is not None else top, None, slot)
    n_top, res, bad, plain, slot = hit
    ok = te < bad
    out = [(res, slot, ok)]
    if not ok.all():
        if plain is None:
            plain = forward_filter(grid.y[:n_top], F[:n_top], db, dv, prior, store=True,
                                   vary=vary, checked=True, rows=np.flatnonzero(slot >= 0))
            hit = (n_top, res, bad, plain, slot)
        out.append((plain, slot, ~ok))
    if cache is not None:
        cache.put(r, hit)
    return out


def sample_filtered_mixture(grid: Any, F: np.ndarray, prior: Any, rt: RealtimeMixture,
                            seed: int, t0: int = 0, t1: int | None = None,
                            blocks: tuple[np.ndarray, np.ndarray] | None = None,
                            cache: FilterCache | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Real-time draws (S, t1 - t0, p) and variances (S, t1 - t0), float32, from the subset
    mixture as it stood at each block's end (module docstring); ``blocks`` (starts, ends)
    as in :meth:`~macroattr.models.statespace.dlm.GridFilter.sample_filtered` (default one
    block per period). Any span reproduces on its own. ``cache``: moment filters kept
    between calls (the numbers are the same with or without it)."""
    return sample_filtered_many(grid, F, prior, rt, seed, [(t0, t1, blocks)], cache)[0]


#: one span of real-time draws: (t0, t1, blocks or None), as :func:`sample_filtered_mixture`
Request = tuple[int, int | None, tuple[np.ndarray, np.ndarray] | None]


def sample_filtered_many(grid: Any, F: np.ndarray, prior: Any, rt: RealtimeMixture, seed: int,
                         requests: list[Request], cache: FilterCache | None = None
                         ) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`sample_filtered_mixture` of several spans at once: the same draws, bit for bit,
    as each span drawn alone, with each subset model's moment filter run once for all of
    them (to the last period any span picks it at, keeping the periods of every block it is
    picked in) rather than once per span: a fit's quarters as first estimated and the
    page's event windows pick largely the same models."""
    from macroattr.models.statespace.dlm import block_bounds
    from macroattr.models.statespace.threads import run_each

    S, p = rt.n_draws, F.shape[1]
    quantile = np.random.default_rng([int(seed), 7]).permutation(S)  # u_s = (q_s + 0.5) / S
    spans, outs, flats, offs = [], [], [], [0]
    for t0, t1, blocks in requests:
        t1 = grid.n_periods if t1 is None else int(t1)
        starts, ends = block_bounds(int(t0), t1, blocks)
        spans.append((int(t0), starts, ends))
        outs.append((np.empty((S, t1 - int(t0), p), dtype=np.float32),
                     np.empty((S, t1 - int(t0)), dtype=np.float32)))
        flats.append(rt.picks(ends - 1, quantile).ravel())
        offs.append(offs[-1] + flats[-1].size)
    flat = np.concatenate(flats)
    order = np.argsort(flat, kind="stable")  # by model, then span, block and draw
    cuts = np.flatnonzero(np.diff(flat[order])) + 1
    offs_a = np.asarray(offs)

    def draw_model(grp: np.ndarray) -> None:
        r = int(flat[grp[0]])
        g, mask = int(rt.g[r]), rt.mask[r]
        db, dv = grid.deltas[g]
        subset = bool(db < 1.0 and not mask.all())
        vmask = np.r_[1.0, mask.astype(np.float64)]
        which = np.searchsorted(offs_a, grp, side="right") - 1  # the span of each pick
        parts, te_all, rows_all = [], [], []
        for q in np.unique(which):
            pb, ps = np.divmod(grp[which == q] - offs[q], S)
            _, starts, ends = spans[q]
            ub = pb[np.r_[True, pb[1:] != pb[:-1]]]  # pairs are ordered by block
            parts.append((int(q), pb, ps))
            te_all.append(ends[pb] - 1)
            rows_all.append(_block_rows(starts[ub], ends[ub]))
        te = np.concatenate(te_all)
        rows = rows_all[0] if len(rows_all) == 1 else np.unique(np.concatenate(rows_all))
        at = np.cumsum([0, *(len(x) for x in te_all)])
        for res, slot, sel in _moment_filter(grid, F, prior, r, g, mask, int(te.max()) + 1, te,
                                             rows, cache):
            intervened = res.step_discount is not None and len(res.interventions())
            steps = res.step_discount if intervened else np.empty(0)
            for (q, pb, ps), lo, hi in zip(parts, at[:-1], at[1:], strict=True):
                k = sel[lo:hi]
                if not k.any():
                    continue
                t0, starts, ends = spans[q]
                theta, v = outs[q]
                filtered_pairs(res.m, res.L, res.n, res.d, slot, float(db), float(dv), steps,
                               vmask, subset, int(seed), starts, ends, t0,
                               pb[k].astype(np.int64), ps[k].astype(np.int64), theta, v)

    # each (span, block, draw) is drawn by exactly one model, so the models write disjoint
    # cells: the same numbers on any number of threads (the kernels release the GIL)
    run_each(draw_model, np.split(order, cuts))
    return outs


@numba.njit(cache=True)
def _coefficients(L, t, delta_next, vmask, idx, C, R, Lr, X, H, Lv, B, Lh):  # noqa: ANN001, ANN202
    """Backward-step coefficients of a block-discounted model for the step from ``t + 1``
    to ``t`` (``L[t]``: the filtered Cholesky factor at ``t``; as :func:`macroattr.models.statespace.mixture.backward_coefficients`):
    ``B = C* R*^-1`` (``R*`` the next step's prior covariance, the drifting block
    ``idx`` over ``delta_next``) with unit rows for static elements, and a square root
    ``Lh`` of ``H* = C* - B C*`` on the drifting block (zero elsewhere), written into
    ``B``, ``Lh``: their drifting rows and lower drifting block only (the static unit
    rows of ``B`` and the zeros of ``Lh`` are set once by the caller, :func:`_unit_rows`);
    ``H``, ``Lv`` are (nv, nv) scratch, the other arrays (p, p)."""
    p = C.shape[0]
    nv = idx.shape[0]
    for i in range(p):
        for j in range(i + 1):
            acc = 0.0
            for k in range(j + 1):
                acc += L[t, i, k] * L[t, j, k]
            C[i, j] = acc
            C[j, i] = acc
            x = acc / delta_next if vmask[i] * vmask[j] > 0.0 else acc
            R[i, j] = x
            R[j, i] = x
    _K._chol(R, Lr)
    # column a of X = R^-1 C[:, idx[a]] (R = Lr Lr'): row idx[a] of B = C R^-1. The loops run
    # over independent sums innermost (the columns' substitutions row by row; H's entries
    # for each k): every value is the same sum in the same order as one at a time
    for i in range(p):
        for a in range(nv):
            acc = C[i, idx[a]]
            for k in range(i):
                acc -= Lr[i, k] * X[k, a]
            X[i, a] = acc / Lr[i, i]
    for i in range(p - 1, -1, -1):
        for a in range(nv):
            acc = X[i, a]
            for k in range(i + 1, p):
                acc -= Lr[k, i] * X[k, a]
            X[i, a] = acc / Lr[i, i]
    for a in range(nv):
        for j in range(p):
            B[idx[a], j] = X[j, a]
    # G[a, b] = C[i, j] - sum_k B[i, k] C[k, j] (i, j = idx[a], idx[b]); H* = (G + G') / 2
    for a in range(nv):
        for b in range(nv):
            H[a, b] = C[idx[a], idx[b]]
    for k in range(p):
        for a in range(nv):
            bk = X[k, a]
            for b in range(nv):
                H[a, b] -= bk * C[k, idx[b]]
    tr = 0.0
    for a in range(nv):
        for b in range(a):
            x = 0.5 * (H[a, b] + H[b, a])
            H[a, b] = x
            H[b, a] = x
        H[a, a] = 0.5 * (H[a, a] + H[a, a])
        tr += H[a, a]
    jit = 1e-12 * max(tr, 1e-300)
    for a in range(nv):
        H[a, a] += jit
    _K._chol(H, Lv)
    for a in range(nv):
        for b in range(a + 1):
            Lh[idx[a], idx[b]] = Lv[a, b]


@numba.njit(cache=True)
def _unit_rows(width, vmask):  # noqa: ANN001, ANN202
    """(width, p, p) backward coefficients ``B`` before :func:`_coefficients` fills the
    drifting rows: unit rows for the static elements, zero elsewhere."""
    p = vmask.shape[0]
    B = np.zeros((width, p, p))
    for w in range(width):
        for i in range(p):
            if vmask[i] == 0.0:
                B[w, i, i] = 1.0
    return B


@numba.njit(cache=True, nogil=True)
def filtered_pairs(m, L, n, d, slot, delta_beta, delta_v, dstep, vmask, subset, seed, starts,
                   ends, t0, pair_b, pair_s, theta_out, v_out):  # noqa: ANN001, ANN201
    """Draw block ``pair_b[k]`` for draw ``pair_s[k]`` (pairs ordered by block) from one
    model's filter: the filtered distribution at the block's last period, then the backward
    sampler down to its first period (:func:`macroattr.models.statespace.backward.backward_span`,
    the draws of a block together, random stream ``(seed, 1000003 + te, t, draw)``) — the
    closed form ``B = delta I`` (per-step ``dstep`` when given) of an all-drifting or static
    model, or, for a ``subset`` model (drifting elements ``vmask``), coefficients computed
    once per block (:func:`_coefficients`). ``m``, ``L`` of period ``t`` are at row
    ``slot[t]`` (``slot`` empty: row ``t``); rows of ``theta_out``/``v_out`` are draws,
    columns periods from ``t0``."""
    p = m.shape[1]
    varying = dstep.shape[0] > 0
    width = 1
    for k in range(pair_b.shape[0]):
        width = max(width, ends[pair_b[k]] - starts[pair_b[k]])
    Bs = _unit_rows(width, vmask) if subset else np.empty((0, p, p))
    Lhs = np.zeros((width, p, p)) if subset else np.empty((0, p, p))
    C = np.empty((p, p))
    R = np.empty((p, p))
    Lr = np.zeros((p, p))
    X = np.empty((p, p))
    idx = np.flatnonzero(vmask > 0.0)
    H = np.empty((idx.shape[0], idx.shape[0]))
    Lv = np.zeros((idx.shape[0], idx.shape[0]))
    none = np.empty((1, p))
    k = 0
    while k < pair_b.shape[0]:
        b = pair_b[k]
        k2 = k + 1
        while k2 < pair_b.shape[0] and pair_b[k2] == b:
            k2 += 1
        te = ends[b] - 1
        lo = starts[b]
        if subset:
            for t in range(lo, te):
                dn = dstep[t + 1] if varying else delta_beta
                kt = slot[t] if slot.shape[0] else t
                _coefficients(L, kt, dn, vmask, idx, C, R, Lr, X, H, Lv, Bs[t - lo], Lhs[t - lo])
        _B.backward_span(m, L, n, d, delta_beta, delta_v, seed, 1000003 + te, te, te, lo,
                         pair_s[k:k2], none, none[0], 0, np.empty((1, 1, p)), none, theta_out,
                         v_out, dstep, Bs, Lhs, lo, True, t0, slot)
        k = k2
