"""FOMC policy surprises from fed funds futures: a target surprise and a path surprise.

Source (embedded in the snapshot, ``policy_surprises.parquet``; provenance in ``tables.csv``):
narrow-window (30-minute) changes around FOMC announcements, one row per month with a decision,
1988-02 .. 2025-12, compiled from the published series of Kuttner (2001), Gürkaynak, Sack & Swanson
(2005) and Bauer & Swanson (2023). Each row gives the month's MAIN announcement day (the file scores
one announcement per month; other announcement days that month carry no separate value).

* **target surprise** ``mp_target`` (pp) = ``MP1``, the current-month fed funds futures change
  scaled by the days left in the month (Kuttner 2001): the unexpected part of the rate decision.
  2024-09-18 (the 50 bp cut, partly priced): MP1 = −0.119 pp, a dovish surprise.
* **path surprise** ``mp_path`` (pp) = ``ED4 − b·MP1``: the 4th eurodollar/SOFR futures change
  (≈ 9–12 months ahead) net of what the target surprise explains, ``b`` = no-intercept OLS slope of
  ED4 on MP1 over the EARLIER announcements only (no look-ahead; with fewer than
  :data:`MIN_PRIOR` earlier pairs ``b = 0``). Like the Gürkaynak–Sack–Swanson path factor it is close
  to uncorrelated with the target surprise, but it is built in real time.

Where the file lacks MP1 (1989-01-09, 1991-04-30: no fed funds futures window; 2001-09-17: no
futures at all) the target surprise falls back to the front eurodollar contract (ED1), then the
3-month bill yield (UST3M); where it lacks ED4 the path uses the 2-year yield (UST2Y). Each such
announcement's source says so (``meta["factors"][...]["surprise_sources"]``, panel notes).

The 2026 announcements (2026-01-28 .. 2026-07-29) are in the embedded table as a documented
PROXY: the one-day change of the implied rate of daily fed funds futures closes (first contract
month after the meeting's month for the target, the furthest contract held for the path), source
:data:`PROXY_SOURCE` on every such day. After the table ends a user fed-funds futures file (``date,price``,
implied rate ``100 − price``; optional ``announcement`` column = 1 on announcement days) gives the
target surprise as the ONE-DAY change of the implied rate on each announcement day (a wider window
than 30 minutes). The path surprise needs the file. A value that cannot be computed stays missing
(NaN), never 0; the source of every surprise is recorded.

Examples
--------
>>> tab = announcement_surprises()
>>> row = tab.loc["2024-09-18"]
>>> round(float(row["target"]), 3), row["source"]
(-0.119, 'futures 30-min (snapshot)')
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd

from macroattr.core.errors import InputError

__all__ = ["FILE_SOURCE", "MIN_PRIOR", "PROXY_SOURCE", "USER_SOURCE", "announcement_surprises", "coverage_end", "path_surprise",
           "surprise_table"]

SNAPSHOT_DIR = Path(__file__).with_name("snapshot")
MIN_PRIOR = 12
FILE_SOURCE = "futures 30-min (snapshot)"
USER_SOURCE = "user futures (1-day change of 100 - price)"
#: the embedded 2026 announcements: one-day changes of daily ZQ closes (the 30-minute file ends 2025-12)
PROXY_SOURCE = "1-day fed funds futures proxy (snapshot, daily ZQ closes)"


@functools.cache
def surprise_table() -> pd.DataFrame:
    """The embedded surprise file: one row per announcement month, indexed by the main day.

    Columns ``month``, ``days`` (all announcement days, ``;``-separated), ``mp1``, ``ff1``, ``ff4``,
    ``ed2``, ``ed3``, ``ed4`` (pp; NaN where the file has no value).

    Examples
    --------
    >>> t = surprise_table()
    >>> len(t), f"{t.index[0]:%Y-%m-%d}", f"{t.index[-1]:%Y-%m-%d}"
    (322, '1988-02-11', '2026-07-29')
    """
    path = SNAPSHOT_DIR / "policy_surprises.parquet"
    if not path.is_file():
        raise InputError(f"embedded policy-surprise file {path} is missing; reinstall macroattr or run `make snapshot`")
    df = pd.read_parquet(path)
    return df.set_index(pd.DatetimeIndex(df.pop("date"), name="date")).sort_index()


def coverage_end() -> pd.Timestamp:
    """Last day the embedded surprises cover: the day before the first FOMC day of the built-in
    calendar after the last surprise (the factor is known to be 0 until then), at least the end of
    the last surprise's month.

    Examples
    --------
    >>> f"{coverage_end():%Y-%m-%d}"  # the 2026-07-29 proxy is the last; next meeting 2026-09-16
    '2026-09-15'
    """
    from macroattr.data_pipelines.calendars import fomc_days

    t = surprise_table()
    month_end = pd.Timestamp(t["month"].max()) + pd.offsets.MonthEnd(0)
    later = fomc_days()
    later = later[later > t.index.max()]
    if len(later) == 0:
        return month_end
    return max(month_end, later[0] - pd.Timedelta(days=1))


def _expanding_slope(x: np.ndarray, y: np.ndarray, min_prior: int) -> np.ndarray:
    """No-intercept OLS slope of y on x over the EARLIER finite pairs (0 with fewer than ``min_prior``)."""
    ok = np.isfinite(x) & np.isfinite(y)
    sxy = np.concatenate([[0.0], np.cumsum(np.where(ok, x * y, 0.0))[:-1]])
    sxx = np.concatenate([[0.0], np.cumsum(np.where(ok, x * x, 0.0))[:-1]])
    n = np.concatenate([[0], np.cumsum(ok)[:-1]])
    return np.where((n >= min_prior) & (sxx > 0), sxy / np.where(sxx > 0, sxx, 1.0), 0.0)


def path_surprise(target: pd.Series, far: pd.Series, min_prior: int = MIN_PRIOR) -> pd.Series:
    """``far − b_t · target`` with ``b_t`` fitted (no intercept) on earlier announcements only.

    Examples
    --------
    >>> idx = pd.date_range("2000-01-01", periods=30, freq="MS")
    >>> t = pd.Series(np.sin(np.arange(30.0)), idx)
    >>> p = path_surprise(t, 0.5 * t + 0.01)
    >>> bool(abs(p.iloc[-1] - 0.01) < 0.01), float(p.iloc[0]) == float(0.5 * t.iloc[0] + 0.01)  # b = 0 at first
    (True, True)
    """
    x, y = target.to_numpy("float64"), far.to_numpy("float64")
    return pd.Series(y - _expanding_slope(x, y, min_prior) * x, index=target.index, name="path")


def _with_proxies(t: pd.DataFrame, order: tuple[tuple[str, str], ...]) -> tuple[pd.Series, pd.Series]:
    """First available column of ``order`` per row, and its label (NaN / "" when none has a value)."""
    val = pd.Series(np.nan, index=t.index)
    src = pd.Series("", index=t.index, dtype=object)
    for col, label in order:
        use = val.isna() & t[col].notna()
        val[use] = t.loc[use, col]
        src[use] = label
    return val, src


def announcement_surprises(
    futures: pd.Series | None = None,
    futures_days: pd.DatetimeIndex | None = None,
    as_of: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Target and path surprise per announcement day, with the source of each.

    Parameters
    ----------
    futures
        Implied rate ``100 − price`` by day (:func:`user_files.read_futures`), used for announcement
        days after the embedded file's coverage (:func:`coverage_end`).
    futures_days
        Announcement days marked in the futures file; FOMC days of the built-in calendar after the
        coverage are used too.
    as_of
        Keep announcements on or before this day (a 30-minute surprise is known the same day).

    Returns
    -------
    DataFrame
        Index ``date`` (announcement day); ``target``, ``path`` (pp, NaN = not available) and the
        source of each (``source``, ``path_source``; ``""`` where missing).
    """
    t = surprise_table()
    target, tsrc = _with_proxies(t, (("mp1", FILE_SOURCE), ("ed1", "ED1 proxy (MP1 missing in the file)"),
                                     ("ust3m", "UST3M proxy (no futures in the file)")))
    far, fsrc = _with_proxies(t, (("ed4", FILE_SOURCE), ("ust2y", "UST2Y proxy (ED4 missing in the file)")))
    b = _expanding_slope(t["mp1"].to_numpy("float64"), t["ed4"].to_numpy("float64"), MIN_PRIOR)
    path = far - b * target
    psrc = fsrc.where(~((fsrc == FILE_SOURCE) & (tsrc != FILE_SOURCE)), tsrc)
    if "window" in t.columns:  # the 2026 announcements: one-day futures closes, not 30-minute windows
        proxy = t["window"].astype(str).str.startswith("1-day")
        label = PROXY_SOURCE + " " + t["window"].astype(str).str.removeprefix("1-day ZQ proxy ")
        tsrc = tsrc.where(~proxy, label)
        psrc = psrc.where(~proxy, label)
    out = pd.DataFrame({"target": target, "path": path, "source": tsrc, "path_source": psrc.where(path.notna(), "")})
    out.loc[out["target"].isna(), "source"] = ""
    if futures is not None:
        from macroattr.data_pipelines.calendars import fomc_days

        end = coverage_end()
        days = pd.DatetimeIndex(fomc_days())
        if futures_days is not None:
            days = days.union(pd.DatetimeIndex(futures_days))
        days = days[days > end]
        fut = futures.dropna().sort_index()
        rows = {}
        for d in days:
            pos = fut.index.searchsorted(d)
            if pos < len(fut) and fut.index[pos] == d and pos > 0 and (d - fut.index[pos - 1]).days <= 4:
                rows[d] = float(fut.iloc[pos] - fut.iloc[pos - 1])
            else:
                rows[d] = np.nan  # no price that day or the session before: missing, not zero
        if rows:
            extra = pd.DataFrame({"target": pd.Series(rows), "path": np.nan, "source": USER_SOURCE,
                                  "path_source": ""})
            out = pd.concat([out, extra])
    out.index = pd.DatetimeIndex(out.index, name="date")
    if as_of is not None:
        out = out[out.index <= as_of]
    return out.sort_index()
