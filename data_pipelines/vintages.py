"""Vintage tables: a series' ALFRED history as rows ``date, realtime_start, realtime_end, value``.

One row says "the observation of ``date`` had ``value`` from ``realtime_start`` until
``realtime_end``" (``NaT``: still in force).  This module holds the operations on such tables that
the store, the refresh and the real-time CPI surprise share:

* :func:`vintage_as_of` — the series as it was known on a day (:class:`VintageGrid` for many days);
* :func:`merge_vintages` — add the rows of an incremental fetch to the stored ones;
* :func:`first_releases` — each observation as first published, and the day it was;
* :func:`close_periods` — rebuild ``realtime_end`` from the next vintage of the same date.

Pure pandas: no network, no FRED client.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["VintageGrid", "close_periods", "first_releases", "merge_vintages", "vintage_as_of"]

_COLS = ["date", "realtime_start", "realtime_end", "value"]
_DAY = pd.Timedelta(days=1)


class VintageGrid:
    """A vintage table indexed for repeated "as known on day X" look-ups.

    Built once (a vintage x date matrix of the row in force), each :meth:`as_of` is an index
    look-up, so a real-time computation that needs the series as of every release stays fast.

    Parameters
    ----------
    vintages : DataFrame
        Columns ``date``, ``realtime_start``, ``value``.

    Examples
    --------
    >>> v = pd.DataFrame({"date": pd.to_datetime(["2020-01-01", "2020-01-01", "2020-04-01"]),
    ...                   "realtime_start": pd.to_datetime(["2020-04-29", "2020-05-28", "2020-07-30"]),
    ...                   "value": [100.0, 101.0, 102.0]})
    >>> grid = VintageGrid(v)
    >>> grid.as_of("2020-05-01").tolist(), grid.as_of("2020-08-01").tolist()
    ([100.0], [101.0, 102.0])
    """

    def __init__(self, vintages: pd.DataFrame) -> None:
        v = vintages.sort_values(["realtime_start", "date"], kind="stable")
        self.starts = pd.DatetimeIndex(v["realtime_start"].unique())
        self.dates = pd.DatetimeIndex(np.sort(v["date"].unique()), name="date")
        self._values = v["value"].to_numpy(dtype="float64")
        rows = np.full((len(self.starts), len(self.dates)), -1, dtype=np.int64)
        rows[self.starts.get_indexer(v["realtime_start"]), self.dates.get_indexer(v["date"])] = np.arange(len(v))
        self._rows = np.maximum.accumulate(rows, axis=0) if len(v) else rows  # row ids grow with realtime_start

    def as_of(self, day: str | pd.Timestamp) -> pd.Series:
        """The series as known on ``day`` (see :func:`vintage_as_of`)."""
        k = self.starts.searchsorted(pd.Timestamp(day), side="right") - 1
        if k < 0:
            return pd.Series([], index=pd.DatetimeIndex([], name="date"), dtype="float64", name="value")
        r = self._rows[k]
        have = r >= 0
        vals = self._values[r[have]]
        keep = ~np.isnan(vals)
        return pd.Series(vals[keep], index=self.dates[have][keep], name="value")


def vintage_as_of(vintages: pd.DataFrame, as_of: str | pd.Timestamp) -> pd.Series:
    """Values as they were known on ``as_of``: for each date, the latest vintage
    whose ``realtime_start`` is on or before ``as_of``.

    Dates whose value was not published yet, or was withdrawn (``NaN``) in the
    vintage in force, are left out.

    Parameters
    ----------
    vintages : DataFrame
        Columns ``date``, ``realtime_start``, ``value`` (as from
        :meth:`data_pipelines.fred.client.FredClient.all_releases`).
    as_of : date-like

    Returns
    -------
    Series
        float values on a sorted ``DatetimeIndex`` named ``date``.

    Examples
    --------
    >>> v = pd.DataFrame({"date": pd.to_datetime(["2020-01-01", "2020-01-01", "2020-04-01"]),
    ...                   "realtime_start": pd.to_datetime(["2020-04-29", "2020-05-28", "2020-07-30"]),
    ...                   "value": [100.0, 101.0, 102.0]})
    >>> vintage_as_of(v, "2020-06-01").tolist()
    [101.0]
    """
    return VintageGrid(vintages).as_of(as_of)


def close_periods(vintages: pd.DataFrame) -> pd.DataFrame:
    """Sort by date then ``realtime_start`` and set each row's ``realtime_end`` to the day before
    the next vintage of the same date (``NaT`` for the vintage still in force).

    Examples
    --------
    >>> v = pd.DataFrame({"date": pd.to_datetime(["2020-01-01", "2020-01-01"]),
    ...                   "realtime_start": pd.to_datetime(["2020-05-28", "2020-04-29"]), "value": [2.0, 1.0]})
    >>> close_periods(v)["realtime_end"].dt.strftime("%Y-%m-%d").fillna("open").tolist()
    ['2020-05-27', 'open']
    """
    out = vintages.sort_values(["date", "realtime_start"], kind="stable").reset_index(drop=True)
    nxt = out.groupby("date", sort=False)["realtime_start"].shift(-1)
    out["realtime_end"] = nxt - _DAY
    return out[_COLS]


def merge_vintages(old: pd.DataFrame, new: pd.DataFrame, since: str | pd.Timestamp) -> pd.DataFrame:
    """Stored vintage rows plus the rows of a fetch with ``realtime_start=since``.

    ``since`` is the last stored vintage date (never a future day, which FRED refuses). FRED
    answers such a fetch with every real-time period overlapping ``[since, ...)``, the periods
    already in force on ``since`` clipped to start on it.  A clipped row that repeats the stored
    value in force on ``since`` is a period already stored and is dropped; every other row is a
    vintage published on or after ``since`` and is added (replacing a stored row of the same date
    and ``realtime_start``).  ``realtime_end`` is rebuilt.

    Parameters
    ----------
    old : DataFrame
        Stored rows (columns ``date, realtime_start, value``), no vintage after ``since``.
    new : DataFrame
        The fetched rows, all with ``realtime_start >= since``.
    since : date-like
        The ``realtime_start`` the fetch asked for.

    Returns
    -------
    DataFrame
        The rows a full fetch would give, sorted by date then ``realtime_start``.

    Examples
    --------
    >>> d = pd.to_datetime
    >>> old = pd.DataFrame({"date": d(["2020-01-01"]), "realtime_start": d(["2020-04-29"]),
    ...                     "realtime_end": [pd.NaT], "value": [100.0]})
    >>> new = pd.DataFrame({"date": d(["2020-01-01", "2020-01-01", "2020-04-01"]),
    ...                     "realtime_start": d(["2020-04-29", "2020-05-28", "2020-07-30"]),
    ...                     "value": [100.0, 101.0, 102.0]})
    >>> merge_vintages(old, new, "2020-04-29")[["realtime_start", "value"]].astype(str).values.tolist()
    [['2020-04-29', '100.0'], ['2020-05-28', '101.0'], ['2020-07-30', '102.0']]
    """
    since = pd.Timestamp(since)
    cols = ["date", "realtime_start", "value"]
    old, new = old[cols], new[cols]
    if (old["realtime_start"] > since).any():
        raise ValueError(f"stored vintages reach {old['realtime_start'].max():%Y-%m-%d}, after {since:%Y-%m-%d}")
    if (new["realtime_start"] < since).any():
        raise ValueError(f"fetched vintages start before {since:%Y-%m-%d}")
    current = old.sort_values(["date", "realtime_start"]).groupby("date").tail(1).set_index("date")["value"]
    prev = current.reindex(pd.DatetimeIndex(new["date"])).to_numpy(dtype="float64")
    val = new["value"].to_numpy(dtype="float64")
    stored = new["date"].isin(current.index).to_numpy()
    same = stored & ((val == prev) | (np.isnan(val) & np.isnan(prev)))
    keep = new[~((new["realtime_start"] == since).to_numpy() & same)]
    rows = pd.concat([old, keep], ignore_index=True).drop_duplicates(["date", "realtime_start"], keep="last")
    return close_periods(rows)


def first_releases(vintages: pd.DataFrame) -> pd.DataFrame:
    """Each observation as first published, for the observations released inside the vintage history.

    An observation counts as *released* on the first vintage that holds it when that vintage is
    later than the first stored one and the observation is newer than every date known before that
    vintage (it extends the series; a back-filled history is not a release).  The observations
    of the first stored vintage have no known release and are left out.

    Parameters
    ----------
    vintages : DataFrame
        Columns ``date``, ``realtime_start``, ``value``.

    Returns
    -------
    DataFrame
        Index ``date``; columns ``release_date`` (the vintage that first held it) and ``value``
        (as published that day; ``NaN`` if it was published as missing).

    Examples
    --------
    >>> d = pd.to_datetime
    >>> v = pd.DataFrame({"date": d(["2020-01-01", "2020-02-01", "2020-02-01", "2020-03-01"]),
    ...                   "realtime_start": d(["2020-02-12", "2020-03-11", "2020-04-10", "2020-04-10"]),
    ...                   "value": [1.0, 2.0, 2.5, 3.0]})
    >>> first_releases(v)["value"].tolist(), first_releases(v)["release_date"].dt.day.tolist()
    ([2.0, 3.0], [11, 10])
    """
    v = vintages.sort_values(["realtime_start", "date"], kind="stable")
    if v.empty:
        return pd.DataFrame({"release_date": pd.Series([], dtype="datetime64[ns]"),
                             "value": pd.Series([], dtype="float64")},
                            index=pd.DatetimeIndex([], name="date"))
    origin = v["realtime_start"].iloc[0]
    newest = v.groupby("realtime_start")["date"].max().cummax()
    known_before = newest.shift(1)  # the newest date any earlier vintage held
    first = v.groupby("date", sort=True).head(1).set_index("date")
    before = known_before.reindex(first["realtime_start"]).to_numpy()
    released = (first["realtime_start"] > origin).to_numpy() & (first.index.to_numpy() > before)
    out = first.loc[released, ["realtime_start", "value"]].rename(columns={"realtime_start": "release_date"})
    out.index = pd.DatetimeIndex(out.index, name="date")
    out["value"] = out["value"].astype("float64")
    return out
