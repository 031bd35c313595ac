"""The state-space prior is set in natural units and does not depend on the span.

A fit starting in 2000 and one starting in 2013 (FOMC surprises near zero at the lower
bound) give the same prior per factor for the beta, the trend, the residual sd and the
walks; the scales are the fixed 1990–1999 pre-sample ones of
:mod:`macroattr.data_pipelines.scales`, which match a recomputation from the snapshot. The
discount grid says when its weight piles on an edge.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def two_starts():
    from macroattr.jobs.run_config import load_run_config
    from macroattr.models import fit_model
    from macroattr.jobs.inputs import build_config_panel

    rc = load_run_config(None)  # configs/default.toml: the daily state-space model
    fits = {}
    for start in ("2000-01-01", "2013-01-01"):
        panel, cfg = build_config_panel(rc.model, rc.panel.updated(start=start, end="2024-12-31"))
        fits[start] = fit_model(panel, cfg.override(draws=20, chains=2))
    return fits


def test_a_2000_and_a_2013_start_give_the_same_prior_per_factor(two_starts):
    a, b = (two_starts[s].priors().set_index("parameter") for s in ("2000-01-01", "2013-01-01"))
    assert two_starts["2000-01-01"].span[0] < "2000-01-10" < "2013-01-01" <= two_starts["2013-01-01"].span[0]
    assert list(a.index) == list(b.index)
    for f in two_starts["2000-01-01"].design.factors:
        row = f"beta {f} at the start"
        assert a.loc[row, "scale"] == pytest.approx(b.loc[row, "scale"], rel=1e-12), f
        assert a.loc[row, "unit"] == b.loc[row, "unit"] and a.loc[row, "unit"].startswith("pp per ")
        assert "fixed pre-sample" in a.loc[row, "basis"]
    for row in ("trend (time-varying intercept) at the start", "residual sd at the start",
                "beta walk (state discount)", "volatility drift (variance discount)"):
        pd.testing.assert_series_equal(a.loc[row], b.loc[row], check_names=False)
    # and the scales really are the reference ones, not the span's
    from macroattr.data_pipelines.scales import reference_scale
    from macroattr.models.statespace.paths import prior_scales

    for fit in two_starts.values():
        sc = prior_scales(fit.design, fit.config.state_space.scale_years)
        want = [reference_scale(f, "D") for f in fit.design.factors]
        np.testing.assert_array_equal(sc["x_sd"], want)
        assert sc["y_sd"] == reference_scale("rel_return", "D") and not sc["x_mean"].any()


def test_the_mp_target_prior_no_longer_widens_with_a_zero_lower_bound_start(two_starts):
    """The old rule (sd over the span's first two years) gave the 2013 start a many-times
    wider mp_target prior; the fixed scale gives one width."""
    a, b = (two_starts[s].priors().set_index("parameter").loc["beta mp_target at the start", "scale"]
            for s in ("2000-01-01", "2013-01-01"))
    assert a == b
    old = {}
    for s, fit in two_starts.items():  # what the first-two-years rule would have used
        x = fit.design.X[:, fit.design.factors.index("mp_target")]
        n = int(np.searchsorted(fit.design.dates.values, (fit.design.dates[0] + pd.DateOffset(years=2)).to_datetime64()))
        old[s] = x[:n].std(ddof=1)
    assert old["2000-01-01"] / old["2013-01-01"] > 3  # the span rule's spread, now gone


def test_reference_scales_match_the_snapshot():
    from macroattr.data_pipelines.scales import REFERENCE, compute_reference_scales

    got = compute_reference_scales()
    assert got.keys() == REFERENCE.keys()
    for freq in got:
        assert got[freq].keys() == REFERENCE[freq].keys()
        for col, v in got[freq].items():
            assert v == pytest.approx(REFERENCE[freq][col], abs=1e-6), (freq, col)


def test_plain_panels_fall_back_to_the_span_rule_and_say_so():
    from macroattr.models import ModelConfig, fit_model
    from macroattr.models.synthetic import simulate_panel

    panel, truth = simulate_panel(n=300, freq="D", seed=3, start="2020-01-01")
    fit = fit_model(panel, ModelConfig(groups=truth["groups"]).override(
        betas="state_space", method="exact", draws=20, chains=2))
    basis = fit.priors()["basis"]
    # trend, each beta and the residual sd: scaled by the span's first periods, stated
    assert basis.str.startswith("first ").sum() == 2 + len(fit.design.factors)


def test_the_grid_warns_when_its_weight_piles_on_an_edge():
    from macroattr.jobs.run_config import load_run_config
    from macroattr.models import fit_model
    from macroattr.jobs.inputs import build_config_panel
    from macroattr.reports.content import _gate

    rc = load_run_config(None)
    panel, cfg = build_config_panel(rc.model, rc.panel.updated(start="2021-01-01", end="2024-12-31"))
    fit = fit_model(panel, cfg.override(draws=20, chains=2))
    # the shipped grid reaches the faster drift this short span asks for: no edge
    assert fit.grid_warnings() == []
    w = fit.discounts().groupby("delta_beta")["weight"].sum()
    assert w.idxmax() < 0.995  # faster than the old grid's floor
    # the old grid (floor 0.995) puts the weight on its floor, and the fit says so
    ss = cfg.state_space.model_copy(update={"beta_discounts": [0.995, 0.998, 0.999, 1.0]})
    old = fit_model(panel, cfg.model_copy(update={"state_space": ss}).override(draws=20, chains=2))
    warnings = old.grid_warnings()
    assert len(warnings) == 1 and "lowest state discount 0.995, the grid's floor" in warnings[0]
    assert _gate(old)["warnings"] == warnings  # the report's banner
