"""``macroattr event`` and ``macroattr scenario``: outputs, the fit cache, one-line errors."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.cli import one_line_error, run_cli

COLUMNS = ["component", "mean", "median", "hdi_low", "hdi_high", "unit"]


@pytest.fixture(scope="module")
def daily_fit_file(tmp_path_factory):
    from macroattr.data_pipelines import build_panel
    from macroattr.models import ModelConfig, fit_model

    panel = build_panel(freq="D", start="2022-01-01", end="2024-12-31")
    fit = fit_model(panel, ModelConfig.shipped("static_monthly").override(method="exact", draws=200, chains=2))
    path = tmp_path_factory.mktemp("fits") / "daily.nc"
    fit.save(str(path))
    return path


def test_event_with_a_fit_writes_the_window_csv(daily_fit_file, tmp_path, capsys):
    out = tmp_path / "window.csv"
    daily = tmp_path / "days.csv"
    code, stdout, err = run_cli(["event", "--fit", str(daily_fit_file), "--start", "2024-07-10",
                                 "--end", "2024-07-16", "--out", str(out), "--daily-out", str(daily)],
                                capsys)
    assert code == 0, err
    t = pd.read_csv(out)
    assert list(t.columns) == COLUMNS
    from macroattr.data_pipelines import build_panel

    obs = build_panel(freq="D", start="2024-07-10", end="2024-07-16").data["rel_return"].sum()
    tot = t.set_index("component").loc["total"]
    assert tot["mean"] == pytest.approx(obs, abs=1e-6) and tot["hdi_low"] == tot["hdi_high"]
    assert t.loc[t.component != "total", "mean"].sum() == pytest.approx(obs, abs=1e-5)
    d = pd.read_csv(daily)
    assert d["period"].nunique() == 5 and "release" in d.columns
    assert "posterior predictive probability" in stdout and "2024-07-15" in stdout
    assert "CPI release" in stdout and "2024-07-11" in stdout


def test_event_without_a_fit_makes_then_reuses_the_main_fit(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["event", "--start", "2024-07-10", "--end", "2024-07-16", "--cache-dir", str(tmp_path / "c"),
            "--source", "snapshot"]
    code, first, err1 = run_cli([*args, "--out", "a.csv"], capsys)
    assert code == 0, err1
    # the main job's fit (configs/default.toml on its whole [panel] span), not a shorter refit
    assert "main fit: state_space betas, exact posterior" in err1 and "config configs/default.toml" in err1
    assert "fit: the main fit (configs/default.toml" in first and "daily 2000-01-03.." in first
    code, second, err2 = run_cli([*args, "--out", "b.csv"], capsys)
    assert code == 0, err2
    assert "reusing" in err2 and len(list((tmp_path / "c" / "fits").glob("*.nc"))) == 1
    pd.testing.assert_frame_equal(pd.read_csv("a.csv"), pd.read_csv("b.csv"))
    # the default window fit is the daily state-space model: real-time estimates too
    assert "state_space betas" in first and "as estimated in real time" in first
    code, _, err3 = run_cli([*args, "--estimate", "real time", "--out", "c.csv"], capsys)
    assert code == 0, err3
    for spelling in ("first estimate", "filtered"):  # one vocabulary, aliases accepted
        code, _, err4 = run_cli([*args, "--estimate", spelling, "--out", "d.csv"], capsys)
        assert code == 0, err4
        pd.testing.assert_frame_equal(pd.read_csv("d.csv"), pd.read_csv("c.csv"))
    a, c = pd.read_csv("a.csv").set_index("component"), pd.read_csv("c.csv").set_index("component")
    assert c.loc["total", "mean"] == a.loc["total", "mean"]
    assert c.loc[c.index != "total", "mean"].sum() == pytest.approx(c.loc["total", "mean"], abs=1e-5)
    assert not (a["mean"] - c["mean"]).abs().lt(1e-9).all()


@pytest.mark.parametrize(("args", "needle"), [
    (["--start", "2030-01-02", "--end", "2030-01-08"], "is outside the fit's data (2022-01-03 to 2024-12-31)"),
    (["--start", "2024-07-16", "--end", "2024-07-10"], "--end 2024-07-10 is before --start 2024-07-16"),
    (["--start", "July", "--end", "2024-07-16"], "--start 'July' is not a date"),
    (["--start", "2024-07-10", "--end", "2024-07-16", "--out", "w.xlsx"], "must end in .csv"),
    (["--start", "2024-07-10", "--end", "2024-07-16", "--estimate", "real time"], "no real-time"),
])
def test_event_errors_are_one_line(daily_fit_file, tmp_path, capsys, monkeypatch, args, needle):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["event", "--fit", str(daily_fit_file), *args], capsys)
    assert needle in one_line_error(code, err)
    assert not list(tmp_path.iterdir())


def test_event_outside_the_main_fit_says_how_to_cover_it(tmp_path, capsys):
    code, _, err = run_cli(["event", "--start", "1990-01-02", "--end", "1990-01-08",
                            "--cache-dir", str(tmp_path), "--source", "snapshot"], capsys)
    line = one_line_error(code, err)
    assert "is outside the main fit's data (2000-01-03 to" in line and "--fit-start" in line
    assert not (tmp_path / "fits").exists()  # refused before any fitting


def test_scenario_shocks_replay_and_the_standard_set(daily_fit_file, tmp_path, capsys):
    out = tmp_path / "s.csv"
    code, stdout, err = run_cli(["scenario", "--fit", str(daily_fit_file), "--shock", "d_2y=-0.25",
                                 "--shock", "d_baa_spread=+1.0", "--horizon", "1Q", "--out", str(out)],
                                capsys)
    assert code == 0, err
    t = pd.read_csv(out)
    assert list(t.columns) == COLUMNS
    assert t["component"].tolist()[-3:] == ["total", "baseline", "shock_effect"]
    assert "horizon 1Q (63 sessions)" in stdout and "FLAG: Baa corporate spread +100 bp is beyond" in stdout
    code, stdout, err = run_cli(["scenario", "--fit", str(daily_fit_file), "--replay", "2022Q2"], capsys)
    assert code == 0, err
    assert "replay 2022Q2" in stdout and "2022Q2 (62 sessions)" in stdout
    out2 = tmp_path / "all.csv"
    code, stdout, err = run_cli(["scenario", "--fit", str(daily_fit_file), "--out", str(out2)], capsys)
    assert code == 0, err
    t = pd.read_csv(out2)
    assert list(t.columns) == ["scenario", *COLUMNS]
    assert list(pd.unique(t["scenario"])) == ["dovish surprise", "credit stress", "soft CPI", "2022 rate shock"]


@pytest.mark.parametrize(("args", "needle"), [
    (["--shock", "d_baa=1"], "unknown shock 'd_baa'; valid factors of this fit: {factors}"),
    (["--shock", "d_2y"], "--shock 'd_2y' is not FACTOR=VALUE"),
    (["--shock", "d_2y=1", "--shock", "d_2y=2"], "--shock d_2y given twice"),
    (["--scenario", "hawkish"], "unknown scenario 'hawkish'; scenarios in the file: dovish surprise"),
    (["--shock", "d_2y=1", "--horizon", "1 quarter"], "horizon '1 quarter' is not like"),
    (["--replay", "1980Q1"], "replay window 1980Q1 is outside the fit's data"),
    # one date parser: 05/06/2024 is May 6 or 5 June, never guessed (was read as 6 May-6 July)
    (["--replay", "05/06/2024:07/06/2024"],
     "replay window '05/06/2024' is not a date in ISO form: its day/month order is ambiguous"),
    (["--shock", "d_2y=1", "--out", "x.txt"], "must end in .csv"),
])
def test_scenario_errors_are_one_line(daily_fit_file, tmp_path, capsys, monkeypatch, args, needle):
    monkeypatch.chdir(tmp_path)
    from macroattr.models import load_fit

    factors = ", ".join(load_fit(daily_fit_file).design.factors)
    code, _, err = run_cli(["scenario", "--fit", str(daily_fit_file), *args], capsys)
    assert needle.format(factors=factors) in one_line_error(code, err)
    assert not list(tmp_path.iterdir())


def test_run_refuses_a_bad_scenario_file_before_any_work(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[scenarios."x"]\nshocks = { d_2y = "a lot" }\n')
    code, _, err = run_cli(["run", "--source", "snapshot", "--scenarios", str(bad),
                            "--out", str(tmp_path / "reports"), "--cache-dir", str(tmp_path / "c")], capsys)
    assert "bad.toml: scenarios.x.shocks.d_2y" in one_line_error(code, err)
    assert not (tmp_path / "c").exists()
