"""Robust comparators for the sign of a group's contribution, and the combined status.

Every interval of the Bayesian fits assumes independent errors given the day's volatility.
Daily relative returns and factor changes are autocorrelated and heavy-tailed, so those
intervals can exclude zero where a robust one does not. The comparator here is the one an
economist would run: **OLS with Newey–West (HAC) standard errors** on the same days
(statsmodels, Bartlett kernel, ``maxlags = floor(4 (T / 100)^(2/9))`` unless given), with
static betas over the fit's span. A group's contribution to a period is
``sum_{k in g} b_k * sum_{t in period} x_{k,t}``; its interval is normal with the HAC
covariance of ``b``.

:func:`sign_status` is the one rule for calling a sign settled: every model's interval on
the same side of zero. The model check passes it the fit's revised and first-estimate
intervals, its static comparators and the HAC comparator, so a sign is "settled" only when
revised and first estimate agree and the robust comparator agrees too.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> T = 400
>>> X = rng.normal(size=(T, 2))
>>> y = 0.5 + X @ np.array([1.0, 0.0]) + rng.normal(size=T)
>>> r = hac_ols(y, X)
>>> bool(abs(r["beta"][0] - 1.0) < 0.2), r["maxlags"]
(True, 5)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["NEGLIGIBLE_PP", "hac_attribution", "hac_coefficients", "hac_ols", "newey_west_lags",
           "sign_status"]

#: a group contribution whose 90% interval stays within +-this (pp) in every model is negligible
NEGLIGIBLE_PP = 0.1


def newey_west_lags(n: int) -> int:
    """Newey–West (1994) rule of thumb ``floor(4 (n / 100)^(2/9))``.

    Examples
    --------
    >>> newey_west_lags(6335), newey_west_lags(300)
    (10, 5)
    """
    return int(np.floor(4.0 * (n / 100.0) ** (2.0 / 9.0)))


def hac_ols(y: np.ndarray, X: np.ndarray, maxlags: int | None = None) -> dict[str, Any]:
    """OLS of ``y`` on an intercept and ``X`` with Newey–West covariance.

    Returns ``alpha``, ``beta`` (K,), ``cov`` (K + 1, K + 1; intercept first, HAC),
    ``cov_iid`` (the classical covariance, for comparison), ``maxlags``, ``n``.

    The numbers are statsmodels' ``OLS(y, add_constant(X)).fit(cov_type="HAC",
    cov_kwds={"maxlags": lags, "use_correction": True})`` (pinned in the tests): the
    coefficients by the pseudo-inverse as ``OLS.fit`` computes them, the Bartlett-weighted
    score covariance from statsmodels' own ``sandwich_covariance.S_hac_simple``, the
    sandwich and the small-sample factor ``n / (n - k)`` as ``cov_hac`` applies them. Only
    that module is imported (0.8 s), not ``statsmodels.api`` (6 s on a 2-core machine).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 1))
    >>> r = hac_ols(1.0 + 2.0 * X[:, 0] + rng.normal(size=400), X)
    >>> bool(abs(r["beta"][0] - 2.0) < 0.2), r["maxlags"], r["cov"].shape
    (True, 5, (2, 2))
    """
    from statsmodels.stats.sandwich_covariance import S_hac_simple

    y = np.asarray(y, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    n = len(y)
    lags = newey_west_lags(n) if maxlags is None else int(maxlags)
    Z = np.column_stack([np.ones(n), X])
    pinv = np.linalg.pinv(Z, rcond=1e-15)
    params = pinv @ y
    bread = pinv @ pinv.T  # (Z'Z)^-1
    resid = y - Z @ params
    k = Z.shape[1]
    meat = S_hac_simple(Z * resid[:, None], nlags=lags)
    cov = bread @ meat @ bread.T * (n / float(n - k))
    cov_iid = bread * (float(resid @ resid) / (n - k))
    return {"alpha": float(params[0]), "beta": np.asarray(params[1:]), "cov": cov,
            "cov_iid": cov_iid, "maxlags": lags, "n": n}


def hac_coefficients(fit: Any, maxlags: int | None = None) -> dict[str, Any]:
    """:func:`hac_ols` on the fit's own periods (``fit.design``): the page's comparator.

    It depends on the fit's data only, so with the default lags it is computed once per fit
    and kept with it (stored entry ``hac_ols``: :mod:`macroattr.models.fit.stored`, rows
    coefficients (intercept first), HAC covariance, classical covariance): a loaded fit
    reads it and imports no statsmodels.
    """
    d = fit.design
    n = len(d.y)
    k = d.X.shape[1] + 1

    def compute() -> np.ndarray:
        r = hac_ols(d.y, d.X, maxlags)
        return np.vstack([np.r_[r["alpha"], r["beta"]][None, :], r["cov"], r["cov_iid"]])

    if maxlags is None:
        from macroattr.models.fit.stored import memo

        arr = memo(fit, "hac_ols", compute)
    else:
        arr = compute()
    arr = np.asarray(arr, dtype=np.float64)
    return {"alpha": float(arr[0, 0]), "beta": arr[0, 1:], "cov": arr[1:1 + k],
            "cov_iid": arr[1 + k:1 + 2 * k],
            "maxlags": newey_west_lags(n) if maxlags is None else int(maxlags), "n": n}


def _normal_quantile(p: float) -> float:
    """The standard normal quantile (stdlib: no scipy.stats import on the page's path)."""
    from statistics import NormalDist

    return float(NormalDist().inv_cdf(p))


def hac_attribution(fit: Any, start: str, end: str, hdi: float = 0.9,
                    maxlags: int | None = None, iid: bool = False) -> pd.DataFrame:
    """The HAC OLS comparator's contributions over ``[start, end]`` (pp): one row per
    group (and ``alpha``) with ``mean``, ``hdi_low``, ``hdi_high`` (normal interval of
    mass ``hdi`` from the Newey–West covariance; ``iid``: the classical one), ``unit``.

    The regression uses every period of the fit (the same days as the fit, static betas;
    :func:`hac_coefficients`, kept with the fit); the window's contribution of group ``g``
    is ``sum_{k in g} b_k sum_{t in window} x_{k,t}``.
    """
    d = fit.design
    r = hac_coefficients(fit, maxlags)
    cov = r["cov_iid"] if iid else r["cov"]
    dates = d.dates
    inside = (dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))
    sums = d.X[inside].sum(axis=0)
    z = _normal_quantile(0.5 + hdi / 2.0)
    rows = []
    a = np.zeros(len(r["beta"]) + 1)
    a[0] = float(inside.sum())
    rows.append(("alpha", a.copy()))
    for g, cols in fit.groups.items():
        a = np.zeros(len(r["beta"]) + 1)
        for f in cols:
            k = list(d.factors).index(f)
            a[k + 1] = sums[k]
        rows.append((g, a))
    coef = np.r_[r["alpha"], r["beta"]]
    out = []
    for name, a in rows:
        m, sd = float(a @ coef), float(np.sqrt(max(a @ cov @ a, 0.0)))
        out.append({"component": name, "mean": m, "hdi_low": m - z * sd, "hdi_high": m + z * sd,
                    "unit": fit.target_unit})
    return pd.DataFrame(out).set_index("component")


