"""Read any fit's draws through its public API, for analyses on top of a fit.

Event windows and scenarios work on every kind of fit (static, time-varying, state-space)
through the same few public names: ``fit.betas(start, end)`` (chain, draw, time, factor) in
natural units, ``fit.contributions(freq, start=, end=)`` (chain, draw, period, component) and
the residual scale. Fits that also keep real-time estimates (state-space fits) take an
``estimate="smoothed"|"filtered"`` keyword and expose ``fit.sigma(estimate=)``
(chain, draw, time); these helpers detect such keywords from the method signatures and
never pretend a fit has an estimate it does not.

Examples
--------
>>> from macroattr.models.synthetic import simulate_panel
>>> from macroattr.models import ModelConfig, fit_model
>>> panel, truth = simulate_panel(n=60, seed=1)
>>> fit = fit_model(panel, ModelConfig(groups=truth["groups"]).override(method="exact", draws=50))
>>> estimates(fit)
('revised',)
>>> window_contributions(fit, "2003-01-01", "2003-03-31").sizes["period"]
3
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from macroattr.core.errors import InputError
from macroattr.core.periods import period_labels

__all__ = ["ESTIMATE_NAMES", "accepts", "estimates", "fit_dates", "last_date", "residual_scale",
           "state_at_end", "window_contributions"]

#: Public label of each estimate -> the keyword value a fit's methods take.
ESTIMATE_NAMES = {"revised": "smoothed", "real time": "filtered"}


def accepts(method: Any, keyword: str) -> bool:
    """Whether ``method`` takes ``keyword`` (by name or through ``**kwargs``).

    Examples
    --------
    >>> accepts(lambda freq, estimate=None: 0, "estimate"), accepts(lambda freq: 0, "estimate")
    (True, False)
    """
    try:
        params = inspect.signature(method).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return False
    return keyword in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def estimates(fit: Any) -> tuple[str, ...]:
    """The estimates a fit offers: ``("revised",)``, or ``("revised", "real time")`` when it
    gives filtered betas (its ``betas`` take ``estimate="filtered"`` and answer for the last
    date instead of refusing: state-space fits)."""
    if not (accepts(fit.contributions, "estimate") and accepts(fit.betas, "estimate")):
        return ("revised",)
    day = str(last_date(fit).date())
    try:
        fit.betas(day, day, estimate=ESTIMATE_NAMES["real time"])
    except InputError:
        return ("revised",)
    return ("revised", "real time")


def _estimate_kw(fit: Any, method: Any, estimate: str | None) -> dict[str, str]:
    if estimate is None:
        return {}
    if estimate not in ESTIMATE_NAMES:
        raise InputError(f"estimate {estimate!r} is not one of {', '.join(ESTIMATE_NAMES)}")
    if accepts(method, "estimate"):
        return {"estimate": ESTIMATE_NAMES[estimate]}
    if estimate == "revised":
        return {}
    raise InputError(f"this fit ({getattr(fit.config.model, 'betas', '?')} betas) has no "
                     f"real-time (filtered) estimates; use the revised ones or a state-space fit")


def fit_dates(fit: Any) -> pd.DatetimeIndex:
    """The dates (native periods) the fit was estimated on."""
    return pd.DatetimeIndex(fit.design.dates)


def last_date(fit: Any) -> pd.Timestamp:
    """The fit's last date: where 'today's betas' are read."""
    return fit_dates(fit)[-1]


def window_contributions(fit: Any, start: Any, end: Any, estimate: str | None = None
                         ) -> xr.DataArray:
    """Per-draw contributions (chain, draw, period, component) of the native periods between
    ``start`` and ``end`` (inclusive), in the target's unit.

    Uses ``fit.contributions(freq, start=, end=)`` when the fit takes a span (only those
    periods are computed), else selects the window from the whole history.
    """
    freq = fit.freq
    dates = fit_dates(fit)
    inside = dates[(dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))]
    if len(inside) == 0:
        raise InputError(f"no {freq} periods of the fit between {pd.Timestamp(start):%Y-%m-%d} "
                         f"and {pd.Timestamp(end):%Y-%m-%d}")
    kw = _estimate_kw(fit, fit.contributions, estimate)
    labels = list(period_labels(inside, freq))
    if accepts(fit.contributions, "start"):
        c = fit.contributions(freq, start=str(inside[0].date()), end=str(inside[-1].date()), **kw)
    else:
        c = fit.contributions(freq, **kw)
    return c.sel(period=labels)


def state_at_end(fit: Any, estimate: str = "real time") -> dict[str, Any]:
    """Draws of the model's state at the fit's last date, flat over (chain, draw).

    Returns ``{"date", "factors", "beta" (sample, factor), "alpha" (sample,),
    "sigma" (sample,), "nu" (sample,) or None}`` in natural units. State-space fits give
    their filtered state (at the last date filtered and smoothed agree); static and
    time-varying fits their betas at that date.
    """
    t = last_date(fit)
    day = str(t.date())
    use = estimate if estimate in estimates(fit) else None
    b = fit.betas(day, day, **_estimate_kw(fit, fit.betas, use))
    beta = np.asarray(b.isel(time=-1).transpose("chain", "draw", "factor").values, dtype=np.float64)
    n = beta.shape[0] * beta.shape[1]
    c = window_contributions(fit, day, day, use)
    alpha = np.asarray(c.sel(component="alpha").isel(period=-1).values, dtype=np.float64).reshape(n)
    sigma, nu = residual_scale(fit, t, t, use)
    return {"date": t, "factors": [str(f) for f in b["factor"].values],
            "beta": beta.reshape(n, -1), "alpha": alpha, "sigma": sigma[:, -1], "nu": nu}


def residual_scale(fit: Any, start: Any, end: Any, estimate: str | None = None
                   ) -> tuple[np.ndarray, np.ndarray | None]:
    """Residual scale draws (sample, time) over the fit's dates in ``[start, end]`` and the
    Student-t degrees of freedom (sample,), or None for normal errors.

    ``fit.sigma(estimate=)`` (chain, draw, time) when the fit has one (state-space), else
    the static scale ``fit.parameter_draws()["sigma"]`` repeated over the window.
    """
    dates = fit_dates(fit)
    inside = dates[(dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))]
    post = getattr(fit, "posterior", None)
    nu = None  # Student-t degrees of freedom: a sampled parameter, no unit
    if post is not None and "nu" in post:
        nu = np.asarray(post["nu"].values, dtype=np.float64).reshape(-1)
    sig = getattr(fit, "sigma", None)
    if callable(sig):
        kw = _estimate_kw(fit, sig, estimate)
        if accepts(sig, "start"):
            kw.update(start=str(inside[0].date()), end=str(inside[-1].date()))
        s = sig(**kw).sel(time=inside).transpose("chain", "draw", "time")
        arr = np.asarray(s.values, dtype=np.float64)
        return arr.reshape(-1, arr.shape[-1]), nu
    params = fit.parameter_draws() if hasattr(fit, "parameter_draws") else {}
    if "sigma" not in params:
        raise InputError("this fit exposes no residual scale (sigma); predictive "
                         "probabilities need one")
    s = np.asarray(params["sigma"][0], dtype=np.float64)
    return np.repeat(s[:, None], len(inside), axis=1), nu


def noise(rng: np.random.Generator, sigma: np.ndarray, nu: np.ndarray | None) -> np.ndarray:
    """Residual draws with per-sample scale ``sigma`` (sample, time): normal, or Student-t
    with ``nu`` (sample,) degrees of freedom."""
    if nu is None:
        e = rng.standard_normal(sigma.shape)
    else:
        e = rng.standard_t(nu[:, None], size=sigma.shape)
    return e * sigma
