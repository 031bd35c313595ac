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
    APPROXIMATE, CALENDAR, cpi_release_date, cpi_release_days_for, release_dates_from_vintage_dates)
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


def _policy_path(freq: str, get: Getter, calendar: pd.DatetimeIndex) -> FactorResult:
    """Opt-in yield-based path: change in DGS6MO - DGS3MO (no effective-funds-rate leg)."""
    six, three = get("DGS6MO"), get("DGS3MO")
    if freq == "D":
        lev = align_asof(six, calendar) - align_asof(three, calendar)
    else:
        lev = month_end_sample(six) - month_end_sample(three)
    return FactorResult(diff(lev.dropna()).dropna())


def _policy_surprise(name: str, freq: str, get: Getter, calendar: pd.DatetimeIndex, futures: pd.Series | None,
                     futures_days: pd.DatetimeIndex | None) -> FactorResult:
    """``mp_target`` / ``mp_path`` on announcement days (daily) or summed per month, 0 elsewhere."""
    from macroattr.data_pipelines.policy import FILE_SOURCE, USER_SOURCE, announcement_surprises, coverage_end, surprise_table
    from macroattr.data_pipelines.transforms import run_length_spans

    col = "target" if name == "mp_target" else "path"
    tab = announcement_surprises(futures if col == "target" else None, futures_days, as_of=get.as_of)
    vals = tab[col]
    if vals.notna().sum() == 0:
        return FactorResult(pd.Series(dtype="float64"))
    srcs = tab["source" if col == "target" else "path_source"]
    first = srcs.index[(srcs == FILE_SOURCE) & vals.notna()][0]  # from the first real futures surprise
    end = coverage_end()
    if col == "target" and futures is not None and (tab["source"] == USER_SOURCE).any():
        end = max(end, futures.index.max())
    if get.as_of is not None:
        end = min(end, get.as_of)
    tab = tab[tab.index <= end]  # announcements after the covered days are not known (not missing values)
    vals = vals[(vals.index >= first) & (vals.index <= end)]
    if freq == "D":
        cal = calendar[(calendar >= first) & (calendar <= end)]
        out = np.zeros(len(cal))
        pos = cal.searchsorted(vals.index, side="left")  # announcement on a closed day -> next session
        inside = pos < len(cal)
        np.add.at(out, pos[inside], vals.to_numpy("float64")[inside])  # NaN stays NaN: never zero-filled
        res = pd.Series(out, index=pd.DatetimeIndex(cal, name="date"))
    else:
        per = vals.groupby(month_end(vals.index)).sum(skipna=False)  # cython; a NaN month stays NaN
        idx = pd.date_range(per.index.min(), end + pd.offsets.MonthEnd(0), freq="ME", name="date")
        idx = idx[(idx <= end) | (end + pd.offsets.BDay(1) > idx)]  # a month counts once its last session is in
        res = per.reindex(idx, fill_value=0.0)
    src = tab.loc[tab.index >= first, "source" if col == "target" else "path_source"]
    label = "target surprise (MP1)" if col == "target" else "path surprise (ED4 net of MP1)"
    notes = []
    n_file, n_user = int((src == FILE_SOURCE).sum()), int((src == USER_SOURCE).sum())
    text = (f"{name}: FOMC {label} from 30-minute futures windows on {n_file} announcement(s) "
            f"{first:%Y-%m-%d}..{src[src == FILE_SOURCE].index.max():%Y-%m-%d} (embedded file, covers to "
            f"{coverage_end():%Y-%m-%d}), 0 on days/months without an announcement")
    if n_user:
        text += (f"; {n_user} later announcement(s) from the user futures file (1-day change of 100 - price, a "
                 "wider window than 30 minutes)")
    notes.append(text)
    proxy = src[src.str.contains("proxy")]
    if len(proxy):
        notes.append(f"{name}: {len(proxy)} announcement(s) use a proxy where the file lacks the futures: "
                     + "; ".join(f"{d:%Y-%m-%d} {lab}" for d, lab in proxy.items()))
    missing = vals.index[vals.isna()]
    if len(missing):
        notes.append(f"{name}: no surprise available for announcement(s) {', '.join(f'{d:%Y-%m-%d}' for d in missing)} "
                     "(not in the file or no futures price); those periods are missing, not set to 0")
    t = surprise_table()
    t = t[(t.index >= first) & (t.index <= end)]
    other = sorted({d for main, days in zip(t.index, t["days"], strict=True) for d in days.split(";")
                    if d and pd.Timestamp(d) != main})
    if other:
        notes.append(f"{name}: the file scores one announcement per month (its main day); {len(other)} other "
                     f"announcement day(s) in those months carry no separate value (e.g. {other[0]})")
    spans = run_length_spans(src)
    from macroattr.data_pipelines.catalog import get as catalog_get

    counts = src[src != ""].value_counts()
    meta = {"surprise_sources": spans, "announcements": {FILE_SOURCE: n_file, USER_SOURCE: n_user},
            "covered_to": f"{end:%Y-%m-%d}",
            "description": f"{catalog_get(name).description} Sources in this panel: "
                           + "; ".join(f"{k} ({v} announcements)" for k, v in counts.items()) + "."}
    return FactorResult(res, sources=spans, notes=notes, meta=meta)


