"""Specification grids: every spec-file error listed at once, stacking against ArviZ, the
stacked attribution, placebos, the CLI and its page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.cli import one_line_error, run_cli

pytestmark = pytest.mark.timeout(600)


def test_stacking_weights_equal_arviz_stacking(monthly_panel):
    import warnings

    import arviz as az

    from macroattr.models import ModelConfig, fit_model
    from macroattr.models.evaluation.stacking import stacking_weights

    base = ModelConfig.shipped("static_monthly").override(method="exact", draws=500)
    (g1, f1), (g2, f2) = list(base.groups.items())[0], list(base.groups.items())[-1]
    fits = {"full": fit_model(monthly_panel, base),
            "first": fit_model(monthly_panel, base.override(groups={g1: f1})),
            "last": fit_model(monthly_panel, base.override(groups={g2: f2}))}
    loos = {n: f.loo for n, f in fits.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = az.compare(loos, method="stacking", round_to=None)["weight"]
    lpd = np.column_stack([np.asarray(lo.elpd_i).ravel() for lo in loos.values()])
    mine = stacking_weights(lpd)
    theirs = ref.reindex(list(fits)).to_numpy()

    def objective(w):
        return np.log(np.exp(lpd) @ w).sum()

    # the same optimum: ours reaches at least ArviZ's objective, and the weights agree
    # (the objective is flat near the optimum, so the optimisers stop a little apart)
    assert objective(mine) >= objective(theirs) - 1e-6
    assert mine == pytest.approx(theirs, abs=0.01)
    assert mine.sum() == pytest.approx(1.0, abs=1e-12)


def test_stacking_recovers_a_known_mixture():
    from macroattr.models.evaluation.stacking import stacking_weights

    # data drawn from 0.3 N(0,1) + 0.7 N(3,1): stacking the two components recovers 0.3/0.7
    rng = np.random.default_rng(0)
    comp = rng.random(20_000) < 0.3
    y = np.where(comp, rng.normal(0, 1, 20_000), rng.normal(3, 1, 20_000))
    from scipy import stats

    lpd = np.column_stack([stats.norm.logpdf(y, 0, 1), stats.norm.logpdf(y, 3, 1)])
    assert stacking_weights(lpd) == pytest.approx([0.3, 0.7], abs=0.015)


def test_spec_file_errors_are_all_listed_and_nothing_runs(tmp_path, capsys):
    f = tmp_path / "bad.toml"
    f.write_text('[grid]\nquarter = "2024Q9"\nplacebo_shifts = 0\n'
                 '[grid.backtest]\nstart = "2015Q1"\nwindow = "growing"\n'
                 '[[spec]]\nname = "a"\nmodle = { likelihood = "normal" }\n'
                 '[[spec]]\nname = "a"\n'
                 '[[spec]]\nmodel = { betas = "wavy" }\n'
                 '[[spec]]\nname = "d"\npanel = { target_csv = "missing.csv" }\n')
    code, out, err = run_cli(["grid", "--specs", str(f), "--method", "exact", "--serial",
                              "--out", str(tmp_path / "o"), "--cache-dir", str(tmp_path / "c")], capsys)
    line = one_line_error(code, err)
    for needle in ("has 9 errors (nothing was run)", "2024Q9", "placebo_shifts 0",
                   "required key 'grid.backtest.end' is missing", "--window 'growing'", "unknown key 'modle'",
                   "name 'a' is used twice", "spec 3: no name", "model.betas",
                   "missing.csv"):
        assert needle in line, needle
    assert not (tmp_path / "o").exists() and not (tmp_path / "c").exists()


def test_spec_file_not_toml_is_one_line(tmp_path, capsys):
    f = tmp_path / "x.toml"
    f.write_text("[[spec]\nname=")
    code, out, err = run_cli(["grid", "--specs", str(f), "--out", str(tmp_path / "o")], capsys)
    assert "is not valid TOML" in one_line_error(code, err)


def test_grid_cli_compares_stacks_and_counts_placebos(tmp_path, capsys):
    import json

    from macroattr.models import ModelConfig

    groups = list(ModelConfig.shipped("static_monthly").groups.items())      # factor names from the config
    (g1, f1), (g2, f2) = groups[0], groups[-1]
    first = f1[0]
    f = tmp_path / "g.toml"
    # the shipped base (the daily state-space model) on 2017-2025, not 2000-2025: six fits
    # (two specs, two placebo shifts each) of the grid's plumbing, a third of the days
    span = 'panel = { start = "2017-01-01" }\n'
    f.write_text(f'[grid]\nquarter = "2019Q4"\nplacebo = "{first}"\nplacebo_shifts = 2\n'
                 '[[spec]]\nname = "baseline"\n' + span +
                 '[[spec]]\nname = "two groups"\n' + span +
                 f'groups = {{ {g1} = {json.dumps(f1[:1])}, {g2} = {json.dumps(f2)} }}\n')
    code, out, err = run_cli(["grid", "--specs", str(f), "--method", "exact", "--draws", "400",
                              "--serial", "--out", str(tmp_path / "o"),
                              "--cache-dir", str(tmp_path / "c")], capsys)
    assert code == 0, err
    comp = pd.read_csv(tmp_path / "o" / "comparison.csv")
    assert list(comp["spec"]) == ["baseline", "two groups"] and comp["status"].eq("ok").all()
    assert (comp[f"{g1}_hdi_low"] <= comp[f"{g1}_pp"]).all() and (comp[f"{g1}_pp"] <= comp[f"{g1}_hdi_high"]).all()
    w = comp.set_index("spec")["stacking_weight"]
    assert w.sum() == pytest.approx(1.0, abs=1e-9)
    attr = pd.read_csv(tmp_path / "o" / "attribution.csv")
    st = attr[attr["spec"] == "stacked"].set_index("component")["mean"]
    # the stacked mean is the weight-averaged mean (a group a spec lacks counts 0), up to
    # the Monte Carlo error of pooling 4000 draws
    spec_means = attr[attr["spec"] != "stacked"].pivot(index="component", columns="spec",
                                                       values="mean").fillna(0.0)
    expect = spec_means[w.index].to_numpy() @ w.to_numpy()
    assert st.reindex(spec_means.index).to_numpy() == pytest.approx(expect, abs=0.15)
    # stacked alpha + groups + residual = the quarter's observed return, as in every spec
    obs = attr[attr["spec"] == "baseline"]["mean"].sum()
    assert st.sum() == pytest.approx(obs, abs=1e-5)   # CSV holds 6 decimals
    plac = pd.read_csv(tmp_path / "o" / "placebo.csv")
    assert len(plac) == 4 and set(plac["factor"]) == {first}
    assert f"placebo: circularly shifted copies of {first}" in err and "credible contribution to 2019Q4" in err
    html = (tmp_path / "o" / "grid.html").read_text()
    assert "Contributions across specifications" in html and "stacked" in html


def test_grid_with_a_state_space_spec_uses_its_one_step_ahead_scores(tmp_path, capsys):
    from macroattr.configs import config_path

    ss = config_path("default").read_text().replace('freq = "D"', 'freq = "M"').replace(
        'start = "2000-01-01"', 'start = "1995-01-31"')
    (tmp_path / "ss.toml").write_text(ss)
    (tmp_path / "static.toml").write_text(config_path("static_monthly").read_text())
    f = tmp_path / "g.toml"
    f.write_text('[grid]\nquarter = "2019Q4"\n[grid.backtest]\nstart = "2019Q1"\nend = "2019Q2"\n'
                 '[[spec]]\nname = "static"\nconfig = "static.toml"\n'
                 '[[spec]]\nname = "state space"\nconfig = "ss.toml"\n')
    code, out, err = run_cli(["grid", "--specs", str(f), "--method", "exact", "--draws", "500",
                              "--serial", "--out", str(tmp_path / "o"),
                              "--cache-dir", str(tmp_path / "c")], capsys)
    assert code == 0, err
    comp = pd.read_csv(tmp_path / "o" / "comparison.csv").set_index("spec")
    assert comp["status"].eq("ok").all()
    assert np.isnan(comp.loc["state space", "elpd_loo"]) and comp.loc["state space", "lpds_one_step"] < 0
    assert comp["bt_periods"].eq(6).all() and comp["stacking_weight"].sum() == pytest.approx(1.0)
    ss_bt = pd.read_csv(tmp_path / "o" / "backtest_state_space.csv")
    assert (ss_bt.loc[ss_bt["model"] == "macroattr", "horizon"] == 1).all()   # one filter pass
    assert "one-pass filter: done" in err and "out-of-sample log scores of 6 periods" in err
