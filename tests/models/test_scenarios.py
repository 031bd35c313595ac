"""Scenarios (``fit.scenario``): baseline, linearity in the shock, today's betas, replays,
flags, the shipped scenario set and one-line errors."""

from __future__ import annotations

import numpy as np
import pytest

from macroattr.core.errors import InputError
from macroattr.models import ModelConfig, fit_model
from macroattr.models.analysis.scenarios import load_scenarios, run_scenarios
from macroattr.models.synthetic import simulate_panel


@pytest.fixture(scope="module")
def sfit():
    """Static exact fit on 300 simulated months (normal errors, known betas)."""
    panel, truth = simulate_panel(n=300, seed=12, sigma=2.0)
    return fit_model(panel, ModelConfig(groups=truth["groups"]).override(
        method="exact", likelihood="normal", draws=500, chains=4))


@pytest.fixture(scope="module")
def tv_fit():
    from tests.support.cheap_nuts import install_cheap_sampler

    mp = pytest.MonkeyPatch()
    install_cheap_sampler(mp)
    try:
        n = 240
        panel, truth = simulate_panel(n=n, seed=13, beta_paths={"d_baa_spread": np.linspace(0.0, -6.0, n)})
        return fit_model(panel, ModelConfig(groups=truth["groups"]).override(
            betas="time_varying", draws=100, chains=2))
    finally:
        mp.undo()


def test_all_zero_shocks_equal_the_baseline_predictive(sfit):
    zero = sfit.scenario({f: 0.0 for f in sfit.design.factors})
    base = sfit.scenario()
    np.testing.assert_array_equal(zero.total, base.total)
    np.testing.assert_array_equal(zero.total, zero.baseline)
    # the baseline is alpha + the model's noise: alpha from the posterior's own parameter draws
    alpha = sfit.parameter_draws()["alpha"][0]
    np.testing.assert_allclose(base.draws[:, 0], alpha, atol=1e-9)
    sigma = sfit.parameter_draws()["sigma"][0]
    assert base.total.std() == pytest.approx(np.sqrt(alpha.var() + (sigma**2).mean()), rel=0.06)
    t = zero.table().set_index("component")
    assert t.loc["shock_effect", ["mean", "hdi_low", "hdi_high"]].abs().max() == 0.0


