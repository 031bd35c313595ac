"""The ``nuts`` method of the state-space model: NUTS over the discounts only.

The same conjugate DLM as the ``exact`` method (:mod:`macroattr.models.statespace.dlm`), but the state
discount and the variance discount are continuous hyperparameters sampled by PyMC's NUTS
instead of averaged over a grid. They are parameterised by their walk scales on the log
scale, ``delta = 1 / (1 + omega)`` with ``log omega ~ Normal`` (``omega`` is the random-walk
variance per period as a share of the current uncertainty; ``omega -> 0`` is a static beta
or a constant volatility, so the prior can shrink either to "no drift"). The likelihood is
the Kalman-filter marginal likelihood with its exact gradient
(:func:`macroattr.models.statespace.grad.loglik_grad`) wrapped as a PyTensor Op: NUTS never sees
the thousands of latent states.

Paths: the posterior draws are thinned to a few dozen distinct discount pairs (each a
posterior draw); every path draw uses its block's pair and the backward sampler / real-time
sampler of the exact method (:class:`PosteriorGrid`). P(varies) per factor averages the
block-discounted subsets (which betas drift) over those posterior pairs.

Real-time (filtered) values reweight those pairs by their likelihood of the data up to each
period (importance weights: the posterior given data to ``t``); the pairs themselves were
drawn with all the data, so a filtered value is the real-time posterior in expectation but
its Monte Carlo draws are not independent of later data. The exact method's filtered values
use no later data at all (its grid is fixed in advance). The walk scales' P(omega > 1e-5)
leans on the prior where the likelihood is flat (tiny drifts are indistinguishable from
none); the per-factor P(varies) compares static and drifting betas by marginal likelihood.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from macroattr.models.statespace.dlm import (MAX_SUBSET_FACTORS, DLMPrior, GridFilter, factor_variation,
                                            grid_filter)

__all__ = ["PRIOR_LOG_OMEGA", "PosteriorGrid", "draw_state_space_nuts", "posterior_grid",
           "walk_scales"]

# log walk scale priors (mean, sd): beta discount ~ 0.9997 at the mean (a ~3,000-period
# memory), 2 sd spanning 0.995 .. 1 - 1e-6; variance discount ~ 0.98 at the mean
PRIOR_LOG_OMEGA = {"beta": (float(np.log(3e-4)), 2.0), "v": (float(np.log(0.02)), 1.5)}
PATH_POINTS = 40  # distinct posterior discount pairs the paths are drawn from


@dataclass
class PosteriorGrid(GridFilter):
    """Filters at posterior draws of the discounts (not a grid): each point is one draw
    from the posterior, so all weigh the same given all the data. With data to period ``t``
    a point is reweighted by its likelihood of the data to ``t`` over that of all the data
    (importance weights), which gives the real-time and one-step-ahead mixtures."""

    @property
    def weights(self) -> np.ndarray:
        G = len(self.results)
        return np.full(G, 1.0 / G)

    def _relative(self, cum: np.ndarray) -> np.ndarray:
        a = cum - self.log_ml[None, :]
        w = np.exp(a - a.max(axis=1, keepdims=True))
        return w / w.sum(axis=1, keepdims=True)

    def realtime_weights(self) -> np.ndarray:
        return self._relative(np.cumsum(self._lls(), axis=0))

    def predictive_weights(self) -> np.ndarray:
        cum = np.cumsum(self._lls(), axis=0)
        return self._relative(np.vstack([np.zeros((1, cum.shape[1])), cum[:-1]]))


def posterior_grid(ys: np.ndarray, F: np.ndarray, deltas: np.ndarray, prior: DLMPrior,
                   names: list[str], where: str) -> PosteriorGrid:
    """Run and store the filter at each posterior discount pair ``deltas`` (G, 2)."""
    gs = [grid_filter(ys, F, [db], [dv], prior, names=names, where=where) for db, dv in deltas]
    stack = {k: np.ascontiguousarray(np.stack([g.results[0].__dict__[k] for g in gs]))
             for k in ("m", "L", "n", "d")}
    return PosteriorGrid(deltas=np.asarray(deltas, dtype=np.float64),
                         results=[g.results[0] for g in gs], y=ys, _stack=stack)


def _op(ys: np.ndarray, F: np.ndarray, prior: DLMPrior) -> Any:
    import pytensor.tensor as pt
    from pytensor.graph.basic import Apply
    from pytensor.graph.op import Op

    from macroattr.models.statespace.grad import loglik_grad

    class DLMLogLik(Op):
        """(delta_beta, delta_v) -> (log marginal likelihood, its gradient (2,))."""

        def make_node(self, db, dv):  # noqa: ANN001, ANN202
            db, dv = pt.as_tensor_variable(db), pt.as_tensor_variable(dv)
            return Apply(self, [db, dv], [pt.dscalar(), pt.dvector()])

        def perform(self, node, inputs, outputs):  # noqa: ANN001, ANN202, ARG002
            ll, g = loglik_grad(ys, F, float(inputs[0]), float(inputs[1]), prior)
            if not np.isfinite(ll):
                ll, g = -np.inf, np.zeros(2)
            outputs[0][0] = np.asarray(ll)
            outputs[1][0] = g

        def pullback(self, inputs, outputs, cotangents):  # noqa: ANN001, ANN202, ARG002
            # vector-Jacobian product of the log-likelihood output: its gradient is the
            # Op's second output (no second derivatives: NUTS needs first ones only)
            gr = outputs[1]
            return [cotangents[0] * gr[0], cotangents[0] * gr[1]]

    return DLMLogLik()


def build_model(ys: np.ndarray, F: np.ndarray, prior: DLMPrior,
                prior_log_omega: dict[str, tuple[float, float]] | None = None) -> Any:
    """The PyMC model of the two discounts (non-centred log walk scales)."""
    import pymc as pm

    pl = prior_log_omega or PRIOR_LOG_OMEGA
    op = _op(ys, F, prior)
    with pm.Model() as model:
        zb = pm.Normal("z_beta", 0.0, 1.0)
        zv = pm.Normal("z_v", 0.0, 1.0)
        log_ob = pm.Deterministic("log_omega_beta", pl["beta"][0] + pl["beta"][1] * zb)
        log_ov = pm.Deterministic("log_omega_v", pl["v"][0] + pl["v"][1] * zv)
        db = pm.Deterministic("delta_beta", 1.0 / (1.0 + pm.math.exp(log_ob)))
        dv = pm.Deterministic("delta_v", 1.0 / (1.0 + pm.math.exp(log_ov)))
        pm.Potential("loglik", op(db, dv)[0])
    return model


def draw_state_space_nuts(design: Any, config: Any, ys: np.ndarray, F: np.ndarray,
                          prior: DLMPrior, progress: bool = False,
                          prior_log_omega: dict[str, tuple[float, float]] | None = None,
                          ) -> tuple[xr.Dataset, xr.Dataset, dict[str, Any]]:
    """Sample the discounts by NUTS, thin them to path points, run those filters.

    Returns (posterior, sample_stats, info) as :func:`macroattr.models.statespace.paths.draw_state_space`
    does, plus the NUTS draws (``log_omega_beta``, ``log_omega_v``, ``delta_beta``,
    ``delta_v`` per chain and draw) and ``sample_stats`` (divergences, step sizes).
    """
    import pymc as pm

    s = config.sampler
    t0 = time.perf_counter()
    model = build_model(ys, F, prior, prior_log_omega)
    t1 = time.perf_counter()
    with model:
        idata = pm.sample(draws=s.draws, tune=s.tune, chains=s.chains, random_seed=s.seed,
                          target_accept=s.target_accept, progressbar=progress,
                          compute_convergence_checks=False, discard_tuned_samples=True,
                          # PyMC's own NUTS, chains in processes: the Op calls the compiled
                          # kernel from Python, so threads (nutpie) would share one GIL
                          nuts_sampler="pymc", cores=s.cores or min(s.chains, os.cpu_count() or 1))
    t2 = time.perf_counter()
    p = idata.posterior
    C, D = p.sizes["chain"], p.sizes["draw"]
    db = np.asarray(p["delta_beta"].values, dtype=np.float64)
    dv = np.asarray(p["delta_v"].values, dtype=np.float64)
    k = max(1, int(np.ceil(C * D / PATH_POINTS)))
    blocks = int(np.ceil(D / k))
    gi = (np.arange(C)[:, None] * blocks + np.arange(D)[None, :] // k).astype(np.int64)
    first = np.minimum(np.arange(blocks) * k, D - 1)
    deltas = np.column_stack([db[:, first].ravel(), dv[:, first].ravel()])
    names = ["alpha", *design.factors]
    where = f"state-space fit of {design.n_obs} periods"
    pg = posterior_grid(ys, F, deltas, prior, names, where)
    many = len(design.factors) > MAX_SUBSET_FACTORS  # one filter per factor, stated
    fv = None if many else factor_variation(pg, F, prior, config.state_space.static_prob,
                                            min_weight=0.0)
    post = xr.Dataset(
        {
            "grid_index": (("chain", "draw"), gi),
            "delta_beta": (("chain", "draw"), db),
            "delta_v": (("chain", "draw"), dv),
            "log_omega_beta": (("chain", "draw"), np.asarray(p["log_omega_beta"].values, np.float64)),
            "log_omega_v": (("chain", "draw"), np.asarray(p["log_omega_v"].values, np.float64)),
            "grid_delta_beta": (("grid",), deltas[:, 0]),
            "grid_delta_v": (("grid",), deltas[:, 1]),
            "grid_log_ml": (("grid",), pg.log_ml),
            "grid_weight": (("grid",), pg.weights),
        },
        coords={"chain": np.arange(C), "draw": np.arange(D), "grid": np.arange(len(deltas)),
                "factor": list(design.factors)},
    )
    if many:
        from macroattr.models.statespace.mixture import with_approximate_p_varies

        post = with_approximate_p_varies(post, pg, F, prior, config.state_space.static_prob,
                                         list(design.factors), 0.0)
    else:
        from macroattr.models.statespace.mixture import with_masks

        post["p_varies"] = (("factor",), fv["p_varies"])
        post = with_masks(post, fv, pg, config.sampler.seed, joint=False)
    ss = idata.sample_stats
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.asarray(ss["diverging"].values, bool)),
                        "step_size": (("chain", "draw"), np.asarray(ss["step_size"].values)),
                        "n_steps": (("chain", "draw"), np.asarray(ss["n_steps"].values)),
                        "energy": (("chain", "draw"), np.asarray(ss["energy"].values))},
                       coords={"chain": np.arange(C), "draw": np.arange(D)})
    t3 = time.perf_counter()
    info = {"compile_s": t1 - t0, "sampling_s": t3 - t1, "nuts_s": t2 - t1, "sampler": "pymc",
            "cache_hit": False, "grid_filter": pg,
            "n_gradients": int(stats["n_steps"].sum())}
    return post, stats, info


def walk_scales(posterior: xr.Dataset, threshold: float = 1e-5) -> Any:
    """Posterior of the walk scales of a nuts fit: ``omega`` (random-walk variance per period
    as a share of the current uncertainty; ``delta = 1 / (1 + omega)``), median and 90%
    interval, and P(omega > ``threshold``), the probability that the betas (``beta``) or the
    volatility (``v``) drift more than negligibly (1e-5 per period: under 7% of the state's
    uncertainty added over 6,335 days).

    Examples
    --------
    >>> post = xr.Dataset({"log_omega_beta": (("chain", "draw"), np.log([[1e-6, 1e-3, 1e-3]])),
    ...                    "log_omega_v": (("chain", "draw"), np.log([[0.02, 0.03, 0.01]]))})
    >>> walk_scales(post)["p_above"].round(3).tolist()
    [0.667, 1.0]
    """
    import pandas as pd

    rows = []
    for name in ("beta", "v"):
        om = np.exp(np.asarray(posterior[f"log_omega_{name}"].values, dtype=np.float64).ravel())
        lo, med, hi = np.quantile(om, [0.05, 0.5, 0.95])
        rows.append({"walk": name, "omega_median": med, "omega_low": lo, "omega_high": hi,
                     "delta_median": 1.0 / (1.0 + med), "p_above": float((om > threshold).mean())})
    return pd.DataFrame(rows)
