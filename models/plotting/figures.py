"""Plotly figure builders for attribution reports and notebooks.

Every builder takes a plain, tidy pandas table — the tables that
:class:`models.Fit` returns (``fit.attribution()``, ``fit.coefficients()``,
``fit.ppc()``) — and returns a :class:`plotly.graph_objects.Figure` (``builder.spec(...)``:
the same figure as a plain dict, which the report embeds without validating it twice) with a
title, axis titles that carry the unit, and hover text naming the HDI mass asked for
(``hdi=``, 90% by default).  They
never touch a fit, a file or the network, so ``fit.plot.*`` can call them
lazily and the report can embed them.

Tidy tables
-----------
attribution
    columns ``period, component, mean, hdi_low, hdi_high, unit``; components are
    ``alpha``, the factor groups, ``residual`` and ``total`` (the observed
    relative return).
coefficients
    columns ``factor, mean, hdi_low, hdi_high, unit`` (optionally ``group``);
    with a ``time`` column the coefficients vary over time.
posterior predictive
    columns ``period, observed, mean, hdi_low, hdi_high`` (optionally ``unit``).

Long module: it is the one home of every figure the facades and the report draw, so style,
units and HDI labels are set once.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

__all__ = [
    "COMPONENT_COLOURS",
    "figure_builder",
    "component_colour",
    "waterfall",
    "stacked_contributions",
    "cumulative_attribution",
    "coefficient_forest",
    "coefficient_bands",
    "posterior_predictive",
    "cumulative_log_score",
    "forecast_coverage",
    "parameter_stability",
    "spec_robustness",
]

#: Fixed colours so a component looks the same in every chart and every report
#: (colour-blind-safe Okabe–Ito hues; alpha and residual in neutral greys).
COMPONENT_COLOURS: dict[str, str] = {
    "alpha": "#6b6b6b",
    "rates": "#0072B2",
    "inflation": "#E69F00",
    "leverage": "#D55E00",
    "political": "#CC79A7",
    "residual": "#b8b8b8",
    "total": "#111111",
}
_EXTRA_COLOURS = ("#009E73", "#56B4E9", "#F0E442", "#882255", "#44AA99", "#999933")

_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"


def component_colour(component: str, order: Sequence[str] = ()) -> str:
    """Return the fixed colour of an attribution component.

    Parameters
    ----------
    component
        ``alpha``, a group name, ``residual`` or ``total``.
    order
        All components of the chart; an unknown group gets a stable colour from
        its position in this sequence.

    Examples
    --------
    >>> component_colour("rates")
    '#0072B2'
    >>> component_colour("housing", order=["alpha", "housing"]).startswith("#")
    True
    """
    if component in COMPONENT_COLOURS:
        return COMPONENT_COLOURS[component]
    unknown = [c for c in order if c not in COMPONENT_COLOURS] or [component]
    idx = unknown.index(component) if component in unknown else len(unknown)
    return _EXTRA_COLOURS[idx % len(_EXTRA_COLOURS)]


def _pp(value: float) -> str:
    """Signed to 2 decimals; a value that rounds to zero is ``0.00`` (no sign)."""
    v = round(float(value), 2)
    return "0.00" if v == 0 else f"{v:+.2f}"


class _ReaderLabels(dict):
    """Labels given by the caller, else the one reader label of an id
    (``catalog.display_label``: "Credit (leverage)", "Policy uncertainty", ...)."""

    def get(self, key, default=None):  # noqa: ANN001, ANN201 - dict.get
        from macroattr.data_pipelines.catalog import display_label

        return super().get(key) or display_label(str(key))


def _reader_labels(labels) -> _ReaderLabels:  # noqa: ANN001
    return _ReaderLabels(labels or {})


def _label(text: object) -> str:
    """Plotly renders pseudo-HTML in labels: escape user-supplied names."""
    return html.escape(str(text), quote=False)


def _unit(table: pd.DataFrame, default: str = "pp") -> str:
    if "unit" in table.columns and len(table):
        units = table["unit"].dropna().astype(str).unique()
        if len(units) == 1:
            return units[0]
    return default


def _require(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        from macroattr.core.errors import InputError

        raise InputError(
            f"{what} table lacks column(s) {', '.join(missing)}; pass the tidy table "
            f"returned by the fit (columns {', '.join(columns)})"
        )


def _merge(into: dict, update: dict) -> dict:
    """``into`` updated in place by ``update``, nested dicts merged key by key (what
    plotly's ``update_layout`` does to a figure's properties)."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value
    return into


def _axes(layout: dict, letter: str) -> list[str]:
    """The layout's ``xaxis``/``xaxis2``/... keys (``letter`` ``"x"`` or ``"y"``), at least
    the first."""
    keys = [k for k in layout if re.fullmatch(letter + r"axis\d*", k)]
    return keys or [f"{letter}axis"]


