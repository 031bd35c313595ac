"""Reductions kept in the fit file (macroattr.models.fit.stored): a loaded fit reads them
instead of redrawing its paths, and every number equals the fresh computation of a fit that
never stored anything, to the last digit (one answer per question)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from macroattr.models import ModelConfig, fit_model, load_fit
from macroattr.models.synthetic import simulate_panel


def _ns(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates to one resolution (a loaded panel's index is ns; a simulated one may be us)."""
    out = frame.copy()
    for c in out.columns:
        if str(out[c].dtype).startswith("datetime64"):
            out[c] = out[c].astype("datetime64[ns]")
    return out


CALLS = {
    "attribution Q": lambda x: x.attribution("Q"),
    "attribution M": lambda x: x.attribution("M"),
    "attribution Q span": lambda x: x.attribution("Q", start="2005-01-01", end="2005-12-31"),
    "attribution Q span cutting a quarter": lambda x: x.attribution("Q", start="2005-02-10",
                                                                    end="2005-08-20"),
    "first estimate Q span": lambda x: x.attribution("Q", estimate="filtered",
                                                     start="2005-04-01", end="2005-06-30"),
    "coefficients": lambda x: x.coefficients(),
    "parameters": lambda x: x.parameters(),
    "ppc M": lambda x: x.ppc("M"),
    "ppc other hdi": lambda x: x.ppc("M", hdi=0.8),
    "volatility": lambda x: x.volatility(),
    "beta paths": lambda x: x.beta_paths(),
    "beta paths thinned": lambda x: x.beta_paths(times=x.design.dates[::9]),
    "one step ahead": lambda x: x.one_step_ahead(),
    "one step ahead static": lambda x: x.one_step_ahead(static=True),
    "explained share": lambda x: x.summary.explained_share(),
    "event": lambda x: x.event("2005-03-07", "2005-03-18").table(),
    "event first estimate": lambda x: x.event("2005-03-07", "2005-03-18").table(estimate="real time"),
    "hac comparator": lambda x: _hac(x),
    "interventions": lambda x: x.interventions(),
    "page windows": lambda x: _windows(x),
    "static comparator": lambda x: x.static_quarter("2005Q2"),
    "scenario start": lambda x: _state_at_end(x),
    "static comparator on months": lambda x: x.static_quarter("2005Q2", freq="M"),
}


def _state_at_end(fit):
    from macroattr.models.fit.draws import state_at_end

    st = state_at_end(fit, "revised")
    return pd.DataFrame({"alpha": st["alpha"], "sigma": st["sigma"],
                         **{f: st["beta"][:, k] for k, f in enumerate(st["factors"])}})


def _hac(fit):
    from macroattr.models.analysis.robust import hac_attribution

    return pd.concat([hac_attribution(fit, "2005-01-01", "2005-03-31"),
                      hac_attribution(fit, "2005-01-01", "2005-03-31", hdi=0.8, iid=True)])


def _windows(fit):
    """Every window the page lists, as the page reads it: both tables, the eve predictive's
    tail probability and draws, the daily table."""
    from macroattr.models.fit.page_inputs import page_windows

    rows = []
    for a, b in page_windows(fit):
        ev = fit.event(a, b)
        t = pd.concat([ev.table(), ev.table(estimate="first estimate")])
        t["tail"] = ev.tail_probability
        t["predictive_mean"] = float(np.mean(ev.predictive))
        t["daily_sum"] = float(ev.daily_table()["mean"].sum())
        rows.append(t.assign(window=f"{a} {b}"))
    assert rows
    return pd.concat(rows)


@pytest.fixture(scope="module")
def daily(tmp_path_factory):
    panel, truth = simulate_panel(n=1500, freq="D", seed=4)
    cfg = ModelConfig(groups=truth["groups"]).override(
        betas="state_space", method="exact", draws=60, chains=2,
        beta_discounts=[0.99, 1.0], variance_discounts=[0.95, 1.0])
    path = tmp_path_factory.mktemp("stored") / "fit.nc"
    fit_model(panel, cfg).save(str(path))
    return panel, cfg, path


@pytest.mark.parametrize("name", list(CALLS))
def test_loaded_fit_reads_what_a_fresh_fit_computes(daily, name):
    panel, cfg, path = daily
    loaded = load_fit(path)
    assert {"sums_M_smoothed", "sums_Q_smoothed", "sums_Q_filtered", "avg_beta",
            "bpaths_0.9", "osa_0", "last_theta"} <= set(loaded._store)
    fresh = fit_model(panel, cfg)  # same seed, nothing kept yet
    assert not fresh._store
    pd.testing.assert_frame_equal(_ns(CALLS[name](loaded)), _ns(CALLS[name](fresh)),
                                  check_exact=True)


