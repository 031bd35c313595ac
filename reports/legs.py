"""The two legs of a period's relative return: simple returns of the small- and large-cap index.

The model's target is a log spread, ``100 * [log(1 + r_small) - log(1 + r_large)]`` (pp), which
is what adds up over time and what the attribution splits. A reader's terminal shows the two
simple returns and their simple difference, which differ from the log spread by a few tenths of a
pp in a volatile quarter. The report shows both, so its headline can be checked against a screen.

Legs come from the panel's recorded target levels when it has them (``meta["target_levels"]``:
``{"small": {date: level}, "large": {...}}``), else they are rebuilt from the embedded snapshot's
price series the panel's target was spliced from (``meta["target_sources"]`` names them per
period), with the target's own month-end rule. A rebuilt pair is only used when its log spread
equals the panel's relative return for the period to 1e-6 pp; otherwise (a user target file of
returns, a different snapshot) the legs are reported as unavailable with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

__all__ = ["Legs", "period_legs", "LEG_NAMES"]

#: Display names of the series behind each source label of ``meta["target_sources"]``.
LEG_NAMES = {"IWM/SPY": ("Russell 2000 (IWM, total return)", "S&P 500 (SPY, total return)"),
             "^RUT/^GSPC": ("Russell 2000 (^RUT, price)", "S&P 500 (^GSPC, price)")}
_TOL_PP = 1e-6


@dataclass(frozen=True)
class Legs:
    """Simple returns (percent) of both legs over one period, or why they are unavailable.

    ``log_spread`` is the target (pp); ``simple_spread = small - large`` (pp).

    Examples
    --------
    >>> lg = Legs.from_levels(100.0, 90.49, 100.0, 95.73, "small", "large", "2025-03-31")
    >>> round(lg.small, 2), round(lg.large, 2), round(lg.simple_spread, 2), round(lg.log_spread, 2)
    (-9.51, -4.27, -5.24, -5.63)
    """

    small: float | None
    large: float | None
    small_name: str
    large_name: str
    start: str
    end: str
    reason: str = ""

    @classmethod
    def from_levels(cls, s0: float, s1: float, l0: float, l1: float, small_name: str,
                    large_name: str, end: str, start: str = "") -> Legs:
        return cls(100.0 * (s1 / s0 - 1.0), 100.0 * (l1 / l0 - 1.0), small_name, large_name,
                   start, end)

    @classmethod
    def unavailable(cls, reason: str) -> Legs:
        return cls(None, None, "small caps", "large caps", "", "", reason)

    @property
    def available(self) -> bool:
        return self.small is not None and self.large is not None

    @property
    def simple_spread(self) -> float | None:
        return None if not self.available else self.small - self.large

    @property
    def log_spread(self) -> float | None:
        if not self.available:
            return None
        return 100.0 * (math.log1p(self.small / 100.0) - math.log1p(self.large / 100.0))

    def note(self) -> str:
        """One line saying why the simple and the log spread differ (or why no legs)."""
        if not self.available:
            return f"Index returns not shown: {self.reason}."
        return (f"Why {self.log_spread:+.2f} and not {self.simple_spread:+.2f}: the headline is "
                f"the log spread, which adds up across months and is what the model "
                f"attributes; the simple difference of the two returns drifts from it as the "
                f"returns grow.")


def _sources_over(meta: dict, first: pd.Timestamp, last: pd.Timestamp) -> set[str]:
    out = set()
    for run in meta.get("target_sources") or []:
        a, b = pd.Timestamp(run.get("first")), pd.Timestamp(run.get("last"))
        if a <= last and b >= first:
            out.add(str(run.get("source")))
    return out


def _levels_from_meta(meta: dict):
    rec = meta.get("target_levels")
    if not isinstance(rec, dict) or not {"small", "large"} <= set(rec):
        return None
    s = pd.Series(rec["small"], dtype=float)
    l_ = pd.Series(rec["large"], dtype=float)
    s.index, l_.index = pd.to_datetime(s.index), pd.to_datetime(l_.index)
    return s.sort_index(), l_.sort_index(), str(rec.get("small_name", "small caps")), \
        str(rec.get("large_name", "large caps"))


def _snapshot_levels(pair: str, freq: str):
    from macroattr.data_pipelines.sources import get_series
    from macroattr.data_pipelines.transforms import month_end_sample

    small_id, large_id = pair.split("/")
    s, _ = get_series(small_id, source="snapshot")
    l_, _ = get_series(large_id, source="snapshot")
    both = pd.concat([s, l_], axis=1, keys=["s", "l"], sort=True).dropna()
    if freq == "M":
        return month_end_sample(both["s"]), month_end_sample(both["l"])
    return both["s"], both["l"]


def period_legs(dates: pd.DatetimeIndex, rel_return: pd.Series, meta: dict, freq: str,
                period_dates: pd.DatetimeIndex) -> Legs:
    """Legs over the panel periods ``period_dates`` (e.g. the three months of a quarter).

    Parameters
    ----------
    dates
        All period-end dates of the panel (to find the period before the first one).
    rel_return
        The panel's target (pp), indexed by ``dates``.
    meta
        The panel's metadata (``target_sources``, optional ``target_levels``, ``target``).
    freq
        ``"M"`` or ``"D"``.
    period_dates
        The period ends inside the span asked for, in time order.

    Returns
    -------
    Legs
        Available only when the levels reproduce the panel's relative return to 1e-6 pp.
    """
    if len(period_dates) == 0:
        return Legs.unavailable("no period in the span")
    dates = pd.DatetimeIndex(dates)
    first, last = pd.Timestamp(period_dates[0]), pd.Timestamp(period_dates[-1])
    target = float(pd.Series(rel_return).loc[list(period_dates)].sum())
    recorded = _levels_from_meta(meta)
    if recorded is not None:
        s, l_, sname, lname = recorded
    else:
        tgt = meta.get("target") or {}
        if str(tgt.get("small", "")).startswith("user") or not meta.get("target_sources"):
            return Legs.unavailable("the target came from a user file without index levels "
                                    "(give --target-csv with date,small,large levels to see them)")
        sources = _sources_over(meta, first, last)
        if len(sources) != 1 or next(iter(sources)) not in LEG_NAMES:
            return Legs.unavailable(f"the period splices target sources {sorted(sources)}")
        pair = next(iter(sources))
        try:
            s, l_ = _snapshot_levels(pair, freq)
        except Exception as exc:  # noqa: BLE001 - any failure means: no legs, said on the page
            return Legs.unavailable(f"the snapshot's {pair} levels could not be read ({exc})")
        sname, lname = LEG_NAMES[pair]
    if freq == "M":
        key = lambda d: pd.Timestamp(d).to_period("M")  # noqa: E731
        s = s.groupby(s.index.to_period("M")).last()
        l_ = l_.groupby(l_.index.to_period("M")).last()
    else:
        key = pd.Timestamp
    pos = dates.get_loc(first)
    if pos == 0:
        return Legs.unavailable("the period starts with the panel, so its opening level is unknown")
    start = dates[pos - 1]
    try:
        s0, s1 = float(s.loc[key(start)]), float(s.loc[key(last)])
        l0, l1 = float(l_.loc[key(start)]), float(l_.loc[key(last)])
    except KeyError:
        return Legs.unavailable("the index levels do not cover the period's first or last date")
    legs = Legs.from_levels(s0, s1, l0, l1, sname, lname, end=f"{last:%Y-%m-%d}",
                            start=f"{start:%Y-%m-%d}")
    if abs(legs.log_spread - target) > _TOL_PP:
        return Legs.unavailable(
            f"the index levels give a log spread of {legs.log_spread:+.4f} pp, not the panel's "
            f"{target:+.4f} pp (the panel was built from other data)")
    return legs