def _layout(spec: dict, title: str, *, height: int, xtitle: str = "", ytitle: str = "") -> dict:
    """The house style every figure shares: title, template, font, margins, legend and axis
    titles with their unit, merged into the spec's layout (applied to every subplot axis)."""
    layout = spec.setdefault("layout", {})
    _merge(layout, {
        "title": {"text": _label(title), "x": 0.0, "xanchor": "left", "font": {"size": 16}},
        "template": "simple_white",
        "font": {"family": _FONT, "size": 12},
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 56, "b": 48},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0},
        "hoverlabel": {"font": {"family": _FONT}},
    })
    for key in _axes(layout, "x"):
        _merge(layout.setdefault(key, {}), {"title": {"text": _label(xtitle)}, "automargin": True})
    for key in _axes(layout, "y"):
        _merge(layout.setdefault(key, {}), {"title": {"text": _label(ytitle)}, "automargin": True,
                                            "zeroline": True, "zerolinecolor": "#888",
                                            "zerolinewidth": 1})
    return spec


def _values(x: Any) -> Any:
    """A column as plotly takes it: numbers as a float array (missing values NaN, which
    plotly writes as null), dates as ISO strings (days when every time is midnight), anything
    else as a list."""
    if isinstance(x, pd.Series | pd.Index) and pd.api.types.is_datetime64_any_dtype(x):
        dates = pd.DatetimeIndex(x)
        text = dates.strftime("%Y-%m-%d" if (dates == dates.normalize()).all()
                              else "%Y-%m-%dT%H:%M:%S")
        return [None if pd.isna(d) else t for d, t in zip(dates, text, strict=True)]
    if isinstance(x, pd.Series | pd.Index) and pd.api.types.is_numeric_dtype(x):
        return x.to_numpy(dtype=float)
    return x.tolist() if hasattr(x, "tolist") else list(x)


def _vline(x: Any, line: dict) -> dict:
    """The shape plotly's ``add_vline`` draws on a one-panel figure."""
    return {"type": "line", "line": line, "x0": x, "x1": x, "xref": "x",
            "y0": 0, "y1": 1, "yref": "y domain"}


def _band_traces(x, low, high, *, fillcolor: str, name: str | None = None,
                 axes: tuple[str, str] | None = None) -> list[dict]:
    """Two scatter traces drawing a shaded interval between ``low`` and ``high`` (on the
    panel of ``axes``, e.g. ``("x2", "y2")``, when given)."""
    x = _values(x)
    panel = {} if axes is None else {"xaxis": axes[0], "yaxis": axes[1]}
    upper = {"type": "scatter", "x": x, "y": _values(high), "mode": "lines",
             "line": {"width": 0}, "showlegend": False, "hoverinfo": "skip", **panel}
    lower = {"type": "scatter", "x": x, "y": _values(low), "mode": "lines",
             "line": {"width": 0}, "fill": "tonexty", "fillcolor": fillcolor,
             "hoverinfo": "skip", **panel,
             **({"name": name} if name else {"showlegend": False})}
    return [upper, lower]


def figure_builder(build: Callable[..., dict]) -> Callable[..., Any]:
    """A figure builder from a function returning the figure as a plain plotly dict.

    Calling the builder returns a validated :class:`plotly.graph_objects.Figure` (what
    ``fit.plot.*`` and notebook users get); ``builder.spec(...)`` returns the plain dict,
    which the report embeds as it is (plotly's validation is most of a chart's cost and the
    dict is the same figure: ``go.Figure(builder.spec(...))`` is what the builder returns).

    Examples
    --------
    >>> @figure_builder
    ... def dot(y):
    ...     return {"data": [{"type": "scatter", "y": [y]}], "layout": {"height": 300}}
    >>> dot(2).data[0].y, dot.spec(2)["data"][0]["y"]
    ((2,), [2])
    """
    @functools.wraps(build)
    def figure(*args: Any, **kwargs: Any) -> Any:
        import plotly.graph_objects as go

        return go.Figure(build(*args, **kwargs))

    figure.spec = build
    return figure


def _components(table: pd.DataFrame) -> list[str]:
    """Components in table order, ``total`` excluded."""
    return [c for c in pd.unique(table["component"]) if c != "total"]


def hdi_label(hdi: float) -> str:
    """``"90% HDI"`` for ``hdi=0.9``: the interval's mass as every figure names it.

    Examples
    --------
    >>> hdi_label(0.9), hdi_label(0.95), hdi_label(0.5)
    ('90% HDI', '95% HDI', '50% HDI')
    """
    if not 0 < float(hdi) < 1:
        raise ValueError(f"hdi must be a probability in (0, 1), got {hdi!r}")
    return f"{float(hdi) * 100:.3g}% HDI"


def _hdi_text(row, unit: str, hdi: float) -> str:
    return (f"{_pp(row['mean'])} {unit} ({hdi_label(hdi)} {_pp(row['hdi_low'])} to "
            f"{_pp(row['hdi_high'])} {unit})")


