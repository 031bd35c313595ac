"""Periods in one home: labels, complete and partial periods, and the quarters of a fit.

One rule decides whether the data cover a period fully, for daily and monthly data alike:
the data must start within ``slack`` of the period's first day and end within ``slack`` of
its last day, with every native period inside present (monthly: all months; daily: no
check inside, markets close for holidays). ``slack`` is 0 for monthly data (month-end
dates) and 4 days for daily data (weekends plus a holiday, e.g. Good Friday).

Examples
--------
>>> idx = pd.date_range("2024-02-29", "2024-09-30", freq="ME")
>>> complete_periods(idx, "M", "Q")
['2024Q2', '2024Q3']
>>> partial_periods(idx, "M", "Q")
['2024Q1']
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

import pandas as pd

from macroattr.core.errors import InputError

__all__ = ["FREQ_ORDER", "DAILY_SLACK_DAYS", "check_freq", "check_periods", "complete_periods",
           "complete_quarters", "partial_periods", "period_labels", "quarter_of", "quarters_of", "resolve_quarter"]

FREQ_ORDER = {"D": 0, "W": 1, "M": 2, "Q": 3, "Y": 4}
#: Days a daily series may start after / end before a period's edge and still cover it.
DAILY_SLACK_DAYS = 4
_QUARTER = re.compile(r"^(\d{4})[qQ]([1-4])$")


def _native(freq: str) -> str:
    f = str(freq).upper()[:1]
    return "D" if f == "B" else f


def check_freq(freq: str, native: str) -> str:
    """Validate an aggregation frequency against the panel's own frequency.

    Examples
    --------
    >>> check_freq("q", "M")
    'Q'
    """
    f = str(freq).upper()[:1]
    if f == "A":
        f = "Y"
    if f not in FREQ_ORDER:
        raise InputError(f"frequency {freq!r} is not one of D, M, Q, Y")
    if FREQ_ORDER[f] < FREQ_ORDER.get(_native(native), 2):
        raise InputError(
            f"cannot attribute at frequency {f} from a fit on {native} data; use {native} or coarser"
        )
    return f


def period_labels(dates: pd.DatetimeIndex, freq: str) -> np.ndarray:
    """Label each date with its period: ``2024-07-11``, ``2024-07``, ``2024Q3``, ``2024``.

    Examples
    --------
    >>> period_labels(pd.DatetimeIndex(["2024-07-31", "2024-09-30"]), "Q").tolist()
    ['2024Q3', '2024Q3']
    """
    d = pd.DatetimeIndex(dates)
    if freq in ("D", "M", "Q", "Y") and d.tz is None and not d.hasnans and len(d) \
            and 1000 <= d.min().year and d.max().year <= 9999:
        return _labels_fast(d, freq)
    if freq == "D":
        out = d.strftime("%Y-%m-%d")
    elif freq == "W":
        iso = d.isocalendar()
        out = [f"{y}-W{w:02d}" for y, w in zip(iso.year, iso.week, strict=True)]
    elif freq == "M":
        out = d.strftime("%Y-%m")
    elif freq == "Q":
        out = [f"{y}Q{q}" for y, q in zip(d.year, d.quarter, strict=True)]
    elif freq == "Y":
        out = d.strftime("%Y")
    else:
        raise InputError(f"unknown frequency {freq!r}; use D, W, M, Q or Y")
    return np.asarray(list(out), dtype=object)


def _labels_fast(d: pd.DatetimeIndex, freq: str) -> np.ndarray:
    """:func:`period_labels` of naive dates in years 1000-9999, vectorised: the same
    strings (each period formatted once, then repeated), without a Python call per date."""
    days = d.to_numpy().astype("datetime64[D]")
    if freq == "D":
        return np.datetime_as_string(days, unit="D").astype(object)
    months = days.astype("datetime64[M]")
    if freq == "M":
        uniq, inv = np.unique(months, return_inverse=True)
        return np.datetime_as_string(uniq, unit="M").astype(object)[inv]
    m = months.astype(np.int64)  # months since 1970-01
    code = (m // 12) * 4 + (m % 12) // 3 if freq == "Q" else m // 12
    uniq, inv = np.unique(code, return_inverse=True)
    if freq == "Q":
        labs = [f"{1970 + c // 4}Q{c % 4 + 1}" for c in uniq.tolist()]
    else:
        labs = [f"{1970 + c}" for c in uniq.tolist()]
    return np.asarray(labs, dtype=object)[inv]


#: Label syntax per frequency (what :func:`period_labels` writes) and its reader name.
_LABELS = {"D": (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "day", "YYYY-MM-DD, e.g. 2024-07-11"),
           "W": (re.compile(r"^\d{4}-W\d{2}$"), "week", "YYYY-Www, e.g. 2024-W28"),
           "M": (re.compile(r"^\d{4}-\d{2}$"), "month", "YYYY-MM, e.g. 2024-07"),
           "Q": (_QUARTER, "quarter", "YYYYQn, e.g. 2024Q3"),
           "Y": (re.compile(r"^\d{4}$"), "year", "YYYY, e.g. 2024")}


def check_periods(requested: object, available: list[str], freq: str, *,
                  source: str = "the fit") -> list[str]:
    """The period labels asked for (one label or several), each checked against the
    ``available`` labels of frequency ``freq`` (a fit's periods, in order).

    The one rule behind the figure and table facades (``fit.plot.waterfall("2030Q1")``): a
    malformed label or a period outside the span is one :class:`InputError` line naming the
    label and the span, never an empty chart or table.

    Examples
    --------
    >>> check_periods("2024q3", ["2024Q2", "2024Q3"], "Q")
    ['2024Q3']
    >>> check_periods("2030Q1", ["2024Q2", "2024Q3"], "Q")
    Traceback (most recent call last):
    ...
    macroattr.core.errors.InputError: quarter 2030Q1 is not in the fit: its quarters run 2024Q2..2024Q3; choose one of those (or refit on data that covers 2030Q1)
    >>> check_periods("2024Q3-foo", ["2024Q3"], "Q")
    Traceback (most recent call last):
    ...
    macroattr.core.errors.InputError: quarter '2024Q3-foo' is not a quarter label; use YYYYQn, e.g. 2024Q3 (the fit's quarters run 2024Q3..2024Q3)
    """
    pattern, noun, hint = _LABELS.get(str(freq).upper(), (None, "period", ""))
    labels = [requested] if isinstance(requested, str) or not hasattr(requested, "__iter__") \
        else list(requested)
    span = f"{available[0]}..{available[-1]}" if available else "nowhere (no periods)"
    have = set(available)
    out = []
    for raw in labels:
        label = str(raw).strip()
        if noun == "quarter":
            label = label.upper()
        if pattern is not None and not pattern.match(label):
            raise InputError(f"{noun} {str(raw)!r} is not a {noun} label; use {hint} "
                             f"({source}'s {noun}s run {span})")
        if label not in have:
            raise InputError(f"{noun} {label} is not in {source}: its {noun}s run {span}; choose "
                             f"one of those (or refit on data that covers {label})")
        out.append(label)
    return out


#: a month (``2024-07``) or day (``2024-07-16``) label with a valid month
_MONTH_OR_DAY = re.compile(r"(\d{4})-(0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?$")


def quarter_of(period: str) -> str:
    """Quarter label of a monthly (``2024-07``), daily or quarterly period label.

    Examples
    --------
    >>> quarter_of("2024-08")
    '2024Q3'
    >>> quarter_of("2024-12-31")
    '2024Q4'
    """
    label = str(period)
    m = _MONTH_OR_DAY.match(label)
    if m is not None:  # YYYY-MM or YYYY-MM-DD: the month names the quarter (as pd.Period)
        return f"{m[1]}Q{(int(m[2]) - 1) // 3 + 1}"
    if "Q" in label.upper():
        return str(pd.Period(label, freq="Q"))
    freq = "D" if len(label) > 7 else "M"
    return str(pd.Period(label, freq=freq).asfreq("Q"))


def quarters_of(values: Any) -> pd.Series:
    """:func:`quarter_of` of many labels at once: a Series of period labels (each distinct
    label parsed once) or of timestamps (their calendar quarter), index kept.

    Examples
    --------
    >>> quarters_of(pd.Series(["2024-08", "2024-08", "2024-12-31", "2025Q1"])).tolist()
    ['2024Q3', '2024Q3', '2024Q4', '2025Q1']
    >>> quarters_of(pd.Series(pd.to_datetime(["2024-03-31", "2024-04-01"]))).tolist()
    ['2024Q1', '2024Q2']
    """
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.to_period("Q").astype(str)
    labels = s.astype(str)
    return labels.map({u: quarter_of(u) for u in labels.unique()})


def _coverage(dates: pd.DatetimeIndex, native: str, freq: str) -> list[tuple[str, bool]]:
    """``(label, complete)`` for every ``freq`` period the dates touch, in time order."""
    d = pd.DatetimeIndex(dates).sort_values()
    if len(d) == 0:
        return []
    native = _native(native)
    pfreq = {"M": "M", "Q": "Q", "Y": "Y"}[freq]
    periods = d.to_period(pfreq)
    slack = pd.Timedelta(days=DAILY_SLACK_DAYS if native == "D" else 0)
    codes, uniq = pd.factorize(periods)  # sorted dates: each period one run
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], len(d)]
    labels = period_labels(d[starts], freq)
    if native == "M":  # month-ends: complete when every month of the period is there
        mcodes = pd.factorize(d.to_period("M"))[0]
        ok = [len(np.unique(mcodes[a:b])) == {"M": 1, "Q": 3, "Y": 12}[freq]
              for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
    else:  # sessions: the first and last within the slack of the period's ends (vectorised)
        p = uniq[codes[starts]]
        first, last = d[starts].normalize(), d[ends - 1].normalize()
        ok = ((first - p.start_time.normalize()) <= slack) & \
            ((p.end_time.normalize() - last) <= slack)
    return [(str(label), bool(x)) for label, x in zip(labels, ok, strict=True)]


def complete_periods(dates: pd.DatetimeIndex, native: str, freq: str) -> list[str]:
    """Labels of the ``freq`` periods the dates cover fully (see the module's rule).

    Periods at or below the native frequency are always complete.

    Examples
    --------
    >>> complete_periods(pd.bdate_range("2024-01-02", "2024-06-14"), "D", "Q")
    ['2024Q1']
    """
    f = check_freq(freq, native)
    if f not in ("M", "Q", "Y") or FREQ_ORDER[f] <= FREQ_ORDER.get(_native(native), 2):
        return [str(x) for x in pd.unique(period_labels(dates, f))]
    return [label for label, ok in _coverage(dates, native, f) if ok]


def partial_periods(dates: pd.DatetimeIndex, native: str, freq: str) -> list[str]:
    """Labels of the ``freq`` periods that the data cover only in part.

    A quarter whose data stop in April sums one month, not three: such a period is
    reported, flagged, never silently compared with whole ones.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-31", "2025-04-30", freq="ME")
    >>> partial_periods(idx, "M", "Q")
    ['2025Q2']
    >>> partial_periods(idx, "M", "Y")
    ['2025']
    """
    f = str(freq).upper()[:1]
    if f not in ("M", "Q", "Y") or FREQ_ORDER[f] <= FREQ_ORDER.get(_native(native), 2) or len(dates) == 0:
        return []
    return [label for label, ok in _coverage(dates, native, f) if not ok]


def complete_quarters(dates: pd.DatetimeIndex, native: str = "M") -> list[str]:
    """Quarters fully covered by the dates, in time order (the quarters of a fit).

    Examples
    --------
    >>> complete_quarters(pd.date_range("2024-01-31", "2024-08-31", freq="ME"))
    ['2024Q1', '2024Q2']
    """
    if _native(native) == "Q":
        return [str(x) for x in pd.unique(period_labels(dates, "Q"))]
    return complete_periods(dates, native, "Q")


def resolve_quarter(quarter: str, available: list[str], *, source: str = "the fit") -> str:
    """Turn ``"latest"`` or ``"2024Q3"`` into one of the ``available`` quarters.

    Raises
    ------
    InputError
        When the label is malformed or the quarter is not a complete quarter of
        the fit's span.

    Examples
    --------
    >>> resolve_quarter("latest", ["2024Q2", "2024Q3"])
    '2024Q3'
    >>> resolve_quarter("2024q2", ["2024Q2", "2024Q3"])
    '2024Q2'
    """
    if not available:
        raise InputError(f"{source} covers no complete quarter; fit a panel spanning at least "
                         f"one full quarter")
    label = str(quarter).strip()
    if label.lower() == "latest":
        return available[-1]
    m = _QUARTER.match(label)
    if not m:
        raise InputError(f"quarter {label!r} is not a quarter label; use YYYYQn (e.g. 2024Q3) "
                         f"or 'latest'")
    label = f"{m.group(1)}Q{m.group(2)}"
    if label not in available:
        raise InputError(f"quarter {label} is outside {source}'s span of complete quarters "
                         f"{available[0]}..{available[-1]}; choose one of those or refit on data "
                         f"that covers {label}")
    return label
