"""Saving and loading fits as NetCDF (h5netcdf groups; never pickle).

Layout: root attributes carry the format tag and version, the config (JSON), the panel
meta (JSON), the fit meta (versions, seed, sampler, timings) and the gate verdict; groups
``posterior``, ``sample_stats`` (NUTS only), ``panel`` (the data, dim ``date``) and
``diagnostics`` (the per-parameter table) and, for state-space fits, ``stored`` (the
per-draw reductions the page reads: :mod:`macroattr.models.fit.stored`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from macroattr.core.errors import InputError
from macroattr.core.io import atomic_path
from macroattr.models.estimation.drawset import NOT_A_VARIABLE, DrawSet, h5_attrs

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["FORMAT_TAG", "FORMAT_VERSION", "REQUIRED_VARIABLES", "check_posterior", "read_fit_parts",
           "save_fit"]

FORMAT_TAG = "macroattr-fit"
#: Version of the fit file layout this macroattr writes.
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)

_S = ("chain", "draw")
#: The posterior variables (name -> dims) every reader of a fit of each ``[model] betas``
#: needs, whatever the command (summary, attribution, report, scenario, compare, event);
#: ``+nuts`` / ``+student_t`` entries are added for that sampler method / likelihood.
#: The one home of this rule: :func:`check_posterior` applies it when a fit file is read.
REQUIRED_VARIABLES: dict[str, dict[str, tuple[str, ...]]] = {
    "static": {"alpha_std": _S, "beta_std": (*_S, "factor"), "sigma_std": _S},
    "static+nuts+student_t": {"nu": _S},
    "time_varying": {"alpha_std": _S, "beta_std": (*_S, "factor"), "sigma_std": _S,
                     "tv_scale": (*_S, "factor"), "tv_path": (*_S, "knot", "factor")},
    "time_varying+nuts+student_t": {"nu": _S},
    "state_space": {"grid_index": _S, "delta_beta": _S, "delta_v": _S,
                    "grid_delta_beta": ("grid",), "grid_delta_v": ("grid",),
                    "grid_log_ml": ("grid",), "grid_weight": ("grid",)},
    "state_space+nuts": {"log_omega_beta": _S, "log_omega_v": _S},
}


def required_variables(config: Any) -> dict[str, tuple[str, ...]]:
    """The posterior variables (name -> dims) a fit of ``config`` is read with
    (:data:`REQUIRED_VARIABLES` for its kind, sampler method and likelihood)."""
    kind, method, lik = config.model.betas, config.sampler.method, config.model.likelihood
    out: dict[str, tuple[str, ...]] = {}
    for key in (kind, f"{kind}+{method}", f"{kind}+{method}+{lik}"):
        out.update(REQUIRED_VARIABLES.get(key, {}))
    return out


def check_posterior(post: xr.Dataset, config: Any, path: str | os.PathLike[str]) -> None:
    """Refuse (one-line :class:`~macroattr.core.errors.InputError` naming the file and the
    variable) a posterior that lacks a variable its kind of fit is read with, holds it with
    other dimensions, or holds a non-finite value (NaN, inf) in any variable: every reader
    would otherwise crash or print numbers computed from it.

    Examples
    --------
    >>> from macroattr.models import ModelConfig
    >>> cfg = ModelConfig(groups={"rates": ["d_2y"]}).override(method="exact")
    >>> import xarray as xr
    >>> post = xr.Dataset({"alpha_std": (("chain", "draw"), [[0.1, np.nan]])})
    >>> check_posterior(post, cfg, "f.nc")
    Traceback (most recent call last):
    ...
    macroattr.core.errors.InputError: fit file f.nc lacks the posterior variable 'beta_std' a static fit (exact) is read with; it is damaged or was not written by `macroattr fit`: refit with `macroattr fit --out f.nc`
    """
    what = f"a {config.model.betas.replace('_', '-')} fit ({config.sampler.method})"
    redo = f"refit with `macroattr fit --out {path}`"
    for name, dims in required_variables(config).items():
        if name not in post.data_vars:
            raise InputError(f"fit file {path} lacks the posterior variable '{name}' {what} is read "
                             f"with; it is damaged or was not written by `macroattr fit`: {redo}")
        if tuple(post[name].dims) != dims:
            raise InputError(f"fit file {path}: posterior variable '{name}' has dimensions "
                             f"{tuple(post[name].dims)}, {what} stores {dims}; the file is "
                             f"damaged: {redo}")
    for name, var in post.data_vars.items():
        if var.dtype.kind not in "biuf":
            continue
        a = np.asarray(var.values)
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            bad = int((~np.isfinite(a)).sum())
            kind = "NaN" if np.isnan(a).any() else "infinite"
            raise InputError(f"fit file {path}: posterior variable '{name}' holds {bad} {kind} "
                             f"value(s) of {a.size}; its numbers cannot be trusted: {redo}")
    if "grid_index" in post.data_vars and "grid" in post.sizes:
        gi = np.asarray(post["grid_index"].values)
        if gi.size and (gi.min() < 0 or gi.max() >= post.sizes["grid"]):
            raise InputError(f"fit file {path}: posterior variable 'grid_index' points outside "
                             f"its discount grid of {post.sizes['grid']} points; the file is "
                             f"damaged: {redo}")


def _panel_dataset(panel: Any) -> xr.Dataset:
    import xarray as xr

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
    import xarray as xr

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
    from macroattr.models.fit.page_inputs import fill_page
    from macroattr.models.fit.stored import to_dataset

    fill_page(fit)  # the page's fit-level inputs (robust comparator, breaks, listed windows)
    kept = to_dataset(fit)  # what the page reads, so a loaded fit redraws nothing
    if kept is not None:
        groups["stored"] = kept
    tree = xr.DataTree.from_dict(groups)
    from macroattr.core.io import check_destination

    check_destination(path, option="fit file")  # a directory, read-only place: before the work
    from macroattr.models.fit.netcdf import tree_to_bytes

    data = tree_to_bytes(tree)  # the in-memory HDF5 file, closed before its bytes are taken
    check_destination(path, option="fit file", need_bytes=len(data) + (1 << 20))
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())  # a full disk shows here, not later in a truncated file
    return str(path)


def _format_version(raw: Any) -> int | None:
    """The stored ``format_version`` as an int, None when it is not a whole number (a string
    such as ``"1.0"``, a float 1.5, an array)."""
    if isinstance(raw, (bool, np.bool_)):
        return None
    if isinstance(raw, (int, np.integer)):
        return int(raw)
    if isinstance(raw, (float, np.floating)) and float(raw).is_integer():
        return int(raw)
    return None


def _written_by(attrs: dict[str, Any]) -> str:
    """`` by macroattr X.Y`` from the stored fit meta, when it can be read."""
    try:
        v = json.loads(attrs.get("meta", "{}")).get("versions", {}).get("macroattr")
    except (TypeError, ValueError, AttributeError):
        return ""
    return f" by macroattr {v}" if isinstance(v, str) and v else ""


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:197] + "..."


def _decoded(value: Any) -> Any:
    """An attribute as xarray reads it (bytes decoded as UTF-8 where they decode)."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value
    return value


