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
    >>> share = fit.summary.explained_share("M")
    >>> bool(0 < share.loc[0, "mean"] < 100 and share.loc[0, "hdi_low"] < share.loc[0, "hdi_high"])
    True
    """

    def __init__(self, fit: Any) -> None:
        self._fit = fit

    def __repr__(self) -> str:
        """What the namespace holds, for a notebook user who types ``fit.summary``."""
        from macroattr.models.plotting.plot import facade_repr

        return facade_repr(self, "fit.summary", "tables (DataFrames, natural units)", self._fit)

    def coefficients(self, hdi: float = 0.9) -> pd.DataFrame:
        """Betas (natural units) with HDIs."""
        return self._fit.coefficients(hdi)

    def parameters(self, hdi: float = 0.9) -> pd.DataFrame:
        """Alpha, sigma, nu, random-walk scales."""
        return self._fit.parameters(hdi)

    def attribution(self, freq: str = "Q", hdi: float = 0.9, periods: str | list[str] | None = None,
                    estimate: str = "revised") -> pd.DataFrame:
        """Per-period attribution in pp, shown in Jupyter as periods x components.

        The tidy table of :meth:`models.Fit.attribution` as an
        :class:`~macroattr.models.fit.display.AttributionTable`: the same DataFrame, shown in Jupyter
        as a wide table of means with HDIs (and a banner if the fit failed the gate).

        ``periods``: only these ``freq`` labels (``"2024Q3"`` or a list), each in the fit's
        span (one :class:`~macroattr.core.errors.InputError` line otherwise); default all.
        ``estimate``: ``"revised"`` or ``"first estimate"`` (aliases in
        :mod:`macroattr.core.estimates`)."""
        from macroattr.models.fit.display import AttributionTable

        wanted = self._fit.check_periods(periods, freq) if periods is not None else None
        table = self._fit.attribution(freq, hdi, estimate=estimate)
        if wanted is not None:
            table = table[table["period"].astype(str).isin(wanted)].reset_index(drop=True)
        d = self._fit.diagnostics
        gate = getattr(d, "gate", None)
        return AttributionTable.from_frame(
            table, hdi=hdi,
            gate=gate.line() if gate is not None else None,
            gate_passed=bool(gate.passed) if gate is not None else None)

    def variance_shares(self, freq: str | None = None, hdi: float = 0.9) -> pd.DataFrame:
        """Group shares of the fitted variance and the between-group covariance."""
        return self._fit.variance_shares(freq, hdi)

    def explained_share(self, freq: str | list[str] | None = None, hdi: float = 0.9) -> pd.DataFrame:
        """Share of the observed variance the macro groups carry over the fit span, an
        R-squared with its HDI, in percent. The trend (state-space alpha) or constant and any
        market control are not macro and not counted (:mod:`macroattr.models.fit.components`).

        Per draw: Var(sum of the macro groups' contributions) / Var(observed) over the periods
        of each frequency (the ``macro/observed`` row of :meth:`models.Fit.variance_shares`),
        all frequencies from one pass over the draws.

        Parameters
        ----------
        freq
            One frequency or several; default the fit's own and quarters.
        hdi
            Interval mass.

        Returns
        -------
        pandas.DataFrame
            ``freq, periods, mean, median, hdi_low, hdi_high, unit`` (``% of observed
            variance``), one row per frequency.
        """
        import numpy as np

        from macroattr.core.errors import InputError
        from macroattr.models.fit.attribution import summarise_draws
        from macroattr.core.periods import check_freq, period_labels

        fit = self._fit
        native = str(fit.freq)
        freqs = [freq] if isinstance(freq, str) else list(freq or dict.fromkeys([native, "Q"]))
        freqs = [check_freq(f, native) for f in freqs]
        from macroattr.models.fit import stored

        if not all(f"r2_{f}" in fit._store for f in freqs):
            r2s, ns = self._r2(freqs)
            for f in freqs:
                if ns[f] < 3:
                    raise InputError(f"too few {f} periods ({ns[f]}) for an explained share")
                if stored.keeps(fit):
                    fit._store[f"r2_{f}"] = r2s[f]
        else:
            r2s = {f: fit._store[f"r2_{f}"] for f in freqs}
        dates = fit.design.dates
        rows = []
        for f in freqs:
            r2 = r2s[f]
            sm = summarise_draws(r2[:, None], hdi)
            rows.append({"freq": f, "periods": len(pd.unique(period_labels(dates, f))),
                         "mean": float(sm["mean"][0]),
                         "median": float(sm["median"][0]), "hdi_low": float(sm["hdi_low"][0]),
                         "hdi_high": float(sm["hdi_high"][0]), "unit": "% of observed variance"})
        return pd.DataFrame(rows)

    def _r2(self, freqs: list[str]) -> tuple[dict[str, Any], dict[str, int]]:
        """Per-draw explained share (sample,) of each frequency, and its number of periods."""
        import numpy as np

        from macroattr.core.periods import period_labels
        from macroattr.models.fit.components import macro_groups

        fit = self._fit
        native = str(fit.freq)

        names_g = list(fit.config.groups)
        macro = [1 + names_g.index(g) for g in macro_groups(names_g)]
        dates = fit.design.dates
        codes = {}
        for f in freqs:
            c, uniques = pd.factorize(period_labels(dates, f))
            codes[f] = (c, len(uniques))
        fitted = {f: np.zeros((fit.n_samples, n)) for f, (_, n) in codes.items()}
        observed = {f: np.zeros(n) for f, (_, n) in codes.items()}
        t = 0
        for _, arr in fit._iter_periods(native):  # streamed: native periods, one pass
            n_t = arr.shape[1]
            fit_t = arr[:, :, macro].sum(axis=2)
            y_t = arr[0].sum(axis=1)
            for f, (c, _) in codes.items():
                cc = c[t : t + n_t]
                starts = np.flatnonzero(np.r_[True, cc[1:] != cc[:-1]])
                fitted[f][:, cc[starts]] += np.add.reduceat(fit_t, starts, axis=1)
                observed[f][cc[starts]] += np.add.reduceat(y_t, starts)
            t += n_t
        r2s, ns = {}, {}
        for f in freqs:
            ns[f] = n = codes[f][1]
            if n >= 3:
                r2s[f] = 100.0 * fitted[f].var(axis=1, ddof=1) / observed[f].var(ddof=1)
        return r2s, ns

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
        from macroattr.models.analysis.comparison import loo_row

        return pd.DataFrame([loo_row(self._fit)])

    def priors(self) -> pd.DataFrame:
        """Prior hyper-parameters (standardised scale) as a table."""
        p = self._fit.config.priors.model_dump()
        return pd.DataFrame({"prior": list(p), "value": [str(v) for v in p.values()]})
