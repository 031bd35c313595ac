"""Read any fit's draws through its public API, for analyses on top of a fit.

Event windows and scenarios work on every kind of fit (static, time-varying, state-space)
through the same few public names of :class:`~macroattr.models.fit.base.Fit`:
``fit.betas(start, end, estimate=, draws=True)`` (chain, draw, time, factor) in natural units,
``fit.contributions(freq, estimate=, start=, end=)`` (chain, draw, period, component) and
``fit.sigma(start, end, estimate=)`` (chain, draw, time). Which estimates a fit gives is
declared by its class (``fit.estimates``: state-space fits add ``"filtered"``, real time);
these helpers never pretend a fit has an estimate it does not.

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

from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from macroattr.core.errors import InputError
from macroattr.core.estimates import event_estimate
from macroattr.core.periods import period_labels
from macroattr.models.fit import stored as _stored

if TYPE_CHECKING:
    import xarray as xr

    from macroattr.models.fit.base import Fit
    from macroattr.models.fit.state_space import StateSpaceFit

__all__ = ["ESTIMATE_NAMES", "eve_predictive", "window_realtime", "window_rows", "estimates", "fit_dates", "last_date", "residual_scale",
           "state_at_end", "window_contributions"]

#: Public label of each estimate -> the keyword value a fit's methods take.
ESTIMATE_NAMES = {"revised": "smoothed", "real time": "filtered"}


def estimates(fit: Fit) -> tuple[str, ...]:
    """The public labels of the estimates a fit offers: ``("revised",)``, or
    ``("revised", "real time")`` for a fit that declares filtered estimates (state-space)."""
    return tuple(label for label, kw in ESTIMATE_NAMES.items() if kw in fit.estimates)


def _estimate_kw(fit: Fit, estimate: str | None) -> dict[str, str]:
    if estimate is None:
        return {}
    estimate = event_estimate(estimate, "estimate")  # every spelling: revised, first estimate, ...
    if estimate not in estimates(fit):
        raise InputError(f"this fit ({fit.kind} betas) has no real-time (filtered) "
                         "estimates; use the revised ones or a state-space fit")
    return {"estimate": ESTIMATE_NAMES[estimate]}


def fit_dates(fit: Fit) -> pd.DatetimeIndex:
    """The dates (native periods) the fit was estimated on."""
    return pd.DatetimeIndex(fit.design.dates)


def last_date(fit: Fit) -> pd.Timestamp:
    """The fit's last date: where 'today's betas' are read."""
    return fit_dates(fit)[-1]


def window_contributions(fit: Fit, start: Any, end: Any, estimate: str | None = None
                         ) -> xr.DataArray:
    """Per-draw contributions (chain, draw, period, component) of the native periods between
    ``start`` and ``end`` (inclusive), in the target's unit.

    Only those periods are computed (``fit.contributions(freq, start=, end=)``).
    """
    freq = fit.freq
    dates = fit_dates(fit)
    inside = dates[(dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))]
    if len(inside) == 0:
        raise InputError(f"no {freq} periods of the fit between {pd.Timestamp(start):%Y-%m-%d} "
                         f"and {pd.Timestamp(end):%Y-%m-%d}")
    kw = _estimate_kw(fit, estimate)
    labels = list(period_labels(inside, freq))
    c = fit.contributions(freq, start=str(inside[0].date()), end=str(inside[-1].date()), **kw)
    return c.sel(period=labels)


def state_at_end(fit: Fit, estimate: str = "real time") -> dict[str, Any]:
    """Draws of the model's state at the fit's last date, flat over (chain, draw).

    Returns ``{"date", "factors", "beta" (sample, factor), "alpha" (sample,),
    "sigma" (sample,), "nu" (sample,) or None}`` in natural units. State-space fits give
    their filtered state (at the last date filtered and smoothed agree); static and
    time-varying fits their betas at that date.
    """
    t = last_date(fit)
    day = str(t.date())
    label = event_estimate(estimate, "estimate")
    use = label if label in estimates(fit) else None
    est = _estimate_kw(fit, use).get("estimate", "revised")
    b = fit._betas_draws(day, day, est)  # (chain, draw, time, factor), NumPy: no xarray
    beta = np.asarray(b[:, :, -1, :], dtype=np.float64)
    n = beta.shape[0] * beta.shape[1]
    def end_alpha() -> np.ndarray:
        _, c = fit._contributions_array(fit.freq, est, day, day)  # (sample, period, component)
        return np.asarray(c[:, -1, fit.components.index("alpha")], dtype=np.float64).reshape(n)

    # kept with a state-space fit (``end_alpha_<estimate>``, made before it is saved:
    # :mod:`macroattr.models.fit.page_inputs`): a loaded fit runs no compiled pass for it
    alpha = _stored.memo(fit, f"end_alpha_{fit._check_estimate(est)}", end_alpha)
    sigma, nu = residual_scale(fit, t, t, use)
    return {"date": t, "factors": [str(f) for f in fit.design.factors],
            "beta": beta.reshape(n, -1), "alpha": alpha, "sigma": sigma[:, -1], "nu": nu}


def residual_scale(fit: Fit, start: Any, end: Any, estimate: str | None = None
                   ) -> tuple[np.ndarray, np.ndarray | None]:
    """Residual scale draws (sample, time) over the fit's dates in ``[start, end]`` and the
    Student-t degrees of freedom (sample,), or None for normal errors.

    (``fit.sigma``: the time-varying volatility of state-space fits, the constant scale of
    the others.)
    """
    dates = fit_dates(fit)
    inside = dates[(dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))]
    nu = None  # Student-t degrees of freedom: a sampled parameter, no unit
    if "nu" in fit.draw_set:
        nu = np.asarray(fit.draw_set["nu"].values, dtype=np.float64).reshape(-1)
    est = _estimate_kw(fit, estimate).get("estimate", "revised")
    # the rows of [first, last] of the dates inside: exactly ``inside`` (NumPy, no xarray)
    arr = np.asarray(fit._sigma_array(str(inside[0].date()), str(inside[-1].date()), est),
                     dtype=np.float64)
    return arr.reshape(-1, arr.shape[-1]), nu


def noise(rng: np.random.Generator, sigma: np.ndarray, nu: np.ndarray | None) -> np.ndarray:
    """Residual draws with per-sample scale ``sigma`` (sample, time): normal, or Student-t
    with ``nu`` (sample,) degrees of freedom."""
    if nu is None:
        e = rng.standard_normal(sigma.shape)
    else:
        e = rng.standard_t(nu[:, None], size=sigma.shape)
    return e * sigma


def eve_predictive(fit: Fit, start: Any, end: Any, observed: float, n: int,
                   seed: Any) -> dict[str, Any] | None:
    """The out-of-sample predictive of the window total made at the window's eve (data
    before the window only; state-space fits, whose filter gives it in closed form), natural
    units: ``draws`` (n,), ``cdf`` (its CDF at ``observed``) and ``mixture`` (the Student-t
    per grid point); None for other fits or a window starting at the fit's first period."""
    if not fit.state_space:
        return None
    t0, t1 = window_rows(fit, start, end)
    if t0 == 0:
        return None
    from macroattr.models.fit.stored import memo
    from macroattr.models.statespace.forecast import mixture_draws

    def compute() -> np.ndarray:  # the mixture (weights, loc, scale, df per grid point), its CDF
        from macroattr.models.statespace.forecast import mixture_cdf

        p = cast("StateSpaceFit", fit).paths.window_predictive(t0, t1)
        cdf = np.full_like(p["loc"], mixture_cdf(p, observed))
        return np.stack([p["weights"], p["loc"], p["scale"], p["df"], cdf])

    # kept with the fit (stored ``eve_<t0>_<t1>``): the window's data are the fit's
    arr = memo(fit, f"eve_{t0}_{t1}", compute)
    pr = {"weights": arr[0], "loc": arr[1], "scale": arr[2], "df": arr[3],
          "periods": np.array(t1 - t0)}
    return {"draws": mixture_draws(pr, n, seed), "cdf": float(arr[4, 0]), "mixture": pr}


def window_realtime(fit: Fit, start: Any, end: Any) -> np.ndarray | None:
    """(sample, component) window sums as estimated with data to the window's last period,
    drawn jointly over its periods (state-space fits; None otherwise)."""
    if not fit.state_space:
        return None
    t0, t1 = window_rows(fit, start, end)
    from macroattr.models.fit.stored import memo

    return memo(fit, window_realtime_key(t0, t1),  # kept with the fit for the page's windows
                lambda: cast("StateSpaceFit", fit).paths.window_realtime(t0, t1))


def window_realtime_key(t0: int, t1: int) -> str:
    """The stored key of rows ``t0:t1``'s first-estimate window sums."""
    return f"ev_rt_{t0}_{t1}"


def window_rows(fit: Fit, start: Any, end: Any) -> tuple[int, int]:
    """Rows ``t0:t1`` of the fit's periods from ``start`` to ``end`` (dates, both included)."""
    dates = fit_dates(fit)
    return (int(dates.searchsorted(pd.Timestamp(start))),
            int(dates.searchsorted(pd.Timestamp(end), "right")))
