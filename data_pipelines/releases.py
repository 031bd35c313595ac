"""Publication-lag rules: when was each observation of a snapshot series first public?

Used offline, for ``as_of`` panels built from the embedded snapshot (online, FRED/ALFRED vintages
replace these rules). The rules are deliberately simple and slightly conservative:

* equity closes (``^RUT``, ``^GSPC``, ``IWM``, ``SPY``): known at the close, the same day;
* FRED daily market series (DGS2, DGS6MO, DFF, T5YIE, BAA10Y) and the daily EPU index: the next
  business day (FRED posts H.15 rates the following day);
* monthly averages (FEDFUNDS, BAA10YM): the first business day of the following month;
* the monthly EPU index (USEPUINDXM): the 10th of the following month (it is posted in the first
  days of the month; the 10th rolled forward to a business day is a safe bound);
* CPI (CPIAUCSL) for reference month *m*: :func:`cpi_release_days_for` (the BLS calendar, else the rule);
* AAA, BAA (Moody's monthly averages): the first business day of the following month.

CPI release days, in order of preference:

1. with the FRED store's CPIAUCSL vintages (``data refresh --vintages``), ALFRED's release days
   (:func:`release_dates_from_vintage_dates`; the panel's notes say so);
2. the BLS release calendar embedded in the snapshot (:func:`macroattr.data_pipelines.calendars.cpi_release_days`:
   reference months 2003-12 .. 2025-11, the 2013 and 2025 shutdown delays included);
3. outside the calendar (before 2004, after 2025-11) an APPROXIMATE rule (:func:`cpi_release_date`):
   the 15th of month *m+1*, rolled forward to Monday on a weekend. BLS publishes between about the
   10th and the 15th, so the rule is usually one to three days late; panels flag these days as
   approximate in their notes.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["APPROXIMATE", "CALENDAR", "cpi_release_date", "cpi_release_days_for", "release_dates",
           "release_dates_from_vintage_dates"]

CALENDAR = "BLS calendar"
APPROXIMATE = "rule (approximate)"

_NEXT_BDAY = {"DGS2", "DGS3MO", "DGS6MO", "DFF", "T5YIE", "BAA10Y", "USEPUINDXD"}
_SAME_DAY = {"^RUT", "^GSPC", "IWM", "SPY"}
_MONTHLY_FIRST_BDAY = {"FEDFUNDS", "BAA10YM", "AAA", "BAA"}


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


def cpi_release_days_for(ref_months: pd.DatetimeIndex) -> tuple[pd.DatetimeIndex, pd.Index]:
    """CPI release day of each reference month: the BLS calendar where it has the month, else the rule.

    Returns the days and, per month, where the day came from (:data:`CALENDAR` or :data:`APPROXIMATE`).

    Examples
    --------
    >>> days, how = cpi_release_days_for(pd.DatetimeIndex(["2003-06-01", "2013-09-01", "2024-06-01"]))
    >>> days.strftime("%Y-%m-%d").tolist()
    ['2003-07-15', '2013-10-30', '2024-07-11']
    >>> how.tolist()
    ['rule (approximate)', 'BLS calendar', 'BLS calendar']
    """
    from macroattr.data_pipelines.calendars import cpi_release_days as calendar_days

    ref = pd.DatetimeIndex(ref_months).to_period("M").to_timestamp()
    cal = calendar_days()
    known = ref.isin(cal.index)
    rule = cpi_release_date(ref)
    days = pd.DatetimeIndex(pd.Series(rule).where(~known, cal.reindex(ref).to_numpy()).to_numpy())
    return days, pd.Index([CALENDAR if k else APPROXIMATE for k in known], dtype=object)


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
        return cpi_release_days_for(dates)[0]
    next_month = (dates.to_period("M") + 1).to_timestamp()
    if series_id in _MONTHLY_FIRST_BDAY:
        return _roll_to_bday(next_month)
    if series_id == "USEPUINDXM":
        return _roll_to_bday(next_month + pd.Timedelta(days=9))
    raise KeyError(f"no release rule for {series_id}")
