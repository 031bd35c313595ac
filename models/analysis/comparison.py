"""Model comparison by PSIS-LOO."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from macroattr.core.errors import InputError

__all__ = ["compare", "loo_row"]


def loo_row(fit: Any) -> dict[str, Any]:
    """elpd_loo, se, p_loo and Pareto-k counts (k > 0.7 flags unreliable LOO)."""
    lo = fit.loo
    k = np.asarray(lo.pareto_k).ravel()
    return {"elpd_loo": float(lo.elpd), "se": float(lo.se), "p_loo": float(lo.p),
            "n_obs": int(lo.n_data_points), "pareto_k_gt_0.7": int((k > 0.7).sum()),
            "pareto_k_max": float(np.nanmax(k)), "warning": bool(lo.warning)}


def compare(fits: dict[str, Any]) -> pd.DataFrame:
    """Rank fits by elpd_loo (higher is better): elpd_diff and its SE from ArviZ.

    Fits must be on the same observations (same panel rows and target).

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
                             f"({len(y)} vs {len(ref[1])} periods); compare fits of the same panel span")
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
