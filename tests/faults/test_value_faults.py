"""Non-finite or absurd values refused where they enter: one line, exit 2, nothing written."""

from __future__ import annotations

import pytest

from tests.cli import one_line_error, run_cli

from .conftest import tree

CONFIGS = [
    ("x = " + "[" * 3000 + "]" * 3000 + "\n", "nests arrays or tables too deeply"),
    ("[priors]\nbeta_sd = inf\n", "priors.beta_sd: Input should be a finite number"),
    ("[priors]\nbeta_sd = nan\n", "priors.beta_sd: Input should be a finite number"),
    ("[state_space]\nscale_years = 1e9\n", "state_space.scale_years: Input should be less than or equal to 100"),
    ('[panel]\nstart = "banana"\n', "panel.start: 'banana' is not a date"),
    ("[priors]\nbeta_sd = 1e308\n", "priors.beta_sd: Input should be less than or equal to 10000 (got 1e+308)"),
    ("[priors]\nsigma2_scale = 1e308\n", "priors.sigma2_scale: Input should be less than or equal to 1000000"),
    ("[sampler]\ndraws = 1000000000\n", "would hold about 133,544.2 GiB of posterior draws"),
    ("[state_space]\nbeta_discounts = [1e308]\n", "discount 1e+308 is outside (0, 1]"),
]


@pytest.mark.parametrize("text,words", CONFIGS, ids=["nested", "inf", "nan", "scale_years", "start",
                                                     "beta_sd_1e308", "sigma2_1e308", "draws_1e9",
                                                     "discount_1e308"])
