"""The fit object and what hangs off it: the :class:`Fit` (``base``), reading its draws (``draws``),
NetCDF files (``io``), attribution tables (``attribution``), convergence diagnostics, notebook display
and the ``fit.summary`` namespace.

``Fit`` and ``load_fit`` are importable from here; they load lazily so that importing a light
submodule (``macroattr.models.fit.attribution``) does not pull in the whole fit.
"""

from __future__ import annotations

__all__ = ["Fit", "load_fit"]


def __getattr__(name: str):
    if name in __all__:
        from macroattr.models.fit import base

        return getattr(base, name)
    raise AttributeError(f"module 'macroattr.models.fit' has no attribute {name!r}")
