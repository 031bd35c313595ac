"""Rich display in Jupyter: the panel, the fit and the attribution tables, and the fit's
``summary`` / ``plot`` facades on a small synthetic panel (exact method: instant)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from macroattr.models import ModelConfig, fit_model
from macroattr.models.fit.display import AttributionTable
from macroattr.models.synthetic import simulate_panel


@pytest.fixture(scope="module")
def small_fit():
    panel, truth = simulate_panel(n=60, seed=7)
    cfg = ModelConfig(groups=truth["groups"]).override(method="exact", draws=300, chains=2)
    return fit_model(panel, cfg)


def test_summary_attribution_is_the_tidy_table_with_a_wide_view(small_fit):
    table = small_fit.summary.attribution("Q", hdi=0.8)
    assert isinstance(table, AttributionTable) and isinstance(table, pd.DataFrame)
    pd.testing.assert_frame_equal(pd.DataFrame(table), small_fit.attribution("Q", hdi=0.8))
    html = table._repr_html_()
    assert "80% HDI" in html and "pp" in html
    periods = list(pd.unique(table["period"]))
    shown = periods[-16:]
    assert f"showing the last 16 of {len(periods)} periods" in html
    for p in shown:
        assert f">{p}<" in html
    assert f">{periods[0]}<" not in html
    # every cell is the table's own mean (2 dp) and, for components, its HDI
    last = table[table["period"] == shown[-1]].set_index("component")
    for comp, r in last.iterrows():
        assert f"{r['mean']:+.2f}" in html
        if comp != "total":
            assert f"{r['hdi_low']:+.2f} .. {r['hdi_high']:+.2f}" in html
    header = re.findall(r"<th style='text-align:right' title='(\w+)'>([^<]+)</th>", html)
    assert [i for i, _ in header] == [*small_fit.components, "total"]
    from macroattr.data_pipelines.catalog import label_of

    assert [lab for _, lab in header] == [label_of(c) for c in [*small_fit.components, "total"]]


def test_selection_keeps_the_rich_view_and_the_gate_flag(small_fit):
    table = small_fit.summary.attribution("Q")
    one = table[table["period"] == table["period"].iloc[-1]]
    assert isinstance(one, AttributionTable) and one.attrs["hdi"] == 0.9
    assert "showing the last" not in one._repr_html_()
    failed = AttributionTable.from_frame(pd.DataFrame(one), gate="convergence gate: FAILED - x",
                                         gate_passed=False)
    assert "do not publish" in failed._repr_html_()
    passed = AttributionTable.from_frame(pd.DataFrame(one), gate_passed=True)
    assert "do not publish" not in passed._repr_html_()
    # without the tidy columns it is an ordinary DataFrame display
    plain = one[["period", "mean"]]
    assert plain._repr_html_() == pd.DataFrame(plain)._repr_html_()


def test_fit_and_panel_html(small_fit):
    html = small_fit._repr_html_()
    a, b = small_fit.span
    assert f"{a} .. {b}" in html and "static betas" in html
    assert ("gate PASSED" in html) or ("gate FAILED" in html)
    for f in small_fit.design.factors:
        assert f in html
    from macroattr.data_pipelines import build_panel

    p = build_panel(freq="M", start="2024-01-01", end="2024-12-31")
    ph = p._repr_html_()
    assert "monthly panel 2024-01-31 .. 2024-12-31, 12 periods" in ph
    assert "log change" in ph and "Target sources" in ph


def test_plot_facade_returns_figures(small_fit):
    import plotly.graph_objects as go

    q = small_fit.summary.attribution("Q")["period"].iloc[-1]
    figs = [small_fit.plot.waterfall(q), small_fit.plot.contributions(),
            small_fit.plot.cumulative(), small_fit.plot.coefficients(),
            small_fit.plot.predictive(), small_fit.plot.diagnostics()]
    assert all(isinstance(f, go.Figure) and len(f.data) > 0 for f in figs)
    for name in ("coefficients", "parameters", "diagnostics", "priors", "ppc"):
        assert len(getattr(small_fit.summary, name)()) > 0


def test_fit_progress_in_a_notebook_echoes_no_sampler_object(tmp_path):
    """``fit_model(..., progress=True)`` in a notebook cell shows the product's progress lines,
    not a sampler's widget whose text form is ``<nutpie.sample._BackgroundSampler at 0x...>``;
    ``fit.summary`` / ``fit.plot`` display what they hold, with no object address."""
    import nbformat
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                               "language": "python"}})
    nb.cells = [new_code_cell(
        "from macroattr.models.synthetic import simulate_panel\n"
        "from macroattr.models import ModelConfig, fit_model\n"
        "panel, truth = simulate_panel(n=60, seed=7)\n"
        "fit = fit_model(panel, ModelConfig(groups=truth['groups']).override(draws=50, tune=50, "
        "chains=2), progress=True)"), new_code_cell("fit.summary"), new_code_cell("fit.plot")]
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    fitted, summary, plot = (nbformat.from_dict(c) for c in nb.cells)
    text = str(fitted.outputs)
    assert "fit: 100% (200/200 draws)" in text, text
    assert "_BackgroundSampler" not in text and not re.search(r"at 0x[0-9a-f]+", text), text
    for cell, head in ((summary, "fit.summary: tables"), (plot, "fit.plot: figures")):
        shown = cell.outputs[0]["data"]["text/plain"]
        assert shown.startswith(head) and not re.search(r"at 0x[0-9a-f]+", shown), shown
