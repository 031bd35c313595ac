"""Built-in event calendars: CPI release days (BLS) and FOMC announcement days.

Both ship in the embedded snapshot (``snapshot/calendars.parquet``; provenance in
``snapshot/tables.csv``), so they work offline:

* :func:`cpi_release_days` — the day BLS published each month's CPI (08:30 ET), reference months
  2003-12 .. 2026-11 (2026-09 .. 2026-11 are the published schedule), shutdown delays included (September 2013 CPI on 2013-10-30; September 2025 CPI
  on 2025-10-24; no October 2025 print). Outside that range there is no calendar: callers fall back
  to :func:`macroattr.data_pipelines.releases.cpi_release_date` and flag the day as approximate.
* :func:`fomc_days` — FOMC policy-statement days 2004-01-28 .. 2026-12-09 (2026-09-16, 10-28 and
  12-09 scheduled, not yet held at the snapshot), ``scheduled`` or ``unscheduled`` (2008-01-22,
  2008-10-08, 2020-03-03, 2020-03-15).
* :func:`russell_recon_days` — the Russell US index reconstitution day each June (rule-based, see
  there) and its rank day; ``--events builtin:russell_recon``.
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

__all__ = ["BUILTIN", "builtin_events", "cpi_release_days", "fomc_days", "fomc_events", "russell_recon_days",
           "table_provenance"]

BUILTIN = ("fomc", "cpi", "russell_recon")  # names accepted after ``builtin:``
#: years the rule-based Russell reconstitution calendar spans (the index has been reconstituted each
#: June since 1989; from 2026 FTSE Russell adds a second, December reconstitution, not listed here)
RUSSELL_YEARS = (1989, 2026)


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
    (187, '2004-01-28', '2026-12-09')
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


def russell_recon_days(first: int = RUSSELL_YEARS[0], last: int = RUSSELL_YEARS[1]) -> pd.DataFrame:
    """Russell US index reconstitution days (June), by rule, with the rank day.

    Rule (FTSE Russell's published methodology): the reconstitution takes effect after the close of
    the last Friday of June, except when that Friday is the 29th or 30th, then the Friday before
    (e.g. 2023-06-23, 2024-06-28). The rank day (the day whose market caps set membership) is
    30 April (since 2004; before, 31 May). Preliminary membership lists (from late May) are not
    listed: no dated source is held. Both days are marked ``approximate`` before 2004.

    Returns
    -------
    DataFrame
        Index ``year``; columns ``recon_day``, ``rank_day``, ``basis``.

    Examples
    --------
    >>> r = russell_recon_days(2023, 2026)
    >>> r["recon_day"].dt.strftime("%Y-%m-%d").tolist()
    ['2023-06-23', '2024-06-28', '2025-06-27', '2026-06-26']
    >>> f"{r.loc[2024, 'rank_day']:%Y-%m-%d}"
    '2024-04-30'
    """
    rows = {}
    for y in range(int(first), int(last) + 1):
        d = pd.Timestamp(y, 6, 30)
        d -= pd.Timedelta(days=(d.weekday() - 4) % 7)  # last Friday of June
        if d.day >= 29:
            d -= pd.Timedelta(days=7)
        rank = pd.Timestamp(y, 4, 30) if y >= 2004 else pd.Timestamp(y, 5, 31)
        rows[y] = {"recon_day": d, "rank_day": rank,
                   "basis": "FTSE Russell rule" if y >= 2004 else "FTSE Russell rule (approximate before 2004)"}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "year"
    return out


def builtin_events(spec: str) -> pd.Series:
    """Events of a built-in calendar: ``builtin:fomc``, ``builtin:cpi`` (CPI release days) or
    ``builtin:russell_recon`` (the June reconstitution days).

    Examples
    --------
    >>> builtin_events("builtin:cpi").loc["2024-07-11"]
    'cpi_release'
    """
    name = str(spec).removeprefix("builtin:").strip().lower()
    if name == "fomc":
        out = fomc_events()
        out.attrs.update(span=("2004-01-01", "2026-12-31"), title="FOMC announcement days",
                         source=f"builtin:fomc ({table_provenance().loc['fomc', 'source_file']})")
        return out
    if name == "cpi":
        out = pd.Series("cpi_release", index=pd.DatetimeIndex(cpi_release_days().to_numpy(), name="date"),
                        name="label", dtype=object)
        out.attrs.update(span=("2004-01-01", "2026-12-31"), title="BLS CPI release days",
                         source=f"builtin:cpi ({table_provenance().loc['cpi_release', 'source_file']})")
        return out
    if name == "russell_recon":
        r = russell_recon_days()
        out = pd.Series("russell_recon", index=pd.DatetimeIndex(r["recon_day"].to_numpy(), name="date"),
                        name="label", dtype=object)
        out.attrs.update(span=(f"{RUSSELL_YEARS[0]}-01-01", f"{RUSSELL_YEARS[1]}-12-31"),
                         title="Russell reconstitution days (last Friday of June, rule-based)",
                         source="builtin:russell_recon (FTSE Russell methodology rule; rank day 30 April)")
        return out
    raise InputError(f"unknown built-in calendar {spec!r}; use one of: "
                     + ", ".join(f"builtin:{b}" for b in BUILTIN))
