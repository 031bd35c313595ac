"""A report of a time-varying-beta fit shows coefficient bands over time (NUTS: slow)."""

from __future__ import annotations

import pytest

from macroattr.reports.content import report_content

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tv_fit(monthly_panel):
    from macroattr.models import ModelConfig, fit_model

    cfg = ModelConfig.shipped("static_monthly").override(betas="time_varying", draws=40, tune=40, chains=2,
                                         seed=11, start="2010-01-01",
                                         sampler="nutpie")  # fastest to start of the samplers
    return fit_model(monthly_panel, cfg)


def test_time_varying_report_draws_bands_in_natural_units(tv_fit, tmp_path):
    from macroattr.reports import render_report

    c = report_content(tv_fit, "2024Q3")
    import plotly.graph_objects as go

    fig = go.Figure(c.charts["coefficients"].figure)  # the page's plain dict is a valid figure
    titles = [a.text for a in fig.layout.annotations]
    from macroattr.data_pipelines.catalog import label_of

    factors = tv_fit.config.factors
    # one panel per factor, model order, named by the catalog's reader-facing label
    assert [t.split(" (")[0] for t in titles] == [label_of(f) for f in factors]
    assert all("pp per" in t for t in titles)
    # the band ends at the reported quarter, and the text alternative quotes its end values
    paths = tv_fit.beta_paths()
    end = paths[paths["time"] <= "2024-09-30"].groupby("factor").tail(1).set_index("factor")
    for f in factors:
        assert f"{label_of(f)} {end.loc[f, 'mean']:+.3f}" in c.charts["coefficients"].alt
    mean_traces = [t for t in fig.data if t.mode == "lines" and t.fill is None and t.line.width == 2]
    assert len(mean_traces) == len(factors)
    assert str(max(mean_traces[0].x))[:10] == "2024-09-30"
    assert "averaged over the fit span" in c.tables["coefficients"].caption
    html = render_report(tv_fit, "2024Q3", tmp_path).read_text()
    assert "Time-varying coefficients" in html