@figure_builder
def waterfall(attribution: pd.DataFrame, period: str | None = None, *,
              title: str | None = None, hdi: float = 0.9,
              labels: dict[str, str] | None = None):
    """Waterfall of one period: alpha, each group and the residual add up to the total.

    Each step is a floating bar (``base`` = the running sum before it) with a whisker
    showing the component's HDI around the step's end; the last bar is the observed total.
    Plain bars keep the chart inside plotly's basic bundle (bar, scatter, pie).

    Parameters
    ----------
    attribution
        Tidy attribution table (``period, component, mean, hdi_low, hdi_high, unit``).
    period
        The period to draw, e.g. ``"2024Q3"``; default the last period in the table.
    title
        Chart title; a default naming the period is used when omitted.
    hdi
        Mass of the intervals in the table (named in the hover text).
    labels
        Display names of components (e.g. ``{"rates": "Rates"}``); default the names.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"period": "2024Q3", "component": ["alpha", "rates", "residual", "total"],
    ...                   "mean": [0.1, 1.0, 2.0, 3.1], "hdi_low": [0.0, 0.5, 1.5, 3.1],
    ...                   "hdi_high": [0.2, 1.5, 2.5, 3.1], "unit": "pp"})
    >>> fig = waterfall(t, "2024Q3")
    >>> [round(b, 2) for b in fig.data[0].base], [round(v, 2) for v in fig.data[0].y]
    ([0.0, 0.1, 1.1, 0.0], [0.1, 1.0, 2.0, 3.1])
    >>> [round(v, 2) for v in fig.data[0].error_y.array]   # HDI high minus mean
    [0.1, 0.5, 0.5, 0.0]
    """
    _require(attribution, ["period", "component", "mean", "hdi_low", "hdi_high"], "attribution")
    labels = _reader_labels(labels)
    periods = [str(p) for p in pd.unique(attribution["period"])]
    if period is not None:
        from macroattr.core.periods import check_periods

        period = check_periods(str(period), periods, "", source="the attribution table")[0]
    else:
        period = periods[-1]
    rows = attribution[attribution["period"].astype(str) == period]
    unit = _unit(rows)
    comps = _components(rows)
    parts = rows.set_index("component")
    x = [_label(labels.get(c, c)) for c in comps]
    y = [float(parts.loc[c, "mean"]) for c in comps]
    lo = [float(parts.loc[c, "hdi_low"]) for c in comps]
    hi = [float(parts.loc[c, "hdi_high"]) for c in comps]
    hover = [_hdi_text(parts.loc[c], unit, hdi) for c in comps]
    base, run = [], 0.0
    for v in y:
        base.append(run)
        run += v
    # a step that rounds to 0.00 is neutral (grey), as on the page's cards
    colours = ["#888888" if round(v, 2) == 0 else "#1b7f3b" if v > 0 else "#b2182b" for v in y]
    if "total" in parts.index:
        tot = float(parts.loc["total", "mean"])
        x.append(labels.get("total"))
        y.append(tot)
        lo.append(tot)
        hi.append(tot)
        base.append(0.0)
        colours.append(COMPONENT_COLOURS["total"])
        hover.append(f"{tot:+.2f} {unit} observed")
    # each step's value under its name (text beside a bar would collide with its whisker)
    import textwrap

    ticks = ["<br>".join(textwrap.wrap(name, 12, break_long_words=False) or [name]) + f"<br><b>{_pp(v)}</b>"
             for name, v in zip(x, y, strict=True)]
    bar = {"type": "bar", "x": x, "y": y, "base": base, "marker": {"color": colours},
           "error_y": {"type": "data", "symmetric": False,
                       "array": [h - m for h, m in zip(hi, y, strict=True)],
                       "arrayminus": [m - low for m, low in zip(y, lo, strict=True)],
                       "color": "#333", "thickness": 1.5, "width": 8},
           "hovertext": hover, "hovertemplate": "%{x}: %{hovertext}<extra></extra>",
           "name": "contribution", "showlegend": False}
    # dotted connectors from each step's end to the next step's start
    ends = [b + v for b, v in zip(base, y, strict=True)]
    shapes = [{"type": "line", "xref": "x", "yref": "y", "x0": i + 0.4, "x1": i + 0.6,
               "y0": ends[i], "y1": ends[i], "line": {"color": "#999", "width": 1}}
              for i in range(len(x) - 1)]
    spec = {"data": [bar], "layout": {
        "shapes": shapes,
        "xaxis": {"type": "category", "tickmode": "array", "tickvals": x, "ticktext": ticks,
                  "tickangle": 0}}}
    title = title or f"Attribution of {period} relative return ({unit}), whiskers {hdi_label(hdi)}"
    return _layout(spec, title, height=400, ytitle=f"contribution ({unit})")


