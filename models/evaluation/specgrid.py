"""One specification of a grid: fit, PSIS-LOO, the attribution of one quarter, placebos.

:func:`fit_spec` is a pure task (data in, plain dict out) that ``macroattr grid`` runs
once per specification (and once per placebo shift) on Dask workers.

A **placebo** is a circularly shifted copy of one factor, ``np.roll(x, shift)``: it keeps
the factor's distribution and autocorrelation but breaks its timing, so it should earn a
credible contribution only by chance (about ``1 - hdi`` of the time).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from macroattr.core.errors import ConvergenceError, InputError

__all__ = ["PLACEBO_GROUP", "add_placebo", "fit_spec"]

#: Group (and column prefix) of the placebo factor.
PLACEBO_GROUP = "placebo"


def add_placebo(data: pd.DataFrame, factor: str, shift: int) -> tuple[pd.DataFrame, str]:
    """``data`` with a column ``placebo_<factor>`` = the factor rolled by ``shift`` periods.

    Examples
    --------
    >>> d = pd.DataFrame({"rel_return": [0.0, 1, 2], "x": [1.0, 2, 3]})
    >>> add_placebo(d, "x", 1)[0]["placebo_x"].tolist()
    [3.0, 1.0, 2.0]
    """
    if factor not in data.columns:
        raise InputError(f"placebo factor {factor!r} is not a panel column; "
                         f"available: {', '.join(map(str, data.columns[1:]))}")
    name = f"{PLACEBO_GROUP}_{factor}"
    return data.assign(**{name: np.roll(data[factor].to_numpy(), int(shift))}), name


def fit_spec(data: pd.DataFrame, meta: dict[str, Any], config: str, quarter: str,
             prob: float = 0.9, placebo: str | None = None, shift: int = 0,
             n_keep: int = 1000, cores: int | None = None) -> dict[str, Any]:
    """Fit one specification and summarise it for the grid.

    Returns ``n_obs``, ``span``, ``loo`` (elpd_loo, se, p_loo, pareto_k_max; None for a
    state-space fit, which gives ``lpds``, the sum of its one-step-ahead log predictive
    densities, instead), ``lpd_i`` (date -> pointwise LOO elpd, or one-step-ahead log
    density for a state-space fit), ``attribution`` (the quarter: component, mean,
    hdi_low, hdi_high), ``draws`` (up to ``n_keep`` draws of the quarter's components, for
    stacking), ``components``, ``coefficients`` and, with ``placebo``, ``placebo``
    (the placebo's coefficient and contribution and whether their HDIs exclude zero).
    Raises ConvergenceError when the gate fails, InputError when the quarter is outside
    the panel.

    Examples
    --------
    >>> from macroattr.models.synthetic import simulate_panel
    >>> from macroattr.models import ModelConfig
    >>> panel, truth = simulate_panel(n=120, seed=0)
    >>> cfg = ModelConfig(groups=truth["groups"]).override(method="exact", draws=500)
    >>> r = fit_spec(panel.data, panel.meta, cfg.to_json(), "2005Q2")
    >>> r["n_obs"], r["attribution"][-1]["component"]
    (120, 'residual')
    """
    from macroattr.data_pipelines.panel import Panel
    from macroattr.models.fit.attribution import summarise_draws
    from macroattr.models.config import ModelConfig
    from macroattr.models.estimation.fitting import fit_model

    t0 = time.perf_counter()
    cfg = ModelConfig.from_json(config)
    if cores is not None:
        cfg = cfg.override(cores=cores)
    meta = dict(meta)
    cfg = cfg.for_panel(Panel(data, meta))
    pname = None
    if placebo is not None:
        data, pname = add_placebo(data, placebo, shift)
        groups = {**cfg.groups, PLACEBO_GROUP: [pname]}
        cfg = ModelConfig.from_dict({**cfg.model_dump(), "groups": groups})
        units = dict(meta.get("units") or {})
        if placebo in units:
            units[pname] = units[placebo]
        meta["units"] = units
    panel = Panel(data, meta)
    fit = fit_model(panel, cfg)
    gate = fit.diagnostics.gate
    if not gate.passed:
        raise ConvergenceError(f"convergence gate failed: {'; '.join(gate.reasons)}")
    if quarter not in fit.quarters:
        raise InputError(f"quarter {quarter} is not a complete quarter of this specification's "
                         f"span {fit.span[0]}..{fit.span[1]}")
    contrib = fit.contributions("Q").sel(period=quarter)
    arr = np.asarray(contrib.values).reshape(-1, contrib.sizes["component"])
    comps = [str(c) for c in contrib.component.values]
    s = summarise_draws(arr, prob)
    attribution = [{"component": c, "mean": float(s["mean"][i]), "hdi_low": float(s["hdi_low"][i]),
                    "hdi_high": float(s["hdi_high"][i])} for i, c in enumerate(comps)]
    step = max(1, len(arr) // n_keep)
    out: dict[str, Any] = {
        "n_obs": int(fit.design.n_obs), "span": list(fit.span),
        "observed": float(fit.observed("Q").sel(period=quarter)),
        "attribution": attribution, "components": comps,
        "draws": arr[::step][:n_keep].tolist(),
        "coefficients": fit.coefficients(hdi=prob).to_dict("records"),
        "gate": gate.line() if hasattr(gate, "line") else "",
    }
    if fit.state_space:
        # a filter: its one-step-ahead log predictive densities (LPDS), not PSIS-LOO
        osa = fit.one_step_ahead()
        out["loo"] = None
        out["lpds"] = float(osa["log_score"].sum())
        out["lpd_i"] = {f"{pd.Timestamp(d):%Y-%m-%d}": float(v)
                        for d, v in zip(osa["date"], osa["log_score"], strict=True)}
    else:
        lo = fit.loo
        out["loo"] = {"elpd_loo": float(lo.elpd), "se": float(lo.se), "p_loo": float(lo.p),
                      "pareto_k_max": float(np.nanmax(np.asarray(lo.pareto_k)))}
        out["lpd_i"] = {f"{d:%Y-%m-%d}": float(v) for d, v in
                        zip(fit.design.dates, np.asarray(lo.elpd_i).ravel(), strict=True)}
    if pname is not None:
        coef = fit.coefficients(hdi=prob).set_index("factor").loc[pname]
        pc = attribution[comps.index(PLACEBO_GROUP)]
        out["placebo"] = {
            "factor": placebo, "shift": int(shift), "beta_mean": float(coef["mean"]),
            "beta_hdi_low": float(coef["hdi_low"]), "beta_hdi_high": float(coef["hdi_high"]),
            "beta_credible": bool(coef["hdi_low"] > 0 or coef["hdi_high"] < 0),
            "contribution_mean": pc["mean"], "contribution_hdi_low": pc["hdi_low"],
            "contribution_hdi_high": pc["hdi_high"],
            "contribution_credible": bool(pc["hdi_low"] > 0 or pc["hdi_high"] < 0),
        }
    out["seconds"] = round(time.perf_counter() - t0, 3)
    return out
