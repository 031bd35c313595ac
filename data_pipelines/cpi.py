"""The CPI surprise: the m/m CPI change minus a forecast that uses only earlier prints.

Definition, for CPI reference month *m* (CPIAUCSL, seasonally adjusted):

* actual ``a_m = 100 * (CPI_m / CPI_{m-1} - 1)`` in pp (m/m % change); undefined when either month
  is missing (e.g. October 2025: no print was published).
* forecast ``f_m`` from an AR(1), ``a_k = c + phi * a_{k-1}``, fitted by OLS on the 120 reference
  months ``m-120 .. m-1`` (at least 60 usable pairs), i.e. ONLY on prints released before the print
  of *m*; ``f_m = c + phi * a_{m-1}``. With a user consensus file, the consensus replaces ``f_m``
  for the reference months it covers (the panel metadata records the months covered).
* surprise ``s_m = a_m - f_m`` (pp).
* release: the print of *m* is dated on its release day — the day the stored vintages first hold
  it, else FRED's vintage dates of CPIAUCSL (:func:`data_pipelines.releases.release_dates_from_vintage_dates`),
  else :func:`data_pipelines.releases.cpi_release_date` (the 15th of *m+1*, an approximation: the
  snapshot has no BLS calendar). Monthly panels put it in the month of that day (*m+1* under the
  rule), daily panels on the first trading day on or after it.

Caveat, stated plainly: the snapshot holds ONE vintage of CPIAUCSL (the latest seasonal factors),
not each print as first published. The forecast's information set is real-time (no later print is
used), the values are not first releases; seasonal revisions move m/m changes by a few hundredths
of a pp.

Real time, when the FRED store holds CPIAUCSL's vintages (``data refresh --vintages``):
:func:`realtime_cpi_surprise` uses each print AS FIRST RELEASED. For the print of *m* released on
day *r* (the vintage that first held *m*): ``a_m = 100 * (x_m / x_{m-1} - 1)`` with ``x_m`` the value
published on *r* and ``x_{m-1}`` the previous month as known on *r* (the release's own revision of
it); ``f_m`` is the same AR(1), fitted on the vintage in force the day before *r*. Reference months
that the first stored vintage already holds have no recorded release: they use that first vintage
(the closest to real time the store has) with the one-vintage method above. The period is
inferred from the dates (monthly for CPI), so the same code serves any regular series.

Market consensus (the default from 2007): :func:`consensus_table` holds the actual m/m as first
printed and the consensus forecast of each release (ForexFactory 2007-2026-01, investing.com
2026); :func:`apply_consensus_table` replaces the AR(1) surprise by ``actual - consensus`` for the
prints it covers (``forecast_source`` = ``consensus (ForexFactory)`` / ``consensus (investing.com)``)
and leaves the AR(1) surprise (``ar1``) where no consensus is held (all of 2019, some 2020-21
releases, before 2007); a user consensus file (``forecast_source`` = ``consensus``) takes precedence.

A release month whose print is missing (no surprise can be computed, e.g. the months after the
missing October 2025 CPI) carries a surprise of 0 — no print, no news — and is listed in the
panel's notes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["AR_WINDOW", "MIN_PAIRS", "apply_consensus_table", "consensus_table", "cpi_surprise", "mom_change",
           "period_months", "realtime_cpi_surprise", "realtime_forecast"]

AR_WINDOW = 120
MIN_PAIRS = 60


def period_months(dates: pd.DatetimeIndex) -> int:
    """The series' period in months: the most common gap between consecutive dates (1 if unknown).

    Examples
    --------
    >>> period_months(pd.to_datetime(["2024-01-01", "2024-04-01", "2024-07-01"]))
    3
    """
    p = pd.DatetimeIndex(dates).sort_values().to_period("M")
    if len(p) < 2:
        return 1
    gaps = pd.Series(p.asi8[1:] - p.asi8[:-1])
    gaps = gaps[gaps > 0]
    return int(gaps.mode().min()) if len(gaps) else 1


def _period_index(first: pd.Timestamp, last: pd.Timestamp, months: int) -> pd.DatetimeIndex:
    """Month starts from ``first`` to ``last`` every ``months`` months (numpy: fast in loops)."""
    a, b = (np.datetime64(pd.Timestamp(t).to_period("M").start_time, "M") for t in (first, last))
    one, step = np.timedelta64(1, "M"), np.timedelta64(int(months), "M")
    return pd.DatetimeIndex(np.arange(a, b + one, step).astype("datetime64[ns]"), name="date")


def mom_change(cpi: pd.Series) -> pd.Series:
    """Period-on-period % change (pp) on a complete index; NaN where a period is missing.

    The period is :func:`period_months` of the dates (a month for CPI).

    Examples
    --------
    >>> idx = pd.to_datetime(["2024-01-01", "2024-02-01", "2024-04-01"])
    >>> mom_change(pd.Series([100.0, 100.5, 101.0], index=idx)).round(3).tolist()
    [nan, 0.5, nan, nan]
    """
    cpi = cpi.dropna()
    if cpi.empty:
        return cpi.copy()
    full = _period_index(cpi.index.min(), cpi.index.max(), period_months(cpi.index))
    c = cpi.reindex(full)
    return 100.0 * (c / c.shift(1) - 1.0)


def _ar1_at(a: np.ndarray, t: int, window: int, min_pairs: int) -> float:
    """AR(1) forecast of ``a[t]`` fitted by OLS on the pairs ``(a[k-1], a[k])``, ``t-window <= k < t``."""
    if t < 1 or not np.isfinite(a[t - 1]):
        return np.nan
    lo = max(1, t - window)
    y, x = a[lo:t], a[lo - 1:t - 1]
    ok = np.isfinite(y) & np.isfinite(x)
    if ok.sum() < min_pairs:
        return np.nan
    x_, y_ = x[ok], y[ok]
    xm = x_.mean()
    sxx = ((x_ - xm) ** 2).sum()
    phi = ((x_ - xm) * (y_ - y_.mean())).sum() / sxx if sxx > 0 else 0.0
    c = y_.mean() - phi * xm
    return float(c + phi * a[t - 1])


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
    out = np.array([np.nan] + [_ar1_at(a, t, window, min_pairs) for t in range(1, len(a))])[: len(a)]
    return pd.Series(out, index=mom.index, name="forecast")


def _with_consensus(fc: pd.Series, consensus: pd.Series | pd.DataFrame | None) -> tuple[pd.Series, pd.Series]:
    """The forecast with the consensus in the months it covers, and the source per month."""
    src = pd.Series(np.where(fc.notna(), "ar1", ""), index=fc.index, dtype=object)
    if isinstance(consensus, pd.DataFrame):
        consensus = consensus["consensus"]
    if consensus is not None and len(consensus):
        cons = consensus.reindex(fc.index)
        use = cons.notna()
        fc = fc.where(~use, cons)
        src[use] = "consensus"
    return fc, src


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
    fc, src = _with_consensus(realtime_forecast(mom), consensus)
    out = pd.DataFrame({"actual": mom, "forecast": fc, "surprise": mom - fc, "forecast_source": src})
    out.index.name = "ref_month"
    return out


def realtime_cpi_surprise(
    vintages: pd.DataFrame,
    *,
    as_of: str | pd.Timestamp | None = None,
    consensus: pd.Series | pd.DataFrame | None = None,
    window: int = AR_WINDOW,
    min_pairs: int = MIN_PAIRS,
) -> pd.DataFrame:
    """The CPI surprise of each print as it came out, from the series' vintages (see module notes).

    Parameters
    ----------
    vintages
        Rows ``date, realtime_start, value`` (:meth:`data_pipelines.fred.store.SeriesStore.read_vintages`).
    as_of
        Use only vintages published on or before this date.
    consensus
        As in :func:`cpi_surprise`.
    window, min_pairs
        The AR(1)'s estimation window and the fewest usable pairs it needs.

    Returns
    -------
    DataFrame
        Index ``ref_month`` (complete, one row per period); columns ``actual``, ``forecast``,
        ``surprise`` (pp), ``forecast_source``, ``release_date`` (the day the print was first
        published; ``NaT`` where the vintage history does not record it) and ``basis``
        (``first release`` | ``first stored vintage`` | ``""`` for a period with no print).

    Examples
    --------
    >>> d = pd.date_range("2000-01-01", periods=90, freq="MS")
    >>> level = 100 * np.cumprod(1 + 0.002 + 0.001 * (np.arange(90) % 3 == 0))
    >>> first = pd.DataFrame({"date": d[:80], "realtime_start": pd.Timestamp("2006-09-15"), "value": level[:80]})
    >>> prints = pd.DataFrame({"date": d[80:], "realtime_start": d[80:] + pd.DateOffset(months=1, days=11),
    ...                        "value": level[80:]})
    >>> prints.loc[0, "value"] *= 1.001  # September 2006 first printed 0.1% high, revised a month later
    >>> fix = pd.DataFrame({"date": d[80:81], "realtime_start": [pd.Timestamp("2006-11-12")], "value": level[80:81]})
    >>> tab = realtime_cpi_surprise(pd.concat([first, prints, fix]))
    >>> tab.loc["2006-09-01":"2006-10-01", "actual"].round(4).tolist()  # revised data say [0.2, 0.3]
    [0.3002, 0.3]
    >>> row = tab.loc["2006-09-01"]
    >>> row["basis"], f"{row['release_date']:%Y-%m-%d}"
    ('first release', '2006-10-12')
    """
    from macroattr.data_pipelines.vintages import VintageGrid, first_releases

    v = vintages[["date", "realtime_start", "value"]]
    if as_of is not None:
        v = v[v["realtime_start"] <= pd.Timestamp(as_of)]
    cols = ["actual", "forecast", "surprise", "forecast_source", "release_date", "basis"]
    if v.empty:
        return pd.DataFrame(columns=cols, index=pd.DatetimeIndex([], name="ref_month"))
    grid = VintageGrid(v)
    base = mom_change(grid.as_of(grid.starts[0]))
    months = period_months(grid.as_of(grid.starts[-1]).index)
    step = pd.DateOffset(months=months)
    day = pd.Timedelta(days=1)
    base_tab = pd.DataFrame({"actual": base, "forecast": realtime_forecast(base, window=window, min_pairs=min_pairs),
                             "release_date": pd.NaT, "basis": "first stored vintage"})
    rows = {}
    for d, r, x in first_releases(v).itertuples(name=None):
        window_idx = _period_index(d - step * (window + 2), d, months)
        xp = grid.as_of(r).get(d - step, np.nan)
        before = grid.as_of(r - day)
        lev = before[before.index < d].reindex(window_idx)
        a = (100.0 * (lev / lev.shift(1) - 1.0)).to_numpy("float64")
        fc = _ar1_at(a, len(a) - 1, window, min_pairs)
        rows[d] = {"actual": 100.0 * (x / xp - 1.0), "forecast": fc, "release_date": r, "basis": "first release"}
    tab = pd.concat([base_tab, pd.DataFrame.from_dict(rows, orient="index")]) if rows else base_tab
    tab = tab[~tab.index.duplicated(keep="last")].sort_index()
    tab = tab.reindex(_period_index(tab.index.min(), tab.index.max(), months))
    tab["basis"] = tab["basis"].fillna("")
    tab["release_date"] = pd.to_datetime(tab["release_date"])
    fc, src = _with_consensus(tab["forecast"].astype("float64"), consensus)
    out = pd.DataFrame({"actual": tab["actual"].astype("float64"), "forecast": fc,
                        "surprise": tab["actual"].astype("float64") - fc, "forecast_source": src,
                        "release_date": tab["release_date"], "basis": tab["basis"]})
    out.index = pd.DatetimeIndex(out.index, name="ref_month")
    return out


def consensus_table(event: str = "headline") -> pd.DataFrame:
    """The embedded CPI consensus by reference month: ``actual, consensus, release_date, source``.

    ``event`` is ``"headline"`` (CPI m/m) or ``"core"`` (core CPI m/m); values in pp as printed.

    Examples
    --------
    >>> row = consensus_table().loc["2024-06-01"]
    >>> float(row["actual"]), float(row["consensus"]), f"{row['release_date']:%Y-%m-%d}"
    (-0.1, 0.1, '2024-07-11')
    """
    from pathlib import Path

    from macroattr.core.errors import InputError

    path = Path(__file__).with_name("snapshot") / "cpi_consensus.parquet"
    if not path.is_file():
        raise InputError(f"embedded CPI consensus file {path} is missing; reinstall macroattr or run `make snapshot`")
    df = pd.read_parquet(path)
    df = df[df["event"].astype(str) == event]
    out = pd.DataFrame({"actual": df["actual"].to_numpy("float64"), "consensus": df["consensus"].to_numpy("float64"),
                        "release_date": pd.DatetimeIndex(df["release_date"]),
                        "source": df["source"].astype(str).to_numpy()},
                       index=pd.DatetimeIndex(df["ref_month"], name="ref_month"))
    return out.sort_index()


def apply_consensus_table(tab: pd.DataFrame, cons: pd.DataFrame, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """``tab`` (a :func:`cpi_surprise` table) with ``actual - consensus`` where ``cons`` covers a print.

    Rows the user's consensus file set (``forecast_source == "consensus"``) are kept; reference
    months ``cons`` adds after ``tab`` ends are appended. ``release_date`` is the consensus
    calendar's day and ``basis`` is ``"as printed"`` on the replaced rows.

    Examples
    --------
    >>> idx = pd.date_range("2024-05-01", periods=2, freq="MS")
    >>> tab = pd.DataFrame({"actual": [0.0, -0.06], "forecast": [0.2, 0.25], "surprise": [-0.2, -0.31],
    ...                     "forecast_source": ["ar1", "ar1"]}, index=idx)
    >>> cons = pd.DataFrame({"actual": [-0.1], "consensus": [0.1], "release_date": [pd.Timestamp("2024-07-11")],
    ...                      "source": ["ForexFactory"]}, index=idx[1:])
    >>> out = apply_consensus_table(tab, cons)
    >>> out["surprise"].round(2).tolist(), out["forecast_source"].tolist()
    ([-0.2, -0.2], ['ar1', 'consensus (ForexFactory)'])
    """
    if as_of is not None:
        cons = cons[cons["release_date"] <= as_of]
    out = tab.copy()
    if "release_date" not in out:
        out["release_date"] = pd.NaT
    if "basis" not in out:
        out["basis"] = ""
    new = cons.index.difference(out.index)
    if len(new):
        full = _period_index(min(out.index.min(), new.min()), max(out.index.max(), new.max()), 1)
        out = out.reindex(full)
        out["forecast_source"] = out["forecast_source"].fillna("")
        out["basis"] = out["basis"].fillna("")
    use = cons.index[cons.index.isin(out.index)]
    use = use[out.loc[use, "forecast_source"].to_numpy() != "consensus"]
    c = cons.loc[use]
    out.loc[use, "actual"] = c["actual"].to_numpy()
    out.loc[use, "forecast"] = c["consensus"].to_numpy()
    out.loc[use, "surprise"] = (c["actual"] - c["consensus"]).to_numpy()
    out.loc[use, "forecast_source"] = [f"consensus ({s})" for s in c["source"]]
    out.loc[use, "release_date"] = c["release_date"].to_numpy()
    out.loc[use, "basis"] = "as printed"
    out["release_date"] = pd.to_datetime(out["release_date"])
    for col in ("actual", "forecast", "surprise"):
        out[col] = out[col].astype("float64")
    out.index = pd.DatetimeIndex(out.index, name="ref_month")
    return out
