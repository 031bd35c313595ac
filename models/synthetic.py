"""Simulated panels with known alpha and betas (recovery tests, demos, benchmarks)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["simulate_panel"]

_DEFAULT = {
    "rates": ["d_2y", "d_policy_path"],
    "inflation": ["cpi_surprise"],
    "leverage": ["d_baa_spread"],
    "political": ["dlog_epu"],
}
_UNITS = {"d_2y": "pp", "d_policy_path": "pp", "cpi_surprise": "pp", "d_baa_spread": "pp",
          "dlog_epu": "log change", "rel_return": "pp"}
_SD = {"d_2y": 0.25, "d_policy_path": 0.2, "cpi_surprise": 0.2, "d_baa_spread": 0.2,
       "dlog_epu": 0.2}


def simulate_panel(
    n: int = 300,
    freq: str = "M",
    seed: int = 0,
    alpha: float = 0.1,
    betas: dict[str, float] | None = None,
    sigma: float = 3.0,
    nu: float | None = None,
    beta_paths: dict[str, np.ndarray] | None = None,
    start: str = "2000-01-31",
) -> tuple[Any, dict[str, Any]]:
    """Simulate a panel ``y = alpha + sum_k beta_k(t) x_k + e`` in natural units (pp).

    Factors have realistic scales; ``beta_paths`` (factor -> length-``n`` array) makes
    betas time-varying; ``nu`` gives Student-t errors. Returns ``(panel, truth)`` where
    ``truth`` has alpha, betas (or paths), sigma, groups.

    Examples
    --------
    >>> panel, truth = simulate_panel(n=24, seed=1)
    >>> list(panel.data.columns)[:2], truth["alpha"]
    (['rel_return', 'd_2y'], 0.1)
    """
    from macroattr.data_pipelines.panel import Panel

    rng = np.random.default_rng(seed)
    groups = _DEFAULT
    factors = [f for c in groups.values() for f in c]
    b = {"d_2y": 2.0, "d_policy_path": -1.0, "cpi_surprise": -1.5, "d_baa_spread": -3.0,
         "dlog_epu": -1.0}
    if betas:
        b.update(betas)
    code = {"M": "ME", "D": "B"}[freq]
    idx = pd.date_range(start, periods=n, freq=code, name="date")
    X = np.column_stack([rng.normal(0.0, _SD[f], size=n) for f in factors])
    X[:, 1] += 0.5 * X[:, 0]  # correlated rates factors, as in the data
    B = np.column_stack([beta_paths[f] if beta_paths and f in beta_paths else np.full(n, b[f])
                         for f in factors])
    e = sigma * (rng.standard_t(nu, size=n) if nu else rng.standard_normal(n))
    y = alpha + (B * X).sum(axis=1) + e
    df = pd.DataFrame(X, index=idx, columns=factors)
    df.insert(0, "rel_return", y)
    meta = {"freq": freq, "groups": {g: list(c) for g, c in groups.items()},
            "units": dict(_UNITS), "source": "synthetic", "seed": seed,
            "common_span": [str(idx[0].date()), str(idx[-1].date())]}
    truth = {"alpha": alpha, "betas": {f: b[f] for f in factors}, "sigma": sigma, "nu": nu,
             "groups": {g: list(c) for g, c in groups.items()}, "paths": B}
    return Panel(df, meta), truth
