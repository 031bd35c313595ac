"""The exact state-space engine: a conjugate dynamic linear model (West & Harrison).

Model, on standardised data (``y`` the target, ``F_t = [1, z_t]`` the intercept and factors)::

    y_t     = F_t' theta_t + e_t,           e_t ~ Normal(0, v_t)
    theta_t = theta_{t-1} + w_t,            w_t ~ Normal(0, W_t),  W_t = C_{t-1} (1 - delta_beta) / delta_beta
    1 / v_t = (1 / v_{t-1}) * gamma_t / delta_v,  gamma_t ~ Beta(delta_v n_{t-1} / 2, (1 - delta_v) n_{t-1} / 2)

with the normal / inverse-gamma prior ``theta_0 | v ~ Normal(m0, v C0*)``,
``1/v ~ Gamma(n0 / 2, d0 / 2)``. ``delta_beta = 1`` freezes alpha and the betas (the static
regression), ``delta_v = 1`` freezes the volatility; ``delta_beta = delta_v = 1`` is exactly
the conjugate static model of :mod:`macroattr.models.estimation.exact`.

Everything is closed form given the discounts: the forward filter gives the filtered
moments and the one-step-ahead Student-t predictive densities, whose product is the
marginal likelihood of the discounts. The discounts are averaged over a grid weighted by
that marginal likelihood (uniform prior over the grid); draws are allocated across grid
points by weight and the paths drawn by the backward sampler (FFBS). Real-time (filtered)
quantities weigh the grid with data to each period only, so nothing filtered at ``t``
depends on data after ``t``.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> T = 300
>>> F = np.column_stack([np.ones(T), rng.normal(size=T)])
>>> beta = np.where(np.arange(T) < 150, 1.0, -1.0)            # a sign flip half way
>>> y = beta * F[:, 1] + 0.5 * rng.normal(size=T)
>>> gf = grid_filter(y, F, [0.9, 0.98, 1.0], [1.0], DLMPrior.conjugate(2))
>>> float(gf.weights[2]) < 1e-6                                # the static model is rejected
True
>>> theta, v = gf.sample_smoothed(gf.allocate(400, seed=1), seed=1)
>>> bool(theta[:, 100, 1].mean() > 0.8 and theta[:, 250, 1].mean() < -0.8)
True

Long module: it holds the conjugate dynamic linear model in one place (prior, forward
filter, the grid filter over discounts and its samplers), whose pieces share one set of
recursions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from macroattr.core.errors import InputError

__all__ = ["DLMPrior", "FilterResult", "GridFilter", "check_discounts", "check_inputs",
           "factor_variation", "factor_variation_one_at_a_time", "forward_filter", "grid_filter",
           "subset_log_prior", "subset_masks",
           "KEEP_MOMENTS_BYTES", "MAX_SUBSET_FACTORS", "P_VARIES_APPROX"]

#: a grid keeps every grid point's filtered moments (``m``, ``L``) while they take at most
#: this many bytes (6,335 days x 6 factors x 42 grid points: 104 MB); above it (long daily
#: panels, many factors) they are recomputed per grid point when a sampler reads them, one
#: grid point at a time (the filter is deterministic: the same moments bit for bit)
KEEP_MOMENTS_BYTES = 256 * 2**20
_NO_ROWS = np.empty(0, dtype=np.int64)  # keep m and L at no period (n and d at every one)

#: per-factor P(varies) reruns the filter for every subset of static factors (2^K of them)
#: up to this many factors; above it :func:`factor_variation_one_at_a_time` (K filters)
MAX_SUBSET_FACTORS = 8
#: how P(varies) is computed above :data:`MAX_SUBSET_FACTORS` factors (said on the page)
P_VARIES_APPROX = ("approximate: with more than {limit} factors each factor is held static alone "
                   "against the all-drifting model (one filter per factor; factors taken as "
                   "independent), not every subset")


@dataclass(frozen=True)
class DLMPrior:
    """Normal / inverse-gamma prior of the initial state and the observation variance.

    ``C0`` is in units of the observation variance (``theta_0 | v ~ N(m0, v C0)``);
    ``1/v ~ Gamma(n0/2, rate d0/2)`` (prior point estimate ``S0 = d0 / n0``).
    """

    m0: np.ndarray
    C0: np.ndarray
    n0: float
    d0: float

    @classmethod
    def conjugate(cls, p: int, alpha_sd: float = 1.0, beta_sd: float = 0.5,
                  sigma2_shape: float = 2.0, sigma2_scale: float = 1.0) -> DLMPrior:
        """The prior of :mod:`macroattr.models.estimation.exact` (``[priors]`` alpha_sd, beta_sd,
        sigma2_shape, sigma2_scale) for a state of ``p`` (intercept + factors).

        Examples
        --------
        >>> DLMPrior.conjugate(3).C0.diagonal().tolist(), DLMPrior.conjugate(3).n0
        ([1.0, 0.25, 0.25], 4.0)
        """
        C0 = np.diag([alpha_sd**2] + [beta_sd**2] * (p - 1)).astype(np.float64)
        return cls(m0=np.zeros(p), C0=C0, n0=2.0 * sigma2_shape, d0=2.0 * sigma2_scale)

    @classmethod
    def known_variance(cls, m0: np.ndarray, C0: np.ndarray, variance: float) -> DLMPrior:
        """A known, constant observation variance (``n0 = inf``): the Gaussian Kalman filter,
        ``theta_0 ~ N(m0, variance * C0)`` (the oracle case of the tests).

        Examples
        --------
        >>> DLMPrior.known_variance(np.zeros(2), np.eye(2), 0.5).n0
        inf
        """
        return cls(m0=np.asarray(m0, dtype=np.float64), C0=np.asarray(C0, dtype=np.float64),
                   n0=float("inf"), d0=float(variance))


@dataclass
class FilterResult:
    """One forward filter pass (one pair of discounts), standardised units.

    ``f, q, df`` are the one-step-ahead Student-t predictive location, squared scale and
    degrees of freedom of each period, ``ll`` its log density at the observation (the
    LPDS terms) and ``log_ml`` their sum. With ``store``, ``m (T, p)``, ``L (T, p, p)``
    (Cholesky factor of the filtered C*_t), ``n`` and ``d`` are the filtered moments after
    each period.
    """

    delta_beta: float
    delta_v: float
    f: np.ndarray
    q: np.ndarray
    df: np.ndarray
    ll: np.ndarray
    log_ml: float
    m: np.ndarray | None = None
    L: np.ndarray | None = None
    n: np.ndarray | None = None
    d: np.ndarray | None = None
    #: monitored filters: the discount applied to the drifting block at each step (below
    #: ``delta_beta`` at an automatic intervention); None without monitoring
    step_discount: np.ndarray | None = None
    #: monitored filters: at each intervention row, the onset of the run of failing
    #: forecasts behind it (-1 elsewhere)
    onset: np.ndarray | None = None

    def interventions(self) -> np.ndarray:
        """Rows at which an automatic intervention inflated the state's uncertainty (the
        real-time filter's; empty without monitoring)."""
        if self.step_discount is None:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(self.step_discount < self.delta_beta)

    def onsets(self, detected_by: int | None = None) -> np.ndarray:
        """Rows where the breaks behind the interventions began (where the revised paths
        place the interventions); ``detected_by``: only breaks signalled with data to that
        row."""
        if self.onset is None:
            return np.zeros(0, dtype=np.int64)
        o = self.onset if detected_by is None else self.onset[: int(detected_by) + 2]
        return np.unique(o[o >= 0]).astype(np.int64)


