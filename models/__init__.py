"""Bayesian macro-factor attribution models.

>>> from macroattr.models import ModelConfig, fit_model, load_fit   # doctest: +SKIP
>>> fit = fit_model(panel, ModelConfig.from_toml("configs/default.toml"))  # doctest: +SKIP

Heavy libraries (PyMC, ArviZ) load only when a fit or a table needs them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Fit", "ModelConfig", "compare", "fit_model", "load_fit", "simulate_panel"]

_LAZY = {
    "Fit": ("macroattr.models.fit.base", "Fit"),
    "ModelConfig": ("macroattr.models.config", "ModelConfig"),
    "compare": ("macroattr.models.analysis.comparison", "compare"),
    "fit_model": ("macroattr.models.estimation.fitting", "fit_model"),
    "load_fit": ("macroattr.models.fit.kinds", "load_fit"),
    "simulate_panel": ("macroattr.models.synthetic", "simulate_panel"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        mod, attr = _LAZY[name]
        return getattr(importlib.import_module(mod), attr)
    raise AttributeError(f"module macroattr.models has no attribute {name!r}")
