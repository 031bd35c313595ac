"""Fit files a reader cannot trust (issue 22): a posterior variable dropped, a NaN in one, a
file from another version or of another type, a foreign HDF5 or netCDF file. Every reader
(summary, attribution, report, scenario, compare, event) says so in one line naming the file
and the variable or version, exit 2, no traceback, the file byte-identical and nothing written.

The rule (which variables each kind of fit is read with) lives in one place,
``macroattr.models.fit.io.REQUIRED_VARIABLES``; the last tests hold it to the fits the
samplers really write."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import xarray as xr

from tests.cli import one_line_error, run_cli

from .conftest import tree


@pytest.fixture(scope="module")
def fits(tmp_path_factory):
    """A static (exact) and a state-space (exact) fit of the same small simulated panel."""
    from macroattr.models import ModelConfig, fit_model
    from macroattr.models.synthetic import simulate_panel

    where = tmp_path_factory.mktemp("fits")
    panel, truth = simulate_panel(n=120, seed=3)
    base = ModelConfig(groups=truth["groups"])
    out = {}
    out["static"] = fit_model(panel, base.override(method="exact", draws=200, chains=2)).save(
        where / "static.nc")
    out["state_space"] = fit_model(panel, base.override(
        betas="state_space", method="exact", draws=100, chains=2,
        beta_discounts=[0.98, 1.0], variance_discounts=[0.95, 1.0])).save(where / "ss.nc")
    return out


def _edit(src, dst, fn):
    t = xr.open_datatree(src, engine="h5netcdf").load()
    fn(t)
    t.to_netcdf(dst, engine="h5netcdf")
    return dst


def _posterior(fn):
    def edit(t):
        t["posterior"] = xr.DataTree(fn(t["posterior"].to_dataset()))
    return edit


def _nan(var):
    def fn(ds):
        a = ds[var].values.astype(np.float64).copy()
        a.flat[3] = np.nan
        ds[var] = (ds[var].dims, a)
        return ds
    return _posterior(fn)


def _attr(**kw):
    def edit(t):
        t.attrs.update(kw)
    return edit


def _foreign_hdf5(path):
    import h5py

    with h5py.File(path, "w") as h:
        h["x"] = np.arange(3)
        h.attrs["title"] = "someone else's data"
    return path


# (case id, kind of fit, how the file is damaged, words the one line must hold)
CASES = [
    ("drop_beta", "static", _posterior(lambda ds: ds.drop_vars("beta_std")),
     "lacks the posterior variable 'beta_std' a static fit (exact) is read with"),
    ("drop_grid_index", "state_space", _posterior(lambda ds: ds.drop_vars("grid_index")),
     "lacks the posterior variable 'grid_index' a state-space fit (exact) is read with"),
    ("nan_beta", "static", _nan("beta_std"),
     "posterior variable 'beta_std' holds 1 NaN value(s) of 2000; its numbers cannot be trusted"),
    ("nan_delta_v", "state_space", _nan("delta_v"),
     "posterior variable 'delta_v' holds 1 NaN value(s) of 200"),
    ("version_2", "static", _attr(format_version=2),
     "is a fit in file format version 2 by macroattr 0.1.0; this macroattr reads format version 1"),
    ("version_text", "static", _attr(format_version="1.0"),
     "is a fit in file format version '1.0' by macroattr 0.1.0"),
    ("other_type", "static", _attr(format="macroattr-backtest"),
     "is a macroattr file of type 'macroattr-backtest', not a fit ('macroattr-fit')"),
    ("kind_swapped", "static", lambda t: t.attrs.update(config=json.dumps(
        json.loads(t.attrs["config"]) | {"model": json.loads(t.attrs["config"])["model"]
                                         | {"betas": "state_space"}})),
     "lacks the posterior variable 'grid_index' a state-space fit (exact) is read with"),
    ("foreign_hdf5", None, None,
     "is an HDF5/NetCDF file but not a macroattr fit (no format = 'macroattr-fit' attribute)"),
    ("foreign_netcdf", None, None,
     "is an HDF5/NetCDF file but not a macroattr fit (no format = 'macroattr-fit' attribute)"),
]

READERS = {
    "summary": lambda f, d, good: ["summary", "--fit", f],
    "attribution": lambda f, d, good: ["attribution", "--fit", f, "--out", f"{d}/a.csv"],
    "report": lambda f, d, good: ["report", "--fit", f, "--out", f"{d}/reports"],
    "scenario": lambda f, d, good: ["scenario", "--fit", f, "--shock", "d_2y=0.25", "--out",
                                    f"{d}/s.csv"],
    # the fit a scenario is cross-checked against (this load crashed on an import before)
    "scenario --other-fit": lambda f, d, good: ["scenario", "--fit", good, "--other-fit", f,
                                                "--shock", "d_2y=0.25"],
    "compare": lambda f, d, good: ["compare", good, f, "--out", f"{d}/c.csv"],
    "event": lambda f, d, good: ["event", "--fit", f, "--start", "2000-03-01", "--end",
                                 "2000-06-30", "--out", f"{d}/e.csv"],
}


#: the classes every reader is run on; the other cases run on two readers (the rule is one
#: function every reader's load goes through)
EVERY_READER = ("drop_beta", "drop_grid_index", "nan_beta", "version_2", "foreign_hdf5")
RUNS = [pytest.param(c, r, id=f"{c[0]}-{r}") for c in CASES for r in READERS
        if c[0] in EVERY_READER or r in ("summary", "event")]


@pytest.mark.parametrize("case,reader", RUNS)
def test_every_reader_refuses_an_untrusted_fit_file_in_one_line(case, reader, fits, tmp_path, capsys,
                                                                monkeypatch):
    case, kind, damage, words = case
    monkeypatch.chdir(tmp_path)
    inp = tmp_path / "in"
    inp.mkdir()
    bad = inp / f"{case}.nc"
    if case == "foreign_hdf5":
        _foreign_hdf5(bad)
    elif case == "foreign_netcdf":
        xr.Dataset({"t2m": ("time", np.arange(4.0))}, attrs={"Conventions": "CF-1.8"}).to_netcdf(
            bad, engine="h5netcdf")
    else:
        _edit(fits[kind], bad, damage)
    good = inp / "good.nc"
    shutil.copy(fits["static"], good)
    before = tree(tmp_path)
    code, out, err = run_cli(READERS[reader](str(bad), str(tmp_path / "out"), str(good)), capsys)
    line = one_line_error(code, err)
    assert words in line and str(bad) in line, line
    assert "refit" in line or "pass a file written by `macroattr fit`" in line  # what to do
    assert tree(tmp_path) == before  # inputs byte-identical, nothing written


def test_grid_index_outside_the_grid_is_refused(fits, tmp_path):
    from macroattr.core.errors import InputError
    from macroattr.models import load_fit

    def fn(ds):
        gi = ds["grid_index"].values.copy()
        gi.flat[0] = ds.sizes["grid"]
        ds["grid_index"] = (ds["grid_index"].dims, gi)
        return ds

    bad = _edit(fits["state_space"], tmp_path / "gi.nc", _posterior(fn))
    with pytest.raises(InputError, match=r"'grid_index' points outside its discount grid of 4 points"):
        load_fit(bad)


def test_a_stored_panel_column_missing_is_one_line(fits, tmp_path):
    from macroattr.core.errors import InputError
    from macroattr.models import load_fit

    def edit(t):
        ds = t["panel"].to_dataset()
        t["panel"] = xr.DataTree(ds.drop_vars("d_2y"))

    bad = _edit(fits["static"], tmp_path / "p.nc", edit)
    with pytest.raises(InputError, match=r"its stored panel lacks the column\(s\) 'd_2y' it lists"):
        load_fit(bad)


def test_a_config_from_another_version_names_the_key_and_the_writer(fits, tmp_path):
    from macroattr.core.errors import InputError
    from macroattr.models import load_fit

    def edit(t):
        c = json.loads(t.attrs["config"])
        c["model"]["regime"] = "new"
        t.attrs["config"] = json.dumps(c)

    bad = _edit(fits["static"], tmp_path / "c.nc", edit)
    with pytest.raises(InputError) as exc:
        load_fit(bad)
    line = str(exc.value)
    assert line.startswith(f"{bad} holds a model configuration this macroattr cannot read "
                           "(unknown key 'model.regime'")
    assert line.endswith(f"); it was written by macroattr 0.1.0: refit with `macroattr fit --out {bad}`")
    assert "configs/default.toml" not in line  # not the advice for a config file the user wrote


# --- the declaration matches what the samplers write -----------------------------------------

def _fresh_fits(fits, tmp_path, monkeypatch):
    """(config, posterior) of fits of every kind and method the tests can make quickly."""
    from macroattr.models import ModelConfig, fit_model, load_fit
    from macroattr.models.synthetic import simulate_panel
    from tests.support.cheap_nuts import install_cheap_sampler

    out = [load_fit(fits["static"]), load_fit(fits["state_space"])]
    install_cheap_sampler(monkeypatch)
    panel, truth = simulate_panel(n=120, seed=3)
    base = ModelConfig(groups=truth["groups"])
    for over in ({"betas": "time_varying", "draws": 20, "chains": 2}, {"draws": 20, "chains": 2},
                 {"draws": 20, "chains": 2, "likelihood": "normal"}):
        out.append(fit_model(panel, base.override(**over)))
    return out


def test_every_required_variable_is_written_and_each_one_dropped_is_refused(fits, tmp_path,
                                                                            monkeypatch):
    from macroattr.core.errors import InputError
    from macroattr.models.fit.io import check_posterior, required_variables

    seen = set()
    for fit in _fresh_fits(fits, tmp_path, monkeypatch):
        need = required_variables(fit.config)
        seen.add((fit.kind, fit.config.sampler.method, fit.config.model.likelihood, "nu" in need))
        check_posterior(fit.posterior, fit.config, "f.nc")  # a fresh fit passes
        for name, dims in need.items():
            assert tuple(fit.posterior[name].dims) == dims
            with pytest.raises(InputError, match=f"lacks the posterior variable '{name}'"):
                check_posterior(fit.posterior.drop_vars(name), fit.config, "f.nc")
    # Student-t NUTS fits need nu, normal ones and exact ones do not
    assert ("static", "nuts", "student_t", True) in seen
    assert ("static", "nuts", "normal", False) in seen
    assert ("static", "exact", "student_t", False) in seen
    assert ("time_varying", "nuts", "student_t", True) in seen


def test_an_infinite_value_is_refused_too(fits):
    from macroattr.core.errors import InputError
    from macroattr.models import load_fit
    from macroattr.models.fit.io import check_posterior

    f = load_fit(fits["static"])
    post = f.posterior.copy(deep=True)
    post["sigma_std"].values[0, 0] = np.inf
    with pytest.raises(InputError, match="'sigma_std' holds 1 infinite value"):
        check_posterior(post, f.config, "f.nc")


def test_scenario_other_fit_reads_the_other_fit(fits, capsys):
    """`scenario --other-fit FILE` loads it through the one loader (it crashed on an import)."""
    code, out, err = run_cli(["scenario", "--fit", fits["static"], "--other-fit", fits["state_space"],
                              "--shock", "d_2y=0.25"], capsys)
    assert code == 0, err
    assert f"the state-space M model ({fits['state_space']}, 2000-01-31..2009-12-31): effect" in out
