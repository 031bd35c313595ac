"""The target: the small-minus-large relative return in pp.

``rel_return_t = 100 * [log(1 + r_small,t) - log(1 + r_large,t)] = 100 * [dlog P_small - dlog P_large]``

* monthly: month end to month end, using each month's last trading day on which BOTH legs have a
  close (a leg's final month is dropped unless its data reach that month's last business day);
* daily: close to close between consecutive days on which both legs have a close.

Splice rule (embedded snapshot): a period uses the dividend-adjusted ETF closes IWM / SPY when both
ETFs have closes at both endpoints of the period (from June 2000 monthly, 2000-05-30 daily), and the
^RUT / ^GSPC price indices otherwise. Index returns omit dividends, so before mid-2000 the target is
a price-return spread (S&P 500 yields more, so it is biased against large caps by roughly the
dividend-yield gap, about 1 pp a year). Each period's source is recorded (``target_sources``,
run-length spans) in the panel metadata. Because log returns add, a quarter's relative return is the
exact sum of its months.

A return must span one period: levels with a hole (months without a level, or more than
:data:`MAX_DAILY_GAP_DAYS` calendar days between two daily closes) would book the whole gap's move
as one period's return, so they are refused naming the gap.

A user target file replaces the snapshot pair: ``date,small,large`` levels are turned into returns by
the same rules; ``date,rel_return`` is used as given (pp per period, dated at the period end; monthly
dates are mapped to their month end).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from macroattr.core.errors import InputError
from macroattr.data_pipelines.transforms import log_change, month_end, month_end_sample, splice

__all__ = ["ETF_PAIR", "INDEX_PAIR", "pair_rel_return", "snapshot_target", "user_target"]

#: Longest calendar gap between two daily closes read as one day's return (the longest US
#: market closure since 1933, after 2001-09-11, spans 7 days from close to close).
MAX_DAILY_GAP_DAYS = 7

ETF_PAIR = ("IWM", "SPY")
INDEX_PAIR = ("^RUT", "^GSPC")


def _check_gaps(sampled: pd.DatetimeIndex, freq: str, where: str) -> None:
    if len(sampled) < 2:
        return
    if freq == "M":
        months = sampled.to_period("M").asi8
        steps = months[1:] - months[:-1]
        bad = [i for i, n in enumerate(steps) if n > 1]
        if bad:
            i = bad[0]
            a, b = sampled[i], sampled[i + 1]
            raise InputError(
                f"{where}: no level in month(s) {(a + pd.offsets.MonthEnd(1)):%Y-%m} to "
                f"{(b - pd.offsets.MonthEnd(1)):%Y-%m} ({len(bad)} gap(s)), so the {b:%Y-%m} return would "
                f"span {int(steps[i])} months; add the missing month-end levels or give date,rel_return")
    else:
        days = (sampled[1:] - sampled[:-1]).days
        bad = [i for i, n in enumerate(days) if n > MAX_DAILY_GAP_DAYS]
        if bad:
            i = bad[0]
            raise InputError(
                f"{where}: {int(days[i])} days between the closes of {sampled[i]:%Y-%m-%d} and "
                f"{sampled[i + 1]:%Y-%m-%d} ({len(bad)} gap(s) over {MAX_DAILY_GAP_DAYS} days), so one "
                "day's return would span them; add the missing closes")


def pair_rel_return(small: pd.Series, large: pd.Series, freq: str, where: str = "target levels") -> pd.Series:
    """Relative log return (pp) of two level series, per month (``"M"``) or trading day (``"D"``).

    Refused (InputError naming ``where``): a hole in the levels that would make one period's
    return span several (see :data:`MAX_DAILY_GAP_DAYS`).

    Examples
    --------
    >>> idx = pd.to_datetime(["2024-06-28", "2024-07-31"])
    >>> r = pair_rel_return(pd.Series([100.0, 110.0], idx), pd.Series([100.0, 101.0], idx), "M")
    >>> round(float(r.iloc[0]), 3)
    8.536
    """
    both = pd.concat([small, large], axis=1, keys=["s", "l"], sort=True).dropna()
    if freq == "M":
        s = month_end_sample(both["s"])
        l = month_end_sample(both["l"])
    else:
        s, l = both["s"], both["l"]
    _check_gaps(pd.DatetimeIndex(s.index), freq, where)
    out = 100.0 * (log_change(s) - log_change(l))
    out = out.dropna()
    out.index.name = "date"
    return out.rename("rel_return")


def snapshot_target(freq: str, get: Callable[[str], pd.Series]) -> tuple[pd.Series, pd.Series]:
    """Spliced target from the snapshot pairs; returns ``(rel_return, source label per period)``.

    ``get(series_id)`` returns a level series (see :class:`data_pipelines.factors.Getter`).

    Examples
    --------
    >>> from macroattr.data_pipelines.sources import get_series
    >>> y, src = snapshot_target("M", lambda i: get_series(i)[0])
    >>> src["2024-07-31"]
    'IWM/SPY'
    """
    etf = pair_rel_return(get(ETF_PAIR[0]), get(ETF_PAIR[1]), freq)
    idx = pair_rel_return(get(INDEX_PAIR[0]), get(INDEX_PAIR[1]), freq)
    return splice(etf, idx, ("/".join(ETF_PAIR), "/".join(INDEX_PAIR)))


#: The largest |relative return| (pp) of one period a target file may hold unless the user
#: says it is real (``allow_extreme_returns``): no index pair ever moved 100 pp apart in a
#: month (a level of 1e308 would give +70,397 pp).
MAX_ABS_RETURN_PP = 100.0


def user_target(df: pd.DataFrame, freq: str, path: str,
                allow_extreme: bool = False) -> tuple[pd.Series, pd.Series]:
    """Target from a user file read by :func:`data_pipelines.user_files.read_target`.

    A period whose |return| exceeds :data:`MAX_ABS_RETURN_PP` is refused (one line naming
    the file, the column and the date) unless ``allow_extreme``.

    Examples
    --------
    >>> df = pd.DataFrame({"rel_return": [1.5]}, index=pd.DatetimeIndex(["2024-07-31"], name="date"))
    >>> float(user_target(df, "M", "t.csv")[0].iloc[0])
    1.5
    """
    if "rel_return" in df.columns:
        y = df["rel_return"].copy()
        if freq == "M":
            me = month_end(y.index)
            dup = me.duplicated()
            if dup.any():
                raise InputError(f"{path}: two rel_return rows in month {me[dup][0]:%Y-%m}; a monthly "
                                 "panel needs one row per month (dated at the month end)")
            y.index = me
    else:
        y = pair_rel_return(df["small"], df["large"], freq, where=path)
    y = y.rename("rel_return")
    y.index.name = "date"
    if y.empty:
        raise InputError(f"{path}: fewer than two periods of data; a target needs at least two levels or one return")
    big = y[y.abs() > MAX_ABS_RETURN_PP]
    if len(big) and not allow_extreme:
        col = "column 'rel_return' gives" if "rel_return" in df.columns else "columns 'small'/'large' give"
        per = "month" if freq == "M" else "day"
        raise InputError(f"{path}: {col} {float(big.iloc[0]):+,.1f} pp in the {per} to "
                         f"{big.index[0]:%Y-%m-%d} ({len(big)} period(s) beyond ±{MAX_ABS_RETURN_PP:g} pp, a "
                         f"move no index pair ever made); check the file for a typo or wrong unit, "
                         f"or pass --allow-extreme-returns ([panel] allow_extreme_returns = true) if "
                         f"it is real")
    return y, pd.Series("user", index=y.index, dtype=object)