def check_discounts(values: Sequence[float], name: str) -> np.ndarray:
    """Validate a list of discount factors: each in (0, 1], at least one.

    Examples
    --------
    >>> check_discounts([0.99, 1.0], "beta_discounts").tolist()
    [0.99, 1.0]
    >>> check_discounts([1.2], "beta_discounts")
    Traceback (most recent call last):
    ...
    macroattr.core.errors.InputError: [state_space] beta_discounts: 1.2 is outside (0, 1]; a discount factor is 1 (no change) or a bit below 1 (e.g. 0.99)
    """
    arr = np.asarray(list(values), dtype=np.float64).ravel()
    if arr.size == 0:
        raise InputError(f"[state_space] {name}: give at least one discount factor in (0, 1]")
    for v in arr:
        if not (0.0 < v <= 1.0):
            raise InputError(f"[state_space] {name}: {v:g} is outside (0, 1]; a discount factor "
                             "is 1 (no change) or a bit below 1 (e.g. 0.99)")
    return arr


def check_inputs(y: np.ndarray, F: np.ndarray, names: Sequence[str] | None = None,
                 where: str = "state-space data") -> tuple[np.ndarray, np.ndarray]:
    """Check the target and the regressors (intercept first) for the filter.

    Raises a one-line :class:`InputError` for NaN or infinite values, a regressor other than
    the intercept that is constant, or fewer periods than the state has elements.
    """
    y = np.ascontiguousarray(y, dtype=np.float64)
    F = np.ascontiguousarray(F, dtype=np.float64)
    if F.ndim != 2 or y.ndim != 1 or F.shape[0] != y.shape[0]:
        raise InputError(f"{where}: y has shape {y.shape} and F {F.shape}; need (T,) and (T, p)")
    T, p = F.shape
    cols = list(names) if names is not None else [f"column {i}" for i in range(p)]
    if T <= p:
        raise InputError(f"{where}: {T} periods but the state has {p} elements (alpha and "
                         f"{p - 1} betas); widen the span to more than {p} periods or drop factors")
    if not np.isfinite(y).all():
        i = int(np.flatnonzero(~np.isfinite(y))[0])
        raise InputError(f"{where}: the target is NaN or infinite at period {i}; fill or drop it")
    bad = ~np.isfinite(F)
    if bad.any():
        i, k = np.argwhere(bad)[0]
        raise InputError(f"{where}: {cols[k]} is NaN or infinite at period {i}; fill or drop it")
    for k in range(1, p):
        if np.ptp(F[:, k]) == 0.0:
            raise InputError(f"{where}: factor {cols[k]} is constant over the span; drop it")
    return y, F