@figure_builder
def stacked_contributions(attribution: pd.DataFrame, periods: Sequence[str] | None = None, *,
                          title: str = "Contributions by period", hdi: float = 0.9,
                          labels: dict[str, str] | None = None):
    """Stacked bars of each component per period, with the observed total as markers.

    Parameters
    ----------
    attribution
        Tidy attribution table (any frequency).
    periods
        Periods to show, in order; default all periods in the table.
    title
        Chart title.
    hdi
        Mass of the intervals (named in the hover text).
    labels
        Display names of components; default the names.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"period": ["2024-07"] * 3, "component": ["rates", "residual", "total"],
    ...                   "mean": [1.0, 2.0, 3.0], "hdi_low": [0.5, 1.0, 3.0],
    ...                   "hdi_high": [1.5, 3.0, 3.0], "unit": "pp"})
    >>> [tr.name for tr in stacked_contributions(t).data]
    ['Rates', 'Residual (unexplained)', 'Observed total']
    """
    _require(attribution, ["period", "component", "mean", "hdi_low", "hdi_high"], "attribution")
    table = attribution.assign(period=attribution["period"].astype(str))
    if periods is None:
        periods = [str(p) for p in pd.unique(table["period"])]
    periods = [str(p) for p in periods]
    table = table[table["period"].isin(periods)]
    unit = _unit(table)
    comps = _components(table)
    data = []
    labels = _reader_labels(labels)
    for comp in comps:
        sub = table[table["component"] == comp].set_index("period").reindex(periods)
        name = _label(labels.get(comp, comp))
        data.append({
            "type": "bar", "x": periods, "y": _values(sub["mean"]), "name": name,
            "marker": {"color": component_colour(comp, comps)},
            "customdata": sub[["hdi_low", "hdi_high"]].to_numpy(dtype=float),
            "hovertemplate": (f"{name} %{{x}}: %{{y:+.2f}} {unit} "
                              f"({hdi_label(hdi)} %{{customdata[0]:+.2f}} to "
                              "%{customdata[1]:+.2f})<extra></extra>"),
        })
    total = table[table["component"] == "total"].set_index("period").reindex(periods)
    if total["mean"].notna().any():
        data.append({
            "type": "scatter", "x": periods, "y": _values(total["mean"]),
            "name": labels.get("total"), "mode": "markers",
            "marker": {"symbol": "diamond", "size": 10, "color": COMPONENT_COLOURS["total"],
                       "line": {"color": "white", "width": 1}},
            "hovertemplate": f"observed %{{x}}: %{{y:+.2f}} {unit}<extra></extra>",
        })
    # quarter labels as "Q3" with the year under the first quarter of each year (and the
    # first bar): short enough to stay legible on a phone
    ticks, year = [], None
    for p in periods:
        if len(p) == 6 and p[4] == "Q":
            ticks.append(p[4:] + ("<br>" + p[:4] if p[:4] != year else ""))
            year = p[:4]
        else:
            ticks.append(p)
    spec = {"data": data, "layout": {
        "barmode": "relative",
        "xaxis": {"type": "category", "tickmode": "array", "tickvals": periods,
                  "ticktext": ticks, "tickangle": 0}}}
    _layout(spec, title, height=420, ytitle=f"contribution ({unit})")
    if any("<br>" in t for t in ticks):  # two-line ticks: keep the legend clear of them
        spec["layout"]["legend"]["y"] = -0.2
    return spec


@figure_builder
def cumulative_attribution(attribution: pd.DataFrame, *,
                           title: str = "Cumulative attribution over the fit span",
                           labels: dict[str, str] | None = None):
    """Running sum of each component's mean contribution and of the observed return.

    Log relative returns add over time, so the cumulative components add up to
    the cumulative observed relative return at every date.

    Parameters
    ----------
    attribution
        Tidy attribution table, usually monthly, periods in time order.
    title
        Chart title.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"period": ["2024-07", "2024-07", "2024-08", "2024-08"],
    ...                   "component": ["rates", "total"] * 2, "mean": [1.0, 2.0, 1.0, -1.0],
    ...                   "hdi_low": 0.0, "hdi_high": 0.0, "unit": "pp"})
    >>> cumulative_attribution(t).data[-1].y.tolist()
    [2.0, 1.0]
    """
    _require(attribution, ["period", "component", "mean"], "attribution")
    wide = (attribution.assign(period=attribution["period"].astype(str))
            .pivot(index="period", columns="component", values="mean"))
    order = [str(p) for p in pd.unique(attribution["period"].astype(str))]
    wide = wide.reindex(order).cumsum()
    unit = _unit(attribution)
    comps = _components(attribution)
    data = []
    labels = _reader_labels(labels)
    for comp in comps:
        name = _label(labels.get(comp, comp))
        data.append({
            "type": "scatter", "x": order, "y": _values(wide[comp]), "name": name,
            "mode": "lines", "line": {"color": component_colour(comp, comps), "width": 2},
            "hovertemplate": f"{name} to %{{x}}: %{{y:+.1f}} {unit}<extra></extra>",
        })
    if "total" in wide.columns:
        data.append({
            "type": "scatter", "x": order, "y": _values(wide["total"]),
            "name": labels.get("total"), "mode": "lines",
            "line": {"color": COMPONENT_COLOURS["total"], "width": 2, "dash": "dot"},
            "hovertemplate": f"observed to %{{x}}: %{{y:+.1f}} {unit}<extra></extra>",
        })
    return _layout({"data": data}, title, height=420, ytitle=f"cumulative contribution ({unit})")


