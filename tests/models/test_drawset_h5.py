"""A fit file's groups read with h5py (:meth:`DrawSet.from_h5`) are what h5netcdf reads
(:meth:`DrawSet.from_group`, the oracle): the same variables and coordinates, dimensions,
dtypes, values and attributes (types included), for every kind of fit as ``macroattr fit``
writes it and as xarray re-writes it; a group in another layout is left to h5netcdf, and
the fit still loads."""

from __future__ import annotations

import h5netcdf
import h5py
import numpy as np
import pytest
import xarray as xr

from macroattr.models import ModelConfig, fit_model, load_fit
from macroattr.models.estimation.drawset import DrawSet, h5_attrs
from macroattr.models.synthetic import simulate_panel


def _equal(a, b) -> bool:
    """Equal arrays, NaN equal to NaN where the values are numbers."""
    nan = np.asarray(a).dtype.kind in "fc"
    return bool(np.array_equal(a, b, equal_nan=nan))


def _same_value(a, b) -> bool:
    if isinstance(a, np.ndarray | np.generic) or isinstance(b, np.ndarray | np.generic):
        return (type(a) is type(b) and a.dtype == b.dtype and np.shape(a) == np.shape(b)
                and _equal(a, b))
    return type(a) is type(b) and a == b


def _same_attrs(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    for k in a:
        assert _same_value(a[k], b[k]), (k, a[k], b[k])


def _same_drawset(a: DrawSet, b: DrawSet) -> None:
    assert list(a.data_vars) == list(b.data_vars) and list(a.coords) == list(b.coords)
    assert a._coord_names == b._coord_names and dict(a.sizes) == dict(b.sizes)
    for k in a:
        x, y = a[k], b[k]
        assert x.dims == y.dims and x.dtype == y.dtype and x.shape == y.shape, k
        assert _equal(x.values, y.values), k
        _same_attrs(x.attrs, y.attrs)
    _same_attrs(a.attrs, b.attrs)
    assert set(a._raw) == set(b._raw)
    for k, (d, arr, attrs) in a._raw.items():
        d2, arr2, attrs2 = b._raw[k]
        assert d == d2 and arr.dtype == arr2.dtype and _equal(arr, arr2), k
        _same_attrs(attrs, attrs2)


@pytest.fixture(scope="module")
def fit_files(tmp_path_factory):
    """Files of a static exact, a state-space exact (with its stored group) and a
    time-varying fit, and xarray's re-write of the state-space one."""
    where = tmp_path_factory.mktemp("h5read")
    panel, truth = simulate_panel(n=150, seed=5)
    base = ModelConfig(groups=truth["groups"])
    out = {
        "static": fit_model(panel, base.override(method="exact", draws=100, chains=2)),
        "state_space": fit_model(panel, base.override(
            betas="state_space", method="exact", draws=60, chains=2,
            beta_discounts=[0.98, 1.0], variance_discounts=[0.95, 1.0])),
    }
    paths = {k: f.save(where / f"{k}.nc") for k, f in out.items()}
    tree = xr.open_datatree(paths["state_space"], engine="h5netcdf").load()
    paths["xarray_rewrite"] = where / "rewrite.nc"
    tree.to_netcdf(paths["xarray_rewrite"], engine="h5netcdf")
    return paths


@pytest.fixture(scope="module")
def nuts_file(tmp_path_factory):
    """A time-varying fit with NUTS stand-in draws (a ``sample_stats`` group)."""
    from tests.support.cheap_nuts import install_cheap_sampler

    mp = pytest.MonkeyPatch()
    install_cheap_sampler(mp)
    try:
        panel, truth = simulate_panel(n=120, seed=6)
        cfg = ModelConfig(groups=truth["groups"]).override(betas="time_varying", draws=30,
                                                           chains=2)
        return fit_model(panel, cfg).save(tmp_path_factory.mktemp("h5nuts") / "tv.nc")
    finally:
        mp.undo()


def _groups_compared(path) -> list[str]:
    seen = []
    with h5py.File(path, "r") as fh, h5netcdf.File(path, "r", phony_dims="access") as h:
        ref_root = {k: v for k, v in h.attrs.items()}
        _same_attrs(h5_attrs(fh), ref_root)
        for name in h.groups:
            got = DrawSet.from_h5(fh[name])
            assert got is not None, f"{name}: a fit's group fell back to h5netcdf"
            _same_drawset(got, DrawSet.from_group(h.groups[name]))
            seen.append(name)
    return seen


@pytest.mark.parametrize("kind", ["static", "state_space", "xarray_rewrite"])
def test_groups_read_with_h5py_are_what_h5netcdf_reads(fit_files, kind):
    seen = _groups_compared(fit_files[kind])
    assert {"posterior", "panel", "diagnostics"} <= set(seen)
    if kind != "static":
        assert "stored" in seen


def test_sample_stats_read_with_h5py_is_what_h5netcdf_reads(nuts_file):
    assert {"posterior", "sample_stats", "panel"} <= set(_groups_compared(nuts_file))


def test_attributes_of_every_kind_are_decoded_as_h5netcdf_does(tmp_path):
    """Fixed-length and variable-length strings, string lists, one-element arrays, numbers,
    empty attributes, bytes that do not decode."""
    path = tmp_path / "attrs.nc"
    with h5netcdf.File(path, "w") as f:
        g = f.create_group("g")
        g.dimensions["x"] = 3
        v = g.create_variable("v", ("x",), data=np.arange(3.0))
        v.attrs["units"] = "pp"
        v.attrs["many"] = ["a", "bc"]
        v.attrs["one"] = np.array([7])
        v.attrs["two"] = np.array([1.5, 2.5])
        v.attrs["n"] = np.int64(4)
    with h5py.File(path, "a") as fh:
        a = fh["g"]["v"].attrs
        a.create("fixed", np.bytes_(b"fixed width"), dtype="S11")
        a.create("fixed_list", np.array([b"ab", b"cd"], dtype="S2"))
        a.create("empty_s", h5py.Empty("S1"))
        a.create("empty_f", h5py.Empty("f8"))
        a.create("latin", np.bytes_(b"caf\xe9!"), dtype="S5")
    with h5py.File(path, "r") as fh, h5netcdf.File(path, "r") as h:
        _same_attrs(h5_attrs(fh["g"]["v"]), dict(h.groups["g"].variables["v"].attrs.items()))
        _same_drawset(DrawSet.from_h5(fh["g"]), DrawSet.from_group(h.groups["g"]))


def test_other_layouts_are_left_to_h5netcdf_and_the_fit_still_loads(fit_files, tmp_path):
    """A posterior whose variable uses a dimension of the root group (netCDF allows it) is
    not read with h5py; the fit loads through h5netcdf with the same posterior."""
    src = fit_files["state_space"]
    tree = xr.open_datatree(src, engine="h5netcdf").load()
    moved = tmp_path / "moved.nc"
    tree.to_netcdf(moved, engine="h5netcdf")
    with h5netcdf.File(moved, "a") as f:
        f.dimensions["outer"] = 2
        f.groups["posterior"].create_variable("extra", ("outer",), data=np.array([1.0, 2.0]))
    with h5py.File(moved, "r") as fh:
        assert DrawSet.from_h5(fh["posterior"]) is None
    back = load_fit(moved)
    assert "extra" in back.draw_set
    np.testing.assert_array_equal(back.posterior["grid_index"].values,
                                  load_fit(src).posterior["grid_index"].values)
    np.testing.assert_array_equal(back.posterior["extra"].values, [1.0, 2.0])
