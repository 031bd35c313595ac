"""``fit.summary``: the tables of a fit, in one namespace for notebooks."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["SummaryFacade"]


class SummaryFacade:
    """Tables of a :class:`~models.Fit` (all in natural units, each with a unit column).

    Examples
    --------
    >>> from macroattr.models.synthetic import simulate_panel
    >>> from macroattr.models import ModelConfig, fit_model
    >>> panel, truth = simulate_panel(n=120, seed=0)
    >>> fit = fit_model(panel, ModelConfig(groups=truth["groups"]).override(method="exact"))
    >>> fit.summary.attribution("Y").columns[0]
    'period'
    """

    def __init__(self, fit: Any) -> None:
        self._fit = fit

    def coefficients(self, hdi: float = 0.9) -> pd.DataFrame:
        """Betas (natural units) with HDIs."""
        return self._fit.coefficients(hdi)

    def parameters(self, hdi: float = 0.9) -> pd.DataFrame:
        """Alpha, sigma, nu, random-walk scales."""
        return self._fit.parameters(hdi)

    def attribution(self, freq: str = "Q", hdi: float = 0.9) -> pd.DataFrame:
        """Per-period attribution (see :meth:`models.Fit.attribution`) as an
        :class:`~macroattr.models.display.AttributionTable`: the same tidy DataFrame, shown in Jupyter
        as a wide table of means with HDIs (and a banner if the fit failed the gate)."""
        from macroattr.models.display import AttributionTable

        d = self._fit.diagnostics
        gate = getattr(d, "gate", None)
        return AttributionTable.from_frame(
            self._fit.attribution(freq, hdi), hdi=hdi,
            gate=gate.line() if gate is not None else None,
            gate_passed=bool(gate.passed) if gate is not None else None)

    def variance_shares(self, freq: str | None = None, hdi: float = 0.9) -> pd.DataFrame:
        """Group shares of the fitted variance and the between-group covariance."""
        return self._fit.variance_shares(freq, hdi)

    def diagnostics(self) -> pd.DataFrame:
        """Per-parameter R-hat, ESS and MCSE."""
        return self._fit.diagnostics.table

    def gate(self) -> str:
        """One-line convergence-gate verdict."""
        return self._fit.diagnostics.gate.line()

    def ppc(self, freq: str | None = None, hdi: float = 0.9) -> pd.DataFrame:
        """Posterior predictive check per period."""
        return self._fit.ppc(freq, hdi)

    def loo(self) -> pd.DataFrame:
        """PSIS-LOO: elpd, its SE, p_loo and Pareto-k counts."""
        from macroattr.models.comparison import loo_row

        return pd.DataFrame([loo_row(self._fit)])

    def priors(self) -> pd.DataFrame:
        """Prior hyper-parameters (standardised scale) as a table."""
        p = self._fit.config.priors.model_dump()
        return pd.DataFrame({"prior": list(p), "value": [str(v) for v in p.values()]})
