"""Which :class:`~macroattr.models.fit.base.Fit` class a fit is, and building one:
:func:`fit_class` (by ``[model] betas``), :func:`make_fit` (from its parts) and
:func:`load_fit` (from a file written by :meth:`Fit.save`)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any


from macroattr.models.config import ModelConfig
from macroattr.models.fit.base import Fit
from macroattr.models.fit.state_space import StateSpaceFit
from macroattr.models.fit.static import KnotGridFit, StaticFit

if TYPE_CHECKING:
    import xarray as xr

    from macroattr.data_pipelines.panel import Panel
    from macroattr.models.estimation.design import Design
    from macroattr.models.fit.diagnostics import Diagnostics
    from macroattr.models.statespace.paths import StateSpacePaths

__all__ = ["KINDS", "fit_class", "load_fit", "make_fit"]

#: ``[model] betas`` -> the class of its fits.
KINDS: dict[str, type[Fit]] = {k.kind: k for k in (StaticFit, KnotGridFit, StateSpaceFit)}


def fit_class(config: ModelConfig) -> type[Fit]:
    """The :class:`Fit` subclass of the config's ``[model] betas``."""
    return KINDS[config.model.betas]


def make_fit(posterior: xr.Dataset, sample_stats: xr.Dataset | None, panel: Panel,
             config: ModelConfig, meta: dict[str, Any], diagnostics: Diagnostics | None = None,
             *, design: Design | None = None, paths: StateSpacePaths | None = None) -> Fit:
    """Build the fit of the config's kind from its parts (``paths``: the state-space filter
    a state-space fit was just drawn with, so it need not rerun)."""
    cls = fit_class(config)
    if paths is not None:
        return cls(posterior, sample_stats, panel, config, meta, diagnostics,
                   design=design, paths=paths)  # type: ignore[call-arg]
    return cls(posterior, sample_stats, panel, config, meta, diagnostics, design=design)


def load_fit(path: str | os.PathLike[str]) -> Fit:
    """Load a fit written by :meth:`Fit.save` (NetCDF; never pickle).

    Refuses (one-line :class:`~macroattr.core.errors.InputError`) a missing or
    unreadable file, a NetCDF that is not a macroattr fit, or one written by an
    incompatible version.

    Examples
    --------
    >>> load_fit("no/such/fit.nc")
    Traceback (most recent call last):
    ...
    macroattr.core.errors.InputError: fit file no/such/fit.nc not found; create one with `macroattr fit --out FILE`
    """
    from macroattr.models.fit.io import read_fit_parts

    parts = read_fit_parts(path)
    kept = parts.pop("stored", None) or {}
    fit = make_fit(**parts)
    fit._store.update(kept)  # the reductions saved with it (macroattr.models.fit.stored)
    return fit
