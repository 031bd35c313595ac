"""macroattr: Bayesian macro-factor attribution of the Russell 2000 minus S&P 500 return.

One import root.  The stages, in the order data flows::

    macroattr.data_pipelines  ->  macroattr.models  ->  macroattr.reports  (app: macroattr.cli)

The common entry points are importable from here; each loads its layer only when used,
so ``import macroattr`` is cheap.

Examples
--------
>>> import macroattr
>>> panel = macroattr.build_panel(freq="M", start="2023-01-01", end="2024-12-31")
>>> cfg = macroattr.ModelConfig.default().override(method="exact", draws=200)
>>> fit = macroattr.fit_model(panel, cfg)
>>> fit.quarters[-1]
'2024Q4'
>>> macroattr.render_report(fit, "latest", "out").name   # doctest: +SKIP
'2024Q4.html'
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["Fit", "ModelConfig", "Panel", "__version__", "build_panel", "compare", "fit_model",
           "load_fit", "render_report", "run_pipeline"]

_LAZY = {
    "build_panel": "macroattr.data_pipelines.panel",
    "Panel": "macroattr.data_pipelines.panel",
    "ModelConfig": "macroattr.models.config",
    "fit_model": "macroattr.models.estimation.fitting",
    "Fit": "macroattr.models.fit.base",
    "load_fit": "macroattr.models.fit.kinds",
    "compare": "macroattr.models.analysis.comparison",
    "render_report": "macroattr.reports.render",
    "run_pipeline": "macroattr.jobs.run",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("macroattr")
        except PackageNotFoundError:  # running from a source tree without an install
            return "0+unknown"
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'macroattr' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
