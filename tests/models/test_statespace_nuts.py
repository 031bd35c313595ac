"""State-space betas by NUTS over the discounts (method nuts): kernel gradient, the Op,
agreement with the exact method, P(varies), diagnostics, seeds, save/load, CLI."""

from __future__ import annotations

import numpy as np
import pytest

from macroattr.models import ModelConfig, fit_model, load_fit
from macroattr.models.statespace.dlm import DLMPrior, forward_filter
from macroattr.models.statespace.grad import loglik_grad
from macroattr.models.synthetic import simulate_panel
from tests.cli import run_cli


def _series(T=300, p=4, seed=0):
    rng = np.random.default_rng(seed)
    F = np.column_stack([np.ones(T), rng.normal(size=(T, p - 1))])
    b = np.where(np.arange(T) < T // 2, 1.0, -1.0)
    y = b * F[:, 1] + 0.3 * F[:, 2] + rng.normal(size=T) * np.exp(np.sin(np.arange(T) / 40))
    return y, F, DLMPrior.conjugate(p)


@pytest.mark.parametrize("db, dv", [(0.99, 0.95), (0.999, 0.9), (0.97, 0.995), (0.9999, 0.999)])
def test_gradient_matches_finite_differences(db, dv):
    y, F, pr = _series()
    ll, g = loglik_grad(y, F, db, dv, pr)

    def f(a, b):
        return forward_filter(y, F, a, b, pr, store=False).log_ml

    h = 1e-3 * min(1.0 - db, 1.0 - dv)

    def d5(g):  # five-point central difference (error O(h^4))
        return (8 * (g(h) - g(-h)) - (g(2 * h) - g(-2 * h))) / (12 * h)

    fd = np.array([d5(lambda e: f(db + e, dv)), d5(lambda e: f(db, dv + e))])
    assert np.allclose(g, fd, rtol=1e-6, atol=1e-6 * np.abs(fd).max())
    assert abs(ll - f(db, dv)) < 1e-9 * abs(ll)


def test_op_logp_equals_exact_filter():
    from macroattr.models.statespace.nuts import _op

    y, F, pr = _series(T=200, seed=1)
    op = _op(y, F, pr)
    for db, dv in [(0.98, 0.95), (1.0, 1.0), (0.995, 0.99)]:
        ll, g = (x.eval() for x in op(db, dv))
        exact = forward_filter(y, F, db, dv, pr, store=False).log_ml
        assert abs(float(ll) - exact) < 1e-8
        assert np.allclose(g, loglik_grad(y, F, db, dv, pr)[1], rtol=1e-12)


def test_op_gradient_through_pullback_without_deprecation():
    """The Op implements pytensor's ``pullback`` (not the deprecated ``grad``/``L_op``): no
    warning, and pytensor's gradient of the log-likelihood is the analytic one."""
    import warnings

    import pytensor
    import pytensor.tensor as pt

    from macroattr.models.statespace.nuts import _op

    y, F, pr = _series()
    op = _op(y, F, pr)
    db, dv = pt.dscalar("db"), pt.dscalar("dv")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        g = pytensor.grad(op(db, dv)[0], [db, dv])
    assert not [w for w in seen if "pullback" in str(w.message)], [str(w.message) for w in seen]
    fn = pytensor.function([db, dv], g)
    np.testing.assert_allclose(fn(0.98, 0.95), loglik_grad(y, F, 0.98, 0.95, pr)[1], rtol=1e-12)


def test_pytensor_gradient_of_model_logp():
    """The model's d logp / d z through the Op equals the chain rule by hand."""
    import pytensor.tensor as pt

    from macroattr.models.statespace.nuts import _op

    y, F, pr = _series(T=150, seed=2)
    db, dv = pt.dscalar("db"), pt.dscalar("dv")
    ll = _op(y, F, pr)(db, dv)[0]
    gb, gv = pt.grad(ll, [db, dv])
    vals = {db: 0.985, dv: 0.96}
    assert np.allclose([gb.eval(vals), gv.eval(vals)], loglik_grad(y, F, 0.985, 0.96, pr)[1])


# ---------------------------------------------------------------- fits (a few seconds each)
@pytest.fixture(scope="module")
def flip():
    """Monthly panel: d_2y beta flips sign half way, every other beta static."""
    n = 360
    path = np.where(np.arange(n) < n // 2, 4.0, -4.0)
    return simulate_panel(n=n, seed=5, sigma=1.5, beta_paths={"d_2y": path})


def _cfg(truth, **kw):
    base = dict(betas="state_space", method="nuts", draws=250, tune=500, chains=4, seed=11)
    return ModelConfig(groups=truth["groups"]).override(**{**base, **kw})


@pytest.fixture(scope="module")
def nuts_fit(flip):
    return fit_model(flip[0], _cfg(flip[1]))


@pytest.mark.slow
def test_nuts_fit_api_diagnostics_and_p_varies(nuts_fit, flip):
    f = nuts_fit
    assert f.diagnostics.divergences == 0
    assert float(f.diagnostics.table["r_hat"].max()) < 1.02  # 1,000 draws: R-hat noise ~0.005
    pv = f.p_varies()
    assert pv["d_2y"] > 0.95  # the flipping beta
    static = pv.drop("d_2y")
    assert static.max() < 0.5 and static.mean() < 0.25  # truly static betas
    for est in ("smoothed", "filtered"):
        c = f.contributions("Q", estimate=est)
        assert float(abs(c.sum("component") - f.observed("Q")).max()) < 1e-9
        b = f.betas(estimate=est, draws=True).sel(factor="d_2y").mean(("chain", "draw")).values
        assert b[20:150].mean() > 2.0 and b[210:340].mean() < -2.0
    osa = f.one_step_ahead()
    assert np.isfinite(osa["log_score"]).all()
    d = f.discounts()
    assert len(d) == 40 and np.isclose(d["weight"].sum(), 1.0)


@pytest.mark.slow
def test_nuts_agrees_with_exact_at_fixed_discounts(flip):
    """A prior pinned at delta_beta = 0.98, delta_v = 0.95 against the exact method on the
    one-point grid: smoothed beta paths and quarterly contributions within a few MCSE."""
    from macroattr.models.statespace import nuts as sn

    panel, truth = flip
    db, dv = 0.98, 0.95
    pinned = {"beta": (float(np.log((1 - db) / db)), 1e-6), "v": (float(np.log((1 - dv) / dv)), 1e-6)}
    old = sn.PRIOR_LOG_OMEGA
    sn.PRIOR_LOG_OMEGA = pinned
    try:
        fn = fit_model(panel, _cfg(truth, tune=100, draws=250))
    finally:
        sn.PRIOR_LOG_OMEGA = old
    assert np.allclose(fn.posterior["delta_beta"], db, atol=1e-7)
    # nuts draws from the unmonitored filter (its likelihood and gradient are that model's)
    fe = fit_model(panel, _cfg(truth, method="exact", draws=250, beta_discounts=[db],
                               variance_discounts=[dv], monitor=False))
    for est in ("smoothed", "filtered"):
        for a, b in ((fn.betas(estimate=est, draws=True), fe.betas(estimate=est, draws=True)),
                     (fn.contributions("Q", estimate=est), fe.contributions("Q", estimate=est))):
            x = a.values.reshape(-1, *a.shape[2:])
            z = b.values.reshape(-1, *b.shape[2:])
            se = np.sqrt(x.var(0) / len(x) + z.var(0) / len(z)) + 1e-12
            t = np.abs(x.mean(0) - z.mean(0)) / se
            assert t.max() < 5.0 and (t < 2.0).mean() > 0.9, (est, t.max(), (t < 2).mean())


@pytest.mark.slow
def test_seed_reproducible_and_save_load(nuts_fit, flip, tmp_path):
    again = fit_model(flip[0], _cfg(flip[1]))
    assert np.array_equal(again.posterior["delta_beta"].values, nuts_fit.posterior["delta_beta"].values)
    a, b = nuts_fit.attribution("Q", 0.9), again.attribution("Q", 0.9)
    assert np.array_equal(a["mean"].values, b["mean"].values)
    path = tmp_path / "n.nc"
    nuts_fit.save(str(path))
    back = load_fit(path)
    assert np.allclose(back.attribution("Q", 0.9, estimate="filtered")["mean"].values,
                       nuts_fit.attribution("Q", 0.9, estimate="filtered")["mean"].values, atol=1e-9)
    assert back.diagnostics.divergences == 0


@pytest.mark.slow
def test_cli_fit_nuts_and_summary(tmp_path, capsys):
    panel, _ = simulate_panel(n=120, seed=3)
    df = panel.data[["rel_return", "d_2y", "d_baa_spread"]]
    p = tmp_path / "p.csv"
    df.rename_axis("date").to_csv(p)
    cfg = tmp_path / "ss.toml"
    cfg.write_text('[groups]\nrates = ["d_2y"]\nleverage = ["d_baa_spread"]\n[model]\n'
                   'betas = "state_space"\n[sampler]\nmethod = "nuts"\ndraws = 100\ntune = 100\n')
    out = tmp_path / "f.nc"
    code, _, err = run_cli(["fit", "--panel", str(p), "--config", str(cfg), "--out", str(out)], capsys)
    assert code == 0, err
    assert "by nuts (pymc, 4x100 draws" in err  # the engine that runs, not the config's name
    code, stdout, err = run_cli(["summary", "--fit", str(out)], capsys)
    assert code == 0, err
    assert "d_2y" in stdout and "walk scales" in stdout and "P(varies)" in stdout


def test_posterior_grid_weights():
    """Posterior discount pairs weigh the same given all data; with data to t they are
    reweighted by the likelihood of the data after t (importance weights)."""
    from macroattr.models.statespace.nuts import posterior_grid

    y, F, pr = _series(T=120, seed=3)
    deltas = np.array([[0.98, 0.95], [0.995, 0.99], [1.0, 1.0]])
    pg = posterior_grid(y, F, deltas, pr, ["alpha", "a", "b", "c"], "test")
    assert np.allclose(pg.weights, 1 / 3) and np.allclose(pg.realtime_weights()[-1], 1 / 3)
    lls = np.column_stack([r.ll for r in pg.results])
    t = 40
    w = np.exp(-lls[t + 1:].sum(0) - (-lls[t + 1:].sum(0)).max())
    assert np.allclose(pg.realtime_weights()[t], w / w.sum(), rtol=1e-10)
    w0 = np.exp(-lls.sum(0) - (-lls.sum(0)).max())
    assert np.allclose(pg.predictive_weights()[0], w0 / w0.sum(), rtol=1e-10)


@pytest.mark.parametrize("case", ["constant", "nan"])
def test_cli_nuts_bad_input_one_line(tmp_path, capsys, case):
    from tests.cli import one_line_error

    panel, _ = simulate_panel(n=60, seed=3)
    df = panel.data[["rel_return", "d_2y", "d_baa_spread"]].copy()
    if case == "constant":
        df["d_baa_spread"] = 0.25
    else:
        df.iloc[10, 1] = np.nan
    p = tmp_path / "p.csv"
    df.rename_axis("date").to_csv(p)
    cfg = tmp_path / "ss.toml"
    cfg.write_text('[groups]\nrates = ["d_2y"]\nleverage = ["d_baa_spread"]\n[model]\n'
                   'betas = "state_space"\n[sampler]\nmethod = "nuts"\n')
    out = tmp_path / "f.nc"
    code, _, err = run_cli(["fit", "--panel", str(p), "--config", str(cfg), "--out", str(out)], capsys)
    line = one_line_error(code, err)
    assert ("d_baa_spread" in line and "constant" in line) if case == "constant" else "d_2y" in line
    assert not out.exists()


@pytest.mark.slow
def test_report_renders_from_a_nuts_fit(nuts_fit, tmp_path):
    from macroattr.reports.content import report_content
    from macroattr.reports.render import write_report

    q = nuts_fit.quarters[-1] if not callable(nuts_fit.quarters) else nuts_fit.quarters()[-1]
    out = write_report(report_content(nuts_fit, str(getattr(q, "label", q))), str(tmp_path))
    html = open(out, encoding="utf-8").read()
    assert "d_2y" in html or "rates" in html
