"""The CPI surprise: the m/m CPI change minus a forecast that uses only earlier prints.

Definition, for CPI reference month *m* (CPIAUCSL, seasonally adjusted):

* actual ``a_m = 100 * (CPI_m / CPI_{m-1} - 1)`` in pp (m/m % change); undefined when either month
  is missing (e.g. October 2025: no print was published).
* forecast ``f_m`` from an AR(1), ``a_k = c + phi * a_{k-1}``, fitted by OLS on the 120 reference
  months ``m-120 .. m-1`` (at least 60 usable pairs), i.e. ONLY on prints released before the print
  of *m*; ``f_m = c + phi * a_{m-1}``. With a user consensus file, the consensus replaces ``f_m``
  for the reference months it covers (the panel metadata records the months covered).
* surprise ``s_m = a_m - f_m`` (pp).
* release: the print of *m* is dated in month *m+1* (monthly panels) or on
  :func:`data_pipelines.releases.cpi_release_date` (daily panels; the 15th of *m+1*, an
  approximation — there is no BLS calendar in the data).

Caveat, stated plainly: the snapshot holds ONE vintage of CPIAUCSL (the latest seasonal factors),
not each print as first published. The forecast's information set is real-time (no later print is
used), the values are not first releases; seasonal revisions move m/m changes by a few hundredths
of a pp.

A release month whose print is missing (no surprise can be computed, e.g. the months after the
missing October 2025 CPI) carries a surprise of 0 — no print, no news — and is listed in the
panel's notes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["AR_WINDOW", "MIN_PAIRS", "cpi_surprise", "mom_change", "realtime_forecast"]

AR_WINDOW = 120
MIN_PAIRS = 60


def mom_change(cpi: pd.Series) -> pd.Series:
    """Month-on-month % change (pp) on a complete monthly index; NaN where a month is missing.

    Examples
    --------
    >>> idx = pd.to_datetime(["2024-01-01", "2024-02-01", "2024-04-01"])
    >>> mom_change(pd.Series([100.0, 100.5, 101.0], index=idx)).round(3).tolist()
    [nan, 0.5, nan, nan]
    """
    cpi = cpi.dropna()
    if cpi.empty:
        return cpi.copy()
    full = pd.date_range(cpi.index.min(), cpi.index.max(), freq="MS", name="date")
    c = cpi.reindex(full)
    return 100.0 * (c / c.shift(1) - 1.0)


def realtime_forecast(mom: pd.Series, *, window: int = AR_WINDOW, min_pairs: int = MIN_PAIRS) -> pd.Series:
    """AR(1) forecast of each month's m/m change from the ``window`` months before it only.

    Examples
    --------
    >>> idx = pd.date_range("2000-01-01", periods=200, freq="MS")
    >>> f = realtime_forecast(pd.Series(0.2, index=idx))
    >>> round(float(f.iloc[-1]), 6)
    0.2
    """
    a = mom.to_numpy("float64")
    n = len(a)
    out = np.full(n, np.nan)
    for t in range(1, n):
        lo = max(1, t - window)
        y, x = a[lo:t], a[lo - 1:t - 1]
        ok = np.isfinite(y) & np.isfinite(x)
        if ok.sum() < min_pairs or not np.isfinite(a[t - 1]):
            continue
        x_, y_ = x[ok], y[ok]
        xm = x_.mean()
        sxx = ((x_ - xm) ** 2).sum()
        phi = ((x_ - xm) * (y_ - y_.mean())).sum() / sxx if sxx > 0 else 0.0
        c = y_.mean() - phi * xm
        out[t] = c + phi * a[t - 1]
    return pd.Series(out, index=mom.index, name="forecast")


def cpi_surprise(cpi: pd.Series, consensus: pd.Series | None = None) -> pd.DataFrame:
    """Per reference month: actual m/m, forecast, surprise (pp) and the forecast's source.

    Parameters
    ----------
    cpi
        CPI index levels dated the first of each reference month.
    consensus
        Optional consensus m/m changes (pp) by reference month (a Series, or the DataFrame of
        :func:`data_pipelines.user_files.read_consensus`); replaces the AR(1) forecast there.

    Examples
    --------
    >>> idx = pd.date_range("1990-01-01", periods=100, freq="MS")
    >>> cpi = pd.Series(100 * 1.002 ** np.arange(100), index=idx)
    >>> out = cpi_surprise(cpi)
    >>> bool(out["surprise"].dropna().abs().max() < 1e-9)
    True
    """
    mom = mom_change(cpi)
    fc = realtime_forecast(mom)
    src = pd.Series(np.where(fc.notna(), "ar1", ""), index=mom.index, dtype=object)
    if isinstance(consensus, pd.DataFrame):
        consensus = consensus["consensus"]
    if consensus is not None and len(consensus):
        cons = consensus.reindex(mom.index)
        use = cons.notna()
        fc = fc.where(~use, cons)
        src[use] = "consensus"
    out = pd.DataFrame({"actual": mom, "forecast": fc, "surprise": mom - fc, "forecast_source": src})
    out.index.name = "ref_month"
    return out