def _market(freq: str, get: Getter, calendar: pd.DatetimeIndex) -> FactorResult:
    """The S&P 500's own log return (pp): SPY (dividend-adjusted) where it exists, ^GSPC before."""
    spy, gspc = get("SPY"), get("^GSPC")
    primary = 100.0 * _level_change(spy, freq, calendar, log=True)
    fallback = 100.0 * _level_change(gspc, freq, calendar, log=True)
    res = _spliced(primary, fallback, ("SPY", "^GSPC"))
    res.notes.append("mkt_return is a market control, not a macro factor: the S&P 500's own return (the "
                     "target's large-cap leg), so its contribution is small caps' equity beta, not macro news")
    return res


def _credit_extra(name: str, freq: str, get: Getter, calendar: pd.DatetimeIndex) -> FactorResult:
    from macroattr.core.errors import InputError

    if name == "d_baa_aaa":
        if freq == "D":
            raise InputError("factor d_baa_aaa is monthly only (Moody's Aaa and Baa yields are monthly averages); "
                             "drop it from --factors for a daily panel or use d_baa_spread")
        lev = _monthly_index(get("BAA")) - _monthly_index(get("AAA"))
        return FactorResult(diff(lev.dropna()).dropna())
    why = ("factor d_hy_oas needs BAMLH0A0HYM2 from the FRED store: ICE's terms forbid embedding it in the "
           "snapshot; run `macroattr data refresh --series BAMLH0A0HYM2` and use --source fred (or auto)")
    if get.source == "snapshot":
        raise InputError(why)
    try:
        oas = get("BAMLH0A0HYM2")
    except InputError:
        if get.source == "auto":  # the store lacks it and the snapshot never has it
            raise InputError(why) from None
        raise
    return FactorResult(_level_change(oas, freq, calendar))


def _baa(freq: str, get: Getter, calendar: pd.DatetimeIndex) -> FactorResult:
    daily = get("BAA10Y")
    if freq == "D":
        return FactorResult(_level_change(daily, "D", calendar))
    primary = diff(month_end_sample(daily))
    fallback = diff(_monthly_index(get("BAA10YM")))
    return _spliced(primary, fallback, ("BAA10Y", "BAA10YM"))


def _cpi_table(get: Getter, consensus: pd.DataFrame | None, series: str = "CPIAUCSL",
               event: str = "headline") -> tuple[pd.DataFrame, pd.DatetimeIndex | None, dict]:
    """The surprise per reference month with a release date per print, and how both were made."""
    from macroattr.data_pipelines.cpi import apply_consensus_table, consensus_table

    level = get(series)
    vint, vdates = get.vintages(series)
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
        src = get.seen[series].get("source", "snapshot")
        where = "the embedded snapshot" if src == "snapshot" else "the FRED store's latest values"
        how["values"] = f"one vintage: {where}"
    tab = apply_consensus_table(tab, consensus_table(event), get.as_of)
    how["series"] = series
    how["consensus"] = "embedded market consensus (ForexFactory 2007-2026-01, investing.com 2026), actual as printed"
    return tab, vdates, how


