"""Built-in event calendars: CPI release days (BLS) and FOMC announcement days.

Both ship in the embedded snapshot (``snapshot/calendars.parquet``; provenance in
``snapshot/tables.csv``), so they work offline:

* :func:`cpi_release_days` — the day BLS published each month's CPI (08:30 ET), reference months
  2003-12 .. 2025-11, shutdown delays included (September 2013 CPI on 2013-10-30; September 2025 CPI
  on 2025-10-24; no October 2025 print). Outside that range there is no calendar: callers fall back
  to :func:`macroattr.data_pipelines.releases.cpi_release_date` and flag the day as approximate.
* :func:`fomc_days` — FOMC policy-statement days 2004-01-28 .. 2025-12-10, ``scheduled`` or
  ``unscheduled`` (2008-01-22, 2008-10-08, 2020-03-03, 2020-03-15).
* :func:`fomc_events` — the FOMC days as an events Series (label ``fomc``), the form
  :func:`macroattr.data_pipelines.user_files.read_events` returns; ``--events builtin:fomc``.

Examples
--------
>>> from macroattr.data_pipelines import calendars
>>> f"{calendars.cpi_release_days()['2024-06-01']:%Y-%m-%d}"  # June 2024 CPI
'2024-07-11'
>>> calendars.fomc_days("unscheduled").strftime("%Y-%m-%d").tolist()
['2008-01-22', '2008-10-08', '2020-03-03', '2020-03-15']
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from macroattr.core.errors import InputError

SNAPSHOT_DIR = Path(__file__).with_name("snapshot")

__all__ = ["BUILTIN", "builtin_events", "cpi_release_days", "fomc_days", "fomc_events", "table_provenance"]

BUILTIN = ("fomc", "cpi")  # names accepted after ``builtin:``


@functools.cache
def _calendars() -> pd.DataFrame:
    path = SNAPSHOT_DIR / "calendars.parquet"
    if not path.is_file():
        raise InputError(f"embedded calendar file {path} is missing; reinstall macroattr or run `make snapshot`")
    return pd.read_parquet(path)


@functools.cache
def table_provenance() -> pd.DataFrame:
    """Provenance of the snapshot's non-series tables (calendars, policy surprises), by ``table``.

    Examples
    --------
    >>> table_provenance().loc["policy_surprises", "source_repo"]
    'paulbousquet/data'
    """
    df = pd.read_csv(SNAPSHOT_DIR / "tables.csv", dtype=str, keep_default_na=False)
    return df.set_index("table")


def cpi_release_days() -> pd.Series:
    """BLS CPI release day per reference month (index: first of the reference month).

    Examples
    --------
    >>> days = cpi_release_days()
    >>> f"{days['2013-09-01']:%Y-%m-%d}", f"{days['2025-09-01']:%Y-%m-%d}"  # the two shutdown delays
    ('2013-10-30', '2025-10-24')
    >>> pd.Timestamp("2025-10-01") in days.index  # no October 2025 CPI was published
    False
    """
    cal = _calendars()
    sel = cal[cal["calendar"] == "cpi_release"]
    out = pd.Series(pd.DatetimeIndex(sel["date"]), index=pd.DatetimeIndex(sel["ref_month"], name="ref_month"),
                    name="release_date")
    return out.sort_index()


def fomc_days(kind: str | None = None) -> pd.DatetimeIndex:
    """FOMC policy-statement days; ``kind`` = ``"scheduled"`` or ``"unscheduled"`` to select.

    Examples
    --------
    >>> d = fomc_days()
    >>> len(d), f"{d[0]:%Y-%m-%d}", f"{d[-1]:%Y-%m-%d}"
    (179, '2004-01-28', '2025-12-10')
    """
    cal = _calendars()
    sel = cal[cal["calendar"] == "fomc"]
    if kind is not None:
        if kind not in ("scheduled", "unscheduled"):
            raise InputError(f"unknown FOMC day kind {kind!r}; use scheduled or unscheduled")
        sel = sel[sel["kind"] == kind]
    return pd.DatetimeIndex(sel["date"], name="date").sort_values()


def fomc_events() -> pd.Series:
    """The FOMC days as events (label ``fomc``), as :func:`user_files.read_events` returns them.

    Examples
    --------
    >>> fomc_events().iloc[0]
    'fomc'
    """
    return pd.Series("fomc", index=fomc_days(), name="label", dtype=object)


def builtin_events(spec: str) -> pd.Series:
    """Events of a built-in calendar named ``builtin:fomc`` or ``builtin:cpi`` (CPI release days).

    Examples
    --------
    >>> builtin_events("builtin:cpi").loc["2024-07-11"]
    'cpi_release'
    """
    name = str(spec).removeprefix("builtin:").strip().lower()
    if name == "fomc":
        out = fomc_events()
        out.attrs.update(span=("2004-01-01", "2025-12-31"), title="FOMC announcement days",
                         source=f"builtin:fomc ({table_provenance().loc['fomc', 'source_file']})")
        return out
    if name == "cpi":
        out = pd.Series("cpi_release", index=pd.DatetimeIndex(cpi_release_days().to_numpy(), name="date"),
                        name="label", dtype=object)
        out.attrs.update(span=("2004-01-01", "2025-12-31"), title="BLS CPI release days",
                         source=f"builtin:cpi ({table_provenance().loc['cpi_release', 'source_file']})")
        return out
    raise InputError(f"unknown built-in calendar {spec!r}; use one of: "
                     + ", ".join(f"builtin:{b}" for b in BUILTIN))
