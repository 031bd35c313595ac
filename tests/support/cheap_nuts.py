"""Test support: a cheap stand-in for NUTS so plumbing tests run in milliseconds.

:func:`cheap_nuts_draws` returns draws with the exact shapes and variable names the NUTS
path produces (exact conjugate draws for the static part, small random walks for
time-varying paths, plausible sample stats) and marks them ``sampler = "cheap-stand-in"``.
It is for tests of persistence, attribution, CLI and reports, never for inference.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from macroattr.models.config import ModelConfig
from macroattr.models.estimation.design import Design

__all__ = ["cheap_nuts_draws", "install_cheap_sampler"]


def cheap_nuts_draws(design: Design, config: ModelConfig, progress: bool = False) -> tuple[dict[str, xr.Dataset], dict[str, Any]]:
    """Fake NUTS output (``{"posterior", "sample_stats"}``, info)."""
    from macroattr.models.estimation.exact import draw_exact

    s = config.sampler
    d = draw_exact(design, config)
    rng = np.random.default_rng(s.seed + 7)
    c, n = s.chains, s.draws
    K = design.n_factors
    coords = {"chain": np.arange(c), "draw": np.arange(n), "factor": design.factors}
    post = {"alpha_std": (("chain", "draw"), d["alpha"]),
            "beta_std": (("chain", "draw", "factor"), d["beta"]),
            "sigma_std": (("chain", "draw"), d["sigma"])}
    if config.model.likelihood == "student_t":
        post["nu"] = (("chain", "draw"), rng.gamma(20.0, 1.0, size=(c, n)))
    if config.model.betas == "time_varying":
        J = design.n_knots
        walk = np.cumsum(rng.normal(0, 0.05, size=(c, n, J, K)), axis=2)
        B = design.interp_matrix().mean(axis=0)
        path = walk - np.einsum("j,cdjk->cdk", B, walk)[:, :, None, :]
        post["tv_path"] = (("chain", "draw", "knot", "factor"), path.astype(np.float32))
        post["tv_scale"] = (("chain", "draw", "factor"), np.abs(rng.normal(0.1, 0.02, size=(c, n, K))))
        coords["knot"] = np.arange(J)
    stats = xr.Dataset({
        "diverging": (("chain", "draw"), np.zeros((c, n), dtype=bool)),
        "energy": (("chain", "draw"), rng.normal(size=(c, n)).cumsum(axis=1) * 0.1 + rng.normal(size=(c, n))),
        "n_steps": (("chain", "draw"), np.full((c, n), 7, dtype=np.int64)),
    }, coords={"chain": np.arange(c), "draw": np.arange(n)})
    return ({"posterior": xr.Dataset(post, coords=coords), "sample_stats": stats},
            {"compile_s": 0.0, "sampling_s": 0.0, "sampler": "cheap-stand-in", "cache_hit": False})


def install_cheap_sampler(monkeypatch: Any) -> None:
    """Route every NUTS sampler (nutpie, pymc, numpyro) to :func:`cheap_nuts_draws`."""
    import macroattr.models.estimation.sampling as sampling

    for name in ("_nutpie", "_pymc", "_numpyro"):
        monkeypatch.setattr(sampling, name, cheap_nuts_draws)
