"""The model-check section of a state-space fit's report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from macroattr.models import ModelConfig, fit_model
from macroattr.models.synthetic import simulate_panel
from macroattr.reports.model_check import model_check_content, sign_reading


@pytest.fixture(scope="module")
def ss_fit():
    n = 240
    path = np.where(np.arange(n) < n // 2, 4.0, -4.0)
    panel, truth = simulate_panel(n=n, seed=8, sigma=1.5, beta_paths={"d_2y": path})
    cfg = ModelConfig(groups=truth["groups"]).override(
        betas="state_space", method="exact", draws=100, chains=2,
        beta_discounts=[0.95, 0.98, 1.0], variance_discounts=[0.95, 1.0])
    return fit_model(panel, cfg)


def test_model_check_tables(ss_fit):
    q = ss_fit.quarters[-1]
    mc = model_check_content(ss_fit, q)
    rev = mc["revision"].set_index("component")
    revised = ss_fit.attribution("Q").query("period == @q").set_index("component")
    first = ss_fit.attribution("Q", estimate="filtered").query("period == @q").set_index("component")
    assert np.allclose(rev["revised_mean"], revised.loc[rev.index, "mean"])
    assert np.allclose(rev["first_estimate_mean"], first.loc[rev.index, "mean"])
    assert np.allclose(rev["revision"], rev["revised_mean"] - rev["first_estimate_mean"])
    # both attributions add up to the observed return of the quarter
    total = revised.loc["total", "mean"]
    assert rev["revised_mean"].sum() == pytest.approx(total, abs=1e-9)
    assert rev["first_estimate_mean"].sum() == pytest.approx(total, abs=1e-9)
    lp = mc["lpds"]
    assert lp["lpds_span"].iloc[0] > lp["lpds_span"].iloc[1]  # the flip favours time variation
    assert lp["lpds_span"].iloc[1] == pytest.approx(
        ss_fit.one_step_ahead(static=True)["log_score"].sum())
    assert len(mc["readings"]) == 4 + len(ss_fit.config.groups) + (1 if rev.loc[
        list(ss_fit.config.groups), "revision"].abs().max() >= 0.5 else 0)


def test_static_comparator_is_the_shipped_static_fit(ss_fit, tmp_path):
    """Handed the shipped static configuration's fit (what run fits as its cross-check fit),
    the model check compares against it, names it, and uses it in the sign status; the
    filter-with-discounts-1 comparators are not computed."""
    from macroattr.reports.model_check import model_check_parts

    static = fit_model(ss_fit.panel, ModelConfig(groups=ss_fit.config.groups).override(
        betas="static", method="exact", draws=100, chains=2))
    label = "the static monthly model (configs/static_monthly.toml)"
    q = ss_fit.quarters[-1]
    ss_fit._static_fits.clear()
    mc = model_check_content(ss_fit, q, static_fit=static, static_label=label)
    want = static.attribution("Q").query("period == @q").set_index("component")
    got = mc["static"].set_index("component")
    groups = list(ss_fit.config.groups)
    assert np.allclose(got.loc[groups, "static_mean"], want.loc[groups, "mean"])
    assert "static_on_months_mean" not in mc["static"].columns
    assert mc["static_name"] == "static monthly model (configs/static_monthly.toml)"
    assert any("static monthly model " in r for r in mc["readings"])
    assert not ss_fit._static_fits                               # no refit inside reports
    parts = model_check_parts(ss_fit, q, static_fit=static, static_label=label)
    assert "static monthly model (configs/static_monthly.toml)" in parts["tables"]["model_check_static"][1]
    from macroattr.reports.content import report_content
    from macroattr.reports.render import write_report

    text = write_report(report_content(ss_fit, q, other=static, other_label=label), tmp_path).read_text()
    assert "Static: static monthly model (configs/static_monthly.toml)" in text


def test_static_fit_that_ends_before_the_quarter_falls_back(ss_fit):
    """A shipped static fit whose span ends before the quarter (its panel ends earlier): the
    model check falls back to the filter with discounts 1 and says why."""
    from macroattr.data_pipelines.panel import Panel

    short = Panel(ss_fit.panel.data.iloc[:200], dict(ss_fit.panel.meta))
    static = fit_model(short, ModelConfig(groups=ss_fit.config.groups).override(
        betas="static", method="exact", draws=100, chains=2))
    q = ss_fit.quarters[-1]
    mc = model_check_content(ss_fit, q, static_fit=static,
                             static_label="the static monthly model (configs/static_monthly.toml)")
    assert mc["static_name"] == ("the same filter with discounts 1 (static), same days; static "
                                 f"monthly model (configs/static_monthly.toml) does not cover {q}")


def test_sign_reading_never_calls_disputed_sign_credible():
    tv = pd.Series({"mean": 1.0, "hdi_low": 0.2, "hdi_high": 1.8})
    st = pd.Series({"mean": -0.6, "hdi_low": -1.0, "hdi_high": -0.2})
    text = sign_reading("rates", {"time-varying": tv, "static": st})
    assert "disagree" in text and "credible" not in text
    assert "not established" in sign_reading("rates", {"time-varying": tv, "static": pd.Series(
        {"mean": 0.3, "hdi_low": -0.2, "hdi_high": 0.8})})
    three = {"time-varying": tv, "static": tv, "static monthly": st}
    assert "disagree" in sign_reading("rates", three)


def test_report_renders_model_check(ss_fit, tmp_path):
    from macroattr.reports import render_report

    path = render_report(ss_fit, "latest", tmp_path)
    text = path.read_text()
    assert 'id="model-check"' in text and "first estimate" in text.lower()
    assert "model_check_revision_" in text and 'id="plot-model_check_volatility"' in text


def test_headline_never_calls_a_disputed_sign_credible():
    from macroattr.reports.narrative import headline_reading

    comps = {"alpha": {"mean": 0.1, "hdi_low": -0.5, "hdi_high": 0.7},
             "rates": {"mean": -1.2, "hdi_low": -2.0, "hdi_high": -0.4},
             "leverage": {"mean": 0.6, "hdi_low": 0.2, "hdi_high": 1.0},
             "residual": {"mean": 1.0, "hdi_low": 0.0, "hdi_high": 2.0}}
    plain = headline_reading("2024Q3", 0.5, comps, ["rates", "leverage"])
    assert "the sign is credible" in plain and "Also credibly non-zero: leverage" in plain
    text = headline_reading("2024Q3", 0.5, comps, ["rates", "leverage"],
                            unsettled={"rates": "disagree", "leverage": "open"})
    assert "credible" not in text.replace("credibly different", "")
    assert "disagree on its sign" in text and "not established" in text


def test_report_headline_follows_the_model_check(ss_fit):
    from macroattr.reports.content import report_content

    q = ss_fit.quarters[-1]
    content = report_content(ss_fit, q)
    status = content.sections[0].data["status"]
    largest = content.headline["largest_group"]
    assert set(status) == set(ss_fit.config.groups)
    # the flip: this model's rates interval excludes zero, the static ones do not agree
    assert largest == "rates" and status["rates"] in ("disagree", "open")
    assert "so the sign is credible" not in content.reading
    assert "rates" in content.reading and "not established" in content.reading


def test_model_check_readings_say_reader_labels_and_no_signed_zero(ss_fit):
    """Each group's sentence opens with its reader label (never the id and a colon), factors
    in the P(varies) line are named by their labels, and a number that rounds to zero reads
    0.00 (never -0.00 or +0.00)."""
    import re

    from macroattr.data_pipelines.catalog import label_of

    q = ss_fit.quarters[-1]
    readings = model_check_content(ss_fit, q)["readings"]
    text = " ".join(readings)
    for g in ss_fit.config.groups:
        label = label_of(g)
        assert any(r.startswith(label[:1].upper() + label[1:] + ": ") for r in readings), (g, readings)
        assert not any(r.startswith(f"{g}: ") for r in readings)  # "leverage: " reads "Credit (leverage): "
    assert any(label_of(g) != g for g in ss_fit.config.groups)
    pv = next(r for r in readings if r.startswith("P(varies)"))
    for f in ss_fit.design.factors:
        assert f" {label_of(f)} " in pv and not re.search(rf"\b{f} \d", pv), pv
    assert not re.search(r"[-+−]0\.00\b", text), text
    # a contribution that rounds to zero is 0.00 in the sentence
    tiny = pd.Series({"mean": -0.001, "hdi_low": -0.01, "hdi_high": 0.01})
    assert "(time-varying 0.00 pp, static 0.00 pp)" in sign_reading("rates", {"time-varying": tiny,
                                                                               "static": -tiny})
