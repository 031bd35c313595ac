"""Factor construction: turn raw series into the catalog's factor columns at a frequency.

Monthly factors are changes month end to month end of daily series where daily data exist (the
value on the last day of the month with an observation), otherwise changes of the monthly series;
each change uses ONE definition at both endpoints, and the definition used per period is recorded.
Daily factors are close-to-close changes of the level as of each trading day of the target (a
level observed at most 7 days earlier; so a bond-market holiday gives a change of 0 that day and the
next change covers the move). See :mod:`data_pipelines.catalog` for units and
:mod:`data_pipelines.cpi` for the CPI surprise (first releases and real release days when the
FRED store holds CPIAUCSL vintages; the panel's notes and ``meta["factors"]["cpi_surprise"]["real_time"]``
say which values and which release days were used).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from macroattr.data_pipelines.cpi import cpi_surprise, period_months, realtime_cpi_surprise
from macroattr.data_pipelines.releases import (
    APPROXIMATE, CALENDAR, cpi_release_date, cpi_release_days, release_dates_from_vintage_dates)
from macroattr.data_pipelines.sources import get_series, get_vintages
from macroattr.data_pipelines.transforms import align_asof, diff, log_change, month_end, month_end_sample, splice

__all__ = ["FactorResult", "Getter", "build_factor"]


@dataclass
class Getter:
    """Reads series through :func:`data_pipelines.sources.get_series` and remembers their metadata."""

    source: str = "snapshot"
    store: str | Path | None = None
    as_of: pd.Timestamp | None = None
    seen: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __call__(self, series_id: str) -> pd.Series:
        s, meta = get_series(series_id, source=self.source, store=self.store, as_of=self.as_of)
        self.seen[series_id] = meta
        return s

    def vintages(self, series_id: str) -> tuple[pd.DataFrame | None, pd.DatetimeIndex | None]:
        """Stored vintages and vintage dates up to ``as_of`` (see :func:`data_pipelines.sources.get_vintages`)."""
        return get_vintages(series_id, source=self.source, store=self.store, as_of=self.as_of)


@dataclass
class FactorResult:
    """A factor column on its own span (no NaN) plus the definition used per period."""

    values: pd.Series
    sources: list[dict[str, str]] | None = None  # run-length spans when the definition changes
    labels: pd.Series | None = None
    notes: list[str] = field(default_factory=list)
    filled: pd.DatetimeIndex | None = None  # periods set by definition (e.g. no CPI print => 0)
    meta: dict[str, Any] = field(default_factory=dict)  # extra factor metadata for the panel


def _monthly_index(s: pd.Series) -> pd.Series:
    """Relabel a monthly FRED series (dated the 1st) by its month end."""
    out = s.copy()
    out.index = month_end(s.index)
    return out


def _level_change(level: pd.Series, freq: str, calendar: pd.DatetimeIndex, *, log: bool = False) -> pd.Series:
    if freq == "M":
        lev = month_end_sample(level)
    else:
        lev = align_asof(level, calendar)
    return (log_change(lev) if log else diff(lev)).dropna()


def _spliced(primary: pd.Series, fallback: pd.Series, labels: tuple[str, str]) -> FactorResult:
    from macroattr.data_pipelines.transforms import run_length_spans

    v, lab = splice(primary.dropna(), fallback.dropna(), labels)
    return FactorResult(v, run_length_spans(lab), lab)


def _policy_path(freq: str, get: Getter, calendar: pd.DatetimeIndex, futures: pd.Series | None) -> FactorResult:
    if futures is not None:
        v = _level_change(futures, freq, calendar)
        return FactorResult(v, [{"source": "user futures: 100 - price",
                                 "first": f"{v.index.min():%Y-%m-%d}", "last": f"{v.index.max():%Y-%m-%d}"}]
                            if len(v) else [])
    six, dff = get("DGS6MO"), get("DFF")
    if freq == "D":
        lev = align_asof(six, calendar) - align_asof(dff, calendar)
        return FactorResult(diff(lev).dropna())
    six_me = month_end_sample(six)
    primary = diff(six_me - month_end_sample(dff))
    fallback = diff(six_me - _monthly_index(get("FEDFUNDS")))
    return _spliced(primary, fallback, ("DGS6MO-DFF", "DGS6MO-FEDFUNDS"))


def _baa(freq: str, get: Getter, calendar: pd.DatetimeIndex) -> FactorResult:
    daily = get("BAA10Y")
    if freq == "D":
        return FactorResult(_level_change(daily, "D", calendar))
    primary = diff(month_end_sample(daily))
    fallback = diff(_monthly_index(get("BAA10YM")))
    return _spliced(primary, fallback, ("BAA10Y", "BAA10YM"))


def _cpi_table(get: Getter, consensus: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DatetimeIndex | None, dict]:
    """The surprise per reference month with a release date per print, and how both were made."""
    level = get("CPIAUCSL")
    vint, vdates = get.vintages("CPIAUCSL")
    how: dict[str, Any] = {}
    if vint is not None and len(vint):
        tab = realtime_cpi_surprise(vint, consensus=consensus)
        how["values"] = "first releases"
        how["vintages"] = int(vint["realtime_start"].nunique())
        how["vintage_span"] = [f"{vint['realtime_start'].min():%Y-%m-%d}", f"{vint['realtime_start'].max():%Y-%m-%d}"]
    else:
        tab = cpi_surprise(level, consensus)
        tab["release_date"] = pd.NaT
        tab["basis"] = "one vintage"
        src = get.seen["CPIAUCSL"].get("source", "snapshot")
        where = "the embedded snapshot" if src == "snapshot" else "the FRED store's latest values"
        how["values"] = f"one vintage: {where}"
    return tab, vdates, how


def _cpi_release_dates(tab: pd.DataFrame, vdates: pd.DatetimeIndex | None, months: int,
                       consensus: pd.DataFrame | None) -> tuple[pd.Series, pd.Series]:
    """Release day of each print and where that day came from (first release, vintage dates, rule, consensus file)."""
    rel = pd.Series(pd.DatetimeIndex(tab["release_date"]), index=tab.index)
    how = pd.Series(np.where(rel.notna(), "first release", ""), index=tab.index, dtype=object)
    if vdates is not None and len(vdates):
        need = rel.isna()
        found = pd.Series(release_dates_from_vintage_dates(tab.index[need], vdates, months), index=tab.index[need])
        found = found.dropna()
        rel[found.index] = found.to_numpy()
        how[found.index] = "vintage dates"
    need = rel.isna()
    if months == 1:
        days, src = cpi_release_days(tab.index[need])
        rel[need] = days
        how[need] = src.to_numpy()
    else:
        rel[need] = cpi_release_date(tab.index[need], months)
        how[need] = APPROXIMATE
    if consensus is not None and "release_date" in consensus:
        known = consensus["release_date"].dropna()
        known = known[known.index.isin(tab.index)]
        rel[known.index] = known.to_numpy()
        how[known.index] = "consensus file"
    return pd.Series(pd.DatetimeIndex(rel), index=tab.index), how


def _cpi_notes(tab: pd.DataFrame, how_dates: pd.Series, info: dict, consensus: pd.DataFrame | None) -> list[str]:
    ok = tab["surprise"].notna()
    notes = []
    if info["values"] == "first releases":
        first = tab.index[ok & (tab["basis"] == "first release")]
        early = tab.index[ok & (tab["basis"] == "first stored vintage")]
        text = (f"cpi_surprise: real time from {info['vintages']} stored CPIAUCSL vintage(s) "
                f"({info['vintage_span'][0]}..{info['vintage_span'][1]})")
        if len(first):
            text += (f": {len(first)} print(s) {first.min():%Y-%m}..{first.max():%Y-%m} use first releases (the print "
                     "as published and the previous month as known that day), the AR(1) fitted on the vintage in "
                     "force the day before each release")
        if len(early):
            text += (f"; {len(early)} reference month(s) {early.min():%Y-%m}..{early.max():%Y-%m} predate the vintage "
                     f"history and use the first stored vintage ({info['vintage_span'][0]})")
        notes.append(text)
    else:
        notes.append(f"cpi_surprise: {info['values']} of CPIAUCSL (revised values, not first releases: revisions "
                     "move m/m changes by a few hundredths of a pp); the AR(1) uses only prints released before "
                     "each print; for first releases run `macroattr data refresh --series CPIAUCSL --vintages` "
                     "and use --source fred")
    from macroattr.data_pipelines.transforms import run_length_spans

    runs = run_length_spans(how_dates[ok])
    labels = {"first release": "first-release days of the stored vintages", "vintage dates": "FRED vintage dates",
              CALENDAR: "the BLS release calendar",
              APPROXIMATE: "an APPROXIMATE rule (15th of the following month, weekend -> Monday; no BLS "
                           "calendar is embedded for these months, so days may be 1-3 days late)",
              "consensus file": "the consensus file's release dates"}
    parts = []
    for key, text in labels.items():
        mine = [f"{r['first'][:7]}..{r['last'][:7]}" for r in runs if r["source"] == key]
        if mine:
            parts.append(f"by {text} for reference months {', '.join(mine)}")
    notes.append("cpi_surprise release dates: " + "; ".join(parts))
    if consensus is not None and (tab["forecast_source"] == "consensus").any():
        used = tab.index[tab["forecast_source"] == "consensus"]
        notes.append(f"cpi_surprise uses the consensus file for reference months {used.min():%Y-%m}.."
                     f"{used.max():%Y-%m} ({len(used)} months), the AR(1) forecast elsewhere")
    return notes


def _cpi(freq: str, get: Getter, calendar: pd.DatetimeIndex, consensus: pd.DataFrame | None) -> FactorResult:
    tab, vdates, info = _cpi_table(get, consensus)
    valid = tab["surprise"].dropna()
    if valid.empty:
        return FactorResult(valid)
    tab = tab.loc[valid.index.min():valid.index.max()]
    months = period_months(tab.index)
    rel, how_dates = _cpi_release_dates(tab, vdates, months, consensus)
    notes = _cpi_notes(tab, how_dates, info, consensus)
    from macroattr.data_pipelines.transforms import run_length_spans

    info["release_dates"] = run_length_spans(how_dates[tab["surprise"].notna()])
    s = tab["surprise"]
    ok = s.notna().to_numpy()
    if freq == "M":
        rel_month = month_end(pd.DatetimeIndex(rel[ok]))
        vals = s[ok].groupby(rel_month).sum()
        idx = pd.date_range(vals.index.min(), vals.index.max(), freq="ME", name="date")
        out = vals.reindex(idx, fill_value=0.0)
        return FactorResult(out, notes=notes, filled=idx.difference(vals.index), meta={"real_time": info})
    rel_ok = pd.DatetimeIndex(rel[ok])
    nxt = pd.DatetimeIndex([s.index[ok].max() + pd.DateOffset(months=months)])
    next_rule = (cpi_release_days(nxt)[0] if months == 1 else cpi_release_date(nxt, months))[0]
    last_day = max(next_rule - pd.Timedelta(days=1), rel_ok.max())
    cal = calendar[(calendar >= rel.min()) & (calendar <= last_day)]
    vals = np.zeros(len(cal))
    pos = cal.searchsorted(rel_ok, side="left")  # first trading day on/after the release date
    inside = pos < len(cal)
    np.add.at(vals, pos[inside], s.to_numpy()[ok][inside])
    out = pd.Series(vals, index=pd.DatetimeIndex(cal, name="date"))
    pos_m = cal.searchsorted(pd.DatetimeIndex(rel[~ok]), side="left")
    filled = cal[pos_m[pos_m < len(cal)]]
    return FactorResult(out, notes=notes, filled=filled, meta={"real_time": info})


def _events(label: str, freq: str, calendar: pd.DatetimeIndex, events: pd.Series) -> FactorResult:
    dates = pd.DatetimeIndex(events.index[events.to_numpy() == label])
    out = pd.Series(0.0, index=calendar)
    notes = []
    if freq == "M":
        hit = month_end(dates)
    else:
        pos = calendar.searchsorted(dates, side="left")
        hit = calendar[pos[pos < len(calendar)]]
    inside = hit[hit.isin(calendar)]
    if len(inside) < len(dates):
        notes.append(f"event_{label}: {len(dates) - len(inside)} event date(s) fall outside the target's dates")
    out[inside] = 1.0
    return FactorResult(out, notes=notes)


def build_factor(
    name: str,
    freq: str,
    get: Getter,
    calendar: pd.DatetimeIndex,
    *,
    futures: pd.Series | None = None,
    consensus: pd.DataFrame | None = None,
    events: pd.Series | None = None,
) -> FactorResult:
    """Build one catalog factor at ``freq`` (``"M"`` or ``"D"``) on the target's ``calendar``.

    Examples
    --------
    >>> cal = pd.date_range("2024-01-31", "2024-12-31", freq="ME")
    >>> r = build_factor("d_2y", "M", Getter(), cal)
    >>> round(float(r.values["2024-07-31"]), 2)  # DGS2 4.71 (2024-06-28) -> 4.29 (2024-07-31)
    -0.42
    """
    if name == "d_2y":
        return FactorResult(_level_change(get("DGS2"), freq, calendar))
    if name == "d_breakeven_5y":
        return FactorResult(_level_change(get("T5YIE"), freq, calendar))
    if name == "d_policy_path":
        return _policy_path(freq, get, calendar, futures)
    if name == "d_baa_spread":
        return _baa(freq, get, calendar)
    if name == "dlog_epu":
        if freq == "M":
            return FactorResult(log_change(_monthly_index(get("USEPUINDXM"))).dropna())
        return FactorResult(_level_change(get("USEPUINDXD"), "D", calendar, log=True))
    if name == "cpi_surprise":
        return _cpi(freq, get, calendar, consensus)
    if name.startswith("event_") and events is not None:
        return _events(name.removeprefix("event_"), freq, calendar, events)
    raise KeyError(name)
