"""Out-of-sample predictive of a window's total, made at the window's eve.

For a window of sessions ``t0 .. t1 - 1`` the forecast is made with data to ``t0 - 1``
only: at each discount grid point ``g`` the filtered state there (``m``, ``C* = L L'``,
``n``, ``d``), the state evolving by the discount's random walk over the window
(``W* = C* (1 - delta_beta) / delta_beta`` per step, West & Harrison's k-step-ahead
forecast with the evolution fixed at the origin), the factors' observed values in the window
and the observation variance at its eve. The window total ``sum_j y_{t0+j}`` is then
Student-t with ``delta_v n`` degrees of freedom, location ``a' m`` (``a = sum_j F_j``) and
squared scale ``S (a' C* a + sum_{i,j} F_i' W* F_j (min(i, j) + 1) + k)``; the grid points
are mixed with their weights given data to the eve (:meth:`GridFilter.predictive_weights`).
Nothing in it uses the window's returns or any later data, so its CDF at the observed total
is uniform over windows when the data come from the model (a calibrated event study).

Examples
--------
>>> from macroattr.models.statespace.dlm import DLMPrior, grid_filter
>>> rng = np.random.default_rng(0)
>>> F = np.column_stack([np.ones(200), rng.normal(size=200)])
>>> y = 0.5 * F[:, 1] + rng.normal(size=200)
>>> gf = grid_filter(y, F, [0.99, 1.0], [1.0], DLMPrior.conjugate(2))
>>> pr = window_predictive(gf, F, 150, 155)
>>> float(pr["weights"].sum()), pr["loc"].shape
(1.0, (2,))
>>> 0.0 < mixture_cdf(pr, float(y[150:155].sum())) < 1.0
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["mixture_cdf", "mixture_draws", "window_predictive"]


def window_predictive(grid: Any, F: np.ndarray, t0: int, t1: int) -> dict[str, np.ndarray]:
    """The predictive of ``sum(y[t0:t1])`` from data to ``t0 - 1`` (standardised units):
    ``weights``, ``loc``, ``scale``, ``df`` (G,), one Student-t per grid point.

    A window starting at the first period has no eve (``ValueError``).
    """
    if not 1 <= t0 < t1 <= grid.n_periods:
        raise ValueError(f"window rows {t0}:{t1}: need 1 <= t0 < t1 <= {grid.n_periods} "
                         "(a forecast origin before the window)")
    Fw = np.asarray(F[t0:t1], dtype=np.float64)
    k = t1 - t0
    a = Fw.sum(axis=0)
    # sum_{i,j} F_i' W F_j (min(i, j) + 1) = sum_{s=0}^{k-1} (sum_{j>=s} F_j)' W (sum_{j>=s} F_j)
    tails = np.cumsum(Fw[::-1], axis=0)[::-1]                 # (k, p): sum_{j >= s} F_j
    G = len(grid.results)
    loc, scale, df = np.empty(G), np.empty(G), np.empty(G)
    weights = grid.realtime_weights()[t0 - 1]
    for g in range(G):
        db, dv = grid.deltas[g]
        r = grid.filtered(g, rows=np.array([t0 - 1]))  # the moments at the forecast origin
        m, L, n, d = r.m[0], r.L[0], r.n[t0 - 1], r.d[t0 - 1]
        C = L @ L.T
        W = C * (1.0 - db) / db
        var = a @ C @ a + float(np.einsum("si,ij,sj->", tails, W, tails)) + k
        known = np.isinf(n)
        S = d if known else d / n
        loc[g] = a @ m
        scale[g] = np.sqrt(S * var)
        df[g] = np.inf if known else dv * n
    return {"weights": weights, "loc": loc, "scale": scale, "df": df, "periods": np.array(k)}


def mixture_cdf(pred: dict[str, np.ndarray], x: float) -> float:
    """CDF of the predictive mixture at ``x``."""
    from scipy.special import stdtr  # = scipy.stats.t.cdf, without importing scipy.stats

    z = (x - pred["loc"]) / pred["scale"]
    return float(np.sum(pred["weights"] * stdtr(pred["df"], z)))


def mixture_draws(pred: dict[str, np.ndarray], n: int, seed: Any) -> np.ndarray:
    """``n`` draws from the predictive mixture (grid point by weight, then its Student-t)."""
    rng = np.random.default_rng(seed)
    g = rng.choice(len(pred["weights"]), size=n, p=pred["weights"] / pred["weights"].sum())
    df = pred["df"][g]
    z = np.where(np.isinf(df), rng.standard_normal(n), rng.standard_t(np.where(np.isinf(df), 1.0, df)))
    return pred["loc"][g] + pred["scale"][g] * z