def _dates(var: Any) -> np.ndarray:
    """A CF-encoded date variable (``<unit> since <date>``, standard calendars) as
    ``datetime64[ns]``, decoded with NumPy and pandas; other encodings through xarray's
    public CF decoder."""
    units = str(var.attrs.get("units", ""))
    cal = str(var.attrs.get("calendar", "standard")).lower()
    step = {"days": "D", "hours": "h", "minutes": "m", "seconds": "s", "milliseconds": "ms",
            "microseconds": "us", "nanoseconds": "ns"}
    unit, _, ref = units.partition(" since ")
    a = np.asarray(var.values)
    if (unit in step and ref and cal in ("standard", "gregorian", "proleptic_gregorian")
            and a.dtype.kind in "iu" and "_FillValue" not in var.attrs):
        origin = pd.Timestamp(ref).tz_localize(None) if pd.Timestamp(ref).tzinfo is None \
            else pd.Timestamp(ref).tz_convert(None)
        return (np.datetime64(origin.to_datetime64(), "ns")
                + a.astype(np.int64).astype(f"timedelta64[{step[unit]}]").astype("timedelta64[ns]"))
    from xarray.coders import CFDatetimeCoder
    import xarray as xr

    return np.asarray(CFDatetimeCoder().decode(xr.Variable(var.dims, a, var.attrs)).values)


def _table(ds: Any) -> pd.DataFrame:
    """A one-dimensional group (the diagnostics table) as the frame ``to_dataframe()``
    gives: its dimension coordinate first, then the variables."""
    (dim,) = tuple(ds.sizes) or ("index",)
    index = ds[dim].values if dim in ds else np.arange(ds.sizes.get(dim, 0))
    return pd.DataFrame({dim: index, **{k: v.values for k, v in ds.data_vars.items()}})


def _stored_arrays(g: Any) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The stored group's variables (an open ``h5py.Group``) as plain arrays and its
    attributes (its variables are plain numeric arrays whose dimensions carry no
    coordinates: nothing to decode): the same arrays as h5netcdf's variables, a third of the
    time for the group's many small entries."""
    import h5py

    arrays: dict[str, np.ndarray] = {}
    for k, d in g.items():
        if not isinstance(d, h5py.Dataset):
            continue
        name = d.attrs.get("NAME")
        if isinstance(name, bytes) and name.startswith(NOT_A_VARIABLE):
            continue  # a dimension, not a variable
        arrays[str(k)] = np.asarray(d[()])
    attrs = {str(k): _decoded(v) for k, v in h5_attrs(g).items()}
    return arrays, attrs


