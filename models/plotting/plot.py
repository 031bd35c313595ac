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


class PlotFacade:
    """Figures of a :class:`~macroattr.models.Fit`; each returns a ``plotly.graph_objects.Figure``."""

    def __init__(self, fit: Any) -> None:
        self._fit = fit

    def contributions(self, freq: str = "Q", hdi: float = 0.9, periods: Any = None) -> Any:
        """Stacked contributions per period with the observed total."""
        from macroattr.models.plotting import figures

        return figures.stacked_contributions(self._fit.attribution(freq, hdi), periods, hdi=hdi)

    def waterfall(self, period: str | None = None, freq: str = "Q", hdi: float = 0.9) -> Any:
        """Waterfall of one period (default: the last)."""
        from macroattr.models.plotting import figures

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

    def volatility(self, hdi: float = 0.9, estimate: str = "smoothed") -> Any:
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
