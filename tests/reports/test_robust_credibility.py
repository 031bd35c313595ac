"""Robust credibility: the HAC OLS comparator and the combined sign status
(:mod:`macroattr.models.analysis.robust`, the model check and the headline)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from macroattr.data_pipelines.panel import Panel
from macroattr.models import ModelConfig, fit_model
from macroattr.models.analysis.robust import hac_attribution, hac_ols, sign_status
from macroattr.models.synthetic import simulate_panel


@pytest.mark.parametrize(("n", "k", "lags"), [(500, 2, 7), (6699, 6, None), (120, 3, None), (300, 1, 0)])
def test_hac_ols_is_statsmodels_newey_west(n, k, lags):
    import statsmodels.api as sm

    rng = np.random.default_rng(n + k)
    X = rng.normal(size=(n, k))
    y = 0.2 + X @ rng.normal(size=k) + rng.normal(size=n)
    r = hac_ols(y, X, maxlags=lags)
    ols = sm.OLS(y, sm.add_constant(X))
    ref = ols.fit(cov_type="HAC", cov_kwds={"maxlags": r["maxlags"], "use_correction": True})
    np.testing.assert_allclose(np.r_[r["alpha"], r["beta"]], ref.params, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(r["cov"], ref.cov_params(), rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(r["cov_iid"], ols.fit().cov_params(), rtol=1e-12, atol=1e-16)


def test_hac_ols_does_not_import_the_statsmodels_api():
    import subprocess
    import sys

    code = ("import sys, numpy as np; from macroattr.models.analysis.robust import hac_ols; "
            "hac_ols(np.arange(50.0), np.sin(np.arange(50.0))[:, None]); "
            "print('statsmodels.api' in sys.modules, 'statsmodels.regression' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def _ar1(rng, n, rho, sd):
    u = rng.normal(size=n)
    x = np.empty(n)
    x[0] = u[0]
    for t in range(1, n):
        x[t] = rho * x[t - 1] + u[t]
    return x * sd * np.sqrt(1 - rho * rho)


@pytest.fixture(scope="module")
def autocorrelated():
    """Daily panel whose credit-spread change and errors are both persistent (AR(1), 0.98):
    the iid intervals of a small static beta exclude zero, Newey-West's do not."""
    n, seed = 1500, 3
    panel, truth = simulate_panel(n=n, freq="D", seed=seed, start="2019-01-01", sigma=1.0)
    df = panel.data.copy()
    rng = np.random.default_rng(seed)
    x, e = _ar1(rng, n, 0.98, 0.05), _ar1(rng, n, 0.98, 1.0)
    for c in df.columns[1:]:
        df[c] = rng.normal(0, df[c].std(), n)
    df["d_baa_spread"] = x
    df["rel_return"] = -1.6 * x + e
    cfg = ModelConfig(groups=truth["groups"]).override(
        betas="state_space", method="exact", draws=100, chains=2, beta_discounts=[0.999, 1.0],
        variance_discounts=[1.0], monitor=False)  # errors this persistent trigger the break monitor
    return fit_model(Panel(df, dict(panel.meta)), cfg)


def test_hac_comparator_keeps_an_iid_sign_from_being_called_credible(autocorrelated):
    from macroattr.reports.content import report_content
    from macroattr.reports.model_check import model_check_content

    fit = autocorrelated
    q = fit.quarters[-2]
    per = pd.Period(q, freq="Q")
    s, e = str(per.start_time.date()), str(per.end_time.date())
    iid = hac_attribution(fit, s, e, iid=True).loc["leverage"]
    hac = hac_attribution(fit, s, e).loc["leverage"]
    assert iid["hdi_high"] < 0 and hac["hdi_low"] < 0 < hac["hdi_high"]
    mc = model_check_content(fit, q)
    rev = mc["revision"].set_index("component").loc["leverage"]
    st = mc["static"].set_index("component").loc["leverage"]
    # every Bayesian interval on the page excludes zero, so without HAC it would read settled ...
    assert rev["revised_hdi_high"] < 0 and rev["first_estimate_hdi_high"] < 0 and st["static_hdi_high"] < 0
    without = [{"mean": rev["revised_mean"], "hdi_low": rev["revised_hdi_low"], "hdi_high": rev["revised_hdi_high"]},
               {"mean": rev["first_estimate_mean"], "hdi_low": rev["first_estimate_hdi_low"],
                "hdi_high": rev["first_estimate_hdi_high"]},
               {"mean": st["static_mean"], "hdi_low": st["static_hdi_low"], "hdi_high": st["static_hdi_high"]}]
    assert sign_status(without) == "settled"
    # ... the robust comparator makes it open, and the page does not call it credible
    assert mc["status"]["leverage"] == "open"
    rob = mc["robust"].set_index("component").loc["leverage"]
    assert rob["hac_ols_low"] == pytest.approx(hac["hdi_low"]) and rob["hac_ols_high"] == pytest.approx(hac["hdi_high"])
    content = report_content(fit, q)
    text = content.reading
    assert "leverage" in text.lower() or "credit" in text.lower()
    assert "sign is credible" not in text and "Also credibly non-zero: credit" not in text
    assert "not established" in text


def test_first_estimate_disagreeing_unsettles_a_sign():
    rev = {"mean": -1.0, "hdi_low": -1.5, "hdi_high": -0.5}
    first = {"mean": -0.2, "hdi_low": -0.9, "hdi_high": 0.4}
    assert sign_status({"revised": rev, "hac": rev}) == "settled"
    assert sign_status({"revised": rev, "first estimate": first, "hac": rev}) == "open"
