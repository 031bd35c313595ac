"""Charts on a report page: a chart's plotly ``<div>`` and the smallest plotly.js that draws
every chart of the page (the 1.2 MB basic bundle or plotly.py's full one).
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["BASIC_TRACES", "PLOT_CONFIG", "chart_div", "plotly_js", "plotly_js_for"]

#: plotly's mode bar on every chart (no lasso/select; SVG download).
PLOT_CONFIG = {"displaylogo": False, "responsive": True,
               "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
               "toImageButtonOptions": {"format": "svg"}}


#: Trace types in plotly.js's basic bundle (``reports/static/plotly-basic.min.js``, the npm
#: package ``plotly.js-basic-dist-min``, same plotly.js version as plotly.py's full bundle).
BASIC_TRACES = frozenset({"scatter", "bar", "pie"})
_BASIC_BUNDLE = "static/plotly-basic.min.js"


@functools.lru_cache(maxsize=2)
def plotly_js(full: bool = False) -> str:
    """plotly.js to inline: the 1.2 MB basic bundle when every chart uses only its trace
    types, else plotly.py's full 4.6 MB bundle."""
    if full:
        import plotly.offline

        js = plotly.offline.get_plotlyjs()
    else:
        from importlib.resources import files

        js = files("macroattr.reports").joinpath(_BASIC_BUNDLE).read_text(encoding="utf-8")
    # never let the library close the inline <script> element early
    return js.replace("</script", "<\\/script")


def plotly_js_for(figures) -> str:
    """The smallest shipped plotly.js bundle that draws every figure.

    Examples
    --------
    >>> import plotly.graph_objects as go
    >>> len(plotly_js_for([go.Figure(go.Bar(x=[1], y=[2]))])) < 2_000_000
    True
    """
    types = {getattr(t, "type", None) or "scatter" for f in figures for t in f.data}
    return plotly_js(full=not types <= BASIC_TRACES)


def chart_div(chart: Any) -> Any:
    """The chart's plotly div; its title moves into the page (an HTML heading wraps on a
    phone, a plotly title is clipped).

    The figure was validated when it was built: its dict goes to plotly's writer as it is
    (``validate=False``), not through a second ``go.Figure`` (0.3 s of a report's ten charts).
    """
    import copy
    import html as html_lib

    import plotly.io as pio
    from markupsafe import Markup

    fig = chart.figure
    spec = fig.to_dict() if hasattr(fig, "to_dict") else copy.deepcopy(dict(fig))
    layout = spec.setdefault("layout", {})
    title = layout.get("title")
    title = dict(title) if isinstance(title, dict) else {"text": title} if title else {}
    chart.heading = html_lib.unescape(title.get("text") or chart.title)
    layout["title"] = {**title, "text": ""}
    layout.setdefault("margin", {})["t"] = 40 if layout.get("annotations") else 16
    out = pio.to_html(
        spec, validate=False,
        include_plotlyjs=False, full_html=False, div_id=f"plot-{chart.id}",
        config=PLOT_CONFIG, default_width="100%",
        default_height=f"{int((layout.get('height') or 400) - 40)}px",
    )
    return Markup(out)  # plotly's own output: JSON with '<' escaped
