"""The coefficient panels' zero lines and break markers, built as plain shape dicts, are
exactly the shapes plotly's own ``add_hline``/``add_vline`` make on the same subplots."""

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from macroattr.models.plotting import figures


def test_coefficient_band_shapes_match_plotly_helpers():
    t = pd.date_range("2020-01-31", periods=12, freq="ME")
    table = pd.concat([pd.DataFrame({"time": t, "factor": f, "mean": range(12),
                                     "hdi_low": -1.0, "hdi_high": 20.0, "unit": "pp"})
                       for f in ("a", "b", "c")], ignore_index=True)
    breaks = [t[3], t[8], pd.Timestamp("2019-01-01")]  # the last one is outside the span
    fig = figures.coefficient_bands(table, breaks=breaks)

    # plotly's helpers on the same three stacked panels (the builder writes their layout as a
    # plain dict, which carries no subplot grid for row= to address)
    ref = make_subplots(rows=3, cols=1, shared_xaxes=True)
    for i in range(1, 4):
        ref.add_trace(go.Scatter(x=t, y=list(range(12))), row=i, col=1)
    for i in range(1, 4):
        ref.add_hline(y=0, line={"color": "#888", "width": 1, "dash": "dot"}, row=i, col=1)
    for when in breaks[:2]:
        ref.add_vline(x=when, line={"color": "#D55E00", "width": 1, "dash": "dash"},
                      row="all", col=1)
    assert fig.layout.shapes == ref.layout.shapes
    assert len(fig.layout.shapes) == 3 + 2 * 3