def _cpi_release_dates(tab: pd.DataFrame, vdates: pd.DatetimeIndex | None, months: int,
                       consensus: pd.DataFrame | None) -> tuple[pd.Series, pd.Series]:
    """Release day of each print and where that day came from (first release, vintage dates, rule, consensus file)."""
    rel = pd.Series(pd.DatetimeIndex(tab["release_date"]), index=tab.index)
    printed = (tab["basis"] == "as printed").to_numpy() if "basis" in tab else np.zeros(len(tab), bool)
    how = pd.Series(np.where(rel.notna(), np.where(printed, "consensus calendar", "first release"), ""),
                    index=tab.index, dtype=object)
    if vdates is not None and len(vdates):
        need = rel.isna()
        found = pd.Series(release_dates_from_vintage_dates(tab.index[need], vdates, months), index=tab.index[need])
        found = found.dropna()
        rel[found.index] = found.to_numpy()
        how[found.index] = "vintage dates"
    need = rel.isna()
    if months == 1:
        days, src = cpi_release_days_for(tab.index[need])
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


def _month_runs(idx: pd.DatetimeIndex) -> str:
    """``2019-01..2019-11, 2020-06`` for a set of months."""
    if len(idx) == 0:
        return ""
    p = pd.DatetimeIndex(idx).sort_values().to_period("M")
    runs, start, prev = [], p[0], p[0]
    for x in p[1:]:
        if x.ordinal != prev.ordinal + 1:
            runs.append((start, prev))
            start = x
        prev = x
    runs.append((start, prev))
    return ", ".join(f"{a}" if a == b else f"{a}..{b}" for a, b in runs)


def _consensus_notes(name: str, tab: pd.DataFrame, info: dict) -> list[str]:
    """Which prints use the market consensus and which the AR(1) fill-in (every print flagged)."""
    ok = tab["surprise"].notna()
    src = tab["forecast_source"].astype(str)
    cons = tab.index[ok & src.str.startswith("consensus (")]
    ar1 = tab.index[ok & (src == "ar1")]
    user = tab.index[ok & (src == "consensus")]
    info["consensus_months"] = _month_runs(cons)
    info["ar1_months"] = _month_runs(ar1)
    notes = []
    if len(cons):
        by = src[cons].value_counts()
        notes.append(f"{name}: actual (as first printed) minus market consensus for {len(cons)} print(s) "
                     f"(reference months {_month_runs(cons)}; "
                     + ", ".join(f"{k.removeprefix('consensus (').rstrip(')')} {v}" for k, v in by.items()) + ")")
    if len(ar1):
        notes.append(f"{name}: AR(1) surprise (no consensus held) for {len(ar1)} print(s), flagged: reference months "
                     f"{_month_runs(ar1)}")
    if len(user):
        notes.append(f"{name}: the user consensus file for {len(user)} print(s) ({_month_runs(user)}), taking "
                     "precedence over the embedded consensus")
    return notes