def _group(handle: Any, path: Path, name: str) -> DrawSet:
    """Group ``name`` of the open file as a :class:`DrawSet` (h5py, or h5netcdf for a group
    in a layout :meth:`DrawSet.from_h5` leaves to it)."""
    got = DrawSet.from_h5(handle[name])
    if got is not None:
        return got
    import h5netcdf

    with h5netcdf.File(path, "r", phony_dims="access") as h:
        return DrawSet.from_group(h.groups[name])


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
    redo = f"refit with `macroattr fit --out {path}`"
    try:
        # The file is read with h5py (the HDF5 reader under h5netcdf) as h5netcdf reads it
        # (DrawSet.from_h5): h5netcdf's per-variable dimension lookups cost a fifth of a
        # cached command's reading; a group in any other layout is read with h5netcdf.
        import h5py

        handle = h5py.File(path, "r")
    except Exception as exc:  # noqa: BLE001 - any reader failure means not a NetCDF we can read
        raise InputError(f"{path} is not a readable NetCDF fit file ({type(exc).__name__}); "
                         "pass a file written by `macroattr fit`, or refit with `macroattr fit`") from None
    try:
        attrs = {k: _decoded(v) for k, v in h5_attrs(handle).items()}
        children = {str(k) for k, v in handle.items() if isinstance(v, h5py.Group)}
        tag = attrs.get("format")
        if tag != FORMAT_TAG:
            if isinstance(tag, str) and tag.startswith("macroattr"):
                raise InputError(f"{path} is a macroattr file of type '{tag}', not a fit "
                                 f"('{FORMAT_TAG}'); pass a file written by `macroattr fit`")
            raise InputError(f"{path} is an HDF5/NetCDF file but not a macroattr fit (no "
                             f"format = '{FORMAT_TAG}' attribute); pass a file written by "
                             "`macroattr fit`")
        by = _written_by(attrs)
        ver = _format_version(attrs.get("format_version"))
        if ver not in SUPPORTED_VERSIONS:
            raw = attrs.get("format_version", "none")
            raw = raw.item() if isinstance(raw, np.generic) else raw
            raise InputError(f"{path} is a fit in file format version {raw!r}{by}; this macroattr "
                             f"reads format version {', '.join(map(str, SUPPORTED_VERSIONS))}: "
                             f"{redo}")
        for g in ("posterior", "panel"):
            if g not in children:
                raise InputError(f"{path} is an incomplete macroattr fit (no {g} group): {redo}")
        try:
            config = ModelConfig.from_json(attrs["config"])
        except InputError as exc:  # a key or value another version wrote
            detail = str(exc).removeprefix("saved configuration: ").split("; check the spelling")[0]
            raise InputError(f"{path} holds a model configuration this macroattr cannot read "
                             f"({detail}); it was written{by or ' by another version'}: "
                             f"{redo}") from None
        panel_meta = json.loads(attrs["panel_meta"])
        meta = json.loads(attrs["meta"])
        # read as arrays (no xarray import); the Dataset is built when a user asks for it
        post = _group(handle, path, "posterior")
        stats = _group(handle, path, "sample_stats") if "sample_stats" in children else None
        pds = _group(handle, path, "panel")
        cols = json.loads(pds.attrs["columns"])
        gone = [c for c in cols if c not in pds.data_vars]
        if gone:
            raise InputError(f"fit file {path}: its stored panel lacks the column(s) "
                             f"{', '.join(map(repr, gone))} it lists; the file is damaged: {redo}")
        df = pd.DataFrame({c: pds[c].to_numpy() for c in cols},
                          index=pd.DatetimeIndex(_dates(pds["date"]), name="date"))
        table = None
        if "diagnostics" in children:
            table = _table(_group(handle, path, "diagnostics"))
        kept = _stored_arrays(handle["stored"]) if "stored" in children else None
    except InputError:
        raise
    except (KeyError, ValueError, TypeError, OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} is a damaged macroattr fit ({type(exc).__name__}: "
                         f"{_one_line(exc)}): {redo}") from None
    finally:
        handle.close()
    check_posterior(post, config, path)
    from macroattr.data_pipelines.panel import Panel

    panel = Panel(df, panel_meta)
    from macroattr.models.fit.stored import from_group

    parts: dict[str, Any] = {"posterior": post, "sample_stats": stats, "panel": panel,
                             "config": config, "meta": meta, "diagnostics": None,
                             "stored": from_group(kept, df, attrs["config"], post)}
    if table is not None and attrs.get("gate"):
        parts["diagnostics"] = Diagnostics(table=table, divergences=int(attrs.get("divergences", 0)),
                                      bfmi=json.loads(attrs.get("bfmi", "[]")),
                                      gate=Gate.from_json(attrs["gate"]),
                                      method=str(attrs.get("method", meta.get("method", ""))))
    return parts
