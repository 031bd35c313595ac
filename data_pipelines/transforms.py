"""Time-series transforms used to assemble panels: period-end sampling, changes, splicing.

All functions take and return pandas objects indexed by a sorted ``DatetimeIndex`` and never
fill missing values silently: a change across a gap is NaN unless a function says otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "align_asof",
    "diff",
    "log_change",
    "month_end",
    "month_end_sample",
    "run_length_spans",
    "splice",
]


def month_end(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Map dates to the calendar month end they fall in (midnight).

    Examples
    --------
    >>> month_end(pd.DatetimeIndex(["2024-07-11", "2024-07-31"])).strftime("%Y-%m-%d").tolist()
    ['2024-07-31', '2024-07-31']
    """
    idx = pd.DatetimeIndex(index)
    return pd.DatetimeIndex((idx + pd.offsets.MonthEnd(0)).normalize(), name=idx.name)


def month_end_sample(s: pd.Series, *, complete_only: bool = True) -> pd.Series:
    """Last valid observation of each calendar month, labelled by the month end.

    With ``complete_only`` the series' final month is dropped unless its last observation falls on
    or after that month's last business day (Mon–Fri), so a file that ends mid-month does not
    produce a fake month-end value.

    Examples
    --------
    >>> s = pd.Series([1.0, 2.0, 3.0], index=pd.to_datetime(["2024-06-28", "2024-07-31", "2024-08-05"]))
    >>> month_end_sample(s).to_dict()
    {Timestamp('2024-06-30 00:00:00'): 1.0, Timestamp('2024-07-31 00:00:00'): 2.0}
    """
    s = s.dropna()
    if s.empty:
        return s.copy()
    out = s.groupby(month_end(s.index)).last()
    out.index.name = "date"
    if complete_only:
        last = s.index[-1]
        last_bday = pd.offsets.BMonthEnd().rollback((last + pd.offsets.MonthEnd(0)).normalize())
        if last.normalize() < last_bday:
            out = out.iloc[:-1]
    return out


def diff(s: pd.Series) -> pd.Series:
    """First difference ``s_t - s_{t-1}`` between consecutive entries (NaN first).

    Examples
    --------
    >>> diff(pd.Series([1.0, 1.5, 1.25])).tolist()[1:]
    [0.5, -0.25]
    """
    return s.diff()


def log_change(s: pd.Series) -> pd.Series:
    """Natural-log change ``log(s_t / s_{t-1})``; non-positive levels are an error.

    Examples
    --------
    >>> round(float(log_change(pd.Series([100.0, 110.0])).iloc[1]), 6)
    0.09531
    """
    if (s.dropna() <= 0).any():
        raise ValueError("log_change needs strictly positive levels")
    return np.log(s).diff()


def splice(primary: pd.Series, fallback: pd.Series, labels: tuple[str, str]) -> tuple[pd.Series, pd.Series]:
    """Use ``primary`` where it has a value, else ``fallback``; return values and source labels.

    Parameters
    ----------
    primary, fallback
        Per-period values (e.g. returns or changes), each computed from ONE source at both
        endpoints, so no period mixes sources.
    labels
        Names recorded for periods taken from ``primary`` and ``fallback``.

    Examples
    --------
    >>> p = pd.Series([np.nan, 2.0], index=pd.to_datetime(["2000-01-31", "2000-02-29"]))
    >>> f = pd.Series([1.0, 9.0], index=p.index)
    >>> v, src = splice(p, f, ("etf", "index"))
    >>> v.tolist(), src.tolist()
    ([1.0, 2.0], ['index', 'etf'])
    """
    idx = primary.dropna().index.union(fallback.dropna().index)
    p = primary.reindex(idx)
    f = fallback.reindex(idx)
    use_p = p.notna()
    values = p.where(use_p, f)
    src = pd.Series(np.where(use_p, labels[0], labels[1]), index=idx, dtype=object)
    values.index.name = src.index.name = "date"
    return values, src


def run_length_spans(labels: pd.Series) -> list[dict[str, str]]:
    """Collapse per-period source labels into ``[{source, first, last}, ...]`` runs.

    Examples
    --------
    >>> lab = pd.Series(["a", "a", "b"], index=pd.to_datetime(["2000-01-31", "2000-02-29", "2000-03-31"]))
    >>> run_length_spans(lab)
    [{'source': 'a', 'first': '2000-01-31', 'last': '2000-02-29'}, {'source': 'b', 'first': '2000-03-31', 'last': '2000-03-31'}]
    """
    spans: list[dict[str, str]] = []
    if labels.empty:
        return spans
    vals = labels.to_numpy()
    starts = np.flatnonzero(np.r_[True, vals[1:] != vals[:-1]])
    ends = np.r_[starts[1:] - 1, len(vals) - 1]
    for a, b in zip(starts, ends, strict=True):
        spans.append({"source": str(vals[a]), "first": labels.index[a].strftime("%Y-%m-%d"),
                      "last": labels.index[b].strftime("%Y-%m-%d")})
    return spans


def align_asof(s: pd.Series, dates: pd.DatetimeIndex, *, max_age_days: int = 7) -> pd.Series:
    """Value of ``s`` as of each date: its last observation on or before the date.

    Observations older than ``max_age_days`` calendar days count as missing (NaN), so long gaps
    are never bridged; short ones (a bond-market holiday when stocks trade) are, which makes the
    next change cover the whole move. Dates after the series' last observation are NaN (the end of
    a series is never extended).

    Examples
    --------
    >>> s = pd.Series([1.0, 2.0], index=pd.to_datetime(["2024-01-02", "2024-01-04"]))
    >>> align_asof(s, pd.DatetimeIndex(["2024-01-03", "2024-01-04", "2024-02-01"])).tolist()
    [1.0, 2.0, nan]
    """
    s = s.dropna()
    dates = pd.DatetimeIndex(dates)
    if s.empty:
        return pd.Series(np.nan, index=dates, dtype="float64")
    pos = s.index.searchsorted(dates, side="right") - 1
    ok = pos >= 0
    vals = np.full(len(dates), np.nan)
    obs_dates = np.full(len(dates), np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
    vals[ok] = s.to_numpy("float64")[pos[ok]]
    obs_dates[ok] = s.index.to_numpy("datetime64[ns]")[pos[ok]]
    age = (dates.to_numpy("datetime64[ns]") - obs_dates) / np.timedelta64(1, "D")
    vals[~ok | (age > max_age_days) | (dates > s.index[-1])] = np.nan
    return pd.Series(vals, index=dates, dtype="float64")
