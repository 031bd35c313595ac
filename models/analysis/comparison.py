"""Model comparison by PSIS-LOO."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from macroattr.core.errors import InputError

__all__ = ["LPDS_NOTE", "compare", "compare_lpds", "loo_row"]

#: What a comparison that includes a state-space fit ranks by, and why (printed by `compare`).
LPDS_NOTE = ("ranked by one-step-ahead log predictive density (LPDS, exact filter: each period "
             "predicted from the data before it), not PSIS-LOO: a state-space fit's betas and "
             "volatility move every period, so leaving one period out is not approximated by "
             "its posterior; static fits enter through the same filter with no time variation")


def loo_row(fit: Any) -> dict[str, Any]:
    """elpd_loo, se, p_loo and Pareto-k counts (k > 0.7 flags unreliable LOO)."""
    lo = fit.loo
    k = np.asarray(lo.pareto_k).ravel()
    return {"elpd_loo": float(lo.elpd), "se": float(lo.se), "p_loo": float(lo.p),
            "n_obs": int(lo.n_data_points), "pareto_k_gt_0.7": int((k > 0.7).sum()),
            "pareto_k_max": float(np.nanmax(k)), "warning": bool(lo.warning)}


def compare(fits: dict[str, Any]) -> pd.DataFrame:
    """Rank fits by elpd_loo (higher is better): elpd_diff and its SE from ArviZ.

    Fits must be on the same observations (same panel rows and target). With a state-space
    fit among them the ranking is by one-step-ahead LPDS instead (:func:`compare_lpds`,
    :data:`LPDS_NOTE` says why).

    Examples
    --------
    >>> from macroattr.models.synthetic import simulate_panel
    >>> from macroattr.models import ModelConfig, fit_model
    >>> panel, truth = simulate_panel(n=120, seed=0)
    >>> cfg = ModelConfig(groups=truth["groups"]).override(method="exact")
    >>> small = ModelConfig(groups={"leverage": ["d_baa_spread"]}).override(method="exact")
    >>> t = compare({"full": fit_model(panel, cfg), "credit": fit_model(panel, small)})
    >>> list(t.index)[0]
    'full'
    """
    import warnings

    import arviz as az

    if len(fits) < 2:
        raise InputError("compare needs at least two fits")
    ref = None
    for name, f in fits.items():
        y = f.design.y
        if ref is None:
            ref = (name, y, f.design.dates)
        elif len(y) != len(ref[1]) or not np.array_equal(y, ref[1]):
            raise InputError(f"fit {name!r} is on different observations than {ref[0]!r} "
                             f"({len(y)} vs {len(ref[1])} periods): LOO (or LPDS) scores how well a "
                             "model predicts its own data, so scores on different data (another "
                             "frequency, span or target) say nothing about which model is better; "
                             "fit both on the same panel span, or read the model check (the "
                             "report's Model check section, `macroattr summary`), which scores the "
                             "state-space model against its static counterpart on the same days")
    if any(getattr(f, "state_space", False) for f in fits.values()):
        return compare_lpds(fits)
    loos = {n: f.loo for n, f in fits.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # raw numbers: ArviZ's "auto" rounding turns elpd -1130.4 into -1100 (then printed as
        # -1100.00, precision the number does not have); the CLI formats per column instead
        table = az.compare(loos, round_to="none")
    extra = pd.DataFrame({n: loo_row(f) for n, f in fits.items()}).T
    table = table.join(extra[["pareto_k_gt_0.7", "pareto_k_max"]])
    table.index.name = "model"
    return table


def compare_lpds(fits: dict[str, Any]) -> pd.DataFrame:
    """Rank fits on the same observations by one-step-ahead LPDS (higher is better).

    The criterion :func:`compare` uses when a state-space fit takes part (:data:`LPDS_NOTE`):
    ``lpds`` (sum of each period's log predictive density, nats), ``lpds_diff`` to the best
    fit and ``dse`` (standard error of that difference from the per-period differences),
    ``n_obs``.
    """
    scores = {}
    for name, f in fits.items():
        osa = f.one_step_ahead()
        scores[name] = pd.Series(np.asarray(osa["log_score"], dtype=np.float64),
                                 index=pd.DatetimeIndex(osa["date"]))
    frame = pd.DataFrame(scores)
    if frame.isna().any().any():
        raise InputError("the fits' one-step-ahead predictions cover different periods; "
                         "compare fits of the same panel span")
    total = frame.sum().sort_values(ascending=False)
    best = frame[total.index[0]]
    diff = frame.sub(best, axis=0)
    n = len(frame)
    table = pd.DataFrame({
        "rank": np.arange(len(total)),
        "lpds": total,
        "lpds_diff": diff.sum()[total.index],
        "dse": (diff.std(ddof=1) * np.sqrt(n))[total.index] if n > 1 else np.nan,
        "n_obs": n,
    })
    table.index.name = "model"
    return table