def forward_filter(y: np.ndarray, F: np.ndarray, delta_beta: float, delta_v: float,
                   prior: DLMPrior, store: bool = True, vary: np.ndarray | None = None,
                   moments_out: tuple[np.ndarray, ...] | None = None,
                   monitor: object | None = None, fixed: np.ndarray | None = None,
                   checked: bool = False, rows: np.ndarray | None = None) -> FilterResult:
    """Forward filter for one pair of discounts (see the module docstring).

    ``vary`` (p,) bool: which state elements drift (default all); the others are held
    static by block discounting (the marginal likelihood of "which betas vary"; the
    revised paths draw from that mixture, :mod:`macroattr.models.statespace.mixture`). ``moments_out``: arrays ``(m, L, n, d)`` to
    write the filtered moments into (slices of a grid's stacked arrays). ``monitor``: a
    :class:`macroattr.models.statespace.monitor.Monitor` for forecast monitoring with
    automatic intervention (``step_discount`` and ``onset`` of the result; a static
    ``delta_beta = 1`` is never monitored); with ``fixed`` ((T,) bool) the interventions are
    at those rows instead (no monitoring: the revised paths' filter). ``checked``: the
    inputs were checked already (a prefix of a grid's data, whose early stretch may hold a
    factor still constant). ``rows`` (sorted periods): with ``store``, ``m`` and ``L``
    are kept at those periods only, in that order (``n`` and ``d`` at every period): the
    real-time sampler's moment filters, which read a few blocks of periods.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> F = np.column_stack([np.ones(50), rng.normal(size=50)])
    >>> y = 0.5 * F[:, 1] + rng.normal(size=50)
    >>> r = forward_filter(y, F, 1.0, 1.0, DLMPrior.conjugate(2))
    >>> bool(np.isclose(r.log_ml, r.ll.sum())), r.m.shape
    (True, (50, 2))
    """
    from macroattr.models.statespace import kernels as K

    check_discounts([delta_beta], "beta_discounts")
    check_discounts([delta_v], "variance_discounts")
    if checked:
        y, F = np.ascontiguousarray(y, dtype=np.float64), np.ascontiguousarray(F, dtype=np.float64)
    else:
        y, F = check_inputs(y, F)
    T, p = F.shape
    out = {k: np.empty(T) for k in ("f", "q", "df", "ll")}
    if store and moments_out is not None:
        m, L, n, d = moments_out
    elif store:
        nk = T if rows is None else len(rows)
        m, L, n, d = np.empty((nk, p)), np.empty((nk, p, p)), np.empty(T), np.empty(T)
    else:
        m, L, n, d = np.empty((0, p)), np.empty((0, p, p)), np.empty(0), np.empty(0)
    vmask = np.ones(p) if vary is None else np.asarray(vary, dtype=np.float64)
    slot = np.empty(0, dtype=np.int64)
    if store and rows is not None:
        slot = np.full(T, -1, dtype=np.int64)
        slot[np.asarray(rows, dtype=np.int64)] = np.arange(len(rows))
    step = onset = None
    if monitor is not None and delta_beta < 1.0:
        from macroattr.models.statespace.monitor import forward_filter_monitored

        step, onset = np.empty(T), np.empty(T, dtype=np.int64)
        fx = np.zeros(0, dtype=np.bool_) if fixed is None else np.asarray(fixed, dtype=np.bool_)
        log_ml = forward_filter_monitored(
            y, F, float(delta_beta), float(delta_v), vmask, np.asarray(prior.m0, dtype=np.float64),
            np.ascontiguousarray(prior.C0, dtype=np.float64), float(prior.n0), float(prior.d0),
            monitor.log_tau, float(monitor.delta_int), store,
            m, L, n, d, out["f"], out["q"], out["df"], out["ll"], step, onset, fx, slot)
    else:
        log_ml = K.forward_filter(y, F, float(delta_beta), float(delta_v), vmask,
                                  np.asarray(prior.m0, dtype=np.float64),
                                  np.ascontiguousarray(prior.C0, dtype=np.float64),
                                  float(prior.n0), float(prior.d0), store,
                                  m, L, n, d, out["f"], out["q"], out["df"], out["ll"], slot)
    return FilterResult(float(delta_beta), float(delta_v), out["f"], out["q"], out["df"],
                        out["ll"], float(log_ml), *((m, L, n, d) if store else (None,) * 4),
                        step_discount=step, onset=onset)


