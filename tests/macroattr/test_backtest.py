"""Backtests: scores against closed forms, origins and bad input, no look-ahead, Dask vs serial,
a killed worker, the task cache, the CLI and its page."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tests.cli import one_line_error, run_cli

from macroattr.configs import config_path

#: the static monthly model (the default is the daily state-space model, scored in one pass)
STATIC = ["--config", str(config_path("static_monthly"))]

pytestmark = pytest.mark.timeout(600)


# ------------------------------------------------------------------ scores (oracles)
def test_crps_closed_forms_match_the_ensemble_estimator():
    from macroattr.models.evaluation.scoring import crps_ensemble, crps_normal, crps_t

    rng = np.random.default_rng(1)
    x = 0.5 + 2.0 * rng.standard_t(5, size=400_000)
    for y in (-3.0, 0.5, 4.0):
        assert crps_ensemble(x, y) == pytest.approx(crps_t(y, 0.5, 2.0, 5), abs=0.01)
    z = rng.standard_normal(400_000)
    assert crps_ensemble(z, 1.0) == pytest.approx(crps_normal(1.0, 0.0, 1.0), abs=0.005)
    # ensemble estimator on a tiny sample against the O(m^2) definition
    s = rng.normal(size=7)
    brute = np.abs(s - 0.3).mean() - 0.5 * np.abs(s[:, None] - s[None, :]).mean()
    assert crps_ensemble(s, 0.3) == pytest.approx(brute, abs=1e-12)


def test_mixture_log_score_is_the_mixture_density():
    from macroattr.models.evaluation.scoring import mixture_log_score, score_t

    mu, sig, nu = np.array([0.0, 2.0]), np.array([1.0, 0.5]), np.array([4.0, 9.0])
    dens = 0.5 * (stats.t.pdf(1.2, 4, 0.0, 1.0) + stats.t.pdf(1.2, 9, 2.0, 0.5))
    assert mixture_log_score(1.2, mu, sig, nu) == pytest.approx(np.log(dens), abs=1e-12)
    s = score_t(1.0, 0.0, 2.0, 7.0, prob=0.8)
    assert s.log_score == pytest.approx(stats.t.logpdf(1.0, 7, 0, 2), abs=1e-12)
    assert (s.lower, s.upper) == pytest.approx(stats.t.interval(0.8, 7, 0, 2), abs=1e-12)


def test_references_match_statsmodels_prediction_intervals():
    import statsmodels.api as sm

    from macroattr.models.evaluation.backtest import reference_scores

    rng = np.random.default_rng(3)
    w = pd.DataFrame({"y": rng.normal(size=50), "a": rng.normal(size=50), "b": rng.normal(size=50)})
    t = pd.DataFrame({"y": [0.4], "a": [1.0], "b": [-0.5]})
    r = reference_scores(w, t, "y", ["a", "b"], prob=0.9)["ols"][0]
    res = sm.OLS(w["y"], sm.add_constant(w[["a", "b"]])).fit()
    frame = res.get_prediction(sm.add_constant(t[["a", "b"]], has_constant="add")).summary_frame(alpha=0.1)
    assert r["lower"] == pytest.approx(frame["obs_ci_lower"].iloc[0], abs=1e-9)
    assert r["upper"] == pytest.approx(frame["obs_ci_upper"].iloc[0], abs=1e-9)
    h = reference_scores(w, t, "y", ["a"], prob=0.9)["historical_mean"][0]
    assert h["mean"] == pytest.approx(w["y"].mean(), abs=1e-12)


# ------------------------------------------------------------------ origins
def test_origins_cover_the_span_once_and_end_before_their_block():
    from macroattr.models.evaluation.backtest import plan_origins

    idx = pd.date_range("1990-01-31", "2010-12-31", freq="ME")
    os_ = plan_origins(idx, "2005Q1", "2006Q4", "1Q", n_factors=5)
    assert [o.label for o in os_][:2] == ["2005Q1", "2005Q2"] and len(os_) == 8
    covered = np.concatenate([o.targets for o in os_])
    assert list(covered) == list(idx[(idx >= "2005-01-01") & (idx <= "2006-12-31")])
    assert all(o.date < o.targets[0] and idx[idx.get_loc(o.date) + 1] == o.targets[0] for o in os_)
    yearly = plan_origins(idx, "2005", "2006", "1Y", n_factors=5)
    assert [o.label for o in yearly] == ["2005", "2006"] and len(yearly[0].targets) == 12


# ------------------------------------------------------------------ no look-ahead
def _panel_file(tmp_path, monthly_panel, name="p.csv", data=None):
    d = (monthly_panel.data if data is None else data).loc["1995-01-01":"2012-12-31"]
    path = tmp_path / name
    d.reset_index().to_csv(path, index=False)
    return path


def test_no_look_ahead_changing_later_data_leaves_the_forecast(tmp_path, monthly_panel):
    from macroattr.jobs.run_config import RunConfig, PanelSettings
    from macroattr.jobs.backtest import run_backtest
    from macroattr.models import ModelConfig

    cfg = ModelConfig.shipped("static_monthly").override(method="exact", draws=300)
    rc = RunConfig(panel=PanelSettings(), model=cfg)
    a = _panel_file(tmp_path, monthly_panel, "a.csv")
    changed = monthly_panel.data.copy()
    later = changed.index > pd.Timestamp("2010-03-31")      # after the first block (2010Q1)
    rng = np.random.default_rng(0)
    changed.loc[later] = changed.loc[later] * 3 + rng.normal(size=(later.sum(), changed.shape[1]))
    b = _panel_file(tmp_path, monthly_panel, "b.csv", changed)
    kw = dict(start="2010Q1", end="2010Q2", step="1Q", say=lambda line: None)
    ra = run_backtest(rc, panel_file=a, **kw).scores
    rb = run_backtest(rc, panel_file=b, **kw).scores
    first_a, first_b = (r[r["origin"] == "2009-12-31"].reset_index(drop=True) for r in (ra, rb))
    pd.testing.assert_frame_equal(first_a, first_b, check_exact=True)  # the 2010Q1 forecasts
    second = [r[r["origin"] == "2010-03-31"]["mean"].to_numpy() for r in (ra, rb)]
    assert not np.allclose(*second)       # the 2010Q2 block sees the changed data: it must differ


def test_forecast_uses_only_rows_up_to_the_origin(monthly_panel):
    from macroattr.models import ModelConfig
    from macroattr.models.evaluation.backtest import forecast_origin

    cfg = ModelConfig.shipped("static_monthly").override(method="exact", draws=200)
    d = monthly_panel.data.loc[:"2012-12-31"]
    tg = d.loc["2011-01-31":"2011-03-31"]
    full = forecast_origin(d, monthly_panel.meta, cfg, "2010-12-31", tg)
    cut = forecast_origin(d.loc[:"2010-12-31"], monthly_panel.meta, cfg, "2010-12-31", tg)
    assert full["rows"] == cut["rows"] and full["n_obs"] == cut["n_obs"]
    assert full["window_start"] == f"{d.index[0]:%Y-%m-%d}"
    rolled = forecast_origin(d, monthly_panel.meta, cfg, "2010-12-31", tg, window="rolling:60")
    assert rolled["n_obs"] == 60 and rolled["window_start"] == "2006-01-31"


# ------------------------------------------------------------------ Dask
def test_local_cluster_of_two_workers_equals_serial_and_caches(tmp_path, monthly_panel):
    from macroattr.jobs.run_config import RunConfig, PanelSettings
    from macroattr.jobs.executor import Executor
    from macroattr.jobs.backtest import run_backtest
    from macroattr.models import ModelConfig

    rc = RunConfig(panel=PanelSettings(), model=ModelConfig.shipped("static_monthly").override(method="exact", draws=300))
    kw = dict(start="2008Q1", end="2008Q4", step="1Q", say=lambda line: None, progress=False)
    serial = run_backtest(rc, executor=None, **kw)
    with Executor(workers=2, say=lambda line: None) as ex:
        assert "2 worker processes x 1 thread" in ex.description
        dist = run_backtest(rc, executor=ex, cache_dir=tmp_path, **kw)
        assert len(ex.client.scheduler_info()["workers"]) == 2
        again = run_backtest(rc, executor=ex, cache_dir=tmp_path, **kw)
    assert list(dist.tasks["status"]) == ["ok"] * 4 and list(again.tasks["status"]) == ["cached"] * 4
    pd.testing.assert_frame_equal(serial.scores, dist.scores, check_exact=True)
    pd.testing.assert_frame_equal(serial.scores, again.scores, check_exact=True)
    assert len(list((tmp_path / "tasks").glob("*.json"))) == 4


def _die_once(marker: str) -> dict:
    import os
    from pathlib import Path

    if not Path(marker).exists():
        Path(marker).write_text("died")
        os._exit(1)           # the worker process dies mid-task
    return {"pid": os.getpid()}


def _always_die() -> dict:
    import os

    os._exit(1)


def _bad_window() -> dict:
    from macroattr.core.errors import InputError

    raise InputError("origin 2001-03-31: window holds 5 periods, fewer than the 9 the model needs")


def test_killed_worker_task_is_retried_and_failures_reported(tmp_path):
    import dask

    from macroattr.jobs.executor import Executor, Task

    tasks = [Task("k-die-once", "dies once", _die_once, {"marker": str(tmp_path / "m")}),
             Task("k-bad", "bad window", _bad_window, {}),
             Task("k-ok", "fine", dict, {"x": 1})]
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        with Executor(workers=2, say=lambda line: None) as ex:
            res = {r.label: r for r in ex.run(tasks, cache_dir=tmp_path, progress=False)}
            res |= {r.label: r for r in ex.run([Task("k-always", "always dies", _always_die, {})],
                                               cache_dir=tmp_path, progress=False)}
    assert res["dies once"].status == "ok" and (tmp_path / "m").exists()      # rescheduled
    assert res["always dies"].status == "failed" and "KilledWorker" in res["always dies"].reason
    assert res["bad window"].status == "failed" and "fewer than the 9" in res["bad window"].reason
    assert res["fine"].value == {"x": 1}
    cached = {p.stem for p in (tmp_path / "tasks").glob("*.json")}
    assert cached == {"k-die-once", "k-ok"}                                  # failures not cached


# ------------------------------------------------------------------ CLI
def test_cli_backtest_writes_tables_and_page(tmp_path, capsys, monthly_panel):
    p = _panel_file(tmp_path, monthly_panel)
    code, out, err = run_cli(["backtest", *STATIC, "--panel", str(p), "--start", "2011-01", "--end", "2011-06",
                              "--step", "1M", "--window", "rolling:96", "--method", "exact",
                              "--draws", "200", "--serial", "--cache-dir", str(tmp_path / "c"),
                              "--out", str(tmp_path / "bt")], capsys)
    assert code == 0, err
    scores = pd.read_csv(tmp_path / "bt" / "scores.csv")
    assert set(scores["model"]) == {"macroattr", "historical_mean", "ols"} and len(scores) == 18
    assert scores.groupby("date")["observed"].nunique().eq(1).all()
    summ = pd.read_csv(tmp_path / "bt" / "summary.csv")
    assert summ["model"].iloc[0] == "macroattr" and summ["periods"].eq(6).all()
    html = (tmp_path / "bt" / "backtest.html").read_text()
    for part in ("Cumulative log-score difference", "Parameter stability", "Coverage"):
        assert part in html
    assert "http://" not in html.split("<script>")[0] and "[6/6] origin 2011-06" in err


@pytest.mark.parametrize("args, needle", [
    (["--start", "1985Q1", "--end", "1990Q4"], "before the data start"),
    (["--start", "1989Q2", "--end", "1990Q4"], "but the model needs"),
    (["--start", "2000Q1", "--end", "2000Q4", "--window", "rolling:4"], "rolling:4: 4 periods are fewer"),
    (["--start", "2000Q1", "--end", "2000Q4", "--window", "growing"], "--window 'growing'"),
    (["--start", "2000Q5", "--end", "2000Q4"], "--start '2000Q5'"),
    (["--start", "2000Q1", "--end", "2000Q4", "--step", "2W"], "--step '2W'"),
])
def test_cli_bad_windows_and_origins_are_one_line(tmp_path, capsys, args, needle):
    code, out, err = run_cli(["backtest", *STATIC, *args, "--method", "exact", "--serial",
                              "--out", str(tmp_path / "o")], capsys)
    assert needle in one_line_error(code, err)
    assert not list((tmp_path / "o").glob("*.csv"))


def test_unreachable_scheduler_is_one_line_within_10_s(tmp_path):
    import subprocess
    import sys

    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "macroattr.cli", "backtest", "--start", "2010Q1",
                           "--end", "2010Q2", "--method", "exact", "--scheduler",
                           "tcp://127.0.0.1:9", "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=60)
    took = time.perf_counter() - t0
    line = one_line_error(proc.returncode, proc.stderr)
    assert "tcp://127.0.0.1:9" in line and "no Dask scheduler answered" in line
    assert took < 10, f"took {took:.1f} s"


# ------------------------------------------------------------------ state space: one pass
def _state_space_config(tmp_path, grid=True):
    from macroattr.configs import config_path

    src = config_path("default").read_text()
    src = src.replace('freq = "D"', 'freq = "M"').replace('start = "2000-01-01"', 'start = "1995-01-31"')
    src = src.replace('stale = "carry"', 'stale = "trim"')
    # the election-odds change is 0 before 2015: a refit on data to 2010 leaves it out (nothing to
    # learn), so the one-pass filter equals refits only on factors observed throughout
    src = src.replace('political = ["d_rep_win_prob", "dlog_epu"]', 'political = ["dlog_epu"]')
    if not grid:  # one discount pair: the filter has no grid weights fitted on the whole span
        import re

        src = re.sub(r"beta_discounts = \[.*\]", "beta_discounts = [0.999]", src)
        src = re.sub(r"variance_discounts = \[.*\]", "variance_discounts = [0.98]", src)
    p = tmp_path / ("ss.toml" if grid else "ss1.toml")
    p.write_text(src)
    return p


def test_state_space_one_pass_scores_equal_refits_at_origins(tmp_path, capsys):
    from macroattr.jobs.run_config import load_run_config
    from macroattr.jobs.backtest import run_backtest
    from macroattr.models import fit_model
    from macroattr.jobs.inputs import build_config_panel

    cfg_path = _state_space_config(tmp_path, grid=False)
    bt = run_backtest(cfg_path, start="2010Q1", end="2010Q4", say=lambda line: None, progress=False)
    assert any("ONE exact filter pass" in n for n in bt.notes)
    mine = bt.scores[bt.scores["model"] == "macroattr"].set_index("date")
    assert len(mine) == 12 and (mine["horizon"] == 1).all()
    assert bt.coefficients["origin"].nunique() == 4            # filtered betas at each origin
    rc = load_run_config(cfg_path)
    for date in ("2010-01-31", "2010-05-31", "2010-12-31"):    # refit on data up to each period
        panel, cfg = build_config_panel(rc.model, rc.panel.updated(end=date))
        row = fit_model(panel, cfg).one_step_ahead().iloc[-1]
        assert f"{row['date']:%Y-%m-%d}" == date
        for col in ("mean", "log_score"):
            assert mine.loc[date, col] == pytest.approx(row[col], abs=1e-9)
        assert mine.loc[date, "observed"] == pytest.approx(row["observed"], abs=1e-12)


def test_state_space_backtest_cli_says_one_pass(tmp_path, capsys):
    cfg_path = _state_space_config(tmp_path)
    code, out, err = run_cli(["backtest", "--config", str(cfg_path), "--start", "2011Q1", "--end",
                              "2011Q2", "--serial", "--out", str(tmp_path / "o"),
                              "--cache-dir", str(tmp_path / "c")], capsys)
    assert code == 0, err
    assert "ONE filter pass" in err and "no refit per origin" in err
    code, out, err = run_cli(["backtest", "--config", str(cfg_path), "--start", "2011Q1", "--end",
                              "2011Q2", "--as-of-origins", "--serial", "--out", str(tmp_path / "o2")],
                             capsys)
    assert "--as-of-origins" in one_line_error(code, err)


def test_a_bad_window_fails_its_origin_only(tmp_path, monthly_panel, capsys):
    from macroattr.models import ModelConfig

    data = monthly_panel.data.copy()
    factor = ModelConfig.shipped("static_monthly").factors[-1]
    data.loc[:"2006-12-31", factor] = 0.5          # constant (not 0) over the first origin's window
    p = _panel_file(tmp_path, monthly_panel, "const.csv", data)
    code, out, err = run_cli(["backtest", *STATIC, "--panel", str(p), "--start", "2007Q1", "--end", "2007Q2",
                              "--window", "rolling:24", "--method", "exact", "--draws", "300",
                              "--serial", "--out", str(tmp_path / "bt"),
                              "--cache-dir", str(tmp_path / "c")], capsys)
    assert code == 0, err
    tasks = pd.read_csv(tmp_path / "bt" / "tasks.csv").set_index("label")
    assert tasks.loc["2007Q1", "status"] == "failed" and "constant" in tasks.loc["2007Q1", "reason"]
    assert factor in tasks.loc["2007Q1", "reason"] and tasks.loc["2007Q2", "status"] == "ok"
    assert "FAILED 2007Q1" in out
    scores = pd.read_csv(tmp_path / "bt" / "scores.csv")
    assert set(scores["origin"]) == {"2007-03-31"}
    assert "failed and is left out of the scores" in (tmp_path / "bt" / "backtest.html").read_text()
    # a re-run computes only the failed origin again (finished tasks come from the cache)
    code, out, err = run_cli(["backtest", *STATIC, "--panel", str(p), "--start", "2007Q1", "--end", "2007Q2",
                              "--window", "rolling:24", "--method", "exact", "--draws", "300",
                              "--serial", "--out", str(tmp_path / "bt"),
                              "--cache-dir", str(tmp_path / "c")], capsys)
    assert "(1 from the cache)" in out and "origin 2007Q2: cached" in err
    assert "origin 2007Q1: failed" in err


def test_as_of_origins_build_each_panel_as_published_then():
    from macroattr.jobs.backtest import backtest_tasks
    from macroattr.jobs.inputs import build_config_panel
    from macroattr.jobs.run_config import load_run_config
    from macroattr.models.evaluation.backtest import plan_origins

    # the inputs `macroattr backtest` loads, through the public API
    rc = load_run_config(None)
    panel, cfg = build_config_panel(rc.model, rc.panel, source="snapshot")
    cfg = cfg.for_panel(panel)
    origins = plan_origins(panel.data.index, "2015Q1", "2015Q2", "1Q", n_factors=len(cfg.factors))
    kw = dict(window="expanding", prob=0.9, from_file=False)
    plain = backtest_tasks(rc, panel, cfg, origins, as_of_origins=False, **kw)
    asof = backtest_tasks(rc, panel, cfg, origins, as_of_origins=True, **kw)
    for o, p, a in zip(origins, plain, asof, strict=True):
        assert p.kwargs["data"].index[-1] == o.date                 # data up to the origin
        assert a.kwargs["meta"]["as_of"] == f"{o.date:%Y-%m-%d}"
        assert a.kwargs["data"].index[-1] < o.date                  # its month not yet published
        assert p.key != a.key
        # what was published then agrees with today's data on the periods both have
        # (the snapshot holds no vintages); the realised targets are today's
        common = a.kwargs["data"].index
        pd.testing.assert_frame_equal(a.kwargs["data"], panel.data.loc[common], check_freq=False)
        pd.testing.assert_frame_equal(a.kwargs["targets"], panel.data.loc[o.targets], check_freq=False)
    assert load_run_config(None).panel.as_of is None


def test_progress_is_a_bar_on_a_terminal_and_lines_otherwise(capsys):
    from macroattr.jobs.executor import Executor, Task

    lines: list[str] = []
    tasks = [Task("p1", "one", dict, {"a": 1}), Task("p2", "two", _bad_window, {})]
    with Executor(serial=True, say=lines.append) as ex:
        ex.run(tasks, progress=False, what="origin")
    assert lines[0].startswith("[1/2] origin one: done in") and lines[1].startswith(
        "[2/2] origin two: failed: origin 2001-03-31")
    lines.clear()
    with Executor(serial=True, say=lines.append) as ex:
        ex.run(tasks, progress=True, what="origin")          # rich bar on stderr, no plain lines
    err = capsys.readouterr().err
    assert lines == [] and "2/2" in err and "two: failed" in err


def test_time_varying_forecast_adds_the_random_walk_step(monthly_panel, cheap_sampler):
    from macroattr.models import ModelConfig, fit_model
    from macroattr.models.evaluation.backtest import _predictive_draws
    from macroattr.data_pipelines.panel import Panel

    cfg = ModelConfig.shipped("static_monthly").override(betas="time_varying", draws=400, chains=2,
                                         rhat_max=10.0, ess_bulk_min=1)
    past = monthly_panel.data.loc[:"2010-12-31"]
    fit = fit_model(Panel(past, dict(monthly_panel.meta)), cfg)
    x = monthly_panel.data.loc["2011-01-31", fit.design.factors].to_numpy(float)
    d = fit.design
    beta_T = fit.betas(start="2010-12-31", draws=True).values.reshape(-1, d.n_factors)
    mu0 = d.y_mean + d.y_sd * fit.flat_draws("alpha_std") + beta_T @ (x - d.x_mean)
    at_origin, *_ = _predictive_draws(fit, x, pd.Timestamp("2010-12-31"), np.random.default_rng(0))
    assert at_origin == pytest.approx(mu0, abs=1e-9)       # no time elapsed: the last betas
    a_year, *_ = _predictive_draws(fit, x, pd.Timestamp("2011-12-31"), np.random.default_rng(0))
    step_sd = np.sqrt(((fit.flat_draws("tv_scale") * d.y_sd / d.x_sd * (x - d.x_mean)) ** 2).sum(1))
    z = (a_year - mu0) / step_sd                              # one year: sd tv_scale per year
    assert abs(z.mean()) < 0.15 and z.std() == pytest.approx(1.0, abs=0.1)


def test_cli_runs_on_a_given_scheduler(tmp_path, capsys, monthly_panel):
    import logging

    from distributed import LocalCluster

    p = _panel_file(tmp_path, monthly_panel)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster:
        code, out, err = run_cli(["backtest", "--panel", str(p), "--start", "2011-01", "--end",
                                  "2011-02", "--step", "1M", "--method", "exact", "--draws", "300",
                                  "--scheduler", cluster.scheduler_address, "--out", str(tmp_path / "bt"),
                                  "--cache-dir", str(tmp_path / "c")], capsys)
    assert code == 0, err
    assert f"Dask scheduler {cluster.scheduler_address}: 1 workers, 1 threads" in err
    assert pd.read_csv(tmp_path / "bt" / "tasks.csv")["status"].eq("ok").all()