@figure_builder
def coefficient_forest(coefficients: pd.DataFrame, *,
                       title: str | None = None, hdi: float = 0.9,
                       labels: dict[str, str] | None = None):
    """Forest plot of static coefficients: one row per factor, mean and HDI.

    Factors have different units, so each row's label carries its unit.

    Parameters
    ----------
    coefficients
        Tidy table ``factor, mean, hdi_low, hdi_high, unit`` (one row per factor).
    title
        Chart title.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"factor": ["d_2y", "d_baa_spread"], "mean": [0.5, -3.0],
    ...                   "hdi_low": [-0.5, -5.0], "hdi_high": [1.5, -1.0],
    ...                   "unit": ["pp per pp", "pp per pp"]})
    >>> len(coefficient_forest(c).data[0].y)
    2
    """
    _require(coefficients, ["factor", "mean", "hdi_low", "hdi_high"], "coefficients")
    table = coefficients.iloc[::-1]  # first factor on top
    units = table["unit"].astype(str) if "unit" in table.columns else pd.Series("", index=table.index)
    names = _reader_labels(labels)
    labels = [f"{_label(names.get(f, f))} ({_label(u)})" if u else _label(names.get(f, f))
              for f, u in zip(table["factor"], units, strict=True)]
    colours = [component_colour(g) if g in COMPONENT_COLOURS else "#333"
               for g in (table["group"] if "group" in table.columns else ["" ] * len(table))]
    dots = {
        "type": "scatter", "x": _values(table["mean"]), "y": labels, "mode": "markers",
        "marker": {"size": 10, "color": colours},
        "error_x": {"type": "data", "symmetric": False,
                    "array": _values(table["hdi_high"] - table["mean"]),
                    "arrayminus": _values(table["mean"] - table["hdi_low"]),
                    "thickness": 2, "width": 6, "color": "#555"},
        "customdata": table[["hdi_low", "hdi_high"]].to_numpy(dtype=float),
        "hovertemplate": ("%{y}: %{x:+.3f} (" + hdi_label(hdi) + " %{customdata[0]:+.3f} to "
                          "%{customdata[1]:+.3f})<extra></extra>"),
        "name": "coefficient",
    }
    spec = {"data": [dots], "layout": {
        "shapes": [_vline(0, {"color": "#888", "width": 1, "dash": "dot"})]}}
    title = title or f"Coefficients in natural units (mean and {hdi_label(hdi)})"
    return _layout(spec, title, height=max(220, 70 + 48 * len(table)),
                   xtitle="coefficient")


def _stacked_panels(titles: Sequence[str], *, vertical_spacing: float) -> dict:
    """The layout ``plotly.subplots.make_subplots(rows=len(titles), cols=1, shared_xaxes=True,
    subplot_titles=titles, vertical_spacing=...)`` makes: one panel per row, top to bottom,
    the x axes matched to the bottom one, each panel's title above it."""
    n = len(titles)
    height = (1.0 - vertical_spacing * (n - 1)) / n
    layout: dict[str, Any] = {"annotations": []}
    for i, text in enumerate(titles, start=1):
        top = 1.0 - (i - 1) * (height + vertical_spacing)
        suffix = "" if i == 1 else str(i)
        x_axis = {"anchor": f"y{suffix}", "domain": [0.0, 1.0]}
        if i < n:
            x_axis.update(matches=f"x{n if n > 1 else ''}", showticklabels=False)
        layout[f"xaxis{suffix}"] = x_axis
        layout[f"yaxis{suffix}"] = {"anchor": f"x{suffix}",
                                    "domain": [0.0 if i == n else top - height, top]}
        layout["annotations"].append({"font": {"size": 16}, "showarrow": False, "text": text,
                                      "x": 0.5, "xanchor": "center", "xref": "paper", "y": top,
                                      "yanchor": "bottom", "yref": "paper"})
    return layout


