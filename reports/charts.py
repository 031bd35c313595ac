"""Charts on a report page: a chart's plotly ``<div>`` and the smallest plotly.js that draws
every chart of the page (the 1.2 MB basic bundle or plotly.py's full one).
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["BASIC_TRACES", "PLOT_CONFIG", "chart_div", "plotly_js", "plotly_js_for", "typed_arrays"]

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


def _traces(figure: Any) -> list[Any]:
    return figure.get("data", []) if isinstance(figure, dict) else list(figure.data)


def _trace_type(trace: Any) -> str:
    kind = trace.get("type") if isinstance(trace, dict) else getattr(trace, "type", None)
    return kind or "scatter"


def plotly_js_for(figures) -> str:
    """The smallest shipped plotly.js bundle that draws every figure (plotly figures or
    their plain dicts).

    Examples
    --------
    >>> import plotly.graph_objects as go
    >>> len(plotly_js_for([go.Figure(go.Bar(x=[1], y=[2]))])) < 2_000_000
    True
    >>> len(plotly_js_for([{"data": [{"type": "heatmap", "z": [[1]]}]}])) > 2_000_000
    True
    """
    types = {_trace_type(t) for f in figures for t in _traces(f)}
    return plotly_js(full=not types <= BASIC_TRACES)


def typed_arrays(value: Any) -> Any:
    """``value`` with every float NumPy array as a plotly.js typed array
    (``{"dtype": "f8", "bdata": <base64>}``, ``shape`` for a table): the encoding a validated
    plotly figure's dict uses, so a chart built from a plain dict weighs what it did.

    Examples
    --------
    >>> import numpy as np
    >>> typed_arrays({"y": np.array([1.0, np.nan]), "x": ["a", "b"]})
    {'y': {'dtype': 'f8', 'bdata': 'AAAAAAAA8D8AAAAAAAD4fw=='}, 'x': ['a', 'b']}
    """
    import base64

    import numpy as np

    if isinstance(value, dict):
        return {k: typed_arrays(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [typed_arrays(v) for v in value]
    if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size:
        data = np.ascontiguousarray(value, dtype="<f8")
        out = {"dtype": "f8", "bdata": base64.b64encode(data.tobytes()).decode("ascii")}
        if data.ndim > 1:
            out["shape"] = ", ".join(str(n) for n in data.shape)
        return out
    return value


@functools.lru_cache(maxsize=4)
def _template(name: str) -> dict:
    """A named plotly template as the dict a validated figure carries in its layout: the
    JSON plotly ships it as (``plotly/package_data/templates/<name>.json``, what
    ``pio.templates`` itself loads; the same dict, pinned by a test, without building and
    validating the template object: 0.12 s -> 2 ms), else plotly's registry."""
    import importlib.resources
    import json

    try:
        path = importlib.resources.files("plotly") / "package_data" / "templates" / f"{name}.json"
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        import plotly.io as pio

        return pio.templates[name].to_plotly_json()


def chart_div(chart: Any) -> Any:
    """The chart's plotly div; its title moves into the page (an HTML heading wraps on a
    phone, a plotly title is clipped).

    A chart holds a plotly figure or the plain dict of one (a builder's ``.spec``, what the
    report's own charts hold: plotly's validation is most of a chart's cost, and the builders'
    dicts are what ``go.Figure`` accepts, pinned by their tests). Either goes to plotly's
    writer as a dict (``validate=False``); a template named by a string is expanded into the
    template's dict, as a figure would carry it.
    """
    import html as html_lib

    import plotly.io as pio
    from markupsafe import Markup

    fig = chart.figure
    spec = fig.to_dict() if hasattr(fig, "to_dict") else typed_arrays(dict(fig))
    layout = spec.setdefault("layout", {})
    if isinstance(layout.get("template"), str):
        layout["template"] = _template(layout["template"])
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
