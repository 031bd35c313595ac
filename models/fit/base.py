"""The :class:`Fit` base: a posterior with the panel and config it came from.

One class per model kind implements the few model-specific pieces (how betas, the
residual scale and the contributions of a span are drawn; the scalar parameters; the
one-step-ahead predictive): :class:`~macroattr.models.fit.static.StaticFit` (static betas),
:class:`~macroattr.models.fit.static.KnotGridFit` (knot-grid time-varying betas) and
:class:`~macroattr.models.fit.state_space.StateSpaceFit`. Everything else (aggregation
to periods, tables, I/O, facades, display) lives here once. What a kind can do is declared
by class attributes (:attr:`Fit.kind`, :attr:`Fit.estimates`, :attr:`Fit.time_varying`,
:attr:`Fit.state_space`), never discovered by trial calls. :func:`make_fit` picks the class
from the config's ``[model] betas``.

The posterior holds sampled parameters on the standardised scale (small: no per-period
arrays). Per-period betas, contributions and predictive draws are recomputed on demand in
float64, in chunks of periods, so even a daily fit never materialises every
(chain, draw, day, factor) value at once unless asked for.

Long module: it is the one home of the API every fit kind inherits (aggregation to periods,
tables, prediction, ArviZ export, facades, display); the model-specific pieces are in
static.py and state_space.py.
"""

from __future__ import annotations

import abc
import html
from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Literal, overload

import numpy as np
import pandas as pd

from macroattr.core.errors import InputError

from macroattr.models.fit.attribution import beta_unit, chunk_runs, consecutive_blocks, summarise_draws
from macroattr.core.periods import check_freq, complete_quarters, partial_periods, period_labels
from macroattr.models.config import ModelConfig
from macroattr.models.estimation.design import Design, build_design
from macroattr.models.fit import stored as _stored

if TYPE_CHECKING:
    import xarray as xr

    from macroattr.data_pipelines.panel import Panel
    from macroattr.models.analysis.events import EventWindow
    from macroattr.models.estimation.drawset import DrawSet
    from macroattr.models.analysis.scenarios import ScenarioResult
    from macroattr.models.fit.diagnostics import Diagnostics
    from macroattr.models.fit.summary import SummaryFacade
    from macroattr.models.plotting.plot import PlotFacade

__all__ = ["ESTIMATES", "Fit"]

#: The estimates a fit can give: ``"smoothed"`` (revised, data of the whole span) and
#: ``"filtered"`` (real time: each period with data to that period).
ESTIMATES = ("smoothed", "filtered")

_CHUNK_ELEMS = 8_000_000  # float64 values per working block (~64 MB)


