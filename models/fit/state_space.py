"""Fits of the state-space model (:class:`StateSpaceFit`, ``[model] betas = "state_space"``):
random-walk alpha and betas integrated out by a Kalman filter, time-varying volatility,
discounts averaged over a grid (exact method) or sampled by NUTS.

The posterior stores the discount grid, each draw's grid point and P(varies); per-period
paths come from :class:`~macroattr.models.statespace.paths.StateSpacePaths` (the filter
rerun from the panel and seed, or handed over by the fit that just ran it). Both estimates
exist: ``"smoothed"`` (revised) and ``"filtered"`` (real time).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from macroattr.core.periods import check_freq
from macroattr.models.config import ModelConfig
from macroattr.models.estimation.design import Design, build_design
from macroattr.core.periods import period_labels
from macroattr.models.fit.base import _CHUNK_ELEMS, Fit

if TYPE_CHECKING:
    import xarray as xr

    from macroattr.data_pipelines.panel import Panel
    from macroattr.models.fit.diagnostics import Diagnostics
    from macroattr.models.statespace.paths import StateSpacePaths

__all__ = ["StateSpaceFit"]


class StateSpaceFit(Fit):
    """A state-space fit: revised and real-time betas, contributions and volatility."""

    kind: ClassVar[str] = "state_space"
    estimates: ClassVar[tuple[str, ...]] = ("smoothed", "filtered")
    time_varying: ClassVar[bool] = True
    state_space: ClassVar[bool] = True
    errors_label: ClassVar[str | None] = "normal, time-varying volatility"

    def __init__(self, posterior: xr.Dataset, sample_stats: xr.Dataset | None, panel: Panel,
                 config: ModelConfig, meta: dict[str, Any], diagnostics: Diagnostics | None = None,
                 *, design: Design | None = None, paths: StateSpacePaths | None = None) -> None:
        super().__init__(posterior, sample_stats, panel, config, meta, diagnostics, design=design)
        self._paths = paths
        if paths is not None:
            paths.store = self._store
        self._static_fits: dict[str, StateSpaceFit] = {}

    @property
    def paths(self) -> StateSpacePaths:
        """The per-draw state-space paths (:class:`~macroattr.models.statespace.paths.StateSpacePaths`)."""
        if self._paths is None:
            from macroattr.models.statespace.paths import StateSpacePaths

            self._paths = StateSpacePaths(self.design, self.config, self.draw_set,
                                          store=self._store)
        return self._paths

    # ------------------------------------------------------------------ model-specific pieces
    def _beta_nat_time(self, t0: int, t1: int, estimate: str = "smoothed") -> np.ndarray:
        return self.paths.beta(t0, t1, estimate)

    def _components_time(self, t0: int, t1: int, estimate: str = "smoothed",
                         blocks: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        return self.paths.components(t0, t1, estimate, blocks)

    def _block_sums(self, t0: int, t1: int, estimate: str,
                    blocks: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        # summed into periods in the compiled pass
        return self.paths.components(t0, t1, estimate, blocks, summed=True)

    def _sigma_time(self, t0: int, t1: int, estimate: str = "smoothed") -> np.ndarray:
        return self.paths.sigma(t0, t1, estimate)

    def _beta_average_draws(self) -> np.ndarray:
        return self._ss_average("beta")

    def _ss_average(self, name: str) -> np.ndarray:
        """Per-draw average over the span of a smoothed path (alpha, beta, sigma); computed
        once per fit (and kept in its file: :mod:`macroattr.models.fit.stored`)."""
        from macroattr.models.fit import stored

        return stored.memo(self, f"avg_{name}", lambda: self._span_average(name))

    def _span_average(self, name: str) -> np.ndarray:
        sums = None
        d = self.design
        step = max(1, _CHUNK_ELEMS // (self.n_samples * (2 + d.n_factors)))
        for t0 in range(0, d.n_obs, step):
            t1 = min(d.n_obs, t0 + step)
            part = getattr(self.paths, name)(t0, t1, "smoothed").sum(axis=1)
            sums = part if sums is None else sums + part
        assert sums is not None
        return sums / d.n_obs

    def parameter_draws(self) -> dict[str, tuple[np.ndarray, str]]:
        """Flat draws (sample,) of the scalar parameters: alpha and sigma averaged over the
        span (target unit per period) and the two discounts."""
        per = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}[self.design.freq]
        tu = self.target_unit
        return {
            "alpha (span average)": (self._ss_average("alpha"), f"{tu} per {per}"),
            "sigma (span average)": (self._ss_average("sigma"), f"{tu} per {per}"),
            "delta_beta": (self._flat("delta_beta"), "state discount (1 = static betas)"),
            "delta_v": (self._flat("delta_v"), "variance discount (1 = constant volatility)"),
        }

    def one_step_ahead(self, static: bool = False) -> pd.DataFrame:
        from macroattr.models.fit import stored

        cols = ("mean", "scale", "df", "log_score", "pit")
        def compute() -> np.ndarray:
            frame = self.paths.one_step_ahead(static=static)  # once: every column of it
            return np.stack([frame[c].to_numpy(dtype=np.float64) for c in cols])

        arr = stored.memo(self, f"osa_{int(bool(static))}", compute)
        d = self.design
        return pd.DataFrame({"date": d.dates, "observed": d.y,
                             **{c: arr[i] for i, c in enumerate(cols)}})

    # ------------------------------------------------------------------ state-space only
    def static_counterpart(self, freq: str | None = None) -> StateSpaceFit:
        """The same model with no time variation (both discounts 1: static alpha and betas,
        constant volatility), same prior and seed: the static side of the model check.
        ``freq`` (e.g. ``"M"`` for a daily fit) fits it to the panel summed to that frequency
        (log returns and factor changes add), i.e. a static monthly model of the same data.
        On the fit's own frequency its :meth:`one_step_ahead` is this fit's
        ``one_step_ahead(static=True)``."""
        f = check_freq(freq or self.freq, self.freq)
        if f not in self._static_fits:
            from macroattr.models.statespace.paths import StateSpacePaths, draw_state_space

            cfg = self.config.override(beta_discounts=[1.0], variance_discounts=[1.0], method="exact")
            panel, design = self.panel, self.design
            if f != self.freq:
                panel = _summed_panel(self.panel, self.design, f, self.config.target)
                design = build_design(panel, cfg)
            post, info = draw_state_space(design, cfg)
            meta = {**self.meta, "notes": [*self.meta.get("notes", []),
                                           f"static counterpart ({f}): discounts fixed at 1"]}
            paths = StateSpacePaths(design, cfg, post, grid=info["grid_filter"], scales=info["scales"])
            self._static_fits[f] = StateSpaceFit(post, None, panel, cfg, meta, self.diagnostics,
                                                 design=design, paths=paths)
        return self._static_fits[f]

    def static_quarter(self, quarter: str, hdi: float = 0.9, freq: str | None = None) -> pd.DataFrame:
        """The quarter's attribution by :meth:`static_counterpart` (``freq``: the frequency it
        is fitted on, default the fit's), indexed by component (alpha, groups, residual,
        total): mean, median, hdi_low, hdi_high, unit — the rows of
        ``static_counterpart(freq).attribution("Q", hdi)`` for ``quarter``, to the last digit.

        At the page's HDI the counterpart's quarter summaries and observed quarter totals are
        kept with the fit (stored ``static_<freq>_Q_<hdi>``, (4, quarter, component), and
        ``static_<freq>_obs_Q``, made before it is saved: :mod:`macroattr.models.fit.page_inputs`),
        so a loaded fit answers the model check without refitting the counterpart (no filter
        run); another HDI refits it."""
        from macroattr.core.errors import InputError
        from macroattr.models.fit import stored
        from macroattr.models.fit.attribution import summarise_draws

        f = check_freq(freq or self.freq, self.freq)
        quarters = [str(q) for q in pd.unique(period_labels(self.design.dates, "Q"))]
        if quarter not in quarters:
            raise InputError(f"{quarter} is not a quarter of the fit ({quarters[0]}..{quarters[-1]})")
        cols = ("mean", "median", "hdi_low", "hdi_high")

        def compute() -> np.ndarray:
            """(5, quarter, component + 1): the four summaries of every quarter and, in the
            last component slot of row 0, the observed quarter totals."""
            cp = self.static_counterpart(f)
            labels: list[str] = []
            parts: list[np.ndarray] = []
            for lab, arr in cp._iter_periods("Q"):
                labels.extend(str(x) for x in lab)
                parts.append(arr)
            obs = cp._observed_series("Q")
            if labels != quarters or [str(x) for x in obs.index] != quarters:
                raise AssertionError("the static counterpart's quarters differ from the fit's")
            sm = summarise_draws(np.concatenate(parts, axis=1), hdi)
            out = np.stack([sm[c] for c in cols])  # (4, quarter, component)
            return np.concatenate([out, np.broadcast_to(obs.to_numpy(np.float64)[None, :, None],
                                                        (4, len(quarters), 1))], axis=2)

        if hdi == stored.STORED_HDI:
            arr = stored.memo(self, f"static_{f}_Q_{stored.hdi_key(hdi)}", compute)
        else:
            arr = compute()
        i = quarters.index(quarter)
        frame = pd.DataFrame({c: arr[k, i, :-1] for k, c in enumerate(cols)},
                             index=pd.Index(self.components, name="component"))
        frame.loc["total"] = float(arr[0, i, -1])
        frame["unit"] = self.target_unit
        return frame

    def discounts(self) -> pd.DataFrame:
        """The discount grid with each point's log marginal likelihood and posterior weight
        (uniform prior over the grid), heaviest first."""
        p = self.draw_set
        df = pd.DataFrame({"delta_beta": p["grid_delta_beta"].values,
                           "delta_v": p["grid_delta_v"].values,
                           "log_ml": p["grid_log_ml"].values, "weight": p["grid_weight"].values})
        return df.sort_values("weight", ascending=False, kind="stable").reset_index(drop=True)

    def grid_warnings(self) -> list[str]:
        """Warnings when the exact method's discount-grid weight piles on a grid's edge
        (:func:`macroattr.models.statespace.paths.grid_edges`); none for nuts fits, whose
        discounts are sampled, not gridded."""
        from macroattr.models.statespace.paths import grid_edges

        if self.config.sampler.method != "exact" or "grid_weight" not in self.draw_set:
            return []
        ss = self.config.state_space
        return grid_edges(self.discounts(), ss.beta_discounts, ss.variance_discounts)

    def priors(self) -> pd.DataFrame:
        """The prior per parameter in natural units (same for every span: fixed reference
        scales; :func:`macroattr.models.statespace.paths.prior_table`)."""
        from macroattr.models.statespace.paths import prior_table

        return prior_table(self.design, self.config, self.factor_units())

    def p_varies(self) -> pd.Series:
        """Posterior probability that each factor's beta varies over time.

        Exact fits average over which betas drift: every subset of factors held static
        (block discounting) is weighed by its exact marginal likelihood, with each beta
        static a priori with probability ``[state_space] static_prob``. Fits of more than
        ``MAX_SUBSET_FACTORS`` (8) factors hold each factor static alone against the
        all-drifting model (one filter per factor), stated by :meth:`p_varies_method`.
        """
        if "p_varies" in self.draw_set:
            v = np.asarray(self.draw_set["p_varies"].values, dtype=np.float64)
        else:
            v = np.full(self.design.n_factors, float((self._flat("delta_beta") < 1.0).mean()))
        return pd.Series(v, index=self.design.factors, name="p_varies")

    def p_varies_range(self) -> pd.DataFrame | None:
        """How much P(varies) depends on the discount setting: per factor ``p_varies``,
        ``low`` and ``high``, the least and most P(varies | discounts) over the grid points
        expanded into subsets (exact: those holding >= 1% of the weight; nuts: its 40
        posterior discount pairs); None for fits saved without it."""
        if "p_varies_low" not in self.draw_set:
            return None
        return pd.DataFrame({"p_varies": self.p_varies(),
                             "low": np.asarray(self.draw_set["p_varies_low"].values, np.float64),
                             "high": np.asarray(self.draw_set["p_varies_high"].values, np.float64)},
                            index=self.design.factors)

    def p_varies_method(self) -> str:
        """How :meth:`p_varies` was computed: ``"exact: ..."`` (every subset of static factors)
        or the stated approximation of fits with many factors."""
        if "p_varies" in self.draw_set and self.draw_set["p_varies"].attrs.get("method"):
            return str(self.draw_set["p_varies"].attrs["method"])
        if "p_varies" in self.draw_set:
            return "exact: every subset of static factors weighed by its marginal likelihood"
        return ("approximate: the posterior weight of the discounts with delta_beta < 1, the "
                "same for every factor (older fit without per-factor P(varies))")

    def p_varies_text(self, label: Callable[[str], str] | None = None) -> str:
        """P(varies) per factor to 2 decimals with its sensitivity to the discount setting,
        e.g. ``d_2y 1.00, d_baa_spread 0.36 (0.31-0.40)``; ``label`` names each factor
        (default its id; the page passes the reader labels)."""
        rng = self.p_varies_range()
        pv = self.p_varies()
        parts = []
        for k, v in pv.items():
            txt = f"{label(k) if label is not None else k} {v:.2f}"
            if rng is not None and f"{rng.loc[k, 'low']:.2f}" != f"{rng.loc[k, 'high']:.2f}":
                txt += f" ({rng.loc[k, 'low']:.2f}-{rng.loc[k, 'high']:.2f})"
            parts.append(txt)
        method = self.config.sampler.method
        where = ("the discount grid points holding >= 1% of the weight" if method == "exact"
                 else "the posterior discount draws")
        how = self.p_varies_method()
        tail = "" if how.startswith("exact") else f"; P(varies) is {how}"
        return (", ".join(parts) + f" (method {method}; in brackets the range of P(varies) over "
                f"{where}: the figure depends on the discounts, and the other method can differ "
                f"by as much{tail})")

    def paths_text(self) -> str:
        """How the paths honour :meth:`p_varies` (one sentence, the page's and the summary's)."""
        if "vary" not in self.draw_set:
            return ("Paths: every beta is drawn drifting, revised and first estimate alike "
                    f"(P(varies) is {self.p_varies_method()}).")
        return ("Paths honour P(varies): a revised path draws each beta static or drifting with "
                "these probabilities; a first estimate draws them with P(varies) as it stood at "
                "its date (the same models and prior odds weighed with the data to that date "
                "only, nothing later).")

    def interventions(self, window: int = 5) -> pd.DataFrame:
        """Automatic interventions of the forecast monitor (``[state_space] monitor``,
        :mod:`macroattr.models.statespace.monitor`) at the heaviest discount grid point:
        ``onset`` (the date the break began: where the revised paths inflate the state's
        uncertainty), ``signalled`` (the date the real-time filter intervened, after the
        forecasts had kept failing), ``weight`` (the share of the grid weight at grid points
        that intervene within ``window`` periods of that onset). Empty when the monitor never
        fired, is off, or for nuts fits."""
        cols = ["onset", "signalled", "weight"]
        empty = pd.DataFrame({"onset": pd.Series(dtype="datetime64[ns]"),
                              "signalled": pd.Series(dtype="datetime64[ns]"),
                              "weight": pd.Series(dtype=np.float64)})
        # rows (onset row, signalled row, weight), kept with the fit at the default window
        # (stored ``interventions``: a loaded fit reruns no filter for them)
        kept = self._store.get("interventions") if window == 5 else None
        if kept is None:
            kept = self._interventions(window)
            if kept is None:
                return empty
            if window == 5:
                self._store["interventions"] = kept
        if not len(kept):
            return empty
        dates = self.design.dates
        return pd.DataFrame({"onset": dates[kept[:, 0].astype(np.int64)],
                             "signalled": dates[kept[:, 1].astype(np.int64)],
                             "weight": kept[:, 2]}, columns=cols)

    def _interventions(self, window: int) -> np.ndarray | None:
        """Rows (onset row, signalled row, weight) of :meth:`interventions`, float64."""
        gf = self.paths.grid
        if gf is None or getattr(gf, "monitor", None) is None:
            return None
        w = gf.weights
        g0 = int(np.argmax(w))
        r = gf.results[g0]
        if r.onset is None or not (r.onset >= 0).any():
            return np.empty((0, 3))
        others = {g: gf.results[g].onsets() for g in range(len(w))}
        rows = []
        for t in np.flatnonzero(r.onset >= 0):
            o = int(r.onset[t])
            share = sum(float(w[g]) for g, on in others.items()
                        if len(on) and np.abs(on - o).min() <= window)
            rows.append((float(o), float(t), share))
        return np.array(rows, dtype=np.float64).reshape(-1, 3)


def _summed_panel(panel: Panel, design: Design, freq: str, target: str) -> Panel:
    """The fit's rows summed to ``freq`` periods (dated by their last day), as a panel."""
    from macroattr.data_pipelines.panel import Panel

    df = pd.DataFrame(np.column_stack([design.y, design.X]), index=design.dates,
                      columns=[target, *design.factors])
    labels = period_labels(design.dates, freq)
    summed = df.groupby(labels, sort=False).sum()
    last = df.index.to_series().groupby(labels, sort=False).max()
    summed.index = pd.DatetimeIndex(last.loc[summed.index].to_numpy(), name="date")
    return Panel(summed, {**dict(getattr(panel, "meta", {}) or {}), "freq": freq})
