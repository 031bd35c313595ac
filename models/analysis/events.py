"""Event windows: what drove the relative return over a run of sessions?

:func:`event_window` (``fit.event(start, end)``) sums the per-draw contributions of every
session in the window, so the window's alpha, each group and the residual add up to the
observed window return draw by draw (log returns add over time), and summarises them with
HDIs. It also gives each session's contributions, the release days inside the window (CPI,
FOMC, the user's events) and how unusual the window's total is under the model: the
probability of a total at least as far out, in the observed direction.

For a state-space fit that probability is an event study's: the out-of-sample predictive
of the window total made at the window's eve (k-step-ahead from the filter, discount weights
and volatility from the data before the window; :mod:`macroattr.models.statespace.forecast`),
so the window's own returns do not shape the yardstick they are measured against. Other fits
use the posterior predictive of the window given the fit. A state-space fit also gets the
window attributed in real time: drawn jointly over the window's days as estimated with data
to its last day (what a note written that evening would have said).

Examples
--------
>>> from macroattr.models.synthetic import simulate_panel
>>> from macroattr.models import ModelConfig, fit_model
>>> panel, truth = simulate_panel(n=300, freq="D", seed=4, start="2024-01-01")
>>> fit = fit_model(panel, ModelConfig(groups=truth["groups"]).override(method="exact", draws=200))
>>> ev = fit.event("2024-07-10", "2024-07-16")
>>> ev.sessions
['2024-07-10', '2024-07-11', '2024-07-12', '2024-07-15', '2024-07-16']
>>> t = ev.table()
>>> bool(abs(t.loc[t.component != "total", "mean"].sum() - ev.observed) < 1e-9)
True
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from macroattr.core.dates import parse_date
from macroattr.core.errors import InputError
from macroattr.core.periods import period_labels
from macroattr.models.fit.attribution import hdi_bounds, summarise_draws
from macroattr.models.fit.draws import (estimates, eve_predictive, fit_dates, noise, residual_scale,
                                        window_contributions, window_realtime)

__all__ = ["EventWindow", "event_window", "release_days", "notable_windows"]

#: Sessions in an automatically chosen notable window, and how many windows a quarter shows
#: (the report's windows when its scenario file names none in the quarter).
NOTABLE_LENGTH = 5
NOTABLE_COUNT = 2

TABLE_COLUMNS = ["component", "mean", "median", "hdi_low", "hdi_high", "unit"]


@dataclass
class EventWindow:
    """The attribution of one window of sessions.

    Attributes
    ----------
    start, end : str
        First and last session inside the window.
    sessions : list of str
        The window's sessions (native periods of the fit).
    components : list of str
        ``alpha``, each group, ``residual``.
    draws : numpy.ndarray
        (sample, component) window sums, revised estimates; each row sums to ``observed``.
    daily : numpy.ndarray
        (sample, session, component) contributions of each session.
    observed : float
        Observed relative return over the window (sum of the sessions' ``rel_return``).
    predictive : numpy.ndarray or None
        (sample,) posterior predictive replicates of the window total.
    realtime_draws : numpy.ndarray or None
        (sample, component) window sums from real-time (filtered) estimates, when the fit
        keeps them.
    releases : pandas.DataFrame
        ``date, kind, label``: release days and user events inside the window.
    unit : str
    hdi : float
    notes : list of str
    """

    start: str
    end: str
    sessions: list[str]
    components: list[str]
    draws: np.ndarray
    daily: np.ndarray
    observed: float
    predictive: np.ndarray | None
    realtime_draws: np.ndarray | None
    releases: pd.DataFrame
    unit: str = "pp"
    hdi: float = 0.9
    freq: str = "D"
    notes: list[str] = field(default_factory=list)
    #: True when alpha is a trend (state-space fit), False when it is a constant
    trend: bool = False
    #: CDF of the out-of-sample predictive (made at the window's eve) at the observed total
    predictive_cdf: float | None = None
    #: the eve: last session whose data the predictive uses (None: the posterior predictive)
    predictive_origin: str | None = None

    # ------------------------------------------------------------------ tables
    def table(self, hdi: float | None = None, estimate: str = "revised") -> pd.DataFrame:
        """Window attribution: ``component, mean, median, hdi_low, hdi_high, unit`` with
        ``total`` the observed window return (its interval is the point itself).

        ``estimate="first estimate"`` (aliases ``"real time"``, ``"filtered"``) uses each
        day's betas as estimated with data to that day (state-space fits only).
        """
        draws = self._draws(estimate)
        s = summarise_draws(draws, self.hdi if hdi is None else hdi)
        df = pd.DataFrame({"component": self.components, "mean": s["mean"], "median": s["median"],
                           "hdi_low": s["hdi_low"], "hdi_high": s["hdi_high"], "unit": self.unit})
        tot = pd.DataFrame([["total", self.observed, self.observed, self.observed, self.observed,
                             self.unit]], columns=TABLE_COLUMNS)
        return pd.concat([df, tot], ignore_index=True)

    def _draws(self, estimate: str) -> np.ndarray:
        from macroattr.core.estimates import event_estimate

        estimate = event_estimate(estimate, "estimate")  # revised / first estimate and aliases
        if estimate == "revised":
            return self.draws
        if estimate == "real time":
            if self.realtime_draws is None:
                raise InputError("this fit has no real-time (filtered) estimates; use "
                                 "estimate='revised' or a state-space fit")
            return self.realtime_draws
        raise InputError(f"estimate {estimate!r} is not one of revised, real time")

    def daily_table(self, hdi: float | None = None) -> pd.DataFrame:
        """Each session's attribution (tidy, like ``fit.attribution``): ``period, component,
        mean, median, hdi_low, hdi_high, unit``; ``total`` is the observed return, and a
        ``release`` column names the releases and events of that day."""
        s = summarise_draws(self.daily, self.hdi if hdi is None else hdi)
        rows = []
        obs = self.daily.sum(axis=2)[0]
        rel = self._release_text()
        for p, day in enumerate(self.sessions):
            for ci, comp in enumerate(self.components):
                rows.append((day, comp, s["mean"][p, ci], s["median"][p, ci], s["hdi_low"][p, ci],
                             s["hdi_high"][p, ci], self.unit, rel.get(day, "")))
            rows.append((day, "total", obs[p], obs[p], obs[p], obs[p], self.unit, rel.get(day, "")))
        return pd.DataFrame(rows, columns=["period", "component", "mean", "median", "hdi_low",
                                         "hdi_high", "unit", "release"])

    def _release_text(self) -> dict[str, str]:
        out: dict[str, list[str]] = {}
        for r in self.releases.itertuples(index=False):
            out.setdefault(str(r.date), []).append(str(r.label))
        return {k: "; ".join(v) for k, v in out.items()}

    # ------------------------------------------------------------------ headline numbers
    @property
    def tail_probability(self) -> float | None:
        """Posterior predictive probability of a window total at least as far out as the
        observed one, in the observed direction (one-sided; None without a predictive)."""
        if self.predictive_cdf is not None:
            F = self.predictive_cdf
            return 1.0 - F if F >= 0.5 else F
        if self.predictive is None:
            return None
        above = float(np.mean(self.predictive >= self.observed))
        below = float(np.mean(self.predictive <= self.observed))
        return above if self.observed >= float(np.median(self.predictive)) else below

    @property
    def predictive_interval(self) -> tuple[float, float] | None:
        """HDI of the posterior predictive window total."""
        if self.predictive is None:
            return None
        lo, hi = hdi_bounds(self.predictive, self.hdi)
        return float(lo), float(hi)

    def tail_text(self) -> str:
        """The tail probability as a sentence."""
        p = self.tail_probability
        if p is None:
            return "no predictive distribution (the fit exposes no residual scale)"
        n = len(self.predictive)
        above = (self.predictive_cdf >= 0.5 if self.predictive_cdf is not None
                 else self.observed >= float(np.median(self.predictive)))
        side = "this high or higher" if above else "this low or lower"
        lo, hi = self.predictive_interval
        if self.predictive_origin is not None:
            ptxt = f"{100 * p:.2g}%" if p >= 1e-4 else "< 0.01%"
            return (f"a window total {side} has probability {ptxt} under the model's forecast "
                    f"made at the eve ({self.predictive_origin}, data before the window only; "
                    f"{100 * self.hdi:.3g}% interval {lo:+.2f} to {hi:+.2f} {self.unit})")
        ptxt = f"< {100 / n:.2g}%" if p == 0 else f"{100 * p:.2g}%"
        return (f"a window total {side} has posterior predictive probability {ptxt} "
                f"(predictive {100 * self.hdi:.3g}% HDI {lo:+.2f} to {hi:+.2f} {self.unit})")

    def explained_share(self) -> float:
        """Posterior-mean share of the observed total carried by the macro groups (percent;
        the trend or constant and any market control are not macro:
        :mod:`macroattr.models.fit.components`)."""
        from macroattr.models.fit.components import macro_groups

        groups = [self.components.index(g) for g in macro_groups(self.components)]
        return float(100 * self.draws[:, groups].sum(axis=1).mean() / self.observed) \
            if self.observed else float("nan")

    def share_text(self) -> str:
        """The macro share in plain words, e.g. ``macro +0.27 of +9.48 pp (3%); trend +0.05;
        residual +9.16``."""
        from macroattr.models.fit.components import macro_share_text

        t = self.table()
        m = dict(zip(t["component"], t["mean"], strict=True))
        groups = [c for c in self.components if c not in ("alpha", "residual")]
        return macro_share_text(self.observed, m, groups, trend=self.trend, unit=self.unit)

    def summary_line(self) -> str:
        """One line: window, total, the macro share in plain words and the tail."""
        return (f"{self.start} to {self.end} ({len(self.sessions)} sessions): "
                f"{self.share_text()}; {self.tail_text()}")

    # ------------------------------------------------------------------ display
    def plot(self, title: str | None = None, labels: dict[str, str] | None = None) -> Any:
        """Each session's contributions (stacked bars, observed total as markers) with the
        release days marked (plotly); components by their reader labels
        (``catalog.display_label`` unless ``labels`` says otherwise)."""
        from macroattr.models.plotting.figures import event_window_chart

        return event_window_chart(self.daily_table(), self.releases, title=title or (
            f"Contributions per session, {self.start} to {self.end} ({self.unit})"), hdi=self.hdi,
            labels=labels)

    def __repr__(self) -> str:
        return f"<EventWindow {self.summary_line()}>"

    def _repr_html_(self) -> str:
        t = self.table().round(2)
        rel = "" if self.releases.empty else "<p>Releases and events: " + html.escape(
            "; ".join(f"{r.date} {r.label}" for r in self.releases.itertuples())) + "</p>"
        notes = "".join(f"<p><i>{html.escape(n)}</i></p>" for n in self.notes)
        return (f"<div><h4>Event window {self.start} to {self.end}</h4>"
                f"<p>{html.escape(self.summary_line())}</p>{rel}{notes}"
                f"{t.to_html(index=False)}</div>")


def release_days(fit: Any, start: Any, end: Any) -> tuple[pd.DataFrame, list[str]]:
    """Release days and user events between ``start`` and ``end``: ``date, kind, label``.

    CPI releases and FOMC meetings come from :mod:`macroattr.data_pipelines.calendars` when
    it is installed; otherwise CPI releases are the days a panel factor with a real-time
    release record (the CPI surprise) is non-zero, and a note says so. User events are the
    days an ``event_<label>`` indicator of the panel is non-zero.
    """
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    rows: list[tuple[str, str, str]] = []
    notes: list[str] = []
    data = fit.panel.data
    meta = getattr(fit.panel, "meta", {}) or {}
    cal = _calendar()
    if cal is not None:
        for kind, fn, label in (("cpi", "cpi_release_days", "CPI release"),
                                ("fomc", "fomc_days", "FOMC announcement")):
            f = getattr(cal, fn, None)
            if f is None:
                continue
            days = _as_dates(f())
            for d in days[(days >= s) & (days <= e)]:
                rows.append((f"{d:%Y-%m-%d}", kind, label))
            if len(days) and (s < days.min() - pd.Timedelta(days=45) or e > days.max() + pd.Timedelta(days=45)):
                notes.append(f"the {label} calendar covers {days.min():%Y-%m-%d} to "
                             f"{days.max():%Y-%m-%d}; days outside it are not marked")
    else:
        for name, info in (meta.get("factors") or {}).items():
            if isinstance(info, dict) and info.get("real_time") and name in data.columns:
                col = data[name]
                for d in col.index[(col.index >= s) & (col.index <= e) & (col != 0)]:
                    rows.append((f"{d:%Y-%m-%d}", "release", f"{name} release"))
                notes.append(f"release days are the days {name} is non-zero (no release "
                             f"calendar installed); FOMC days are not marked")
    for col in data.columns:
        if str(col).startswith("event_"):
            v = data[col]
            for d in v.index[(v.index >= s) & (v.index <= e) & (v != 0)]:
                rows.append((f"{d:%Y-%m-%d}", "event", str(col)[len("event_"):]))
    df = pd.DataFrame(rows, columns=["date", "kind", "label"]).drop_duplicates()
    return df.sort_values(["date", "kind"], kind="stable").reset_index(drop=True), notes


def _calendar() -> Any:
    try:
        from macroattr.data_pipelines import calendars  # the release calendars (issue #12)
    except ImportError:
        return None
    return calendars


def _as_dates(obj: Any) -> pd.DatetimeIndex:
    """Dates from whatever a calendar returns (index, series of dates, frame with a date)."""
    if isinstance(obj, pd.DataFrame):
        col = next((c for c in obj.columns if "date" in str(c).lower()), None)
        obj = obj[col] if col is not None else obj.index
    elif isinstance(obj, pd.Series) and not pd.api.types.is_datetime64_any_dtype(obj):
        obj = obj.index
    return pd.DatetimeIndex(pd.to_datetime(pd.Index(obj))).normalize()


def _window_daily(fit: Any, s: pd.Timestamp, e: pd.Timestamp, inside: pd.DatetimeIndex
                  ) -> np.ndarray:
    """(sample, session, component) revised contributions of the window, float64; kept with
    a state-space fit (stored ``ev_<t0>_<t1>``, rows of its dates) for the page's windows."""
    from macroattr.models.fit.stored import memo

    def compute() -> np.ndarray:
        c = window_contributions(fit, s, e, "revised").transpose("chain", "draw", "period",
                                                                 "component")
        a = np.asarray(c.values, dtype=np.float64)
        return a.reshape(-1, *a.shape[2:])

    dates = fit_dates(fit)
    t0 = int(dates.searchsorted(inside[0]))
    return memo(fit, f"ev_{t0}_{t0 + len(inside)}", compute)


def event_window(fit: Any, start: Any, end: Any, hdi: float = 0.9, seed: int | None = None
                 ) -> EventWindow:
    """Attribute the relative return over the sessions from ``start`` to ``end``.

    Parameters
    ----------
    fit
        Any macroattr fit (daily for session windows; a monthly fit takes windows of months).
    start, end
        First and last day of the window (inclusive), ``YYYY-MM-DD``.
    hdi
        Interval mass.
    seed
        Seed of the predictive replicates (default: the fit's seed + 2).

    Returns
    -------
    EventWindow

    Raises
    ------
    InputError
        A date that does not parse, ``end`` before ``start``, a window outside the fit's
        data, or a window without sessions.
    """
    s = parse_date(start, "window start", required=True)
    e = parse_date(end, "window end", required=True)
    if e < s:
        raise InputError(f"window end {e:%Y-%m-%d} is before its start {s:%Y-%m-%d}")
    if not 0 < hdi < 1:
        raise InputError(f"hdi {hdi!r} must be between 0 and 1 (e.g. 0.9)")
    dates = fit_dates(fit)
    first, last = dates[0], dates[-1]
    if s < first or e > last:
        raise InputError(f"window {s:%Y-%m-%d} to {e:%Y-%m-%d} is outside the fit's data "
                         f"({first:%Y-%m-%d} to {last:%Y-%m-%d}); choose dates inside it or fit "
                         f"a panel that covers the window")
    inside = dates[(dates >= s) & (dates <= e)]
    if len(inside) == 0:
        raise InputError(f"no sessions of the fit between {s:%Y-%m-%d} and {e:%Y-%m-%d} "
                         f"(weekend or holiday?); widen the window")
    offered = estimates(fit)
    comps = [str(x) for x in fit.components]
    labels = [str(p) for p in period_labels(inside, fit.freq)]
    daily = _window_daily(fit, s, e, inside)
    draws = daily.sum(axis=1)
    observed = float(np.asarray(fit.panel.data.loc[inside, fit.config.target], dtype=np.float64).sum())
    realtime = window_realtime(fit, s, e)  # state-space: jointly over the window's days
    if realtime is None and "real time" in offered:
        rt = window_contributions(fit, s, e, "real time").transpose("chain", "draw", "period", "component")
        a = np.asarray(rt.values, dtype=np.float64)
        realtime = a.reshape(-1, *a.shape[2:]).sum(axis=1)
    notes: list[str] = []
    rng_seed = (fit.config.sampler.seed + 2) if seed is None else seed
    eve = eve_predictive(fit, s, e, observed, draws.shape[0], rng_seed)
    cdf, origin = None, None
    if eve is not None:  # the event study's yardstick: forecast at the eve, out of sample
        predictive, cdf = eve["draws"], eve["cdf"]
        origin = f"{dates[dates < inside[0]][-1]:%Y-%m-%d}"
    else:
        try:
            sigma, nu = residual_scale(fit, s, e, "revised")
            fitted = observed - draws[:, comps.index("residual")]
            predictive = fitted + noise(np.random.default_rng(rng_seed), sigma, nu).sum(axis=1)
        except InputError as exc:
            predictive = None
            notes.append(str(exc))
    releases, rnotes = release_days(fit, s, e)
    notes += rnotes
    return EventWindow(start=labels[0], end=labels[-1], sessions=labels, components=comps,
                       draws=draws, daily=daily, observed=observed, predictive=predictive,
                       realtime_draws=realtime, releases=releases, unit=fit.target_unit, hdi=hdi,
                       freq=fit.freq, notes=notes, trend=bool(getattr(fit, "state_space", False)),
                       predictive_cdf=cdf, predictive_origin=origin)


def notable_windows(fit: Any, quarter: str, length: int = NOTABLE_LENGTH, n: int = NOTABLE_COUNT
                    ) -> list[tuple[str, str]]:
    """The ``n`` non-overlapping runs of ``length`` sessions inside ``quarter`` with the
    largest absolute relative return, largest first, as ``(start, end)`` dates.

    Examples
    --------
    >>> from macroattr.models.synthetic import simulate_panel
    >>> from macroattr.models import ModelConfig, fit_model
    >>> panel, truth = simulate_panel(n=130, freq="D", seed=4, start="2024-01-01")
    >>> fit = fit_model(panel, ModelConfig(groups=truth["groups"]).override(method="exact", draws=20))
    >>> len(notable_windows(fit, "2024Q1"))
    2
    """
    y = fit.panel.data[fit.config.target]
    dates = fit_dates(fit)
    y = y.loc[dates]
    per = pd.PeriodIndex(dates, freq="Q").astype(str)
    yq = y[np.asarray(per) == str(quarter).upper()]
    if len(yq) < length:
        return []
    sums = yq.rolling(length).sum().dropna()
    order = sums.abs().sort_values(ascending=False, kind="stable").index
    pos = {d: i for i, d in enumerate(yq.index)}
    taken: list[tuple[int, int]] = []
    out = []
    for d in order:
        j = pos[d]
        i = j - length + 1
        if any(not (j < a or i > b) for a, b in taken):
            continue
        taken.append((i, j))
        out.append((f"{yq.index[i]:%Y-%m-%d}", f"{yq.index[j]:%Y-%m-%d}"))
        if len(out) == n:
            break
    return out
