"""Convergence checks and the gate whose verdict travels with every fit.

R-hat (rank-normalised), bulk and tail ESS per parameter (natural-unit betas, alpha,
sigma, nu, pooling and random-walk scales; for time-varying paths the worst knot),
divergences, E-BFMI per chain and PSIS-LOO Pareto-k counts.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from macroattr.models.config import GateConfig

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["Diagnostics", "Gate", "compute_diagnostics", "evaluate_gate"]


@dataclass
class Gate:
    """Verdict of the convergence gate."""

    passed: bool
    reasons: list[str] = field(default_factory=list)
    note: str = ""
    thresholds: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Gate:
        return cls(**json.loads(text))

    def line(self) -> str:
        """One-line verdict for the CLI and reports."""
        if self.passed:
            return "convergence gate: PASSED" + (f" ({self.note})" if self.note else "")
        return "convergence gate: FAILED - " + "; ".join(self.reasons)


@dataclass
class Diagnostics:
    """Per-parameter table (r_hat, ess_bulk, ess_tail, mcse_mean), sampler totals and gate."""

    table: pd.DataFrame
    divergences: int
    bfmi: list[float]
    gate: Gate
    method: str = "nuts"

    def __repr__(self) -> str:
        return (f"Diagnostics(max r_hat={self.table['r_hat'].max():.3f}, min ess_bulk="
                f"{self.table['ess_bulk'].min():.0f}, divergences={self.divergences}, "
                f"{self.gate.line()})")

    def _repr_html_(self) -> str:
        return f"<p>{self.gate.line()}</p>" + self.table.round(3).to_html(index=False)

    def totals(self) -> pd.DataFrame:
        """One-row summary used by the CLI and reports."""
        return pd.DataFrame([{
            "max_r_hat": float(self.table["r_hat"].max()),
            "min_ess_bulk": float(self.table["ess_bulk"].min()),
            "min_ess_tail": float(self.table["ess_tail"].min()),
            "divergences": int(self.divergences),
            "min_bfmi": float(min(self.bfmi)) if self.bfmi else float("nan"),
            "gate": "PASSED" if self.gate.passed else "FAILED",
            "note": self.gate.note,
        }])


def _natural_params(fit: Any) -> xr.Dataset:
    import xarray as xr

    d = fit.design
    post = fit.posterior
    scale = xr.DataArray(d.y_sd / d.x_sd, dims=("factor",), coords={"factor": d.factors})
    beta = post["beta_std"].astype("float64") * scale
    out = {"alpha": d.y_mean + d.y_sd * post["alpha_std"].astype("float64") - (beta * xr.DataArray(d.x_mean, dims=("factor",), coords={"factor": d.factors})).sum("factor"),
           "beta": beta, "sigma": d.y_sd * post["sigma_std"].astype("float64")}
    for extra in ("nu", "tv_scale"):
        if extra in post:
            out[extra] = post[extra].astype("float64")
    if "tv_path" in post:
        out["tv_path"] = post["tv_path"].astype("float64")
    return xr.Dataset(out)


def compute_diagnostics(fit: Any, gate: GateConfig, method: str) -> Diagnostics:
    """Compute the table, sampler totals and gate verdict for a fit."""
    if fit.state_space and method == "exact":
        return _iid_diagnostics(fit, gate)
    if fit.state_space:
        return _state_space_nuts_diagnostics(fit, gate)
    import arviz as az

    ds = _natural_params(fit)
    rhat = az.rhat(ds)
    ess_b = az.ess(ds, method="bulk")
    ess_t = az.ess(ds, method="tail")
    mcse = az.mcse(ds)
    rows = []
    for name in ds.data_vars:
        r, eb, et, m = (x[name].values for x in (rhat, ess_b, ess_t, mcse))
        if name == "tv_path":
            rows.append({"parameter": "tv_path (worst knot)", "r_hat": float(np.nanmax(r)),
                         "ess_bulk": float(np.nanmin(eb)), "ess_tail": float(np.nanmin(et)),
                         "mcse_mean": float(np.nanmax(m))})
            continue
        da = ds[name]
        extra_dims = [dm for dm in da.dims if dm not in ("chain", "draw")]
        if not extra_dims:
            rows.append({"parameter": name, "r_hat": float(r), "ess_bulk": float(eb),
                         "ess_tail": float(et), "mcse_mean": float(m)})
            continue
        labels = da.coords[extra_dims[0]].values if extra_dims[0] in da.coords else range(da.shape[-1])
        for i, lab in enumerate(labels):
            rows.append({"parameter": f"{name}[{lab}]", "r_hat": float(r[i]),
                         "ess_bulk": float(eb[i]), "ess_tail": float(et[i]),
                         "mcse_mean": float(m[i])})
    table = pd.DataFrame(rows)
    ss = fit.sample_stats
    divergences = 0
    bfmi: list[float] = []
    if ss is not None and "diverging" in ss:
        divergences = int(ss["diverging"].sum())
    if ss is not None and "energy" in ss:
        e = np.asarray(ss["energy"].values, dtype=np.float64)
        bfmi = [float(np.sum(np.diff(c) ** 2) / np.sum((c - c.mean()) ** 2)) for c in e]
    nonfinite = {name: int((~np.isfinite(np.asarray(da.values, dtype=np.float64))).sum())
                 for name, da in ds.data_vars.items()}
    verdict = evaluate_gate(table, divergences, gate, method,
                            nonfinite={k: v for k, v in nonfinite.items() if v})
    return Diagnostics(table=table, divergences=divergences, bfmi=bfmi, gate=verdict, method=method)


def evaluate_gate(table: pd.DataFrame, divergences: int, gate: GateConfig, method: str,
                  nonfinite: dict[str, int] | None = None) -> Gate:
    """Apply the thresholds. The exact method draws iid samples, so R-hat and ESS pass
    trivially when enough draws are taken (the note says so).

    Any non-finite draw (``nonfinite``: parameter -> count of NaN/inf draws) fails the gate:
    R-hat and ESS skip such draws' NaN and could otherwise pass a fit that overflowed.

    Examples
    --------
    >>> from macroattr.models.config import GateConfig
    >>> t = pd.DataFrame({"parameter": ["beta[d_2y]"], "r_hat": [1.0], "ess_bulk": [900.0]})
    >>> evaluate_gate(t, 0, GateConfig(), "nuts", nonfinite={"beta": 12}).line()
    'convergence gate: FAILED - 12 non-finite draws (beta); the data or priors overflow: check units and scales'
    """
    reasons = []
    if nonfinite:
        reasons.append(f"{sum(nonfinite.values())} non-finite draws ({', '.join(sorted(nonfinite))}); "
                       "the data or priors overflow: check units and scales")
    rmax = float(table["r_hat"].max())
    emin = float(table["ess_bulk"].min())
    if np.isnan(rmax):
        if method != "exact":  # iid exact draws need no between-chain check
            reasons.append("R-hat cannot be computed from a single chain; run 2 or more chains "
                           "(--chains 4)")
    elif not rmax <= gate.rhat_max:
        worst = table.loc[table["r_hat"].idxmax(), "parameter"]
        reasons.append(f"max R-hat {rmax:.3f} > {gate.rhat_max} ({worst})")
    if not emin >= gate.ess_bulk_min:
        worst = table.loc[table["ess_bulk"].fillna(-1.0).idxmin(), "parameter"]
        reasons.append(f"min bulk ESS {emin:.0f} < {gate.ess_bulk_min:.0f} ({worst})")
    if divergences > gate.divergences_max:
        reasons.append(f"{divergences} divergent transitions > {gate.divergences_max}")
    note = "exact method: iid draws from the closed-form posterior" if method == "exact" else (
        f"max R-hat {rmax:.3f}, min bulk ESS {emin:.0f}, {divergences} divergences")
    return Gate(passed=not reasons, reasons=reasons, note=note, thresholds=gate.model_dump())


def _split_rhat(x: np.ndarray) -> float:
    """Split-chain R-hat (Gelman-Rubin on half chains) of (chain, draw) draws; 1.0 when
    the draws do not vary (a posterior concentrated on one grid point)."""
    c, n = x.shape
    h = n // 2
    if h < 2:
        return float("nan")
    halves = np.concatenate([x[:, :h], x[:, n - h:]], axis=0)
    w = halves.var(axis=1, ddof=1).mean()
    b = h * halves.mean(axis=1).var(ddof=1)
    if w <= 0:
        return 1.0
    return float(np.sqrt(((h - 1) / h * w + b / h) / w))


def _iid_diagnostics(fit: Any, gate: GateConfig) -> Diagnostics:
    """Exact state-space fits: iid draws (grid points allocated by weight, paths by the
    backward sampler), so ESS is the number of draws; R-hat is the split-chain check of
    the discounts (NumPy, no ArviZ)."""
    c, dr = fit.chains_draws
    n = c * dr
    rows = []
    # the discounts are what is drawn; paths given the discounts are exact FFBS draws,
    # so the check needs no path (paths are drawn only when a table asks for them)
    series = {k: fit.flat_draws(k) for k in ("delta_beta", "delta_v")}
    for name, x in series.items():
        x = np.asarray(x, dtype=np.float64)
        sd = float(x.std(ddof=1))
        rows.append({"parameter": name, "r_hat": _split_rhat(x.reshape(c, dr)),
                     "ess_bulk": float(n), "ess_tail": float(n),
                     "mcse_mean": sd / np.sqrt(n)})
    table = pd.DataFrame(rows)
    verdict = evaluate_gate(table, 0, gate, "exact")
    verdict.note = ("exact method: iid draws (discount grid weighted by marginal likelihood, "
                    "forward filter, backward sampler)")
    return Diagnostics(table=table, divergences=0, bfmi=[], gate=verdict, method="exact")


def _state_space_nuts_diagnostics(fit: Any, gate: GateConfig) -> Diagnostics:
    """R-hat, ESS and MCSE of the sampled discounts, divergences and BFMI of a nuts
    state-space fit (the paths given the discounts are exact backward-sampler draws)."""
    import arviz as az

    ds = fit.posterior[["delta_beta", "delta_v", "log_omega_beta", "log_omega_v"]]
    r, eb, et, m = az.rhat(ds), az.ess(ds, method="bulk"), az.ess(ds, method="tail"), az.mcse(ds)
    table = pd.DataFrame([{"parameter": k, "r_hat": float(r[k]), "ess_bulk": float(eb[k]),
                           "ess_tail": float(et[k]), "mcse_mean": float(m[k])} for k in ds.data_vars])
    ss = fit.sample_stats
    div = int(ss["diverging"].sum()) if ss is not None else 0
    bfmi = []
    if ss is not None and "energy" in ss:
        e = np.asarray(ss["energy"].values, dtype=np.float64)
        bfmi = [float(np.sum(np.diff(c) ** 2) / np.sum((c - c.mean()) ** 2)) for c in e]
    verdict = evaluate_gate(table, div, gate, "nuts")
    return Diagnostics(table=table, divergences=div, bfmi=bfmi, gate=verdict, method="nuts")
