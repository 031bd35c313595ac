"""A fit's posterior draws as plain NumPy arrays, read without building xarray objects.

Every xarray object built in this environment imports dask (and through it sparse, numba
and scipy: about 1–3 s of a command's start-up) for xarray's duck-array checks. The
commands on a cached fit need the posterior only as arrays, so a loaded fit keeps it as a
:class:`DrawSet` (the subset of :class:`xarray.Dataset` the readers use: ``ds[name].values``,
``.dims``, ``.attrs``, ``.dtype``, ``ds.sizes``, ``name in ds``, ``ds.data_vars``) and builds
the :class:`xarray.Dataset` only when a user asks for ``fit.posterior`` (or the fit is saved
or exported): :meth:`DrawSet.to_dataset` gives what ``xarray.open_dataset`` gives for the
file's ``posterior`` group (CF decoding by :func:`xarray.decode_cf`;
``tests/models/test_persistence.py``).

Examples
--------
>>> import xarray as xr
>>> ds = xr.Dataset({"a": (("chain", "draw"), np.arange(6.0).reshape(2, 3))},
...                 coords={"chain": [0, 1], "draw": [0, 1, 2]})
>>> d = DrawSet.from_dataset(ds)
>>> d.sizes["draw"], "a" in d, d["a"].values.sum()
(3, True, np.float64(15.0))
>>> d.to_dataset().identical(ds)
True
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

__all__ = ["DrawSet", "DrawVar"]


class DrawVar:
    """One variable: ``dims``, ``values`` (C-contiguous NumPy array) and ``attrs``."""

    __slots__ = ("attrs", "dims", "values")

    def __init__(self, dims: tuple[str, ...], values: np.ndarray, attrs: dict[str, Any] | None = None
                 ) -> None:
        self.dims = tuple(str(d) for d in dims)
        self.values = np.ascontiguousarray(values)
        self.attrs = dict(attrs or {})

    @property
    def dtype(self) -> np.dtype:
        return self.values.dtype

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.values.shape)

    def to_numpy(self) -> np.ndarray:
        return self.values

    def __repr__(self) -> str:
        return f"<DrawVar {self.dims} {self.dtype} {self.shape}>"


class DrawSet(Mapping[str, DrawVar]):
    """Data variables and coordinates of a posterior as :class:`DrawVar` (see the module).

    ``raw``: the variables as stored in the file (undecoded, CF attributes kept), from which
    :meth:`to_dataset` builds the xarray Dataset; None when built from a Dataset."""

    def __init__(self, data_vars: dict[str, DrawVar], coords: dict[str, DrawVar],
                 attrs: dict[str, Any] | None = None, *, dataset: Any = None,
                 raw: dict[str, tuple[tuple[str, ...], np.ndarray, dict[str, Any]]] | None = None,
                 coord_names: tuple[str, ...] = ()) -> None:
        self.data_vars = data_vars
        self.coords = coords
        self.attrs = dict(attrs or {})
        self._dataset = dataset
        self._raw = raw
        self._coord_names = coord_names
        sizes: dict[str, int] = {}
        for v in (*coords.values(), *data_vars.values()):
            sizes.update(zip(v.dims, v.values.shape, strict=True))
        self.sizes = sizes
        self.dims = sizes

    # Mapping over data variables and coordinates (like ``name in Dataset``)
    def __getitem__(self, name: str) -> DrawVar:
        if name in self.data_vars:
            return self.data_vars[name]
        return self.coords[name]

    def __iter__(self) -> Iterator[str]:
        return iter([*self.coords, *self.data_vars])

    def __len__(self) -> int:
        return len(self.coords) + len(self.data_vars)

    def __contains__(self, name: object) -> bool:
        return name in self.data_vars or name in self.coords

    def __repr__(self) -> str:
        return f"<DrawSet {dict(self.sizes)}: {', '.join(self.data_vars)}>"

    # ------------------------------------------------------------------ conversions
    @classmethod
    def from_dataset(cls, ds: Any) -> DrawSet:
        """The arrays of an (in-memory) :class:`xarray.Dataset`, which :meth:`to_dataset`
        returns as is."""
        data = {str(k): DrawVar(v.dims, np.asarray(v.values), v.attrs) for k, v in ds.data_vars.items()}
        coords = {str(k): DrawVar(v.dims, np.asarray(v.values), v.attrs) for k, v in ds.coords.items()}
        return cls(data, coords, dict(ds.attrs), dataset=ds)

    @classmethod
    def from_group(cls, group: Any) -> DrawSet:
        """The variables of an open ``h5netcdf`` group (the file's ``posterior``): numbers
        as stored, booleans (``dtype = "bool"``) as bool, strings as ``str``; a variable
        named by a dimension is a coordinate, as are the variables other variables name in
        their ``coordinates`` attribute."""
        raw: dict[str, tuple[tuple[str, ...], np.ndarray, dict[str, Any]]] = {}
        named: set[str] = set()
        for k, v in group.variables.items():
            attrs = {a: (b.decode("utf-8", "replace") if isinstance(b, bytes) else b)
                     for a, b in v.attrs.items()}
            raw[str(k)] = (tuple(v.dimensions), np.asarray(v[...]), attrs)
            named.update(str(attrs.get("coordinates", "")).split())
        dims = set(group.dimensions)
        coord_names = tuple(k for k in raw if k in dims or k in named)
        data, coords = {}, {}
        for k, (d, a, attrs) in raw.items():
            clean = {x: y for x, y in attrs.items() if x not in ("coordinates", "dtype")}
            var = DrawVar(d, _plain(a, attrs), clean)
            (coords if k in coord_names else data)[k] = var
        gattrs = {a: (b.decode("utf-8", "replace") if isinstance(b, bytes) else b)
                  for a, b in group.attrs.items()}
        return cls(data, coords, gattrs, raw=raw, coord_names=coord_names)

    @classmethod
    def from_h5(cls, group: Any) -> DrawSet | None:
        """:meth:`from_group` of the same group opened with h5py (an ``h5py.Group``): the
        same variables, dimensions, values and attributes (``tests/models/test_drawset_h5.py``)
        at a fifth of the time, for the plain layout a fit file has (1-D dimension scales,
        variables whose every axis names one scale, scalars). None when the group holds
        anything else (multi-dimensional or clashing coordinate names, unnamed axes, a
        dataset shorter than its dimension): the caller reads that group with h5netcdf."""
        import h5py

        raw: dict[str, tuple[tuple[str, ...], np.ndarray, dict[str, Any]]] = {}
        named: set[str] = set()
        dims: set[str] = set()
        sizes: dict[str, int] = {}
        for k, d in group.items():
            if not isinstance(d, h5py.Dataset):
                continue
            k = str(k)
            a = d.attrs
            if "_nc4_non_coord_" in k:
                return None
            if a.get("CLASS") == b"DIMENSION_SCALE":
                if d.ndim != 1:
                    return None
                dims.add(k)
                sizes[k] = d.shape[0]
                name = a.get("NAME")
                if isinstance(name, bytes) and name.startswith(NOT_A_VARIABLE):
                    continue  # a dimension, not a variable
                vdims: tuple[str, ...] = (k,)
            elif d.ndim == 0:
                vdims = ()
            else:
                refs = a.get("DIMENSION_LIST")
                if refs is None or len(refs) != d.ndim or any(len(r) != 1 for r in refs):
                    return None
                vdims = tuple(str(group.file[r[-1]].name).rsplit("/", 1)[-1] for r in refs)
            attrs = {x: (y.decode("utf-8", "replace") if isinstance(y, bytes) else y)
                     for x, y in h5_attrs(d).items()}
            raw[k] = (vdims, np.asarray(d[()]), attrs)
            named.update(str(attrs.get("coordinates", "")).split())
        for vdims, arr, _ in raw.values():
            if any(x not in sizes or sizes[x] != n for x, n in zip(vdims, arr.shape, strict=True)):
                return None  # a dimension of another group, or padded data
        coord_names = tuple(k for k in raw if k in dims or k in named)
        data, coords = {}, {}
        for k, (d_, arr, attrs) in raw.items():
            clean = {x: y for x, y in attrs.items() if x not in ("coordinates", "dtype")}
            (coords if k in coord_names else data)[k] = DrawVar(d_, _plain(arr, attrs), clean)
        gattrs = {a: (b.decode("utf-8", "replace") if isinstance(b, bytes) else b)
                  for a, b in h5_attrs(group).items()}
        return cls(data, coords, gattrs, raw=raw, coord_names=coord_names)

    @classmethod
    def of(cls, data_vars: dict[str, tuple[Any, ...]], coords: dict[str, Any],
           attrs: dict[str, Any] | None = None) -> DrawSet:
        """A DrawSet built in memory, as ``xarray.Dataset(data_vars, coords, attrs)`` would
        be: ``data_vars`` name -> ``(dims, values[, attrs])``, ``coords`` name -> values of a
        dimension coordinate. A fresh fit's posterior is one, so fitting builds no xarray
        object (each imports dask); :meth:`to_dataset` builds that Dataset when asked.

        Examples
        --------
        >>> d = DrawSet.of({"a": (("chain", "draw"), np.zeros((2, 3)))},
        ...                {"chain": np.arange(2), "draw": np.arange(3)})
        >>> d.assign(b=(("chain",), np.ones(2))).to_dataset()["b"].dims
        ('chain',)
        """
        data = {k: DrawVar(v[0], np.asarray(v[1]), v[2] if len(v) > 2 else None)
                for k, v in data_vars.items()}
        coord = {k: DrawVar((k,), np.asarray(v)) for k, v in coords.items()}
        return cls(data, coord, attrs)

    def assign(self, **variables: tuple[Any, ...]) -> DrawSet:
        """A new in-memory DrawSet with ``variables`` (``(dims, values[, attrs])``) replaced
        in place or added at the end, as :meth:`xarray.Dataset.assign`."""
        data = {k: (v.dims, v.values, v.attrs) for k, v in self.data_vars.items()}
        data.update(variables)
        return DrawSet.of(data, {k: v.values for k, v in self.coords.items()}, self.attrs)

    def assign_coords(self, **coords: Any) -> DrawSet:
        """A new in-memory DrawSet with dimension coordinates ``coords`` added or replaced,
        as :meth:`xarray.Dataset.assign_coords`."""
        data = {k: (v.dims, v.values, v.attrs) for k, v in self.data_vars.items()}
        return DrawSet.of(data, {**{k: v.values for k, v in self.coords.items()}, **coords},
                          self.attrs)

    def to_dataset(self) -> Any:
        """The posterior as an :class:`xarray.Dataset` (built once; imports xarray)."""
        if self._dataset is None and self._raw is None:  # built in memory (:meth:`of`)
            import xarray as xr

            self._dataset = xr.Dataset(
                {k: xr.Variable(v.dims, v.values, dict(v.attrs)) for k, v in self.data_vars.items()},
                coords={k: v.values for k, v in self.coords.items()}, attrs=dict(self.attrs))
        if self._dataset is None:
            import xarray as xr

            assert self._raw is not None
            variables = {k: xr.Variable(d, _index_strings(a) if d == (k,) else a, attrs)
                         for k, (d, a, attrs) in self._raw.items()}
            ds = xr.Dataset({k: v for k, v in variables.items() if k not in self._coord_names},
                            coords={k: v for k, v in variables.items() if k in self._coord_names},
                            attrs=self.attrs)
            self._dataset = xr.decode_cf(ds)
        return self._dataset


#: the NAME netCDF-4 gives a dimension that is not a variable
NOT_A_VARIABLE = b"This is a netCDF dimension but not a netCDF variable"
#: netCDF-4's own attributes, which readers do not list (as h5netcdf)
_HIDDEN = frozenset({"REFERENCE_LIST", "CLASS", "DIMENSION_LIST", "NAME", "_Netcdf4Dimid",
                     "_Netcdf4Coordinates", "_nc3_strict", "_NCProperties"})


def h5_attrs(obj: Any) -> dict[str, Any]:
    """The attributes of an h5py object as h5netcdf gives them: netCDF-4's own left out,
    fixed-length strings decoded, string arrays as lists, one-element arrays as their
    element, empty attributes as ``b""`` (strings) or an empty array."""
    import h5py

    out: dict[str, Any] = {}
    for key in obj.attrs:
        if key in _HIDDEN:
            continue
        value = obj.attrs[key]
        dtype = obj.attrs.get_id(key).dtype
        info = h5py.check_string_dtype(dtype)
        if isinstance(value, h5py.Empty):
            out[key] = b"" if info and info.length == 1 else np.array([], dtype=dtype)
            continue
        if info is not None:
            if info.length is not None and info.length > 1:
                value = (value.decode(info.encoding, "surrogateescape") if np.isscalar(value)
                         else [b.decode(info.encoding, "surrogateescape") for b in value.flat])
            elif not np.isscalar(value):
                value = value.tolist()
        if isinstance(value, np.ndarray | list) and len(value) == 1:
            value = value[0]
        out[key] = value
    return out


def _index_strings(a: np.ndarray) -> np.ndarray:
    """A dimension coordinate of strings as xarray reads it back (fixed-width ``str``)."""
    if a.dtype.kind not in "OS":
        return a
    return np.array([x.decode("utf-8") if isinstance(x, bytes) else str(x) for x in a.ravel()],
                    dtype=str).reshape(a.shape)


def _plain(a: np.ndarray, attrs: dict[str, Any]) -> np.ndarray:
    """A stored array as its readers use it: booleans back to bool, strings to str."""
    if attrs.get("dtype") == "bool":
        return a.astype(bool)
    if a.dtype.kind in "OS":
        return np.array([x.decode("utf-8") if isinstance(x, bytes) else str(x)
                         for x in a.ravel()], dtype=object).reshape(a.shape)
    return a
