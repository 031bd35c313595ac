"""Fast unit tests of the report's building blocks (no fit, no browser)."""

from __future__ import annotations

import urllib.parse

import pandas as pd
import pytest

from macroattr.core.errors import InputError
from macroattr.models.plotting import figures
from macroattr.reports.narrative import headline_reading, mostly_unexplained
from macroattr.core.periods import complete_quarters, quarter_of, resolve_quarter
from macroattr.reports.tables import csv_data_uri, flatten, wide_attribution


def _attr(period="2024Q3", **means):
    rows = [{"period": period, "component": c, "mean": m, "hdi_low": m - 1, "hdi_high": m + 1,
             "unit": "pp"} for c, m in means.items()]
    total = sum(means.values())
    rows.append({"period": period, "component": "total", "mean": total, "hdi_low": total,
                 "hdi_high": total, "unit": "pp"})
    return pd.DataFrame(rows)


def test_waterfall_steps_add_up_to_the_observed_total():
    t = _attr(alpha=0.2, rates=-1.5, leverage=2.0, residual=3.3)
    fig = figures.waterfall(t, "2024Q3", labels={"rates": "Rates"})
    bars = fig.data[0]
    # reader labels: the caller's, else catalog.display_label's
    assert list(bars.x) == ["Alpha (constant)", "Rates", "Credit (leverage)",
                            "Residual (unexplained)", "Observed total"]
    assert sum(bars.y[:-1]) == pytest.approx(bars.y[-1]) == pytest.approx(4.0)
    # each step floats on the running sum before it; the total stands on zero
    assert list(bars.base) == pytest.approx([0.0, 0.2, -1.3, 0.7, 0.0])
    # whiskers: the component's HDI around the step's end (mean -1 .. mean +1 here)
    assert list(bars.error_y.array) == pytest.approx([1, 1, 1, 1, 0])
    assert list(bars.error_y.arrayminus) == pytest.approx([1, 1, 1, 1, 0])
    assert "(pp)" in fig.layout.title.text and "pp" in fig.layout.yaxis.title.text


def test_stacked_contributions_keep_period_order_and_show_total():
    t = pd.concat([_attr("2024Q2", rates=1.0, residual=-2.0), _attr("2024Q3", rates=0.5, residual=1.0)])
    fig = figures.stacked_contributions(t, ["2024Q3", "2024Q2"])
    names = [tr.name for tr in fig.data]
    assert names == ["Rates", "Residual (unexplained)", "Observed total"]
    assert list(fig.data[0].x) == ["2024Q3", "2024Q2"]
    assert list(fig.data[-1].y) == [1.5, -1.0]
    assert fig.layout.barmode == "relative"


def test_cumulative_attribution_is_the_running_sum():
    t = pd.concat([_attr(f"2024-0{m}", rates=float(m), residual=1.0) for m in (1, 2, 3)])
    fig = figures.cumulative_attribution(t)
    by_name = {tr.name: list(tr.y) for tr in fig.data}
    assert by_name["Rates"] == [1.0, 3.0, 6.0]
    assert by_name["Observed total"] == [2.0, 5.0, 9.0]


def test_forest_and_bands_label_units_and_escape_names():
    coef = pd.DataFrame({"factor": ["d_2y", "<b>x</b>"], "group": ["rates", "political"],
                         "mean": [0.5, -1.0], "hdi_low": [0.0, -2.0], "hdi_high": [1.0, 0.0],
                         "unit": ["pp per pp", "pp per log change"]})
    fig = figures.coefficient_forest(coef)
    labels = list(fig.data[0].y)
    assert "2-year Treasury yield (pp per pp)" in labels
    assert "&lt;b&gt;x&lt;/b&gt; (pp per log change)" in labels
    paths = pd.concat([coef.assign(time=pd.Timestamp("2024-01-31")),
                       coef.assign(time=pd.Timestamp("2024-02-29"), mean=[0.7, -0.8])])
    bands = figures.coefficient_bands(paths)
    assert len(bands.data) == 3 * 2  # upper edge, lower edge with fill, mean line per factor
    assert any("pp per pp" in a.text for a in bands.layout.annotations)


def test_posterior_predictive_marks_points_outside_the_interval():
    p = pd.DataFrame({"period": ["2024-07", "2024-08"], "observed": [3.0, 9.0], "mean": [0.0, 0.0],
                      "hdi_low": [-4.0, -4.0], "hdi_high": [4.0, 4.0]})
    obs = figures.posterior_predictive(p).data[-1]
    assert obs.name == "observed"
    assert obs.marker.color[0] != obs.marker.color[1]


def test_figure_builders_name_a_missing_column():
    with pytest.raises(InputError, match="hdi_low"):
        figures.waterfall(pd.DataFrame({"period": ["2024Q3"], "component": ["alpha"], "mean": [1.0]}))


