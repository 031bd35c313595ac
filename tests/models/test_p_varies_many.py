"""P(varies) above the exact-subset limit (MAX_SUBSET_FACTORS = 8): one filter per factor held
static against the all-drifting model, stated on the fit (p_varies_method / p_varies_text, the
line the page and `summary` print) — never skipped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from macroattr.models.statespace.dlm import (MAX_SUBSET_FACTORS, DLMPrior, factor_variation,
                                            factor_variation_one_at_a_time, grid_filter)


def _data(K, T=600, seed=0):
    rng = np.random.default_rng(seed)
    F = np.column_stack([np.ones(T), rng.normal(size=(T, K))])
    flip = np.where(np.arange(T) < T // 2, 1.0, -1.0)
    y = flip * F[:, 1] + 0.3 * F[:, 2:].sum(axis=1) + 0.5 * rng.normal(size=T)
    return y, F


def test_one_at_a_time_finds_the_drifting_beta_among_many():
    K = MAX_SUBSET_FACTORS + 4
    y, F = _data(K)
    prior = DLMPrior.conjugate(K + 1)
    gf = grid_filter(y, F, [0.97, 0.99, 1.0], [1.0], prior)
    pv = factor_variation_one_at_a_time(gf, F, prior)["p_varies"]
    assert pv.shape == (K,)
    assert pv[0] > 0.95                      # the flipping beta
    assert np.all(pv[1:] < 0.5)              # the static ones


def test_one_at_a_time_is_close_to_exact_where_both_run():
    y, F = _data(3, T=500, seed=2)
    prior = DLMPrior.conjugate(4)
    gf = grid_filter(y, F, [0.97, 0.99], [1.0], prior)
    exact = factor_variation(gf, F, prior)["p_varies"]
    approx = factor_variation_one_at_a_time(gf, F, prior)["p_varies"]
    np.testing.assert_allclose(approx, exact, atol=0.1)


@pytest.fixture(scope="module")
def many_factor_fit():
    from macroattr.data_pipelines.panel import Panel
    from macroattr.models import ModelConfig, fit_model

    K = MAX_SUBSET_FACTORS + 2
    y, F = _data(K, T=400, seed=3)
    names = [f"x{k}" for k in range(K)]
    idx = pd.date_range("2000-01-31", periods=len(y), freq="ME", name="date")
    df = pd.DataFrame(F[:, 1:], index=idx, columns=names)
    df.insert(0, "rel_return", y)
    groups = {"first": names[:5], "second": names[5:]}
    panel = Panel(df, {"freq": "M", "groups": groups, "units": {c: "pp" for c in df.columns},
                       "source": "synthetic"})
    cfg = ModelConfig(groups=groups).override(betas="state_space", method="exact", draws=100,
                                              chains=2)
    return fit_model(panel, cfg)


def test_fit_with_many_factors_states_the_approximation(many_factor_fit, tmp_path):
    fit = many_factor_fit
    pv = fit.p_varies()
    assert len(pv) == MAX_SUBSET_FACTORS + 2 and pv.notna().all()
    assert pv.idxmax() == "x0" and pv["x0"] > 0.9          # per factor, not one shared weight
    assert pv.drop("x0").median() < 0.3
    assert fit.p_varies_method().startswith("approximate")
    assert "held static alone" in fit.p_varies_text()
    assert fit.paths_text().startswith("Paths: every beta is drawn drifting, revised and first estimate")
    from macroattr.models import load_fit

    again = load_fit(fit.save(str(tmp_path / "many.nc")))
    pd.testing.assert_series_equal(again.p_varies(), pv)
    assert again.p_varies_method() == fit.p_varies_method()
