"""The figure builders' plain dicts (``builder.spec``, what the report embeds) are the figures
plotly's own helpers make: the stacked panels are ``make_subplots``' layout, the reference lines
``add_vline``/``add_hline``'s shapes and labels, and every spec is a valid ``go.Figure``."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from numpy.testing import assert_allclose
from plotly.subplots import make_subplots

from macroattr.models.plotting import figures


def _bands_table(k: int) -> pd.DataFrame:
    t = pd.date_range("2020-01-31", periods=12, freq="ME")
    return pd.concat([pd.DataFrame({"time": t, "factor": f"f{j}", "mean": np.arange(12.0),
                                    "hdi_low": -1.0, "hdi_high": 20.0, "unit": "pp"})
                      for j in range(k)], ignore_index=True)


def _numbers(value):
    return value if not isinstance(value, tuple | list) else list(value)


@pytest.mark.parametrize("k", [1, 2, 3, 7])
def test_stacked_panels_are_make_subplots_layout(k):
    spec = figures.coefficient_bands.spec(_bands_table(k))
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    spacing = min(0.08, 0.5 / k)
    ref = make_subplots(rows=k, cols=1, shared_xaxes=True, subplot_titles=titles,
                        vertical_spacing=spacing).to_dict()["layout"]
    for i in range(1, k + 1):
        suffix = "" if i == 1 else str(i)
        for axis in (f"xaxis{suffix}", f"yaxis{suffix}"):
            mine, theirs = spec["layout"][axis], ref[axis]
            assert_allclose(mine["domain"], theirs["domain"], atol=1e-12)
            for key in ("anchor", "matches", "showticklabels"):
                assert mine.get(key) == theirs.get(key), (axis, key)
    assert len(ref["annotations"]) == k
    for mine, theirs in zip(spec["layout"]["annotations"], ref["annotations"], strict=True):
        assert {k: v for k, v in mine.items() if k != "y"} == \
            {k: v for k, v in theirs.items() if k != "y"}
        assert mine["y"] == pytest.approx(theirs["y"], abs=1e-12)
    # each panel's traces sit on that panel's axes, as make_subplots' add_trace(row=i) puts them
    fig = go.Figure(spec)
    assert [t.xaxis for t in fig.data] == [f"x{'' if i == 1 else i}" for i in range(1, k + 1)
                                           for _ in range(3)]


def test_reference_lines_are_plotlys_vline_and_hline():
    coef = pd.DataFrame({"factor": ["d_2y", "d_baa_spread"], "mean": [0.5, -3.0],
                         "hdi_low": [-0.5, -5.0], "hdi_high": [1.5, -1.0], "unit": "pp per pp"})
    ref = go.Figure(go.Scatter(x=[0.5], y=["a"]))
    ref.add_vline(x=0, line={"color": "#888", "width": 1, "dash": "dot"})
    assert figures.coefficient_forest(coef).layout.shapes == ref.layout.shapes
    scen = pd.DataFrame({"scenario": ["credit stress"], "mean": [-3.0], "hdi_low": [-5.0],
                         "hdi_high": [-1.0], "unit": "pp"})
    assert figures.scenario_forest(scen).layout.shapes == ref.layout.shapes

    scores = pd.DataFrame({"model": ["m", "m", "ols"], "inside": [True, False, True]})
    ref = go.Figure(go.Bar(x=["m"], y=[50.0]))
    ref.add_hline(y=80.0, line={"color": "#111", "dash": "dash"}, annotation_text="nominal 80%")
    fig = figures.forecast_coverage(scores, prob=0.8)
    assert fig.layout.shapes == ref.layout.shapes
    assert fig.layout.annotations == ref.layout.annotations


def test_spec_dates_are_iso_days_and_missing_values_null():
    vol = pd.DataFrame({"time": pd.to_datetime(["2024-07-31", "2024-08-30"]),
                        "mean": [1.0, np.nan], "hdi_low": [0.8, 1.1], "hdi_high": [1.2, 1.8]})
    spec = figures.volatility_band.spec(vol)
    assert spec["data"][-1]["x"] == ["2024-07-31", "2024-08-30"]
    assert_allclose(spec["data"][-1]["y"], [1.0, np.nan])
    import json

    import plotly.io as pio

    # plotly's writer (the page's route, no validation) writes the missing value as null
    assert json.loads(pio.to_json(spec, validate=False))["data"][-1]["y"] == [1.0, None]


def test_builder_returns_the_validated_figure_of_its_spec():
    att = pd.DataFrame({"period": ["2024Q3"] * 3, "component": ["rates", "residual", "total"],
                        "mean": [1.0, 2.0, 3.0], "hdi_low": [0.5, 1.0, 3.0],
                        "hdi_high": [1.5, 3.0, 3.0], "unit": "pp"})
    for build in (figures.waterfall, figures.stacked_contributions,
                  figures.cumulative_attribution):
        assert build(att).to_dict() == go.Figure(build.spec(att)).to_dict()
        assert isinstance(build.spec(att), dict)


def test_page_encoding_of_a_spec_is_the_validated_figures():
    """The page writes a spec's number arrays as plotly.js typed arrays, exactly the data a
    validated figure's dict carries (so the page weighs what it did with go.Figure)."""
    from macroattr.reports.charts import typed_arrays

    t = pd.date_range("2020-01-31", periods=12, freq="ME")
    vol = pd.DataFrame({"time": t, "mean": np.linspace(1, 2, 12), "hdi_low": 0.5,
                        "hdi_high": 2.5, "unit": "pp"})
    att = pd.DataFrame({"period": ["2024-07"] * 3 + ["2024-08"] * 3,
                        "component": ["rates", "residual", "total"] * 2,
                        "mean": [1.0, 2.0, 3.0, np.nan, 1.0, 1.0], "hdi_low": 0.0,
                        "hdi_high": 2.0, "unit": "pp"})
    for spec in (figures.volatility_band.spec(vol), figures.stacked_contributions.spec(att),
                 figures.coefficient_bands.spec(_bands_table(3))):
        assert typed_arrays(spec)["data"] == go.Figure(spec).to_dict()["data"]


@pytest.mark.parametrize("name", ["simple_white", "plotly_white", "plotly"])
def test_page_template_is_plotlys_own(name):
    """The page expands a named template from the JSON plotly ships, to the very dict
    plotly's template registry gives (what a validated figure carries)."""
    import plotly.io as pio

    from macroattr.reports.charts import _template

    _template.cache_clear()
    assert _template(name) == pio.templates[name].to_plotly_json()
    assert go.Figure(layout={"template": name}).to_dict()["layout"]["template"] == _template(name)
