"""Which quarters a fit covers, and resolving the quarter a user asked for."""

from __future__ import annotations

import re

import pandas as pd

from data_pipelines.errors import InputError

__all__ = ["complete_quarters", "resolve_quarter", "quarter_of"]

_QUARTER = re.compile(r"^(\d{4})[qQ]([1-4])$")


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
    if "Q" in label.upper():
        return str(pd.Period(label, freq="Q"))
    freq = "D" if len(label) > 7 else "M"
    return str(pd.Period(label, freq=freq).asfreq("Q"))


def complete_quarters(index: pd.DatetimeIndex, freq: str = "M") -> list[str]:
    """Quarters fully covered by a panel's dates, in time order.

    A quarter is complete for monthly data when all three month-ends are present;
    for daily data when there are observations in its first and last week; for
    quarterly data when it is present.

    Parameters
    ----------
    index
        The panel's date index (period ends).
    freq
        The panel frequency: ``"M"``, ``"D"`` or ``"Q"``.

    Examples
    --------
    >>> idx = pd.date_range("2024-02-29", "2024-09-30", freq="ME")
    >>> complete_quarters(idx)
    ['2024Q2', '2024Q3']
    """
    dates = pd.DatetimeIndex(index)
    if len(dates) == 0:
        return []
    quarters = dates.to_period("Q")
    out = []
    for q in pd.unique(quarters):
        inside = dates[quarters == q]
        if freq.upper().startswith("M"):
            ok = len(pd.unique(inside.to_period("M"))) == 3
        elif freq.upper().startswith(("D", "B")):
            start, end = q.start_time, q.end_time.normalize()
            ok = (inside.min() - start).days <= 7 and (end - inside.max()).days <= 7
        else:
            ok = True
        if ok:
            out.append(str(q))
    return out


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
