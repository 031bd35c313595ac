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

    def to_dataset(self) -> Any:
        """The posterior as an :class:`xarray.Dataset` (built once; imports xarray)."""
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