def test_bad_config_values_are_one_line(text, words, tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    before = tree(tmp_path)
    code, _, err = run_cli(["fit", "--config", str(cfg), "--out", str(tmp_path / "f.nc")], capsys)
    assert words in one_line_error(code, err)
    assert tree(tmp_path) == before


@pytest.mark.parametrize("command", [["summary"], ["attribution", "--out", "a.csv"]])
@pytest.mark.parametrize("hdi", ["nan", "inf", "1.5", "0"])
def test_hdi_must_be_a_probability(command, hdi, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(command + ["--hdi", hdi], capsys)
    assert "must be a probability between 0 and 1" in one_line_error(code, err)
    assert list(tmp_path.iterdir()) == []


# --- shocks ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def static_fit(tmp_path_factory):
    """An exact fit of a simulated monthly panel (d_2y moves at most 0.83 pp in a month)."""
    from macroattr.models import ModelConfig, fit_model
    from macroattr.models.synthetic import simulate_panel

    panel, truth = simulate_panel(n=120, seed=3)
    fit = fit_model(panel, ModelConfig(groups=truth["groups"]).override(method="exact", draws=200,
                                                                        chains=2))
    return fit.save(tmp_path_factory.mktemp("fit") / "fit.nc")


@pytest.mark.parametrize("shock,horizon,words", [
    ("1e308", None, "shock d_2y = 1e+308 pp is over 100 times the largest 1 month move of d_2y "
                    "in the fit's data (0.8307 pp, to 2000-10-31)"),
    ("-1e6", None, "shock d_2y = -1e+06 pp is over 100 times"),
    ("1e4", "1Y", "largest 1Y (12 months) move of d_2y in the fit's data (1.703 pp, to 2005-06-30)"),
    ("nan", None, "--shock 'd_2y=nan' is not FACTOR=VALUE"),
    ("inf", None, "--shock 'd_2y=inf' is not FACTOR=VALUE"),
], ids=["1e308", "-1e6", "1e4-1Y", "nan", "inf"])
def test_absurd_shocks_are_one_line(shock, horizon, words, static_fit, tmp_path, capsys):
    out = tmp_path / "s.csv"
    before = tree(tmp_path)
    argv = ["scenario", "--fit", static_fit, "--shock", f"d_2y={shock}", "--out", str(out)]
    code, _, err = run_cli(argv + (["--horizon", horizon] if horizon else []), capsys)
    line = one_line_error(code, err)
    assert words in line
    if "times" in line:
        assert "give the move in the factor's natural units (pp: -0.25 = 25 bp lower)" in line
    assert tree(tmp_path) == before


def test_a_plausible_shock_still_runs(static_fit, capsys):
    code, out, err = run_cli(["scenario", "--fit", static_fit, "--shock", "d_2y=5"], capsys)
    assert code == 0, err  # beyond anything seen (flagged), but not absurd
    assert "FLAG: 2-year Treasury yield +500 bp is beyond the largest 1 month move" in out


def test_an_absurd_shock_in_a_scenario_file_is_one_line(static_fit, tmp_path, capsys):
    sc = tmp_path / "sc.toml"
    sc.write_text('[scenarios."huge"]\nshocks = { d_2y = 1e308 }\n')
    before = tree(tmp_path)
    code, _, err = run_cli(["scenario", "--fit", static_fit, "--scenarios", str(sc), "--scenario",
                            "huge", "--out", str(tmp_path / "s.csv")], capsys)
    assert "scenario 'huge': shock d_2y = 1e+308 pp is over 100 times" in one_line_error(code, err)
    assert tree(tmp_path) == before


# --- target levels -------------------------------------------------------------------------------

def _levels(path, small_at=None):
    import numpy as np
    import pandas as pd

    d = pd.date_range("2015-01-31", "2020-12-31", freq="ME")
    rng = np.random.default_rng(0)
    s = 100 * np.exp(np.cumsum(rng.normal(0, 0.04, len(d))))
    lg = 100 * np.exp(np.cumsum(rng.normal(0, 0.03, len(d))))
    if small_at is not None:
        s[30] = small_at
    pd.DataFrame({"date": d.strftime("%Y-%m-%d"), "small": s, "large": lg}).to_csv(path, index=False)
    return path


def test_a_target_level_of_1e308_needs_the_explicit_option(tmp_path, capsys):
    t = _levels(tmp_path / "levels.csv", small_at=1e308)
    out = tmp_path / "p.csv"
    before = tree(tmp_path)
    code, _, err = run_cli(["data", "panel", "--target-csv", str(t), "--factors", "d_2y", "--out",
                            str(out)], capsys)
    line = one_line_error(code, err)
    assert line == (f"macroattr: error: {t}: columns 'small'/'large' give +70,474.2 pp in the month "
                    "to 2017-07-31 (2 period(s) beyond ±100 pp, a move no index pair ever made); "
                    "check the file for a typo or wrong unit, or pass --allow-extreme-returns "
                    "([panel] allow_extreme_returns = true) if it is real")
    assert tree(tmp_path) == before
    code, _, err = run_cli(["data", "panel", "--target-csv", str(t), "--factors", "d_2y", "--out",
                            str(out), "--allow-extreme-returns"], capsys)
    assert code == 0, err
    import pandas as pd

    assert pd.read_csv(out, index_col=0)["rel_return"].abs().max() > 70_000  # taken as given


def test_a_rel_return_beyond_100_pp_is_refused_and_ordinary_files_pass(tmp_path):
    import pandas as pd

    from macroattr.core.errors import InputError
    from macroattr.data_pipelines import build_panel

    t = tmp_path / "r.csv"
    t.write_text("date,rel_return\n2019-01-31,1.0\n2019-02-28,-150.0\n2019-03-31,0.5\n")
    with pytest.raises(InputError, match=r"column 'rel_return' gives -150.0 pp in the month to 2019-02-28"):
        build_panel(target_csv=t, factors="d_2y")
    p = build_panel(target_csv=t, factors="d_2y", allow_extreme_returns=True)
    assert float(p.data.loc[pd.Timestamp("2019-02-28"), "rel_return"]) == -150.0
    ok = build_panel(target_csv=_levels(tmp_path / "ok.csv"), factors="d_2y")
    assert ok.data["rel_return"].abs().max() < 100


# --- grid quarter --------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["option", "file"])
def test_grid_quarter_outside_the_data_is_one_line_before_any_fit(where, tmp_path, capsys):
    f = tmp_path / "g.toml"
    f.write_text(('[grid]\nquarter = "1900Q1"\n' if where == "file" else "")
                 + '[[spec]]\nname = "baseline"\n')
    out = tmp_path / "o"
    before = tree(tmp_path)
    argv = ["grid", "--specs", str(f), "--method", "exact", "--draws", "200", "--serial", "--out",
            str(out), "--cache-dir", str(tmp_path / "c")]
    code, _, err = run_cli(argv + (["--quarter", "1900Q1"] if where == "option" else []), capsys)
    lines = [x for x in err.splitlines() if x.startswith("macroattr:")]
    assert code == 2 and len(lines) == 1, err
    assert lines[0].startswith("macroattr: error: quarter 1900Q1 (--quarter or [grid] quarter) is "
                               "not a complete quarter of specification 'baseline''s data (")
    assert "leave it out for the latest one they all cover" in lines[0]
    assert "Traceback" not in err and "fitting" not in err
    assert tree(tmp_path) == before and not out.exists()
