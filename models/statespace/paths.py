"""State-space betas for a fit: the exact DLM (:mod:`macroattr.models.statespace.dlm`) bound to a design.

:class:`StateSpacePaths` turns a design (natural-unit target and factors) and the
``[state_space]`` config into the model-averaged filter over the discount grid, and gives
per-draw paths in natural units on demand: alpha, betas and the residual scale, either
**smoothed** (revised: the backward sampler, data of the whole span) or **filtered** (real
time: each period's values use data to that period only).

What a saved fit stores is small: the grid of discounts with their marginal likelihoods and
the grid point of each draw. The paths are recomputed from the panel and the seed (the
filter is deterministic and each period's random numbers are seeded from the seed, the grid
point and the period), so a loaded fit gives the same numbers as the fit it was saved from.

Scaling: the prior acts on the factors and the target divided by a fixed natural-unit
scale per column (:mod:`macroattr.data_pipelines.scales`: the sd over the 1990–1999
pre-sample), centred at zero, so the prior is the same whatever the span and filtered values
use no data of the span at all. Columns without a reference scale (a user's own) fall back
to their mean and sd over the first ``scale_years`` of the span (:func:`prior_scales`).

Long module: it binds the DLM to a fit in one place (prior scales, the fit's draws, the
smoothed pass with its checkpoints and a short span resumed from them, real-time draws,
components in natural units); splitting would scatter that one contract over modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from macroattr.core.errors import InputError

from macroattr.models.config import ModelConfig
from macroattr.models.estimation.design import Design
from macroattr.models.statespace.dlm import (MAX_SUBSET_FACTORS, DLMPrior, GridFilter,
                                            check_inputs, factor_variation, grid_filter)

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["EDGE_SHARE", "ESTIMATES", "StateSpacePaths", "draw_state_space", "grid_edges",
           "prior_scales", "prior_table", "static_one_step_ahead"]

ESTIMATES = ("smoothed", "filtered")
#: a full smoothed pass keeps each draw's state every this many periods (float64), so a
#: short span (an event window) is later drawn alone, resuming from the checkpoint after it
CHECKPOINT_EVERY = 128
#: exact method: grid points holding at least this weight are expanded into subset models
#: (the others take the subsets' probabilities of the heaviest grid point)
SUBSET_MIN_WEIGHT = 0.01



def check_estimate(estimate: str) -> str:
    """Validate ``estimate``: "smoothed" (revised) or "filtered" (real time).

    Examples
    --------
    >>> check_estimate("filtered")
    'filtered'
    >>> check_estimate("revised")
    Traceback (most recent call last):
    ...
    macroattr.core.errors.InputError: estimate 'revised' must be one of smoothed, filtered
    """
    if estimate not in ESTIMATES:
        raise InputError(f"estimate {estimate!r} must be one of {', '.join(ESTIMATES)}")
    return estimate


def prior_scales(design: Design, years: float) -> dict[str, Any]:
    """Centring and scaling constants of the prior: the same whatever the span.

    A column the panel records as a catalog column has its fixed reference scale
    (``design.ref_scales``, :mod:`macroattr.data_pipelines.scales`: its sd over the 1990–1999
    pre-sample, or its first five years) and is centred at zero, so a fit starting in 2013
    and one starting in 2000 have the same prior per factor in natural units. Any other
    column (a user's own, a synthetic panel's) falls back to its mean and sd over the first
    ``years`` of the span (a column still constant there uses the first stretch over which it
    moves): data of the span's start only, so filtered values use no later data.

    Returns ``y_mean``, ``y_sd``, ``x_mean`` (K,), ``x_sd`` (K,), ``rows`` (K + 1,): how
    many first periods each (target, factors...) constant was computed from (0: the
    reference scale), and ``basis`` (K + 1,) saying which.

    Examples
    --------
    >>> from macroattr.models.synthetic import simulate_panel
    >>> from macroattr.models.estimation.design import build_design
    >>> panel, truth = simulate_panel(n=120, seed=0)
    >>> d = build_design(panel, ModelConfig(groups=truth["groups"]))
    >>> int(prior_scales(d, 2.0)["rows"][0])   # 24 months (the minimum is 2 (K + 2))
    24
    """
    dates, y, X = design.dates, design.y, design.X
    T, K = X.shape
    cut = dates[0] + pd.DateOffset(months=int(round(12 * years)))
    w0 = int(np.searchsorted(dates.values, cut.to_datetime64(), side="left"))
    w0 = min(T, max(w0, 2 * (K + 2)))
    rows = np.empty(K + 1, dtype=np.int64)
    ref = getattr(design, "ref_scales", None) or {}
    basis: list[str] = []

    def window(v: np.ndarray) -> int:
        moved = np.flatnonzero(v != v[0])
        return w0 if not len(moved) else max(w0, int(moved[0]) + 2)

    def one(name: str, v: np.ndarray, i: int) -> tuple[float, float]:
        if name in ref:
            rows[i] = 0
            basis.append("reference")
            return 0.0, float(ref[name])
        rows[i] = window(v)
        basis.append(f"first {rows[i]} periods of the span")
        seg = v[: rows[i]]
        return float(seg.mean()), float(seg.std(ddof=1))

    target = "rel_return" if "rel_return" in ref else "__target__"
    ym, ysd = one(target, y, 0)
    xm, xsd = np.empty(K), np.empty(K)
    for k in range(K):
        xm[k], xsd[k] = one(design.factors[k], X[:, k], k + 1)
    if not ysd > 0:
        raise InputError("the target is constant over the first periods of the span; nothing to fit")
    return {"y_mean": ym, "y_sd": ysd, "x_mean": xm, "x_sd": xsd, "rows": rows, "basis": basis}


def prior_table(design: Design, config: ModelConfig,
                units: dict[str, str] | None = None) -> pd.DataFrame:
    """The state-space prior per parameter in natural units: what a reader compares across
    fits (a 2000 and a 2013 start give the same rows for catalog factors).

    Columns: ``parameter, prior, centre, scale, unit, basis``. Betas and alpha: Student-t
    with ``2 * sigma2_shape`` degrees of freedom (the conjugate normal / inverse-gamma
    marginal), scale ``sd * sqrt(sigma2_scale / sigma2_shape) * y_scale / x_scale``; the
    residual sd: its prior point estimate ``y_scale * sqrt(sigma2_scale / sigma2_shape)``;
    walks and volatility drift: the discount grids, uniform over their points, and the prior
    probability that a beta does not drift (``static_prob``).
    """
    from macroattr.data_pipelines.scales import reference_window

    sc = prior_scales(design, config.state_space.scale_years)
    names = ["rel_return", *design.factors]
    sc["basis"] = [("sd {} to {} (fixed pre-sample)".format(*reference_window(n, design.freq))
                    if b == "reference" else b) for n, b in zip(names, sc["basis"], strict=True)]
    pr, ss = config.priors, config.state_space
    s0 = float(np.sqrt(pr.sigma2_scale / pr.sigma2_shape))
    df = 2.0 * pr.sigma2_shape
    per = {"D": "day", "M": "month"}.get(design.freq, "period")
    units = {**dict(getattr(config, "units", None) or {}), **dict(units or {})}
    rows = [{"parameter": "trend (time-varying intercept) at the start", "prior": f"Student-t({df:g} df)", "centre": sc["y_mean"],
             "scale": pr.alpha_sd * s0 * sc["y_sd"], "unit": f"pp per {per}", "basis": sc["basis"][0]}]
    for k, f in enumerate(design.factors):
        u = units.get(f) or "pp per unit"
        rows.append({"parameter": f"beta {f} at the start", "prior": f"Student-t({df:g} df)", "centre": 0.0,
                     "scale": pr.beta_sd * s0 * sc["y_sd"] / sc["x_sd"][k],
                     "unit": u, "basis": sc["basis"][k + 1]})
    rows.append({"parameter": "residual sd at the start", "prior": f"inverse-gamma on the variance "
                 f"(shape {pr.sigma2_shape:g})", "centre": s0 * sc["y_sd"], "scale": float("nan"),
                 "unit": f"pp per {per}", "basis": sc["basis"][0]})
    rows.append({"parameter": "beta walk (state discount)", "prior": "uniform over the grid "
                 + ", ".join(f"{d:g}" for d in ss.beta_discounts) + f"; P(static beta) {ss.static_prob:g}",
                 "centre": float("nan"), "scale": float("nan"), "unit": "discount (1 = static)",
                 "basis": "fixed grid"})
    rows.append({"parameter": "volatility drift (variance discount)", "prior": "uniform over the grid "
                 + ", ".join(f"{d:g}" for d in ss.variance_discounts), "centre": float("nan"),
                 "scale": float("nan"), "unit": "discount (1 = constant)", "basis": "fixed grid"})
    return pd.DataFrame(rows)


#: Posterior weight on a grid's edge above which the fit warns that the data ask for more.
EDGE_SHARE = 0.5


def grid_edges(discounts: pd.DataFrame, beta_grid: list[float], variance_grid: list[float],
               share: float = EDGE_SHARE) -> list[str]:
    """Warnings when the discount-grid weight piles on an edge of a grid: on the lowest
    discount (the data ask for faster drift than the grid allows), or on the highest when it
    is below 1. A discount of 1 (no drift) is the natural bound, not an edge.

    Examples
    --------
    >>> d = pd.DataFrame({"delta_beta": [0.995, 0.999], "delta_v": [0.94, 0.94],
    ...                   "weight": [0.998, 0.002]})
    >>> grid_edges(d, [0.995, 0.999, 1.0], [0.94, 1.0])[0][:60]
    '99.8% of the discount-grid weight sits on the lowest state d'
    """
    out = []
    for col, grid, what, key in (("delta_beta", beta_grid, "state discount", "beta_discounts"),
                                 ("delta_v", variance_grid, "variance discount",
                                  "variance_discounts")):
        grid = sorted(float(g) for g in grid)
        if len(grid) < 2:
            continue
        w = discounts.groupby(col)["weight"].sum()
        lo, hi = grid[0], grid[-1]
        if float(w.get(lo, 0.0)) >= share:
            out.append(f"{100 * float(w[lo]):.1f}% of the discount-grid weight sits on the lowest "
                       f"{what} {lo:g}, the grid's floor: the data ask for faster drift than the "
                       f"grid allows; add smaller values to [state_space] {key}")
        if hi < 1.0 and float(w.get(hi, 0.0)) >= share:
            out.append(f"{100 * float(w[hi]):.1f}% of the discount-grid weight sits on the highest "
                       f"{what} {hi:g}, the grid's ceiling: the data ask for slower drift; add "
                       f"values up to 1 to [state_space] {key}")
    return out


def _prior(config: ModelConfig, p: int) -> DLMPrior:
    pr = config.priors
    return DLMPrior.conjugate(p, pr.alpha_sd, pr.beta_sd, pr.sigma2_shape, pr.sigma2_scale)


def monitor_of(config: ModelConfig) -> Any:
    """The forecast monitor of the exact method's filters (``[state_space] monitor``), or
    None (switched off, or the nuts method, whose likelihood and gradient are those of the
    unmonitored filter)."""
    ss = config.state_space
    if not ss.monitor or config.sampler.method != "exact":
        return None
    from macroattr.models.statespace.monitor import Monitor

    return Monitor(tau=ss.monitor_threshold, delta_int=ss.intervention_discount)


def _scaled(design: Design, sc: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    ys = (design.y - sc["y_mean"]) / sc["y_sd"]
    F = np.column_stack([np.ones(design.n_obs), (design.X - sc["x_mean"]) / sc["x_sd"]])
    return ys, F


def draw_state_space(design: Design, config: ModelConfig,
                     progress: bool = False) -> tuple[Any, dict[str, Any]]:
    """Run the grid of filters and allocate ``chains x draws`` draws across grid points.

    Returns the posterior a fit stores (grid table, grid point and discounts of each draw; a
    :class:`~macroattr.models.estimation.drawset.DrawSet` for the exact method, an
    :class:`xarray.Dataset` from NUTS) and info (timings, sampler name).
    """
    import time

    t0 = time.perf_counter()
    ss = config.state_space
    s = config.sampler
    sc = prior_scales(design, ss.scale_years)
    ys, F = _scaled(design, sc)
    if s.method == "nuts":  # NUTS over the two discounts (macroattr.models.statespace.nuts)
        from macroattr.models.statespace.nuts import draw_state_space_nuts

        y_chk, F = check_inputs(ys, F, ["alpha", *design.factors],
                                f"state-space fit of {design.n_obs} periods")
        post, stats, info = draw_state_space_nuts(design, config, y_chk, F,
                                                  _prior(config, F.shape[1]), progress)
        return post, {**info, "sample_stats": stats, "scales": sc}
    gf = grid_filter(ys, F, ss.beta_discounts, ss.variance_discounts, _prior(config, F.shape[1]),
                     names=["alpha", *design.factors], where=f"state-space fit of {design.n_obs} periods",
                     monitor=monitor_of(config))
    gi = gf.allocate(s.chains * s.draws, s.seed).reshape(s.chains, s.draws)
    K = len(design.factors)
    fv = None
    if K <= MAX_SUBSET_FACTORS:
        fv = factor_variation(gf, F, _prior(config, F.shape[1]), ss.static_prob,
                              min_weight=SUBSET_MIN_WEIGHT)
    from macroattr.models.estimation.drawset import DrawSet

    # NumPy arrays, no xarray object: xarray's first Variable imports dask (~1.5 s); the
    # Dataset is built when a user asks for ``fit.posterior`` or the fit is saved
    post = DrawSet.of(
        {
            "grid_index": (("chain", "draw"), gi),
            "delta_beta": (("chain", "draw"), gf.deltas[gi, 0]),
            "delta_v": (("chain", "draw"), gf.deltas[gi, 1]),
            "grid_delta_beta": (("grid",), gf.deltas[:, 0]),
            "grid_delta_v": (("grid",), gf.deltas[:, 1]),
            "grid_log_ml": (("grid",), gf.log_ml),
            "grid_weight": (("grid",), gf.weights),
        },
        {"chain": np.arange(s.chains), "draw": np.arange(s.draws), "grid": np.arange(len(gf.deltas))},
        {"grid_failed": ", ".join(f"(delta_beta {a:g}, delta_v {b:g})" for a, b in gf.failed)}
        if gf.failed else None,
    )
    if fv is not None:
        post = post.assign(p_varies=(("factor",), fv["p_varies"])).assign_coords(
            factor=list(design.factors))
        from macroattr.models.statespace.mixture import with_masks

        post = with_masks(post, fv, gf, s.seed)
    else:  # many factors: one filter per factor, stated (never skipped)
        # (imported here: the compiled mixture loads numba, which reading a fit never needs)
        from macroattr.models.statespace.mixture import with_approximate_p_varies

        post = with_approximate_p_varies(post, gf, F, _prior(config, F.shape[1]), ss.static_prob,
                                         list(design.factors), SUBSET_MIN_WEIGHT)
    info = {"sampling_s": time.perf_counter() - t0, "compile_s": 0.0, "sampler": "dlm-ffbs",
            "cache_hit": False, "grid_filter": gf, "scales": sc}
    return post, info


@dataclass
class StateSpacePaths:
    """Per-draw state-space paths of a fit, in natural units, computed on demand.

    Built from the fit's design, config and posterior (grid point of each draw); the filter
    is rerun (milliseconds per grid point) unless handed over by the fit that just ran it.
    """

    design: Design
    config: ModelConfig
    #: the draws' grid points and subsets: an ``xarray.Dataset`` or anything read the same
    #: way (``[name].values``, ``.sizes``, ``in``; a loaded fit's NumPy ``DrawSet``)
    posterior: Any
    grid: GridFilter | None = None
    scales: dict[str, Any] | None = None
    #: the fit's kept reductions (:mod:`macroattr.models.fit.stored`): the last period's
    #: states are read from there when the paths were not drawn
    store: dict[str, Any] | None = field(default=None, repr=False)
    _smoothed: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _span: Any = field(default=None, repr=False)
    _realtime: Any = field(default=None, repr=False)
    _rt_filters: Any = field(default=None, repr=False)
    #: first estimates drawn ahead (:meth:`prefetch_filtered`), each read once
    _rt_ready: dict[Any, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.scales is None:
            self.scales = prior_scales(self.design, self.config.state_space.scale_years)

    @property
    def filter(self) -> GridFilter:
        """The grid of filters (rerun from the panel on first use, checked against the saved
        marginal likelihoods)."""
        if self.grid is None:
            self._run_grid()
        assert self.grid is not None
        return self.grid

    def _run_grid(self) -> None:
        if self.grid is None and self.config.sampler.method == "nuts":
            from macroattr.models.statespace.nuts import posterior_grid

            ys, F = _scaled(self.design, self.scales)
            deltas = np.column_stack([self.posterior["grid_delta_beta"].values,
                                      self.posterior["grid_delta_v"].values])
            self.grid = posterior_grid(ys, F, deltas, _prior(self.config, F.shape[1]),
                                       ["alpha", *self.design.factors],
                                       f"state-space fit of {self.design.n_obs} periods")
        if self.grid is None:
            ss = self.config.state_space
            ys, F = _scaled(self.design, self.scales)
            self.grid = grid_filter(ys, F, ss.beta_discounts, ss.variance_discounts,
                                    _prior(self.config, F.shape[1]),
                                    names=["alpha", *self.design.factors],
                                    where=f"state-space fit of {self.design.n_obs} periods",
                                    monitor=monitor_of(self.config))
            saved = np.asarray(self.posterior["grid_log_ml"].values, dtype=np.float64)
            if saved.shape != self.grid.log_ml.shape or not np.allclose(saved, self.grid.log_ml,
                                                                        rtol=1e-8, atol=1e-6):
                raise InputError("the saved state-space fit does not match its panel and config "
                                 "(marginal likelihoods differ on recomputation); refit it")

    # ------------------------------------------------------------------ raw states
    @property
    def n_samples(self) -> int:
        return int(self.posterior.sizes["chain"] * self.posterior.sizes["draw"])

    @property
    def seed(self) -> int:
        return int(self.config.sampler.seed)

    def grid_index(self) -> np.ndarray:
        return np.asarray(self.posterior["grid_index"].values, dtype=np.int64).ravel()

    def _vary(self) -> np.ndarray | None:
        """Which betas drift in each draw (S, K), or None: every beta (fits saved before the
        subset mixture, or of more than 8 factors)."""
        if "vary" not in self.posterior:
            return None
        return np.asarray(self.posterior["vary"].values, dtype=bool).reshape(self.n_samples, -1)

    def smoothed_states(self) -> tuple[np.ndarray, np.ndarray]:
        """(theta (S, T, K + 1), v (S, T)) standardised, float32; drawn once and kept (with
        each draw's state every :data:`CHECKPOINT_EVERY` periods, in the fit's store, so a
        short span is later drawn alone: :meth:`smoothed_rows`)."""
        if self._smoothed is None:
            from macroattr.models.statespace.mixture import sample_smoothed_span

            _, F = _scaled(self.design, self.scales)
            theta, v, ck = sample_smoothed_span(self.filter, F, _prior(self.config, F.shape[1]),
                                                self.grid_index(), self._vary(), self.seed,
                                                ck_every=CHECKPOINT_EVERY)
            self._smoothed = (theta, v)
            if self.store is not None and ck is not None:
                self.store["ck_theta"], self.store["ck_phi"] = ck
        return self._smoothed

    def smoothed_rows(self, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray]:
        """Smoothed states and variances of rows ``t0:t1`` (float32), the very rows of
        :meth:`smoothed_states`: sliced from the full draw when it exists; for a short span
        of a fit with kept checkpoints, drawn alone from the checkpoint after the span (the
        random numbers are keyed by period and draw), so an event window of a loaded fit
        does not redraw every period."""
        T = self.design.n_obs
        store = self.store or {}
        short = (t1 - t0) <= max(CHECKPOINT_EVERY, T // 4)
        if self._smoothed is not None or "ck_theta" not in store or not short:
            th, v = self.smoothed_states()
            return th[:, t0:t1], v[:, t0:t1]
        if self._span is not None and self._span[0] == (t0, t1):
            return self._span[1]
        from macroattr.models.statespace.mixture import sample_smoothed_span

        c = -(-t1 // CHECKPOINT_EVERY) * CHECKPOINT_EVERY  # first checkpoint at or after t1
        init = None
        t_hi = T - 1
        if c <= T - 1:
            t_hi = c - 1
            init = (store["ck_theta"][:, c // CHECKPOINT_EVERY], store["ck_phi"][:, c // CHECKPOINT_EVERY])
        _, F = _scaled(self.design, self.scales)
        theta, v, _ = sample_smoothed_span(self.filter, F, _prior(self.config, F.shape[1]),
                                           self.grid_index(), self._vary(), self.seed,
                                           t_lo=t0, t_hi=t_hi, init=init)
        out = (theta[:, : t1 - t0], v[:, : t1 - t0])
        self._span = ((t0, t1), out)
        return out

    def states(self, t0: int, t1: int, estimate: str,
               blocks: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Standardised states (S, t1 - t0, K + 1) and variances of rows ``t0:t1``, float32
        (views of the cached smoothed draws, or real-time draws made for the span: each of
        ``blocks`` (starts, ends) as estimated at its end, default each period alone).

        Real-time draws honour P(varies) as the revised ones do: each block's model (grid
        point and which betas drift) is drawn from the subset mixture weighed with data to
        the block's end only (:mod:`macroattr.models.statespace.realtime`); fits without the
        subset mixture (more than 8 factors: approximate P(varies)) draw every first
        estimate from the all-drifting models."""
        check_estimate(estimate)
        if estimate == "smoothed":
            if self._smoothed is None and t0 == self.design.n_obs - 1 and t1 == t0 + 1:
                return self.last_states()  # the last period alone: kept with the fit
            return self.smoothed_rows(t0, t1)
        if self._vary() is None:  # no subset mixture (> 8 factors, older fits): all drifting
            return self.filter.sample_filtered(self.n_samples, self.seed, t0, t1, blocks)
        ready = self._rt_ready.pop(_span_key(t0, t1, blocks), None)
        if ready is not None:
            return ready
        return self._draw_filtered([(t0, t1, blocks)])[0]

    def prefetch_filtered(self, spans: list[tuple[int, int, tuple[np.ndarray, np.ndarray] | None]]
                          ) -> None:
        """Draw the first estimates of several spans ``(t0, t1, blocks)`` together and keep
        them until :meth:`states` asks for each (once): the same draws, bit for bit, with
        each subset model's moment filter run once for all of them
        (:func:`~macroattr.models.statespace.realtime.sample_filtered_many`). A no-op for
        fits without the subset mixture."""
        if self._vary() is None or not spans:
            return
        for (t0, t1, blocks), out in zip(spans, self._draw_filtered(spans), strict=True):
            self._rt_ready[_span_key(t0, t1, blocks)] = out

    def drop_prefetched(self, spans: list[tuple[int, int, tuple[np.ndarray, np.ndarray] | None]]
                        ) -> None:
        """Forget the prefetched first estimates of ``spans`` that :meth:`states` has not
        asked for."""
        for t0, t1, blocks in spans:
            self._rt_ready.pop(_span_key(t0, t1, blocks), None)

    def _draw_filtered(self, spans: list[Any]) -> list[tuple[np.ndarray, np.ndarray]]:
        from macroattr.models.statespace.realtime import FilterCache, sample_filtered_many

        _, F = _scaled(self.design, self.scales)
        if self._rt_filters is None:
            self._rt_filters = FilterCache()
        return sample_filtered_many(self.filter, F, _prior(self.config, F.shape[1]),
                                    self.realtime_mixture(), self.seed, spans,
                                    cache=self._rt_filters)

    def realtime_mixture(self) -> Any:
        """The subset models' weights as they stood at each period (data to that period
        only; :mod:`macroattr.models.statespace.realtime`), computed once and kept."""
        if self._realtime is None:
            from macroattr.models.statespace.realtime import realtime_mixture

            _, F = _scaled(self.design, self.scales)
            self._realtime = realtime_mixture(self.filter, F, _prior(self.config, F.shape[1]),
                                              self.config.state_space.static_prob, self.n_samples)
        return self._realtime

    def last_states(self) -> tuple[np.ndarray, np.ndarray]:
        """The smoothed states (S, 1, K + 1) and variances (S, 1) of the last period (the
        rows of :meth:`smoothed_states`), kept in the fit's store once drawn."""
        store = self.store if self.store is not None else {}
        if "last_theta" not in store:
            th, v = self.smoothed_states()
            store["last_theta"] = np.ascontiguousarray(th[:, -1:])
            store["last_v"] = np.ascontiguousarray(v[:, -1:])
        return store["last_theta"], store["last_v"]

    # ------------------------------------------------------------------ natural units
    def beta(self, t0: int, t1: int, estimate: str) -> np.ndarray:
        """Betas (S, t1 - t0, K) in natural units, float64."""
        th, _ = self.states(t0, t1, estimate)
        return th[:, :, 1:] * (self.scales["y_sd"] / self.scales["x_sd"])[None, None, :]

    def sigma(self, t0: int, t1: int, estimate: str) -> np.ndarray:
        """Residual sd (S, t1 - t0) in the target's unit, float64."""
        _, v = self.states(t0, t1, estimate)
        return self.scales["y_sd"] * np.sqrt(v.astype(np.float64))

    def alpha(self, t0: int, t1: int, estimate: str) -> np.ndarray:
        """Alpha (S, t1 - t0) in the target's unit per period (the intercept when every
        factor is zero)."""
        return self.components(t0, t1, estimate)[:, :, 0]

    def components(self, t0: int, t1: int, estimate: str,
                   blocks: tuple[np.ndarray, np.ndarray] | None = None,
                   summed: bool = False) -> np.ndarray:
        """(S, T, G + 2) contributions: alpha, each group, residual (pp); rows t0:t1
        (``blocks``: the periods the rows are summed into, for real-time estimates; with
        ``summed`` the result is (S, n_blocks, G + 2), each block's sum).

        Float64, computed in one compiled pass; the residual is the observed value minus
        the rest, so each row (and block) sums to the observation."""
        from macroattr.models.statespace import kernels as K

        d, sc = self.design, self.scales
        th, _ = self.states(t0, t1, estimate, blocks)
        names = list(d.groups)
        gof = np.array([names.index(g) for g, cols in d.groups.items() for _ in cols], dtype=np.int64)
        args = (th, np.ascontiguousarray(d.X[t0:t1] / sc["x_sd"]), sc["x_mean"] / sc["x_sd"],
                float(sc["y_mean"]), float(sc["y_sd"]), gof, len(names),
                np.ascontiguousarray(d.y[t0:t1]))
        if summed and blocks is not None:
            starts, ends = (np.asarray(x, dtype=np.int64) for x in blocks)
            block_of = np.repeat(np.arange(len(starts)), ends - starts)
            out = np.empty((th.shape[0], len(starts), len(names) + 2))
            K.components_summed(*args, block_of, out)
            return out
        out = np.empty((th.shape[0], t1 - t0, len(names) + 2))
        K.components(*args, out)
        return out

    def window_predictive(self, t0: int, t1: int) -> dict[str, np.ndarray]:
        """Out-of-sample predictive of the total of rows ``t0:t1`` made at the eve
        (data to ``t0 - 1``), natural units: a Student-t per grid point (``weights``,
        ``loc``, ``scale``, ``df``; :func:`macroattr.models.statespace.forecast.window_predictive`)."""
        from macroattr.models.statespace.forecast import window_predictive

        _, F = _scaled(self.design, self.scales)
        pr = window_predictive(self.filter, F, t0, t1)
        sc = self.scales
        return {**pr, "loc": (t1 - t0) * sc["y_mean"] + sc["y_sd"] * pr["loc"],
                "scale": sc["y_sd"] * pr["scale"]}

    def window_realtime(self, t0: int, t1: int) -> np.ndarray:
        """(S, G + 2) contributions of rows ``t0:t1`` summed, drawn jointly over the window
        as estimated with data to its last row (the backward sampler inside the window),
        pp; each row sums to the window's observed total."""
        _, _, blocks = window_span(t0, t1)
        return self.components(t0, t1, "filtered", blocks, summed=True)[:, 0, :]

    def one_step_ahead(self, static: bool = False) -> pd.DataFrame:
        """One-step-ahead predictive of each period in natural units (see
        :meth:`macroattr.models.statespace.dlm.GridFilter.one_step_ahead`); ``static`` uses the same
        filter with both discounts 1 (no time variation) on the same days."""
        if static:
            return static_one_step_ahead(self.design, self.config, scales=self.scales)
        return _osa_frame(self.design, self.filter, self.scales)


