"""A fit as an ArviZ-ready :class:`xarray.DataTree` (:meth:`Fit.to_datatree`).

Groups (ArviZ's InferenceData schema): ``posterior`` in natural units (the scalar
parameters, betas by factor, and per-period paths of time-varying fits with labelled
``time``/``factor`` dims), ``sample_stats`` (NUTS fits), ``observed_data`` (the target),
``constant_data`` (the factors), ``log_likelihood`` (on demand: pointwise, for PSIS-LOO) and,
for state-space fits, ``discount_grid`` (each grid point's discounts, log marginal likelihood
and weight; not draws, so outside the posterior). ``az.summary(tree)``, ``az.plot_forest(tree)``
and ``az.loo(tree)`` read it as it is.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

if TYPE_CHECKING:
    from macroattr.models.fit.base import Fit

__all__ = ["MAX_PATH_VALUES", "to_datatree"]

#: Per-period paths are included up to this many values (chain x draw x time x factor).
MAX_PATH_VALUES = 20_000_000


def _name(label: str) -> str:
    """``"alpha (span average)"`` -> ``alpha_mean`` (like ``beta_mean``)."""
    return re.sub(r"[^0-9A-Za-z_]+", "_", label.replace(" (span average)", "_mean")).strip("_")


def _posterior(fit: Fit, paths: bool | None) -> xr.Dataset:
    c, dr = fit.chains_draws
    d = fit.design
    coords = {"chain": np.arange(c), "draw": np.arange(dr)}
    out: dict[str, xr.DataArray] = {}
    rw: dict[str, dict[str, tuple[np.ndarray, str]]] = {}
    for label, (draws, unit) in fit.parameter_draws().items():
        m = re.fullmatch(r"(\w+)\[(.+)\]", label)
        if m:  # per-factor scalars (random-walk sds): one variable with a factor dim
            rw.setdefault(m.group(1), {})[m.group(2)] = (draws, unit)
            continue
        out[_name(label)] = xr.DataArray(np.asarray(draws).reshape(c, dr), dims=("chain", "draw"),
                                         coords=coords, attrs={"units": unit})
    for name, by_factor in rw.items():
        arr = np.stack([by_factor[f][0] for f in d.factors], axis=-1).reshape(c, dr, -1)
        out[name] = xr.DataArray(arr, dims=("chain", "draw", "factor"),
                                 coords={**coords, "factor": d.factors},
                                 attrs={"units": {f: by_factor[f][1] for f in d.factors}})
    units = fit.factor_units()
    beta_name = "beta_mean" if fit.time_varying else "beta"
    out[beta_name] = xr.DataArray(
        fit._beta_average_draws().reshape(c, dr, -1), dims=("chain", "draw", "factor"),
        coords={**coords, "factor": d.factors},
        attrs={"units": units, "description": "average over the fit span" if fit.time_varying
               else "static betas, natural units"})
    size = c * dr * d.n_obs * (d.n_factors + 1)
    if fit.time_varying and (paths or (paths is None and size <= MAX_PATH_VALUES)):
        b = fit.betas(draws=True)
        out["beta"] = b.assign_coords(chain=coords["chain"], draw=coords["draw"]).astype(np.float64)
        out["beta"].attrs = {"units": units, "description": "per-period betas (revised)"}
        s = fit.sigma()
        out["sigma_path"] = s.assign_coords(chain=coords["chain"], draw=coords["draw"])
        out["sigma_path"].attrs = {"units": fit.target_unit, "description": "residual sd per period"}
    ds = xr.Dataset(out)
    ds.attrs = {"kind": fit.kind, "units": "natural (see each variable's units)"}
    return ds


def to_datatree(fit: Fit, *, log_likelihood: bool = False, paths: bool | None = None) -> xr.DataTree:
    """The fit as a DataTree ArviZ reads (see the module docstring for its groups).

    ``log_likelihood`` adds the pointwise log-likelihood (chain, draw, time) of every draw;
    ``paths`` includes (True) or leaves out (False) the per-period beta and volatility paths
    of time-varying fits; by default they are included up to :data:`MAX_PATH_VALUES` values.
    """
    d = fit.design
    target = fit.config.target
    groups: dict[str, xr.Dataset] = {"posterior": _posterior(fit, paths)}
    if fit.sample_stats is not None:
        groups["sample_stats"] = fit.sample_stats
    groups["observed_data"] = xr.Dataset(
        {target: xr.DataArray(d.y, dims=("time",), coords={"time": d.dates},
                              attrs={"units": fit.target_unit})})
    groups["constant_data"] = xr.Dataset(
        {"x": xr.DataArray(d.X, dims=("time", "factor"), coords={"time": d.dates, "factor": d.factors},
                           attrs={"units": dict((fit.panel.meta or {}).get("units", {}) or {})})})
    if log_likelihood:
        ll = fit.log_likelihood()
        groups["log_likelihood"] = xr.Dataset({target: ll})
    if fit.state_space:
        g = fit.posterior
        groups["discount_grid"] = xr.Dataset({
            k.removeprefix("grid_"): g[k] for k in ("grid_delta_beta", "grid_delta_v", "grid_log_ml",
                                                    "grid_weight") if k in g})
    tree = xr.DataTree.from_dict(groups)
    tree.attrs = {"macroattr_kind": fit.kind, "target": target, "freq": fit.freq,
                  "seed": int(fit.config.sampler.seed)}
    return tree
