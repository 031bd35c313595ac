"""NetCDF round trip keeps everything; foreign, damaged or future files are refused."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from macroattr.core.errors import InputError
from macroattr.models import ModelConfig, fit_model, load_fit


def _assert_same_fit(a, b):
    assert a.posterior.identical(b.posterior)
    if a.sample_stats is None:
        assert b.sample_stats is None
    else:
        assert a.sample_stats.identical(b.sample_stats)
    assert a.panel.data.equals(b.panel.data)
    assert a.panel.meta == b.panel.meta
    assert a.config == b.config
    assert a.meta == b.meta
    assert a.diagnostics.table.equals(b.diagnostics.table)
    assert a.diagnostics.gate == b.diagnostics.gate
    assert a.diagnostics.divergences == b.diagnostics.divergences
    ta, tb = a.attribution("Q"), b.attribution("Q")
    assert ta[["period", "component", "unit"]].equals(tb[["period", "component", "unit"]])
    np.testing.assert_allclose(ta[["mean", "hdi_low", "hdi_high"]], tb[["mean", "hdi_low", "hdi_high"]],
                               rtol=0, atol=1e-12)


def test_round_trip_exact(sim, exact_cfg, tmp_path):
    fit = fit_model(sim[0], exact_cfg)
    path = tmp_path / "fit.nc"
    fit.save(path)
    _assert_same_fit(fit, load_fit(path))


def test_round_trip_time_varying_nuts_shapes(sim, cheap_sampler, tmp_path):
    cfg = ModelConfig(groups=sim[1]["groups"]).override(betas="time_varying", draws=40, chains=2)
    fit = fit_model(sim[0], cfg)
    path = tmp_path / "tv.nc"
    fit.save(path)
    back = load_fit(path)
    _assert_same_fit(fit, back)
    assert back.posterior["tv_path"].dtype == np.float32
    assert back.time_varying


def test_plain_netcdf_is_refused(tmp_path):
    p = tmp_path / "other.nc"
    xr.Dataset({"x": ("t", np.arange(3.0))}).to_netcdf(p, engine="h5netcdf")
    with pytest.raises(InputError, match="not a macroattr fit"):
        load_fit(p)


def test_garbage_file_is_refused(tmp_path):
    p = tmp_path / "junk.nc"
    p.write_text("this is not netcdf")
    with pytest.raises(InputError, match="not a readable NetCDF"):
        load_fit(p)


def test_future_format_version_is_refused(sim, exact_cfg, tmp_path):
    fit = fit_model(sim[0], exact_cfg)
    path = tmp_path / "fit.nc"
    fit.save(path)
    tree = xr.open_datatree(path, engine="h5netcdf").load()
    tree.attrs["format_version"] = 99
    other = tmp_path / "future.nc"
    tree.to_netcdf(other, engine="h5netcdf")
    with pytest.raises(InputError, match="format version 99"):
        load_fit(other)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_fit(tmp_path / "nope.nc")


def test_failed_save_leaves_no_file(sim, exact_cfg, tmp_path, monkeypatch):
    fit = fit_model(sim[0], exact_cfg)
    path = tmp_path / "fit.nc"

    def boom(*a, **k):
        raise OSError("disk full")

    import macroattr.models.fit.netcdf as netcdf

    monkeypatch.setattr(netcdf, "tree_to_bytes", boom)  # the writer of the file's bytes fails
    with pytest.raises(OSError):
        fit.save(path)
    assert list(tmp_path.iterdir()) == []