def test_reading_names_biggest_contributor_and_credibility():
    comps = {"alpha": {"mean": 0.1, "hdi_low": -0.4, "hdi_high": 0.6},
             "rates": {"mean": -0.3, "hdi_low": -0.9, "hdi_high": 0.2},
             "leverage": {"mean": -2.5, "hdi_low": -3.5, "hdi_high": -1.4},
             "residual": {"mean": 0.4, "hdi_low": -0.1, "hdi_high": 0.9}}
    text = headline_reading("2024Q3", -2.3, comps, ["rates", "leverage"])
    assert "underperformed the S&P 500 by 2.30 pp" in text
    assert "largest macro contribution came from leverage" in text
    assert "excludes zero" in text
    assert "most of the quarter is unexplained" not in text
    comps["leverage"] = {"mean": -2.5, "hdi_low": -5.0, "hdi_high": 0.5}
    assert "includes zero" in headline_reading("2024Q3", -2.3, comps, ["rates", "leverage"])


def test_reading_says_plainly_when_most_is_unexplained_and_when_gate_failed():
    comps = {"alpha": {"mean": 0.0, "hdi_low": -0.5, "hdi_high": 0.5},
             "rates": {"mean": 0.8, "hdi_low": 0.2, "hdi_high": 1.4},
             "residual": {"mean": 7.0, "hdi_low": 6.0, "hdi_high": 8.0}}
    text = headline_reading("2024Q3", 7.8, comps, ["rates"], gate_passed=False)
    assert "most of the quarter is unexplained" in text
    assert "failed its convergence gate" in text
    assert mostly_unexplained(7.0, [0.8]) and not mostly_unexplained(0.5, [3.0, 1.0])


def test_complete_quarters_monthly_and_daily():
    months = pd.date_range("2023-11-30", "2024-08-31", freq="ME")
    assert complete_quarters(months, "M") == ["2024Q1", "2024Q2"]
    days = pd.bdate_range("2024-01-10", "2024-09-30")
    assert complete_quarters(days, "D") == ["2024Q2", "2024Q3"]
    assert quarter_of("2024-09") == "2024Q3" and quarter_of("2024-10-01") == "2024Q4"


@pytest.mark.parametrize("label, message", [
    ("2030Q1", "outside the fit's span"), ("2024Q5", "not a quarter label"),
    ("July", "not a quarter label")])
def test_resolve_quarter_rejects_with_one_line(label, message):
    with pytest.raises(InputError, match=message) as err:
        resolve_quarter(label, ["2024Q2", "2024Q3"])
    assert "\n" not in str(err.value) and label in str(err.value)


def test_csv_data_uri_roundtrips():
    t = pd.DataFrame({"period": ["2024Q3"], "component": ["rates, real"], "mean": [-0.125]})
    uri = csv_data_uri(t)
    assert uri.startswith("data:text/csv;charset=utf-8,")
    text = urllib.parse.unquote(uri.split(",", 1)[1])
    assert text == 'period,component,mean\n2024Q3,"rates, real",-0.125\n'


def test_wide_attribution_and_flatten():
    header, rows = wide_attribution(_attr(alpha=0.25, residual=1.0), ["alpha", "residual", "total"])
    assert header == ["period", "alpha", "residual", "total"]
    assert rows[0][1] == {"mean": "+0.25", "hdi": "-0.75 to +1.25", "component": "alpha"}
    assert rows[0][3] == {"mean": "+1.25", "hdi": "", "component": "total"}  # no interval
    assert flatten({"a": {"b": [1, 2]}, "c": None}) == [("a.b", "1, 2"), ("c", "–")]


@pytest.mark.parametrize("hdi,label", [(0.5, "50% HDI"), (0.95, "95% HDI")])
def test_figures_name_the_hdi_mass_asked_for(hdi, label):
    t = pd.DataFrame({"period": "2024Q3", "component": ["alpha", "rates", "residual", "total"],
                      "mean": [0.1, 1.0, 2.0, 3.1], "hdi_low": [0.0, 0.5, 1.5, 3.1],
                      "hdi_high": [0.2, 1.5, 2.5, 3.1], "unit": "pp"})
    texts = " ".join(str(x) for x in figures.waterfall(t, "2024Q3", hdi=hdi).data[0].hovertext)
    assert label in texts and "90% HDI" not in texts
    bars = figures.stacked_contributions(t, ["2024Q3"], hdi=hdi)
    assert all(label in tr.hovertemplate for tr in bars.data if tr.type == "bar")
    coef = pd.DataFrame({"factor": ["d_2y"], "mean": [1.0], "hdi_low": [0.5], "hdi_high": [1.5],
                         "unit": "pp per pp"})
    forest = figures.coefficient_forest(coef, hdi=hdi)
    assert label in forest.layout.title.text and label in forest.data[0].hovertemplate
    paths = pd.DataFrame({"time": pd.to_datetime(["2024-07-31", "2024-08-31"]), "factor": "d_2y",
                          "mean": [0.5, 0.7], "hdi_low": [0.0, 0.1], "hdi_high": [1.0, 1.3],
                          "unit": "pp per pp"})
    assert label in figures.coefficient_bands(paths, hdi=hdi).layout.title.text
    ppc = pd.DataFrame({"period": ["2024-07"], "observed": [1.0], "mean": [0.5],
                        "hdi_low": [-1.0], "hdi_high": [2.0]})
    assert f"{hdi * 100:.3g}% predictive interval" in figures.posterior_predictive(ppc, hdi=hdi).layout.title.text
