"""`compare` with state-space fits (issue 22): PSIS-LOO does not apply to betas that move every
period, so a comparison that includes a state-space fit ranks by one-step-ahead LPDS (exact
filter) and says so; fits on different observations are one line, nothing written."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.cli import one_line_error, run_cli

from .conftest import tree


@pytest.fixture(scope="module")
def ss_fits(tmp_path_factory):
    """Two state-space fits (other discount grids) and a static fit of one panel, and a
    state-space fit of a shorter span."""
    from macroattr.models import ModelConfig, fit_model
    from macroattr.models.synthetic import simulate_panel

    where = tmp_path_factory.mktemp("cmp")
    panel, truth = simulate_panel(n=120, seed=3)
    base = ModelConfig(groups=truth["groups"])
    ss = dict(betas="state_space", method="exact", draws=100, chains=2)
    paths = {
        "drift": fit_model(panel, base.override(**ss, beta_discounts=[0.98, 1.0],
                                                variance_discounts=[0.95, 1.0])),
        "still": fit_model(panel, base.override(**ss, beta_discounts=[1.0],
                                                variance_discounts=[1.0])),
        "static": fit_model(panel, base.override(method="exact", draws=200, chains=2)),
        "short": fit_model(panel, base.override(**ss, end="2004-12-31", beta_discounts=[0.98, 1.0],
                                                variance_discounts=[0.95, 1.0])),
    }
    return {k: f.save(where / f"{k}.nc") for k, f in paths.items()}


def test_two_state_space_fits_are_ranked_by_one_step_ahead_lpds(ss_fits, tmp_path, capsys):
    from macroattr.models import load_fit

    out = tmp_path / "cmp.csv"
    code, stdout, err = run_cli(["compare", ss_fits["drift"], ss_fits["still"], ss_fits["static"],
                                 "--out", str(out)], capsys)
    assert code == 0, err
    assert "note: ranked by one-step-ahead log predictive density (LPDS, exact filter" in stdout
    assert "not PSIS-LOO" in stdout
    t = pd.read_csv(out, index_col="model")
    assert list(t.columns) == ["rank", "lpds", "lpds_diff", "dse", "n_obs"]
    for name in ("drift", "still", "static"):
        osa = load_fit(ss_fits[name]).one_step_ahead()
        assert t.loc[name, "lpds"] == pytest.approx(osa["log_score"].sum(), abs=1e-9)
        assert t.loc[name, "n_obs"] == 120
    best = t.index[t["rank"] == 0][0]
    assert t.loc[best, "lpds"] == t["lpds"].max() and t.loc[best, "lpds_diff"] == 0
    assert np.allclose(t["lpds_diff"], t["lpds"] - t["lpds"].max(), atol=1e-9)
    # discounts of 1 (no time variation) are the static model through the same filter
    assert t.loc["still", "lpds"] == pytest.approx(t.loc["static", "lpds"], abs=1e-6)
    assert (t["dse"] >= 0).all() and t.loc[t.index != best, "dse"].gt(0).any()


def test_state_space_fits_on_different_observations_are_one_line(ss_fits, tmp_path, capsys):
    out = tmp_path / "cmp.csv"
    before = tree(tmp_path)
    code, _, err = run_cli(["compare", ss_fits["drift"], ss_fits["short"], "--out", str(out)], capsys)
    line = one_line_error(code, err)
    assert "fit 'short' is on different observations than 'drift' (60 vs 120 periods)" in line
    assert tree(tmp_path) == before