def test_loaded_fit_draws_no_paths_for_the_page_numbers(daily, monkeypatch):
    """The page's tables on a loaded fit never run the backward sampler or the filters."""
    _, _, path = daily
    fit = load_fit(path)
    from macroattr.models.statespace import paths as P

    def refuse(*a, **k):  # noqa: ANN002, ANN003
        raise AssertionError("paths redrawn for a stored number")

    monkeypatch.setattr(P.StateSpacePaths, "smoothed_states", refuse)
    monkeypatch.setattr(P.StateSpacePaths, "_run_grid", refuse)
    fit.attribution("Q", start="2005-01-01", end="2005-12-31")
    fit.attribution("M")
    fit.coefficients()
    fit.parameters()
    fit.ppc("M")
    fit.volatility()
    fit.beta_paths(times=fit.design.dates[::30])
    fit.one_step_ahead()
    fit.one_step_ahead(static=True)
    fit.summary.explained_share()
    fit.betas(str(fit.design.dates[-1].date()), str(fit.design.dates[-1].date()))
    _hac(fit)  # the page's fit-level inputs (macroattr.models.fit.page_inputs)
    _windows(fit)
    monkeypatch.setattr(P, "draw_state_space", refuse)  # the static counterpart is not refit
    fit.static_quarter("2005Q2")
    fit.static_quarter("2005Q4", freq="M")
    from macroattr.models.statespace import kernels

    monkeypatch.setattr(kernels, "components", refuse)  # the scenarios' start: no compiled pass
    _state_at_end(fit)
    assert len(fit.interventions()) == len(fit._store["interventions"])


def test_saving_draws_the_first_estimates_once(daily, tmp_path, monkeypatch):
    """Saving a fresh fit draws the page windows' and the kept quarters' first estimates in
    one pass (each subset model's filter once), and keeps no prefetched draw afterwards."""
    panel, cfg, _ = daily
    from macroattr.models.statespace import realtime

    calls = []
    many = realtime.sample_filtered_many

    def counted(*a, **k):  # noqa: ANN002, ANN003
        calls.append(len(a[5]))
        return many(*a, **k)

    monkeypatch.setattr(realtime, "sample_filtered_many", counted)
    fit = fit_model(panel, cfg)
    assert fit.paths._vary() is not None  # the subset mixture draws the first estimates
    fit.save(str(tmp_path / "fit.nc"))
    assert len(calls) == 1 and calls[0] > 1, calls
    assert not fit.paths._rt_ready


def test_page_windows_are_kept(daily):
    from macroattr.models.fit.page_inputs import PAGE_QUARTERS, page_windows

    _, _, path = daily
    fit = load_fit(path)
    wins = page_windows(fit)
    assert len(wins) >= PAGE_QUARTERS  # notable windows of the last quarters
    dates = fit.design.dates
    for a, b in wins:
        t0, t1 = int(dates.searchsorted(pd.Timestamp(a))), int(dates.searchsorted(pd.Timestamp(b), "right"))
        assert {f"ev_{t0}_{t1}", f"ev_rt_{t0}_{t1}", f"eve_{t0}_{t1}"} <= set(fit._store)
    assert "hac_ols" in fit._store and "interventions" in fit._store


