"""The fit object and what hangs off it: the :class:`Fit` base (``base``) and one class per
model kind (``static``: :class:`StaticFit`, :class:`KnotGridFit`; ``state_space``:
:class:`StateSpaceFit`), building and loading them (``kinds``), reading their draws
(``draws``), NetCDF files (``io``), attribution tables (``attribution``), convergence
diagnostics, notebook display and the ``fit.summary`` namespace.

These names are importable from here; they load lazily so that importing a light
submodule (``macroattr.models.fit.attribution``) does not pull in the whole fit.
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "Fit": "base", "StaticFit": "static", "KnotGridFit": "static",
    "StateSpaceFit": "state_space", "fit_class": "kinds", "load_fit": "kinds", "make_fit": "kinds",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"macroattr.models.fit.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'macroattr.models.fit' has no attribute {name!r}")