@figure_builder
def coefficient_bands(coefficients: pd.DataFrame, *,
                      title: str | None = None, hdi: float = 0.9,
                      labels: dict[str, str] | None = None,
                      breaks: Sequence[Any] | None = None):
    """One small panel per factor: the coefficient's mean over time inside its HDI band.

    Parameters
    ----------
    coefficients
        Tidy table ``time, factor, mean, hdi_low, hdi_high, unit``.
    title
        Chart title.
    breaks
        Dates marked by a dashed vertical line in every panel (the state-space model's
        automatic interventions, ``fit.interventions()["onset"]``).

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"time": pd.to_datetime(["2024-07-31", "2024-08-31"]),
    ...                   "factor": "d_2y", "mean": [0.5, 0.7], "hdi_low": [0.0, 0.1],
    ...                   "hdi_high": [1.0, 1.3], "unit": "pp per pp"})
    >>> len(coefficient_bands(c).data)
    3
    """
    _require(coefficients, ["time", "factor", "mean", "hdi_low", "hdi_high"], "coefficients")
    factors = list(pd.unique(coefficients["factor"]))
    units = {}
    if "unit" in coefficients.columns:
        units = coefficients.drop_duplicates("factor").set_index("factor")["unit"].to_dict()
    names = _reader_labels(labels)
    titles = [f"{_label(names.get(f, f))} ({_label(units[f])})" if units.get(f)
              else _label(names.get(f, f)) for f in factors]
    layout = _stacked_panels(titles, vertical_spacing=min(0.08, 0.5 / max(len(factors), 1)))
    axes = [("x", "y")] + [(f"x{i}", f"y{i}") for i in range(2, len(factors) + 1)]
    data = []
    for factor, panel in zip(factors, axes, strict=True):
        sub = coefficients[coefficients["factor"] == factor].sort_values("time")
        group = sub["group"].iloc[0] if "group" in sub.columns else None
        colour = component_colour(group) if group in COMPONENT_COLOURS else "#0072B2"
        data += _band_traces(sub["time"], sub["hdi_low"], sub["hdi_high"],
                             fillcolor="rgba(0,114,178,0.18)", axes=panel)
        data.append({
            "type": "scatter", "x": _values(sub["time"]), "y": _values(sub["mean"]),
            "mode": "lines", "line": {"color": colour, "width": 2},
            "name": _label(names.get(factor, factor)), "showlegend": False,
            "xaxis": panel[0], "yaxis": panel[1],
            "hovertemplate": f"{_label(names.get(factor, factor))} %{{x|%Y-%m-%d}}: %{{y:+.3f}}<extra></extra>",
        })
    # the zero lines and break markers: the shapes plotly's add_hline/add_vline make on
    # these panels (one per panel, in that order)
    shapes = [{"type": "line", "line": {"color": "#888", "width": 1, "dash": "dot"},
               "x0": 0, "x1": 1, "xref": f"{x} domain", "y0": 0, "y1": 0, "yref": y}
              for x, y in axes]
    t_lo, t_hi = coefficients["time"].min(), coefficients["time"].max()
    for when in breaks or ():
        when = pd.Timestamp(when)
        if t_lo <= when <= t_hi:
            shapes += [{"type": "line", "line": {"color": "#D55E00", "width": 1, "dash": "dash"},
                        "x0": when, "x1": when, "xref": x, "y0": 0, "y1": 1,
                        "yref": f"{y} domain"} for x, y in axes]
    layout["shapes"] = shapes
    title = title or f"Time-varying coefficients (mean and {hdi_label(hdi)} band)"
    # panels shrink past five factors so the whole chart fits one printed A4 page (< 1,000 px)
    return _layout({"data": data, "layout": layout}, title, height=80 + min(170, 840 // max(len(factors), 1)) * len(factors))


@figure_builder
def volatility_band(volatility: pd.DataFrame, *, title: str | None = None, hdi: float = 0.9):
    """The residual scale over time: mean inside its HDI band.

    Parameters
    ----------
    volatility
        Tidy table ``time, mean, hdi_low, hdi_high, unit`` (``Fit.volatility()``).

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({"time": pd.to_datetime(["2024-07-31", "2024-08-31"]),
    ...                   "mean": [1.0, 1.4], "hdi_low": [0.8, 1.1], "hdi_high": [1.2, 1.8],
    ...                   "unit": "pp"})
    >>> len(volatility_band(v).data)
    3
    """
    _require(volatility, ["time", "mean", "hdi_low", "hdi_high"], "volatility")
    unit = _unit(volatility)
    sub = volatility.sort_values("time")
    data = _band_traces(sub["time"], sub["hdi_low"], sub["hdi_high"],
                        fillcolor="rgba(213,94,0,0.18)", name=f"{hdi_label(hdi)}")
    data.append({"type": "scatter", "x": _values(sub["time"]), "y": _values(sub["mean"]),
                 "mode": "lines", "name": "mean", "line": {"color": "#D55E00", "width": 2},
                 "hovertemplate": "%{x|%Y-%m-%d}: %{y:.2f}<extra></extra>"})
    title = title or f"Residual volatility over time (sd, {unit} per period; {hdi_label(hdi)})"
    return _layout({"data": data}, title, height=320, ytitle=f"sd ({unit})")


@figure_builder
def posterior_predictive(ppc: pd.DataFrame, *,
                         title: str | None = None, hdi: float = 0.9):
    """Observed relative return against the model's posterior predictive interval.

    Parameters
    ----------
    ppc
        Tidy table ``period, observed, mean, hdi_low, hdi_high`` (optionally ``unit``).
    title
        Chart title.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"period": ["2024-07", "2024-08"], "observed": [3.0, -1.0],
    ...                   "mean": [0.5, 0.2], "hdi_low": [-4.0, -4.2], "hdi_high": [5.0, 4.6]})
    >>> [t.name for t in posterior_predictive(p).data][-1]
    'observed'
    """
    _require(ppc, ["period", "observed", "mean", "hdi_low", "hdi_high"], "posterior predictive")
    x = ppc["period"].astype(str).tolist()
    unit = _unit(ppc)
    inside = (ppc["observed"] >= ppc["hdi_low"]) & (ppc["observed"] <= ppc["hdi_high"])
    data = _band_traces(x, ppc["hdi_low"], ppc["hdi_high"], fillcolor="rgba(0,114,178,0.2)",
                        name=f"{float(hdi) * 100:.3g}% predictive interval")
    data.append({"type": "scatter", "x": x, "y": _values(ppc["mean"]), "mode": "lines",
                 "name": "predictive mean", "line": {"color": "#0072B2", "width": 1.5},
                 "hovertemplate": f"%{{x}} predictive mean %{{y:+.2f}} {unit}<extra></extra>"})
    data.append({
        "type": "scatter", "x": x, "y": _values(ppc["observed"]), "mode": "markers",
        "name": "observed",
        "marker": {"size": 5, "color": ["#111" if i else "#D55E00" for i in inside]},
        "hovertemplate": f"%{{x}} observed %{{y:+.2f}} {unit}<extra></extra>",
    })
    title = title or (f"Posterior predictive check: observed vs {float(hdi) * 100:.3g}% "
                      f"predictive interval ({unit})")
    return _layout({"data": data}, title, height=380, ytitle=f"relative return ({unit})")


_REFERENCE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00")


@figure_builder
def cumulative_log_score(table: pd.DataFrame, *, title: str | None = None):
    """Cumulative log-score difference of the model against each reference over time.

    Parameters
    ----------
    table
        Tidy table ``date, reference, cumulative`` (nats; above zero the model's
        predictive densities have been better so far), as
        :meth:`models.backtest.Backtest.cumulative_difference` returns.

    Examples
    --------
    >>> t = pd.DataFrame({"date": ["2005-01-31", "2005-02-28"] * 2, "reference": ["ols"] * 2 + ["historical_mean"] * 2,
    ...                   "cumulative": [0.1, 0.3, -0.2, 0.4]})
    >>> [tr.name for tr in cumulative_log_score(t).data]
    ['vs ols', 'vs historical_mean']
    """
    _require(table, ["date", "reference", "cumulative"], "cumulative log score")
    data = []
    for i, (ref, g) in enumerate(table.groupby("reference", sort=False)):
        data.append({
            "type": "scatter", "x": _values(pd.to_datetime(g["date"])),
            "y": _values(g["cumulative"]), "mode": "lines", "name": f"vs {_label(ref)}",
            "line": {"color": _REFERENCE_COLOURS[i % len(_REFERENCE_COLOURS)], "width": 2},
            "hovertemplate": f"vs {_label(ref)} %{{x|%Y-%m}}: %{{y:+.2f}} nats<extra></extra>"})
    title = title or "Cumulative log-score difference, model minus reference (nats; up = model better)"
    return _layout({"data": data}, title, height=380, ytitle="cumulative difference (nats)")


@figure_builder
def forecast_coverage(scores: pd.DataFrame, *, prob: float = 0.9, title: str | None = None):
    """Share of realised values inside each model's central forecast interval, with the
    nominal mass as a line.

    Parameters
    ----------
    scores
        Tidy table ``model, inside`` (one row per forecast).

    Examples
    --------
    >>> s = pd.DataFrame({"model": ["m", "m", "ols", "ols"], "inside": [True, False, True, True]})
    >>> list(forecast_coverage(s).data[0].y)
    [50.0, 100.0]
    """
    _require(scores, ["model", "inside"], "forecast scores")
    cov = scores.groupby("model", sort=False)["inside"].agg(["mean", "size"])
    bars = {
        "type": "bar", "x": [_label(m) for m in cov.index], "y": (100.0 * cov["mean"]).tolist(),
        "marker": {"color": [_REFERENCE_COLOURS[i % len(_REFERENCE_COLOURS)]
                             for i in range(len(cov))]},
        "customdata": cov["size"].tolist(),
        "hovertemplate": "%{x}: %{y:.1f}% of %{customdata} forecasts<extra></extra>",
        "name": "coverage"}
    nominal = 100.0 * prob
    # the line and label plotly's add_hline(annotation_text=...) makes
    layout = {"shapes": [{"type": "line", "line": {"color": "#111", "dash": "dash"},
                          "x0": 0, "x1": 1, "xref": "x domain", "y0": nominal, "y1": nominal,
                          "yref": "y"}],
              "annotations": [{"showarrow": False, "text": f"nominal {100 * prob:.3g}%",
                               "x": 1, "xanchor": "right", "xref": "x domain", "y": nominal,
                               "yanchor": "bottom", "yref": "y"}]}
    title = title or f"Coverage of the {100 * prob:.3g}% forecast intervals (% of periods)"
    return _layout({"data": [bars], "layout": layout}, title, height=340, ytitle="% inside the interval")


@figure_builder
def parameter_stability(coefficients: pd.DataFrame, *, hdi: float = 0.9, title: str | None = None):
    """Each coefficient's posterior (mean and HDI) fitted at each backtest origin.

    Parameters
    ----------
    coefficients
        Tidy table ``origin, factor, mean, hdi_low, hdi_high, unit`` (one row per origin
        and factor).

    Examples
    --------
    >>> c = pd.DataFrame({"origin": ["2005-03-31", "2005-06-30"], "factor": "d_2y",
    ...                   "mean": [0.5, 0.6], "hdi_low": [0.1, 0.2], "hdi_high": [0.9, 1.0], "unit": "pp per pp"})
    >>> len(parameter_stability(c).data)
    3
    """
    _require(coefficients, ["origin", "factor", "mean", "hdi_low", "hdi_high"], "coefficients")
    t = coefficients.assign(time=pd.to_datetime(coefficients["origin"]))
    title = title or f"Coefficients fitted at each origin (mean and {hdi_label(hdi)})"
    return coefficient_bands.spec(t, title=title, hdi=hdi)


@figure_builder
def spec_robustness(table: pd.DataFrame, *, hdi: float = 0.9, title: str | None = None):
    """Each group's contribution to one period across specifications (mean and HDI).

    Parameters
    ----------
    table
        Tidy table ``spec, component, mean, hdi_low, hdi_high`` (optionally ``unit``);
        a spec named ``stacked`` is drawn in black.

    Examples
    --------
    >>> t = pd.DataFrame({"spec": ["a", "b"], "component": "rates", "mean": [1.0, 1.2],
    ...                   "hdi_low": [0.2, 0.1], "hdi_high": [1.8, 2.0], "unit": "pp"})
    >>> [tr.name for tr in spec_robustness(t).data]
    ['a', 'b']
    """
    _require(table, ["spec", "component", "mean", "hdi_low", "hdi_high"], "robustness")
    unit = _unit(table)
    comps = list(pd.unique(table["component"]))
    data = []
    for i, (spec, g) in enumerate(table.groupby("spec", sort=False)):
        g = g.set_index("component").reindex(comps)
        colour = "#111111" if spec == "stacked" else _EXTRA_COLOURS[i % len(_EXTRA_COLOURS)]
        data.append({
            "type": "scatter", "x": _values(g["mean"]), "y": [_label(c) for c in comps],
            "mode": "markers", "name": _label(spec),
            "orientation": "h",  # grouped side by side within each component's row
            "marker": {"color": colour, "size": 9,
                       "symbol": "diamond" if spec == "stacked" else "circle"},
            "error_x": {"type": "data", "symmetric": False,
                        "array": _values(g["hdi_high"] - g["mean"]),
                        "arrayminus": _values(g["mean"] - g["hdi_low"]), "color": colour},
            "hovertemplate": f"{_label(spec)} %{{y}}: %{{x:+.2f}} {unit}<extra></extra>"})
    title = title or f"Contributions across specifications (mean and {hdi_label(hdi)}, {unit})"
    return _layout({"data": data, "layout": {"scattermode": "group"}}, title, height=120 + 60 * len(comps), xtitle=f"contribution ({unit})")


@figure_builder
def event_window_chart(daily: pd.DataFrame, releases: pd.DataFrame | None = None, *,
                       title: str = "Contributions per session", hdi: float = 0.9,
                       labels: dict[str, str] | None = None):
    """Each session's contributions in an event window, release days marked above the bars.

    Parameters
    ----------
    daily
        Tidy per-session attribution ``period, component, mean, hdi_low, hdi_high, unit``
        with a ``total`` row per session (``EventWindow.daily_table()``).
    releases
        ``date, kind, label`` of release days and events inside the window.
    title
        Chart title.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"period": ["2024-07-11"] * 2, "component": ["rates", "total"],
    ...                   "mean": [1.0, 3.0], "hdi_low": [0.5, 3.0], "hdi_high": [1.5, 3.0],
    ...                   "unit": "pp"})
    >>> r = pd.DataFrame({"date": ["2024-07-11"], "kind": ["cpi"], "label": ["CPI release"]})
    >>> event_window_chart(t, r).layout.annotations[0].text
    'CPI release'
    """
    spec = stacked_contributions.spec(daily, None, title=title, hdi=hdi, labels=labels)
    if releases is None or releases.empty:
        return spec
    periods = {str(p) for p in daily["period"]}
    notes = spec["layout"].setdefault("annotations", [])
    for date, rows in releases.groupby("date", sort=True):
        if str(date) not in periods:
            continue
        notes.append({"x": str(date), "y": 1.0, "yref": "paper", "yanchor": "bottom",
                      "showarrow": False, "text": _label("<br>".join(rows["label"].astype(str))),
                      "font": {"size": 10, "color": "#444"}})
    spec["layout"]["margin"]["t"] = 90
    return spec


@figure_builder
def scenario_forest(table: pd.DataFrame, *, title: str | None = None, hdi: float = 0.9):
    """Scenarios' predictive relative return (mean and HDI) against the baseline.

    Parameters
    ----------
    table
        One row per scenario: ``scenario, mean, hdi_low, hdi_high`` (optionally ``unit``).
    title
        Chart title.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"scenario": ["credit stress"], "mean": [-3.0], "hdi_low": [-5.0],
    ...                   "hdi_high": [-1.0], "unit": "pp"})
    >>> scenario_forest(t).data[0].y[0]
    'credit stress'
    """
    _require(table, ["scenario", "mean", "hdi_low", "hdi_high"], "scenario")
    unit = _unit(table)
    dots = {
        "type": "scatter", "x": _values(table["mean"]),
        "y": [_label(s) for s in table["scenario"]], "mode": "markers",
        "marker": {"size": 10, "color": "#0072B2"},
        "error_x": {"type": "data", "symmetric": False,
                    "array": _values(table["hdi_high"] - table["mean"]),
                    "arrayminus": _values(table["mean"] - table["hdi_low"]),
                    "thickness": 2, "width": 6, "color": "#555"},
        "customdata": table[["hdi_low", "hdi_high"]].to_numpy(dtype=float),
        "hovertemplate": ("%{y}: %{x:+.2f} " + unit + " (" + hdi_label(hdi)
                          + " %{customdata[0]:+.2f} to %{customdata[1]:+.2f})<extra></extra>"),
        "name": "scenario effect",
    }
    spec = {"data": [dots], "layout": {
        "shapes": [_vline(0, {"color": "#888", "width": 1, "dash": "dot"})],
        "yaxis": {"autorange": "reversed"}}}  # scenarios top-down, in the table's order
    title = title or f"Scenario effects against the baseline (mean and {hdi_label(hdi)}, {unit})"
    return _layout(spec, title, height=max(220, 70 + 48 * len(table)), xtitle=f"effect ({unit})")