def block_bounds(t0: int, t1: int, blocks: tuple[np.ndarray, np.ndarray] | None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the real-time samplers' blocks (int64, contiguous): ``blocks``, or
    one block per period ``t0 .. t1 - 1``."""
    if blocks is None:
        starts = np.arange(t0, t1, dtype=np.int64)
        return starts, starts + 1
    return tuple(np.ascontiguousarray(x, dtype=np.int64) for x in blocks)  # type: ignore[return-value]


def sound(r: FilterResult) -> bool:
    """Whether a filter pass stayed numerically sound (finite densities, positive predictive
    variances and sums of squares); an intervened filter that did not is replaced by the
    discount model's own filter."""
    ok = bool(np.isfinite(r.ll).all() and np.all(r.q > 0))
    return ok and (r.d is None or bool(np.all(r.d > 0)))


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    mx = np.max(a, axis=axis, keepdims=True)
    return (mx + np.log(np.sum(np.exp(a - mx), axis=axis, keepdims=True))).squeeze(axis)


@dataclass
class GridFilter:
    """The filter run at every point of a grid of discounts, with the model average.

    ``deltas`` is (G, 2): ``delta_beta, delta_v`` per grid point; ``results`` their
    :class:`FilterResult`; ``log_ml`` (G,) the log marginal likelihoods and ``weights``
    (G,) the posterior probability of each grid point given all the data (uniform prior).
    """

    deltas: np.ndarray
    results: list[FilterResult]
    y: np.ndarray = field(repr=False)
    _stack: dict[str, np.ndarray] | None = field(default=None, repr=False)
    _cumw: np.ndarray | None = field(default=None, repr=False)
    #: discount pairs left out because their filter broke down numerically (see :func:`grid_filter`)
    failed: list[tuple[float, float]] = field(default_factory=list)
    #: the forecast monitor the filters ran with (None: no automatic intervention), and the
    #: regressors and prior the revised paths' filter (interventions at the onsets) needs
    monitor: object | None = None
    F: np.ndarray | None = field(default=None, repr=False)
    prior: DLMPrior | None = field(default=None, repr=False)
    _retro: dict[tuple[int, int], FilterResult] = field(default_factory=dict, repr=False)
    #: grid points whose monitored filter broke down, so their moments are the discount
    #: model's own filter's (a lean grid recomputes them so)
    plain: np.ndarray | None = field(default=None, repr=False)

    @property
    def keeps_moments(self) -> bool:
        """Whether every grid point's filtered moments are held (else :meth:`filtered`
        recomputes them per grid point: a lean grid, see :data:`KEEP_MOMENTS_BYTES`)."""
        r = self.results[0]
        return r.m is not None and len(r.m) == self.n_periods

    def filtered(self, g: int, rows: np.ndarray | None = None) -> FilterResult:
        """Grid point ``g``'s filter with its filtered moments: ``m`` and ``L`` at every
        period, or at ``rows`` only (in that order); ``n`` and ``d`` at every period.

        The held result (sliced at ``rows``) or, on a lean grid, the filter rerun for this
        grid point alone and not kept: the same moments bit for bit."""
        r = self.results[g]
        if self.keeps_moments:
            if rows is None:
                return r
            rows = np.asarray(rows, dtype=np.int64)
            return replace(r, m=r.m[rows], L=r.L[rows])
        if self.F is None or self.prior is None:
            raise ValueError("a lean grid needs its regressors and prior to recompute moments")
        monitor = None if self.plain is not None and self.plain[g] else self.monitor
        rr = forward_filter(self.y, self.F, r.delta_beta, r.delta_v, self.prior, store=True,
                            monitor=monitor, checked=True,
                            rows=None if rows is None else np.asarray(rows, dtype=np.int64))
        return replace(r, m=rr.m, L=rr.L, n=rr.n, d=rr.d)

    def revised_filter(self, g: int, t_end: int | None = None) -> FilterResult:
        """The filter the revised (smoothed) paths of grid point ``g`` are drawn from: its
        own filter, or, when its monitor intervened, the filter rerun with the interventions
        at the breaks' onsets (those signalled with data to ``t_end``), cached."""
        r = self.results[g]
        T = self.n_periods
        te = T - 1 if t_end is None else int(t_end)
        on = r.onsets(detected_by=te)
        if not len(on):
            return self.filtered(g)
        key = (int(g), te if te < T - 1 else -1)
        if key in self._retro:
            return self._retro[key]
        fixed = np.zeros(T, dtype=bool)
        fixed[on] = True
        rr = forward_filter(self.y, self.F, r.delta_beta, r.delta_v, self.prior,
                            store=True, monitor=self.monitor, fixed=fixed)
        if not sound(rr):  # numerical breakdown: the discount model's own filter
            rr = forward_filter(self.y, self.F, r.delta_beta, r.delta_v, self.prior, store=True)
        if self.keeps_moments:  # a lean grid holds no grid point's moments, these included
            self._retro[key] = rr
        return rr

    def interventions(self, revised: bool = True) -> dict[int, np.ndarray]:
        """Intervention rows of each grid point that has any: where the revised paths place
        them (the breaks' onsets) or, with ``revised=False``, where the real-time filter made
        them."""
        out = {}
        for g, r in enumerate(self.results):
            rows = r.onsets() if revised else r.interventions()
            if len(rows):
                out[g] = rows
        return out

    @property
    def log_ml(self) -> np.ndarray:
        return np.array([r.log_ml for r in self.results])

    @property
    def weights(self) -> np.ndarray:
        lm = self.log_ml
        w = np.exp(lm - lm.max())
        return w / w.sum()

    @property
    def n_periods(self) -> int:
        return len(self.y)

    def _lls(self) -> np.ndarray:
        return np.column_stack([r.ll for r in self.results])  # (T, G)

    def realtime_weights(self) -> np.ndarray:
        """(T, G) posterior grid weights with data up to and including each period."""
        cum = np.cumsum(self._lls(), axis=0)
        w = np.exp(cum - cum.max(axis=1, keepdims=True))
        return w / w.sum(axis=1, keepdims=True)

    def predictive_weights(self) -> np.ndarray:
        """(T, G) grid weights with data before each period (uniform at the first)."""
        G = len(self.results)
        rt = self.realtime_weights()
        return np.vstack([np.full((1, G), 1.0 / G), rt[:-1]])

    def one_step_ahead(self) -> dict[str, np.ndarray]:
        """Model-averaged one-step-ahead predictive of each period (standardised units).

        ``log_score`` is the log density of the grid mixture of Student-t predictives at
        the observation (the LPDS terms) and ``pit`` its CDF there; ``mean`` is the mixture
        mean, ``scale`` and ``df`` the weight-averaged Student-t scale and degrees of freedom
        (a summary: the mixture is not itself a Student-t).
        """
        from scipy.special import stdtr

        w = self.predictive_weights()
        f = np.column_stack([r.f for r in self.results])
        q = np.column_stack([r.q for r in self.results])
        df = np.column_stack([r.df for r in self.results])
        ll = self._lls()
        with np.errstate(divide="ignore"):
            logw = np.log(w)
        log_score = _logsumexp(logw + ll, axis=1)
        pit = np.sum(w * stdtr(df, (self.y[:, None] - f) / np.sqrt(q)), axis=1)
        return {"mean": np.sum(w * f, axis=1), "scale": np.sqrt(np.sum(w * q, axis=1)),
                "df": np.sum(w * df, axis=1), "log_score": log_score, "pit": pit}

    def allocate(self, n_draws: int, seed: int, weights: np.ndarray | None = None) -> np.ndarray:
        """Grid point of each of ``n_draws`` draws: counts proportional to ``weights``
        (default: :attr:`weights`) by largest remainder, in a seeded random order."""
        w = self.weights if weights is None else np.asarray(weights, dtype=np.float64)
        raw = w * n_draws
        counts = np.floor(raw).astype(np.int64)
        short = n_draws - int(counts.sum())
        if short > 0:
            counts[np.argsort(-(raw - counts), kind="stable")[:short]] += 1
        idx = np.repeat(np.arange(len(w)), counts)
        return np.random.default_rng(seed).permutation(idx)

    def sample_smoothed(self, grid_index: np.ndarray, seed: int,
                        t_end: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """FFBS draws of the states (S, t_end + 1, p) and variances (S, t_end + 1), float32.

        Draw ``s`` uses grid point ``grid_index[s]``. ``t_end`` (default: the last period)
        smooths with data to ``t_end`` only: the filtered moments up to ``t_end`` do not
        depend on later data, so this is the path as it was estimated then.
        """
        from macroattr.models.statespace import backward as KB

        T = self.n_periods if t_end is None else int(t_end) + 1
        p = len(self.prior.m0) if self.prior is not None else self.results[0].m.shape[1]
        gi = np.asarray(grid_index, dtype=np.int64)
        if np.all(self.deltas[gi, 0] == 1.0) and np.all(self.deltas[gi, 1] == 1.0):
            # no time variation: one draw per path, shown at every period (read-only views)
            theta1 = np.empty((len(gi), 1, p), dtype=np.float32)
            v1 = np.empty((len(gi), 1), dtype=np.float32)
            for g in np.unique(gi):
                r, sel = self.filtered(int(g), rows=np.array([T - 1])), np.flatnonzero(gi == g)
                th, vv = np.empty((len(sel), 1, p), np.float32), np.empty((len(sel), 1), np.float32)
                KB.backward_sample(r.m, r.L, r.n[T - 1:T], r.d[T - 1:T], 1.0, 1.0,
                                  int(seed), int(g), 0, th, vv)
                theta1[sel], v1[sel] = th, vv
            return (np.broadcast_to(theta1, (len(gi), T, p)), np.broadcast_to(v1, (len(gi), T)))
        theta = np.empty((len(gi), T, p), dtype=np.float32)
        v = np.empty((len(gi), T), dtype=np.float32)
        for g in np.unique(gi):  # each grid point's draws written in place (blocked kernel)
            r = self.revised_filter(int(g), T - 1)  # on a lean grid: computed, used, let go
            dstep = r.step_discount if r.step_discount is not None and len(r.interventions()) \
                else np.empty(0)
            KB.backward_sample_rows(r.m, r.L, r.n, r.d, r.delta_beta, r.delta_v, int(seed), int(g),
                                   T - 1, np.flatnonzero(gi == g), theta, v, dstep)
        return theta, v

    def stacked(self, which: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Filtered moments of grid points ``which`` (default all) stacked: m (G, T, p),
        L (G, T, p, p), n, d (G, T); all of a grid that keeps its moments are cached."""
        if self._stack is not None:
            return self._stack if which is None else {k: v[which] for k, v in self._stack.items()}
        if self.keeps_moments and which is None:
            self._stack = {k: np.ascontiguousarray(np.stack([getattr(r, k) for r in self.results]))
                           for k in ("m", "L", "n", "d")}
            return self._stack
        gs = np.arange(len(self.results)) if which is None else np.asarray(which, dtype=np.int64)
        T, p = self.n_periods, len(self.prior.m0)
        out = {"m": np.empty((len(gs), T, p)), "L": np.empty((len(gs), T, p, p)),
               "n": np.empty((len(gs), T)), "d": np.empty((len(gs), T))}
        for j, g in enumerate(gs):  # one grid point's moments at a time
            r = self.filtered(int(g))
            for k in out:
                out[k][j] = getattr(r, k)
            del r
        return out

    def sample_filtered(self, n_draws: int, seed: int, t0: int = 0, t1: int | None = None,
                        blocks: tuple[np.ndarray, np.ndarray] | None = None
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Real-time draws of the states (S, t1 - t0, p) and variances, float32.

        ``blocks`` (starts, ends; row indices covering ``t0 .. t1``, default one block per
        period) are drawn as estimated at their last period: with data to that period only
        (the grid point of draw ``s`` follows the real-time grid weights there), jointly
        within the block (backward sampler), independently across blocks. A one-period
        block is the filtered marginal; a quarter is the quarter "as first estimated" at its
        end. Nothing in a block depends on data after the block, and any span reproduces
        on its own. A lean grid stacks the moments of the grid points some draw picks only.
        """
        from macroattr.models.statespace import kernels as K

        t1 = self.n_periods if t1 is None else int(t1)
        starts, ends = block_bounds(t0, t1, blocks)
        cumw = self.cumulative_realtime_weights()
        u = (np.random.default_rng([int(seed), 7]).permutation(n_draws) + 0.5) / n_draws
        gs = None if self.keeps_moments else self.picked(cumw[ends - 1], u)
        st = self.stacked(gs)
        db, dv, dstep = self.deltas[:, 0], self.deltas[:, 1], self._step_discounts()
        if gs is not None:  # the first picked column reaching u is the grid's first one
            cumw, db, dv = cumw[:, gs], db[gs], dv[gs]
            dstep = dstep[gs] if len(dstep) else dstep
        p = st["m"].shape[2]
        theta = np.empty((n_draws, t1 - t0, p), dtype=np.float32)
        v = np.empty((n_draws, t1 - t0), dtype=np.float32)
        K.filtered_sample(st["m"], st["L"], st["n"], st["d"], np.ascontiguousarray(db),
                          np.ascontiguousarray(dv), np.ascontiguousarray(cumw), u, int(seed),
                          starts, ends, int(t0), theta, v, np.ascontiguousarray(dstep))
        return theta, v

    @staticmethod
    def picked(cumw: np.ndarray, u: np.ndarray) -> np.ndarray:
        """The grid points (sorted) the real-time sampler picks for uniforms ``u`` at rows of
        cumulative weights ``cumw`` (B, G): ``g`` is picked where it is the first with
        ``cumw[b, g] >= u`` (the last when none is), i.e. for some ``u`` in
        ``(cumw[b, g - 1], cumw[b, g]]``."""
        us = np.sort(np.asarray(u, dtype=np.float64))
        below = np.searchsorted(us, cumw.ravel(), side="right").reshape(cumw.shape)  # u <= cumw
        hits = np.diff(below, axis=1, prepend=0) > 0
        hits[:, -1] |= below[:, -1] < len(us)  # u above every cumulative weight: the last
        return np.flatnonzero(hits.any(axis=0))

    def _step_discounts(self) -> np.ndarray:
        """(G, T) real-time per-step discounts when any grid point intervened, else (0, 0)."""
        if not any(len(r.interventions()) for r in self.results):
            return np.empty((0, 0))
        return np.ascontiguousarray(np.stack([
            r.step_discount if r.step_discount is not None else np.full(self.n_periods, r.delta_beta)
            for r in self.results]))

    def cumulative_realtime_weights(self) -> np.ndarray:
        """(T, G) cumulative sums over grid points of :meth:`realtime_weights` (cached)."""
        if self._cumw is None:
            self._cumw = np.ascontiguousarray(np.cumsum(self.realtime_weights(), axis=1))
        return self._cumw


def grid_filter(y: np.ndarray, F: np.ndarray, beta_discounts: Sequence[float],
                variance_discounts: Sequence[float], prior: DLMPrior,
                names: Sequence[str] | None = None, where: str = "state-space data",
                monitor: object | None = None, keep_moments: bool | None = None) -> GridFilter:
    """Run the filter at every (delta_beta, delta_v) pair of the two grids.

    ``monitor``: the paths are drawn from filters with forecast monitoring and automatic
    intervention (:mod:`macroattr.models.statespace.monitor`): each result's filtered
    moments (and ``step_discount``, ``onset``) are the monitored filter's, while its
    predictive densities, ``log_ml`` and so the grid weights, the one-step-ahead predictive
    and P(varies) stay those of the discount model itself (exact, unchanged by the monitor).

    ``keep_moments``: hold every grid point's filtered moments ``m``, ``L`` (default: while
    they take at most :data:`KEEP_MOMENTS_BYTES`); otherwise the grid is lean: it keeps
    the predictive densities, ``n`` and ``d``, and :meth:`GridFilter.filtered` reruns one
    grid point's filter when a sampler needs its moments (the same numbers bit for bit),
    so memory stays that of one grid point, not all of them.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> F = np.column_stack([np.ones(80), rng.normal(size=80)])
    >>> gf = grid_filter(rng.normal(size=80), F, [0.99, 1.0], [0.95, 1.0], DLMPrior.conjugate(2))
    >>> gf.deltas.shape, round(float(gf.weights.sum()), 12), gf.keeps_moments
    ((4, 2), 1.0, True)
    >>> lean = grid_filter(rng.normal(size=80), F, [0.99, 1.0], [0.95, 1.0],
    ...                    DLMPrior.conjugate(2), keep_moments=False)
    >>> lean.keeps_moments, lean.results[0].m.shape, lean.filtered(0).m.shape
    (False, (0, 2), (80, 2))
    """
    b = check_discounts(beta_discounts, "beta_discounts")
    vg = check_discounts(variance_discounts, "variance_discounts")
    y, F = check_inputs(y, F, names, where)
    deltas = np.array([(db, dv) for db in b for dv in vg], dtype=np.float64)
    G, (T, p) = len(deltas), F.shape
    keep = G * T * p * (p + 1) * 8 <= KEEP_MOMENTS_BYTES if keep_moments is None else keep_moments
    if keep:
        # the filtered moments of all grid points live in one set of arrays (no copy when
        # the real-time sampler needs them stacked)
        stack = {"m": np.empty((G, T, p)), "L": np.empty((G, T, p, p)), "n": np.empty((G, T)),
                 "d": np.empty((G, T))}
    else:
        stack = None

    def run(g: int, mon: object | None) -> FilterResult:
        db, dv = deltas[g]
        if stack is None:  # m and L at no period: a lean grid recomputes them on demand
            return forward_filter(y, F, db, dv, prior, store=True, rows=_NO_ROWS, monitor=mon,
                                  checked=True)
        return forward_filter(y, F, db, dv, prior, store=True, monitor=mon, checked=True,
                              moments_out=(stack["m"][g], stack["L"][g], stack["n"][g],
                                           stack["d"][g]))

    from macroattr.models.statespace.threads import map_each

    # each grid point's filter writes only its own rows of the stack: they run on threads
    results = map_each(lambda g: run(g, monitor), range(G))
    plain = np.zeros(G, dtype=bool)

    def unmonitored(g: int) -> None:  # the weights are the discount models' own marginal likelihoods
        r = results[g]
        if not sound(r):
            # the intervened filter broke down numerically (a state without data for long under a
            # fast discount, then inflated): this grid point's paths come from its own filter
            results[g], plain[g] = run(g, None), True
            return
        own = forward_filter(y, F, r.delta_beta, r.delta_v, prior, store=False, checked=True)
        r.f, r.q, r.df, r.ll, r.log_ml = own.f, own.q, own.df, own.ll, own.log_ml

    map_each(unmonitored, [g for g, r in enumerate(results) if len(r.interventions())])
    # a grid point whose filter breaks down numerically (e.g. a fast state discount over a long
    # stretch where a regressor is 0, so that state's variance grows by 1/delta a period without
    # data to bound it) is no evidence: it leaves the grid, and the fit says so (``failed``)
    ok = np.array([np.isfinite(r.log_ml) for r in results])
    failed = [tuple(float(x) for x in deltas[g]) for g in np.flatnonzero(~ok)]
    if not ok.any():
        raise InputError(f"{where}: the filter broke down numerically at every discount pair; check the "
                         "factors for long runs of zeros or extreme values")
    if failed:
        keep_g = np.flatnonzero(ok)
        deltas, plain = deltas[keep_g], plain[keep_g]
        results = [results[g] for g in keep_g]
        if stack is not None:
            stack = {k: np.ascontiguousarray(v[keep_g]) for k, v in stack.items()}
    out = GridFilter(deltas=deltas, results=results, y=y, _stack=stack, monitor=monitor,
                     F=F, prior=prior, plain=plain)
    out.failed = failed
    return out


def subset_masks(K: int) -> np.ndarray:
    """Every subset of ``K`` factors as drifting-beta masks (2^K, K), bool: row ``c`` drifts
    factor ``k`` when bit ``k`` of ``c`` is set (the last row drifts all).

    Examples
    --------
    >>> subset_masks(2).tolist()
    [[False, False], [True, False], [False, True], [True, True]]
    """
    return ((np.arange(2**K)[:, None] >> np.arange(K)[None, :]) & 1).astype(bool)


def subset_log_prior(masks: np.ndarray, static_prob: float) -> np.ndarray:
    """Log prior of each subset model (rows of ``masks``, True = drifts): each beta static
    with probability ``static_prob`` independently (flat when ``static_prob`` is 0); the
    prior odds of P(varies) and of the real-time mixture
    (:mod:`macroattr.models.statespace.realtime`)."""
    masks = np.asarray(masks, dtype=bool)
    if not 0.0 < static_prob < 1.0:
        return np.zeros(len(masks))
    return (masks * np.log1p(-static_prob) + (~masks) * np.log(static_prob)).sum(axis=1)


def factor_variation(gf: GridFilter, F: np.ndarray, prior: DLMPrior, static_prob: float = 0.5,
                     min_weight: float = 1.0) -> dict[str, np.ndarray]:
    """Posterior probability that each factor's beta varies (exact model averaging).

    At the most probable grid point (and every grid point with weight >= ``min_weight``),
    if its state discount is below 1, the filter is rerun for every subset of factors held
    static (block discounting; alpha keeps the grid point's discount). With a prior in which each beta is static with probability
    ``static_prob`` independently, the marginal likelihoods give the posterior over subsets;
    ``p_varies[k]`` sums the subsets in which factor ``k`` drifts. Returns ``p_varies``
    (K,), ``masks`` (subsets, K), ``log_post`` (subsets,) unnormalised log weights and
    ``grid`` (subsets,) the grid point of each row (the paths draw from this mixture:
    :mod:`macroattr.models.statespace.mixture`).

    Examples
    --------
    >>> rng = np.random.default_rng(4)
    >>> T = 400
    >>> F = np.column_stack([np.ones(T), rng.normal(size=(T, 2))])
    >>> b1 = np.where(np.arange(T) < 200, 1.0, -1.0)             # flips
    >>> y = b1 * F[:, 1] + 0.5 * F[:, 2] + 0.5 * rng.normal(size=T)  # factor 2 static
    >>> gf = grid_filter(y, F, [0.95, 0.98], [1.0], DLMPrior.conjugate(3))
    >>> pv = factor_variation(gf, F, DLMPrior.conjugate(3))["p_varies"]
    >>> bool(pv[0] > 0.95 and pv[1] < 0.5)
    True
    """
    K = F.shape[1] - 1
    masks = subset_masks(K)
    logprior = subset_log_prior(masks, static_prob)
    from macroattr.models.statespace.threads import map_each

    w = gf.weights
    pts = sorted({int(np.argmax(w)), *np.flatnonzero(w >= min_weight).tolist()})

    def log_ml(gs: tuple[int, int]) -> float:  # subset s held static at grid point g
        g, s = gs
        if masks[s].all():
            return float(gf.results[g].log_ml)  # the grid point's own (all-drifting) filter
        db, dv = gf.deltas[g]
        return float(forward_filter(gf.y, F, db, dv, prior, store=False,
                                    vary=np.r_[True, masks[s]]).log_ml)

    # the subsets' filters are independent: they run on threads
    todo = [(g, s) for g in pts if gf.deltas[g][0] != 1.0 for s in range(len(masks))]
    lms = dict(zip(todo, map_each(log_ml, todo), strict=True))
    rows, logp, grid = [], [], []
    for g in pts:
        if gf.deltas[g][0] == 1.0:  # nothing drifts at this grid point, whatever the subset
            rows.append(np.zeros(K, dtype=bool))
            logp.append(np.log(w[g]))
            grid.append(g)
            continue
        for s, mask in enumerate(masks):
            lm = lms[(g, s)]
            rows.append(mask)
            logp.append(np.log(w[g]) - gf.results[g].log_ml + lm + logprior[s])
            grid.append(g)
    logp_arr = np.array(logp)
    post = np.exp(logp_arr - logp_arr.max())
    post /= post.sum()
    m = np.array(rows)
    return {"p_varies": (post[:, None] * m).sum(axis=0), "masks": m, "log_post": logp_arr,
            "grid": np.array(grid, dtype=np.int64)}


def factor_variation_one_at_a_time(gf: GridFilter, F: np.ndarray, prior: DLMPrior,
                                   static_prob: float = 0.5,
                                   min_weight: float = 1.0) -> dict[str, np.ndarray]:
    """P(varies) per factor for many factors: one filter per factor instead of 2^K.

    At the most probable grid point (and every grid point with weight >= ``min_weight``)
    with a state discount below 1, factor ``k`` is held static alone (block discounting) and
    its Bayes factor against the all-drifting model, with prior odds ``(1 - static_prob) /
    static_prob``, gives ``P(k varies | g)``; the grid points are weighed by their posterior
    weight (a static grid point counts as "no factor varies"). It treats the factors as
    independent: exact when the subsets' marginal likelihood factorises, an approximation
    otherwise (:data:`P_VARIES_APPROX`). Returns ``p_varies`` (K,), ``by_grid`` (grid points
    with ``delta_beta < 1``, K) and ``grid`` (those grid points).

    Examples
    --------
    >>> rng = np.random.default_rng(4)
    >>> T = 400
    >>> F = np.column_stack([np.ones(T), rng.normal(size=(T, 2))])
    >>> y = np.where(np.arange(T) < 200, 1.0, -1.0) * F[:, 1] + 0.5 * F[:, 2] + 0.5 * rng.normal(size=T)
    >>> gf = grid_filter(y, F, [0.95, 0.98], [1.0], DLMPrior.conjugate(3))
    >>> pv = factor_variation_one_at_a_time(gf, F, DLMPrior.conjugate(3))["p_varies"]
    >>> bool(pv[0] > 0.95 and pv[1] < 0.5)
    True
    """
    K = F.shape[1] - 1
    prior_lo = (np.log1p(-static_prob) - np.log(static_prob)) if 0.0 < static_prob < 1.0 else 0.0
    w = gf.weights
    pts = sorted({int(np.argmax(w)), *np.flatnonzero(w >= min_weight).tolist()})
    from macroattr.models.statespace.threads import map_each

    def log_ml(gk: tuple[int, int]) -> float:  # factor k alone held static at grid point g
        g, k = gk
        db, dv = gf.deltas[g]
        vary = np.ones(K + 1, dtype=bool)
        vary[k + 1] = False
        return float(forward_filter(gf.y, F, db, dv, prior, store=False, vary=vary).log_ml)

    # the factors' filters are independent: they run on threads
    todo = [(g, k) for g in pts if gf.deltas[g][0] != 1.0 for k in range(K)]
    lms = dict(zip(todo, map_each(log_ml, todo), strict=True))
    total = np.zeros(K)
    wsum = 0.0
    rows, grid = [], []
    for g in pts:
        wsum += w[g]
        if gf.deltas[g][0] == 1.0:  # nothing drifts at this grid point
            continue
        full = gf.results[g].log_ml
        pk = np.empty(K)
        for k in range(K):
            pk[k] = 1.0 / (1.0 + np.exp(-(full - lms[(g, k)] + prior_lo)))
        rows.append(pk)
        grid.append(g)
        total += w[g] * pk
    return {"p_varies": total / wsum, "by_grid": np.array(rows).reshape(len(rows), K),
            "grid": np.array(grid, dtype=np.int64)}
