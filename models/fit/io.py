"""Saving and loading fits as NetCDF (h5netcdf groups; never pickle).

Layout: root attributes carry the format tag and version, the config (JSON), the panel
meta (JSON), the fit meta (versions, seed, sampler, timings) and the gate verdict; groups
``posterior``, ``sample_stats`` (NUTS only), ``panel`` (the data, dim ``date``) and
``diagnostics`` (the per-parameter table).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from macroattr.core.errors import InputError
from macroattr.core.io import atomic_path

__all__ = ["FORMAT_TAG", "FORMAT_VERSION", "read_fit_parts", "save_fit"]

FORMAT_TAG = "macroattr-fit"
#: Version of the fit file layout this macroattr writes.
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)


def _panel_dataset(panel: Any) -> xr.Dataset:
    df = panel.data
    ds = xr.Dataset(
        {str(c): ("date", np.asarray(df[c].to_numpy(), dtype=np.float64)) for c in df.columns},
        coords={"date": pd.DatetimeIndex(df.index).to_numpy()},
    )
    ds.attrs["columns"] = json.dumps([str(c) for c in df.columns])
    return ds


def save_fit(fit: Any, path: str | Path) -> str:
    """Write ``fit`` to ``path`` atomically (NetCDF4 via h5netcdf); returns the path.

    The file is built in memory first and then written with plain file I/O: HDF5 does not
    survive a full disk (it crashed the process), Python's ``write`` raises, so a full disk,
    a read-only file system or a missing permission is one
    :class:`~macroattr.core.errors.InputError` line, the temp file is removed and
    a previous file at ``path`` is untouched. Free space is checked before writing.
    """
    path = Path(path)
    diag = fit.diagnostics
    root = xr.Dataset(attrs={
        "format": FORMAT_TAG,
        "format_version": FORMAT_VERSION,
        "config": fit.config.to_json(),
        "panel_meta": json.dumps(fit.panel.meta, default=str),
        "meta": json.dumps(fit.meta, default=str),
        "gate": diag.gate.to_json() if diag is not None else "",
        "divergences": int(diag.divergences) if diag is not None else 0,
        "bfmi": json.dumps(diag.bfmi if diag is not None else []),
        "method": diag.method if diag is not None else "",
    })
    groups: dict[str, xr.Dataset] = {"/": root, "posterior": fit.posterior,
                                     "panel": _panel_dataset(fit.panel)}
    if fit.sample_stats is not None:
        groups["sample_stats"] = fit.sample_stats
    if diag is not None:
        groups["diagnostics"] = xr.Dataset.from_dataframe(diag.table.set_index("parameter"))
    tree = xr.DataTree.from_dict(groups)
    from macroattr.core.io import check_destination

    check_destination(path, option="fit file")  # a directory, read-only place: before the work
    with _no_dask_probe():
        view = tree.to_netcdf(None, engine="h5netcdf")  # a memoryview of an in-memory HDF5 file
    data = bytes(view)
    # release the view at once: an HDF5 handle the garbage collector closes later flushes into
    # the buffer, which must not be pinned by an export then (that crashed the process)
    view.release()
    del view
    check_destination(path, option="fit file", need_bytes=len(data) + (1 << 20))
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())  # a full disk shows here, not later in a truncated file
    return str(path)


@contextlib.contextmanager
def _no_dask_probe() -> Iterator[None]:
    """Skip xarray's dask-scheduler probe unless dask.distributed is loaded (our arrays are
    numpy, so no dask scheduler takes part in the write).

    The probe imports ``dask.distributed`` (seconds in a fresh process) only to learn that
    no distributed client is active.
    """
    if "dask.distributed" in sys.modules:
        yield
        return
    from xarray.backends import locks, writers

    saved = [(m, m.get_dask_scheduler) for m in (writers, locks)]
    for m, _ in saved:
        m.get_dask_scheduler = lambda *a, **k: None
    try:
        yield
    finally:
        for m, probe in saved:
            m.get_dask_scheduler = probe


def read_fit_parts(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a fit file; returns the keyword arguments of :class:`~macroattr.models.fit.base.Fit`
    (plus ``diagnostics``). Users call :func:`macroattr.models.load_fit`.

    Refuses (one-line :class:`~macroattr.core.errors.InputError`) a missing or unreadable
    file, a NetCDF that is not a macroattr fit, or one written by an incompatible version.

    Examples
    --------
    >>> read_fit_parts("no/such/fit.nc")
    Traceback (most recent call last):
    ...
    macroattr.core.errors.InputError: fit file no/such/fit.nc not found; create one with `macroattr fit --out FILE`
    """
    from macroattr.models.config import ModelConfig
    from macroattr.models.fit.diagnostics import Diagnostics, Gate

    path = Path(path)
    if not path.is_file():
        raise InputError(f"fit file {path} not found; create one with `macroattr fit --out FILE`")
    try:
        tree = xr.open_datatree(path, engine="h5netcdf")
    except Exception as exc:  # noqa: BLE001 - any reader failure means not a NetCDF we can read
        raise InputError(f"{path} is not a readable NetCDF fit file ({type(exc).__name__}); "
                         "refit with `macroattr fit`") from None
    try:
        attrs = dict(tree.attrs)
        if attrs.get("format") != FORMAT_TAG:
            raise InputError(f"{path} is a NetCDF file but not a macroattr fit (no "
                             f"'{FORMAT_TAG}' tag); pass a file written by `macroattr fit`")
        ver = int(attrs.get("format_version", -1))
        if ver not in SUPPORTED_VERSIONS:
            raise InputError(f"{path} was written in fit format version {ver}; this macroattr "
                             f"reads {SUPPORTED_VERSIONS}; refit with this version")
        for g in ("posterior", "panel"):
            if g not in tree.children:
                raise InputError(f"{path} is an incomplete macroattr fit (no {g} group); refit")
        config = ModelConfig.from_json(attrs["config"])
        panel_meta = json.loads(attrs["panel_meta"])
        meta = json.loads(attrs["meta"])
        post = tree["posterior"].to_dataset().load()
        stats = tree["sample_stats"].to_dataset().load() if "sample_stats" in tree.children else None
        pds = tree["panel"].to_dataset().load()
        cols = json.loads(pds.attrs["columns"])
        df = pd.DataFrame({c: pds[c].to_numpy() for c in cols},
                          index=pd.DatetimeIndex(pds["date"].to_numpy(), name="date"))
        table = None
        if "diagnostics" in tree.children:
            table = tree["diagnostics"].to_dataset().load().to_dataframe().reset_index()
    except InputError:
        raise
    except (KeyError, ValueError, TypeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} is a damaged macroattr fit ({type(exc).__name__}: {exc}); refit") from None
    finally:
        tree.close()
    from macroattr.data_pipelines.panel import Panel

    panel = Panel(df, panel_meta)
    parts: dict[str, Any] = {"posterior": post, "sample_stats": stats, "panel": panel,
                             "config": config, "meta": meta, "diagnostics": None}
    if table is not None and attrs.get("gate"):
        parts["diagnostics"] = Diagnostics(table=table, divergences=int(attrs.get("divergences", 0)),
                                      bfmi=json.loads(attrs.get("bfmi", "[]")),
                                      gate=Gate.from_json(attrs["gate"]),
                                      method=str(attrs.get("method", meta.get("method", ""))))
    return parts
