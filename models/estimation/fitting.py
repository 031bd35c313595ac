"""``fit_model``: check the panel, draw the posterior, diagnose, and wrap it in a :class:`Fit`."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from macroattr.models.config import ModelConfig
from macroattr.models.estimation.design import build_design
from macroattr.models.fit.base import Fit
from macroattr.models.fit.kinds import make_fit
from macroattr.models.fit.io import FORMAT_VERSION

if TYPE_CHECKING:
    from macroattr.data_pipelines.panel import Panel

__all__ = ["fit_model", "versions"]


def versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Versions of the packages a fit depends on (plus ``extra``, e.g. the numpyro stack).

    Examples
    --------
    >>> sorted(versions(extra=("jax",)))[:3]
    ['arviz', 'jax', 'macroattr']
    """
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("macroattr", "pymc", "pytensor", "nutpie", "arviz", "numpy", "pandas", "xarray",
                *extra):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _without_zero_factors(panel: "Panel", cfg: ModelConfig) -> tuple[ModelConfig, list[str]]:
    """The config without factors that are exactly 0 on every period of the fit span.

    Such a factor carries no information there (e.g. the election-odds change outside the
    election cycles the data cover: 0 by definition, not measured): its contribution is 0 whatever
    its beta, and the beta is not identified, so it is left out of this fit, and a group left
    empty with it; the fit's notes say so. A constant that is not 0 is still an error.
    """
    import numpy as np
    import pandas as pd

    data = getattr(panel, "data", None)
    if cfg.groups is None or data is None or not hasattr(data, "columns"):
        return cfg, []
    df = data
    if cfg.start is not None:
        df = df.loc[df.index >= pd.Timestamp(cfg.start)]
    if cfg.end is not None:
        df = df.loc[df.index <= pd.Timestamp(cfg.end)]
    zero = [c for c in cfg.factors if c in df.columns and len(df)
            and np.all(df[c].to_numpy(dtype="float64", na_value=np.nan) == 0.0)]
    if not zero or len(zero) == len(cfg.factors):
        return cfg, []
    groups = {g: [c for c in cols if c not in zero] for g, cols in cfg.groups.items()}
    empty = [g for g, cols in groups.items() if not cols]
    groups = {g: cols for g, cols in groups.items() if cols}
    note = (f"left out of this fit: {', '.join(zero)} (0 on every period of the fit span, e.g. no election "
            "cycle covered: no information, beta not identified)")
    if empty:
        note += f"; group(s) {', '.join(empty)} dropped with it"
    return cfg.override(groups=groups), [note]


def fit_model(panel: Panel, config: ModelConfig | None = None, *,
              progress: bool | Callable[[int, int], None] = False) -> Fit:
    """Fit the attribution model to a panel.

    Parameters
    ----------
    panel : data_pipelines.Panel
        Uses ``panel.data`` (``rel_return`` and the configured factor columns) and
        ``panel.meta`` (freq, units).
    config : ModelConfig, optional
        Defaults to ``configs/default.toml``; a config without ``groups`` uses the panel's
        ``meta["groups"]``.
    progress : bool or callable
        True shows the sampler's progress bar; a callable ``progress(done, total)`` gets
        draw counts (tuning included) about once a second, for plain log lines
        (:class:`macroattr.core.progress.Progress`).

    Returns
    -------
    Fit
        With diagnostics and the convergence-gate verdict attached.

    Examples
    --------
    >>> from macroattr.models.synthetic import simulate_panel
    >>> panel, truth = simulate_panel(n=150, seed=0)
    >>> cfg = ModelConfig(groups=truth["groups"]).override(method="exact", likelihood="normal")
    >>> fit = fit_model(panel, cfg)
    >>> fit.diagnostics.gate.passed
    True
    """
    from macroattr.models.fit.diagnostics import compute_diagnostics
    from macroattr.models.estimation.sampling import sample_posterior

    cfg = (config if config is not None else ModelConfig.default()).for_panel(panel)
    cfg, zero_notes = _without_zero_factors(panel, cfg)
    t0 = time.perf_counter()
    design = build_design(panel, cfg)
    post, stats, info = sample_posterior(design, cfg, progress=progress)
    meta = {
        "format_version": FORMAT_VERSION,
        "method": cfg.sampler.method,
        "sampler": info["sampler"],
        "seed": cfg.sampler.seed,
        "timings": {"compile_s": round(info["compile_s"], 4),
                    "sampling_s": round(info["sampling_s"], 4)},
        "cache_hit": bool(info.get("cache_hit", False)),
        "versions": versions(("numpyro", "jax", "jaxlib") if info["sampler"] == "numpyro" else ()),
        "fitted_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "notes": list(zero_notes),
    }
    if getattr(post, "attrs", {}).get("grid_failed"):
        meta["notes"].append("discount pair(s) left out of the grid: their filter broke down numerically "
                             f"(a state variance grew without bound): {post.attrs['grid_failed']}")
    if cfg.sampler.method == "exact":
        meta["notes"].append(
            "exact method: normal likelihood with the conjugate normal-inverse-gamma prior "
            "(no pooling, no Student-t) regardless of [model] likelihood and [priors] family"
        )
    if cfg.model.betas == "state_space":
        meta["notes"] = [n for n in meta["notes"] if not n.startswith("exact method")]
        meta["notes"].append(
            "state-space model: random-walk alpha and betas, normal errors with time-varying "
            "volatility (conjugate discount model); [model] likelihood is not used")
        meta["state_space"] = info.get("summary", {})
    paths = None
    if "grid_filter" in info:  # hand the filter over: the fit need not rerun it
        from macroattr.models.statespace.paths import StateSpacePaths

        paths = StateSpacePaths(design, cfg, post, grid=info["grid_filter"], scales=info["scales"])
    fit = make_fit(post, stats, panel, cfg, meta, design=design, paths=paths)
    t1 = time.perf_counter()
    fit.diagnostics = compute_diagnostics(fit, cfg.gate, cfg.sampler.method)
    meta["timings"]["diagnostics_s"] = round(time.perf_counter() - t1, 4)
    meta["timings"]["total_s"] = round(time.perf_counter() - t0, 4)
    return fit