def test_twice_the_shock_gives_twice_the_contribution_draw_by_draw(sfit):
    one = sfit.scenario({"d_baa_spread": 0.5, "d_2y": -0.25})
    two = sfit.scenario({"d_baa_spread": 1.0, "d_2y": -0.5})
    for g in ("leverage", "rates"):
        i = one.components.index(g)
        np.testing.assert_allclose(two.draws[:, i], 2 * one.draws[:, i], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(two.total - two.baseline, 2 * (one.total - one.baseline), atol=1e-12)
    t1, t2 = (r.table().set_index("component") for r in (one, two))
    assert t2.loc["leverage", "mean"] == pytest.approx(2 * t1.loc["leverage", "mean"], rel=1e-12)


def test_contribution_is_the_betas_times_the_shock_and_recovers_the_truth(sfit):
    r = sfit.scenario({"d_baa_spread": 1.0})
    beta = sfit.betas(draws=True).isel(time=-1).sel(factor="d_baa_spread").values.reshape(-1)
    np.testing.assert_allclose(r.draws[:, r.components.index("leverage")], beta, atol=1e-12)
    lo, hi = r.table().set_index("component").loc["leverage", ["hdi_low", "hdi_high"]]
    assert lo < -3.0 < hi  # simulate_panel's true beta: -3 pp per 100 bp


def test_time_varying_fit_uses_the_betas_at_its_end(tv_fit):
    r = tv_fit.scenario({"d_baa_spread": 1.0})
    end = tv_fit.span[1]
    b_end = tv_fit.betas(end, end, draws=True).sel(factor="d_baa_spread").values.reshape(-1)
    b_avg = tv_fit.betas(draws=True).sel(factor="d_baa_spread").mean("time").values.reshape(-1)
    lev = r.draws[:, r.components.index("leverage")]
    np.testing.assert_allclose(lev, b_end, atol=1e-12)
    assert not np.allclose(lev, b_avg)
    assert r.as_of == end
    # alpha at the end is the fit's own alpha contribution of its last period
    a_end = tv_fit.contributions("M", start=end, end=end).sel(component="alpha").values.reshape(-1)
    np.testing.assert_allclose(r.draws[:, 0], a_end, atol=1e-12)


def test_horizon_scales_alpha_and_noise(sfit):
    one = sfit.scenario({"d_2y": -0.25})
    q = sfit.scenario({"d_2y": -0.25}, horizon="1Q")
    assert (q.periods, q.horizon) == (3, "1Q (3 months)")
    np.testing.assert_allclose(q.draws[:, 0], 3 * one.draws[:, 0], atol=1e-12)
    i = one.components.index("rates")
    np.testing.assert_array_equal(q.draws[:, i], one.draws[:, i])  # the shock is the horizon's total move
    assert q.draws[:, -1].std() / one.draws[:, -1].std() == pytest.approx(np.sqrt(3), rel=0.1)
    assert "over 3 months" in q.unit


def test_replay_applies_the_windows_realised_moves(sfit):
    r = sfit.scenario(replay="2003Q2")
    data = sfit.panel.data.loc["2003-04-01":"2003-06-30"]
    assert r.periods == 3 and r.horizon.startswith("2003Q2")
    for f in sfit.design.factors:
        assert r.shocks[f] == pytest.approx(float(data[f].sum()), abs=1e-12)
    beta = sfit.betas(draws=True).isel(time=-1).stack(s=("chain", "draw")).transpose("s", "factor").values
    fitted = r.draws[:, 0] + beta @ data[sfit.design.factors].sum().to_numpy()
    np.testing.assert_allclose(r.total - r.draws[:, -1], fitted, atol=1e-9)
    with pytest.raises(InputError, match="replay window 1990Q1 is outside the fit's data"):
        sfit.scenario(replay="1990Q1")
    with pytest.raises(InputError, match="drop --horizon"):
        sfit.scenario(replay="2003Q2", horizon="1Q")


def test_shocks_beyond_the_data_are_flagged(sfit):
    x = sfit.panel.data["d_baa_spread"]
    big = float(x.abs().max())
    r = sfit.scenario({"d_baa_spread": 1.01 * big, "d_2y": 0.5 * float(sfit.panel.data["d_2y"].abs().max())})
    flags = r.shock_table.set_index("factor")["beyond_data"]
    assert bool(flags["d_baa_spread"]) and not bool(flags["d_2y"])
    assert len(r.flags) == 1 and "largest" in r.flags[0]
    # the flag reads in the reader label and bp, the size of the largest move too
    want = (f"Baa corporate spread +{100 * 1.01 * big:.3g} bp is beyond the largest 1 month move "
            f"in the fit's data ({100 * big:.3g} bp)")
    assert r.flags[0] == want, r.flags[0]
    q = sfit.scenario({"d_baa_spread": 1.01 * big}, horizon="1Y")  # a year's moves are larger
    assert q.shock_table["largest_move"].iloc[0] == pytest.approx(float(x.rolling(12).sum().abs().max()))


def test_shocks_read_in_reader_labels_and_the_units_readers_count(sfit):
    """``2-year Treasury yield +100 bp``, not ``d_2y +1 pp``: the catalog's label and bp for
    a yield or spread in pp; other factors in their unit; the ids stay in the shock table."""
    r = sfit.scenario({"d_2y": 1.0, "cpi_surprise": -0.25, "dlog_epu": 0.3})
    assert r.shocks_text() == ("2-year Treasury yield +100 bp, CPI surprise -0.25 pp, "
                               "Economic policy uncertainty +0.3 log change")
    assert r.shocks_text() in r.summary_line()
    assert list(r.shock_table["factor"]) == ["d_2y", "cpi_surprise", "dlog_epu"]
    assert sfit.scenario({"d_baa_spread": -0.25}).shocks_text() == "Baa corporate spread -25 bp"
    assert sfit.scenario().shocks_text() == "no shock"


@pytest.mark.parametrize(("kw", "needle"), [
    ({"shocks": {"d_baa": 1.0}}, "unknown shock 'd_baa'; valid factors of this fit: d_2y, d_policy_path, "
                                 "cpi_surprise, d_baa_spread, dlog_epu"),
    ({"shocks": {"d_2y": float("nan")}}, "not a finite number"),
    ({"horizon": "1D"}, "horizon '1D' is shorter than the fit's period"),
    ({"horizon": "three months"}, "horizon 'three months' is not like 1D"),
    ({"replay": "Q2 2022"}, "replay window 'Q2 2022' is not a period like 2022Q2"),
])
def test_bad_scenarios_are_one_line_errors(sfit, kw, needle):
    with pytest.raises(InputError) as exc:
        sfit.scenario(kw.pop("shocks", None), **kw)
    assert needle in str(exc.value) and "\n" not in str(exc.value)


def test_shipped_set_applies_to_the_default_model(monthly_panel):
    sf = load_scenarios()
    assert sorted(sf.scenarios) == ["2022 rate shock", "credit stress", "dovish surprise", "soft CPI"]
    fit = fit_model(monthly_panel, ModelConfig.shipped("static_monthly").override(method="exact", draws=100, chains=2))
    results, skipped = run_scenarios(fit, sf)
    assert skipped == [] and [r.name for r in results] == list(sf.scenarios)
    by = {r.name: r.table().set_index("component") for r in results}
    # spreads 100 bp wider: small caps lag (the clearest monthly relationship, ~ -3 pp per 100 bp)
    assert by["credit stress"].loc["shock_effect", "hdi_high"] < 0


def test_scenarios_the_fit_cannot_take_are_named_not_dropped(sfit, tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('[scenarios.ok]\nshocks = { d_2y = -0.25 }\n'
                 '[scenarios.fx]\ndescription = "dollar"\nshocks = { d_dollar = 1.0 }\n')
    results, skipped = run_scenarios(sfit, f)
    assert [r.name for r in results] == ["ok"]
    assert skipped == ["fx: not applicable to this fit (unknown shock 'd_dollar'; valid factors of this "
                       "fit: d_2y, d_policy_path, cpi_surprise, d_baa_spread, dlog_epu)"]
    with pytest.raises(InputError, match="unknown scenario 'nope'; scenarios in the file: ok, fx"):
        run_scenarios(sfit, f, names=["nope"])


@pytest.mark.parametrize(("text", "needle"), [
    ('[scenarios.a]\nshockz = { d_2y = 1 }\n', "scenarios.a.shockz"),
    ('[scenarios.a]\nshocks = { d_2y = "big" }\n', "scenarios.a.shocks.d_2y"),
    ('[scenarios.a]\ndescription = "x"\n', "scenarios.a has neither shocks nor replay"),
    ('[scenarios.a\n', "is not readable TOML"),
])
def test_bad_scenario_files_name_the_key(tmp_path, text, needle):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(InputError) as exc:
        load_scenarios(f)
    assert needle in str(exc.value) and "bad.toml" in str(exc.value) and "\n" not in str(exc.value)


def test_state_space_scenario_uses_the_state_at_the_end():
    """The betas at the fit's last date, drawn from the P(varies) mixture (the revised draws:
    at the last date they use the same data as real time)."""
    n = 300
    panel, truth = simulate_panel(n=n, freq="D", seed=14, start="2023-01-02",
                                  beta_paths={"d_baa_spread": np.linspace(0.0, -8.0, n)})
    fit = fit_model(panel, ModelConfig(groups=truth["groups"]).override(
        betas="state_space", method="exact", likelihood="normal", draws=100))
    end = fit.span[1]
    r = fit.scenario({"d_baa_spread": 1.0})
    b = fit.betas(end, end, draws=True).sel(factor="d_baa_spread").values.reshape(-1)
    np.testing.assert_allclose(r.draws[:, r.components.index("leverage")], b, atol=1e-12)
    bf = fit.betas(end, end, estimate="filtered", draws=True).sel(factor="d_baa_spread").values.reshape(-1)
    assert abs(b.mean() - bf.mean()) < 3 * bf.std() / np.sqrt(len(bf)) + 0.3 * bf.std()
    sig = fit.sigma(end, end).values.reshape(-1)
    assert r.draws[:, -1].std() == pytest.approx(np.sqrt((sig**2).mean()), rel=0.15)
    zero = fit.scenario({"d_baa_spread": 0.0})
    np.testing.assert_array_equal(zero.total, zero.baseline)


def test_cross_check_flags_a_sign_disagreement_between_models():
    """The same shock through two models: opposite-sign betas are flagged, same-sign not;
    a factor the other model lacks makes the comparison not applicable."""
    from macroattr.models import ModelConfig, fit_model
    from macroattr.models.analysis.scenarios import cross_check
    from macroattr.models.synthetic import simulate_panel

    fits = {}
    for sign in (1, -1):
        panel, truth = simulate_panel(n=240, seed=5, betas={"d_baa_spread": 3.0 * sign})
        fits[sign] = fit_model(panel, ModelConfig(groups=truth["groups"]).override(method="exact", draws=200))
    r = fits[1].scenario({"d_baa_spread": 1.0})
    o = cross_check(r, fits[-1], "the other model")
    assert o["disagree"] and o["mean"] < 0 < float(r.effect.mean())
    assert any(f.startswith("SIGN DISAGREEMENT: the other model gives") for f in r.flags)
    same = fits[1].scenario({"d_baa_spread": 1.0})
    assert not cross_check(same, fits[1], "itself")["disagree"]
    assert not any(f.startswith("SIGN DISAGREEMENT") for f in same.flags)
    panel, truth = simulate_panel(n=240, seed=5)
    small = fit_model(panel, ModelConfig(groups={"rates": ["d_2y"]}).override(method="exact", draws=50))
    na = cross_check(fits[1].scenario({"d_baa_spread": 1.0}), small, "a smaller model")
    assert na["note"] == "not applicable: a smaller model has no d_baa_spread" and not na["disagree"]