def sign_status(models: Mapping[str, Mapping[str, float]] | Sequence[Mapping[str, float]]) -> str:
    """How settled a group's sign is across models (their mean and 90% interval, pp):
    ``"settled"`` (every interval on one side of zero), ``"negligible"`` (every interval
    within 0.1 pp of zero), ``"disagree"`` (the means have opposite signs) or ``"open"``
    (an interval includes zero).

    Examples
    --------
    >>> a = {"mean": 1.0, "hdi_low": 0.2, "hdi_high": 1.8}
    >>> b = {"mean": -0.5, "hdi_low": -0.9, "hdi_high": -0.1}
    >>> hac = {"mean": 0.9, "hdi_low": -0.3, "hdi_high": 2.1}
    >>> sign_status({"x": a, "y": a}), sign_status({"x": a, "y": b}), sign_status([a, a, hac])
    ('settled', 'disagree', 'open')
    """
    rows = list(models.values()) if isinstance(models, Mapping) else list(models)

    def side(r: Mapping[str, float]) -> int:
        return 1 if r["hdi_low"] > 0 else (-1 if r["hdi_high"] < 0 else 0)

    sides = [side(r) for r in rows]
    means = [float(r["mean"]) for r in rows]
    if max(max(abs(float(r["hdi_low"])), abs(float(r["hdi_high"]))) for r in rows) < NEGLIGIBLE_PP:
        return "negligible"
    if sides[0] != 0 and all(x == sides[0] for x in sides):
        return "settled"
    if min(means) < 0 < max(means):
        return "disagree"
    return "open"