def _c_layout(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with every variable's values C-contiguous (a no-op for arrays already so)."""
    for name, var in ds.data_vars.items():
        values = var.values
        if not values.flags["C_CONTIGUOUS"]:
            ds[name] = var.copy(data=np.ascontiguousarray(values))
    return ds


class Fit(abc.ABC):
    """A fitted attribution model (the base of the per-kind classes; build one with
    :func:`make_fit`, :func:`~macroattr.models.fit_model` or :func:`load_fit`).

    Attributes
    ----------
    posterior : xarray.Dataset
        Sampled parameters on the standardised scale, dims (chain, draw, ...).
    sample_stats : xarray.Dataset or None
        Sampler statistics (diverging, energy, ...); None for the exact method.
    panel : Panel
        The panel the model was fitted on.
    config : ModelConfig
    meta : dict
        Versions, seed, sampler, method, timings.
    diagnostics : Diagnostics
        Convergence table and gate verdict.

    Examples
    --------
    >>> from macroattr.models.synthetic import simulate_panel
    >>> from macroattr.models import ModelConfig, fit_model
    >>> panel, truth = simulate_panel(n=120, seed=1)
    >>> cfg = ModelConfig(groups=truth["groups"]).override(method="exact", likelihood="normal")
    >>> fit = fit_model(panel, cfg)
    >>> c = fit.contributions("Q")
    >>> bool(np.allclose(c.sum("component"), fit.observed("Q")))
    True
    """

    #: ``[model] betas`` of this kind of fit: "static", "time_varying" or "state_space".
    kind: ClassVar[str] = ""
    #: The estimates this kind gives (keyword values of ``estimate=``).
    estimates: ClassVar[tuple[str, ...]] = ("smoothed",)
    #: Whether betas move over time.
    time_varying: ClassVar[bool] = False
    #: Whether betas and volatility follow the state-space model (``betas = "state_space"``).
    state_space: ClassVar[bool] = False
    #: How the residual is described in ``repr`` (None: the config's likelihood).
    errors_label: ClassVar[str | None] = None

    def __init__(self, posterior: xr.Dataset | DrawSet, sample_stats: xr.Dataset | DrawSet | None,
                 panel: Panel, config: ModelConfig, meta: dict[str, Any],
                 diagnostics: Diagnostics | None = None, *, design: Design | None = None) -> None:
        from macroattr.models.estimation.drawset import DrawSet

        # One (C) memory layout for every draw array: NumPy sums in a layout-dependent order, so a
        # fresh fit and the same fit read back from its file would differ in the last digit.
        #: the posterior as NumPy arrays (what every reader inside macroattr uses; a loaded
        #: fit builds no xarray object for it: :mod:`macroattr.models.estimation.drawset`)
        self.draw_set = (posterior if isinstance(posterior, DrawSet)
                         else DrawSet.from_dataset(_c_layout(posterior)))
        self._sample_stats: xr.Dataset | DrawSet | None = sample_stats
        self.panel = panel
        self.config = config
        self.meta = meta
        self.diagnostics = diagnostics
        self._design = design
        #: reductions computed once (and, for state-space fits, kept in the fit file):
        #: :mod:`macroattr.models.fit.stored`
        self._store: dict[str, Any] = {}

    # ------------------------------------------------------------------ basics
    @property
    def sample_stats(self) -> xr.Dataset | None:
        """Sampler statistics as an :class:`xarray.Dataset` (None for the exact method;
        a loaded fit's are read as arrays and built into a Dataset on first use)."""
        from macroattr.models.estimation.drawset import DrawSet

        stats = self._sample_stats
        if isinstance(stats, DrawSet):
            built: xr.Dataset = stats.to_dataset()
            self._sample_stats = built
            return built
        return stats

    @sample_stats.setter
    def sample_stats(self, value: xr.Dataset | DrawSet | None) -> None:
        self._sample_stats = value

    @property
    def posterior(self) -> xr.Dataset:
        """The posterior draws (an :class:`xarray.Dataset`, on the sampler's scale, as
        stored; built on first use for a loaded fit)."""
        return self.draw_set.to_dataset()

    @property
    def design(self) -> Design:
        """The standardised design rebuilt from the panel and config."""
        if self._design is None:
            self._design = build_design(self.panel, self.config)
        return self._design

    @property
    def groups(self) -> dict[str, list[str]]:
        """The factor groups: ``{group: [factor, ...]}``."""
        return self.config.groups or {}

    @property
    def components(self) -> list[str]:
        """Attribution components in order: alpha, groups, residual."""
        return ["alpha", *self.groups, "residual"]

    @property
    def n_samples(self) -> int:
        return int(self.draw_set.sizes["chain"] * self.draw_set.sizes["draw"])

    def _check_estimate(self, estimate: str) -> str:
        """The hooks' name (``"smoothed"``/``"filtered"``) of any accepted spelling: revised,
        first estimate, real time, smoothed, filtered (:mod:`macroattr.core.estimates`)."""
        from macroattr.core.estimates import estimate_name

        name = estimate_name(estimate, "estimate")
        if name not in self.estimates:
            raise InputError(
                f"estimate {estimate!r} (the first estimate, in real time) needs a state-space fit; "
                f"this fit has {self.kind} betas: refit with [model] betas = \"state_space\" "
                "or use estimate='revised'")
        return name

    @property
    def freq(self) -> str:
        return self.design.freq

    @property
    def target_unit(self) -> str:
        units = (getattr(self.panel, "meta", {}) or {}).get("units", {}) or {}
        return str(units.get(self.config.target, "pp"))

    def factor_units(self) -> dict[str, str]:
        """Natural unit of each coefficient (e.g. ``pp per 100 bp``)."""
        units = dict((getattr(self.panel, "meta", {}) or {}).get("units", {}) or {})
        units.update(self.config.units or {})  # the config's [units] table names them first
        return {f: beta_unit(f, units.get(f), self.target_unit) for f in self.design.factors}

    def flat_draws(self, name: str) -> np.ndarray:
        """Draws of the posterior variable ``name`` flattened over (chain, draw), float64:
        shape (sample, ...) (on the sampler's scale, as stored)."""
        v = self.draw_set[name]
        a = np.asarray(v.values, dtype=np.float64)
        return a.reshape(self.n_samples, *a.shape[2:])

    _flat = flat_draws

    @property
    def chains_draws(self) -> tuple[int, int]:
        """(number of chains, draws per chain)."""
        return int(self.draw_set.sizes["chain"]), int(self.draw_set.sizes["draw"])

    def _shape(self) -> tuple[int, int]:
        return self.chains_draws

    # ------------------------------------------------------------------ model-specific pieces
    # The hooks a kind implements (abstract: a subclass missing one cannot be built).
    @abc.abstractmethod
    def _beta_nat_time(self, t0: int, t1: int, estimate: str = "smoothed") -> np.ndarray:
        """Betas (sample, t1 - t0, factor) in natural units for rows t0:t1, float64."""
        raise NotImplementedError

    def _betas_array(self, t0: int, t1: int, estimate: str) -> np.ndarray:
        """Betas (chain, draw, t1 - t0, factor) in natural units (a view where it can be)."""
        c, dr = self._shape()
        return self._beta_nat_time(t0, t1, estimate).reshape(c, dr, t1 - t0, -1)

    @abc.abstractmethod
    def _components_time(self, t0: int, t1: int, estimate: str = "smoothed",
                         blocks: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """(sample, time, component) contributions in pp for rows t0:t1, float64
        (``blocks``: the periods rows are summed into; real-time estimates draw each as
        estimated at its end)."""
        raise NotImplementedError

    def _block_sums(self, t0: int, t1: int, estimate: str,
                    blocks: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """(sample, n_blocks, component): the contributions of rows t0:t1 summed into
        ``blocks`` (starts, ends)."""
        comp = self._components_time(t0, t1, estimate, blocks)
        return np.add.reduceat(comp, blocks[0] - t0, axis=1)

    @abc.abstractmethod
    def _sigma_time(self, t0: int, t1: int, estimate: str = "smoothed") -> np.ndarray:
        """(sample, time) residual scale in natural units for rows t0:t1."""
        raise NotImplementedError

    def _nu(self) -> np.ndarray | None:
        """Student-t degrees of freedom per draw (sample,), or None for normal errors."""
        return None

    @abc.abstractmethod
    def _beta_average_draws(self) -> np.ndarray:
        """(sample, factor) betas in natural units averaged over the span."""
        raise NotImplementedError

    @abc.abstractmethod
    def parameter_draws(self) -> dict[str, tuple[np.ndarray, str]]:
        """Flat draws (sample,) of every scalar parameter in natural units, with units."""
        raise NotImplementedError

    @abc.abstractmethod
    def one_step_ahead(self, static: bool = False) -> pd.DataFrame:
        """One-step-ahead predictive of each period from the exact filter: date, observed,
        mean, scale, df, log_score (log density per unit of the target), pit.

        State-space fits: the model-averaged predictive of the fit (each day predicted with
        data to the day before). ``static=True`` (and every fit that is not state-space):
        the static conjugate model, i.e. the same filter with no time variation in betas or
        volatility, on the same days; ``log_score.sum()`` is the log predictive density
        score (LPDS) of either.

        Examples
        --------
        >>> from macroattr.models.synthetic import simulate_panel
        >>> from macroattr.models import ModelConfig, fit_model
        >>> panel, truth = simulate_panel(n=80, seed=2)
        >>> fit = fit_model(panel, ModelConfig(groups=truth["groups"]).override(method="exact"))
        >>> list(fit.one_step_ahead().columns)
        ['date', 'observed', 'mean', 'scale', 'df', 'log_score', 'pit']
        """
        raise NotImplementedError

    # ------------------------------------------------------------------ betas

    @overload
    def betas(self, start: str | None = ..., end: str | None = ..., estimate: str = ..., *,
              draws: Literal[False] = ..., hdi: float = ...) -> pd.DataFrame: ...

    @overload
    def betas(self, start: str | None = ..., end: str | None = ..., estimate: str = ..., *,
              draws: Literal[True], hdi: float = ...) -> xr.DataArray: ...

    def betas(self, start: str | None = None, end: str | None = None,
              estimate: str = "revised", *, draws: bool = False,
              hdi: float = 0.9) -> pd.DataFrame | xr.DataArray:
        """Betas in natural units per period: a tidy summary, or every draw on request.

        By default the tidy table of :meth:`beta_paths` over the span: ``time, factor, mean,
        median, hdi_low, hdi_high, unit`` (``hdi`` the interval mass; constant over time for
        static fits, whose one row per factor is :meth:`coefficients`). ``draws=True``: the
        posterior draws, a DataArray with dims (chain, draw, time, factor) (for static models
        the time axis is a zero-copy broadcast; a long daily state-space fit is hundreds of MB).
        ``start``/``end`` select a sub-span. ``estimate``: ``"revised"`` (alias ``"smoothed"``:
        data of the whole span) or ``"first estimate"`` (aliases ``"filtered"``, ``"real
        time"``: each period's betas with data to that period; state-space fits only).

        Examples
        --------
        >>> from macroattr.models.synthetic import simulate_panel
        >>> from macroattr.models import ModelConfig, fit_model
        >>> panel, truth = simulate_panel(n=80, seed=2)
        >>> fit = fit_model(panel, ModelConfig(groups=truth["groups"]).override(method="exact"))
        >>> list(fit.betas().columns)
        ['time', 'factor', 'mean', 'median', 'hdi_low', 'hdi_high', 'unit']
        >>> fit.betas(draws=True).dims
        ('chain', 'draw', 'time', 'factor')
        """
        estimate = self._check_estimate(estimate)
        t0, t1 = self._span_rows(start, end)
        if not draws:
            return self.beta_paths(hdi, estimate, times=self.design.dates[t0:t1])
        import xarray as xr

        arr = self._betas_array(t0, t1, estimate)
        return xr.DataArray(
            arr,
            dims=("chain", "draw", "time", "factor"),
            coords={"time": self.design.dates[t0:t1], "factor": self.design.factors},
            name="beta",
            attrs={"units": self.factor_units()},
        )

    def _span_rows(self, start: str | None, end: str | None) -> tuple[int, int]:
        dates = self.design.dates
        t0 = 0 if start is None else int(dates.searchsorted(pd.Timestamp(start)))
        t1 = len(dates) if end is None else int(dates.searchsorted(pd.Timestamp(end), "right"))
        if t1 <= t0:
            raise InputError(f"no fitted periods between {start} and {end}")
        return t0, t1

    # ------------------------------------------------------------------ contributions
    def _iter_periods(self, freq: str, estimate: str = "smoothed",
                      rows: tuple[int, int] | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield (labels, sums) with sums (sample, period, component) per block of periods
        (of rows ``rows[0]:rows[1]`` only, when given)."""
        estimate = self._check_estimate(estimate)
        f = check_freq(freq, self.freq)
        d = self.design
        labels = period_labels(d.dates, f)
        codes, _ = pd.factorize(labels)
        starts, ends = consecutive_blocks(codes)
        if (f, estimate) in _stored.PERIOD_SUMS and f != d.freq and _stored.keeps(self):
            # the per-draw period sums kept with the fit (one pass over every period, once)
            sums = _stored.memo(self, f"sums_{f}_{estimate}", lambda: np.concatenate(
                [a for _, a in self._iter_blocks(f, estimate, labels, starts, ends)], axis=1))
            keep = np.ones(len(starts), dtype=bool)
            if rows is not None:
                keep = (ends > rows[0]) & (starts < rows[1])
                cut = keep & ((starts < rows[0]) | (ends > rows[1]))
                if cut.any():  # a period the span cuts: its rows inside are summed afresh
                    yield from self._iter_blocks(f, estimate, labels,
                                                 np.clip(starts, *rows)[keep], np.clip(ends, *rows)[keep])
                    return
            sel = np.flatnonzero(keep)
            yield labels[starts[sel]], sums[:, sel]
            return
        if rows is not None:
            starts, ends = np.clip(starts, *rows), np.clip(ends, *rows)
            keep = ends > starts
            starts, ends = starts[keep], ends[keep]
        yield from self._iter_blocks(f, estimate, labels, starts, ends)

    def _iter_blocks(self, f: str, estimate: str, labels: np.ndarray, starts: np.ndarray,
                     ends: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(labels, sums) of the periods ``starts``/``ends`` (row positions), in chunks."""
        d = self.design
        for i, j in self._block_chunks(f, estimate, starts, ends):
            t0, t1 = int(starts[i]), int(ends[j - 1])
            if f == d.freq:
                yield labels[t0:t1], self._components_time(t0, t1, estimate, (starts[i:j], ends[i:j]))
            else:
                yield labels[starts[i:j]], self._block_sums(t0, t1, estimate, (starts[i:j], ends[i:j]))

    def _block_chunks(self, f: str, estimate: str, starts: np.ndarray,
                      ends: np.ndarray) -> Iterator[tuple[int, int]]:
        """The chunks ``(i, j)`` (periods ``i:j`` of ``starts``/``ends``) one pass draws."""
        d = self.design
        per_row = self.n_samples * (len(d.groups) + 2 + 2 * d.n_factors)
        max_len = max(1, _CHUNK_ELEMS // per_row)
        if f != d.freq and estimate == "filtered":
            # first estimates summed into periods hold only the float32 states a row: fewer,
            # larger chunks (each call filters the subset models its periods pick from the start)
            max_len = max(1, 4 * _CHUNK_ELEMS // (self.n_samples * (d.n_factors + 2) // 2 + 1))
        return iter(chunk_runs(starts, ends, max_len))

    def _kept_first_estimate_spans(self) -> list[tuple[int, int, tuple[np.ndarray, np.ndarray]]]:
        """The spans ``(t0, t1, (starts, ends))`` the kept first-estimate period sums not yet
        computed will draw (those :meth:`_iter_periods` asks the paths for), so that they can
        be drawn together with other first estimates (the page's event windows)."""
        d = self.design
        out = []
        for f, estimate in _stored.PERIOD_SUMS:
            if (estimate != "filtered" or f == d.freq or not _stored.keeps(self)
                    or f"sums_{f}_{estimate}" in self._store):
                continue
            codes, _ = pd.factorize(period_labels(d.dates, check_freq(f, self.freq)))
            starts, ends = consecutive_blocks(codes)
            for i, j in self._block_chunks(f, estimate, starts, ends):
                out.append((int(starts[i]), int(ends[j - 1]), (starts[i:j], ends[i:j])))
        return out

    def _observed_series(self, freq: str = "M", rows: tuple[int, int] | None = None) -> pd.Series:
        """Observed relative return (pp) summed to ``freq`` periods (of rows ``rows[0]:rows[1]``
        only, when given), indexed by period label in time order (NumPy/pandas: what the
        tables read; :meth:`observed` is its DataArray for users)."""
        f = check_freq(freq, self.freq)
        a, b = (0, self.design.n_obs) if rows is None else rows
        s = pd.Series(self.design.y[a:b], index=period_labels(self.design.dates[a:b], f))
        return s.groupby(level=0, sort=False).sum()

    def observed(self, freq: str = "M") -> xr.DataArray:
        """Observed relative return (pp) aggregated to ``freq`` (dim ``period``)."""
        import xarray as xr

        agg = self._observed_series(freq)
        return xr.DataArray(
            agg.to_numpy(), dims=("period",), coords={"period": agg.index.to_numpy(dtype=object)},
            name="observed", attrs={"units": self.target_unit},
        )

    def contributions(self, freq: str = "M", estimate: str = "revised", start: str | None = None,
                      end: str | None = None) -> xr.DataArray:
        """Per-draw contributions, dims (chain, draw, period, component), in pp.

        Components are ``alpha``, each group and ``residual``; they sum exactly (to
        floating-point rounding) to the observed relative return of each period.
        ``estimate="first estimate"`` (aliases ``"filtered"``, ``"real time"``; state-space
        fits): each period as first estimated at its end (data to that day only; for the
        fit's own frequency, each day's real-time betas). Default ``"revised"`` (``"smoothed"``).
        ``start``/``end`` keep the data between those dates only (a period the span
        cuts sums its rows inside the span), so an event window of a long daily fit
        never computes every day.
        """
        import xarray as xr

        labels, arr = self._contributions_array(freq, estimate, start, end)
        c, dr = self._shape()
        return xr.DataArray(
            arr.reshape(c, dr, arr.shape[1], arr.shape[2]),
            dims=("chain", "draw", "period", "component"),
            coords={"period": labels, "component": self.components},
            name="contribution",
            attrs={"units": self.target_unit},
        )

    def _contributions_array(self, freq: str = "M", estimate: str = "revised",
                             start: str | None = None, end: str | None = None
                             ) -> tuple[np.ndarray, np.ndarray]:
        """(period labels, contributions (sample, period, component)) of :meth:`contributions`
        as NumPy arrays (what the analyses read; the DataArray is built for users only)."""
        labels, blocks = [], []
        rows = None if start is None and end is None else self._span_rows(start, end)
        for lab, arr in self._iter_periods(freq, estimate, rows):
            labels.append(lab)
            blocks.append(arr)
        return np.concatenate(labels), np.concatenate(blocks, axis=1)

    def _sigma_array(self, start: str | None = None, end: str | None = None,
                     estimate: str = "revised") -> np.ndarray:
        """The residual scale of :meth:`sigma` as a NumPy array (sample, time)."""
        estimate = self._check_estimate(estimate)
        t0, t1 = self._span_rows(start, end)
        return self._sigma_time(t0, t1, estimate)

    def _betas_draws(self, start: str | None = None, end: str | None = None,
                     estimate: str = "revised") -> np.ndarray:
        """The betas of ``betas(draws=True)`` as a NumPy array (chain, draw, time, factor)."""
        estimate = self._check_estimate(estimate)
        t0, t1 = self._span_rows(start, end)
        return self._betas_array(t0, t1, estimate)

    def attribution(self, freq: str = "Q", hdi: float = 0.9, estimate: str = "revised",
                    start: str | None = None, end: str | None = None) -> pd.DataFrame:
        """Tidy attribution table: period, component, mean, median, hdi_low, hdi_high, unit,
        complete (False for a period the data cover only in part, see :mod:`macroattr.core.periods`).

        Components: alpha, each group, residual and ``total`` (the observed relative return;
        its interval is the point itself). ``estimate``: ``"revised"`` (alias ``"smoothed"``) or
        ``"first estimate"`` (aliases ``"filtered"``, ``"real time"``; state-space fits: each
        period as first estimated at its end, with data to that day only). ``start``/``end`` keep the data
        between those dates only (e.g. one quarter of a long daily fit), as in
        :meth:`contributions`.
        """
        rows = []
        unit = self.target_unit
        seen: set[str] = set()
        span = None if start is None and end is None else self._span_rows(start, end)
        for lab, arr in self._iter_periods(freq, estimate, span):
            seen.update(str(x) for x in lab)
            s = summarise_draws(arr, hdi)
            for p in range(arr.shape[1]):
                for ci, comp in enumerate(self.components):
                    rows.append((lab[p], comp, s["mean"][p, ci], s["median"][p, ci],
                                 s["hdi_low"][p, ci], s["hdi_high"][p, ci], unit))
        # the observed total (of the rows kept, with a span)
        obs = self._observed_series(freq, span)
        obs_periods = obs.index.to_numpy(dtype=object)
        for lab, val in zip(obs_periods, obs.to_numpy(), strict=True):
            if str(lab) in seen:
                rows.append((lab, "total", val, val, val, val, unit))
        df = pd.DataFrame(rows, columns=["period", "component", "mean", "median",
                                         "hdi_low", "hdi_high", "unit"])
        order = {c: i for i, c in enumerate([*self.components, "total"])}
        pos = {p: i for i, p in enumerate(obs_periods)}
        df = df.sort_values(["period", "component"], key=lambda s: s.map(pos if s.name == "period" else order))
        # periods the data cover only in part (a quarter whose data stop in April) are marked
        partial = set(self.partial_periods(freq))
        df["complete"] = ~df["period"].isin(partial)
        return df.reset_index(drop=True)

    def variance_shares(self, freq: str | None = None, hdi: float = 0.9) -> pd.DataFrame:
        """Each group's share of the fitted variance, plus the between-group covariance.

        Per draw: Var(fitted) = sum_g Var(C_g) + covariance term; shares are in percent of
        Var(fitted) and the covariance row makes them add to 100. ``fitted/observed`` is
        Var(fitted)/Var(observed) (an R-squared), also in percent; ``macro/observed`` the same
        for the macro groups alone (no trend or constant, no market control).
        """
        from macroattr.models.fit.components import macro_groups

        f = freq or self.freq
        G = len(self.groups)
        names_g = list(self.groups)
        macro = [1 + names_g.index(g) for g in macro_groups(names_g)]
        n = 0
        s1 = s2 = None  # per-draw running sums of [groups..., fitted, macro] and their squares
        ys = []
        for _, arr in self._iter_periods(f):  # streamed: never all periods at once
            parts = np.concatenate([arr[:, :, 1 : G + 1], arr[:, :, : G + 1].sum(axis=2, keepdims=True),
                                    arr[:, :, macro].sum(axis=2, keepdims=True)], axis=2)
            if s1 is None:
                s1 = np.zeros((arr.shape[0], G + 2))
                s2 = np.zeros_like(s1)
            s1 += parts.sum(axis=1)
            s2 += (parts**2).sum(axis=1)
            n += arr.shape[1]
            ys.append(arr[0].sum(axis=1))
        if n < 3 or s1 is None or s2 is None:
            raise InputError(f"too few {f} periods ({n}) for variance shares")
        var = (s2 - s1**2 / n) / (n - 1)
        var_g, var_fit, var_macro = var[:, :G], var[:, G], var[:, G + 1]
        shares = 100.0 * var_g / var_fit[:, None]
        cov = 100.0 - shares.sum(axis=1)
        var_y = np.concatenate(ys).var(ddof=1)
        r2 = 100.0 * var_fit / var_y
        table = np.column_stack([shares, cov, r2, 100.0 * var_macro / var_y])
        names = [*self.groups, "covariance between groups", "fitted/observed",
                 "macro/observed"]
        s = summarise_draws(table, hdi)
        return pd.DataFrame({
            "component": names, "mean": s["mean"], "median": s["median"],
            "hdi_low": s["hdi_low"], "hdi_high": s["hdi_high"],
            "unit": ["% of fitted variance"] * (G + 1) + ["% of observed variance"] * 2,
        })

    # ------------------------------------------------------------------ coefficients
    def coefficients(self, hdi: float = 0.9) -> pd.DataFrame:
        """Betas in natural units with HDIs: factor, group, mean, median, sd, hdi_low,
        hdi_high, unit. For time-varying betas these are the averages over the fit span
        (see :meth:`beta_paths` for the per-period path).

        Examples
        --------
        >>> from macroattr.models.synthetic import simulate_panel
        >>> from macroattr.models import ModelConfig, fit_model
        >>> panel, truth = simulate_panel(n=200, seed=3)
        >>> fit = fit_model(panel, ModelConfig(groups=truth["groups"]).override(method="exact"))
        >>> list(fit.coefficients().columns)
        ['factor', 'group', 'mean', 'median', 'sd', 'hdi_low', 'hdi_high', 'unit']
        """
        d = self.design
        fu = self.factor_units()
        fg = self.config.factor_group
        s = summarise_draws(self._beta_average_draws(), hdi)
        return pd.DataFrame({
            "factor": d.factors, "group": [fg[f] for f in d.factors],
            "mean": s["mean"], "median": s["median"], "sd": s["sd"],
            "hdi_low": s["hdi_low"], "hdi_high": s["hdi_high"], "unit": [fu[f] for f in d.factors],
        })

    def parameters(self, hdi: float = 0.9) -> pd.DataFrame:
        """Alpha, residual scale, Student-t nu and random-walk sds in natural units."""
        pd_ = self.parameter_draws()
        draws = np.column_stack([v[0] for v in pd_.values()])
        s = summarise_draws(draws, hdi)
        return pd.DataFrame({
            "parameter": list(pd_), "mean": s["mean"], "median": s["median"], "sd": s["sd"],
            "hdi_low": s["hdi_low"], "hdi_high": s["hdi_high"], "unit": [v[1] for v in pd_.values()],
        })

    def beta_paths(self, hdi: float = 0.9, estimate: str = "revised",
                   times: Any = None) -> pd.DataFrame:
        """Per-period betas (natural units) with HDIs: time, factor, mean, median, hdi_low,
        hdi_high, unit. Constant over time for static fits. ``estimate="filtered"``
        (state-space fits): the real-time betas. ``times``: only these dates of the fit
        (e.g. every tenth day for a chart), which skips the intervals of the others.

        Examples
        --------
        >>> from macroattr.models.synthetic import simulate_panel
        >>> from macroattr.models import ModelConfig, fit_model
        >>> panel, truth = simulate_panel(n=60, seed=2)
        >>> fit = fit_model(panel, ModelConfig(groups=truth["groups"]).override(method="exact"))
        >>> len(fit.beta_paths(times=fit.design.dates[::10])) == 6 * len(fit.design.factors)
        True
        """
        estimate = self._check_estimate(estimate)
        d = self.design
        if estimate == "smoothed" and hdi == _stored.STORED_HDI and _stored.keeps(self):
            key = f"bpaths_{_stored.hdi_key(hdi)}"
            if key not in self._store:
                self._store[key] = self._beta_path_summaries(hdi, estimate, np.arange(d.n_obs))
            return self._beta_paths_frame(self._store[key], times)
        rows = np.arange(d.n_obs) if times is None else self._time_rows(times)
        return self._beta_paths_frame(self._beta_path_summaries(hdi, estimate, rows), rows,
                                      rows_given=True)

    def _time_rows(self, times: Any) -> np.ndarray:
        d = self.design
        rows = d.dates.get_indexer(pd.DatetimeIndex(times))
        if (rows < 0).any():
            bad = pd.DatetimeIndex(times)[rows < 0][0]
            raise InputError(f"{bad:%Y-%m-%d} is not a date of the fit ({self.span[0]}.."
                             f"{self.span[1]}); pick dates from fit.design.dates")
        return np.unique(rows)

    def _beta_paths_frame(self, arr: np.ndarray, times: Any, rows_given: bool = False) -> pd.DataFrame:
        """The beta-path table from summaries ``arr`` (4, time, factor): mean, median,
        hdi_low, hdi_high of every period (or, with ``rows_given``, of the rows ``times``)."""
        d = self.design
        fu = self.factor_units()
        at: slice | np.ndarray
        if rows_given:
            rows, at = np.asarray(times), slice(None)
        else:
            rows = np.arange(d.n_obs) if times is None else self._time_rows(times)
            at = rows
        frames = [pd.DataFrame({
            "time": d.dates[rows], "factor": f, "mean": arr[0][at, k],
            "median": arr[1][at, k], "hdi_low": arr[2][at, k],
            "hdi_high": arr[3][at, k], "unit": fu[f]}) for k, f in enumerate(d.factors)]
        return pd.concat(frames, ignore_index=True).sort_values(
            ["factor", "time"], kind="stable").reset_index(drop=True)

    def _beta_path_summaries(self, hdi: float, estimate: str, rows: np.ndarray) -> np.ndarray:
        """(4, len(rows), factor): mean, median, hdi_low, hdi_high of the betas (natural
        units) of each period in ``rows`` (sorted, unique), in chunks of periods."""
        d = self.design
        out = np.empty((4, len(rows), d.n_factors))
        step = max(1, _CHUNK_ELEMS // (self.n_samples * max(1, d.n_factors)))
        i = 0
        while i < len(rows):
            t0 = int(rows[i])
            j = int(np.searchsorted(rows, t0 + step, side="left"))
            sel = rows[i:j]
            t1 = int(sel[-1]) + 1
            b = self._beta_nat_time(t0, t1, estimate)
            if len(sel) != t1 - t0:
                b = b[:, sel - t0]
            s = summarise_draws(np.ascontiguousarray(b), hdi)
            for c, name in enumerate(("mean", "median", "hdi_low", "hdi_high")):
                out[c, i:j] = s[name]
            i = j
        return out

    # ------------------------------------------------------------------ prediction
    def sigma(self, start: str | None = None, end: str | None = None,
              estimate: str = "revised") -> xr.DataArray:
        """Residual scale per draw and period in the target's unit (pp), dims (chain, draw,
        time): the time-varying volatility of state-space fits (``estimate`` smoothed or
        filtered), the constant sigma of other fits (Student-t fits: the t scale).

        Examples
        --------
        >>> from macroattr.models.synthetic import simulate_panel
        >>> from macroattr.models import ModelConfig, fit_model
        >>> panel, truth = simulate_panel(n=80, seed=2)
        >>> fit = fit_model(panel, ModelConfig(groups=truth["groups"]).override(method="exact"))
        >>> fit.sigma().dims
        ('chain', 'draw', 'time')
        """
        estimate = self._check_estimate(estimate)
        t0, t1 = self._span_rows(start, end)
        c, dr = self._shape()
        import xarray as xr

        arr = self._sigma_time(t0, t1, estimate)
        return xr.DataArray(arr.reshape(c, dr, t1 - t0), dims=("chain", "draw", "time"),
                            coords={"time": self.design.dates[t0:t1]}, name="sigma",
                            attrs={"units": self.target_unit})

    def volatility(self, hdi: float = 0.9, estimate: str = "revised") -> pd.DataFrame:
        """Residual scale over time: time, mean, median, hdi_low, hdi_high, unit (the
        target's unit per period; constant for fits without time-varying volatility)."""
        estimate = self._check_estimate(estimate)
        d = self.design
        cols = ("mean", "median", "hdi_low", "hdi_high")

        def compute() -> np.ndarray:
            parts = []
            step = max(1, _CHUNK_ELEMS // (4 * self.n_samples))
            for t0 in range(0, d.n_obs, step):
                t1 = min(d.n_obs, t0 + step)
                s = summarise_draws(np.ascontiguousarray(self._sigma_time(t0, t1, estimate)), hdi)
                parts.append(np.stack([s[c] for c in cols]))
            return np.concatenate(parts, axis=1)

        if estimate == "smoothed" and hdi == _stored.STORED_HDI:
            arr = _stored.memo(self, f"vol_{_stored.hdi_key(hdi)}", compute)
        else:
            arr = compute()
        return pd.DataFrame({"time": d.dates, **{c: arr[i] for i, c in enumerate(cols)},
                             "unit": self.target_unit})

    def static_counterpart(self, freq: str | None = None) -> Fit:
        """State-space fits: the same model with no time variation (see
        :meth:`~macroattr.models.fit.state_space.StateSpaceFit.static_counterpart`)."""
        raise InputError("a static counterpart exists for state-space fits only")

    def discounts(self) -> pd.DataFrame:
        """State-space fits: the discount grid (see
        :meth:`~macroattr.models.fit.state_space.StateSpaceFit.discounts`)."""
        raise InputError("discounts exist for state-space fits only "
                         "([model] betas = \"state_space\")")

    def p_varies(self) -> pd.Series:
        """State-space fits: the posterior probability that each factor's beta varies."""
        raise InputError("P(varies) exists for state-space fits only")

    def _noise(self, rng: np.random.Generator, shape: tuple[int, ...], t0: int = 0,
               t1: int | None = None) -> np.ndarray:
        nu = self._nu()
        if nu is not None:
            e = rng.standard_t(nu[:, None], size=shape)
        else:
            e = rng.standard_normal(shape)
        return e * self._sigma_time(t0, t0 + shape[1])

    def ppc(self, freq: str | None = None, hdi: float = 0.9, seed: int | None = None) -> pd.DataFrame:
        """Posterior predictive check per period: observed, predictive mean, median and HDI,
        whether the observation falls inside, and its PIT (share of replicates below it)."""
        f = check_freq(freq or self.freq, self.freq)
        d = self.design
        labels = period_labels(d.dates, f)
        cols = ("observed", "mean", "median", "hdi_low", "hdi_high", "pit")
        if seed is None and hdi == _stored.STORED_HDI and _stored.keeps(self):
            def compute() -> np.ndarray:
                frame = self._ppc(f, hdi, None)  # once: every column of the one check
                return np.stack([frame[c].to_numpy(dtype=np.float64) for c in cols])

            arr = _stored.memo(self, f"ppc_{f}_{_stored.hdi_key(hdi)}", compute)
            codes, _ = pd.factorize(labels)
            starts, _ = consecutive_blocks(codes)
            obs, lo, hi = arr[0], arr[3], arr[4]
            return pd.DataFrame({
                "period": labels if f == d.freq else labels[starts],
                **{c: arr[i] for i, c in enumerate(cols[:5])},
                "inside": (obs >= lo) & (obs <= hi), "pit": arr[5], "unit": self.target_unit})
        return self._ppc(f, hdi, seed)

    def _ppc(self, f: str, hdi: float, seed: int | None) -> pd.DataFrame:
        rng = np.random.default_rng(self.config.sampler.seed + 1 if seed is None else seed)
        d = self.design
        rows = []
        labels = period_labels(d.dates, f)
        codes, _ = pd.factorize(labels)
        starts, ends = consecutive_blocks(codes)
        max_len = max(1, _CHUNK_ELEMS // (self.n_samples * (len(d.groups) + 4 + 2 * d.n_factors)))
        for i, j in chunk_runs(starts, ends, max_len):
            t0, t1 = int(starts[i]), int(ends[j - 1])
            comp = self._components_time(t0, t1)
            fitted = comp[:, :, :-1].sum(axis=2)
            rep = fitted + self._noise(rng, fitted.shape, t0, t1)
            obs = d.y[t0:t1]
            if f != d.freq:
                rep = np.add.reduceat(rep, starts[i:j] - t0, axis=1)
                obs = np.add.reduceat(obs, starts[i:j] - t0)
                lab = labels[starts[i:j]]
            else:
                lab = labels[t0:t1]
            s = summarise_draws(rep, hdi)
            pit = (rep < obs[None, :]).mean(axis=0)
            rows.append(pd.DataFrame({
                "period": lab, "observed": obs, "mean": s["mean"], "median": s["median"],
                "hdi_low": s["hdi_low"], "hdi_high": s["hdi_high"],
                "inside": (obs >= s["hdi_low"]) & (obs <= s["hdi_high"]), "pit": pit,
                "unit": self.target_unit,
            }))
        return pd.concat(rows, ignore_index=True)

    def log_likelihood(self, max_samples: int | None = None) -> xr.DataArray:
        """Pointwise log-likelihood (chain, draw, time) of the observed data, natural units."""
        import xarray as xr
        from scipy import stats

        d = self.design
        c, dr = self._shape()
        keep = dr if max_samples is None else max(1, min(dr, max_samples // c))
        step = max(1, dr // keep)
        draws = np.arange(0, dr, step)[:keep]
        out = np.empty((c, len(draws), d.n_obs))
        sel = (np.arange(c)[:, None] * dr + draws[None, :]).ravel()
        nu_all = self._nu()
        nu = None if nu_all is None else nu_all[sel]
        rows = max(1, _CHUNK_ELEMS // (self.n_samples * (4 + 2 * d.n_factors)))
        for t0 in range(0, d.n_obs, rows):
            t1 = min(d.n_obs, t0 + rows)
            comp = self._components_time(t0, t1)[sel]
            fitted = comp[:, :, :-1].sum(axis=2)
            sd = self._sigma_time(t0, t1)[sel]
            z = (d.y[t0:t1][None, :] - fitted) / sd
            if nu is None:
                ll = stats.norm.logpdf(z) - np.log(sd)
            else:
                ll = stats.t.logpdf(z, nu[:, None]) - np.log(sd)
            out[:, :, t0:t1] = ll.reshape(c, len(draws), t1 - t0)
        return xr.DataArray(out, dims=("chain", "draw", "time"),
                            coords={"chain": np.arange(c), "draw": draws, "time": d.dates},
                            name=self.config.target)

    @cached_property
    def loo(self) -> Any:
        """PSIS-LOO (ArviZ ``ELPDData``) of the pointwise log-likelihood; Pareto-k warnings
        are in ``.pareto_k`` and :attr:`diagnostics`."""
        import arviz as az
        import xarray as xr

        ll = self.log_likelihood(max_samples=4000)
        post = self.to_datatree(paths=False)["posterior"].to_dataset().isel(draw=ll["draw"].values)
        post = post.assign_coords(draw=ll["draw"].values)
        dt = xr.DataTree.from_dict({"posterior": post,
                                    "log_likelihood": xr.Dataset({self.config.target: ll})})
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return az.loo(dt, var_name=self.config.target)

    # ------------------------------------------------------------------ analyses
    def event(self, start: str, end: str, hdi: float = 0.9) -> EventWindow:
        """Attribution of the sessions from ``start`` to ``end``: an
        :class:`~macroattr.models.analysis.events.EventWindow` (window sums per draw, each session's
        contributions, release days, predictive tail probability)."""
        from macroattr.models.analysis.events import event_window

        return event_window(self, start, end, hdi=hdi)

    def scenario(self, shocks: dict[str, float] | None = None, *, replay: str | None = None,
                 horizon: str | None = None, hdi: float = 0.9, name: str | None = None
                 ) -> ScenarioResult:
        """Predictive relative return given shocked factor moves (natural units, others at
        zero change) or a past window's moves (``replay="2022Q2"``), through the betas at the
        fit's end: a :class:`~macroattr.models.analysis.scenarios.ScenarioResult`."""
        from macroattr.models.analysis.scenarios import run_scenario

        return run_scenario(self, shocks, replay=replay, horizon=horizon, hdi=hdi, name=name)

    # ------------------------------------------------------------------ ArviZ and persistence
    def to_datatree(self, *, log_likelihood: bool = False, paths: bool | None = None) -> xr.DataTree:
        """The fit as an ArviZ-ready DataTree: ``posterior`` in natural units, ``sample_stats``,
        ``observed_data``, ``constant_data``, ``log_likelihood`` (when asked) and the discount
        grid (state-space fits); see :mod:`macroattr.models.fit.idata`.

        Examples
        --------
        >>> from macroattr.models.synthetic import simulate_panel
        >>> from macroattr.models import ModelConfig, fit_model
        >>> panel, truth = simulate_panel(n=60, seed=2)
        >>> fit = fit_model(panel, ModelConfig(groups=truth["groups"]).override(method="exact", draws=50))
        >>> sorted(fit.to_datatree().children)
        ['constant_data', 'observed_data', 'posterior']
        """
        from macroattr.models.fit.idata import to_datatree

        return to_datatree(self, log_likelihood=log_likelihood, paths=paths)

    def save(self, path: str) -> str:
        """Write the fit to NetCDF (atomic); returns the path. See :func:`load_fit`."""
        from macroattr.models.fit.io import save_fit

        return save_fit(self, path)

    # ------------------------------------------------------------------ facades / display
    @property
    def summary(self) -> SummaryFacade:
        """Tables: ``fit.summary.coefficients()``, ``.attribution()``, ``.diagnostics()``,
        ``.variance_shares()``, ``.ppc()``, ``.loo()``, ``.priors()``."""
        from macroattr.models.fit.summary import SummaryFacade

        return SummaryFacade(self)

    @property
    def plot(self) -> PlotFacade:
        """Plotly figures: ``fit.plot.contributions()``, ``.waterfall()``, ``.coefficients()``,
        ``.predictive()``, ``.diagnostics()``."""
        from macroattr.models.plotting.plot import PlotFacade

        return PlotFacade(self)

    @property
    def quarters(self) -> list[str]:
        """Complete quarters of the fit's span, in time order (the rule is
        :mod:`macroattr.core.periods`'); ``fit.quarters[-1]`` is what ``--quarter latest``
        picks."""
        return complete_quarters(self.design.dates, self.freq)

    def check_periods(self, periods: str | list[str], freq: str = "Q") -> list[str]:
        """The ``freq`` period labels asked for (``"2024Q3"`` or a list), each one of the fit's
        periods; a malformed label or one outside the span is one :class:`InputError` line
        naming it and the span (:func:`macroattr.core.periods.check_periods`)."""
        from macroattr.core.periods import check_periods

        f = check_freq(freq, self.freq)
        available = [str(p) for p in pd.unique(period_labels(self.design.dates, f))]
        return check_periods(periods, available, f)

    def partial_periods(self, freq: str = "Q") -> list[str]:
        """Labels of the ``freq`` periods the fit's data cover only in part (first/last)."""
        f = check_freq(freq, self.freq)
        memo = self.__dict__.setdefault("_partial", {})  # the span's dates never change
        if f not in memo:
            memo[f] = partial_periods(self.design.dates, self.freq, f)
        return list(memo[f])

    @property
    def span(self) -> tuple[str, str]:
        d = self.design.dates
        return str(d[0].date()), str(d[-1].date())

    def __repr__(self) -> str:
        g = self.diagnostics.gate if self.diagnostics is not None else None
        verdict = "unchecked" if g is None else ("PASSED" if g.passed else "FAILED")
        a, b = self.span
        errors = self.errors_label or self.config.model.likelihood
        return (
            f"<Fit {self.config.model.betas} betas, {errors}, "
            f"{self.meta.get('method')}/{self.meta.get('sampler')}, {self.design.n_obs} "
            f"{self.freq} periods {a}..{b}, {self._shape()[0]}x{self._shape()[1]} draws, "
            f"gate {verdict}>"
        )

    def _repr_html_(self) -> str:
        a, b = self.span
        g = self.diagnostics.gate if self.diagnostics is not None else None
        if g is None:
            gate = "<b>gate not checked</b>"
        elif g.passed:
            gate = f"<b style='color:#1a7f37'>convergence gate PASSED</b> {html.escape(g.note)}"
        else:
            gate = ("<b style='color:#c00'>convergence gate FAILED</b>: "
                    + html.escape("; ".join(g.reasons)))
        coefs = self.coefficients().round(3)
        c, dr = self._shape()
        spec = (f"{self.config.model.betas} betas, {self.config.model.likelihood} errors, "
                f"method {self.meta.get('method')} ({self.meta.get('sampler')}), "
                f"{c} chains x {dr} draws, seed {self.config.sampler.seed}")
        return (
            f"<div><h4>macroattr Fit</h4><p>{html.escape(spec)}<br>"
            f"span {a} .. {b} ({self.design.n_obs} {self.freq} periods)<br>{gate}</p>"
            f"{coefs.to_html(index=False)}</div>"
        )