def _cpi_notes(tab: pd.DataFrame, how_dates: pd.Series, info: dict, consensus: pd.DataFrame | None,
               name: str = "cpi_surprise") -> list[str]:
    ok = tab["surprise"].notna()
    notes = []
    if info["values"] == "first releases":
        first = tab.index[ok & (tab["basis"] == "first release")]
        early = tab.index[ok & (tab["basis"] == "first stored vintage")]
        text = (f"{name}: real time from {info['vintages']} stored {info['series']} vintage(s) "
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
        notes.append(f"{name}: the AR(1) fill-in uses {info['values']} of {info['series']} (revised values, not "
                     "first releases: revisions move m/m changes by a few hundredths of a pp); the AR(1) uses only "
                     "prints released before each print; for first releases run `macroattr data refresh --series "
                     f"{info['series']} --vintages` and use --source fred")
    from macroattr.data_pipelines.transforms import run_length_spans

    runs = run_length_spans(how_dates[ok])
    labels = {"first release": "first-release days of the stored vintages", "vintage dates": "FRED vintage dates",
              CALENDAR: "the BLS release calendar",
              APPROXIMATE: "an APPROXIMATE rule (15th of the following month, weekend -> Monday; no BLS "
                           "calendar is embedded for these months, so days may be 1-3 days late)",
              "consensus file": "the consensus file's release dates",
              "consensus calendar": "the consensus calendar's release days"}
    parts = []
    for key, text in labels.items():
        mine = [f"{r['first'][:7]}..{r['last'][:7]}" for r in runs if r["source"] == key]
        if mine:
            parts.append(f"by {text} for reference months {', '.join(mine)}")
    notes.append(f"{name} release dates: " + "; ".join(parts))
    notes.extend(_consensus_notes(name, tab, info))
    return notes


def _cpi(freq: str, get: Getter, calendar: pd.DatetimeIndex, consensus: pd.DataFrame | None,
         name: str = "cpi_surprise") -> FactorResult:
    series, event = ("CPILFESL", "core") if name == "cpi_core_surprise" else ("CPIAUCSL", "headline")
    if name == "cpi_core_surprise":
        consensus = None  # a user consensus file is headline CPI
    tab, vdates, info = _cpi_table(get, consensus, series, event)
    valid = tab["surprise"].dropna()
    if valid.empty:
        return FactorResult(valid)
    tab = tab.loc[valid.index.min():valid.index.max()]
    months = period_months(tab.index)
    rel, how_dates = _cpi_release_dates(tab, vdates, months, consensus)
    notes = _cpi_notes(tab, how_dates, info, consensus, name)
    from macroattr.data_pipelines.transforms import run_length_spans

    info["release_dates"] = run_length_spans(how_dates[tab["surprise"].notna()])
    from macroattr.data_pipelines.catalog import get as catalog_get

    days_text = "; ".join(f"{r['source']} for reference months {r['first'][:7]}..{r['last'][:7]}"
                          for r in info["release_dates"])
    desc = {"description": f"{catalog_get(name).description} Release days in this panel: {days_text}.",
            "surprise_sources": run_length_spans(tab["forecast_source"][tab["surprise"].notna()].astype(str))}
    s = tab["surprise"]
    ok = s.notna().to_numpy()
    if freq == "M":
        rel_month = month_end(pd.DatetimeIndex(rel[ok]))
        vals = s[ok].groupby(rel_month).sum()
        idx = pd.date_range(vals.index.min(), vals.index.max(), freq="ME", name="date")
        out = vals.reindex(idx, fill_value=0.0)
        return FactorResult(out, notes=notes, filled=idx.difference(vals.index), meta={"real_time": info, **desc})
    rel_ok = pd.DatetimeIndex(rel[ok])
    nxt = pd.DatetimeIndex([s.index[ok].max() + pd.DateOffset(months=months)])
    next_rule = (cpi_release_days_for(nxt)[0] if months == 1 else cpi_release_date(nxt, months))[0]
    last_day = max(next_rule - pd.Timedelta(days=1), rel_ok.max())
    cal = calendar[(calendar >= rel.min()) & (calendar <= last_day)]
    vals = np.zeros(len(cal))
    pos = cal.searchsorted(rel_ok, side="left")  # first trading day on/after the release date
    inside = pos < len(cal)
    np.add.at(vals, pos[inside], s.to_numpy()[ok][inside])
    out = pd.Series(vals, index=pd.DatetimeIndex(cal, name="date"))
    pos_m = cal.searchsorted(pd.DatetimeIndex(rel[~ok]), side="left")
    filled = cal[pos_m[pos_m < len(cal)]]
    return FactorResult(out, notes=notes, filled=filled, meta={"real_time": info, **desc})


def _month_labels(labels: pd.Series) -> pd.Series:
    """Per month: its sessions' distinct sources joined by ``+`` in order, else ``"none"`` (NumPy, no per-month lambda)."""
    _, first, codes = np.unique((me := month_end(pd.DatetimeIndex(labels.index))).asi8, return_index=True, return_inverse=True)
    lab, out, seen = labels.to_numpy(dtype=object), np.full(len(first), "none", dtype=object), {}
    for i in np.flatnonzero(lab != "none"):
        seen.setdefault(int(codes[i]), {})[lab[i]] = None
    out[list(seen)] = ["+".join(v) for v in seen.values()]
    return pd.Series(out, index=me[first], name=labels.name)  # the group-by's index: its unit and name


def _rep_win_prob(freq: str, get: Getter, calendar: pd.DatetimeIndex, odds: pd.Series | None) -> FactorResult:
    """Daily change (pp) of P(Republican wins) on the target's sessions, or its sum within months."""
    from macroattr.data_pipelines.election import rep_win_prob_change
    from macroattr.data_pipelines.transforms import run_length_spans

    if freq == "D":
        sessions = pd.DatetimeIndex(calendar)
    else:  # the equity sessions (the daily target's days) up to each month end, then summed
        from macroattr.data_pipelines.target import snapshot_target

        days = pd.DatetimeIndex(snapshot_target("D", get)[0].index)
        lo = calendar[0] - pd.offsets.MonthBegin(1)
        sessions = days[(days >= lo) & (days <= calendar[-1])]
        if len(sessions) == 0:
            sessions = pd.bdate_range(lo, calendar[-1])
    res = rep_win_prob_change(sessions, odds, get.as_of)
    vals, labels = res.values, res.labels
    if freq == "M":
        vals, labels = vals.groupby(month_end(vals.index)).sum(), _month_labels(labels)
        keep = vals.index.isin(calendar)
        vals, labels = vals[keep], labels[keep]
    vals.index.name = "date"
    notes = list(res.notes)
    covered = int((labels != "none").sum())
    notes.append(f"d_rep_win_prob: 0 on the {len(labels) - covered} {'session' if freq == 'D' else 'month'}(s) "
                 "outside the covered election cycles (no election market in the data, not a measured zero); "
                 f"{res.carried} covered session(s) had no new quote (0 by the as-of rule); the odds are as of "
                 "20:00 ET on each session (a 00:00 UTC snapshot belongs to the previous evening's close)")
    spans = run_length_spans(labels.astype(str))
    return FactorResult(vals.astype("float64"), sources=spans, labels=labels, notes=notes,
                        meta={"odds_sources": spans,
                              "alignment": "odds as of 20:00 ET on each session (last quote at or before it, "
                                           "at most 7 days old); a change uses one source at both endpoints; "
                                           "precedence user > polymarket > predictit > oddschecker > fivethirtyeight"})


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
    span = events.attrs.get("span")
    if span:  # a built-in calendar: 0 only where it is known; outside it the indicator is missing
        lo, hi = pd.Timestamp(span[0]), pd.Timestamp(span[1])
        keep = (out.index >= (month_end(pd.DatetimeIndex([lo]))[0] if freq == "M" else lo)) & (out.index <= hi)
        out = out[keep]
        notes.append(f"event_{label}: built-in calendar ({events.attrs.get('title', label)}) known "
                     f"{lo:%Y-%m-%d}..{hi:%Y-%m-%d}; the panel stays inside it")
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
    futures_days: pd.DatetimeIndex | None = None,
    odds: pd.Series | None = None,
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
    if name in ("mp_target", "mp_path"):
        return _policy_surprise(name, freq, get, calendar, futures, futures_days)
    if name == "d_policy_path":
        return _policy_path(freq, get, calendar)
    if name in ("d_baa_aaa", "d_hy_oas"):
        return _credit_extra(name, freq, get, calendar)
    if name == "mkt_return":
        return _market(freq, get, calendar)
    if name == "d_baa_spread":
        return _baa(freq, get, calendar)
    if name == "dlog_epu":
        if freq == "M":
            return FactorResult(log_change(_monthly_index(get("USEPUINDXM"))).dropna())
        return FactorResult(_level_change(get("USEPUINDXD"), "D", calendar, log=True))
    if name in ("cpi_surprise", "cpi_core_surprise"):
        return _cpi(freq, get, calendar, consensus, name)
    if name == "d_rep_win_prob":
        return _rep_win_prob(freq, get, calendar, odds)
    if name.startswith("event_") and events is not None:
        return _events(name.removeprefix("event_"), freq, calendar, events)
    raise KeyError(name)
