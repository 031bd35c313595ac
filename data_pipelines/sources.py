"""Where series come from: the embedded snapshot, the local FRED store, or either.

``get_series(series_id, source=...)`` is the one way every other module reads a raw series. It
returns a float Series on a ``DatetimeIndex`` named ``date`` (FRED's observation dates; monthly
series are dated the first of the reference month) and a metadata dict:
``source`` (``snapshot`` | ``fred``), ``id``, ``title``, ``units``, ``first``, ``last``, ``terms``
and ``snapshot_date`` (snapshot) or ``fetched_at`` (FRED store).

``source="fred"`` and ``"auto"`` delegate to :class:`data_pipelines.fred.store.SeriesStore` (the
local store filled by ``macroattr data refresh``); ``auto`` uses the store when it holds the series
and falls back to the snapshot otherwise. Equity prices are not FRED series and always come from
the snapshot (or a user target file).

``as_of`` keeps only observations that were public by that date: from the store's vintages
online, from the publication-lag rules of :mod:`data_pipelines.releases` for the snapshot.

``get_vintages`` gives the store's whole vintage table and FRED vintage dates of a series (the
real-time CPI surprise and the real CPI release days use them); the snapshot has none.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pandas as pd

from macroattr.core.errors import InputError

__all__ = ["SNAPSHOT_DIR", "SOURCES", "get_series", "get_vintages", "snapshot_ids", "snapshot_provenance"]

SNAPSHOT_DIR = Path(__file__).with_name("snapshot")
SOURCES = ("snapshot", "fred", "auto")
NON_FRED = frozenset({"^RUT", "^GSPC", "IWM", "SPY"})


@functools.cache
def _snapshot_tables() -> dict[str, pd.DataFrame]:
    tables = {}
    for name in ("daily", "monthly"):
        path = SNAPSHOT_DIR / f"{name}.parquet"
        if not path.is_file():
            raise InputError(
                f"embedded snapshot file {path} is missing; reinstall macroattr or run `make snapshot`"
            )
        tables[name] = pd.read_parquet(path)
    return tables


@functools.cache
def snapshot_provenance() -> pd.DataFrame:
    """The snapshot's provenance table (one row per series), indexed by ``series_id``.

    Examples
    --------
    >>> snapshot_provenance().loc["DGS2", "frequency"]
    'daily'
    """
    df = pd.read_csv(SNAPSHOT_DIR / "provenance.csv", dtype=str, keep_default_na=False)
    return df.set_index("series_id")


def snapshot_ids() -> list[str]:
    """Ids of the series embedded in the snapshot.

    Examples
    --------
    >>> "CPIAUCSL" in snapshot_ids()
    True
    """
    return list(snapshot_provenance().index)


def _from_snapshot(series_id: str, as_of: pd.Timestamp | None) -> tuple[pd.Series, dict[str, Any]]:
    prov = snapshot_provenance()
    if series_id not in prov.index:
        raise InputError(
            f"series {series_id} is not in the embedded snapshot (it has: {', '.join(prov.index)}); "
            "use --source fred after `macroattr data refresh`"
        )
    row = prov.loc[series_id]
    table = _snapshot_tables()["daily" if row["frequency"] == "daily" else "monthly"]
    sel = table[table["series_id"] == series_id]
    s = pd.Series(sel["value"].to_numpy("float64"),
                  index=pd.DatetimeIndex(sel["date"].to_numpy("datetime64[ns]"), name="date"),
                  name=series_id).sort_index()
    if as_of is not None:
        from macroattr.data_pipelines.releases import release_dates

        s = s[release_dates(series_id, s.index) <= as_of]
    meta = {
        "source": "snapshot", "id": series_id, "title": row["title"], "units": row["units"],
        "frequency": row["frequency"],
        "first": s.index.min().strftime("%Y-%m-%d") if len(s) else None,
        "last": s.index.max().strftime("%Y-%m-%d") if len(s) else None,
        "snapshot_date": row["snapshot_date"], "terms": row["terms"],
        "provenance": f"{row['source_repo']}:{row['source_path']}@{row['commit'][:10]}",
    }
    return s, meta


def get_series(
    series_id: str,
    *,
    source: str = "snapshot",
    store: str | Path | None = None,
    as_of: str | pd.Timestamp | None = None,
) -> tuple[pd.Series, dict[str, Any]]:
    """Return one series and its metadata from the snapshot or the local FRED store.

    Parameters
    ----------
    series_id
        FRED id (``"DGS2"``) or snapshot equity id (``"^RUT"``, ``"^GSPC"``, ``"IWM"``, ``"SPY"``).
    source
        ``"snapshot"`` (embedded, offline), ``"fred"`` (local store; must hold the series) or
        ``"auto"`` (store if it holds the series, else snapshot).
    store
        Store directory for ``fred``/``auto``; ``None`` = ``MACROATTR_STORE`` or the user cache dir.
    as_of
        Keep only observations public on or before this date.

    Returns
    -------
    (pandas.Series, dict)
        Float values on a ``DatetimeIndex`` and the metadata described in the module docstring.

    Examples
    --------
    >>> s, meta = get_series("DGS2", as_of="2024-07-31")
    >>> meta["source"], str(s.index.max().date())
    ('snapshot', '2024-07-30')
    """
    if source not in SOURCES:
        raise InputError(f"unknown source {source!r}; use one of: {', '.join(SOURCES)}")
    from macroattr.core.dates import parse_date

    ts = parse_date(as_of, "as-of date")
    if source == "snapshot" or series_id in NON_FRED:
        return _from_snapshot(series_id, ts)
    from macroattr.data_pipelines.fred.store import SeriesStore  # lazy: the FRED stack is optional offline

    st = SeriesStore(store)
    if source == "auto" and not st.has(series_id):
        return _from_snapshot(series_id, ts)
    s, meta = st.read(series_id, as_of=ts)
    s = s.astype("float64")
    s.index = pd.DatetimeIndex(s.index, name="date")
    meta = dict(meta)
    meta.setdefault("source", "fred")
    return s.sort_index(), meta


def get_vintages(
    series_id: str,
    *,
    source: str = "snapshot",
    store: str | Path | None = None,
    as_of: str | pd.Timestamp | None = None,
) -> tuple[pd.DataFrame | None, pd.DatetimeIndex | None]:
    """A series' stored vintages and vintage dates, for real-time work.

    The snapshot holds one vintage, so ``source="snapshot"`` (and ``"auto"`` when the store lacks
    the series) gives ``(None, None)``; so does a store entry fetched without ``--vintages``.

    Parameters
    ----------
    series_id, source, store
        As in :func:`get_series`.
    as_of
        Keep only vintages (rows and dates) published on or before this date.

    Returns
    -------
    (DataFrame or None, DatetimeIndex or None)
        Rows ``date, realtime_start, realtime_end, value``, and FRED's vintage dates (release days).

    Examples
    --------
    >>> get_vintages("CPIAUCSL")
    (None, None)
    """
    if source not in SOURCES:
        raise InputError(f"unknown source {source!r}; use one of: {', '.join(SOURCES)}")
    if source == "snapshot" or series_id in NON_FRED:
        return None, None
    from macroattr.data_pipelines.fred.store import SeriesStore

    st = SeriesStore(store)
    if not st.has(series_id):
        if source == "auto":
            return None, None
        st.read(series_id)  # raises the one-line "not in the store" error
    vint, dates = st.read_vintages(series_id), st.read_vintage_dates(series_id)
    if as_of is not None:
        cutoff = pd.Timestamp(as_of)
        vint = vint[vint["realtime_start"] <= cutoff] if vint is not None else None
        dates = dates[dates <= cutoff] if dates is not None else None
    return vint, dates