def test_loaded_fit_page_inputs_import_no_statsmodels_or_scipy_stats(daily):
    """The robust comparator and the page's windows of a loaded fit are read, not refit:
    neither statsmodels nor scipy.stats is imported (fresh interpreter)."""
    import subprocess
    import sys

    _, _, path = daily
    code = ("import sys\n"
            "from macroattr.models import load_fit\n"
            "from macroattr.models.analysis.robust import hac_attribution\n"
            "from macroattr.models.fit.page_inputs import page_windows\n"
            f"fit = load_fit({str(path)!r})\n"
            "hac_attribution(fit, '2005-01-01', '2005-03-31')\n"
            "for a, b in page_windows(fit):\n"
            "    ev = fit.event(a, b); ev.table(); ev.tail_text(); ev.table(estimate='first estimate')\n"
            "fit.interventions()\n"
            "print(sorted(m for m in ('statsmodels', 'scipy.stats') if m in sys.modules))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip().splitlines()[-1] == "[]", r.stdout


@pytest.mark.parametrize("freq", [None, "M"])
def test_static_comparator_is_the_counterparts_attribution(daily, freq):
    """What the model check reads of the static counterpart is the quarter's rows of that
    counterpart's own attribution, to the last digit."""
    _, _, path = daily
    fit = load_fit(path)
    got = fit.static_quarter("2005Q3", freq=freq)
    ref = fit.static_counterpart(freq).attribution("Q", start="2005-07-01", end="2005-09-30")
    ref = ref[ref["period"].astype(str) == "2005Q3"].set_index("component")
    pd.testing.assert_frame_equal(got, ref[got.columns], check_exact=True, check_names=False)
    assert f"static_{freq or 'D'}_Q_0.9" in load_fit(path)._store  # kept with the file
    other = fit.static_quarter("2005Q3", hdi=0.8, freq=freq)  # another HDI: refit, not stored
    ref8 = fit.static_counterpart(freq).attribution("Q", 0.8, start="2005-07-01", end="2005-09-30")
    ref8 = ref8[ref8["period"].astype(str) == "2005Q3"].set_index("component")
    pd.testing.assert_frame_equal(other, ref8[other.columns], check_exact=True, check_names=False)


def test_altered_file_drops_its_store(daily, tmp_path):
    """A fit file whose panel was changed after saving does not serve stale numbers."""
    import xarray as xr

    _, _, path = daily
    tree = xr.open_datatree(path, engine="h5netcdf").load()
    col = [v for v in tree["panel"].data_vars][0]
    tree["panel"][col] = tree["panel"][col] * 1.5
    other = tmp_path / "altered.nc"
    tree.to_netcdf(other, engine="h5netcdf")
    assert load_fit(other)._store == {}


def test_monthly_fit_round_trip():
    panel, truth = simulate_panel(n=180, seed=5)
    cfg = ModelConfig(groups=truth["groups"]).override(betas="state_space", method="exact",
                                                       draws=50, chains=2)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        fit_model(panel, cfg).save(f"{tmp}/m.nc")
        loaded = load_fit(f"{tmp}/m.nc")
        fresh = fit_model(panel, cfg)
        for call in (lambda x: x.attribution("Q"), lambda x: x.ppc(), lambda x: x.coefficients()):
            pd.testing.assert_frame_equal(_ns(call(loaded)), _ns(call(fresh)), check_exact=True)
    assert np.isfinite(loaded._store["sums_Q_smoothed"]).all()


def test_short_span_drawn_alone_is_those_rows_of_the_full_draw(daily):
    """Event windows of a loaded fit resume from the kept checkpoints: the same float32
    states, bit for bit, as the full backward pass, wherever the window falls."""
    from macroattr.models.statespace.paths import CHECKPOINT_EVERY

    _, _, path = daily
    full = load_fit(path)
    th_all, v_all = full.paths.smoothed_states()
    T = full.design.n_obs
    for t0, t1 in ((0, 5), (CHECKPOINT_EVERY - 3, CHECKPOINT_EVERY + 4),
                   (2 * CHECKPOINT_EVERY, 3 * CHECKPOINT_EVERY), (700, 711), (T - 9, T)):
        alone = load_fit(path)
        assert "ck_theta" in alone._store
        th, v = alone.paths.smoothed_rows(t0, t1)
        assert alone.paths._smoothed is None  # not the full draw
        np.testing.assert_array_equal(th, th_all[:, t0:t1])
        np.testing.assert_array_equal(v, v_all[:, t0:t1])


def _heavy_imports(args: list[str], heavy: tuple[str, ...]) -> tuple[list[str], str]:
    """``macroattr ARGS`` in a fresh interpreter: which of ``heavy`` it imported, and its stderr
    (the command must succeed)."""
    import ast
    import os
    import subprocess
    import sys

    code = ("import sys\n"
            "from macroattr.cli import main\n"
            "try:\n"
            f"    main({args!r})\n"
            "except SystemExit as e:\n"
            "    assert not e.code, e.code\n"
            f"print(sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                       env={**os.environ, "MPLBACKEND": "Agg"})
    assert r.returncode == 0, r.stderr[-3000:]
    return ast.literal_eval(r.stderr.strip().splitlines()[-1]), r.stderr[-2000:]  # the printed list


def test_summary_and_event_on_a_loaded_fit_build_no_xarray_object(daily):
    """``macroattr summary`` and ``macroattr event`` on a cached fit read it into NumPy and
    pandas: no xarray object is built, so neither dask nor sparse (which every xarray object
    imports here), numba, scipy or statsmodels is imported (fresh interpreter)."""
    from macroattr.models.fit.page_inputs import page_windows

    _, _, path = daily
    a, b = page_windows(load_fit(path))[0]
    heavy = ("dask", "sparse", "numba", "scipy", "statsmodels", "plotly")
    for args in (["summary", "--fit", str(path)],
                 ["event", "--fit", str(path), "--start", a, "--end", b]):
        imported, err = _heavy_imports(args, heavy)
        assert imported == [], (args, err)


def test_report_on_a_loaded_fit_imports_no_xarray_numba_or_scipy(daily, tmp_path):
    """``macroattr report --fit F --quarter Q`` on a saved daily fit reads what the page needs
    (the model check's static comparators, the scenarios' starting point included): no xarray
    object is built and no compiled kernel is loaded, so none of xarray, dask, sparse, numba,
    scipy or statsmodels is imported (fresh interpreter)."""
    _, _, path = daily
    quarter = load_fit(path).quarters[-1]
    heavy = ("xarray", "dask", "sparse", "numba", "scipy", "statsmodels")
    imported, err = _heavy_imports(
        ["report", "--fit", str(path), "--quarter", quarter, "--out", str(tmp_path / "r")], heavy)
    assert list((tmp_path / "r").glob(f"{quarter}*.html"))
    assert imported == [], err


def test_loaded_posterior_is_what_xarray_reads(daily):
    """``fit.posterior`` of a loaded fit (built on first use from the arrays read) is the
    file's posterior group as xarray opens it, and the panel's dates are its decoded dates."""
    import xarray as xr

    _, _, path = daily
    fit = load_fit(path)
    with xr.open_dataset(path, group="posterior", engine="h5netcdf") as ref:
        assert fit.posterior.identical(ref.load())
    with xr.open_dataset(path, group="panel", engine="h5netcdf") as ref:
        assert (fit.panel.data.index == pd.DatetimeIndex(ref["date"].values)).all()
    again = load_fit(path)
    again.save(str(path) + ".again.nc")  # a loaded fit saves (its posterior built for the file)
    assert load_fit(str(path) + ".again.nc").posterior.identical(fit.posterior)


def test_stored_group_read_is_what_h5netcdf_lists(daily):
    """The stored group read with h5py holds exactly h5netcdf's variables of the group (the
    dimensions without a variable left out), each with its dtype, shape and values."""
    import h5netcdf
    import h5py

    from macroattr.models.fit.io import _stored_arrays

    _, _, path = daily
    with h5py.File(path, "r") as fh:
        arrays, attrs = _stored_arrays(fh["stored"])
    with h5netcdf.File(path, "r", phony_dims="access") as h:
        g = h.groups["stored"]
        ref = {str(k): np.asarray(v[...]) for k, v in g.variables.items()}
        assert attrs["check"] == g.attrs["check"]
    assert set(arrays) == set(ref) and len(ref) > 10
    for k, v in ref.items():
        assert arrays[k].dtype == v.dtype and arrays[k].shape == v.shape, k
        np.testing.assert_array_equal(arrays[k], v)


def test_exact_state_space_fit_builds_no_xarray_object():
    """``fit_model`` of an exact state-space fit keeps its posterior as NumPy arrays: no
    xarray object is built, so neither xarray nor dask (imported by xarray's first Variable)
    is imported (fresh interpreter); ``fit.posterior`` builds the Dataset when asked, the
    same as the file's (``test_loaded_posterior_is_what_xarray_reads``)."""
    import ast
    import os
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from macroattr.models import ModelConfig, fit_model\n"
        "from macroattr.models.synthetic import simulate_panel\n"
        "panel, truth = simulate_panel(n=400, freq='D', seed=4)\n"
        "cfg = ModelConfig(groups=truth['groups']).override(betas='state_space', "
        "method='exact', draws=40, chains=2, beta_discounts=[0.99, 1.0], "
        "variance_discounts=[0.95, 1.0])\n"
        "fit = fit_model(panel, cfg)\n"
        "fit.attribution('Q')\n"
        "before = sorted(m for m in ('xarray', 'dask') if m in sys.modules)\n"
        "post = fit.posterior\n"
        "print([before, type(post).__name__, sorted(post.data_vars)[:3]], file=sys.stderr)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=600, env={**os.environ, "MPLBACKEND": "Agg"})
    assert r.returncode == 0, r.stderr[-3000:]
    before, kind, names = ast.literal_eval(r.stderr.strip().splitlines()[-1])
    assert before == [] and kind == "Dataset" and names == ["delta_beta", "delta_v", "grid_delta_beta"]
