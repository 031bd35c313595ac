"""Stacking of predictive distributions (Yao, Vehtari, Simpson & Gelman 2018).

Given pointwise log predictive densities ``lpd[t, k]`` of K models on the same T
observations (PSIS-LOO ``elpd_i`` or out-of-sample log scores), the stacking weights
maximise ``sum_t log sum_k w_k exp(lpd[t, k])`` over the simplex. :func:`stack_draws`
mixes per-model posterior draws in those proportions.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, special

__all__ = ["stack_draws", "stacking_weights"]


def stacking_weights(lpd: np.ndarray) -> np.ndarray:
    """Stacking weights (sum to 1) from a (observation, model) matrix of log densities.

    Examples
    --------
    >>> lpd = np.log(np.array([[0.5, 0.1], [0.4, 0.1], [0.6, 0.2]]))  # model 0 better everywhere
    >>> stacking_weights(lpd).round(3).tolist()
    [1.0, 0.0]
    >>> half = np.log(np.array([[0.9, 0.1], [0.1, 0.9]] * 10))      # each best on half
    >>> stacking_weights(half).round(3).tolist()
    [0.5, 0.5]
    """
    lpd = np.asarray(lpd, dtype=np.float64)
    if lpd.ndim != 2 or lpd.shape[1] < 1 or lpd.shape[0] < 1:
        raise ValueError("lpd must be a non-empty (observation, model) matrix")
    K = lpd.shape[1]
    if K == 1:
        return np.ones(1)
    lpd = lpd - lpd.max(axis=1, keepdims=True)  # per-row shift leaves the argmax unchanged

    def neg(z: np.ndarray) -> tuple[float, np.ndarray]:
        logw = z - special.logsumexp(z)
        m = lpd + logw[None, :]
        row = special.logsumexp(m, axis=1)
        r = np.exp(m - row[:, None])            # responsibilities (T, K)
        w = np.exp(logw)
        grad_logw = r.sum(axis=0)
        grad = grad_logw - w * grad_logw.sum()  # chain rule through the softmax
        return -float(row.sum()), -grad

    res = optimize.minimize(neg, np.zeros(K), jac=True, method="L-BFGS-B",
                            options={"maxiter": 2000, "gtol": 1e-10})
    w = np.exp(res.x - special.logsumexp(res.x))
    w[w < 1e-9] = 0.0
    return w / w.sum()


def stack_draws(draws: list[np.ndarray], weights: np.ndarray, n: int = 4000,
                seed: int = 0) -> np.ndarray:
    """Pool per-model draws (each (sample, ...)) into ``n`` draws of the stacked mixture:
    model k contributes ``round(w_k n)`` draws picked at random (with replacement).

    Examples
    --------
    >>> a, b = np.zeros((100, 2)), np.ones((100, 2))
    >>> stack_draws([a, b], np.array([0.25, 0.75]), n=8).mean(axis=0).tolist()
    [0.75, 0.75]
    """
    rng = np.random.default_rng(seed)
    counts = np.floor(np.asarray(weights) * n + 0.5).astype(int)
    parts = [d[rng.integers(0, len(d), size=c)] for d, c in zip(draws, counts, strict=True) if c > 0]
    return np.concatenate(parts, axis=0)
