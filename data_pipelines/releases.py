"""Publication-lag rules: when was each observation of a snapshot series first public?

Used offline, for ``as_of`` panels built from the embedded snapshot (online, FRED/ALFRED vintages
replace these rules). The rules are deliberately simple and slightly conservative:

* equity closes (``^RUT``, ``^GSPC``, ``IWM``, ``SPY``): known at the close, the same day;
* FRED daily market series (DGS2, DGS6MO, DFF, T5YIE, BAA10Y) and the daily EPU index: the next
  business day (FRED posts H.15 rates the following day);
* monthly averages (FEDFUNDS, BAA10YM): the first business day of the following month;
* the monthly EPU index (USEPUINDXM): the 10th of the following month (it is posted in the first
  days of the month; the 10th rolled forward to a business day is a safe bound);
* CPI (CPIAUCSL) for reference month *m*: :func:`cpi_release_date`.

When the FRED store holds CPIAUCSL's vintage dates (``data refresh --vintages``), those real
release days replace the CPI rule (:func:`release_dates_from_vintage_dates`); the rule below is the
fallback, and the panel's notes say which was used.

There is no BLS release calendar in the snapshot. BLS publishes CPI for month *m* between about the
10th and the 15th of month *m+1* (rarely later: shutdowns in 2013 and 2025). We date every print on
the 15th of *m+1*, rolled forward to Monday when it falls on a weekend. That is usually one to three
days late, so an ``as_of`` panel may omit a print that was in fact public; it never includes one
that was not, except in the rare late-release months.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["cpi_release_date", "release_dates", "release_dates_from_vintage_dates"]

_NEXT_BDAY = {"DGS2", "DGS6MO", "DFF", "T5YIE", "BAA10Y", "USEPUINDXD"}
_SAME_DAY = {"^RUT", "^GSPC", "IWM", "SPY"}
_MONTHLY_FIRST_BDAY = {"FEDFUNDS", "BAA10YM"}


def _roll_to_bday(dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    dates = pd.DatetimeIndex(dates)
    return pd.DatetimeIndex(dates + pd.offsets.BDay(0))


def cpi_release_date(ref_months: pd.DatetimeIndex, months: int = 1) -> pd.DatetimeIndex:
    """Approximate release date of the CPI print for each reference month.

    The 15th of the month after the period ends, rolled forward to Monday when it is a weekend
    (``months`` is the period's length: 1 for CPI).

    Examples
    --------
    >>> cpi_release_date(pd.DatetimeIndex(["2024-06-01"])).strftime("%Y-%m-%d").tolist()
    ['2024-07-15']
    >>> cpi_release_date(pd.DatetimeIndex(["2024-05-01"])).strftime("%Y-%m-%d").tolist()  # 15 June 2024 is a Saturday
    ['2024-06-17']
    """
    ref = pd.DatetimeIndex(ref_months).to_period("M")
    fifteenth = (ref + int(months)).to_timestamp() + pd.Timedelta(days=14)
    return _roll_to_bday(fifteenth)


def release_dates_from_vintage_dates(
    ref_months: pd.DatetimeIndex, vintage_dates: pd.DatetimeIndex, months: int = 1
) -> pd.DatetimeIndex:
    """Release day of each period's print from FRED's vintage dates (the days a series was published).

    The print of a period is the first vintage date after the period ends, provided it falls
    within the next period (a release, not a later revision) and the vintage history already ran
    before the period ended; otherwise ``NaT`` (use :func:`cpi_release_date`).

    Parameters
    ----------
    ref_months
        Period starts (the first of each reference month for CPI).
    vintage_dates
        The series' vintage dates (:meth:`data_pipelines.fred.store.SeriesStore.read_vintage_dates`).
    months
        The period's length in months.

    Examples
    --------
    >>> vd = pd.to_datetime(["2024-06-12", "2024-07-11", "2024-08-14"])
    >>> out = release_dates_from_vintage_dates(pd.to_datetime(["2024-05-01", "2024-06-01", "2024-08-01"]), vd)
    >>> out.strftime("%Y-%m-%d").fillna("rule").tolist()  # June 2024 CPI came out on 11 July
    ['rule', '2024-07-11', 'rule']
    """
    ref = pd.DatetimeIndex(ref_months)
    vd = pd.DatetimeIndex(vintage_dates).sort_values().unique()
    ends = (ref.to_period("M") + int(months)).to_timestamp()
    if len(vd) == 0:
        return pd.DatetimeIndex([pd.NaT] * len(ref))
    pos = vd.searchsorted(ends, side="left")
    found = vd[pos.clip(max=len(vd) - 1)]
    next_end = (ref.to_period("M") + 2 * int(months)).to_timestamp()
    ok = (pos < len(vd)) & (found < next_end) & (vd[0] < ends)
    return pd.DatetimeIndex(found.where(ok, pd.NaT))


def release_dates(series_id: str, dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Date each observation of a snapshot series became public (see module rules).

    Examples
    --------
    >>> release_dates("DGS2", pd.DatetimeIndex(["2024-07-12"])).strftime("%Y-%m-%d").tolist()  # a Friday
    ['2024-07-15']
    """
    dates = pd.DatetimeIndex(dates)
    if series_id in _SAME_DAY:
        return dates
    if series_id in _NEXT_BDAY:
        return pd.DatetimeIndex(dates + pd.offsets.BDay(1))
    if series_id == "CPIAUCSL":
        return cpi_release_date(dates)
    next_month = (dates.to_period("M") + 1).to_timestamp()
    if series_id in _MONTHLY_FIRST_BDAY:
        return _roll_to_bday(next_month)
    if series_id == "USEPUINDXM":
        return _roll_to_bday(next_month + pd.Timedelta(days=9))
    raise KeyError(f"no release rule for {series_id}")
