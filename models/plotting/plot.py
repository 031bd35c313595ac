"""``fit.plot``: plotly figures of a fit.

Attribution, coefficient and predictive figures are the report's own builders
(:mod:`macroattr.models.plotting.figures`), called lazily on the fit's tidy tables; only the diagnostics
figure is drawn here.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PlotFacade", "diagnostics_figure"]


def diagnostics_figure(table: Any, gate: Any, title: str = "Convergence diagnostics") -> Any:
    """R-hat and bulk ESS per parameter against the gate thresholds (plotly)."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=("R-hat", "bulk ESS"), shared_yaxes=True)
    names = table["parameter"].tolist()
    fig.add_bar(x=table["r_hat"], y=names, orientation="h", row=1, col=1, name="R-hat")
    fig.add_bar(x=table["ess_bulk"], y=names, orientation="h", row=1, col=2, name="bulk ESS")
    fig.add_vline(x=gate.thresholds.get("rhat_max", 1.01), line_dash="dash", row=1, col=1)
    fig.add_vline(x=gate.thresholds.get("ess_bulk_min", 400), line_dash="dash", row=1, col=2)
    fig.update_layout(title=f"{title} - {gate.line()}", showlegend=False,
                      height=120 + 22 * len(names), template="simple_white")
    return fig


def facade_repr(facade: Any, name: str, what: str, fit: Any) -> str:
    """``fit.summary`` / ``fit.plot`` as text: the fit, then each method with its signature and
    the first line of its docstring (no object address).

    Examples
    --------
    >>> class F:
    ...     def waterfall(self, period=None):
    ...         "Waterfall of one period."
    >>> class Fit:
    ...     def __repr__(self):
    ...         return "<Fit ...>"
    >>> print(facade_repr(F(), "fit.plot", "figures", Fit()))
    fit.plot: figures of <Fit ...>
      .waterfall(period=None)  Waterfall of one period.
    """
    import inspect

    lines = [f"{name}: {what} of {fit!r}"]
    for attr in sorted(a for a in dir(type(facade)) if not a.startswith("_")):
        member = getattr(type(facade), attr)
        if not callable(member):
            continue
        params = list(inspect.signature(member).parameters.values())[1:]
        sig = ", ".join(str(p.replace(annotation=inspect.Parameter.empty)) for p in params)
        para = " ".join((inspect.getdoc(member) or "").split("\n\n")[0].split())
        doc = para.split(". ")[0].rstrip(".") + "."
        lines.append(f"  .{attr}({sig})  {doc}".rstrip())
    return "\n".join(lines)


class PlotFacade:
    """Figures of a :class:`~macroattr.models.Fit`; each returns a ``plotly.graph_objects.Figure``."""

    def __init__(self, fit: Any) -> None:
        self._fit = fit

    def __repr__(self) -> str:
        """What the namespace holds, for a notebook user who types ``fit.plot``."""
        return facade_repr(self, "fit.plot", "figures (plotly)", self._fit)

    def contributions(self, freq: str = "Q", hdi: float = 0.9, periods: Any = None) -> Any:
        """Stacked contributions per period with the observed total (``periods``: labels of
        ``freq``, each in the fit's span; default all)."""
        from macroattr.models.plotting import figures

        if periods is not None:
            periods = self._fit.check_periods(periods, freq)
        return figures.stacked_contributions(self._fit.attribution(freq, hdi), periods, hdi=hdi)

    def waterfall(self, period: str | None = None, freq: str = "Q", hdi: float = 0.9) -> Any:
        """Waterfall of one period (default: the last); a label outside the fit's span is one
        :class:`~macroattr.core.errors.InputError` line naming it and the span."""
        from macroattr.models.plotting import figures

        if period is not None:
            period = self._fit.check_periods(period, freq)[0]
        return figures.waterfall(self._fit.attribution(freq, hdi), period, hdi=hdi)

    def cumulative(self, freq: str = "Q", hdi: float = 0.9) -> Any:
        """Cumulative attribution over the fit span."""
        from macroattr.models.plotting import figures

        return figures.cumulative_attribution(self._fit.attribution(freq, hdi))

    def coefficients(self, hdi: float = 0.9) -> Any:
        """Forest plot (static) or HDI bands over time (time-varying betas)."""
        from macroattr.models.plotting import figures

        if self._fit.time_varying:
            return figures.coefficient_bands(self._fit.beta_paths(hdi), hdi=hdi)
        return figures.coefficient_forest(self._fit.coefficients(hdi), hdi=hdi)

    def volatility(self, hdi: float = 0.9, estimate: str = "revised") -> Any:
        """Residual sd over time with its HDI band (time-varying for state-space fits)."""
        from macroattr.models.plotting import figures

        return figures.volatility_band(self._fit.volatility(hdi, estimate), hdi=hdi)

    def predictive(self, freq: str | None = None, hdi: float = 0.9) -> Any:
        """Observed vs posterior predictive mean and HDI."""
        from macroattr.models.plotting import figures

        return figures.posterior_predictive(self._fit.ppc(freq, hdi), hdi=hdi)

    def diagnostics(self) -> Any:
        """R-hat and ESS per parameter with the gate thresholds."""
        d = self._fit.diagnostics
        return diagnostics_figure(d.table, d.gate)