def window_span(t0: int, t1: int) -> tuple[int, int, tuple[np.ndarray, np.ndarray]]:
    """The first-estimate span ``(t0, t1, blocks)`` of a window ``t0:t1`` drawn as one block
    (as estimated with data to its last row)."""
    return t0, t1, (np.array([t0], dtype=np.int64), np.array([t1], dtype=np.int64))


def _span_key(t0: int, t1: int | None, blocks: tuple[np.ndarray, np.ndarray] | None) -> Any:
    """What identifies a span of first estimates (its rows and blocks)."""
    if blocks is None:
        return (int(t0), t1, None)
    return (int(t0), t1, np.asarray(blocks[0], dtype=np.int64).tobytes(),
            np.asarray(blocks[1], dtype=np.int64).tobytes())


def _osa_frame(design: Design, gf: GridFilter, sc: dict[str, Any]) -> pd.DataFrame:
    o = gf.one_step_ahead()
    return pd.DataFrame({
        "date": design.dates, "observed": design.y,
        "mean": sc["y_mean"] + sc["y_sd"] * o["mean"], "scale": sc["y_sd"] * o["scale"],
        "df": o["df"], "log_score": o["log_score"] - np.log(sc["y_sd"]), "pit": o["pit"],
    })


def static_one_step_ahead(design: Design, config: ModelConfig,
                          scales: dict[str, Any] | None = None) -> pd.DataFrame:
    """One-step-ahead predictive of the static conjugate model (the state-space filter with
    ``delta_beta = delta_v = 1``): date, observed, mean, scale, df, log_score (natural
    units: log density per pp), pit.

    Examples
    --------
    >>> from macroattr.models.synthetic import simulate_panel
    >>> from macroattr.models.estimation.design import build_design
    >>> panel, truth = simulate_panel(n=120, seed=0)
    >>> cfg = ModelConfig(groups=truth["groups"])
    >>> osa = static_one_step_ahead(build_design(panel, cfg), cfg)
    >>> list(osa.columns)
    ['date', 'observed', 'mean', 'scale', 'df', 'log_score', 'pit']
    """
    sc = scales or prior_scales(design, config.state_space.scale_years)
    ys, F = _scaled(design, sc)
    gf = grid_filter(ys, F, [1.0], [1.0], _prior(config, F.shape[1]),
                     names=["alpha", *design.factors], where=f"state-space fit of {design.n_obs} periods")
    return _osa_frame(design, gf, sc)
